"""Name the mistake behind a failed check: known-wrong variants, constant factors, trajectories.

Trusted side only. When a suite is prepared, each mistake variant of a function (a module built
by ``variant_source``, run exactly as the sandbox would run that file) is evaluated on the
function's value cases, and its results are kept where they differ from the reference. Grading
costs nothing more until a check fails; then the student's results are matched against them.
Variants never reach student code: only their outputs are stored, next to the expected values.
"""

from __future__ import annotations

import functools
import logging
import math
import types
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from autograder.grading.compare import compare_values
from autograder.grading.mistakes import Mistake, variant_source
from autograder.grading.plain_copy import deep_copy
from autograder.grading.suite import (
    Assignment,
    CaseNotes,
    CheckDiagnosis,
    CheckVariant,
    PreparedCheck,
    PreparedFunction,
    ValueCase,
    VariantCase,
    VariantWatch,
    split_program,
)
from autograder.sandbox.program import Call, CallOutcome, follow_path, run_program

if TYPE_CHECKING:
    from autograder.grading.report import TestResult
    from autograder.sandbox.executor import UnitOutcome

logger = logging.getLogger(__name__)

# How judge_function introduces the student's console output in a failed check's text.
CONSOLE_HEADING = "your code printed:\n"
# Stands in for an exception type when a result has no element at the case's compare path.
NO_ELEMENT = "<no element at the compared path>"
# Constant factors a wrong result may be off by, in order of preference: (what N is, advice).
FACTOR_ADVICE = {
    "-1": ("", "check the sign"),
    "2": ("", "there is a factor 2 too many"),
    "1/2": ("", "a factor 2 is missing"),
    "N": (", where N is the number of elements", "divide by N (a sum instead of a mean?)"),
    "1/N": (", where N is the number of elements", "you divide by N where the contract does not"),
    "the batch size": (" (the number of rows)", "divide by the batch size: the loss is a mean over rows"),
    "1/the batch size": (" (the number of rows)", "you divide by the batch size where the contract does not"),
}
# The name a constant factor gives the mistake; for 1/N and N it depends on whether the contract
# divides the function's result by that count (assignment mistakes.py's AVERAGED).
FACTOR_NAMES = {
    "-1": "sign flipped",
    "2": "factor 2 too many",
    "1/2": "factor 2 missing",
    "N": "division by N missing",
    "1/N": "divided by N where the contract does not",
    "the batch size": "division by the batch size missing",
    "1/the batch size": "divided by the batch size where the contract does not",
}
# Where the contract already divides by the count, a result 1/count too small divides twice.
FACTOR_TWICE = {
    "1/N": ("divided by N twice", "you divide by N twice: the contract divides by N once"),
    "1/the batch size": ("divided by the batch size twice",
                         "you divide by the batch size twice: the contract divides by it once"),
}
# Structural mistakes recognised on any wrong array (no variant needed): name and advice.
STRUCTURAL = {
    "reshape": ("reshape instead of transpose",
                "your result is the expected array's transpose, reshaped to the expected shape: reshape keeps "
                "the memory order and is not a transpose. Use .T, or multiply the factors in the other order "
                "(x.T @ dout, not (dout.T @ x).reshape(...))."),
    "transpose": ("transposed", "your result is the transpose of the expected array: swap the factors of the "
                                "product (x.T @ dout, not dout.T @ x) or drop the extra .T."),
    "extra axis": ("extra axis of length 1",
                   "your result has the right values with an extra axis of length 1 (keepdims=True, a column "
                   "vector or [:, None]): return exactly the documented shape."),
    "axis dropped": ("axis of length 1 dropped",
                     "your result has the right values but lost an axis of length 1 (np.squeeze, or a "
                     "reduction without keepdims=True): return exactly the documented shape."),
    "flattened": ("result flattened",
                  "your values are right but flattened to one axis: return an array of the documented shape "
                  "(for a gradient, the shape of x: grad.reshape(x.shape), or fill np.zeros_like(x))."),
    "swapped": ("results returned in the wrong order",
                "your function returns the right values in another order: return them in the order the "
                "contract gives (for affine_backward, (dx, dw, db))."),
    "summed": ("reduced to a scalar",
               "your result is one number, the sum of the expected array's entries: keep the array (sum over the "
               "batch axis only, axis=0, for a bias gradient; no np.sum or np.mean over everything)."),
}
BATCHES_PADDED = ("last batch padded",
                  "The last batch may be smaller than batch_size: yield the remaining rows as they are, without "
                  "padding or repeating rows.")
RNG_IGNORED = ("rng given not used",
               "Your batches hold every row exactly once, in an order that is not the one of rng.permutation(N) of "
               "the generator you are given: draw one permutation per epoch from that rng (not np.random, a new "
               "default_rng, or rng.choice).")
STATE_RENAMED = "state stored under another key"
IN_PLACE_HINT = ("Your function writes its result into the array it was given: compute a new array (x = x - ..., "
                 "np.maximum(x, 0)) instead of -=, out=x or slice assignment, or work on a copy.")


@dataclass
class Diagnosis:
    """What the diagnosis found for one failed check: a mistake's name and the lines to show."""

    mistake: str = ""
    lines: list[str] = field(default_factory=list)
    variant: CheckVariant | None = None  # the known variant that gave the name, if one did


# --- preparation (trusted side, once per suite) ------------------------------------------------


def snapshot_run(namespace: Mapping[str, Any], calls: list[Call], probes: Mapping[str, Any],
                 filename: str) -> list[CallOutcome]:
    """Run trusted ``calls`` in-process, keeping each result as it was produced (later calls may mutate a config).

    Returns one CallOutcome per call, as the sandbox would stream them; warnings are silenced.
    """
    outcomes: list[CallOutcome] = []

    def snapshot(index: int, outcome: CallOutcome) -> None:
        outcome.value = deep_copy(outcome.value)
        outcome.args_after = deep_copy(outcome.args_after)
        outcomes.append(outcome)

    # Known-wrong variants overflow and divide by zero on purpose.
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        run_program(namespace, deep_copy(calls), probes=probes, filename=filename, on_outcome=snapshot)
    return outcomes


def variant_namespace(assignment: Assignment, mistake: Mistake) -> dict[str, Any]:
    """Return a fresh module namespace of the student file that makes ``mistake`` (module state included)."""
    filename = f"<{mistake.implementation}>"
    namespace: dict[str, Any] = {"__name__": f"_autograder_variant_{assignment.name}_{mistake.implementation}",
                                 "__file__": filename}
    exec(_variant_code(variant_source(assignment, mistake), filename), namespace)  # our own code, trusted side
    return namespace


@functools.lru_cache(maxsize=256)
def _variant_code(source: str, filename: str) -> types.CodeType:
    """Compile a variant file once: a suite runs each variant in two fresh namespaces, per mode and seed."""
    return compile(source, filename, "exec")


def _at_path(outcome: CallOutcome | None, path: tuple[int | str, ...]) -> tuple[Any, str]:
    """Return (value at ``path``, "") or (None, why there is none) for one call's outcome."""
    if outcome is None:
        return None, "<did not run>"
    if not outcome.ok:
        return None, outcome.error_type or "error"
    try:
        return follow_path(outcome.value, path), ""
    except (LookupError, TypeError, ValueError):
        return None, NO_ELEMENT


def _differs(expected: Any, value: Any, error: str, rtol: float, atol: float) -> bool:
    if error:
        return True
    if (type(expected) is np.ndarray and type(value) is np.ndarray and expected.shape == value.shape
            and expected.dtype.kind == "f" and value.dtype.kind == "f"):
        # Fast path for the common case, with compare_values' semantics (NaN only where NaN is expected).
        with np.errstate(all="ignore"):
            return not np.allclose(value, expected, rtol=rtol, atol=atol, equal_nan=True)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return compare_values(expected, value, rtol, atol, show_values=False) is not None


def _call_factors(call: Call, parameters: list[str]) -> list[tuple[str, float]]:
    """Return the constant factors a result of ``call`` may plausibly be off by, named for students."""
    factors: list[tuple[str, float]] = [("-1", -1.0), ("2", 2.0), ("1/2", 0.5)]
    arrays = [argument for argument in (*call.args, *call.kwargs.values())
              if isinstance(argument, np.ndarray) and argument.ndim >= 1 and argument.dtype.kind == "f"]
    if arrays:
        size, rows = arrays[0].size, arrays[0].shape[0]
        if size > 2:
            factors += [("N", float(size)), ("1/N", 1.0 / size)]
        # Also where rows == size (D = 1): that case must not rule the batch size out for the others.
        if rows > 2:
            factors += [("the batch size", float(rows)), ("1/the batch size", 1.0 / rows)]
    return factors


def _steps_per_epoch(call: Call, parameters: list[str]) -> int:
    arguments = dict(zip(parameters, call.args)) | dict(call.kwargs)
    data, batch_size = arguments.get("X"), arguments.get("batch_size")
    if isinstance(data, np.ndarray) and data.ndim >= 1 and type(batch_size) is int and batch_size > 0:
        return math.ceil(data.shape[0] / batch_size)
    return 0


def _last_call(checks: list[PreparedCheck]) -> int:
    indices = [index for check in checks for case in check.value_cases for index in case.calls]
    indices += [watch.call for check in checks for watch in check.watches]
    return max(indices, default=-1)


def _variant_cases(check: PreparedCheck, outcomes: list[CallOutcome]) -> list[VariantCase]:
    kept = []
    for position, case in enumerate(check.value_cases):
        found = [_at_path(outcomes[index], case.compare) for index in case.calls]
        if any(_differs(expected, value, error, case.rtol, case.atol)
               for expected, (value, error) in zip(case.expected, found)):
            kept.append(VariantCase(case=position, values=[value for value, _ in found],
                                    errors=[error for _, error in found]))
    return kept


def _sent_argument(call: Call, key: str) -> Any:
    return call.args[int(key)] if key.isdigit() else call.kwargs[key]


def _variant_watches(check: PreparedCheck, calls: list[Call], outcomes: list[CallOutcome]) -> list[VariantWatch]:
    kept = []
    for position, watch in enumerate(check.watches):
        outcome = outcomes[watch.call]
        if not outcome.ok or not outcome.args_after or watch.key not in outcome.args_after:
            continue
        after = outcome.args_after[watch.key]
        if compare_values(_sent_argument(calls[watch.call], watch.key), after, 0.0, 0.0, show_values=False):
            kept.append(VariantWatch(watch=position, after=after))
    return kept


def precompute_diagnosis(assignment: Assignment, function: PreparedFunction,
                         parameter_names: Callable[[str], list[str]]) -> None:
    """Attach a CheckDiagnosis to each values and unchanged check of ``function``.

    Runs the reference and each of the function's mistake variants on the function's value
    cases. Returns nothing; a variant that raises is recorded as raising, never propagated.
    """
    checks = [check for check in function.checks if check.kind in ("values", "unchanged")]
    last = _last_call(checks)
    if last < 0 or assignment.reference is None:
        return
    calls = function.calls[:last + 1]
    reference = snapshot_run(vars(assignment.reference), calls, assignment.probes, "reference.py")
    # The sandbox runs a function's hidden calls in a unit of their own, after the public ones: a
    # variant keeping module state (a mutable default config={}) starts afresh there too.
    hidden = {index for index in function.hidden_calls if index < len(calls)}
    public_program, hidden_program = split_program(calls, hidden)
    runs = []
    for mistake in assignment.mistakes:
        if mistake.function == function.name:
            label = f"<{mistake.implementation}>"
            try:
                collected: list[CallOutcome | None] = [None] * len(calls)
                for program in (public_program, hidden_program) if hidden else (public_program,):
                    namespace = variant_namespace(assignment, mistake)
                    for position, outcome in zip(program.positions,
                                                 snapshot_run(namespace, program.calls, assignment.probes, label)):
                        collected[position] = outcome
                if any(outcome is None for outcome in collected):
                    raise RuntimeError("a call of the variant's programs left no outcome")
            except Exception:  # a broken variant is the assignment's bug: grade on, without its name
                logger.exception("%s: mistake %r cannot be built", assignment.name, mistake.name)
                continue
            runs.append((mistake, [outcome for outcome in collected if outcome is not None]))
    for check in checks:
        notes = []
        for position, case in enumerate(check.value_cases):
            graded = [calls[index] for index in case.calls]
            notes.append(CaseNotes(
                case=position,
                factors=[_call_factors(call, parameter_names(call.function)) for call in graded],
                results=[reference[index].value for index in case.calls] if case.compare else [],
                steps_per_epoch=max((_steps_per_epoch(call, parameter_names(call.function)) for call in graded),
                                    default=0)))
        variants = []
        for mistake, outcomes in runs:
            variant = CheckVariant(mistake=mistake.name, hint=mistake.hint, cases=_variant_cases(check, outcomes),
                                   watches=_variant_watches(check, calls, outcomes),
                                   pattern=mistake.match == "pattern")
            if variant.cases or variant.watches:
                variants.append(variant)
        averaged = assignment.mistake_namespace.get("AVERAGED", {}).get(function.name, ())
        check.diagnosis = CheckDiagnosis(variants=variants, notes=notes,
                                         averaged=[count for count in averaged if isinstance(count, str)])


# --- judging (per failed check) ----------------------------------------------------------------


def _outcome(calls: list[CallOutcome], index: int) -> CallOutcome | None:
    return calls[index] if index < len(calls) else None


def _case_failures(case: ValueCase, calls: list[CallOutcome]) -> list[bool]:
    """Return, per graded call of ``case``, whether the student's result is wrong."""
    failures = []
    for expected, index in zip(case.expected, case.calls):
        value, error = _at_path(_outcome(calls, index), case.compare)
        failures.append(_differs(expected, value, error, case.rtol, case.atol))
    return failures


def _exactly_zero(value: Any) -> bool:
    leaves = _numeric_leaves(value, value) or []
    return bool(leaves) and all(not np.any(want) for _, want, _ in leaves)


def _matches_case(variant_case: VariantCase, case: ValueCase, calls: list[CallOutcome]) -> bool:
    for value, error, index in zip(variant_case.values, variant_case.errors, case.calls):
        got, got_error = _at_path(_outcome(calls, index), case.compare)
        if error or got_error:
            if error != got_error:
                return False
        elif _differs(value, got, "", case.rtol, case.atol):
            return False
        # A variant's exact zeros (a difference never taken) are not a tiny result within atol.
        elif _exactly_zero(value) and not _exactly_zero(got):
            return False
    return True


def _first_difference(expected: Any, value: Any, rtol: float, atol: float) -> list[tuple[int, int]]:
    """Per list of numbers in a tuple result (losses per step), where it first differs from the expected."""
    if not isinstance(expected, (tuple, list)) or not isinstance(value, (tuple, list)) or len(value) != len(expected):
        return []
    found = []
    for position, (want, have) in enumerate(zip(expected, value)):
        if isinstance(want, list) and isinstance(have, (list, tuple, np.ndarray)) and all(map(_is_number, want)):
            first = next((index for index in range(min(len(want), len(have)))
                          if _differs(want[index], have[index], "", rtol, atol)), min(len(want), len(have)))
            found.append((position, first))
    return found


def _argument_after(watch: Any, calls: list[CallOutcome]) -> tuple[bool, Any]:
    outcome = _outcome(calls, watch.call)
    if outcome is None or not outcome.ok or not outcome.args_after or watch.key not in outcome.args_after:
        return False, None
    return True, outcome.args_after[watch.key]


def _best_variants(check: PreparedCheck, diagnosis: CheckDiagnosis, calls: list[CallOutcome],
                   failures: list[list[bool]]) -> list[CheckVariant]:
    """Return the variants consistent with every case they apply to, most matched cases first.

    Variants matched by their values come first (a "pattern" variant too, when its own values
    fit); "pattern" variants matched by where they fail only when none of those fits.
    """
    failing_cases = [any(case_failures) for case_failures in failures]
    scored = []
    for order, variant in enumerate(diagnosis.variants):
        matched = 0
        consistent = True
        for variant_case in variant.cases:
            case = check.value_cases[variant_case.case]
            # Where the variant is wrong the student must be wrong in the same way.
            if not failing_cases[variant_case.case] or not _matches_case(variant_case, case, calls):
                consistent = False
                break
            matched += 1
        # And it must explain every failing case: a student also wrong where the variant is right
        # makes another mistake (log2 instead of log is not "log of softmax", though both give -inf).
        covered = {variant_case.case for variant_case in variant.cases}
        if consistent and variant.cases and any(failing and position not in covered
                                                for position, failing in enumerate(failing_cases)):
            consistent = False
        for variant_watch in variant.watches if consistent else []:
            watch = check.watches[variant_watch.watch]
            returned, after = _argument_after(watch, calls)
            if not returned or compare_values(variant_watch.after, after, 1e-9, 1e-12, show_values=False):
                consistent = False
                break
            matched += 1
        if consistent and matched:
            scored.append((-matched, order, variant))
    if not scored:
        scored = [(-len(variant.cases), order, variant) for order, variant in enumerate(diagnosis.variants)
                  if variant.pattern and _matches_pattern(check, variant, calls, failing_cases)]
    scored.sort(key=lambda item: item[:2])
    if not scored:
        return []
    best = scored[0][0]
    return [variant for count, _, variant in scored if count == best]


def _all_finite(value: Any) -> bool:
    leaves = _numeric_leaves(value, value) or []
    return bool(leaves) and all(bool(np.all(np.isfinite(want))) for _, want, _ in leaves)


def _matches_pattern(check: PreparedCheck, variant: CheckVariant, calls: list[CallOutcome],
                     failing_cases: list[bool]) -> bool:
    """Whether the student fails exactly where a "pattern" variant is wrong, in the same way.

    The same failing cases; on them, the same exception types where the variant raised, else
    results of the expected structure and shapes, finite exactly where the variant's are.
    """
    wrong = {variant_case.case for variant_case in variant.cases}
    if not wrong or wrong != {position for position, failing in enumerate(failing_cases) if failing}:
        return False
    # A pattern that fails everywhere tells nothing by itself: then the student's results must also
    # leave the expected ones in the variant's direction, element by element.
    same_side = len(wrong) == len(failing_cases)
    theirs_first: list[tuple[int, int]] = []
    ours_first: list[tuple[int, int]] = []
    for variant_case in variant.cases:
        case = check.value_cases[variant_case.case]
        for expected, value, error, index in zip(case.expected, variant_case.values, variant_case.errors, case.calls):
            got, got_error = _at_path(_outcome(calls, index), case.compare)
            if error or got_error:
                if error != got_error:
                    return False
                continue
            if _numeric_leaves(expected, got) is None or _all_finite(value) != _all_finite(got):
                return False
            if same_side and not _same_side(expected, value, got, case.rtol, case.atol):
                return False
            theirs_first += _first_difference(expected, value, case.rtol, case.atol)
            ours_first += _first_difference(expected, got, case.rtol, case.atol)
    # Sequences (losses per step) must leave the reference's no later than the variant's do (a
    # shuffle of its own may match the first rows by chance; it never keeps them right for longer).
    if theirs_first and ours_first and min(first for _, first in ours_first) > min(first for _, first in theirs_first):
        return False
    return True


def _earliest_differences(function: PreparedFunction, calls: list[CallOutcome],
                          named: CheckVariant) -> tuple[int | None, int | None]:
    """Return the earliest step at which the variant's and the student's sequences leave the reference's."""
    theirs: list[int] = []
    ours: list[int] = []
    for check in function.checks:
        if check.kind != "values" or check.diagnosis is None:
            continue
        same = next((variant for variant in check.diagnosis.variants if variant.mistake == named.mistake), None)
        for variant_case in same.cases if same is not None else []:
            case = check.value_cases[variant_case.case]
            for expected, value, index in zip(case.expected, variant_case.values, case.calls):
                got, error = _at_path(_outcome(calls, index), case.compare)
                if not error:
                    theirs += [first for _, first in _first_difference(expected, value, case.rtol, case.atol)]
                    ours += [first for _, first in _first_difference(expected, got, case.rtol, case.atol)]
    return (min(theirs) if theirs else None), (min(ours) if ours else None)


def _same_side(expected: Any, variant: Any, got: Any, rtol: float, atol: float) -> bool:
    """Whether ``got`` differs from ``expected`` wherever ``variant`` does, and in the same direction."""
    theirs, ours = _numeric_leaves(expected, variant), _numeric_leaves(expected, got)
    if theirs is None or ours is None:
        return False
    compared = 0
    for (_, want, variant_value), (_, _, have) in zip(theirs, ours):
        differs = ~np.isclose(variant_value, want, rtol=rtol, atol=atol)
        if not np.any(differs):
            continue
        if np.any(np.isclose(have[differs], want[differs], rtol=rtol, atol=atol)):
            return False
        if np.any(np.sign(have[differs] - want[differs]) != np.sign(variant_value[differs] - want[differs])):
            return False
        compared += 1
    return compared > 0


def _numeric_leaves(expected: Any, got: Any, path: str = "",
                    same_shape: bool = True) -> list[tuple[str, np.ndarray, np.ndarray]] | None:
    """Pair the numeric leaves of ``expected`` and ``got``; None when their structures (or shapes) differ."""
    if isinstance(expected, (tuple, list)):
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            return None
        leaves: list[tuple[str, np.ndarray, np.ndarray]] = []
        for position, (want, have) in enumerate(zip(expected, got)):
            inner = _numeric_leaves(want, have, f"{path}[{position}]", same_shape)
            if inner is None:
                return None
            leaves += inner
        return leaves
    if isinstance(expected, dict):
        if not isinstance(got, dict) or set(got) != set(expected):
            return None
        leaves = []
        for key in expected:
            inner = _numeric_leaves(expected[key], got[key], f"{path}[{key!r}]", same_shape)
            if inner is None:
                return None
            leaves += inner
        return leaves
    if not _is_array_or_number(expected):
        return []
    if not _is_array_or_number(got):
        return None
    want, have = np.asarray(expected), np.asarray(got)
    if want.dtype.kind not in "iuf":
        return []
    if have.dtype.kind not in "iuf" or (same_shape and want.shape != have.shape):
        return None
    return [(path, want.astype(np.float64), have.astype(np.float64))]


def _is_array_or_number(value: Any) -> bool:
    return isinstance(value, np.ndarray) or _is_number(value)


def _fitting_factors(expected: Any, got: Any, factors: list[tuple[str, float]], rtol: float,
                     atol: float) -> set[str] | None:
    """Return the names of the factors that explain every wrong leaf, or None if the result is not comparable."""
    leaves = _numeric_leaves(expected, got)
    if leaves is None:
        return None
    names = {name for name, _ in factors}
    wrong = 0
    for _, want, have in leaves:
        if np.allclose(have, want, rtol=rtol, atol=atol):
            continue
        wrong += 1
        if not np.all(np.isfinite(have)) or not np.any(np.abs(want) > atol):
            return None
        names &= {name for name, factor in factors if np.allclose(have, factor * want, rtol=rtol, atol=atol)}
    return names if wrong else None


def _constant_factor(check: PreparedCheck, diagnosis: CheckDiagnosis, calls: list[CallOutcome]) -> str:
    """Return the factor every wrong result of the check is off by, or ''."""
    common: set[str] | None = None
    order: list[str] = list(FACTOR_ADVICE)
    for case, notes in zip(check.value_cases, diagnosis.notes):
        for position, (expected, index) in enumerate(zip(case.expected, case.calls)):
            value, error = _at_path(_outcome(calls, index), case.compare)
            if not _differs(expected, value, error, case.rtol, case.atol):
                continue
            if error:
                return ""
            names = _fitting_factors(expected, value, notes.factors[position], case.rtol, case.atol)
            if not names:
                return ""
            common = names if common is None else common & names
            if not common:
                return ""
    return next((name for name in order if common and name in common), "")


def _show(value: Any) -> str:
    """Show a config entry briefly: a number, the first entries of an array, or its repr."""
    if isinstance(value, (dict, list, tuple)) or value is None:
        return f" {value!r:.60}"
    array = np.asarray(value)
    if array.dtype.kind not in "iufb":
        return f" {value!r:.60}"
    flat = array.reshape(-1)
    shown = ", ".join(f"{float(item):.6g}" for item in flat[:4])
    return f" {shown}" if array.ndim == 0 else f" [{shown}{', ...' if flat.size > 4 else ''}]"


def _state_differences(expected: Any, got: Any, compare: tuple[int | str, ...], case: ValueCase) -> list[str]:
    """Name the entries of a returned state (an optimizer's config) that differ from the reference's."""
    if not compare or not isinstance(expected, (tuple, list)) or not isinstance(got, (tuple, list)):
        return []
    if len(got) != len(expected):
        return []
    differences = []
    for position, (want, have) in enumerate(zip(expected, got)):
        if position == compare[0] or not isinstance(want, dict):
            continue
        if not isinstance(have, dict):
            differences.append(f"the returned config is {type(have).__name__}, not a dict")
            continue
        for key, entry in want.items():
            if key not in have:
                differences.append(f"config[{key!r}] is missing")
            elif _differs(entry, have[key], "", case.rtol, case.atol):
                if case.hidden:
                    differences.append(f"config[{key!r}]")
                else:
                    differences.append(f"config[{key!r}] (expected{_show(entry)}, got{_show(have[key])})")
    return differences


def _trajectory(check: PreparedCheck, diagnosis: CheckDiagnosis, calls: list[CallOutcome],
                failures_by_case: list[list[bool]]) -> list[str]:
    """Say where the first failing case's sequence leaves the reference, and which state differs first."""
    for case, notes, failures in zip(check.value_cases, diagnosis.notes, failures_by_case):
        if not any(failures) or case.hidden:  # a hidden case's steps and state are not the student's to see
            continue
        lines = []
        first = failures.index(True)
        steps = len(case.calls)
        if steps > 1:
            lines.append(f"your results leave the reference's at step {first + 1} of {steps}"
                         + (" (every earlier step matches)" if first else ""))
        for step in range(min(first + 1, len(notes.results))):
            outcome = _outcome(calls, case.calls[step])
            if outcome is None or not outcome.ok:
                break
            differences = _state_differences(notes.results[step], outcome.value, case.compare, case)
            if differences:
                where = f" after step {step + 1}" if steps > 1 else ""
                lines.append(f"state that differs first{where}: {'; '.join(differences)}")
                break
        lines += _sequence_divergence(case, notes, failures, calls)
        return lines
    return []


def _is_number(value: Any) -> bool:
    return type(value) in (int, float) or isinstance(value, np.number) or (
        isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iuf")


def _sequence_divergence(case: ValueCase, notes: CaseNotes, failures: list[bool], calls: list[CallOutcome]) -> list[str]:
    """Place the first differing item of a returned list (losses per step, batches) in a failed call."""
    position = failures.index(True)
    value, error = _at_path(_outcome(calls, case.calls[position]), case.compare)
    if error:
        return []
    expected = case.expected[position]
    pairs: list[tuple[str, Any, Any]] = [("", expected, value)]
    if isinstance(expected, tuple) and isinstance(value, (tuple, list)) and len(value) == len(expected):
        pairs = [(f"[{index}]", want, have) for index, (want, have) in enumerate(zip(expected, value))]
    for path, want, have in pairs:
        if not isinstance(want, list) or len(want) < 2 or not isinstance(have, (list, tuple, np.ndarray)):
            continue
        count = "" if len(have) == len(want) else f"; you returned {len(have)} where the reference has {len(want)}"
        for index in range(min(len(want), len(have))):
            if _differs(want[index], have[index], "", case.rtol, case.atol):
                scalar = all(_is_number(item) for item in want)
                noun = "loss" if scalar and notes.steps_per_epoch else "item"
                where = ""
                if noun == "loss":
                    epoch, batch = divmod(index, notes.steps_per_epoch)
                    where = f" (epoch {epoch + 1}, batch {batch + 1})"
                return [f"the first {noun} that differs in your result{path} is number {index + 1}{where}{count}"]
        if len(have) != len(want):
            return [f"your result{path} has {len(have)} items where the reference has {len(want)}"]
    return []


def _factor_line(factor: str, averaged: list[str]) -> tuple[str, str]:
    """Return (mistake name, advice) for a result off by ``factor``, saying what the student did."""
    where, advice = FACTOR_ADVICE[factor]
    name = FACTOR_NAMES[factor]
    if factor in FACTOR_TWICE and factor[2:] in averaged:
        name, advice = FACTOR_TWICE[factor]
    return name, f"your result is exactly {factor} × the expected{where}: {advice}"


def _structural_kind(want: np.ndarray, have: np.ndarray, rtol: float, atol: float) -> str:
    """Name how a wrong array relates to the expected one (a key of STRUCTURAL), or ''."""
    def close(a: np.ndarray, b: np.ndarray) -> bool:
        return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol))

    if want.ndim == 2 and min(want.shape) > 1:
        if close(have, want.T):
            return "transpose"
        if want.shape[0] != want.shape[1] and close(have, want.T.reshape(want.shape)):
            return "reshape"
    # A single entry too: a batch of one row whose y came back as (1, 1) instead of (1,).
    if have.shape != want.shape and have.size == want.size and have.size >= 1:
        if close(have.reshape(-1), want.reshape(-1)):
            if have.squeeze().shape == want.squeeze().shape:
                return "extra axis" if have.ndim > want.ndim else "axis dropped"
            if have.ndim == 1:
                return "flattened"
    if have.size == 1 and want.ndim >= 1 and want.size > 1 and close(have.reshape(()), np.asarray(want.sum())):
        return "summed"
    return ""


def _failing_values(check: PreparedCheck, calls: list[CallOutcome],
                    failures: list[list[bool]]) -> list[tuple[ValueCase, Any, Any]] | None:
    """Return (case, expected, student value) of every failing call; None if one of them raised."""
    found = []
    for case, case_failures in zip(check.value_cases, failures):
        for expected, index, failing in zip(case.expected, case.calls, case_failures):
            if failing:
                value, error = _at_path(_outcome(calls, index), case.compare)
                if error:
                    return None
                found.append((case, expected, value))
    return found


def _swapped(expected: Any, value: Any, rtol: float, atol: float) -> bool:
    """Whether a returned tuple holds exactly the expected entries, in another order."""
    if not isinstance(expected, tuple) or not isinstance(value, (tuple, list)) or len(value) != len(expected):
        return False
    unused = list(range(len(expected)))
    for have in value:
        match = next((index for index in unused if not _differs(expected[index], have, "", rtol, atol)), None)
        if match is None:
            return False
        unused.remove(match)
    return True


def _structural(check: PreparedCheck, calls: list[CallOutcome], failures: list[list[bool]]) -> str:
    """Return the STRUCTURAL key explaining every wrong array of the failing calls, or ''."""
    failing = _failing_values(check, calls, failures)
    if failing and all(_swapped(expected, value, case.rtol, case.atol) for case, expected, value in failing):
        return "swapped"
    kinds: set[str] = set()
    for case, expected, value in failing or []:
        leaves = _numeric_leaves(expected, value, same_shape=False)
        if leaves is None:
            return ""
        for _, want, have in leaves:
            if want.shape == have.shape and np.allclose(have, want, rtol=case.rtol, atol=case.atol):
                continue
            kinds.add(_structural_kind(want, have, case.rtol, case.atol))
    return next(iter(kinds)) if len(kinds) == 1 and "" not in kinds else ""


def _batch_arrays(batches: Any) -> list[list[np.ndarray]] | None:
    """Return a list of batches as lists of arrays with a first axis, or None if it is not one."""
    if not isinstance(batches, (list, tuple)) or not batches:
        return None
    out = []
    for batch in batches:
        if not isinstance(batch, (list, tuple)) or not batch:
            return None
        if not all(isinstance(part, np.ndarray) for part in batch):
            return None
        arrays = list(batch)
        if any(array.ndim == 0 or array.dtype.kind not in "iuf" for array in arrays):
            return None
        out.append(arrays)
    return out


def _sorted_rows(batches: list[list[np.ndarray]]) -> np.ndarray | None:
    """Stack every batch's parts side by side as rows, sorted: the multiset of (x, y) pairs."""
    try:
        parts = [np.concatenate([array.reshape(array.shape[0], -1).astype(np.float64) for array in batch], axis=1)
                 for batch in batches]
        rows = np.concatenate(parts, axis=0)
    except ValueError:
        return None
    return rows[np.lexsort(rows.T[::-1])] if rows.size else rows


def _batches_kind(expected: Any, got: Any, rtol: float, atol: float) -> str:
    """Return "padded" or "order" when a list of batches is wrong in one of those ways, else ''."""
    want, have = _batch_arrays(expected), _batch_arrays(got)
    if want is None or have is None or len(want) != len(have):
        return ""
    if all(len(w) == len(h) and all(a.shape == b.shape for a, b in zip(w, h)) for w, h in zip(want, have)):
        want_rows, have_rows = _sorted_rows(want), _sorted_rows(have)
        if want_rows is not None and have_rows is not None and want_rows.shape == have_rows.shape and bool(
                np.allclose(want_rows, have_rows, rtol=rtol, atol=atol)):
            return "order"
        return ""
    head_equal = all(not _differs(w, h, "", rtol, atol) for w, h in zip(expected[:-1], got[:-1]))
    last_w, last_h = want[-1], have[-1]
    if head_equal and len(last_w) == len(last_h) and all(
            b.shape[0] > a.shape[0] and b.shape[1:] == a.shape[1:]
            and np.allclose(b[:a.shape[0]], a, rtol=rtol, atol=atol) for a, b in zip(last_w, last_h)):
        return "padded"
    return ""


def _batches(check: PreparedCheck, calls: list[CallOutcome], failures: list[list[bool]]) -> tuple[str, str]:
    """Name a mistake in the batches of an epoch (rows padded, or in another order), or ('', '')."""
    failing = _failing_values(check, calls, failures)
    kinds = {_batches_kind(expected, value, case.rtol, case.atol) for case, expected, value in failing or []}
    if kinds == {"padded"}:
        return BATCHES_PADDED
    if kinds == {"order"}:
        return RNG_IGNORED
    return "", ""


def _renamed_state(check: PreparedCheck, diagnosis: CheckDiagnosis, calls: list[CallOutcome]) -> tuple[str, str]:
    """Return (contract key, student's key) of a returned state kept under another name, or ('', '')."""
    for case, notes in zip(check.value_cases, diagnosis.notes):
        for reference, index in zip(notes.results, case.calls):
            outcome = _outcome(calls, index)
            if outcome is None or not outcome.ok or not isinstance(reference, (tuple, list)):
                continue
            if not isinstance(outcome.value, (tuple, list)) or len(outcome.value) != len(reference):
                continue
            for want, have in zip(reference, outcome.value):
                if not isinstance(want, dict) or not isinstance(have, dict):
                    continue
                missing = [key for key in want if key not in have]
                extra = [key for key in have if key not in want]
                for key in missing:
                    for other in extra:
                        if not _differs(want[key], have[other], "", case.rtol, case.atol):
                            return str(key), str(other)
    return "", ""


def _in_place(check: PreparedCheck, calls: list[CallOutcome], sent: list[Call] | None) -> str:
    """Return the name of an argument overwritten with the function's own result, or ''."""
    if not sent:
        return ""
    for watch in check.watches:
        outcome = _outcome(calls, watch.call)
        returned, after = _argument_after(watch, calls)
        if not returned or outcome is None or watch.call >= len(sent):
            continue
        try:
            original = _sent_argument(sent[watch.call], watch.key)
        except (LookupError, ValueError):
            continue
        if not isinstance(original, np.ndarray) or not _differs(original, after, "", 0.0, 0.0):
            continue
        value = outcome.value
        results = [value] + ([part for part in value] if isinstance(value, (tuple, list)) else [])
        if any(not _differs(after, result, "", 1e-12, 1e-15) for result in results):
            return watch.argument
    return ""


def diagnose_check(check: PreparedCheck, calls: list[CallOutcome], sent: list[Call] | None = None) -> Diagnosis:
    """Explain a failed check from its unit's call outcomes (``sent``: the unit's calls, for arguments).

    Returns a Diagnosis: the best-matching mistake's name (or ''), and feedback lines naming it with
    its hint: a known variant, else a constant factor, a structural mistake (a transpose, an axis,
    batches, a renamed state key, an argument overwritten); for sequences, where they leave the
    reference.
    """
    diagnosis = check.diagnosis
    found = Diagnosis()
    if diagnosis is None:
        return found
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        failures = [_case_failures(case, calls) for case in check.value_cases]
        best = _best_variants(check, diagnosis, calls, failures)
        if best:
            found.mistake, found.variant = best[0].mistake, best[0]
            found.lines.append(f"Looks like: {best[0].mistake} — {best[0].hint}")
            for other in best[1:3]:
                found.lines.append(f"(or: {other.mistake} — {other.hint})")
        elif check.kind == "values":
            name, hint = _generic_mistake(check, diagnosis, calls, failures)
            if name:
                found.mistake = name
                found.lines.append(f"Looks like: {name} — {hint}")
        elif check.kind == "unchanged":
            argument = _in_place(check, calls, sent)
            if argument:
                found.mistake = f"{argument} modified in place"
                found.lines.append(f"Looks like: {found.mistake} — {IN_PLACE_HINT}")
        if check.kind == "values":
            found.lines += _trajectory(check, diagnosis, calls, failures)
    return found


def _generic_mistake(check: PreparedCheck, diagnosis: CheckDiagnosis, calls: list[CallOutcome],
                     failures: list[list[bool]]) -> tuple[str, str]:
    """Name a mistake no variant describes: a constant factor, a structure, batches or a state key."""
    factor = _constant_factor(check, diagnosis, calls)
    if factor:
        return _factor_line(factor, diagnosis.averaged)
    kind = _structural(check, calls, failures)
    if kind:
        return STRUCTURAL[kind]
    name, hint = _batches(check, calls, failures)
    if name:
        return name, hint
    key, other = _renamed_state(check, diagnosis, calls)
    if key:
        return STATE_RENAMED, (f"the contract keeps this state in config[{key!r}]; you store it in "
                               f"config[{other!r}], so a run resumed from a saved config[{key!r}] starts over.")
    return "", ""


def _contradicted(function: PreparedFunction, calls: list[CallOutcome], named: CheckVariant) -> bool:
    """Whether another values check of the function fails where the named variant is right everywhere."""
    for check in function.checks:
        if check.kind != "values" or check.diagnosis is None:
            continue
        failing = {position for position, case in enumerate(check.value_cases) if any(_case_failures(case, calls))}
        if not failing:
            continue
        same = next((variant for variant in check.diagnosis.variants if variant.mistake == named.mistake), None)
        if same is None or not failing <= {variant_case.case for variant_case in same.cases}:
            return True
    if named.pattern:
        # Over the whole function, a pattern's sequences and the student's leave the reference together.
        theirs, ours = _earliest_differences(function, calls, named)
        if theirs is not None and ours is not None and theirs != ours:
            return True
    return False


def diagnose_function(function: PreparedFunction, outcome: UnitOutcome, results: list[TestResult]) -> None:
    """Add the diagnosis of each failed check of ``function`` to its TestResult (``mistake``, output).

    A mistake named by one check is withdrawn when another check of the function fails where that
    mistake's variant is right: the student made some other mistake.
    """
    for check, test in zip(function.checks, results):
        if test.status != "failed" or check.diagnosis is None or not test.output:
            continue
        try:
            found = diagnose_check(check, outcome.calls, function.calls)
            variant = found.variant
            if variant is not None and variant.cases:
                with warnings.catch_warnings(), np.errstate(all="ignore"):
                    warnings.simplefilter("ignore")
                    if _contradicted(function, outcome.calls, variant):
                        found.mistake = ""
                        found.lines = [line for line in found.lines
                                       if not line.startswith(("Looks like:", "(or:"))]
        except Exception:  # a student's odd value must never cost the grade: the diagnosis is extra
            logger.exception("diagnosis of %s: %s failed", function.name, check.name)
            continue
        if found.mistake:
            test.mistake = found.mistake
        if found.lines:
            # Before what the student's code printed, which judge_function appends last.
            body, printed, console = test.output.partition(CONSOLE_HEADING)
            test.output = "\n".join([body.rstrip("\n"), *found.lines]) + (f"\n{printed}{console}" if printed else "")
