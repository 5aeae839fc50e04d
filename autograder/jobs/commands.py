"""The exact commands the deployed services run: docker-compose.yml and the CI tests both read these."""

from __future__ import annotations

WSGI_APP = "autograder.app:create_app()"
CELERY_APP = "autograder.jobs.celery_entrypoint"
WEB_PORT = 8000
WORKER_METRICS_PORT = 9100  # each grading process of a worker serves /metrics here (+ its pool index)
PROMETHEUS_CONFIG = "deploy/prometheus.yml"  # the `monitoring` profile's scrape configuration

# Environment every service of the distributed mode gets (values are the compose defaults).
SERVICE_ENVIRONMENT = {
    "AUTOGRADER_QUEUE": "celery",
    "DATABASE_URL": "postgresql+psycopg://autograder:autograder@postgres:5432/autograder",
    "REDIS_URL": "redis://redis:6379/0",
    "AUTOGRADER_CELERY_QUEUE": "grading",
    "AUTOGRADER_LOG_FORMAT": "json",  # one JSON object per line, with the submission id
}
# Must be set by the operator (compose reads them from .env); the tests set their own.
OPERATOR_ENVIRONMENT = ("AUTOGRADER_SECRET_KEY", "AUTOGRADER_HIDDEN_SEED")


def migrate_command() -> list[str]:
    """Bring the database schema up to date (run once before web and workers start)."""
    return ["flask", "--app", WSGI_APP.removesuffix("()"), "db", "upgrade"]


def web_command(bind: str = f"0.0.0.0:{WEB_PORT}", workers: int = 2) -> list[str]:
    """Serve the Flask app with gunicorn.

    ``--preload``: the master imports and builds the app once and forks the workers from it, which
    then share its pages (create_app opens no connection, starts no thread: each worker opens its own).
    """
    return ["gunicorn", "--bind", bind, "--workers", str(workers), "--timeout", "60", "--preload",
            "--access-logfile", "-", WSGI_APP]


# Two grading processes per worker: one keeps a core busy while the other waits on the database
# or the broker, and a machine keeps its rate when one of its workers dies (docs/DEPLOY.md).
WORKER_CONCURRENCY = 2


def worker_command(name: str = "grader@%h", concurrency: int = WORKER_CONCURRENCY) -> list[str]:
    """Run one Celery grading worker (scale out by running more, on any machine)."""
    return ["celery", "-A", CELERY_APP, "worker", "--loglevel", "INFO", "--hostname", name,
            "--concurrency", str(concurrency), "--prefetch-multiplier", "1", "--without-gossip",
            "--without-mingle"]
