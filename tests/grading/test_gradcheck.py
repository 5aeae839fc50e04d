"""Gradient checks judged on the trusted side from the student's forward values."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from autograder.grading.gradcheck import judge_grad_case, relative_error
from autograder.grading.suite import GradCase, GradEntry
from autograder.sandbox.codec import Unsupported
from autograder.sandbox.program import Call, CallOutcome


def _case(forward_values, reference_values, gradient, h=1e-6):
    """A one-variable check of f(x) = sum(x**2) at x = [1, 2] with the given forward results."""
    entries = []
    for i in range(2):
        entries.append(GradEntry("x", (i,), plus=1 + 2 * i, minus=2 + 2 * i,
                                 reference_plus=reference_values[2 * i], reference_minus=reference_values[2 * i + 1]))
    outcomes = [CallOutcome(ok=True, value=np.array(gradient))]
    outcomes += [CallOutcome(ok=True, value=value) for value in forward_values]
    program = [Call("grad")] + [Call("f")] * 4
    case = GradCase(label="", hidden=False, analytic=0, paths={"x": ()}, shapes={"x": (2,)}, weights=None, h=h,
                    tolerance=1e-5, entries=entries, description="grad(x: (2,))")
    return case, outcomes, program


def _values(f, x=np.array([1.0, 2.0]), h=1e-6):
    values = []
    for i in range(2):
        for sign in (1, -1):
            shifted = x.copy()
            shifted[i] += sign * h
            values.append(f(shifted))
    return values


def test_relative_error_matches_contract():
    assert relative_error(1.0, 1.0) == 0.0
    assert relative_error(0.0, 0.0) == 0.0
    assert np.isclose(relative_error(1.0, 3.0), 0.5)


def test_consistent_backward_passes():
    forward = _values(lambda x: float(np.sum(x ** 2)))
    verdict = judge_grad_case(*_case(forward, forward, [2.0, 4.0]))
    assert verdict.passed


def test_backward_disagreeing_with_own_forward():
    forward = _values(lambda x: float(np.sum(x ** 2)))
    verdict = judge_grad_case(*_case(forward, forward, [1.0, 2.0]))
    assert not verdict.passed and verdict.reason == "your backward disagrees with your own forward"
    assert "x[0]" in verdict.details[0] or "x[1]" in verdict.details[0]


def test_forward_differing_from_reference_is_named():
    reference = _values(lambda x: float(np.sum(x ** 2)))
    student = _values(lambda x: float(np.sum(x ** 3)))
    verdict = judge_grad_case(*_case(student, reference, [2.0, 4.0]))
    assert not verdict.passed and "your forward differs from the reference" in verdict.reason


def test_wrong_gradient_shape_is_reported():
    forward = _values(lambda x: float(np.sum(x ** 2)))
    verdict = judge_grad_case(*_case(forward, forward, [[2.0, 4.0]]))
    assert not verdict.passed and "shape (1, 2)" in verdict.reason


@pytest.mark.parametrize("returned, path, said", [
    (Unsupported("object of type builtins.object"), ("grads", "x"), "the grader cannot read object of type builtins.object"),
    ({"grads": {"y": 1.0}}, ("grads", "x"), "the key 'x' is missing"),
    ([1.0], (1, "x"), "expected a tuple of at least 2 values, got a list of 1"),
    ((1.0, None), (1, "x"), "expected a dict with key 'x', got None"),
])
def test_an_unreadable_gradient_is_described_in_the_students_terms(returned, path, said):
    forward = _values(lambda x: float(np.sum(x ** 2)))
    case, outcomes, program = _case(forward, forward, [2.0, 4.0])
    case = replace(case, paths={"x": path})
    outcomes[0] = CallOutcome(ok=True, value=returned)
    verdict = judge_grad_case(case, outcomes, program)
    assert not verdict.passed and verdict.reason == f"cannot read your gradient for x: {said}"


def test_float32_forward_is_named_instead_of_blaming_a_right_backward():
    x = np.array([1.1, 2.3])
    reference = _values(lambda v: float(np.sum(np.sin(v))), x)
    as_python_float = _values(lambda v: float(np.sum(np.sin(v.astype(np.float32)))), x)
    as_float32 = _values(lambda v: np.sum(np.sin(v.astype(np.float32))), x)
    for student in (as_python_float, as_float32):
        verdict = judge_grad_case(*_case(student, reference, list(np.cos(x))))
        assert not verdict.passed and verdict.reason.startswith("your f computes in float32")
        assert "backward disagrees" not in verdict.reason
