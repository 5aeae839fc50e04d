"""Judge a gradient check: the student's analytic gradient against centred differences of their own forward."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from autograder.grading.compare import LOW_PRECISION, format_number, has_float32_precision
from autograder.grading.prepare import objective
from autograder.grading.suite import GradCase
from autograder.sandbox.codec import Unsupported
from autograder.sandbox.program import Call, CallOutcome

# Below this difference a disagreement is rounding noise of the finite differences.
NOISE_FLOOR = 1e-8


@dataclass
class GradVerdict:
    """The outcome of one gradient-check case."""

    passed: bool
    reason: str = ""
    details: list[str] = field(default_factory=list)
    max_relative_error: float = 0.0


def relative_error(analytic: float, numerical: float) -> float:
    """Return ``|a - n| / max(1e-8, |a| + |n|)``, the contract's relative error."""
    return abs(analytic - numerical) / max(1e-8, abs(analytic) + abs(numerical))


def _gradient(value: object, path: tuple[int | str, ...], shape: tuple[int, ...]) -> np.ndarray:
    for step in path:
        if isinstance(value, Unsupported):
            raise ValueError(f"the grader cannot read {value.description}")
        if isinstance(step, str):
            if not isinstance(value, dict):
                raise ValueError(f"expected a dict with key {step!r}, got {_kind(value)}")
            if step not in value:
                raise ValueError(f"the key {step!r} is missing")
        elif not isinstance(value, (list, tuple)) or len(value) <= step:
            raise ValueError(f"expected a tuple of at least {step + 1} values, got {_kind(value)}")
        value = value[step]  # type: ignore[index]
    if isinstance(value, Unsupported):
        raise ValueError(f"the grader cannot read {value.description}")
    if isinstance(value, (list, tuple, dict, str)) or value is None or isinstance(value, bool):
        raise ValueError(f"is a {type(value).__name__}, not an array")
    array = np.asarray(value)
    if array.dtype.kind not in "iuf":
        raise ValueError(f"has dtype {array.dtype}, not real numbers")
    if array.shape != shape and not (shape == () and array.size == 1 and array.ndim == 0):
        raise ValueError(f"has shape {array.shape}, expected {shape}")
    return array.astype(np.float64)


def _kind(value: object) -> str:
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of {len(value)}"
    return "None" if value is None else f"a {type(value).__name__}"


def _low_precision_forward(case: GradCase, outcomes: Sequence[CallOutcome]) -> str:
    """'float32' (or 'float16') when the forward's results at the probed points have that precision, else ''."""
    values = []
    for entry in case.entries:
        for index in (entry.plus, entry.minus):
            value = outcomes[index].value
            dtype = getattr(value, "dtype", None)
            if isinstance(value, (np.ndarray, np.generic)) and dtype is not None and dtype.name in LOW_PRECISION:
                return str(dtype.name)
            try:
                values.append(np.asarray(value, dtype=np.float64).reshape(-1))
            except (TypeError, ValueError, OverflowError):
                return ""
    if values and has_float32_precision(np.concatenate(values)):
        return "float32"
    return ""


def judge_grad_case(case: GradCase, outcomes: Sequence[CallOutcome], program: Sequence[Call]) -> GradVerdict:
    """Compare the analytic gradient with centred differences of the student's forward.

    Returns a GradVerdict saying whether the backward disagrees with the student's own forward,
    or whether the forward itself differs from the reference.
    """
    for index in range(case.start, case.analytic + 1):
        outcome = outcomes[index]
        if not outcome.ok and outcome.error_type != "GraderError":
            message = f"your {program[index].function} raised {outcome.error_type}"
            return GradVerdict(False, message + (f": {outcome.error_message}" if outcome.error_message else ""),
                               list(outcome.traceback))
    analytic = outcomes[case.analytic]
    if not analytic.ok:
        return GradVerdict(False, f"could not run: {analytic.error_message}")
    gradients: dict[str, np.ndarray] = {}
    for name, path in case.paths.items():
        try:
            gradients[name] = _gradient(analytic.value, path, case.shapes[name])
        except (LookupError, TypeError, ValueError) as error:
            return GradVerdict(False, f"cannot read your gradient for {name}: {error}")
    worst_error, worst_line = 0.0, ""
    failures = 0
    forward_differs = False
    for entry in case.entries:
        plus, minus = outcomes[entry.plus], outcomes[entry.minus]
        for outcome in (plus, minus):
            if not outcome.ok:
                message = f"your {program[entry.plus].function} raised {outcome.error_type}"
                return GradVerdict(False, message + (f": {outcome.error_message}" if outcome.error_message else ""),
                                   list(outcome.traceback))
        try:
            value_plus = objective(plus.value, case.weights)
            value_minus = objective(minus.value, case.weights)
        except ValueError as error:
            return GradVerdict(False, f"your forward's result cannot be differentiated: {error}")
        if not (np.isfinite(value_plus) and np.isfinite(value_minus)):
            return GradVerdict(False, "your forward returned NaN or inf at the probed points")
        for mine, reference in ((value_plus, entry.reference_plus), (value_minus, entry.reference_minus)):
            if not abs(float(mine) - float(reference)) <= 1e-9 + 1e-6 * abs(float(reference)):
                forward_differs = True
        numerical = (value_plus - value_minus) / (2 * case.h)
        noise = 8 * np.finfo(np.float64).eps * max(1.0, abs(value_plus), abs(value_minus)) / (2 * case.h)
        value = float(gradients[entry.variable][entry.index])
        disagreement = relative_error(value, numerical)
        if disagreement > case.tolerance and abs(value - numerical) > NOISE_FLOOR + noise:
            failures += 1
            if disagreement > worst_error:
                where = f"{entry.variable}[{', '.join(map(str, entry.index))}]" if entry.index else entry.variable
                worst_error = disagreement
                worst_line = (f"at {where}: your gradient {format_number(value)}, centred difference of your forward "
                              f"{format_number(numerical)}")
    if not failures:
        return GradVerdict(True)
    total = len(case.entries)
    low = _low_precision_forward(case, outcomes)
    if low:
        forward = program[case.entries[0].plus].function if case.entries else "forward"
        return GradVerdict(False, f"your {forward} computes in {low}: centred differences of a {low} function are "
                                  "rounding noise at this step, so your backward cannot be checked against it. "
                                  "Compute the forward in float64.", [], worst_error)
    details = [f"{failures} of {total} probed entries disagree (relative error up to {worst_error:.2g}, "
               f"tolerance {case.tolerance:g})"]
    if not case.hidden:
        details.insert(0, worst_line)
    if forward_differs:
        return GradVerdict(False, "your forward differs from the reference, so the gradient cannot be checked "
                                  "against it: fix the forward first", details, worst_error)
    return GradVerdict(False, "your backward disagrees with your own forward", details, worst_error)
