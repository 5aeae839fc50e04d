"""Honest students get full marks: independent correct solutions, written from the contract only."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.grading.report import Report

SOLUTIONS = Path(__file__).parent / "solutions"
# Files as students hand them in: .py (some with a BOM, CRLF line ends or tabs) and Jupyter notebooks.
SOLUTION_FILES = sorted([*SOLUTIONS.glob("*/*.py"), *SOLUTIONS.glob("*/*.ipynb")])


def failures(report: Report) -> str:
    """Return the failed lines of a report (diagnostics included) with the grader's output."""
    lines = [f"{report.score} / {report.max_score}", *report.messages]
    for test in report.tests:
        if test.status != "passed":
            lines.append(f"--- {test.name} ({test.score}/{test.max_score})\n{test.output}")
    return "\n".join(lines)


def test_every_assignment_has_three_solutions():
    per_assignment: dict[str, int] = {}
    for path in SOLUTION_FILES:
        per_assignment[path.parent.name] = per_assignment.get(path.parent.name, 0) + 1
    assert set(per_assignment) == {"losses", "backprop", "optimizers", "gradient_check", "training"}
    assert min(per_assignment.values()) >= 3, per_assignment


@pytest.mark.parametrize("mode", ["public", "hidden"])
@pytest.mark.parametrize("path", SOLUTION_FILES, ids=lambda path: f"{path.parent.name}/{path.stem if path.suffix == '.py' else path.name}")
def test_correct_solution_gets_full_marks(path: Path, mode: str, grade_file):
    # The file's bytes as saved (BOM, line ends), under its own name.
    report = grade_file(path.parent.name, path.read_bytes(), mode, filename=path.name)
    assert report.full_marks, failures(report)
    # A correct gradient also agrees with its own forward: the 0-point diagnostic lines pass too.
    assert all(test.status == "passed" for test in report.tests), failures(report)
