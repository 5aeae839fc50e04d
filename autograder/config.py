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
        # SQLite (embedded mode) runs in WAL mode; FULL makes every answered commit survive a power cut.
        self.SQLITE_SYNCHRONOUS = os.environ.get("AUTOGRADER_SQLITE_SYNCHRONOUS", "FULL")
        # "embedded": in-process worker pool; "celery": Celery workers with a Redis broker.
        self.QUEUE_BACKEND = os.environ.get("AUTOGRADER_QUEUE", "embedded")
        self.EMBEDDED_WORKERS = int(os.environ.get("AUTOGRADER_EMBEDDED_WORKERS", "2"))
        self.REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
        self.RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
        # Seed of the hidden cases; only the server knows it.
        self.HIDDEN_SEED = int(os.environ.get("AUTOGRADER_HIDDEN_SEED", "0")) or None
        # A claim's lease, renewed every third of it while grading: a dead worker is noticed in seconds.
        self.GRADING_LEASE_SECONDS = float(os.environ.get("AUTOGRADER_LEASE_SECONDS", "10"))
        self.GRADING_MAX_ATTEMPTS = int(os.environ.get("AUTOGRADER_MAX_ATTEMPTS", "3"))
        self.GRADING_SWEEP_SECONDS = float(os.environ.get("AUTOGRADER_SWEEP_SECONDS", "2"))
        # A queued id not claimed for this long is sent again (the broker may have lost it).
        self.GRADING_RESEND_SECONDS = float(os.environ.get("AUTOGRADER_RESEND_SECONDS", "60"))
        # Every worker process writes a heartbeat this often; /readyz wants one younger than 3 of them.
        self.WORKER_HEARTBEAT_SECONDS = float(os.environ.get("AUTOGRADER_HEARTBEAT_SECONDS", "3"))
        self.CELERY_QUEUE = os.environ.get("AUTOGRADER_CELERY_QUEUE", "grading")
        # Sandbox slot (unprivileged uid) of this worker: None = the first free one, found by a lock
        # file per slot in SANDBOX_RUNTIME_DIR; a number forces that slot (pool process i: slot + i).
        slot = os.environ.get("AUTOGRADER_SANDBOX_SLOT", "").strip()
        self.SANDBOX_SLOT = int(slot) if slot else None
        self.SANDBOX_RUNTIME_DIR = os.environ.get("AUTOGRADER_RUNTIME_DIR", "")
        self.SANDBOX_SLOTS = int(os.environ.get("AUTOGRADER_SANDBOX_SLOTS", "64"))
        # Port of a Celery worker's own /metrics (pool process i: port + i); 0 switches it off.
        self.WORKER_METRICS_PORT = int(os.environ.get("AUTOGRADER_WORKER_METRICS_PORT", "9100"))
        # When set, /metrics wants "Authorization: Bearer <token>" (Prometheus' authorization.credentials).
        self.METRICS_TOKEN = os.environ.get("AUTOGRADER_METRICS_TOKEN", "")
        # "json": one JSON object per log line (with the submission id); "text": plain lines.
        self.LOG_FORMAT = os.environ.get("AUTOGRADER_LOG_FORMAT", "text")
        # Counted from the end of the grading of the student's previous submission to the assignment.
        self.SUBMISSION_COOLDOWN_SECONDS = int(os.environ.get("AUTOGRADER_COOLDOWN_SECONDS", "30"))
        # The whole upload: a Jupyter notebook with stored images can be large (its code is held to the
        # assignment's max_file_bytes; grading/notebook.py caps a whole notebook at 40 MiB).
        self.MAX_CONTENT_LENGTH = int(os.environ.get("AUTOGRADER_MAX_UPLOAD_BYTES", str(41 << 20)))
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
