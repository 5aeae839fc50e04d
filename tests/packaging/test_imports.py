"""What a student's `grade` loads: its core only, never the server stack."""

from __future__ import annotations

import subprocess
import sys

import pytest

SERVER_PACKAGES = (
    "flask",
    "werkzeug",
    "sqlalchemy",
    "flask_sqlalchemy",
    "flask_migrate",
    "alembic",
    "celery",
    "kombu",
    "redis",
    "psycopg",
    "gunicorn",
    "markdown",
    "requests",
    "jinja2",
)


def imported_top_levels(code: str) -> set[str]:
    probe = f"{code}\nimport sys\nprint(' '.join(sorted({{name.split('.')[0] for name in sys.modules}})))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return set(result.stdout.split())


@pytest.mark.parametrize(
    "code",
    [
        "import autograder.cli.grade",
        "import autograder.client",
        "from autograder.grading import engine, bundle, render, report, selfcheck",
        "import autograder.sandbox.zygote",
    ],
)
def test_student_code_paths_import_no_server_package(code: str) -> None:
    assert imported_top_levels(code) & set(SERVER_PACKAGES) == set()
