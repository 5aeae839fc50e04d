"""A check that fails on hidden cases only is marked hidden: the service shows why when the course says so."""

from __future__ import annotations

import hashlib

from autograder.grading.assignment import find_assignment
from autograder.grading.prepare import prepare_suite
from autograder.grading.report import HIDDEN, VISIBLE

HIDDEN_SEED = 5150


def _public_mse_inputs(losses) -> list[str]:
    """The sha256 of each public case's y_pred for mse: a file can tell public calls from hidden ones by them."""
    (mse,) = [function for function in prepare_suite(losses).functions if function.name == "mse"]
    return sorted({hashlib.sha256(call.args[0].tobytes()).hexdigest() for call in mse.calls if call.function == "mse"})


def test_only_checks_failing_on_hidden_cases_alone_are_marked_hidden(grade):
    losses = find_assignment("losses")
    seen = _public_mse_inputs(losses)
    # Right on exactly the public inputs, wrong on any other: passes the public cases, fails the hidden ones.
    source = losses.reference_source + f"""

import hashlib as _hashlib
_PUBLIC = {seen!r}
_right_mse = mse


def mse(y_pred, y_true):
    if _hashlib.sha256(np.asarray(y_pred).tobytes()).hexdigest() in _PUBLIC:
        return _right_mse(y_pred, y_true)
    return 0.0


def mse_grad(y_pred, y_true):
    return 0.0 * y_pred  # wrong on public cases too
"""
    report = grade(losses, source, mode="hidden", hidden_seed=HIDDEN_SEED)
    by_name = {test.name: test for test in report.tests}
    hidden_only = [test for test in report.tests if test.function == "mse" and test.kind == "values"]
    assert hidden_only and all(test.status == "failed" and test.visibility == HIDDEN for test in hidden_only)
    assert by_name["mse_grad: random shapes"].status == "failed"
    assert by_name["mse_grad: random shapes"].visibility == VISIBLE  # a public case fails too
    assert all(test.visibility == VISIBLE for test in report.tests if test.status == "passed")
    public_report = grade(losses, source)
    assert public_report.function_score("mse") == 4  # the public cases alone: nothing to hide


def test_a_hidden_case_cut_short_by_time_says_so(grade):
    # Right and quick on the public inputs, slow on any other: the hidden unit runs out of time. The
    # kind of failure is the student's to know ("Hidden cases tell the kind of failure only"); "a
    # call it depends on failed" sent a student looking for a bug in a function that has none.
    losses = find_assignment("losses")
    seen = _public_mse_inputs(losses)
    source = losses.reference_source + f"""

import hashlib as _hashlib
import time as _time
_PUBLIC = {seen!r}
_right_mse = mse


def mse(y_pred, y_true):
    if _hashlib.sha256(np.asarray(y_pred).tobytes()).hexdigest() not in _PUBLIC:
        _time.sleep(60)
    return _right_mse(y_pred, y_true)
"""
    report = grade(losses, source, mode="hidden", hidden_seed=HIDDEN_SEED)
    failed = [test for test in report.tests if test.function == "mse" and test.kind == "values"]
    assert failed and all(test.status == "failed" for test in failed)
    for test in failed:
        assert "ran out of time" in test.output, test.output
        assert "a call it depends on failed" not in test.output, test.output
