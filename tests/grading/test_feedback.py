"""Rules and feedback as a student sees them: float64, default step, sequences, names, hidden cases."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from autograder.grading.assignment import find_assignment
from autograder.grading.compare import HIDDEN_REASONS
from autograder.grading.prepare import prepare_suite
from autograder.grading.scoring import judge_function
from autograder.grading.selfcheck import run_in_process
from autograder.sandbox.program import CallOutcome

SOLUTIONS = Path(__file__).parents[1] / "conformance" / "solutions"


def _solution(assignment: str, style: str) -> str:
    return (SOLUTIONS / assignment / f"{style}.py").read_text(encoding="utf-8")


def _replace(source: str, old: str, new: str) -> str:
    assert old in source, old
    return source.replace(old, new)


def _tests(report, function):
    return {test.check: test for test in report.tests if test.function == function}


def test_train_may_return_its_losses_as_a_1d_array(grade):
    assignment = find_assignment("training")
    source = _replace(_solution("training", "generator"), "    return params, losses",
                      "    return params, np.array(losses)")
    for style in ("tuple", "array"):
        if style == "tuple":
            source = _replace(source, "np.array(losses)", "tuple(losses)")
        report = grade(assignment, source)
        assert report.function_score("train") == 10, style


def test_float32_results_fail_with_the_rule(grade):
    assignment = find_assignment("losses")
    source = ("import numpy as np\n"
              "def mse(y_pred, y_true):\n"
              "    return np.mean((y_pred - y_true) ** 2).astype(np.float32)\n")
    report = grade(assignment, source)
    random_shapes = _tests(report, "mse")["random shapes"]
    assert random_shapes.score == 0 and "returned float32: compute in float64" in random_shapes.output


@pytest.mark.parametrize("style", ["add_subtract", "copies"])
def test_a_default_step_other_than_1e_5_fails_the_step_size_checks(style, grade):
    assignment = find_assignment("gradient_check")
    source = _solution("gradient_check", style).replace("h=1e-5", "h=1e-3")
    report = grade(assignment, source)
    assert _tests(report, "numerical_gradient")["step size h"].score == 0
    assert _tests(report, "numerical_gradient_array")["edge cases and step size h"].score == 0
    assert _tests(report, "gradient_check")["step size h"].score == 0
    assert "default h" in _tests(report, "numerical_gradient")["step size h"].output
    # Everything that passes h explicitly still passes.
    assert _tests(report, "numerical_gradient")["random shapes"].score > 0
    assert grade(assignment, _solution("gradient_check", style)).full_marks


def test_returned_entries_are_named_by_the_contract(grade):
    assignment = find_assignment("backprop")
    source = _replace(_solution("backprop", "vectorised"), "def affine_backward(dout, cache):",
                      "def affine_backward(dout, cache):\n    dx, dw, db = _affine_backward(dout, cache)\n"
                      "    return dx, 2 * dw, db\n\n\ndef _affine_backward(dout, cache):")
    output = _tests(grade(assignment, source), "affine_backward")["random shapes"].output
    assert "wrong values in dw" in output and "[1]" not in output


def test_arguments_unchanged_is_not_failed_by_a_call_that_raised():
    assignment = find_assignment("losses")
    suite = prepare_suite(assignment)
    mse = next(function for function in suite.functions if function.name == "mse")
    outcome = run_in_process(assignment, mse, vars(assignment.reference))
    # The first call raises; the rest are right and leave their arguments alone.
    outcome.calls[0] = CallOutcome(ok=False, error_type="ValueError", error_message="boom")
    results = {test.check: test for test in judge_function(mse, outcome)}
    assert results["random shapes"].score == 0 and "raised ValueError" in results["random shapes"].output
    assert results["arguments unchanged"].status == "passed"


SECRET_PRINTING_MSE = """
import numpy as np
def mse(y_pred, y_true):
    print("inputs", y_pred.shape, float(y_pred.reshape(-1)[0]))
    if y_pred.size % 2:
        raise ValueError(f"secret {float(y_true.reshape(-1)[0])!r}")
    return float(np.mean((y_pred - y_true) ** 2)) * 1.5
def softmax(z):
    return z[:, :1]
"""


def test_hidden_feedback_says_the_kind_of_failure_only(grade):
    assignment = find_assignment("losses")
    hidden = prepare_suite(assignment, "hidden", 77)
    report = grade(assignment, SECRET_PRINTING_MSE, mode="hidden", hidden_seed=77)
    for test in report.tests:
        for block in test.output.split("a hidden case failed (its inputs are not shown)\n")[1:]:
            first = block.splitlines()[0]
            assert first in set(HIDDEN_REASONS.values()) | {"raised an exception"} or first.startswith(
                tuple(HIDDEN_REASONS.values())), first
            assert not re.search(r"\d", first), first
            assert "secret" not in block and "File " not in block
    # What the code printed is shown from the public unit only: the hidden calls ran in a unit of
    # their own whose output is dropped, so no hidden input reaches the report that way either.
    public_inputs, hidden_inputs = set(), set()
    for function in hidden.functions:
        for program, values in zip(hidden.programs(function), (public_inputs, hidden_inputs)):
            for call in program.calls:
                for argument in call.args:
                    if isinstance(argument, np.ndarray) and argument.size and argument.dtype.kind == "f":
                        values.add(repr(float(argument.flat[0])))
    printed = "\n".join(test.output for test in report.tests if "your code printed" in test.output)
    assert printed and not [value for value in hidden_inputs - public_inputs if value in printed]
    # The hidden draw's numbers never appear: no expected value of a hidden case in any output.
    text = "\n".join(test.output for test in report.tests)
    for function in hidden.functions:
        for check in function.checks:
            for case in check.value_cases:
                if case.hidden:
                    for expected in case.expected:
                        if np.ndim(expected) == 0 and isinstance(expected, (float, np.floating)) and expected:
                            assert f"{float(expected):.6g}" not in text
                            assert f"{float(expected) * 1.5:.6g}" not in text  # what this file returned
