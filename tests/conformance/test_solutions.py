"""Honest students get full marks: independent correct solutions, written from the contract only."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.grading.assignment import find_assignment
from autograder.grading.engine import grade_source
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


# Hidden draws on which a correct file once lost points: (assignment, style, hidden seed).
# losses seed 100: cross_entropy_grad's row [-3899.0, -3873.4] (label 1, N=8) cancels softmax - 1 to
# exactly -2**-40 after / N, taken for float32 precision (0/2 for "numerical stability").
# gradient_check seed 101: the steep exponential at the default h, x perturbed by +h, -2h, +h: the
# relative error came out 1.2% off the reference's by rounding of f (0/1 for "step size h").
ONCE_FAILED_HIDDEN_DRAWS = [
    ("losses", "vectorised", 100),
    ("losses", "dataclass_settings", 100),
    ("gradient_check", "add_subtract", 101),
]


@pytest.mark.parametrize("assignment_name, style, seed", ONCE_FAILED_HIDDEN_DRAWS,
                         ids=[f"{name}/{style}@{seed}" for name, style, seed in ONCE_FAILED_HIDDEN_DRAWS])
def test_correct_solution_gets_full_marks_on_draws_that_once_failed(assignment_name: str, style: str, seed: int,
                                                                    executor):
    path = SOLUTIONS / assignment_name / f"{style}.py"
    report = grade_source(find_assignment(assignment_name), path.read_bytes(), executor, mode="hidden",
                          hidden_seed=seed, filename=path.name)
    assert report.full_marks, failures(report)
