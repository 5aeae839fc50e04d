"""The engine end to end on the toy assignment: scores, partial credit, robustness, feedback."""

from __future__ import annotations

import dataclasses

import pytest

from autograder.grading.mistakes import variant_source
from autograder.grading.prepare import prepare_suite

VECTORISED_DIFFERENTLY = '''
import numpy as np

def scale(x, factor):
    return np.einsum("...,->...", x, factor)

def square_loss(y_pred, y_true):
    d = (y_pred - y_true).ravel()
    return np.dot(d, d) / d.size

def square_loss_grad(y_pred, y_true):
    out = np.empty_like(y_pred)
    for index in np.ndindex(y_pred.shape):
        out[index] = 2 * (y_pred[index] - y_true[index]) / y_pred.size
    return out

def linear_forward(x, w):
    return np.einsum("nd,dm->nm", x, w), {"x": x, "w": w}

def linear_backward(dout, cache):
    return np.einsum("nm,dm->nd", dout, cache["w"]), np.einsum("nd,nm->dm", cache["x"], dout)

def apply_twice(f, x):
    once = f(x)
    return f(once)
'''


def _function_scores(report):
    return {function: report.function_score(function) for function in {test.function for test in report.tests}}


def test_reference_gets_full_marks(toy, grade):
    report = grade(toy, toy.reference_source)
    assert report.full_marks and report.score == report.max_score == 12


def test_other_styles_get_full_marks(toy, grade):
    report = grade(toy, VECTORISED_DIFFERENTLY)
    assert report.full_marks, [test.output for test in report.tests if test.status != "passed"]


def test_starter_scores_zero(toy, grade):
    report = grade(toy, toy.starter)
    assert report.score == 0 and all(test.status == "failed" for test in report.tests)
    assert "NotImplementedError" in report.tests[0].output


@pytest.mark.parametrize("index", range(3))
def test_each_mistake_loses_only_its_function(toy, grade, index):
    mistake = toy.mistakes[index]
    report = grade(toy, variant_source(toy, mistake))
    scores = _function_scores(report)
    reference = {function.name: function.points for function in toy.functions}
    assert scores[mistake.function] < reference[mistake.function]
    assert {name: score for name, score in scores.items() if name != mistake.function} == \
        {name: points for name, points in reference.items() if name != mistake.function}


def test_modifying_an_argument_loses_only_the_unchanged_share(toy, grade):
    report = grade(toy, variant_source(toy, toy.mistakes[0]))
    assert report.function_score("scale") == 1.5  # weights 3:1 of 2 points
    unchanged = next(test for test in report.tests if test.name == "scale: arguments unchanged")
    assert "argument x was modified" in unchanged.output and "(work on a copy)" in unchanged.output


def test_failed_value_feedback_shows_call_shapes_and_errors(toy, grade):
    report = grade(toy, variant_source(toy, toy.mistakes[1]))
    failed = next(test for test in report.tests if test.name == "square_loss: random shapes")
    assert "square_loss(y_pred: (5,), y_true: (5,))" in failed.output
    assert "[case: shape (5,)]" in failed.output and "max relative error" in failed.output
    assert "2 of 2 cases failed" in failed.output


def test_gradcheck_line_is_diagnostic(toy, grade):
    source = toy.reference_source.replace("return dout @ w.T, x.T @ dout", "return dout @ w.T, 2 * x.T @ dout")
    report = grade(toy, source)
    line = next(test for test in report.tests if test.name == "linear_backward: agrees with your linear_forward")
    assert line.max_score == 0 and line.status == "failed"
    assert "your backward disagrees with your own forward" in line.output


def _with(toy, function: str, body: str) -> str:
    return toy.reference_source + f"\n\ndef {function}(*args, **kwargs):\n    {body}\n"


@pytest.mark.parametrize("body, expected", [
    ("raise ValueError('boom')", "raised ValueError: boom"),
    ("while True: pass", "time limit"),
    ("import sys; sys.exit(3)", "ended the process"),
])
def test_a_broken_function_fails_alone(toy, grade, body, expected):
    report = grade(toy, _with(toy, "square_loss", body))
    assert report.function_score("square_loss") == 0
    assert report.score == report.max_score - 2
    assert expected in next(test for test in report.tests if test.function == "square_loss").output


def test_print_output_is_shown_truncated(toy, grade):
    report = grade(toy, _with(toy, "square_loss", "print('debug ' * 1000); return 0.0"))
    failed = next(test for test in report.tests if test.function == "square_loss")
    assert "your code printed:" in failed.output and len(failed.output) < 3000


def test_hidden_mode_adds_cases_and_hides_their_data(toy, grade):
    public = prepare_suite(toy, "public")
    hidden = prepare_suite(toy, "hidden", hidden_seed=99)
    assert len(hidden.functions[1].checks[0].value_cases) == 2 * len(public.functions[1].checks[0].value_cases)
    assert prepare_suite(toy, "hidden", hidden_seed=99) is hidden  # cached
    report = grade(toy, _with(toy, "square_loss", "return 0.0"), mode="hidden", hidden_seed=99)
    assert report.mode == "hidden" and report.function_score("scale") == 2
    report = grade(toy, _with(toy, "scale", "import numpy as np; return np.zeros_like(args[0])"), mode="hidden",
                   hidden_seed=99)
    # Zeros leave the argument unchanged, but a function that earns on no value check earns nothing.
    assert report.function_score("scale") == 0
    unchanged = next(test for test in report.tests if test.name == "scale: arguments unchanged")
    assert unchanged.output.startswith("no points for leaving the arguments unchanged")
    with pytest.raises(ValueError):
        grade(toy, toy.reference_source, mode="hidden")


def test_hidden_case_feedback_reveals_no_inputs(toy, grade):
    hidden = prepare_suite(toy, "hidden", hidden_seed=7)
    hidden_cases = [case for case in hidden.functions[1].checks[0].value_cases if case.hidden]
    assert hidden_cases and all(case.descriptions == [""] and case.label == "" for case in hidden_cases)
    report = grade(toy, _with(toy, "square_loss", "return -1.0"), mode="hidden", hidden_seed=7)
    assert report.function_score("square_loss") == 0
    hidden_failure = [test.output for test in report.tests if test.function == "square_loss"][0]
    assert "a hidden case failed" in hidden_failure or "[case:" in hidden_failure


def test_on_result_streams_every_test(toy, grade):
    seen = []
    report = grade(toy, toy.reference_source, on_result=seen.append)
    assert seen == report.tests


def test_report_json_is_gradescope_shaped(toy, grade):
    data = grade(toy, variant_source(toy, toy.mistakes[1])).to_json()
    assert {"score", "max_score", "tests", "assignment", "grader_version"} <= set(data)
    assert data["assignment"] == "toy" and data["max_score"] == 12 and data["score"] == 10
    for test in data["tests"]:
        assert {"name", "function", "score", "max_score", "status", "output", "visibility"} <= set(test)
        assert test["status"] in ("passed", "failed") and test["name"].startswith(test["function"] + ": ")
    assert sum(test["max_score"] for test in data["tests"]) == pytest.approx(12)


def test_grader_version_is_the_installed_package_version():
    # report.grader_version reads autograder.__version__ (fast); it must be what pip installed.
    from importlib import metadata

    import autograder
    from autograder.grading.report import grader_version

    assert autograder.__version__ == metadata.version("autograder")
    assert grader_version("abcdef0123456789") == f"{metadata.version('autograder')}+abcdef012345"


def test_wrong_returned_kind_is_explained(toy, grade):
    report = grade(toy, _with(toy, "square_loss", "import numpy as np; return np.array([1.0])"))
    assert "expected a scalar" in next(test for test in report.tests if test.function == "square_loss").output


def test_a_result_too_large_to_encode_fails_its_own_function_with_a_message(toy, grade):
    # A careless `scale` returning 200 MB under a 256 MB limit: copying it into a frame ran out of
    # memory in the sandbox's own code, whose traceback was shown as "your code printed" beside
    # "your code ended the process (exit status 1)".
    limits = dataclasses.replace(toy.spec.limits, memory_mb=256)
    small = dataclasses.replace(toy, spec=dataclasses.replace(toy.spec, limits=limits))
    source = toy.reference_source + "\n\ndef scale(x, factor):\n    return np.zeros(25_000_000)\n"
    report = grade(small, source)
    scale = [test for test in report.tests if test.function == "scale"]
    assert all(test.score == 0 for test in scale)
    assert any("MemoryError: its result (or an argument it changed) is too large" in test.output for test in scale)
    assert not any("sandbox/" in test.output for test in report.tests)
    others = {function: score for function, score in _function_scores(report).items() if function != "scale"}
    assert all(score == small.spec.function(function).points for function, score in others.items()), others


def test_the_submission_budget_is_charged_without_the_wait_for_a_cpu():
    from autograder.grading.engine import _Budget
    from autograder.sandbox.executor import OK, UnitOutcome

    budget = _Budget(seconds=3.0, output_bytes=1000)
    budget.spend(UnitOutcome(status=OK, seconds=2.5, waited_seconds=2.0, output_bytes=10))
    assert budget.seconds == pytest.approx(2.5)  # a crowded machine's wait is not the student's time
    assert budget.output_bytes == 990
    budget.spend(UnitOutcome(status=OK, seconds=2.6))
    assert budget.exhausted
