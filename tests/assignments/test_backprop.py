"""The `backprop` assignment folder: contract, reference vs PyTorch and by hand, edge cases, gradient checks,
a correct file written differently. The self-check (test_folders) covers cases, reference, starter and mistakes.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from autograder.grading.assignment import find_assignment
from autograder.grading.cases import Case
from autograder.grading.engine import grade_source
from autograder.grading.gradcheck import judge_grad_case
from autograder.grading.selfcheck import draw_cases, run_in_process
from autograder.sandbox.program import run_program

# One worker runs every assignment-folder module: each assignment's self-check (up to 7 s of CPU)
# and PyTorch's import (2 s) happen once, not once per worker that draws one of their tests.
pytestmark = pytest.mark.xdist_group("assignments")

BACKPROP = find_assignment("backprop")
REFERENCE = BACKPROP.reference
CASES = BACKPROP.cases
CONTRACT = [
    "affine_forward", "affine_backward", "sigmoid_forward", "sigmoid_backward", "relu_forward", "relu_backward",
    "linear_regression_loss", "two_layer_linear_loss", "two_layer_sigmoid_loss", "logistic_regression_loss",
    "mlp_loss",
]
GRADIENT_FUNCTIONS = [name for name in CONTRACT if name.endswith(("_backward", "_loss"))]
NETWORKS = [name for name in CONTRACT if name.endswith("_loss")]
HIDDEN_SEEDS = (7, 123456789)


def _agrees(expected, actual, rtol: float, atol: float) -> bool:
    """Whether ``actual`` matches ``expected`` in structure, shape and value within tolerance."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and expected.keys() == actual.keys() and all(
            _agrees(expected[key], actual[key], rtol, atol) for key in expected)
    if isinstance(expected, (tuple, list)):
        return isinstance(actual, (tuple, list)) and len(expected) == len(actual) and all(
            _agrees(e, a, rtol, atol) for e, a in zip(expected, actual))
    expected, actual = np.asarray(expected), np.asarray(actual)
    if expected.shape != actual.shape or actual.dtype.kind not in "biuf":
        return False
    if not np.all(np.isfinite(actual[np.isfinite(expected)])):
        return False
    return bool(np.allclose(actual, expected, rtol=rtol, atol=atol))


def _value_cases(function_name: str) -> list[Case]:
    """Every case of ``function_name``'s values checks, public and hidden draws."""
    draws = [*draw_cases(BACKPROP), *(draw for seed in HIDDEN_SEEDS for draw in draw_cases(BACKPROP, "hidden", seed))]
    return [case for draw in draws if draw.function == function_name and draw.kind == "values" for case in draw.items]


# ---------------------------------------------------------------- spec


def test_spec_names_the_contract_functions_in_order():
    assert BACKPROP.name == "backprop" and BACKPROP.file == "backprop.py"
    assert [function.name for function in BACKPROP.functions] == CONTRACT


@pytest.mark.parametrize("function_name", CONTRACT)
def test_gradients_and_only_gradients_are_checked_against_their_own_forward(function_name):
    kinds = [check.kind for check in BACKPROP.spec.function(function_name).checks]
    assert kinds.count("gradcheck") == (1 if function_name in GRADIENT_FUNCTIONS else 0)


def test_every_case_has_a_label_for_students():
    for function_name in CONTRACT:
        assert all(case.label for case in _value_cases(function_name)), function_name


# ---------------------------------------------------------------- reference, by hand


def test_affine_layer_by_hand():
    x = np.array([[1.0, 2.0]])
    w = np.array([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]])
    b = np.array([0.5, 0.0, -0.5])
    out, cache = REFERENCE.affine_forward(x, w, b)
    np.testing.assert_array_equal(out, [[5.5, 2.0, -1.5]])
    dx, dw, db = REFERENCE.affine_backward(np.ones((1, 3)), cache)
    np.testing.assert_array_equal(dx, [[0.0, 3.0]])
    np.testing.assert_array_equal(dw, [[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]])
    np.testing.assert_array_equal(db, [1.0, 1.0, 1.0])


def test_sigmoid_and_relu_layers_by_hand():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        out, cache = REFERENCE.sigmoid_forward(np.array([0.0, 1e4, -1e4]))
        np.testing.assert_array_equal(out, [0.5, 1.0, 0.0])
        np.testing.assert_array_equal(REFERENCE.sigmoid_backward(np.array([1.0, 1.0, 1.0]), cache), [0.25, 0.0, 0.0])
    out, cache = REFERENCE.relu_forward(np.array([-1.0, 0.0, 2.0]))
    np.testing.assert_array_equal(out, [0.0, 0.0, 2.0])
    np.testing.assert_array_equal(REFERENCE.relu_backward(np.array([5.0, 6.0, 7.0]), cache), [0.0, 0.0, 7.0])


def test_linear_regression_by_hand():
    params = {"w": np.array([1.0]), "b": np.array(0.0)}
    loss, grads = REFERENCE.linear_regression_loss(params, np.array([[1.0], [2.0]]), np.array([1.0, 1.0]))
    # predictions [1, 2], errors [0, 1]: loss 1/2, dprediction [0, 1]
    assert loss == 0.5
    np.testing.assert_array_equal(grads["w"], [2.0])
    assert grads["b"].shape == () and grads["b"] == 1.0


def test_logistic_regression_and_mlp_at_zero_parameters_by_hand():
    X = np.array([[1.0, -2.0], [3.0, 0.5], [0.0, 1.0]])
    loss, grads = REFERENCE.logistic_regression_loss({"w": np.zeros(2), "b": np.array(0.0)}, X, np.array([1.0, 0.0, 1.0]))
    assert loss == pytest.approx(math.log(2.0))
    np.testing.assert_allclose(grads["w"], X.T @ (np.array([-0.5, 0.5, -0.5]) / 3))
    params = {"W1": np.zeros((2, 4)), "b1": np.zeros(4), "W2": np.zeros((4, 3)), "b2": np.zeros(3)}
    loss, grads = REFERENCE.mlp_loss(params, X, np.array([0, 2, 2]))
    assert loss == pytest.approx(math.log(3.0))
    np.testing.assert_allclose(grads["b2"], [1 / 3 - 1 / 3, 1 / 3, 1 / 3 - 2 / 3], atol=1e-15)
    np.testing.assert_array_equal(grads["W1"], np.zeros((2, 4)))  # every hidden unit sits at the kink


# ---------------------------------------------------------------- reference, against PyTorch


def _torch():
    return pytest.importorskip("torch", reason="PyTorch is the independent oracle of the reference (extra 'oracle')")


def _torch_layer(function_name: str, case: Case):
    """What PyTorch autograd gives for a layer case: the forward output or the backward gradients."""
    torch = _torch()
    forward_args = [torch.tensor(arg, dtype=torch.float64, requires_grad=True) for arg in case.calls[0].args]
    layer = function_name.rsplit("_", 1)[0]
    if layer == "affine":
        out = forward_args[0] @ forward_args[1] + forward_args[2]
    elif layer == "sigmoid":
        out = torch.sigmoid(forward_args[0])
    else:
        out = torch.relu(forward_args[0])
    if function_name.endswith("_forward"):
        return out.detach().numpy()
    out.backward(torch.tensor(case.calls[1].args[0], dtype=torch.float64))
    gradients = tuple(arg.grad.numpy() for arg in forward_args)
    return gradients if layer == "affine" else gradients[0]


def _torch_network(function_name: str, params: dict, X: np.ndarray, y: np.ndarray):
    """(loss, grads) of a network by PyTorch autograd and torch.nn.functional losses."""
    torch = _torch()
    functional = torch.nn.functional
    p = {name: torch.tensor(value, dtype=torch.float64, requires_grad=True) for name, value in params.items()}
    X_t = torch.tensor(X, dtype=torch.float64)
    if function_name == "linear_regression_loss":
        loss = functional.mse_loss(X_t @ p["w"] + p["b"], torch.tensor(y))
    elif function_name == "two_layer_linear_loss":
        loss = functional.mse_loss((X_t @ p["W1"] + p["b1"]) @ p["w2"] + p["b2"], torch.tensor(y))
    elif function_name == "two_layer_sigmoid_loss":
        loss = functional.mse_loss(torch.sigmoid(X_t @ p["W1"] + p["b1"]) @ p["w2"] + p["b2"], torch.tensor(y))
    elif function_name == "logistic_regression_loss":
        loss = functional.binary_cross_entropy_with_logits(X_t @ p["w"] + p["b"], torch.tensor(y))
    else:
        scores = torch.relu(X_t @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]
        loss = functional.cross_entropy(scores, torch.tensor(y))
    loss.backward()
    return loss.item(), {name: value.grad.numpy() for name, value in p.items()}


@pytest.mark.oracle
@pytest.mark.parametrize("function_name", [name for name in CONTRACT if name not in NETWORKS])
def test_reference_layer_agrees_with_torch_autograd_on_every_case(function_name):
    for case in _value_cases(function_name):
        expected = _torch_layer(function_name, case)
        got = run_program(vars(REFERENCE), case.calls)[-1]
        assert got.ok, got.error_message
        assert _agrees(expected, got.value, rtol=1e-12, atol=1e-15), case.label


@pytest.mark.oracle
@pytest.mark.parametrize("function_name", NETWORKS)
def test_reference_network_agrees_with_torch_autograd_on_every_case(function_name):
    for case in _value_cases(function_name):
        params, X, y = case.calls[0].args
        expected_loss, expected_grads = _torch_network(function_name, params, X, y)
        loss, grads = getattr(REFERENCE, function_name)(params, X, y)
        assert loss == pytest.approx(expected_loss, rel=1e-10, abs=1e-12), case.label
        assert grads.keys() == params.keys()
        for name, gradient in grads.items():
            assert np.shape(gradient) == params[name].shape, (case.label, name)
            np.testing.assert_allclose(gradient, expected_grads[name], rtol=1e-9, atol=1e-12, err_msg=case.label)


# ---------------------------------------------------------------- case generators


def test_generators_all_depend_on_the_seed(selfcheck):
    assert selfcheck("backprop").fixed_generators == []


def test_random_shape_cases_use_distinct_sizes():
    for seed in (*HIDDEN_SEEDS, BACKPROP.spec.public_seed):
        for case in CASES.affine_forward_random_shapes(np.random.default_rng(seed)):
            x, w, _ = case.calls[0].args
            assert len({*x.shape, *w.shape}) == 3
        for case in CASES.mlp_random_shapes(np.random.default_rng(seed)):
            params, X, _ = case.calls[0].args
            assert len({X.shape[0], *params["W1"].shape, params["W2"].shape[1]}) == 4


def test_kink_and_stability_cases_hit_their_edge():
    rng = np.random.default_rng(BACKPROP.spec.public_seed)
    for case in CASES.relu_backward_kinks(rng):
        assert np.any(case.calls[0].args[0] == 0.0)
    (case,) = CASES.mlp_relu_kinks(rng)
    params, X, _ = case.calls[0].args
    assert np.any(X @ params["W1"] + params["b1"] == 0.0)
    (case,) = CASES.logistic_regression_stability(rng)
    params, X, _ = case.calls[0].args
    assert np.abs(X @ params["w"] + params["b"]).max() == pytest.approx(1e4)
    for case in CASES.sigmoid_forward_stability(rng):
        assert np.abs(case.calls[0].args[0]).max() == 1e4


def test_mlp_gradient_check_keeps_away_from_the_relu_kink():
    for seed in range(20):
        (gradcheck,) = CASES.mlp_gradcheck(np.random.default_rng(seed))
        inputs = gradcheck.inputs
        assert np.abs(gradcheck.analytic[0].args[1] @ inputs["W1"] + inputs["b1"]).min() >= CASES.KINK_MARGIN
    (gradcheck,) = CASES.relu_backward_gradcheck(np.random.default_rng(0))
    assert np.abs(gradcheck.inputs["x"]).min() >= CASES.KINK_MARGIN


# Mistakes whose gradient disagrees with their own forward: the diagnostic line must say so.
INCONSISTENT_GRADIENTS = [
    ("affine_backward", "bias gradient averaged"),
    ("sigmoid_backward", "derivative from the input instead of the output"),
    ("relu_backward", "upstream gradient ignored"),
    ("linear_regression_loss", "factor 2 missing"),
    ("two_layer_sigmoid_loss", "sigmoid derivative forgotten"),
    ("logistic_regression_loss", "gradient sign flipped"),
    ("mlp_loss", "gradient not divided by N"),
]


def _mistake(function_name: str, name: str):
    (mistake,) = [m for m in BACKPROP.mistakes if m.function == function_name and m.name == name]
    return mistake


@pytest.mark.parametrize("function_name, mistake_name", INCONSISTENT_GRADIENTS)
def test_gradient_check_flags_a_gradient_that_disagrees_with_its_forward(function_name, mistake_name, suites):
    mistake = _mistake(function_name, mistake_name)
    namespace = dict(vars(REFERENCE), **{function_name: BACKPROP.mistake_namespace[mistake.implementation]})
    (function,) = [function for function in suites("backprop")[0].functions if function.name == function_name]
    outcome = run_in_process(BACKPROP, function, namespace)
    (check,) = [check for check in function.checks if check.kind == "gradcheck"]
    for grad_case in check.grad_cases:
        verdict = judge_grad_case(grad_case, outcome.calls, function.calls)
        assert verdict.reason == "your backward disagrees with your own forward", verdict.reason
        assert verdict.max_relative_error > 100 * grad_case.tolerance


# ---------------------------------------------------------------- a correct student file, written differently

# Correct per the contract but unlike the reference: other caches, naive sigmoid, x * mask,
# float and 0-d scalars, layer reuse inside networks. It must pass every case.
ALTERNATIVE_SOLUTION = '''
import numpy as np


def affine_forward(x, w, b):
    return x.dot(w) + b, {"x": x, "w": w}


def affine_backward(dout, cache):
    return dout.dot(cache["w"].T), cache["x"].T.dot(dout), np.sum(dout, axis=0)


def sigmoid_forward(x):
    with np.errstate(over="ignore"):
        out = 1.0 / (1.0 + np.exp(-x))
    return out, out


def sigmoid_backward(dout, cache):
    return dout * cache * (1 - cache)


def relu_forward(x):
    mask = x > 0
    return x * mask, mask


def relu_backward(dout, cache):
    return dout * cache


def linear_regression_loss(params, X, y):
    n = X.shape[0]
    residual = X @ params["w"] + params["b"] - y
    return np.array(residual @ residual / n), {"w": 2 * X.T @ residual / n, "b": float(2 * residual.sum() / n)}


def _two_layer(params, X, y, activation):
    n = X.shape[0]
    pre, affine_cache = affine_forward(X, params["W1"], params["b1"])
    hidden, activation_cache = activation[0](pre)
    residual = hidden @ params["w2"] + params["b2"] - y
    dprediction = 2 * residual / n
    dpre = activation[1](np.outer(dprediction, params["w2"]), activation_cache)
    _, dW1, db1 = affine_backward(dpre, affine_cache)
    grads = {"W1": dW1, "b1": db1, "w2": hidden.T @ dprediction, "b2": dprediction.sum()}
    return np.mean(residual ** 2), grads


def two_layer_linear_loss(params, X, y):
    return _two_layer(params, X, y, (lambda a: (a, None), lambda d, cache: d))


def two_layer_sigmoid_loss(params, X, y):
    return _two_layer(params, X, y, (sigmoid_forward, sigmoid_backward))


def logistic_regression_loss(params, X, y):
    z = X @ params["w"] + params["b"]
    loss = np.mean(np.logaddexp(0.0, z) - y * z)
    p = np.exp(-np.logaddexp(0.0, -z))
    dz = (p - y) / len(y)
    return loss, {"w": X.T @ dz, "b": float(dz.sum())}


def mlp_loss(params, X, y):
    n = X.shape[0]
    hidden, mask = relu_forward(X @ params["W1"] + params["b1"])
    scores = hidden @ params["W2"] + params["b2"]
    top = np.max(scores, axis=1, keepdims=True)
    log_norm = top[:, 0] + np.log(np.sum(np.exp(scores - top), axis=1))
    loss = np.mean(log_norm - scores[np.arange(n), y])
    dscores = np.exp(scores - log_norm[:, None])
    dscores[np.arange(n), y] -= 1
    dscores /= n
    dhidden = relu_backward(dscores @ params["W2"].T, mask)
    return loss, {"W1": X.T @ dhidden, "b1": dhidden.sum(0), "W2": hidden.T @ dscores, "b2": dscores.sum(0)}
'''


def _alternative_namespace() -> dict:
    namespace: dict = {"__file__": "backprop.py"}
    exec(compile(ALTERNATIVE_SOLUTION, "backprop.py", "exec"), namespace)
    return namespace


def test_a_correct_solution_written_differently_passes_every_check_in_process(failed_checks):
    failures = failed_checks("backprop", _alternative_namespace())
    assert not failures, failures


def test_a_correct_solution_written_differently_gets_full_marks_through_the_sandbox(executor):
    # 0-d parameters (b, b2) and NumPy scalar losses must cross the sandbox wire intact.
    report = grade_source(BACKPROP, ALTERNATIVE_SOLUTION.encode(), executor)
    assert report.full_marks and report.score == pytest.approx(BACKPROP.max_score), \
        [(test.name, test.output) for test in report.tests if test.status != "passed"]
