"""The `autograder` command line: Flask's CLI machinery, a help that builds no app, the db commands."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from autograder.cli import main
from autograder.cli.service import ROLES
from autograder import config as settings

WEB_STACK = (
    "autograder.app",
    "autograder.web",
    "autograder.models",
    "autograder.services",
    "sqlalchemy",
    "flask_sqlalchemy",
    "flask_migrate",
    "alembic",
    "celery",
    "flask_login",
    "flask_wtf",
    "flask_limiter",
    "gunicorn",
)


def test_help_lists_every_command_and_imports_no_web_stack() -> None:
    probe = (
        "import sys\nfrom click.testing import CliRunner\nfrom autograder.cli import main\n"
        "result = CliRunner().invoke(main, ['--help'])\nassert result.exit_code == 0, result.output\n"
        "print(result.output)\nprint('MODULES', ' '.join(sorted(sys.modules)))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    help_text, modules = result.stdout.split("MODULES ")
    loaded = set(modules.split())
    assert not {name for name in loaded if name.startswith(WEB_STACK)}, "--help imported the web stack"
    for command in (
        "kit",
        "selfcheck",
        "mistakes",
        "db",
        "create-course",
        "create-user",
        "import-roster",
        "token",
        "sync-assignments",
        "demo",
        "serve",
        "worker",
        "sweep",
    ):
        assert f"  {command} " in help_text


def test_roles_match_the_model() -> None:
    from autograder.models import Role

    assert ROLES == tuple(role.value for role in Role)


def test_db_upgrade_current_check_downgrade(tmp_path: Path, monkeypatch) -> None:
    from autograder.app import create_app

    database = tmp_path / "cli.sqlite3"
    app = create_app(settings.TestConfig(tmp_path, f"sqlite:///{database}"))
    runner = app.test_cli_runner()
    upgraded = runner.invoke(main, ["db", "upgrade"])
    assert upgraded.exit_code == 0 and "database is up to date" in upgraded.output, upgraded.output
    checked = runner.invoke(main, ["db", "check"])
    assert checked.exit_code == 0 and "the migrations match the models" in checked.output, checked.output
    current = runner.invoke(main, ["db", "current"])
    assert current.exit_code == 0, current.output
    down = runner.invoke(main, ["db", "downgrade", "base"])
    assert down.exit_code == 0 and "downgraded to base" in down.output, down.output
    import sqlite3

    with sqlite3.connect(database) as connection:
        tables = {row[0] for row in connection.execute("select name from sqlite_master where type='table'")}
    assert tables <= {"alembic_version"}


def test_a_malformed_setting_is_a_readable_error(monkeypatch) -> None:
    monkeypatch.setenv("AUTOGRADER_EMBEDDED_WORKERS", "many")
    result = CliRunner().invoke(main, ["token", "someone@example.edu"])
    assert result.exit_code != 0
    assert "AUTOGRADER_EMBEDDED_WORKERS must be a whole number" in result.output
    assert "Traceback" not in result.output


SCHEMA_TOOLS = ("flask_migrate", "alembic", "mako")


def test_only_the_schema_commands_load_alembic(tmp_path: Path) -> None:
    # Flask-Migrate brings Alembic and Mako (and Mako's Pygments lexers): not into every web, worker and command process.
    import os
    import shutil

    environment = {
        **os.environ,
        "AUTOGRADER_DATABASE_URL": f"sqlite:///{tmp_path / 'schema.sqlite3'}",
        "AUTOGRADER_SECRET_KEY": "schema-test",
    }
    probe = (
        "import sys\nfrom autograder.app import create_app\ncreate_app()\n"
        f"print(sorted(name for name in {SCHEMA_TOOLS!r} if name in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], env=environment, capture_output=True, text=True, timeout=120, check=False
    )
    assert loaded.returncode == 0 and loaded.stdout.strip() == "[]", loaded.stdout + loaded.stderr

    # Under `flask --app`, `db` is Flask-Migrate's whole group (its authoring commands too), loaded on use.
    flask = shutil.which("flask", path=os.path.dirname(sys.executable))
    assert flask is not None
    for arguments, expected in ((["upgrade"], ""), (["current"], "(head)"), (["heads"], "(head)")):
        result = subprocess.run(
            [flask, "--app", "autograder.app:create_app", "db", *arguments],
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0 and expected in result.stdout, result.stdout + result.stderr
