"""Tests of the backprop assignment folder: spec, starter, reference, cases and mistakes."""

from __future__ import annotations

import importlib.util
import inspect
import math
import tomllib
from pathlib import Path

import numpy as np
import pytest

from autograder.grading.assignment import load_assignment
from autograder.grading.cases import Case, GradCheck
from autograder.grading.engine import grade_source
from autograder.grading.mistakes import variant_source
from autograder.sandbox import open_executor
from autograder.sandbox.program import run_program

FOLDER = Path(__file__).resolve().parents[2] / "assignments" / "backprop"
SPEC = tomllib.loads((FOLDER / "spec.toml").read_text())
CONTRACT = [
    "affine_forward", "affine_backward", "sigmoid_forward", "sigmoid_backward", "relu_forward", "relu_backward",
    "linear_regression_loss", "two_layer_linear_loss", "two_layer_sigmoid_loss", "logistic_regression_loss",
    "mlp_loss",
]
GRADIENT_FUNCTIONS = [name for name in CONTRACT if name.endswith(("_backward", "_loss"))]
NETWORKS = [name for name in CONTRACT if name.endswith("_loss")]
DEFAULT_RTOL, DEFAULT_ATOL = 1e-6, 1e-9
HIDDEN_SEEDS = (7, 123456789)
# Centred differences of an O(1) loss are exact to about this much: a near-zero gradient
# entry may disagree relatively, never absolutely.
ROUNDING_NOISE = 1e-8


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"assignment_backprop_{name}", FOLDER / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


REFERENCE = _load("reference")
CASES = _load("cases")


def _mistakes_namespace() -> dict:
    namespace = dict(vars(REFERENCE))
    source = (FOLDER / "mistakes.py").read_text()
    exec(compile(source, str(FOLDER / "mistakes.py"), "exec"), namespace)
    return namespace


MISTAKE_NAMESPACE = _mistakes_namespace()
MISTAKES = MISTAKE_NAMESPACE["MISTAKES"]


def _functions() -> dict[str, dict]:
    return {function["name"]: function for function in SPEC["functions"]}


def _checks(kind: str) -> list[tuple[str, int, dict]]:
    """(function, check index within the function, check) for every check of ``kind``."""
    found = []
    for function in SPEC["functions"]:
        for index, check in enumerate(function["checks"]):
            if check.get("kind", "values") == kind:
                found.append((function["name"], index, check))
    return found


def _public_seeds(function_name: str, check_index: int) -> list[int]:
    """Public seeds of a check: public_seed + its index, counted in its function and in the whole spec."""
    flat_index = 0
    for function in SPEC["functions"]:
        for index, _ in enumerate(function["checks"]):
            if function["name"] == function_name and index == check_index:
                return sorted({SPEC["public_seed"] + check_index, SPEC["public_seed"] + flat_index})
            flat_index += 1
    raise KeyError(function_name)


def _generate(check: dict, seed: int) -> list:
    return getattr(CASES, check["cases"])(np.random.default_rng(seed))


def _follow(value, path):
    for step in path:
        value = value[step]
    return value


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


def _identical(expected, actual) -> bool:
    return _agrees(expected, actual, rtol=0.0, atol=0.0) or _both_nan(expected, actual)


def _both_nan(expected, actual) -> bool:
    try:
        return bool(np.array_equal(np.asarray(expected), np.asarray(actual), equal_nan=True))
    except (TypeError, ValueError):
        return False


def _graded_indices(case: Case, function: str) -> tuple[int, ...]:
    if case.graded is not None:
        return case.graded
    return tuple(index for index, call in enumerate(case.calls) if call.function == function)


def _case_differs(case: Case, function: str, namespace: dict, rtol: float, atol: float) -> bool:
    """Whether ``namespace`` fails this case where the reference passes it (values or arguments)."""
    expected = run_program(vars(REFERENCE), case.calls)
    actual = run_program(namespace, case.calls)
    for index in _graded_indices(case, function):
        if not actual[index].ok:
            return True
        if not _agrees(_follow(expected[index].value, case.compare), _follow(actual[index].value, case.compare),
                       rtol, atol):
            return True
    return _arguments_modified(case, function, actual)


def _arguments_modified(case: Case, function: str, outcomes) -> bool:
    for call, outcome in zip(case.calls, outcomes):
        if call.function != function or not outcome.ok or outcome.args_after is None:
            continue
        sent = {str(position): value for position, value in enumerate(call.args)} | dict(call.kwargs)
        for key, after in outcome.args_after.items():
            if key in case.mutable:
                continue
            if not _identical(sent[key], after):
                return True
    return False


def _tolerance(case_value, check: dict, key: str) -> float:
    if case_value is not None:
        return case_value
    return check.get(key, DEFAULT_RTOL if key == "rtol" else DEFAULT_ATOL)


def _finite(value) -> bool:
    if isinstance(value, dict):
        return all(_finite(item) for item in value.values())
    if isinstance(value, (tuple, list)):
        return all(_finite(item) for item in value)
    return bool(np.all(np.isfinite(np.asarray(value, dtype=np.float64))))


def _gradcheck_error(check: GradCheck, namespace: dict) -> float:
    """Largest relative error between the analytic gradient and centred differences, above rounding noise."""
    analytic_outcome = run_program(namespace, check.analytic)[-1]
    assert analytic_outcome.ok, analytic_outcome.error_message

    def objective(values):
        outcome = run_program(namespace, [check.forward(values)])[0]
        assert outcome.ok, outcome.error_message
        out = np.asarray(outcome.value, dtype=np.float64)
        return float(np.sum(check.weights * out)) if check.weights is not None else float(out)

    worst = 0.0
    for name, value in check.inputs.items():
        analytic = np.asarray(_follow(analytic_outcome.value, check.gradient_paths[name]), dtype=np.float64)
        if analytic.shape != value.shape:
            return math.inf
        for entry in np.ndindex(value.shape):
            values = {key: item.copy() for key, item in check.inputs.items()}
            values[name][entry] = value[entry] + check.h
            plus = objective(values)
            values[name][entry] = value[entry] - check.h
            minus = objective(values)
            numeric = (plus - minus) / (2 * check.h)
            if abs(analytic[entry] - numeric) > ROUNDING_NOISE:
                worst = max(worst, abs(analytic[entry] - numeric) / max(1e-8, abs(analytic[entry]) + abs(numeric)))
    return worst


# ---------------------------------------------------------------- spec and starter


def test_spec_names_the_contract_functions_in_order():
    assert SPEC["name"] == "backprop" and SPEC["file"] == "backprop.py"
    assert [function["name"] for function in SPEC["functions"]] == CONTRACT


@pytest.mark.parametrize("function_name", CONTRACT)
def test_spec_gives_each_function_partial_credit_and_an_unchanged_check(function_name):
    checks = _functions()[function_name]["checks"]
    kinds = [check.get("kind", "values") for check in checks]
    assert kinds.count("values") >= 2
    assert kinds.count("unchanged") == 1
    assert kinds.count("gradcheck") == (1 if function_name in GRADIENT_FUNCTIONS else 0)
    for check in checks:
        if check.get("kind") == "gradcheck":
            assert check["weight"] == 0
        else:
            assert check["weight"] > 0
        if "cases" in check:
            assert callable(getattr(CASES, check["cases"]))


@pytest.mark.parametrize("function_name", CONTRACT)
def test_starter_function_has_the_reference_signature_and_raises(function_name):
    starter = _load("starter")
    function = getattr(starter, function_name)
    parameters = inspect.signature(function).parameters
    assert list(parameters) == list(inspect.signature(getattr(REFERENCE, function_name)).parameters)
    assert function.__doc__
    with pytest.raises(NotImplementedError):
        function(*[None] * len(parameters))


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


def _value_cases(function_name: str, seeds_per_check) -> list[Case]:
    cases = []
    for name, index, check in _checks("values"):
        if name == function_name:
            for seed in seeds_per_check(name, index):
                cases.extend(_generate(check, seed))
    return cases


def _public_and_hidden_seeds(function_name, index):
    return [*_public_seeds(function_name, index), *HIDDEN_SEEDS]


@pytest.mark.oracle
@pytest.mark.parametrize("function_name", [name for name in CONTRACT if name not in NETWORKS])
def test_reference_layer_agrees_with_torch_autograd_on_every_case(function_name):
    cases = _value_cases(function_name, _public_and_hidden_seeds)
    for case in cases:
        expected = _torch_layer(function_name, case)
        got = run_program(vars(REFERENCE), case.calls)[-1]
        assert got.ok, got.error_message
        assert _agrees(expected, got.value, rtol=1e-12, atol=1e-15), case.label


@pytest.mark.oracle
@pytest.mark.parametrize("function_name", NETWORKS)
def test_reference_network_agrees_with_torch_autograd_on_every_case(function_name):
    cases = _value_cases(function_name, _public_and_hidden_seeds)
    for case in cases:
        params, X, y = case.calls[0].args
        expected_loss, expected_grads = _torch_network(function_name, params, X, y)
        loss, grads = getattr(REFERENCE, function_name)(params, X, y)
        assert loss == pytest.approx(expected_loss, rel=1e-10, abs=1e-12), case.label
        assert grads.keys() == params.keys()
        for name, gradient in grads.items():
            assert np.shape(gradient) == params[name].shape, (case.label, name)
            np.testing.assert_allclose(gradient, expected_grads[name], rtol=1e-9, atol=1e-12, err_msg=case.label)


# ---------------------------------------------------------------- case generators


VALUE_CHECKS = _checks("values")
GRADCHECKS = _checks("gradcheck")


def _check_id(item) -> str:
    return f"{item[0]}: {item[2]['name']}"


@pytest.mark.parametrize("item", VALUE_CHECKS, ids=_check_id)
def test_value_cases_run_on_the_reference_with_finite_results(item):
    function_name, index, check = item
    for seed in _public_and_hidden_seeds(function_name, index):
        cases = _generate(check, seed)
        assert cases and all(isinstance(case, Case) for case in cases)
        for case in cases:
            assert case.label
            outcomes = run_program(vars(REFERENCE), case.calls)
            assert all(outcome.ok for outcome in outcomes), [outcome.error_message for outcome in outcomes]
            graded = _graded_indices(case, function_name)
            assert graded
            for index_ in graded:
                assert _finite(_follow(outcomes[index_].value, case.compare)), case.label
            assert not _arguments_modified(case, function_name, outcomes)


@pytest.mark.parametrize("item", VALUE_CHECKS + GRADCHECKS, ids=_check_id)
def test_generators_are_deterministic_in_their_rng(item):
    _, _, check = item
    first, again, other = _generate(check, 11), _generate(check, 11), _generate(check, 12)

    def arrays(cases):
        found = []
        for case in cases:
            calls = case.calls if isinstance(case, Case) else case.analytic
            for call in calls:
                for arg in call.args:
                    found.extend(arg.values() if isinstance(arg, dict) else [arg])
        return [value for value in found if isinstance(value, np.ndarray)]

    assert all(np.array_equal(a, b) for a, b in zip(arrays(first), arrays(again), strict=True))
    assert any(a.shape != b.shape or not np.array_equal(a, b) for a, b in zip(arrays(first), arrays(other)))


def test_random_shape_cases_use_distinct_sizes():
    for seed in (*HIDDEN_SEEDS, SPEC["public_seed"]):
        for case in CASES.affine_forward_random_shapes(np.random.default_rng(seed)):
            x, w, _ = case.calls[0].args
            assert len({*x.shape, *w.shape}) == 3
        for case in CASES.mlp_random_shapes(np.random.default_rng(seed)):
            params, X, _ = case.calls[0].args
            assert len({X.shape[0], *params["W1"].shape, params["W2"].shape[1]}) == 4


def test_kink_and_stability_cases_hit_their_edge():
    rng = np.random.default_rng(SPEC["public_seed"])
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


@pytest.mark.parametrize("item", GRADCHECKS, ids=_check_id)
def test_gradient_checks_pass_on_the_reference(item):
    function_name, index, check = item
    for seed in _public_and_hidden_seeds(function_name, index):
        gradchecks = _generate(check, seed)
        assert gradchecks and all(isinstance(gradcheck, GradCheck) for gradcheck in gradchecks)
        for gradcheck in gradchecks:
            assert set(gradcheck.gradient_paths) == set(gradcheck.inputs)
            assert _gradcheck_error(gradcheck, vars(REFERENCE)) < gradcheck.tolerance


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


def _variant_namespace(mistake) -> dict:
    namespace = dict(vars(REFERENCE))
    namespace[mistake.function] = MISTAKE_NAMESPACE[mistake.implementation]
    return namespace


def _mistake(function_name: str, name: str):
    (mistake,) = [m for m in MISTAKES if m.function == function_name and m.name == name]
    return mistake


@pytest.mark.parametrize("function_name, mistake_name", INCONSISTENT_GRADIENTS)
def test_gradient_check_flags_a_gradient_that_disagrees_with_its_forward(function_name, mistake_name):
    namespace = _variant_namespace(_mistake(function_name, mistake_name))
    (_, index, check), = [item for item in GRADCHECKS if item[0] == function_name]
    gradcheck = _generate(check, _public_seeds(function_name, index)[0])[0]
    assert _gradcheck_error(gradcheck, namespace) > 100 * gradcheck.tolerance


# ---------------------------------------------------------------- mistakes (mutation testing)


@pytest.mark.parametrize("function_name", CONTRACT)
def test_every_function_has_at_least_two_named_mistakes(function_name):
    mistakes = [mistake for mistake in MISTAKES if mistake.function == function_name]
    assert len(mistakes) >= 2
    assert len({mistake.name for mistake in mistakes}) == len(mistakes)
    for mistake in mistakes:
        assert mistake.hint and len(mistake.name) <= 60
        variant = MISTAKE_NAMESPACE[mistake.implementation]
        reference = getattr(REFERENCE, function_name)
        assert list(inspect.signature(variant).parameters) == list(inspect.signature(reference).parameters)


@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda mistake: f"{mistake.function}: {mistake.name}")
def test_mistake_is_caught_by_the_public_cases(mistake):
    # Whichever way public seeds count a check's index (within its function or the whole spec).
    namespace = _variant_namespace(mistake)
    for convention in (0, -1):
        caught = False
        for function_name, index, check in VALUE_CHECKS:
            if function_name != mistake.function:
                continue
            seed = _public_seeds(function_name, index)[convention]
            caught = caught or any(
                _case_differs(case, function_name, namespace, _tolerance(case.rtol, check, "rtol"),
                              _tolerance(case.atol, check, "atol"))
                for case in _generate(check, seed))
        assert caught, f"{mistake.name!r} passes every public case of {mistake.function} (seed convention {convention})"


@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda mistake: f"{mistake.function}: {mistake.name}")
def test_mistake_leaves_the_other_functions_untouched(mistake):
    # A backward consumes the student's own forward cache, so a wrong forward may also
    # change its paired backward: the contract leaves the cache to the student.
    namespace = _variant_namespace(mistake)
    consumers = {mistake.function, mistake.function.replace("_forward", "_backward")}
    for function_name, index, check in VALUE_CHECKS:
        if function_name in consumers:
            continue
        for case in _generate(check, _public_seeds(function_name, index)[0]):
            expected = run_program(vars(REFERENCE), case.calls)
            actual = run_program(namespace, case.calls)
            for index_ in _graded_indices(case, function_name):
                assert _identical(expected[index_].value, actual[index_].value), (function_name, case.label)


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
    namespace: dict = {}
    exec(compile(ALTERNATIVE_SOLUTION, "backprop.py", "exec"), namespace)
    return namespace


@pytest.mark.parametrize("item", VALUE_CHECKS, ids=_check_id)
def test_a_correct_solution_written_differently_passes_every_value_case(item):
    function_name, index, check = item
    namespace = _alternative_namespace()
    for seed in _public_and_hidden_seeds(function_name, index):
        for case in _generate(check, seed):
            assert not _case_differs(case, function_name, namespace, _tolerance(case.rtol, check, "rtol"),
                                     _tolerance(case.atol, check, "atol")), case.label


@pytest.mark.parametrize("item", GRADCHECKS, ids=_check_id)
def test_a_correct_solution_written_differently_passes_the_gradient_checks(item):
    function_name, index, check = item
    for gradcheck in _generate(check, _public_seeds(function_name, index)[0]):
        assert _gradcheck_error(gradcheck, _alternative_namespace()) < gradcheck.tolerance


# ---------------------------------------------------------------- through the real engine and sandbox


@pytest.fixture(scope="module")
def engine():
    executor = open_executor(require_full_isolation=False)
    assignment = load_assignment(FOLDER)

    def grade(source: str) -> dict[str, float]:
        report = grade_source(assignment, source.encode(), executor, mode="public")
        scores: dict[str, float] = {}
        for test in report.tests:
            scores[test.function] = scores.get(test.function, 0.0) + test.score
        return scores

    yield grade, assignment
    executor.close()


@pytest.fixture(scope="module")
def reference_scores(engine) -> dict[str, float]:
    grade, _ = engine
    return grade((FOLDER / "reference.py").read_text())


@pytest.mark.parametrize("source", ["reference", "alternative"])
def test_correct_files_get_full_marks_through_the_engine(engine, source):
    grade, assignment = engine
    text = (FOLDER / "reference.py").read_text() if source == "reference" else ALTERNATIVE_SOLUTION
    scores = grade(text)
    # 0-d parameters (b, b2) and NumPy scalar losses must cross the sandbox wire intact.
    assert scores == pytest.approx({function["name"]: function["points"] for function in SPEC["functions"]})
    assert sum(scores.values()) == pytest.approx(assignment.max_score)


def test_starter_gets_no_points_through_the_engine(engine):
    grade, _ = engine
    assert sum(grade((FOLDER / "starter.py").read_text()).values()) == 0.0


@pytest.mark.slow
@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda mistake: f"{mistake.function}: {mistake.name}")
def test_mistake_loses_points_of_its_function_only_through_the_engine(engine, reference_scores, mistake):
    grade, assignment = engine
    baseline = reference_scores
    scores = grade(variant_source(assignment, mistake))
    points = {function["name"]: function["points"] for function in SPEC["functions"]}
    assert baseline[mistake.function] == pytest.approx(points[mistake.function])
    assert scores[mistake.function] < baseline[mistake.function]
    paired_backward = mistake.function.replace("_forward", "_backward")
    for function_name, score in scores.items():
        if function_name not in (mistake.function, paired_backward):
            assert score == pytest.approx(baseline[function_name]), function_name

