"""The `training` assignment folder: reference vs PyTorch optimizers and closed forms, cases, probes, starter, mistakes."""

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

FOLDER = Path(__file__).resolve().parents[2] / "assignments" / "training"
SPEC = tomllib.loads((FOLDER / "spec.toml").read_text())
FUNCTIONS = [function["name"] for function in SPEC["functions"]]
RTOL, ATOL = 1e-6, 1e-9


def _load(filename):
    spec = importlib.util.spec_from_file_location(f"assignment_training_{filename[:-3]}", FOLDER / filename)
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


def test_hand_computed_minibatches():
    X = np.arange(10.0).reshape(5, 2)
    y = np.arange(5) * 10
    order = np.random.default_rng(3).permutation(5)
    batches = list(REFERENCE.iterate_minibatches(X, y, 2, np.random.default_rng(3)))
    assert [len(yb) for _, yb in batches] == [2, 2, 1]
    np.testing.assert_array_equal(np.concatenate([xb for xb, _ in batches]), X[order])
    np.testing.assert_array_equal(np.concatenate([yb for _, yb in batches]), y[order])
    assert sorted(np.concatenate([yb for _, yb in batches]).tolist()) == [0, 10, 20, 30, 40]
    (single,) = list(REFERENCE.iterate_minibatches(X, y, 9, np.random.default_rng(3)))
    np.testing.assert_array_equal(single[1], y[order])


def test_gradient_descent_matches_the_closed_form_on_a_quadratic_bowl():
    rng = np.random.default_rng(4)
    basis, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    A = basis @ np.diag([0.5, 1.0, 2.0]) @ basis.T
    center, x0 = rng.normal(size=3), rng.normal(size=3)
    # x_k - c = (I - lr A)^k (x0 - c)
    expected = center + np.linalg.matrix_power(np.eye(3) - 0.3 * A, 9) @ (x0 - center)
    result = REFERENCE.gradient_descent(PROBES["quadratic_bowl_gradient"](A, center), x0, 0.3, 9)
    np.testing.assert_allclose(result, expected, rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(REFERENCE.gradient_descent(lambda x: x, x0, 0.1, 0), x0)


def _epoch_orders(seed, n, epochs):
    """The row orders of each epoch: one permutation per epoch from a single generator."""
    rng = np.random.default_rng(seed)
    return [rng.permutation(n) for _ in range(epochs)]


@pytest.mark.oracle
def test_gradient_descent_matches_torch_sgd():
    torch = pytest.importorskip("torch", reason="PyTorch's optimizers are the independent oracle for the reference")
    rng = np.random.default_rng(8)
    A = np.diag([0.5, 1.5]) + 0.1
    center, x0 = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    x = torch.tensor(x0, requires_grad=True)
    optimizer = torch.optim.SGD([x], lr=0.2)
    for _ in range(11):
        optimizer.zero_grad()
        difference = x - torch.tensor(center)
        (0.5 * torch.sum(difference * (torch.tensor(A) @ difference))).backward()
        optimizer.step()
    result = REFERENCE.gradient_descent(PROBES["quadratic_bowl_gradient"](A, center), x0, 0.2, 11)
    np.testing.assert_allclose(result, x.detach().numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.oracle
def test_probe_losses_match_pytorch_autograd():
    torch = pytest.importorskip("torch", reason="PyTorch autograd is the independent oracle for the probes")
    rng = np.random.default_rng(9)
    X, y = rng.normal(size=(7, 4)), rng.normal(size=7)
    params = {"U": rng.normal(size=(4, 2)), "v": rng.normal(size=2), "c": np.array(0.3),
              "w": rng.normal(size=4), "b": np.array(-0.2)}
    tensors = {name: torch.tensor(value, requires_grad=True) for name, value in params.items()}
    Xt, yt = torch.tensor(X), torch.tensor(y)
    models = {
        "factorised_regression": (("U", "v", "c"), lambda t: Xt @ t["U"] @ t["v"] + t["c"]),
        "half_squared_error": (("w", "b"), lambda t: Xt @ t["w"] + t["b"]),
    }
    for probe, (names, model) in models.items():
        loss = 0.5 * torch.nn.functional.mse_loss(model(tensors), yt)
        loss.backward()
        value, grads = PROBES[probe]({name: params[name] for name in names}, X, y)
        assert value == pytest.approx(loss.item(), rel=1e-12)
        assert set(grads) == set(names)
        for name in names:
            np.testing.assert_allclose(grads[name], tensors[name].grad.numpy(), rtol=1e-10, atol=1e-12)
            assert np.shape(grads[name]) == np.shape(params[name])


@pytest.mark.oracle
@pytest.mark.parametrize("update", ["fixed_step", "counting_momentum"])
def test_train_matches_a_torch_training_loop(update):
    """fixed_step is SGD; counting_momentum is SGD with momentum and lr / sqrt(step), one buffer per parameter."""
    torch = pytest.importorskip("torch", reason="PyTorch's optimizers are the independent oracle for the reference")
    rng = np.random.default_rng(12)
    n, d, batch_size, epochs, seed = 11, 3, 4, 3, 77
    X, y = rng.normal(size=(n, d)), rng.normal(size=n)
    params = {"U": 0.3 * rng.normal(size=(d, 2)), "v": 0.3 * rng.normal(size=2), "c": np.array(0.1)}
    tensors = [torch.tensor(params[name], requires_grad=True) for name in ("U", "v", "c")]
    if update == "fixed_step":
        optimizer = torch.optim.SGD(tensors, lr=0.05)
        schedule = None
    else:
        optimizer = torch.optim.SGD(tensors, lr=0.05, momentum=0.5)
        schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1 / math.sqrt(step + 1))
    expected_losses = []
    for order in _epoch_orders(seed, n, epochs):
        for start in range(0, n, batch_size):
            rows = order[start:start + batch_size]
            optimizer.zero_grad()
            U, v, c = tensors
            prediction = torch.tensor(X[rows]) @ U @ v + c
            loss = 0.5 * torch.mean((prediction - torch.tensor(y[rows])) ** 2)
            loss.backward()
            optimizer.step()
            if schedule is not None:
                schedule.step()
            expected_losses.append(loss.item())
    given = {name: value.copy() for name, value in params.items()}
    trained, losses = REFERENCE.train(PROBES["factorised_regression"], given, X, y, PROBES[update],
                                      {"step_size": 0.05}, batch_size, epochs, np.random.default_rng(seed))
    assert len(losses) == epochs * math.ceil(n / batch_size)
    np.testing.assert_allclose(losses, expected_losses, rtol=1e-10)
    for name, tensor in zip(("U", "v", "c"), tensors):
        np.testing.assert_allclose(trained[name], tensor.detach().numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_array_equal(given[name], params[name])
    assert set(given) == set(params)


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
                value = outcomes[index].value
                if function == "train":
                    trained, losses = value
                    value = [*trained.values(), losses]
                elif function == "iterate_minibatches":
                    value = [array for batch in value for array in batch]
                for array in value if isinstance(value, list) else [value]:
                    assert np.all(np.isfinite(np.asarray(array, dtype=np.float64))), (function, case.label)
            assert not _modified_arguments(case, function, outcomes), (function, case.label)
            seen.add(function)
    assert seen == set(FUNCTIONS)


def test_training_cases_cover_uneven_batches_several_epochs_and_stateful_updates():
    calls = [case.calls[-1] for _function, _check, cases in _checks() for case in cases
             if case.calls[-1].function == "train"]
    shapes = [(call.args[2].shape[0], call.args[6], call.args[7], call.args[4].name) for call in calls]
    assert any(n % batch and batch < n for n, batch, _, _ in shapes)
    assert any(batch >= n for n, batch, _, _ in shapes)
    assert any(epochs >= 2 for _, _, epochs, _ in shapes)
    assert {"counting_momentum", "decaying_step", "fixed_step"} <= {update for *_, update in shapes}


def test_cases_are_deterministic_and_depend_on_the_seed():
    for _function, check, _cases in _checks():
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


def _alternative_iterate_minibatches(X, y, batch_size, rng):
    """A right answer written differently: a list of batches built with np.array_split-free slicing."""
    order = rng.permutation(len(X))
    X_shuffled, y_shuffled = X[order], y[order]
    count = -(-len(X) // batch_size)
    return iter([(X_shuffled[i * batch_size:(i + 1) * batch_size], y_shuffled[i * batch_size:(i + 1) * batch_size])
                 for i in range(count)])


def _alternative_gradient_descent(grad_fn, x0, learning_rate, num_steps):
    x = x0.copy()
    for _ in range(num_steps):
        x -= learning_rate * grad_fn(x)
    return x


def _alternative_train(loss_and_grads, params, X, y, update, config, batch_size, epochs, rng):
    """A right answer written differently: shallow config copies, the alternative batch iterator."""
    current = {name: value for name, value in params.items()}
    states = {name: dict(config) for name in params}
    losses = []
    for _ in range(epochs):
        for X_batch, y_batch in _alternative_iterate_minibatches(X, y, batch_size, rng):
            loss, grads = loss_and_grads(current, X_batch, y_batch)
            for name in sorted(current):
                current[name], states[name] = update(current[name], grads[name], states[name])
            losses.append(loss)
    return current, losses


def test_differently_written_right_answers_pass_every_public_case():
    namespace = dict(REFERENCE_NAMESPACE, iterate_minibatches=_alternative_iterate_minibatches,
                     gradient_descent=_alternative_gradient_descent, train=_alternative_train)
    for seed_offset in (0, 1000):
        failures = _all_failures(namespace, seed_offset)
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
