"""Configuration from the environment, with safe defaults for the embedded mode."""

from __future__ import annotations

import os
from collections.abc import Mapping
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


def bundled_assignments_dir() -> Path:
    """Return the assignments that come with this installation.

    In a checkout (editable install) that is the checkout's assignments/ folder; in a
    non-editable install, the companion distribution `autograder-assignments` (assignments/ of
    the repository, installed beside the package on servers only: the student wheel carries no
    reference solution).
    """
    checkout = Path(__file__).resolve().parents[1]
    if (checkout / "pyproject.toml").is_file() and (checkout / "assignments").is_dir():
        return checkout / "assignments"
    import importlib.util

    spec = importlib.util.find_spec("autograder_assignments")
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return checkout / "assignments"


def assignments_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Return the assignments folder: AUTOGRADER_ASSIGNMENTS_DIR, else the bundled assignments."""
    configured = (os.environ if environ is None else environ).get("AUTOGRADER_ASSIGNMENTS_DIR", "").strip()
    return Path(configured).expanduser() if configured else bundled_assignments_dir()


def suite_cache_dir(environ: Mapping[str, str] | None = None) -> Path | None:
    """Return the per-user folder where `grade` caches starter kits' decoded suites, or None.

    ``$XDG_CACHE_HOME/autograder/suites`` (default ``~/.cache/autograder/suites``);
    AUTOGRADER_SUITE_CACHE=0 turns the cache off.
    """
    environ = os.environ if environ is None else environ
    if environ.get("AUTOGRADER_SUITE_CACHE", "1").strip().lower() in {"0", "false", "no", "off"}:
        return None
    base = environ.get("XDG_CACHE_HOME", "").strip() or str(Path("~/.cache").expanduser())
    return Path(base) / "autograder" / "suites"


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
        self.RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
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
