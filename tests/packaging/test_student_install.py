"""A student's `pip install` of the wheel: few packages, any NumPy from 1.26 on, the same verdicts."""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path

import pytest

from autograder.grading.assignment import find_assignment
from autograder.grading.kit import write_kit

# On one worker (scripts/test runs pytest-xdist): the wheel and the two venvs are made once.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1500), pytest.mark.xdist_group("student-install")]

MAX_STUDENT_PACKAGES = 10
NUMPY_VERSIONS = {"oldest": "numpy==1.26.4", "newest": "numpy>=2"}
# What a student's fresh virtual environment may hold before they install anything.
VENV_BASELINE = {"pip", "setuptools", "wheel"}


def test_the_wheel_holds_no_assignment(student_wheel: Path) -> None:
    names = zipfile.ZipFile(student_wheel).namelist()
    # No reference solution, case generator or named mistake of any assignment (the engine's own
    # autograder/grading/cases.py and mistakes.py are the authoring API, not an assignment's).
    assert not [name for name in names if name.endswith(("/reference.py", "/spec.toml", "/starter.py"))]
    assert not [name for name in names if "assignments/" in name]
    assert "autograder/cli/grade.py" in names


@pytest.fixture(scope="module")
def graded(student_wheel: Path, tmp_path_factory: pytest.TempPathFactory, tools) -> dict[str, dict]:
    """Grade a starter kit's starter and the reference in one fresh venv per NumPy version."""
    work = tmp_path_factory.mktemp("student")
    losses = find_assignment("losses")
    write_kit(losses, work / "losses-kit")
    (work / "right.py").write_text(losses.reference_source)
    (work / "starter.py").write_text(losses.starter)
    # The student keeps a folder named after the assignment: it must not get in the way.
    (work / "losses").mkdir()
    results = {}
    for label, numpy_requirement in NUMPY_VERSIONS.items():
        env = tools.make_env(work / f"venv-{label}")
        env.pip(str(student_wheel), numpy_requirement)
        packages = env.packages()
        reports = {}
        for name in ("right", "starter"):
            outcome = run_grade(env, work, ["./losses-kit", f"{name}.py", "--json"])
            reports[name] = (outcome.returncode, json.loads(outcome.stdout))
        text = run_grade(env, work, ["./losses-kit", "right.py"])
        operator_help = subprocess.run(
            [str(env.bin / "autograder"), "--help"], cwd=work, capture_output=True, text=True, timeout=120
        )
        results[label] = {"packages": packages, "reports": reports, "text": text, "autograder": operator_help}
    return results


def run_grade(env, work: Path, args: list[str]):
    return subprocess.run(
        [str(env.bin / "grade"), *args],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": f"{env.bin}:/usr/bin:/bin", "HOME": str(work)},
    )


def verdicts(report: dict) -> list[tuple]:
    return [(test["name"], test["score"], test["max_score"], test["status"]) for test in report["tests"]]


def test_few_packages_and_the_numpy_asked_for(graded: dict[str, dict]) -> None:
    for label, result in graded.items():
        installed = set(result["packages"]) - VENV_BASELINE
        assert len(installed) <= MAX_STUDENT_PACKAGES, (label, sorted(installed))
        assert not installed & {"flask", "sqlalchemy", "celery", "gunicorn", "psycopg", "requests"}
    assert graded["oldest"]["packages"]["numpy"] == "1.26.4"
    assert int(graded["newest"]["packages"]["numpy"].split(".")[0]) >= 2


def test_full_marks_and_identical_verdicts_under_both_numpys(graded: dict[str, dict]) -> None:
    for label, result in graded.items():
        code, right = result["reports"]["right"]
        assert code == 0 and right["score"] == right["max_score"] == 35, label
        code, starter = result["reports"]["starter"]
        assert code == 1 and starter["score"] == 0, label
        assert result["text"].returncode == 0 and "Traceback" not in result["text"].stderr, label
    for name in ("right", "starter"):
        assert verdicts(graded["oldest"]["reports"][name][1]) == verdicts(graded["newest"]["reports"][name][1])


def test_autograder_without_the_server_extra_offers_the_authoring_commands(graded: dict[str, dict]) -> None:
    for result in graded.values():
        shown = result["autograder"]
        assert shown.returncode == 0, shown.stderr
        assert "autograder[server]" in shown.stdout
        assert all(f"  {name} " in shown.stdout for name in ("kit", "selfcheck", "mistakes"))
        assert "  serve " not in shown.stdout
