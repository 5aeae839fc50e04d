"""The trusted comparison never raises, whatever a student's code returns or does to its arguments.

Property-based (hypothesis): hostile returned values and in-place argument changes go through
``compare_values``, ``unchanged_difference`` and the judging of a whole function; the only allowed
outcomes are a verdict per check. Hostile files graded through the sandbox end the same way.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograder.grading.assignment import find_assignment
from autograder.grading.compare import Mismatch, compare_values, unchanged_difference
from autograder.grading.prepare import prepare_suite
from autograder.grading.report import FAILED, PASSED, TestResult
from autograder.grading.scoring import judge_function
from autograder.grading.selfcheck import run_in_process
from autograder.sandbox.codec import Unsupported
from autograder.sandbox.executor import OK, UnitOutcome
from autograder.sandbox.program import CallOutcome

pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")  # np.matrix on purpose
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class HostileEquality:
    """An object whose comparisons, conversions and length all raise."""

    def __eq__(self, other):
        raise RuntimeError("no")

    __ne__ = __lt__ = __gt__ = __eq__

    def __len__(self):
        raise RuntimeError("no")

    def __float__(self):
        raise RuntimeError("no")

    def __array__(self, *args, **kwargs):
        raise RuntimeError("no")

    __hash__ = object.__hash__


class Subclass(np.ndarray):
    """An ndarray subclass that lies about equality."""

    def __eq__(self, other):
        raise RuntimeError("no")


DTYPES = ["float64", "float32", "float16", "int64", "uint8", "bool", "complex128", "<U2", "S3", "object",
          "datetime64[s]", "timedelta64[s]"]

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.sampled_from([10**400, -(10**400), 2**63, 10**20]),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=5), st.binary(max_size=5),
    st.complex_numbers(), st.just(Unsupported("object of type x.Y")), st.builds(HostileEquality),
    st.sampled_from([np.float32(1.5), np.float16(2.0), np.int8(3), np.str_("x"), np.bool_(True),
                     np.datetime64("2020-01-01"), np.complex64(1j), np.longdouble(1.0)]),
)


@st.composite
def arrays(draw):
    """Arrays of every dtype, with odd shapes, strides, flags and subclasses."""
    shape = draw(st.sampled_from([(), (0,), (3,), (2, 3), (3, 2), (1, 1, 2), (2, 0, 3)]))
    dtype = draw(st.sampled_from(DTYPES))
    size = int(np.prod(shape))
    if dtype == "object":
        array = np.empty(shape, dtype=object)
        fill = draw(st.sampled_from([None, 1.0, "x", 10**400, HostileEquality()]))
        for index in np.ndindex(shape):
            array[index] = fill
    else:
        values = draw(st.lists(st.one_of(st.floats(-1e6, 1e6), st.sampled_from([np.nan, np.inf, -np.inf])), min_size=size, max_size=size))
        with np.errstate(all="ignore"):
            array = np.array(values, dtype=np.float64).reshape(shape)
            array = np.asarray(array.astype(dtype) if dtype not in ("datetime64[s]", "timedelta64[s]") else
                               np.nan_to_num(array).astype(np.int64).astype(dtype))
    twist = draw(st.sampled_from(["none", "transpose", "fortran", "readonly", "subclass", "matrix", "masked",
                                  "view"]))
    if twist == "transpose":
        array = array.T
    elif twist == "fortran":
        array = np.asfortranarray(array)
    elif twist == "readonly":
        array.flags.writeable = False
    elif twist == "subclass":
        array = array.view(Subclass)
    elif twist == "matrix" and array.ndim == 2 and dtype != "object":
        array = np.asmatrix(array)
    elif twist == "masked":
        array = np.ma.masked_array(array, mask=np.zeros(array.shape, dtype=bool))
    elif twist == "view" and array.ndim >= 1 and array.shape[-1] > 1:
        array = array[..., ::2]
    return array


values = st.recursive(
    st.one_of(scalars, arrays()),
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.lists(children, max_size=4).map(tuple),
        st.dictionaries(st.one_of(st.text(max_size=3), st.integers(), st.none()), children, max_size=4),
    ),
    max_leaves=12,
)

EXPECTED = [
    1.5, 0.0, np.float64(2.0), np.array(1.5), np.arange(6.0).reshape(2, 3), np.zeros(3), [0.5, 0.25, 0.125],
    (np.ones((2, 3)), np.ones(3), np.array(0.0)), (np.ones(2), {"learning_rate": 0.01, "v": np.zeros(2), "t": 3}),
    {"w": np.ones(3), "b": np.array(0.0)}, [(np.ones((2, 2)), np.arange(2.0))], True, "text", None,
    np.array([True, False]), 7,
]


@FUZZ
@given(expected=st.sampled_from(EXPECTED), got=values, hidden=st.booleans(),
       rtol=st.sampled_from([1e-6, 0.0]), atol=st.sampled_from([1e-9, 0.0]))
def test_compare_values_never_raises(expected, got, hidden, rtol, atol):
    mismatch = compare_values(expected, got, rtol, atol, show_values=not hidden, names=("dx", "dw", "db"))
    assert mismatch is None or isinstance(mismatch, Mismatch)
    if mismatch is not None:
        assert isinstance(mismatch.reason, str) and isinstance(mismatch.hidden_text(), str)
        if hidden:
            assert not mismatch.details


@st.composite
def in_place_changes(draw):
    """A by-value argument and what a student's function may have turned it into."""
    original = draw(st.sampled_from([np.arange(6.0).reshape(2, 3), np.linspace(-1, 1, 4), np.array(2.5),
                                     {"learning_rate": 0.01, "v": np.zeros(3)}, [np.ones(2), np.zeros(2)]]))
    change = draw(st.sampled_from(["text dtype", "int view", "reshape", "transpose", "fortran", "readonly",
                                   "subclass", "masked", "replace", "unchanged", "nan", "add key", "huge"]))
    after = original.copy() if isinstance(original, (np.ndarray, dict, list)) else original
    if isinstance(original, np.ndarray):
        if change == "text dtype":
            after.dtype = "<U2"  # what `y_pred.dtype = "<U2"` inside the student's function leaves behind
        elif change == "int view":
            after = after.view(np.int64)
        elif change == "reshape" and after.size > 1:
            after = after.reshape(-1)[::-1].reshape(after.shape[::-1])
        elif change == "transpose":
            after = after.T
        elif change == "fortran":
            after = np.asfortranarray(after)
        elif change == "readonly":
            after.flags.writeable = False
        elif change == "subclass":
            after = after.view(Subclass)
        elif change == "masked":
            after = np.ma.masked_array(after, mask=np.ones(after.shape, dtype=bool))
        elif change == "nan":
            after.reshape(-1)[0] = np.nan
    elif isinstance(original, dict) and change == "add key":
        after[draw(st.sampled_from([1, None, "m", (1, 2)]))] = HostileEquality()
    if change == "replace":
        after = draw(values)
    elif change == "huge":
        after = 10**400
    return original, after


@FUZZ
@given(pair=in_place_changes(), restored=st.booleans())
def test_unchanged_difference_never_raises(pair, restored):
    original, after = pair
    difference = unchanged_difference(original, after, restored, "x")
    assert difference is None or isinstance(difference, str)


@pytest.fixture(scope="module")
def optimizer_function():
    """The `adam` function of the optimizers suite, hidden mode: values, sequences and watched arguments."""
    suite = prepare_suite(find_assignment("optimizers"), "hidden", 5)
    return next(function for function in suite.functions if function.name == "adam")


@pytest.fixture(scope="module")
def gradient_function():
    """`cross_entropy_grad` of the losses suite: values, watched arguments and a gradient check."""
    suite = prepare_suite(find_assignment("losses"), "hidden", 5)
    return next(function for function in suite.functions if function.name == "cross_entropy_grad")


@pytest.mark.parametrize("which", ["optimizer_function", "gradient_function"])
def test_judging_a_function_never_raises_and_gives_one_verdict_per_check(which, request):
    _fuzz_judging(request.getfixturevalue(which))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pool=st.lists(values, min_size=1, max_size=4), choices=st.lists(st.integers(0, 1000), min_size=8, max_size=8),
       cut=st.floats(0.0, 1.0))
def _fuzz_judging(function, pool, choices, cut):
    """Every call's result and every argument after the call drawn from a small pool of hostile values."""
    calls = []
    for index, call in enumerate(function.calls):
        choice = choices[index % len(choices)] + index
        ok = choice % 5 != 0
        outcome = CallOutcome(ok=ok, value=pool[choice % len(pool)] if ok else None,
                              error_type="" if ok else ("ValueError", "GraderError")[choice % 2])
        if ok and call.send_args:
            outcome.args_after = {key: pool[(choice + position) % len(pool)] for position, key in
                                  enumerate([*map(str, range(len(call.args))), *call.kwargs])}
        calls.append(outcome)
    stop = int(cut * len(calls))
    status = OK if cut == 1.0 else "crashed"
    results = judge_function(function, UnitOutcome(status=status, calls=calls if status == OK else calls[:stop]))
    assert [test.check for test in results] == [check.name for check in function.checks]
    assert all(isinstance(test, TestResult) and test.score in (0.0, test.max_score) for test in results)
    for test in results:
        if "a hidden case failed" in test.output:
            assert "relative error" not in test.output and "expected:" not in test.output


HOSTILE_FILES = {
    "argument turned into text in place": "def adam(w, dw, config=None):\n    w.dtype = '<U2'\n    return w, config\n",
    "argument reshaped in place": "def adam(w, dw, config=None):\n    dw.shape = (-1,)\n    return w.copy(), config\n",
    "huge integer": "def adam(w, dw, config=None):\n    return 10**400, config\n",
    "huge integer in config": "def adam(w, dw, config=None):\n    return w - 1e-3 * dw, {'t': 10**400, 'm': [10**400]}\n",
    "object array": "import numpy as np\ndef adam(w, dw, config=None):\n    return np.array([None, 1], dtype=object), config\n",
    "subclass": "import numpy as np\nclass A(np.ndarray):\n    def __eq__(self, o):\n        raise RuntimeError\n"
                "def adam(w, dw, config=None):\n    return (w - dw).view(A), config\n",
    "nested dict with odd keys": "def adam(w, dw, config=None):\n    return {1: {None: [w]}}, {(1, 2): w}\n",
}


@pytest.mark.parametrize("mode", ["public", "hidden"])
@pytest.mark.parametrize("kind", sorted(HOSTILE_FILES))
def test_hostile_files_get_a_verdict_not_a_grader_error(kind, mode, grade):
    assignment = find_assignment("optimizers")
    source = HOSTILE_FILES[kind]
    # The fixtures' seed: a test process prepares optimizers' hidden suite (0.75 s of CPU) once, not twice.
    report = grade(assignment, source, mode=mode, hidden_seed=5 if mode == "hidden" else None)
    adam = [test for test in report.tests if test.function == "adam"]
    assert adam and all(test.status == FAILED and test.score == 0 for test in adam)
    assert len(report.tests) == sum(len(function.checks) for function in assignment.functions)


def test_judging_failure_fails_that_check_only(optimizer_function):
    """A check whose judging raises (a broken prepared case) fails alone; the function's other checks stand."""
    assignment = find_assignment("optimizers")
    outcome = run_in_process(assignment, optimizer_function, vars(assignment.reference))
    assert all(test.status == PASSED for test in judge_function(optimizer_function, outcome))
    # A case that points past the unit's calls: judging it raises IndexError inside the grader.
    first = optimizer_function.checks[0]
    broken_case = dataclasses.replace(first.value_cases[0], calls=[len(outcome.calls) + 5])
    broken = dataclasses.replace(first, value_cases=[broken_case, *first.value_cases[1:]])
    function = dataclasses.replace(optimizer_function, checks=[broken, *optimizer_function.checks[1:]])
    results = judge_function(function, outcome)
    assert results[0].status == FAILED and "could not judge" in results[0].output
    assert [test.status for test in results[1:]] == [PASSED] * (len(function.checks) - 1)
