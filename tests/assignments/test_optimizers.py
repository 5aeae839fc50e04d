"""The `optimizers` assignment folder: reference vs torch.optim, cases, starter, mistakes."""

import importlib.util
import inspect
import math
import tomllib
from pathlib import Path

import numpy as np
import pytest

from autograder.grading.cases import Case, Ref
from autograder.sandbox.program import _by_value, run_program

FOLDER = Path(__file__).resolve().parents[2] / "assignments" / "optimizers"
SPEC = tomllib.loads((FOLDER / "spec.toml").read_text())
FUNCTIONS = [function["name"] for function in SPEC["functions"]]
RTOL, ATOL = 1e-6, 1e-9
# The defaults published in the contract (ASSIGNMENTS.md, section 3).
CONTRACT_DEFAULTS = {
    "sgd": {"learning_rate": 1e-2},
    "sgd_momentum": {"learning_rate": 1e-2, "momentum": 0.9, "nesterov": False},
    "rmsprop": {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8},
    "adam": {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8},
    "adamw": {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "weight_decay": 1e-2},
}


def _load(filename):
    spec = importlib.util.spec_from_file_location(f"assignment_optimizers_{filename[:-3]}", FOLDER / filename)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def reference():
    return _load("reference.py")


@pytest.fixture(scope="module")
def cases_module():
    return _load("cases.py")


@pytest.fixture(scope="module")
def mistakes(reference):
    namespace = dict(vars(reference))
    source = (FOLDER / "mistakes.py").read_text()
    exec(compile(source, str(FOLDER / "mistakes.py"), "exec"), namespace)
    return namespace


READINGS = ("index within the function", "index within the spec")


def _public_checks(cases_module, kind="values", readings=READINGS):
    """Yield (function, check, seed, generated cases); seeded public_seed + the check's index.

    The index may be read within the function or within the whole spec: cases must work for both.
    """
    for reading in readings:
        position = 0
        for function in SPEC["functions"]:
            for local, check in enumerate(function["checks"]):
                if check.get("kind", "values") == kind:
                    seed = SPEC["public_seed"] + (local if reading == READINGS[0] else position)
                    generator = getattr(cases_module, check["cases"])
                    yield function["name"], check, seed, generator(np.random.default_rng(seed))
                position += 1


def _is_scalar(value):
    return isinstance(value, (float, int, np.floating, np.integer)) and not isinstance(value, bool) or (
        isinstance(value, np.ndarray) and value.shape == ())


def _close(expected, got, rtol, atol):
    """True when ``got`` matches ``expected`` in structure, shape, dtype kind and value."""
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


def _modified_arguments(case: Case, outcomes):
    """Names of by-value arguments a program changed that the case does not allow to change."""
    changed = []
    for call, outcome in zip(case.calls, outcomes):
        sent = {str(i): arg for i, arg in enumerate(call.args)} | dict(call.kwargs)
        for key, after in (outcome.args_after or {}).items():
            if key not in case.mutable and _by_value(sent[key]) and not _same(sent[key], after):
                changed.append(f"{call.function} argument {key}")
    return changed


def _case_failures(namespace, case: Case, function, rtol, atol):
    """Describe how ``namespace`` fails ``case`` compared with the reference (empty: passes)."""
    expected = run_program(REFERENCE_NAMESPACE, case.calls)
    with np.errstate(all="ignore"):
        got = run_program(namespace, case.calls)
    graded = case.graded if case.graded is not None else [
        i for i, call in enumerate(case.calls) if call.function == function]
    failures = []
    for index in graded:
        if not got[index].ok:
            failures.append(f"call {index} raised {got[index].error_type}")
        elif not _close(_follow(expected[index].value, case.compare), _follow(got[index].value, case.compare),
                        case.rtol or rtol, case.atol or atol):
            failures.append(f"call {index} differs")
    return failures + _modified_arguments(case, got)


REFERENCE_NAMESPACE = vars(_load("reference.py"))



# --- the reference against an independent oracle -------------------------------------------


def _sequences(case: Case):
    """Split a case's program into (function, w0, grads, first config, call indices) runs."""
    runs, run_of_call = [], {}
    for index, call in enumerate(case.calls):
        w, dw = call.args[0], call.args[1]
        if type(w) is Ref:
            run_of_call[index] = run_of_call[w.call]
            runs[run_of_call[index]]["grads"].append(dw)
            runs[run_of_call[index]]["calls"].append(index)
        else:
            config = call.args[2] if len(call.args) > 2 else call.kwargs.get("config")
            run_of_call[index] = len(runs)
            runs.append({"function": call.function, "w": w, "grads": [dw], "config": config, "calls": [index]})
    return runs


def _torch_trajectory(torch, function, w, grads, config):
    """Weights after each step of the matching torch.optim optimizer (float64)."""
    cfg = CONTRACT_DEFAULTS[function] | (config or {})
    param = torch.tensor(w, requires_grad=True)
    optim, state = torch.optim, {}
    if function in ("sgd", "sgd_momentum"):
        momentum = cfg.get("momentum", 0.0)
        optimizer = optim.SGD([param], lr=cfg["learning_rate"], momentum=momentum,
                              nesterov=cfg.get("nesterov", False), foreach=False)
        if "velocity" in cfg:
            state = {"momentum_buffer": torch.tensor(cfg["velocity"])}
    elif function == "rmsprop":
        optimizer = optim.RMSprop([param], lr=cfg["learning_rate"], alpha=cfg["decay_rate"], eps=cfg["epsilon"],
                                  foreach=False)
        if "cache" in cfg:
            state = {"step": torch.tensor(0.0), "square_avg": torch.tensor(cfg["cache"])}
    else:
        kind = optim.Adam if function == "adam" else optim.AdamW
        extra = {"weight_decay": cfg["weight_decay"]} if function == "adamw" else {}
        optimizer = kind([param], lr=cfg["learning_rate"], betas=(cfg["beta1"], cfg["beta2"]), eps=cfg["epsilon"],
                         foreach=False, **extra)
        if "t" in cfg:
            state = {"step": torch.tensor(float(cfg["t"])), "exp_avg": torch.tensor(cfg["m"]),
                     "exp_avg_sq": torch.tensor(cfg["v"])}
    if state:
        optimizer.state[param] = state
    trajectory = []
    for dw in grads:
        param.grad = torch.tensor(dw)
        optimizer.step()
        trajectory.append(param.detach().numpy().copy())
    return trajectory


@pytest.mark.oracle
def test_reference_matches_torch_optim_on_every_public_case(cases_module):
    torch = pytest.importorskip("torch", reason="torch.optim is the independent oracle for the reference")
    compared = set()
    for function, check, _seed, cases in _public_checks(cases_module):
        for case in cases:
            outcomes = run_program(REFERENCE_NAMESPACE, case.calls)
            for run in _sequences(case):
                expected = _torch_trajectory(torch, run["function"], run["w"], run["grads"], run["config"])
                for index, w in zip(run["calls"], expected):
                    np.testing.assert_allclose(outcomes[index].value[0], w, rtol=1e-9, atol=1e-15,
                                               err_msg=f"{function}: {check['name']}: {case.label}, call {index}")
                compared.add(run["function"])
    assert compared == set(FUNCTIONS)


def test_hand_computed_steps(reference):
    w, g = np.array([1.0, 2.0]), np.array([1.0, -2.0])
    np.testing.assert_allclose(reference.sgd(w, g, {"learning_rate": 0.1})[0], [0.9, 2.2])
    np.testing.assert_allclose(reference.sgd(w, g)[0], [0.99, 2.02])
    w1, config = reference.sgd_momentum(w, g, {"learning_rate": 0.1, "momentum": 0.5})
    w2, config = reference.sgd_momentum(w1, g, config)
    np.testing.assert_allclose(config["velocity"], 1.5 * g)  # 0.5 * g + g
    np.testing.assert_allclose(w2, w - 0.1 * g - 0.1 * 1.5 * g)
    nesterov_w, _ = reference.sgd_momentum(w, g, {"learning_rate": 0.1, "momentum": 0.5, "nesterov": True})
    np.testing.assert_allclose(nesterov_w, w - 0.1 * 1.5 * g)  # first step: dw + 0.5 * dw
    # First RMSprop step: cache = 0.01 g**2, so the step is lr * g / (0.1 |g|) = 0.1 sign(g).
    np.testing.assert_allclose(reference.rmsprop(w, g)[0], w - 0.1 * np.sign(g), rtol=1e-6)
    # First Adam step: bias correction makes m_hat = g and v_hat = g**2, so the step is lr * sign(g).
    np.testing.assert_allclose(reference.adam(w, g)[0], w - 1e-3 * np.sign(g), rtol=1e-7)
    np.testing.assert_allclose(reference.adamw(w, g)[0], w * (1 - 1e-5) - 1e-3 * np.sign(g), rtol=1e-7)


def test_reference_leaves_config_alone_and_starts_fresh_from_none(reference):
    config = {"learning_rate": 0.1, "m": np.ones(3), "v": np.ones(3), "t": 2}
    before = {key: np.copy(value) for key, value in config.items()}
    _, returned = reference.adam(np.zeros(3), np.ones(3), config)
    assert returned is not config and returned["t"] == 3
    assert all(np.array_equal(config[key], before[key]) for key in before)
    first, _ = reference.adam(np.zeros(2), np.ones(2))
    again, _ = reference.adam(np.zeros(2), np.ones(2))
    np.testing.assert_array_equal(first, again)


# --- the assignment folder ------------------------------------------------------------------


def test_spec_names_existing_generators_and_every_reference_function(reference, cases_module):
    for function in SPEC["functions"]:
        assert callable(getattr(reference, function["name"]))
        kinds = [check.get("kind", "values") for check in function["checks"]]
        assert kinds.count("values") >= 2 and kinds.count("unchanged") == 1
        for check in function["checks"]:
            if "cases" in check:
                assert callable(getattr(cases_module, check["cases"]))


def test_reference_functions_never_call_each_other(reference):
    for name in FUNCTIONS:
        called = set(getattr(reference, name).__code__.co_names)
        assert not called & (set(FUNCTIONS) - {name}), name


def test_public_cases_run_on_reference_with_finite_results_and_unchanged_arguments(cases_module):
    for function, check, _seed, cases in _public_checks(cases_module):
        assert cases and all(isinstance(case, Case) for case in cases), check["name"]
        for case in cases:
            assert case.compare == (0,) and {"2", "config"} <= case.mutable
            outcomes = run_program(REFERENCE_NAMESPACE, case.calls)
            for outcome in outcomes:
                assert outcome.ok, (function, case.label, outcome.error_message)
                assert np.all(np.isfinite(outcome.value[0])), (function, case.label)
            assert not _modified_arguments(case, outcomes), (function, case.label)


def test_every_optimizer_is_graded_on_sequences_of_at_least_five_steps_and_on_any_shape(cases_module):
    for function in FUNCTIONS:
        longest, dimensions = 0, set()
        for name, _check, _seed, cases in _public_checks(cases_module):
            if name == function:
                for case in cases:
                    for run in _sequences(case):
                        longest = max(longest, len(run["grads"]))
                        dimensions.add(np.ndim(run["w"]))
        assert longest >= 5 and {1, 2, 3} <= dimensions, function


def test_cases_are_deterministic_and_depend_on_the_seed(cases_module):
    for name in ("sgd_sequence", "adam_small_gradients", "rmsprop_defaults"):
        generator = getattr(cases_module, name)
        first, again = generator(np.random.default_rng(1)), generator(np.random.default_rng(1))
        other = generator(np.random.default_rng(2))
        assert all(_same(a.calls[0].args, b.calls[0].args) for a, b in zip(first, again))
        assert not all(_same(a.calls[0].args, b.calls[0].args) for a, b in zip(first, other))


def test_starter_imports_and_every_function_raises_not_implemented(cases_module):
    starter = _load("starter.py")
    for function, _check, _seed, cases in _public_checks(cases_module):
        stub = getattr(starter, function)
        assert inspect.signature(stub) == inspect.signature(REFERENCE_NAMESPACE[function])
        assert stub.__doc__
        with pytest.raises(NotImplementedError):
            stub(*cases[0].calls[0].args)


def test_reference_passes_its_own_public_cases(cases_module):
    for function, check, _seed, cases in _public_checks(cases_module):
        for case in cases:
            assert not _case_failures(REFERENCE_NAMESPACE, case, function, RTOL, ATOL)


def test_every_function_has_at_least_two_mistakes(mistakes):
    counts = {name: 0 for name in FUNCTIONS}
    for mistake in mistakes["MISTAKES"]:
        counts[mistake.function] += 1
        assert mistake.name and mistake.hint and callable(mistakes[mistake.implementation])
        assert inspect.signature(mistakes[mistake.implementation]) == \
            inspect.signature(REFERENCE_NAMESPACE[mistake.function])
    assert min(counts.values()) >= 2, counts


def _mistake_ids(namespace_source=FOLDER / "mistakes.py"):
    names = []
    for line in namespace_source.read_text().splitlines():
        if line.strip().startswith("Mistake("):
            names.append(line.split('"')[3])
    return names


@pytest.mark.parametrize("index", range(len(_mistake_ids())), ids=_mistake_ids())
def test_mistake_is_caught_by_public_cases_of_its_function_only(index, cases_module, mistakes):
    mistake = mistakes["MISTAKES"][index]
    namespace = dict(REFERENCE_NAMESPACE, **{mistake.function: mistakes[mistake.implementation]})
    for reading in READINGS:
        caught = False
        for function, check, _seed, cases in _public_checks(cases_module, readings=(reading,)):
            failures = [f for case in cases
                        for f in _case_failures(namespace, case, function, check.get("rtol", RTOL), check.get("atol", ATOL))]
            if function == mistake.function:
                caught = caught or bool(failures)
            else:
                assert not failures, (function, check["name"], failures)
        assert caught, f"not caught with the check {reading}"


# --- through the real engine and sandbox ----------------------------------------------------


@pytest.fixture(scope="module")
def engine():
    from autograder.grading.assignment import load_assignment
    from autograder.grading.engine import grade_source
    from autograder.sandbox import open_executor

    executor = open_executor(require_full_isolation=False, slot=0)
    try:
        yield load_assignment(FOLDER), lambda assignment, source, **mode: grade_source(assignment, source, executor, **mode)
    finally:
        executor.close()


def test_engine_gives_the_reference_full_marks_public_and_hidden_and_the_starter_none(engine):
    assignment, grade = engine
    for mode in ({"mode": "public"}, {"mode": "hidden", "hidden_seed": 987654321}):
        report = grade(assignment, assignment.reference_source.encode(), **mode)
        assert report.score == report.max_score == sum(f["points"] for f in SPEC["functions"]), \
            [(test.name, test.output) for test in report.tests if test.status != "passed"]
    assert grade(assignment, (FOLDER / "starter.py").read_bytes(), mode="public").score == 0


def test_engine_takes_points_only_from_the_function_of_a_mistake(engine, mistakes):
    from autograder.grading.mistakes import variant_source

    assignment, grade = engine
    first_of_each = {mistake.function: mistake for mistake in reversed(mistakes["MISTAKES"])}
    for function, mistake in first_of_each.items():
        report = grade(assignment, variant_source(assignment, mistake).encode(), mode="public")
        failed = {test.function for test in report.tests if test.status != "passed" and test.max_score > 0}
        assert failed == {function}, (mistake.name, failed)
        assert report.max_score - report.score <= assignment.spec.function(function).points
