"""Configuration from the environment, with safe defaults for the embedded mode."""

from __future__ import annotations

import os
from pathlib import Path


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _read_secret(path: Path) -> str:
    # Written once by `autograder serve` / `demo` so sessions survive restarts.
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError:
        return ""


class Config:
    """Settings read once from environment variables when the app is created."""

    def __init__(self, instance_path: str | os.PathLike[str]) -> None:
        instance = Path(instance_path)
        self.SECRET_KEY = os.environ.get("AUTOGRADER_SECRET_KEY", "") or _read_secret(instance / "secret_key")
        self.SQLALCHEMY_DATABASE_URI = os.environ.get(
            "DATABASE_URL", f"sqlite:///{instance / 'autograder.sqlite3'}"
        )
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        # "embedded": in-process worker pool; "celery": Celery workers with a Redis broker.
        self.QUEUE_BACKEND = os.environ.get("AUTOGRADER_QUEUE", "embedded")
        self.EMBEDDED_WORKERS = int(os.environ.get("AUTOGRADER_EMBEDDED_WORKERS", "2"))
        self.REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
        # Rate limits live in Redis in the distributed mode so every gunicorn process and machine
        # shares them; the embedded mode runs one web process, so memory is enough.
        self.RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or (
            self.REDIS_URL if self.QUEUE_BACKEND == "celery" else "memory://")
        self.RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "autograder")
        # Failed sign-ins only: per account (whoever tries), and a generous cap per address so a
        # classroom behind one NAT can all sign in while a guesser spraying accounts is slowed.
        self.LOGIN_FAILURES_PER_ACCOUNT = os.environ.get("AUTOGRADER_LOGIN_FAILURES_PER_ACCOUNT", "10 per 15 minutes")
        self.LOGIN_FAILURES_PER_ADDRESS = os.environ.get("AUTOGRADER_LOGIN_FAILURES_PER_ADDRESS", "200 per 15 minutes")
        self.REGISTRATIONS_PER_ADDRESS = os.environ.get("AUTOGRADER_REGISTRATIONS_PER_ADDRESS", "100 per hour")
        self.API_SUBMISSIONS_PER_USER = os.environ.get("AUTOGRADER_API_SUBMISSIONS_PER_USER", "30 per minute")
        # Outgoing mail (password reset links, invitations); without a host, links are shown to copy.
        self.SMTP_HOST = os.environ.get("AUTOGRADER_SMTP_HOST", "")
        self.SMTP_PORT = int(os.environ.get("AUTOGRADER_SMTP_PORT", "25"))
        self.SMTP_USERNAME = os.environ.get("AUTOGRADER_SMTP_USERNAME", "")
        self.SMTP_PASSWORD = os.environ.get("AUTOGRADER_SMTP_PASSWORD", "")
        self.SMTP_STARTTLS = _bool("AUTOGRADER_SMTP_STARTTLS")
        self.MAIL_FROM = os.environ.get("AUTOGRADER_MAIL_FROM", "")
        # Reverse proxies in front of the app whose X-Forwarded-* headers are trusted (0: none).
        self.TRUSTED_PROXIES = int(os.environ.get("AUTOGRADER_TRUSTED_PROXIES", "0"))
        # Seed of the hidden cases; only the server knows it.
        self.HIDDEN_SEED = int(os.environ.get("AUTOGRADER_HIDDEN_SEED", "0")) or None
        self.GRADING_LEASE_SECONDS = int(os.environ.get("AUTOGRADER_LEASE_SECONDS", "120"))
        self.GRADING_MAX_ATTEMPTS = int(os.environ.get("AUTOGRADER_MAX_ATTEMPTS", "3"))
        self.GRADING_SWEEP_SECONDS = float(os.environ.get("AUTOGRADER_SWEEP_SECONDS", "30"))
        self.CELERY_QUEUE = os.environ.get("AUTOGRADER_CELERY_QUEUE", "grading")
        # First sandbox slot (unprivileged uid) of this worker; workers sharing a machine need distinct ranges.
        self.SANDBOX_SLOT = int(os.environ.get("AUTOGRADER_SANDBOX_SLOT", "0"))
        self.SUBMISSION_COOLDOWN_SECONDS = int(os.environ.get("AUTOGRADER_COOLDOWN_SECONDS", "30"))
        self.MAX_CONTENT_LENGTH = int(os.environ.get("AUTOGRADER_MAX_UPLOAD_BYTES", str(1 << 20)))
        self.ALLOW_INSECURE_SANDBOX = _bool("AUTOGRADER_ALLOW_INSECURE_SANDBOX")
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = _bool("AUTOGRADER_SECURE_COOKIES")
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.WTF_CSRF_TIME_LIMIT = None


class TestConfig(Config):
    """Settings for the test suite: a throwaway database, synchronous grading hooks."""

    def __init__(self, instance_path: str | os.PathLike[str], database_url: str) -> None:
        super().__init__(instance_path)
        self.TESTING = True
        self.SECRET_KEY = "test-secret-key"
        self.SQLALCHEMY_DATABASE_URI = database_url
        self.SUBMISSION_COOLDOWN_SECONDS = 0
        self.RATELIMIT_ENABLED = False
