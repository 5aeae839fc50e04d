"""Name the mistake behind a failed check: known-wrong variants, constant factors, trajectories.

Trusted side only. When a suite is prepared, each mistake variant of a function (a module built
by ``variant_source``, run exactly as the sandbox would run that file) is evaluated on the
function's value cases, and its results are kept where they differ from the reference. Grading
costs nothing more until a check fails; then the student's results are matched against them.
Variants never reach student code: only their outputs are stored, next to the expected values.
"""

from __future__ import annotations

import copy
import logging
import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from autograder.grading.compare import compare_values
from autograder.grading.mistakes import Mistake, variant_source
from autograder.sandbox.program import Call, CallOutcome, run_program

if TYPE_CHECKING:
    from autograder.grading.assignment import Assignment
    from autograder.grading.prepare import PreparedCheck, PreparedFunction, ValueCase
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
    "1/N": (", where N is the number of elements", "you divide by N where the reference does not"),
    "the batch size": (" (the number of rows)", "divide by the batch size: the loss is a mean over rows"),
    "1/the batch size": (" (the number of rows)", "you divide by the batch size where the reference does not"),
}


@dataclass
class VariantCase:
    """A mistake variant's results on one value case, kept because they differ from the reference's."""

    case: int  # position in PreparedCheck.value_cases
    values: list[Any]  # per graded call: the value at the case's compare path (None where there is none)
    errors: list[str]  # per graded call: "" if it returned, else the exception type (or NO_ELEMENT)


@dataclass
class VariantWatch:
    """A by-value argument that a mistake variant modifies, as the variant leaves it."""

    watch: int  # position in PreparedCheck.watches
    after: Any


@dataclass
class CheckVariant:
    """What one named mistake does on the cases of one check."""

    mistake: str
    hint: str
    cases: list[VariantCase] = field(default_factory=list)
    watches: list[VariantWatch] = field(default_factory=list)


@dataclass
class CaseNotes:
    """What the trusted side knows of one value case beyond its expected values."""

    case: int
    factors: list[list[tuple[str, float]]]  # per graded call: (name, factor) a result may be off by
    results: list[Any] = field(default_factory=list)  # whole reference results when only a part is compared
    steps_per_epoch: int = 0  # training calls: batches per epoch, to place a diverging loss


@dataclass
class CheckDiagnosis:
    """Everything needed to explain a failure of one check, computed when the suite is prepared."""

    variants: list[CheckVariant] = field(default_factory=list)
    notes: list[CaseNotes] = field(default_factory=list)


@dataclass
class Diagnosis:
    """What the diagnosis found for one failed check: a mistake's name and the lines to show."""

    mistake: str = ""
    lines: list[str] = field(default_factory=list)


# --- preparation (trusted side, once per suite) ------------------------------------------------


def snapshot_run(namespace: Mapping[str, Any], calls: list[Call], probes: Mapping[str, Any],
                 filename: str) -> list[CallOutcome]:
    """Run trusted ``calls`` in-process, keeping each result as it was produced (later calls may mutate a config).

    Returns one CallOutcome per call, as the sandbox would stream them; warnings are silenced.
    """
    outcomes: list[CallOutcome] = []

    def snapshot(index: int, outcome: CallOutcome) -> None:
        outcome.value = copy.deepcopy(outcome.value)
        outcome.args_after = copy.deepcopy(outcome.args_after)
        outcomes.append(outcome)

    # Known-wrong variants overflow and divide by zero on purpose.
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        run_program(namespace, copy.deepcopy(calls), probes=probes, filename=filename, on_outcome=snapshot)
    return outcomes


def variant_namespace(assignment: Assignment, mistake: Mistake) -> dict[str, Any]:
    """Return a fresh module namespace of the student file that makes ``mistake`` (module state included)."""
    source = variant_source(assignment, mistake)
    namespace: dict[str, Any] = {"__name__": f"_autograder_variant_{assignment.name}_{mistake.implementation}",
                                 "__file__": f"<{mistake.implementation}>"}
    exec(compile(source, f"<{mistake.implementation}>", "exec"), namespace)  # our own code, trusted side
    return namespace


def _follow(value: Any, path: tuple[int | str, ...]) -> Any:
    for step in path:
        value = value[step]
    return value


def _at_path(outcome: CallOutcome | None, path: tuple[int | str, ...]) -> tuple[Any, str]:
    """Return (value at ``path``, "") or (None, why there is none) for one call's outcome."""
    if outcome is None:
        return None, "<did not run>"
    if not outcome.ok:
        return None, outcome.error_type or "error"
    try:
        return _follow(outcome.value, path), ""
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
        if rows > 2 and rows != size:
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
    runs = []
    for mistake in assignment.mistakes:
        if mistake.function == function.name:
            try:
                namespace = variant_namespace(assignment, mistake)
            except Exception:  # a broken variant is the assignment's bug: grade on, without its name
                logger.exception("%s: mistake %r cannot be built", assignment.name, mistake.name)
                continue
            runs.append((mistake, snapshot_run(namespace, calls, assignment.probes, f"<{mistake.implementation}>")))
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
                                   watches=_variant_watches(check, calls, outcomes))
            if variant.cases or variant.watches:
                variants.append(variant)
        check.diagnosis = CheckDiagnosis(variants=variants, notes=notes)


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


def _matches_case(variant_case: VariantCase, case: ValueCase, calls: list[CallOutcome]) -> bool:
    for value, error, index in zip(variant_case.values, variant_case.errors, case.calls):
        got, got_error = _at_path(_outcome(calls, index), case.compare)
        if error or got_error:
            if error != got_error:
                return False
        elif _differs(value, got, "", case.rtol, case.atol):
            return False
    return True


def _argument_after(watch: Any, calls: list[CallOutcome]) -> tuple[bool, Any]:
    outcome = _outcome(calls, watch.call)
    if outcome is None or not outcome.ok or not outcome.args_after or watch.key not in outcome.args_after:
        return False, None
    return True, outcome.args_after[watch.key]


def _best_variants(check: PreparedCheck, diagnosis: CheckDiagnosis, calls: list[CallOutcome],
                   failures: list[list[bool]]) -> list[CheckVariant]:
    """Return the variants consistent with every case they apply to, most matched cases first."""
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
        for variant_watch in variant.watches if consistent else []:
            watch = check.watches[variant_watch.watch]
            returned, after = _argument_after(watch, calls)
            if not returned or compare_values(variant_watch.after, after, 1e-9, 1e-12, show_values=False):
                consistent = False
                break
            matched += 1
        if consistent and matched:
            scored.append((-matched, order, variant))
    scored.sort(key=lambda item: item[:2])
    if not scored:
        return []
    best = scored[0][0]
    return [variant for count, _, variant in scored if count == best]


def _numeric_leaves(expected: Any, got: Any, path: str = "") -> list[tuple[str, np.ndarray, np.ndarray]] | None:
    """Pair the numeric leaves of ``expected`` and ``got``; None when their structures differ."""
    if isinstance(expected, (tuple, list)):
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            return None
        leaves: list[tuple[str, np.ndarray, np.ndarray]] = []
        for position, (want, have) in enumerate(zip(expected, got)):
            inner = _numeric_leaves(want, have, f"{path}[{position}]")
            if inner is None:
                return None
            leaves += inner
        return leaves
    if isinstance(expected, dict):
        if not isinstance(got, dict) or set(got) != set(expected):
            return None
        leaves = []
        for key in expected:
            inner = _numeric_leaves(expected[key], got[key], f"{path}[{key!r}]")
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
    if have.dtype.kind not in "iuf" or want.shape != have.shape:
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
        if not any(failures):
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


def diagnose_check(check: PreparedCheck, calls: list[CallOutcome]) -> Diagnosis:
    """Explain a failed check from its unit's call outcomes.

    Returns a Diagnosis: the best-matching mistake's name (or ''), and feedback lines naming
    it with its hint, else a constant factor; for sequences, where they leave the reference.
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
            found.mistake = best[0].mistake
            found.lines.append(f"Looks like: {best[0].mistake} — {best[0].hint}")
            for other in best[1:3]:
                found.lines.append(f"(or: {other.mistake} — {other.hint})")
        elif check.kind == "values":
            factor = _constant_factor(check, diagnosis, calls)
            if factor:
                where, advice = FACTOR_ADVICE[factor]
                found.lines.append(f"your result is exactly {factor} × the expected{where}: {advice}")
        if check.kind == "values":
            found.lines += _trajectory(check, diagnosis, calls, failures)
    return found


def diagnose_function(function: PreparedFunction, outcome: UnitOutcome, results: list[TestResult]) -> None:
    """Add the diagnosis of each failed check of ``function`` to its TestResult (``mistake``, output)."""
    for check, test in zip(function.checks, results):
        if test.status != "failed" or check.diagnosis is None or not test.output:
            continue
        try:
            found = diagnose_check(check, outcome.calls)
        except Exception:  # a student's odd value must never cost the grade: the diagnosis is extra
            logger.exception("diagnosis of %s: %s failed", function.name, check.name)
            continue
        if found.mistake:
            test.mistake = found.mistake
        if found.lines:
            # Before what the student's code printed, which judge_function appends last.
            body, printed, console = test.output.partition(CONSOLE_HEADING)
            test.output = "\n".join([body.rstrip("\n"), *found.lines]) + (f"\n{printed}{console}" if printed else "")
