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
        "from autograder.grading import engine, kit, render, report, selfcheck",
        "import autograder.sandbox.zygote",
    ],
)
def test_student_code_paths_import_no_server_package(code: str) -> None:
    assert imported_top_levels(code) & set(SERVER_PACKAGES) == set()


def test_the_grade_script_starts_the_zygote_before_loading_numpy() -> None:
    # autograder.grade_script launches the zygote with these before anything else: the zygote's
    # start overlaps with grade's own imports only if nothing heavy comes along with them.
    loaded = imported_top_levels("import autograder.grade_script, autograder.sandbox, autograder.sandbox.launch")
    assert loaded & {"numpy", "click", "rich", "nbformat"} == set()


def test_grading_a_python_file_loads_no_notebook_reader_or_package_metadata() -> None:
    probe = (
        "from autograder.grading import engine, kit, render, report\nimport sys\nprint(' '.join(sorted(sys.modules)))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    loaded = set(result.stdout.split())
    assert loaded & {"nbformat", "jsonschema", "importlib.metadata"} == set()
