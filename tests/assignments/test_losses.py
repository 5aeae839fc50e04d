"""The `losses` assignment folder: reference vs PyTorch, cases, starter, mistakes."""

import importlib.util
import inspect
import math
import tomllib
from pathlib import Path

import numpy as np
import pytest

from autograder.grading.cases import Case, GradCheck
from autograder.sandbox.program import _by_value, run_program

FOLDER = Path(__file__).resolve().parents[2] / "assignments" / "losses"
SPEC = tomllib.loads((FOLDER / "spec.toml").read_text())
FUNCTIONS = [function["name"] for function in SPEC["functions"]]
RTOL, ATOL = 1e-6, 1e-9


def _load(filename):
    spec = importlib.util.spec_from_file_location(f"assignment_losses_{filename[:-3]}", FOLDER / filename)
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


def _centred_difference_failures(namespace, check: GradCheck):
    """Check the analytic gradient of ``check`` against centred differences of its forward."""
    analytic = run_program(namespace, check.analytic)
    assert all(outcome.ok for outcome in analytic), [outcome.error_message for outcome in analytic]
    failures = []
    for name, value in check.inputs.items():
        gradient = np.asarray(_follow(analytic[-1].value, check.gradient_paths[name]), dtype=float)
        assert gradient.shape == value.shape
        for flat in range(min(value.size, check.entries)):
            index = np.unravel_index(flat, value.shape)
            sides = []
            for sign in (1, -1):
                values = {key: array.copy() for key, array in check.inputs.items()}
                values[name][index] += sign * check.h
                (outcome,) = run_program(namespace, [check.forward(values)])
                out = np.asarray(outcome.value, dtype=float)
                sides.append(float(np.sum(check.weights * out)) if check.weights is not None else float(out))
            numeric = (sides[0] - sides[1]) / (2 * check.h)
            error = abs(numeric - gradient[index]) / max(1e-8, abs(numeric) + abs(gradient[index]))
            if error > check.tolerance and abs(numeric - gradient[index]) > 1e-9:
                failures.append(f"{name}{index}: analytic {gradient[index]}, numeric {numeric}")
    return failures


# --- the reference against an independent oracle -------------------------------------------


def test_hand_computed_values(reference):
    assert reference.mse(np.array([1.0, 2.0]), np.array([0.0, 0.0])) == pytest.approx(2.5)
    np.testing.assert_allclose(reference.mse_grad(np.array([[1.0, 2.0]]), np.zeros((1, 2))), [[1.0, 2.0]])
    np.testing.assert_allclose(reference.softmax(np.array([[0.0, np.log(3.0)]])), [[0.25, 0.75]])
    assert reference.cross_entropy(np.zeros((2, 4)), np.array([0, 3])) == pytest.approx(np.log(4.0))
    np.testing.assert_allclose(reference.cross_entropy_grad(np.zeros((2, 2)), np.array([0, 1])),
                               [[-0.25, 0.25], [0.25, -0.25]])
    np.testing.assert_allclose(reference.sigmoid(np.array([0.0, 1e4, -1e4])), [0.5, 1.0, 0.0])
    assert reference.binary_cross_entropy(np.array([0.0, 1e4]), np.array([1.0, 0.0])) == pytest.approx(
        (np.log(2.0) + 1e4) / 2)
    np.testing.assert_allclose(reference.binary_cross_entropy_grad(np.array([0.0, 0.0]), np.array([1.0, 0.0])),
                               [-0.25, 0.25])


def _torch_oracle(torch):
    functional = torch.nn.functional

    def scalar_and_grad(loss, first, *rest):
        x = torch.tensor(first, requires_grad=True)
        value = loss(x, *rest)
        value.backward()
        return value.item(), x.grad.numpy()

    def mse(y_pred, y_true):
        return scalar_and_grad(lambda a: functional.mse_loss(a, torch.tensor(y_true)), y_pred)

    def ce(logits, labels):
        return scalar_and_grad(lambda a: functional.cross_entropy(a, torch.tensor(labels)), logits)

    def bce(logits, targets):
        return scalar_and_grad(lambda a: functional.binary_cross_entropy_with_logits(a, torch.tensor(targets)), logits)

    return {
        "mse": lambda a, b: mse(a, b)[0],
        "mse_grad": lambda a, b: mse(a, b)[1],
        "softmax": lambda z: torch.softmax(torch.tensor(z), dim=1).numpy(),
        "cross_entropy": lambda a, b: ce(a, b)[0],
        "cross_entropy_grad": lambda a, b: ce(a, b)[1],
        "sigmoid": lambda x: torch.sigmoid(torch.tensor(x)).numpy(),
        "binary_cross_entropy": lambda a, b: bce(a, b)[0],
        "binary_cross_entropy_grad": lambda a, b: bce(a, b)[1],
    }


@pytest.mark.oracle
def test_reference_matches_pytorch_on_every_public_case(reference, cases_module):
    torch = pytest.importorskip("torch", reason="PyTorch is the independent oracle for the reference")
    oracle = _torch_oracle(torch)
    compared = set()
    for function, _check, _seed, cases in _public_checks(cases_module):
        for case in cases:
            for call in case.calls:
                expected = oracle[call.function](*call.args)
                got = getattr(reference, call.function)(*call.args)
                np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12, err_msg=f"{call.function}: {case.label}")
                assert np.shape(got) == np.shape(expected)
                compared.add(call.function)
    assert compared == set(FUNCTIONS)


@pytest.mark.oracle
def test_reference_gradients_match_autograd_of_pytorch_losses(reference):
    torch = pytest.importorskip("torch", reason="PyTorch is the independent oracle for the reference")
    oracle = _torch_oracle(torch)
    rng = np.random.default_rng(7)
    logits, labels = rng.normal(size=(6, 4)) * 1e3, rng.integers(0, 4, size=6)
    np.testing.assert_allclose(reference.cross_entropy_grad(logits, labels), oracle["cross_entropy_grad"](logits, labels),
                               rtol=1e-10, atol=1e-15)
    z, t = rng.normal(size=9) * 1e3, rng.integers(0, 2, size=9).astype(float)
    np.testing.assert_allclose(reference.binary_cross_entropy_grad(z, t), oracle["binary_cross_entropy_grad"](z, t),
                               rtol=1e-10, atol=1e-15)


# --- the assignment folder ------------------------------------------------------------------


def test_spec_names_existing_generators_and_every_reference_function(reference, cases_module):
    for function in SPEC["functions"]:
        assert callable(getattr(reference, function["name"]))
        kinds = [check.get("kind", "values") for check in function["checks"]]
        assert kinds.count("values") >= 2 and kinds.count("unchanged") == 1
        for check in function["checks"]:
            if "cases" in check:
                assert callable(getattr(cases_module, check["cases"]))
            if check.get("kind") == "gradcheck":
                assert check["weight"] == 0


def test_reference_functions_never_call_each_other(reference):
    for name in FUNCTIONS:
        called = set(getattr(reference, name).__code__.co_names)
        assert not called & (set(FUNCTIONS) - {name}), name


@pytest.mark.parametrize("kind", ["values"])
def test_public_cases_run_on_reference_with_finite_results_and_unchanged_arguments(cases_module, kind):
    for function, check, seed, cases in _public_checks(cases_module, kind):
        assert cases and all(isinstance(case, Case) for case in cases), check["name"]
        for case in cases:
            assert any(call.function == function for call in case.calls)
            outcomes = run_program(REFERENCE_NAMESPACE, case.calls)
            for outcome in outcomes:
                assert outcome.ok, (function, case.label, outcome.error_message)
                assert np.all(np.isfinite(np.asarray(outcome.value, dtype=float))), (function, case.label)
            assert not _modified_arguments(case, outcomes), (function, case.label)


def test_cases_are_deterministic_and_depend_on_the_seed(cases_module):
    for name in ("mse_random_shapes", "cross_entropy_random_shapes", "binary_cross_entropy_random_shapes"):
        generator = getattr(cases_module, name)
        first, again = generator(np.random.default_rng(1)), generator(np.random.default_rng(1))
        other = generator(np.random.default_rng(2))
        assert all(_same(a.calls[0].args, b.calls[0].args) for a, b in zip(first, again))
        assert not all(_same(a.calls[0].args, b.calls[0].args) for a, b in zip(first, other))


def test_gradient_checks_pass_on_the_reference(cases_module):
    checked = set()
    for function, _check, _seed, checks in _public_checks(cases_module, "gradcheck"):
        for check in checks:
            assert isinstance(check, GradCheck)
            assert not _centred_difference_failures(REFERENCE_NAMESPACE, check), (function, check.label)
            checked.add(function)
    assert checked == {"mse_grad", "cross_entropy_grad", "binary_cross_entropy_grad"}


def test_gradient_checks_catch_a_wrong_gradient(cases_module, mistakes):
    namespace = dict(REFERENCE_NAMESPACE, cross_entropy_grad=mistakes["cross_entropy_grad_not_averaged"])
    (check,) = cases_module.cross_entropy_grad_gradcheck(np.random.default_rng(0))
    assert _centred_difference_failures(namespace, check)


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
        assert inspect.signature(mistakes[mistake.implementation]).parameters.keys() == \
            inspect.signature(REFERENCE_NAMESPACE[mistake.function]).parameters.keys()
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
