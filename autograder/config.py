"""Every setting read from the environment, in one place, with safe defaults for the embedded mode.

Only this module reads the environment: the grading engine, the client and the CLI get their
settings from it as parameters. A malformed value raises SettingsError naming the variable and
the expected form. The variables are listed in docs/DEPLOY.md ("Settings").
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, MutableMapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from autograder.sandbox import SandboxOptions


class SettingsError(ValueError):
    """A setting in the environment has the wrong form; the message names the variable and the form."""


PREFIX = "AUTOGRADER_"
# Older, unprefixed names still accepted (the AUTOGRADER_ name wins when both are set).
ALIASES = {
    "AUTOGRADER_DATABASE_URL": "DATABASE_URL",
    "AUTOGRADER_REDIS_URL": "REDIS_URL",
    "AUTOGRADER_RATELIMIT_STORAGE_URI": "RATELIMIT_STORAGE_URI",
    "AUTOGRADER_RATELIMIT_KEY_PREFIX": "RATELIMIT_KEY_PREFIX",
}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class Settings:
    """Typed reads of one environment mapping (default: the process's): every read names its variable."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self.environ = os.environ if environ is None else environ

    def raw(self, name: str) -> str | None:
        """Return the variable's text (or its alias's), or None when neither is set."""
        value = self.environ.get(name)
        if value is None and name in ALIASES:
            value = self.environ.get(ALIASES[name])
        return value

    def text(self, name: str, default: str) -> str:
        value = self.raw(name)
        return default if value is None or not value.strip() else value.strip()

    def integer(self, name: str, default: int, minimum: int | None = None) -> int:
        value = self.raw(name)
        if value is None or not value.strip():
            return default
        try:
            number = int(value.strip())
        except ValueError:
            number = None
        if number is None or (minimum is not None and number < minimum):
            floor = f" of at least {minimum}" if minimum is not None else ""
            raise SettingsError(f"{name} must be a whole number{floor} (got {value!r})")
        return number

    def number(self, name: str, default: float, minimum: float = 0.0) -> float:
        value = self.raw(name)
        if value is None or not value.strip():
            return default
        try:
            number = float(value.strip())
        except ValueError:
            number = None
        if number is None or number != number or number < minimum:
            raise SettingsError(f"{name} must be a number of at least {minimum:g}, such as 30 or 0.5 (got {value!r})")
        return number

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.raw(name)
        if value is None:
            return default
        word = value.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
        raise SettingsError(f"{name} must be 1/0, true/false, yes/no or on/off (got {value!r})")

    def names(self, name: str, choices: tuple[str, ...]) -> tuple[str, ...]:
        """A comma-separated list of words, each one of ``choices`` (empty when unset)."""
        value = self.raw(name) or ""
        words = tuple(word.strip() for word in value.split(",") if word.strip())
        unknown = [word for word in words if word not in choices]
        if unknown:
            raise SettingsError(f"{name} must be a comma-separated list of {', '.join(choices)} (got {value!r})")
        return words

    def choice(self, name: str, default: str, choices: tuple[str, ...]) -> str:
        value = self.text(name, default)
        if value not in choices:
            raise SettingsError(f"{name} must be one of {', '.join(choices)} (got {value!r})")
        return value

    def url(self, name: str, default: str, schemes: tuple[str, ...]) -> str:
        value = self.text(name, default)
        scheme = value.split("://", 1)[0] if "://" in value else ""
        if not scheme or not any(scheme == wanted or scheme.startswith(wanted + "+") for wanted in schemes):
            alias = f" (or {ALIASES[name]})" if name in ALIASES else ""
            forms = " or ".join(f"{wanted}://..." for wanted in schemes)
            raise SettingsError(f"{name}{alias} must be a URL of the form {forms} (got {value!r})")
        return value


def _public_url(env: Settings) -> str:
    """Return AUTOGRADER_PUBLIC_URL without a trailing slash ("" when unset); SettingsError unless http(s)://host[/path]."""
    value = env.text("AUTOGRADER_PUBLIC_URL", "")
    if not value:
        return ""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise SettingsError(
            f"AUTOGRADER_PUBLIC_URL must be the site's address, such as https://grader.example.edu (got {value!r})"
        )
    return value.rstrip("/")


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
    configured = Settings(environ).text("AUTOGRADER_ASSIGNMENTS_DIR", "")
    return Path(configured).expanduser() if configured else bundled_assignments_dir()


def suite_cache_dir(environ: Mapping[str, str] | None = None) -> Path | None:
    """Return the per-user folder where `grade` caches starter kits' decoded suites, or None.

    ``$XDG_CACHE_HOME/autograder/suites`` (default ``~/.cache/autograder/suites``);
    AUTOGRADER_SUITE_CACHE=0 turns the cache off.
    """
    env = Settings(environ)
    if not env.flag("AUTOGRADER_SUITE_CACHE", default=True):
        return None
    base = env.text("XDG_CACHE_HOME", "") or str(Path("~/.cache").expanduser())
    return Path(base) / "autograder" / "suites"


# Thread counts of the BLAS libraries NumPy may be built with (read when NumPy loads).
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def use_one_blas_thread(
    environ: MutableMapping[str, str] | None = None, modules: Mapping[str, object] | None = None
) -> bool:
    """Ask NumPy's BLAS for one thread in this process, unless the user chose a number; True if set.

    For `grade`, which only compares small arrays: BLAS threads would cost their start-up (and
    their spinning) on the core where the sandbox's zygote is starting. Takes effect only if
    called before NumPy is imported (``modules``: sys.modules); once it is, the environment is
    left alone.
    """
    env = os.environ if environ is None else environ
    if "numpy" in (sys.modules if modules is None else modules) or any(name in env for name in BLAS_THREAD_VARIABLES):
        return False
    for name in BLAS_THREAD_VARIABLES:
        env[name] = "1"
    return True


# The sandbox layers an operator may switch off (AUTOGRADER_SANDBOX_DISABLE_LAYERS), see docs/SANDBOX.md.
SANDBOX_LAYERS = ("namespaces", "jail_root", "drop_uid", "seccomp", "user_namespace")
# Passed on to the sandbox's processes: some CPUs need them for OpenBLAS to compute correctly.
OPENBLAS_MACHINE_VARIABLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def sandbox_options(environ: Mapping[str, str] | None = None) -> SandboxOptions:
    """The sandbox's settings: AUTOGRADER_SANDBOX_DISABLE_LAYERS, AUTOGRADER_ALLOW_INSECURE_SANDBOX, OPENBLAS_*."""
    from autograder.sandbox import SandboxOptions

    env = Settings(environ)
    return SandboxOptions(
        disabled_layers=env.names("AUTOGRADER_SANDBOX_DISABLE_LAYERS", SANDBOX_LAYERS),
        allow_insecure=env.flag("AUTOGRADER_ALLOW_INSECURE_SANDBOX"),
        machine_environment=tuple(
            (name, value) for name in OPENBLAS_MACHINE_VARIABLES if (value := env.raw(name)) is not None
        ),
    )


def queue_backend(environ: Mapping[str, str] | None = None) -> str:
    """AUTOGRADER_QUEUE: "embedded" (grading threads in the web process) or "celery" (Celery workers, Redis)."""
    return Settings(environ).choice("AUTOGRADER_QUEUE", "embedded", ("embedded", "celery"))


def submit_settings(environ: Mapping[str, str] | None = None) -> tuple[str, str]:
    """Return (server URL, API token) for `grade --submit` from AUTOGRADER_URL / AUTOGRADER_TOKEN ("" when unset)."""
    env = Settings(environ)
    return env.text("AUTOGRADER_URL", ""), env.text("AUTOGRADER_TOKEN", "")


def engine_options(database_url: str) -> dict[str, Any]:
    """SQLAlchemy's engine options for a database URL."""
    # A pooled PostgreSQL connection can die with its server: each checkout tests it first. A SQLite
    # connection is a file handle nothing can drop, and the test would add a statement to each checkout.
    return {"pool_pre_ping": not database_url.startswith("sqlite")}


class Config:
    """Settings read once from the environment when the app is created (raises SettingsError).

    Every variable has the AUTOGRADER_ prefix; DATABASE_URL, REDIS_URL and RATELIMIT_STORAGE_URI
    are accepted as aliases of AUTOGRADER_DATABASE_URL, AUTOGRADER_REDIS_URL and
    AUTOGRADER_RATELIMIT_STORAGE_URI.
    """

    def __init__(self, instance_path: str | os.PathLike[str], environ: Mapping[str, str] | None = None) -> None:
        instance = Path(instance_path)
        env = Settings(environ)
        self.SECRET_KEY = env.text("AUTOGRADER_SECRET_KEY", "") or _read_secret(instance / "secret_key")
        self.SQLALCHEMY_DATABASE_URI = env.url(
            "AUTOGRADER_DATABASE_URL", f"sqlite:///{instance / 'autograder.sqlite3'}", ("sqlite", "postgresql")
        )
        self.SQLALCHEMY_ENGINE_OPTIONS = engine_options(self.SQLALCHEMY_DATABASE_URI)
        # How new passwords are hashed. Not an environment setting: a deployment always uses scrypt;
        # only the test suite's config lowers the cost (scrypt's ~0.1 s a hash, ~190 hashes a run).
        self.PASSWORD_HASH_METHOD = "scrypt"
        # SQLite (embedded mode) runs in WAL mode; FULL makes every answered commit survive a power cut.
        self.SQLITE_SYNCHRONOUS = env.text("AUTOGRADER_SQLITE_SYNCHRONOUS", "FULL")
        # How long a request waits for another writer's lock before the site answers 503.
        self.SQLITE_BUSY_TIMEOUT_MS = env.integer("AUTOGRADER_SQLITE_BUSY_TIMEOUT_MS", 10000, minimum=0)
        # "embedded": in-process worker pool; "celery": Celery workers with a Redis broker.
        self.QUEUE_BACKEND = queue_backend(environ)
        self.EMBEDDED_WORKERS = env.integer("AUTOGRADER_EMBEDDED_WORKERS", 2, minimum=1)
        self.REDIS_URL = env.url("AUTOGRADER_REDIS_URL", "redis://127.0.0.1:6379/0", ("redis", "rediss"))
        # Rate limits live in Redis in the distributed mode so every gunicorn process and machine
        # shares them; the embedded mode runs one web process, so memory is enough.
        self.RATELIMIT_STORAGE_URI = env.text(
            "AUTOGRADER_RATELIMIT_STORAGE_URI", self.REDIS_URL if self.QUEUE_BACKEND == "celery" else "memory://"
        )
        self.RATELIMIT_KEY_PREFIX = env.text("AUTOGRADER_RATELIMIT_KEY_PREFIX", "autograder")
        # A Redis outage must not turn every limited request into a 500: limits fail open then
        # (the submission itself still answers 503 while the broker is down).
        self.RATELIMIT_SWALLOW_ERRORS = True
        # Failed sign-ins only: per account (whoever tries), and a generous cap per address so a
        # classroom behind one NAT can all sign in while a guesser spraying accounts is slowed.
        self.LOGIN_FAILURES_PER_ACCOUNT = env.text("AUTOGRADER_LOGIN_FAILURES_PER_ACCOUNT", "10 per 15 minutes")
        self.LOGIN_FAILURES_PER_ADDRESS = env.text("AUTOGRADER_LOGIN_FAILURES_PER_ADDRESS", "200 per 15 minutes")
        # Join codes: every attempt per account, wrong codes per address (services/join_throttle.py).
        self.JOIN_ATTEMPTS_PER_ACCOUNT = env.text("AUTOGRADER_JOIN_ATTEMPTS_PER_ACCOUNT", "10 per hour")
        self.JOIN_FAILURES_PER_CLIENT = env.text("AUTOGRADER_JOIN_FAILURES_PER_CLIENT", "100 per hour")
        self.REGISTRATIONS_PER_ADDRESS = env.text("AUTOGRADER_REGISTRATIONS_PER_ADDRESS", "100 per hour")
        self.API_SUBMISSIONS_PER_USER = env.text("AUTOGRADER_API_SUBMISSIONS_PER_USER", "30 per minute")
        # Outgoing mail (password reset links, invitations); without a host, links are shown to copy.
        self.SMTP_HOST = env.text("AUTOGRADER_SMTP_HOST", "")
        self.SMTP_PORT = env.integer("AUTOGRADER_SMTP_PORT", 25, minimum=1)
        self.SMTP_USERNAME = env.text("AUTOGRADER_SMTP_USERNAME", "")
        self.SMTP_PASSWORD = env.text("AUTOGRADER_SMTP_PASSWORD", "")
        self.SMTP_STARTTLS = env.flag("AUTOGRADER_SMTP_STARTTLS")
        self.MAIL_FROM = env.text("AUTOGRADER_MAIL_FROM", "")
        # The site's address as its users reach it (https://grader.example.edu): mailed links are built
        # on it, never on a request's Host header, which whoever asks for someone's reset link chooses.
        self.PUBLIC_URL = _public_url(env)
        if self.SMTP_HOST and not self.PUBLIC_URL:
            raise SettingsError(
                "AUTOGRADER_PUBLIC_URL must be set when AUTOGRADER_SMTP_HOST is: the site's address, "
                "such as https://grader.example.edu (mailed links are built on it)"
            )
        # Reverse proxies in front of the app whose X-Forwarded-* headers are trusted (0: none).
        self.TRUSTED_PROXIES = env.integer("AUTOGRADER_TRUSTED_PROXIES", 0, minimum=0)
        # Seed of the hidden cases; only the server knows it.
        self.HIDDEN_SEED = env.integer("AUTOGRADER_HIDDEN_SEED", 0) or None
        # A claim's lease, renewed every third of it while grading: a dead worker is noticed in seconds.
        self.GRADING_LEASE_SECONDS = env.number("AUTOGRADER_LEASE_SECONDS", 10.0, minimum=0.1)
        self.GRADING_MAX_ATTEMPTS = env.integer("AUTOGRADER_MAX_ATTEMPTS", 3, minimum=1)
        self.GRADING_SWEEP_SECONDS = env.number("AUTOGRADER_SWEEP_SECONDS", 2.0, minimum=0.01)
        # A queued id not claimed for this long is sent again (the broker may have lost it).
        self.GRADING_RESEND_SECONDS = env.number("AUTOGRADER_RESEND_SECONDS", 60.0, minimum=0.1)
        # Every worker process writes a heartbeat this often; /readyz wants one younger than 3 of them.
        self.WORKER_HEARTBEAT_SECONDS = env.number("AUTOGRADER_HEARTBEAT_SECONDS", 3.0, minimum=0.1)
        self.CELERY_QUEUE = env.text("AUTOGRADER_CELERY_QUEUE", "grading")
        # Sandbox slot (unprivileged uid) of this worker: None = the first free one, found by a lock
        # file per slot in SANDBOX_RUNTIME_DIR; a number forces that slot (pool process i: slot + i).
        slot = env.integer("AUTOGRADER_SANDBOX_SLOT", -1, minimum=-1)
        self.SANDBOX_SLOT = slot if slot >= 0 else None
        self.SANDBOX_RUNTIME_DIR = env.text("AUTOGRADER_RUNTIME_DIR", "")
        self.SANDBOX_SLOTS = env.integer("AUTOGRADER_SANDBOX_SLOTS", 64, minimum=1)
        # Port of a Celery worker's own /metrics (pool process i: port + i); 0 switches it off.
        self.WORKER_METRICS_PORT = env.integer("AUTOGRADER_WORKER_METRICS_PORT", 9100, minimum=0)
        # When set, /metrics wants "Authorization: Bearer <token>" (Prometheus' authorization.credentials).
        self.METRICS_TOKEN = env.text("AUTOGRADER_METRICS_TOKEN", "")
        # "json": one JSON object per log line (with the submission id); "text": plain lines.
        self.LOG_FORMAT = env.text("AUTOGRADER_LOG_FORMAT", "text")
        # Counted from the end of the grading of the student's previous submission to the assignment.
        self.SUBMISSION_COOLDOWN_SECONDS = env.integer("AUTOGRADER_COOLDOWN_SECONDS", 30, minimum=0)
        # The whole upload: a Jupyter notebook with stored images can be large (its code is held to the
        # assignment's max_file_bytes; grading/notebook.py caps a whole notebook at 40 MiB).
        self.MAX_CONTENT_LENGTH = env.integer("AUTOGRADER_MAX_UPLOAD_BYTES", 41 << 20, minimum=1)
        self.ALLOW_INSECURE_SANDBOX = env.flag("AUTOGRADER_ALLOW_INSECURE_SANDBOX")
        # Layers switched off on purpose and the OpenBLAS variables passed on (docs/SANDBOX.md).
        self.SANDBOX_OPTIONS = sandbox_options(environ)
        # Not a setting: executors a program building many apps in one process opened once and
        # lends to each app's embedded grading threads (autograder.jobs.executors.lent_executor).
        self.EMBEDDED_LENT_EXECUTORS: tuple = ()
        # Multiplies every grading time limit and submission budget (derived from the reference's own
        # time, docs/SANDBOX.md): for machines much slower or busier than the one the limits suit.
        self.GRADING_TIME_SCALE = env.number("AUTOGRADER_TIME_LIMIT_SCALE", 1.0, minimum=0.1)
        # Index graded submissions for code similarity automatically, in low-priority background
        # batches after grading (never inside it); off: the similarity pages and the command index
        # the backlog when staff ask.
        self.SIMILARITY_AFTER_GRADING = env.flag("AUTOGRADER_SIMILARITY_AFTER_GRADING", True)
        # How often the background indexer looks for graded submissions a request missed (a crash).
        self.SIMILARITY_SWEEP_SECONDS = env.number("AUTOGRADER_SIMILARITY_SWEEP_SECONDS", 30.0, minimum=0.01)
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = env.flag("AUTOGRADER_SECURE_COOKIES")
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        # "Keep me signed in" is a sign-in for a year: never sent over plain http where sessions are not.
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        self.WTF_CSRF_TIME_LIMIT = None


class TestConfig(Config):
    """Settings for the test suite: a throwaway database, synchronous grading hooks."""

    def __init__(self, instance_path: str | os.PathLike[str], database_url: str) -> None:
        super().__init__(instance_path)
        self.TESTING = True
        self.SECRET_KEY = "test-secret-key"
        self.PUBLIC_URL = "http://localhost"  # the test client's host: tests that mail links read them there
        self.SQLALCHEMY_DATABASE_URI = database_url
        self.SQLALCHEMY_ENGINE_OPTIONS = engine_options(database_url)
        self.SUBMISSION_COOLDOWN_SECONDS = 0
        self.RATELIMIT_ENABLED = False
        self.PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"


def logging_settings(environ: Mapping[str, str] | None = None) -> tuple[str, str]:
    """The log format ("text" or "json") and level of processes started without an app."""
    env = Settings(environ)
    return env.text("AUTOGRADER_LOG_FORMAT", "text"), env.text("AUTOGRADER_LOG_LEVEL", "INFO")


def gradescope_settings(environ: Mapping[str, str] | None = None) -> tuple[str, int, bool]:
    """Inside a Gradescope container: the autograder root, the sandbox slot, and whether reduced isolation is allowed."""
    env = Settings(environ)
    return (
        env.text("AUTOGRADER_GRADESCOPE_ROOT", "/autograder"),
        env.integer("AUTOGRADER_SANDBOX_SLOT", 0, minimum=0),
        env.flag("AUTOGRADER_ALLOW_INSECURE_SANDBOX"),
    )
