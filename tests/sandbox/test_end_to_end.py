"""Hostile functions inside an otherwise correct `losses` submission, graded through the engine."""

from __future__ import annotations

from pathlib import Path

import pytest

engine = pytest.importorskip("autograder.grading.engine")
assignment_module = pytest.importorskip("autograder.grading.assignment")

HOSTILE_MSE = {
    "exits": "def mse(y_pred, y_true):\n    import os\n    os._exit(0)\n",
    "loops": "def mse(y_pred, y_true):\n    while True:\n        pass\n",
    # {reference} is this checkout's own reference file, wherever the checkout lives.
    "reads the reference": "def mse(y_pred, y_true):\n    return open({reference!r}).read()\n",
}


@pytest.mark.parametrize("attack", list(HOSTILE_MSE), ids=list(HOSTILE_MSE))
def test_hostile_function_scores_zero_others_full(attack: str, sandbox) -> None:
    assignment = assignment_module.find_assignment("losses")
    reference = str(assignment_module.assignments_root() / "losses" / "reference.py")
    assert Path(reference).is_file()
    source = assignment.reference_source + "\n\n" + HOSTILE_MSE[attack].format(reference=reference)
    report = engine.grade_source(assignment, source.encode(), sandbox)
    by_function: dict[str, list] = {}
    for test in report.tests:
        by_function.setdefault(test.function, []).append(test)
    assert sum(test.score for test in by_function["mse"]) == 0
    for function, tests in by_function.items():
        if function not in ("mse", ""):
            assert all(test.score == test.max_score for test in tests), (function, tests)
