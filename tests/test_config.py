"""One settings module: typed reads, one prefix with the old names as aliases, errors that say what is wanted."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from autograder import config as settings
from autograder.config import Config, SettingsError, assignments_dir, sandbox_options, submit_settings, suite_cache_dir
from autograder.sandbox import SandboxOptions

PACKAGE = Path(__file__).resolve().parents[1] / "autograder"


def test_defaults_are_the_embedded_mode(tmp_path: Path) -> None:
    config = Config(tmp_path, environ={})
    assert config.QUEUE_BACKEND == "embedded" and config.EMBEDDED_WORKERS == 2
    assert config.SQLALCHEMY_DATABASE_URI == f"sqlite:///{tmp_path / 'autograder.sqlite3'}"
    assert config.HIDDEN_SEED is None and config.ALLOW_INSECURE_SANDBOX is False


def test_prefixed_names_win_over_their_aliases(tmp_path: Path) -> None:
    old = Config(tmp_path, environ={"DATABASE_URL": "postgresql+psycopg://a/b", "REDIS_URL": "redis://r:6379/1"})
    assert old.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://a/b" and old.REDIS_URL == "redis://r:6379/1"
    both = Config(tmp_path, environ={"DATABASE_URL": "postgresql://old/x", "AUTOGRADER_DATABASE_URL": "sqlite:///n.db"})
    assert both.SQLALCHEMY_DATABASE_URI == "sqlite:///n.db"


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        (
            "AUTOGRADER_EMBEDDED_WORKERS",
            "two",
            r"AUTOGRADER_EMBEDDED_WORKERS must be a whole number of at least 1 \(got 'two'\)",
        ),
        ("AUTOGRADER_EMBEDDED_WORKERS", "0", r"AUTOGRADER_EMBEDDED_WORKERS must be a whole number of at least 1"),
        ("AUTOGRADER_SWEEP_SECONDS", "soon", r"AUTOGRADER_SWEEP_SECONDS must be a number"),
        ("AUTOGRADER_QUEUE", "rabbit", r"AUTOGRADER_QUEUE must be one of embedded, celery \(got 'rabbit'\)"),
        ("AUTOGRADER_ALLOW_INSECURE_SANDBOX", "sure", r"AUTOGRADER_ALLOW_INSECURE_SANDBOX must be 1/0, true/false"),
        (
            "DATABASE_URL",
            "localhost:5432",
            r"AUTOGRADER_DATABASE_URL \(or DATABASE_URL\) must be a URL of the form "
            r"sqlite://... or postgresql://...",
        ),
        (
            "AUTOGRADER_REDIS_URL",
            "127.0.0.1",
            r"AUTOGRADER_REDIS_URL \(or REDIS_URL\) must be a URL of the form redis://",
        ),
    ],
)
def test_a_malformed_value_names_the_variable_and_the_form(
    tmp_path: Path, name: str, value: str, expected: str
) -> None:
    with pytest.raises(SettingsError, match=expected):
        Config(tmp_path, environ={name: value})


def test_client_and_grade_settings_come_from_the_given_mapping(tmp_path: Path) -> None:
    assert submit_settings({"AUTOGRADER_URL": " http://x ", "AUTOGRADER_TOKEN": "t"}) == ("http://x", "t")
    assert assignments_dir({"AUTOGRADER_ASSIGNMENTS_DIR": str(tmp_path)}) == tmp_path
    assert (assignments_dir({}) / "losses" / "spec.toml").is_file()
    assert suite_cache_dir({"XDG_CACHE_HOME": str(tmp_path)}) == tmp_path / "autograder" / "suites"
    assert suite_cache_dir({"AUTOGRADER_SUITE_CACHE": "0"}) is None


def test_grade_asks_for_one_blas_thread_only_before_numpy_and_unless_the_user_chose() -> None:
    from autograder.config import use_one_blas_thread

    fresh: dict[str, str] = {"HOME": "/home/x"}
    assert use_one_blas_thread(fresh, modules={})
    assert fresh == {"HOME": "/home/x", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    chosen = {"OMP_NUM_THREADS": "4"}
    assert not use_one_blas_thread(chosen, modules={}) and chosen == {"OMP_NUM_THREADS": "4"}
    late: dict[str, str] = {}
    assert not use_one_blas_thread(late, modules={"numpy": object()}) and late == {}


# local_stack hands the whole environment on to the services it launches (it reads no setting).
KNOWN_ELSEWHERE = {"autograder/jobs/local_stack.py"}
READS_ENVIRONMENT = re.compile(r"os\.environ|os\.getenv|getenv\(")


def test_only_the_settings_module_reads_the_environment() -> None:
    readers = set()
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE.parent).as_posix()
        if READS_ENVIRONMENT.search(path.read_text(encoding="utf-8")):
            readers.add(relative)
    assert readers - KNOWN_ELSEWHERE <= {"autograder/config.py"}, readers


def test_sandbox_options_are_read_here_and_checked() -> None:
    options = sandbox_options(
        {
            "AUTOGRADER_SANDBOX_DISABLE_LAYERS": "seccomp, jail_root",
            "AUTOGRADER_ALLOW_INSECURE_SANDBOX": "1",
            "OPENBLAS_CORETYPE": "Haswell",
            "LD_PRELOAD": "/tmp/evil.so",
        }
    )
    assert options.disabled_layers == ("seccomp", "jail_root") and options.allow_insecure
    assert options.machine_environment == (("OPENBLAS_CORETYPE", "Haswell"),)  # nothing else is passed on
    assert sandbox_options({}) == SandboxOptions()
    with pytest.raises(SettingsError, match="AUTOGRADER_SANDBOX_DISABLE_LAYERS must be a comma-separated list"):
        sandbox_options({"AUTOGRADER_SANDBOX_DISABLE_LAYERS": "seccom"})


def test_pooled_connections_are_tested_before_use_on_postgresql_only(tmp_path):
    assert Config(tmp_path, {}).SQLALCHEMY_ENGINE_OPTIONS == {"pool_pre_ping": False}  # the embedded SQLite
    served = Config(tmp_path, {"AUTOGRADER_DATABASE_URL": "postgresql+psycopg://db/grader"})
    assert served.SQLALCHEMY_ENGINE_OPTIONS == {"pool_pre_ping": True}
    assert settings.TestConfig(tmp_path, "postgresql+psycopg://db/t").SQLALCHEMY_ENGINE_OPTIONS == {
        "pool_pre_ping": True
    }
