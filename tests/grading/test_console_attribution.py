"""What a student's code printed is shown under the function that printed it, and nowhere else."""

from __future__ import annotations

from pathlib import Path

from autograder.grading.assignment import find_assignment
from autograder.grading.engine import grade_source

REFERENCE = (Path(__file__).resolve().parents[2] / "assignments" / "losses" / "reference.py").read_text()


def _outputs(report, function):
    return "\n".join(test.output for test in report.tests if test.function == function)


def test_a_warning_printed_by_one_function_is_not_shown_under_another(executor):
    source = REFERENCE + '''
print("loading the file")
_real_softmax, _real_mse = softmax, mse

def softmax(*args, **kwargs):
    print("softmax-warning: overflow")
    return _real_softmax(*args, **kwargs)

def mse(*args, **kwargs):
    return _real_mse(*args, **kwargs) * 2  # wrong, and silent
'''
    report = grade_source(find_assignment("losses"), source.encode(), executor)
    assert report.function_score("mse") < find_assignment("losses").spec.function("mse").points
    assert "softmax-warning" not in _outputs(report, "mse")
    assert "loading the file" not in _outputs(report, "mse")


def test_a_function_that_fails_shows_what_it_printed(executor):
    source = REFERENCE + '''
_real = mse

def mse(*args, **kwargs):
    print("mse-debug: shapes", args[0].shape)
    return _real(*args, **kwargs) + 1.0
'''
    report = grade_source(find_assignment("losses"), source.encode(), executor)
    assert "mse-debug: shapes" in _outputs(report, "mse")
