"""The `gradient_check` assignment folder: reference vs PyTorch autograd, cases, probes, starter, mistakes."""

import ast
import importlib.util
import inspect
import math
import time
import tomllib
from pathlib import Path

import numpy as np
import pytest

from autograder.grading.cases import Case
from autograder.sandbox.program import _by_value, run_program

FOLDER = Path(__file__).resolve().parents[2] / "assignments" / "gradient_check"
SPEC = tomllib.loads((FOLDER / "spec.toml").read_text())
FUNCTIONS = [function["name"] for function in SPEC["functions"]]
RTOL, ATOL = 1e-6, 1e-9


def _load(filename):
    spec = importlib.util.spec_from_file_location(f"assignment_gradient_check_{filename[:-3]}", FOLDER / filename)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


REFERENCE = _load("reference.py")
REFERENCE_NAMESPACE = vars(REFERENCE)
CASES = _load("cases.py")
PROBES_MODULE = _load("probes.py")
PROBES = {name: value for name, value in vars(PROBES_MODULE).items()
          if not name.startswith("_") and inspect.isfunction(value)}


def _mistakes_namespace():
    namespace = dict(REFERENCE_NAMESPACE)
    exec(compile((FOLDER / "mistakes.py").read_text(), str(FOLDER / "mistakes.py"), "exec"), namespace)
    return namespace


MISTAKES_NAMESPACE = _mistakes_namespace()
MISTAKES = MISTAKES_NAMESPACE["MISTAKES"]


def _checks(kind="values", seed_offset=0):
    """Yield (function, check, cases) seeded as the engine does: public_seed + the check's index in the spec."""
    position = 0
    for function in SPEC["functions"]:
        for check in function["checks"]:
            if check.get("kind", "values") == kind:
                generator = getattr(CASES, check["cases"])
                yield function["name"], check, generator(np.random.default_rng(SPEC["public_seed"] + seed_offset + position))
            position += 1


def _is_scalar(value):
    return (isinstance(value, (float, int, np.floating, np.integer)) and not isinstance(value, bool)) or (
        isinstance(value, np.ndarray) and value.shape == ())


def _close(expected, got, rtol, atol):
    """True when ``got`` matches ``expected`` in structure, shape, numeric dtype and value."""
    if _is_scalar(expected):
        if not _is_scalar(got) or np.asarray(got).dtype.kind not in "iuf":
            return False
        expected, got = float(expected), float(got)
        return math.isfinite(got) and abs(got - expected) <= atol + rtol * abs(expected)
    if isinstance(expected, np.ndarray):
        if not isinstance(got, np.ndarray) or got.shape != expected.shape or got.dtype.kind not in "iuf":
            return False
        return bool(np.all(np.isfinite(got))) and np.allclose(got, expected, rtol=rtol, atol=atol)
    if isinstance(expected, (tuple, list)):
        return (isinstance(got, (tuple, list)) and len(got) == len(expected)
                and all(_close(e, g, rtol, atol) for e, g in zip(expected, got)))
    if isinstance(expected, dict):
        return (isinstance(got, dict) and set(got) == set(expected)
                and all(_close(expected[key], got[key], rtol, atol) for key in expected))
    return type(expected) is type(got) and expected == got


def _same(before, after):
    if isinstance(before, np.ndarray):
        return isinstance(after, np.ndarray) and before.dtype == after.dtype and np.array_equal(before, after)
    if isinstance(before, dict):
        return isinstance(after, dict) and set(before) == set(after) and all(_same(before[k], after[k]) for k in before)
    if isinstance(before, (list, tuple)):
        return type(before) is type(after) and len(before) == len(after) and all(map(_same, before, after))
    return type(before) is type(after) and before == after


def _follow(value, path):
    for step in path:
        value = value[step]
    return value


def _graded(case, function):
    return case.graded if case.graded is not None else [
        index for index, call in enumerate(case.calls) if call.function == function]


def _modified_arguments(case, function, outcomes):
    """By-value arguments of graded calls that differ after the call (restored ones must be back too)."""
    changed = []
    for index in _graded(case, function):
        call, outcome = case.calls[index], outcomes[index]
        sent = {str(i): arg for i, arg in enumerate(call.args)} | dict(call.kwargs)
        for key, after in (outcome.args_after or {}).items():
            if key not in case.mutable and _by_value(sent[key]) and not _same(sent[key], after):
                changed.append(f"{call.function} argument {key}")
    return changed


def _case_failures(namespace, case, function, rtol, atol):
    """Describe how ``namespace`` fails ``case`` compared with the reference (empty: passes)."""
    expected = run_program(REFERENCE_NAMESPACE, case.calls, probes=PROBES)
    with np.errstate(all="ignore"):
        got = run_program(namespace, case.calls, probes=PROBES)
    rtol = rtol if case.rtol is None else case.rtol
    atol = atol if case.atol is None else case.atol
    failures = []
    for index in _graded(case, function):
        if not got[index].ok:
            failures.append(f"call {index} raised {got[index].error_type}: {got[index].error_message}")
        elif not _close(_follow(expected[index].value, case.compare), _follow(got[index].value, case.compare),
                        rtol, atol):
            failures.append(f"call {index} differs")
    return failures + _modified_arguments(case, function, got)


def _all_failures(namespace, seed_offset=0):
    """Map each function to the failures of ``namespace`` on that function's cases."""
    failures = {name: [] for name in FUNCTIONS}
    for function, check, cases in _checks(seed_offset=seed_offset):
        for case in cases:
            failures[function] += [f"{check['name']}: {case.label}: {failure}"
                                   for failure in _case_failures(namespace, case, function,
                                                                 check.get("rtol", RTOL), check.get("atol", ATOL))]
    return failures


# --- the reference against independent oracles ---------------------------------------------


def test_hand_computed_values():
    x = np.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(REFERENCE.numerical_gradient(lambda z: float(np.sum(z * z)), x), [2.0, -4.0, 1.0],
                               rtol=1e-9)
    np.testing.assert_array_equal(x, [1.0, -2.0, 0.5])
    # sum(x**3) by centred differences is 3x^2 + h^2 exactly.
    np.testing.assert_allclose(REFERENCE.numerical_gradient(lambda z: float(np.sum(z ** 3)), x, h=0.1),
                               3 * x ** 2 + 0.01, rtol=1e-10)
    df = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_allclose(REFERENCE.numerical_gradient_array(lambda z: 2 * z, np.ones((2, 2)), df), 2 * df,
                               rtol=1e-9)
    assert REFERENCE.relative_error(np.array([1.0, 0.0]), np.array([3.0, 0.0])) == pytest.approx(0.5)
    assert REFERENCE.relative_error(np.array([2e-9]), np.array([0.0])) == pytest.approx(0.2)
    assert REFERENCE.relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert REFERENCE.gradient_check(lambda z: float(np.sum(z * z)), lambda z: 3 * z, np.array([1.0])) == \
        pytest.approx(0.2)


@pytest.mark.oracle
def test_numerical_gradients_match_pytorch_autograd():
    torch = pytest.importorskip("torch", reason="PyTorch autograd is the independent oracle for the reference")
    rng = np.random.default_rng(11)
    A, b, x = rng.normal(size=(6, 4)), rng.normal(size=6), rng.normal(size=4)

    def autograd(function, point):
        tensor = torch.tensor(point, requires_grad=True)
        function(tensor).backward()
        return tensor.grad.numpy()

    least_squares, _ = PROBES["least_squares"](A, b)
    expected = autograd(lambda t: 0.5 * torch.sum((torch.tensor(A) @ t - torch.tensor(b)) ** 2) / 6, x)
    np.testing.assert_allclose(REFERENCE.numerical_gradient(least_squares, x.copy()), expected, rtol=1e-7, atol=1e-10)
    matrix = rng.normal(size=(3, 5))
    np.testing.assert_allclose(REFERENCE.numerical_gradient(PROBES["log_sum_exp"], matrix.copy()),
                               autograd(lambda t: torch.logsumexp(t.reshape(-1), 0), matrix), rtol=1e-6, atol=1e-10)

    def vjp(function, point, df):
        tensor = torch.tensor(point, requires_grad=True)
        function(tensor).backward(torch.tensor(df))
        return tensor.grad.numpy()

    W, c, x2 = rng.normal(size=(4, 3)), rng.normal(size=3), rng.normal(size=(5, 4))
    df = rng.normal(size=(5, 3))
    np.testing.assert_allclose(REFERENCE.numerical_gradient_array(PROBES["affine_map"](W, c), x2.copy(), df),
                               vjp(lambda t: t @ torch.tensor(W) + torch.tensor(c), x2, df), rtol=1e-7, atol=1e-10)
    z, dz = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 3, 4))
    np.testing.assert_allclose(REFERENCE.numerical_gradient_array(PROBES["row_softmax"], z.copy(), dz),
                               vjp(lambda t: torch.softmax(t, dim=-1), z, dz), rtol=1e-6, atol=1e-10)
    np.testing.assert_allclose(REFERENCE.numerical_gradient_array(PROBES["elementwise_tanh"], z.copy(), dz),
                               vjp(torch.tanh, z, dz), rtol=1e-6, atol=1e-10)


@pytest.mark.oracle
def test_gradient_check_of_autograd_gradients_is_tiny_and_flags_a_wrong_entry():
    torch = pytest.importorskip("torch", reason="PyTorch autograd is the independent oracle for the reference")
    rng = np.random.default_rng(5)
    W = rng.normal(size=(4, 3))

    def loss(x):
        return float(np.sum(np.tanh(x @ W) ** 2))

    def autograd_gradient(x):
        tensor = torch.tensor(x, requires_grad=True)
        torch.sum(torch.tanh(tensor @ torch.tensor(W)) ** 2).backward()
        return tensor.grad.numpy()

    x = rng.normal(size=(2, 4))
    assert REFERENCE.gradient_check(loss, autograd_gradient, x.copy()) < 1e-7
    gradient = autograd_gradient(x)

    def wrong(point):
        result = autograd_gradient(point)
        result[1, 2] += 0.1
        return result

    expected = 0.1 / (abs(gradient[1, 2] + 0.1) + abs(gradient[1, 2]))
    assert REFERENCE.gradient_check(loss, wrong, x.copy()) == pytest.approx(expected, rel=1e-6)


@pytest.mark.oracle
def test_probe_gradients_match_pytorch_autograd():
    torch = pytest.importorskip("torch", reason="PyTorch autograd is the independent oracle for the probes")
    rng = np.random.default_rng(3)
    A, b, x = rng.normal(size=(5, 3)), rng.normal(size=(5, 2)), rng.normal(size=(3, 2))
    pairs = [PROBES["least_squares"](A, b), (PROBES["sum_of_squares"], PROBES["sum_of_squares_gradient"]),
             (PROBES["sum_of_cubes"], PROBES["sum_of_cubes_gradient"]),
             (PROBES["log_sum_exp"], PROBES["log_sum_exp_gradient"])]
    torch_losses = [lambda t: 0.5 * torch.sum((torch.tensor(A) @ t - torch.tensor(b)) ** 2) / 5,
                    lambda t: torch.sum(t ** 2), lambda t: torch.sum(t ** 3),
                    lambda t: torch.logsumexp(t.reshape(-1), 0)]
    for (loss, gradient), torch_loss in zip(pairs, torch_losses):
        tensor = torch.tensor(x, requires_grad=True)
        value = torch_loss(tensor)
        value.backward()
        assert loss(x) == pytest.approx(value.item(), rel=1e-12)
        np.testing.assert_allclose(gradient(x), tensor.grad.numpy(), rtol=1e-12, atol=1e-14)


# --- the assignment folder ------------------------------------------------------------------


def test_spec_names_existing_generators_and_every_reference_function():
    for function in SPEC["functions"]:
        assert callable(getattr(REFERENCE, function["name"]))
        kinds = [check.get("kind", "values") for check in function["checks"]]
        assert kinds.count("values") >= 2 and kinds.count("unchanged") == 1
        for check in function["checks"]:
            if "cases" in check:
                assert callable(getattr(CASES, check["cases"]))


def test_reference_functions_never_call_each_other():
    for name in FUNCTIONS:
        called = set(getattr(REFERENCE, name).__code__.co_names)
        assert not called & (set(FUNCTIONS) - {name}), name


def test_probes_import_only_numpy_and_define_no_contract_function():
    tree = ast.parse((FOLDER / "probes.py").read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
                for alias in node.names} | {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported == {"numpy"}
    assert not set(PROBES) & set(FUNCTIONS)


@pytest.mark.parametrize("seed_offset", [0, 1000])
def test_cases_run_on_reference_with_finite_results_and_unchanged_arguments(seed_offset):
    seen = set()
    for function, check, cases in _checks(seed_offset=seed_offset):
        assert cases and all(isinstance(case, Case) for case in cases), check["name"]
        for case in cases:
            outcomes = run_program(REFERENCE_NAMESPACE, case.calls, probes=PROBES)
            assert all(outcome.ok for outcome in outcomes), (function, case.label, outcomes)
            for index in _graded(case, function):
                value = np.asarray(outcomes[index].value, dtype=np.float64)
                assert np.all(np.isfinite(value)), (function, case.label)
            assert not _modified_arguments(case, function, outcomes), (function, case.label)
            seen.add(function)
    assert seen == set(FUNCTIONS)


def test_cases_are_deterministic_and_depend_on_the_seed():
    for function, check, cases in _checks():
        generator = getattr(CASES, check["cases"])
        first = generator(np.random.default_rng(SPEC["public_seed"]))
        again = generator(np.random.default_rng(SPEC["public_seed"]))
        other = generator(np.random.default_rng(SPEC["public_seed"] + 1))
        assert all(_same(a.calls[-1].args, b.calls[-1].args) for a, b in zip(first, again)), check["name"]
        assert not all(_same(a.calls[-1].args, b.calls[-1].args) for a, b in zip(first, other)), check["name"]


def test_public_cases_grade_fast():
    started = time.perf_counter()
    failures = _all_failures(REFERENCE_NAMESPACE)
    assert time.perf_counter() - started < 5.0  # ~0.05 s when idle; the CI machine is shared
    assert not any(failures.values()), failures


def test_starter_imports_and_every_function_raises_not_implemented():
    starter = _load("starter.py")
    for function, _check, cases in _checks():
        stub = getattr(starter, function)
        assert inspect.signature(stub) == inspect.signature(REFERENCE_NAMESPACE[function])
        assert stub.__doc__
        outcomes = run_program(vars(starter), cases[0].calls, probes=PROBES)
        assert [outcomes[index].error_type for index in _graded(cases[0], function)] == ["NotImplementedError"]


def _alternative_numerical_gradient(f, x, h=1e-5):
    """A right answer written differently: np.nditer over x, x[i] += h then -= 2h."""
    grad = np.zeros_like(x)
    iterator = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not iterator.finished:
        index = iterator.multi_index
        old = x[index]
        x[index] = old + h
        plus = f(x)
        x[index] = old - h
        minus = f(x)
        x[index] = old
        grad[index] = (plus - minus) / (2 * h)
        iterator.iternext()
    return grad


def _alternative_numerical_gradient_array(f, x, df, h=1e-5):
    """A right answer written differently: weighted sums taken before subtracting."""
    grad = np.zeros_like(x)
    flat = x.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        plus = np.sum(f(x) * df)
        flat[i] = old - h
        minus = np.sum(f(x) * df)
        flat[i] = old
        grad.reshape(-1)[i] = (plus - minus) / (2 * h)
    return grad


def _alternative_relative_error(a, b):
    return np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)))


def _alternative_gradient_check(f, grad_f, x, h=1e-5):
    numeric = _alternative_numerical_gradient(f, x, h)
    return _alternative_relative_error(grad_f(x), numeric)


def test_differently_written_right_answers_pass_every_public_case():
    namespace = dict(REFERENCE_NAMESPACE, numerical_gradient=_alternative_numerical_gradient,
                     numerical_gradient_array=_alternative_numerical_gradient_array,
                     relative_error=_alternative_relative_error, gradient_check=_alternative_gradient_check)
    failures = _all_failures(namespace)
    assert not any(failures.values()), failures


def test_every_function_has_at_least_two_mistakes():
    counts = {name: 0 for name in FUNCTIONS}
    for mistake in MISTAKES:
        counts[mistake.function] += 1
        assert mistake.name and mistake.hint and callable(MISTAKES_NAMESPACE[mistake.implementation])
        assert inspect.signature(MISTAKES_NAMESPACE[mistake.implementation]).parameters.keys() == \
            inspect.signature(REFERENCE_NAMESPACE[mistake.function]).parameters.keys()
    assert min(counts.values()) >= 2, counts


@pytest.mark.parametrize("mistake", MISTAKES, ids=[f"{m.function}: {m.name}" for m in MISTAKES])
@pytest.mark.parametrize("seed_offset", [0, 1000])
def test_mistake_is_caught_by_cases_of_its_function_only(mistake, seed_offset):
    namespace = dict(REFERENCE_NAMESPACE, **{mistake.function: MISTAKES_NAMESPACE[mistake.implementation]})
    failures = _all_failures(namespace, seed_offset)
    assert failures.pop(mistake.function), "not caught"
    assert not any(failures.values()), failures
