"""Compare a student's returned value with the reference's: structure, shape, dtype, then values.

Everything here runs on the trusted side on values a student's code produced, so nothing may
raise: a value the comparison cannot read is a mismatch of its own ("the grader cannot read it").
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograder.grading.describe import describe_kind
from autograder.sandbox.codec import Unsupported

MAX_LISTED = 4
# Results in these dtypes lose the digits gradient checks and tolerances rely on.
LOW_PRECISION = ("float16", "float32")
# float16's significant bits: a float64 value this short in binary is no sign of a float32 computation.
SHORT_BITS = 11
# Float64 rounding of an entry computed by a cancellation, relative to the result's largest entry
# (thousands of ulps); float32 rounding of any entry above 2e-5 of the largest one exceeds it.
CANCELLATION_ROUNDING = 1e-12

# What a hidden case may say about a failure: its kind, never a number from the hidden draw.
STRUCTURE, SHAPE, DTYPE, NONFINITE, VALUES, UNREADABLE = "structure", "shape", "dtype", "nonfinite", "values", "unreadable"
HIDDEN_REASONS = {
    STRUCTURE: "wrong kind of result (a different type, length or set of keys than expected)",
    SHAPE: "wrong shape",
    DTYPE: "wrong dtype or type of number",
    NONFINITE: "NaN or inf in your result where the expected value is finite",
    VALUES: "wrong values",
    UNREADABLE: "the grader cannot read your result",
}


@dataclass
class Mismatch:
    """Why a value does not match: a one-line reason, supporting detail lines and the kind of failure.

    ``kind`` is one of the keys of HIDDEN_REASONS; ``where`` is the contract's name of the part that
    differs (``dw``, ``config['v']``), when it has one, for messages that must not show positions.
    """

    reason: str
    details: list[str] = field(default_factory=list)
    kind: str = VALUES
    where: str = ""

    def hidden_text(self) -> str:
        """The failure as a hidden case may tell it: its kind and the contract's name of the part."""
        if self.kind == DTYPE and self.reason.startswith("returned float"):
            text = self.reason.split(" in ")[0].split(":")[0] + ": compute in float64"
        else:
            text = HIDDEN_REASONS.get(self.kind, HIDDEN_REASONS[VALUES])
        # Positions in a returned list depend on the hidden draw; contract names do not.
        where = re.sub(r"\[\d+\]", "", self.where)
        return text + (f" (in {where})" if where else "")


def format_number(value: float) -> str:
    return f"{value:.6g}"


def format_pair(want: float, have: float) -> tuple[str, str]:
    """Format two different numbers with as many significant digits as it takes to tell them apart."""
    for digits in (6, 9, 12, 17):
        shown = f"{want:.{digits}g}", f"{have:.{digits}g}"
        if shown[0] != shown[1]:
            return shown
    return f"{want!r}", f"{have!r}"


def _is_numeric_scalar(value: Any) -> bool:
    if type(value) in (int, float):
        return True
    return isinstance(value, np.generic) and np.asarray(value).dtype.kind in "iuf"


def _is_expected_numeric(value: Any) -> bool:
    if isinstance(value, np.ndarray):
        return value.dtype.kind in "iuf"
    return _is_numeric_scalar(value)


def _is_number_sequence(value: Any) -> bool:
    """A list or tuple of plain numbers (such as train's losses): the sequence rule applies."""
    return isinstance(value, (list, tuple)) and len(value) > 0 and all(
        _is_numeric_scalar(item) and type(item) is not bool for item in value)


def _where(path: str) -> str:
    return f" in {path}" if path else ""


def _float_text(value: float) -> str:
    return format_number(value)


def _sample(array: np.ndarray) -> str:
    flat = array.reshape(-1)
    shown = ", ".join(format_number(float(item)) for item in flat[:MAX_LISTED])
    return f"[{shown}{', ...' if flat.size > MAX_LISTED else ''}]"


def _index(flat_index: int, shape: tuple[int, ...]) -> str:
    if not shape:
        return "()"
    return str(tuple(int(i) for i in np.unravel_index(flat_index, shape)))


def _child(path: str, step: int | str, names: Sequence[str]) -> str:
    """The path of one entry: its contract name at the top level (``dw``), else ``path[step]``."""
    if not path and type(step) is int and step < len(names) and names[step]:
        return names[step]
    return f"{path}[{step!r}]"


def compare_values(expected: Any, got: Any, rtol: float, atol: float, path: str = "",
                   show_values: bool = True, names: Sequence[str] = ()) -> Mismatch | None:
    """Compare ``got`` with ``expected``. Returns None when they match, else the first Mismatch; never raises.

    ``names`` are the contract's names of the entries of a returned tuple (``("dx", "dw", "db")``).
    With ``show_values=False`` (hidden cases) the details name the failed property only.
    """
    try:
        return _compare(expected, got, rtol, atol, path, show_values, names)
    except Exception:  # a value no branch foresaw: fail this comparison, never the grader
        return Mismatch(f"the grader cannot read your result{_where(path)}", kind=UNREADABLE, where=path)


def _compare(expected: Any, got: Any, rtol: float, atol: float, path: str, show_values: bool,
             names: Sequence[str]) -> Mismatch | None:
    if type(got) is Unsupported:
        return Mismatch(f"returned a value the grader cannot accept{_where(path)}: {got.description}",
                        kind=UNREADABLE, where=path)
    if _is_number_sequence(expected) and isinstance(got, np.ndarray) and got.ndim == 1:
        # The sequence rule: a sequence of numbers may be a list, a tuple or a 1-D array.
        if len(got) != len(expected):
            return Mismatch(f"expected {len(expected)} values{_where(path)}, got {len(got)}", kind=STRUCTURE,
                            where=path)
        return _compare_numeric(np.array(expected, dtype=np.float64), got, rtol, atol, path, show_values)
    if isinstance(expected, (tuple, list)):
        if not isinstance(got, (tuple, list)):
            sequence = "sequence (list, tuple or 1-D array)" if _is_number_sequence(expected) \
                else type(expected).__name__
            return Mismatch(f"expected a {sequence} of {len(expected)} values{_where(path)}, "
                            f"got {describe_kind(got)}", kind=STRUCTURE, where=path)
        if len(got) != len(expected):
            return Mismatch(f"expected {len(expected)} values{_where(path)}, got {len(got)}", kind=STRUCTURE,
                            where=path)
        for position, (want, have) in enumerate(zip(expected, got)):
            mismatch = _compare(want, have, rtol, atol, _child(path, position, names), show_values, ())
            if mismatch:
                return mismatch
        return None
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return Mismatch(f"expected a dict{_where(path)}, got {describe_kind(got)}", kind=STRUCTURE, where=path)
        missing = [key for key in expected if key not in got]
        extra = [key for key in got if key not in expected]
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"missing key(s) {', '.join(map(repr, missing))}")
            if extra:
                parts.append(f"unexpected key(s) {', '.join(repr(key)[:40] for key in extra[:10])}")
            return Mismatch(f"dict keys differ{_where(path)}: {'; '.join(parts)}", kind=STRUCTURE, where=path)
        for key, want in expected.items():
            mismatch = _compare(want, got[key], rtol, atol, f"{path}[{key!r}]", show_values, ())
            if mismatch:
                return mismatch
        return None
    if _is_expected_numeric(expected):
        return _compare_numeric(expected, got, rtol, atol, path, show_values)
    # Booleans, strings, None: compared exactly.
    if type(got) is not type(expected) and not (isinstance(expected, (bool, np.bool_)) and isinstance(got, (bool, np.bool_))):
        return Mismatch(f"expected {describe_kind(expected)}{_where(path)}, got {describe_kind(got)}",
                        kind=STRUCTURE, where=path)
    if isinstance(expected, np.ndarray):
        if got.shape != expected.shape or got.dtype != expected.dtype or not np.array_equal(got, expected):
            return Mismatch(f"wrong value{_where(path)}", where=path)
        return None
    if bool(got != expected):
        detail = [f"expected {expected!r:.60}, got {got!r:.60}"] if show_values else []
        return Mismatch(f"wrong value{_where(path)}", detail, where=path)
    return None


def all_close(have: np.ndarray, want: np.ndarray, rtol: float, atol: float) -> bool:
    """``np.allclose(have, want, rtol, atol, equal_nan=True)`` without its per-call overhead.

    It runs for every graded value of every submission, so the common case is one pass.
    """
    with np.errstate(invalid="ignore", over="ignore"):
        return _all_close(have, want, rtol, atol)


def _all_close(have: np.ndarray, want: np.ndarray, rtol: float, atol: float) -> bool:
    # all_close, for callers already under an errstate that ignores overflow and invalid values.
    close = np.abs(have - want) <= atol + rtol * np.abs(want)
    finite = np.isfinite(want)
    if close.all() and finite.all():
        return True
    # Where the expected value is inf only the same inf is close; NaN matches NaN (as np.isclose).
    return bool(((close & finite) | (have == want) | (np.isnan(have) & np.isnan(want))).all())


def _low_precision(expected_array: np.ndarray, got: Any) -> str:
    """The dtype name when ``got`` is float16/float32 where a float64 result is expected, else ''."""
    if expected_array.dtype != np.float64:
        return ""
    dtype = getattr(got, "dtype", None)
    # kind and size first: dtype.name is computed in Python on every read
    if isinstance(got, (np.ndarray, np.generic)) and isinstance(dtype, np.dtype) and dtype.kind == "f" \
            and dtype.itemsize < 8 and dtype.name in LOW_PRECISION:
        return dtype.name
    return ""


def has_float32_precision(values: np.ndarray) -> bool:
    """True when float64 ``values`` look computed in float32 (or float16) and converted afterwards.

    Every non-zero value survives a round trip through float32 and at least one is no short binary
    number (more than float16's 11 significant bits): an honest float64 result almost never does both.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        flat = np.asarray(values, dtype=np.float64).reshape(-1)
        flat = flat[np.isfinite(flat) & (flat != 0)]
        if not flat.size or not np.all(flat.astype(np.float32).astype(np.float64) == flat):
            return False
        # Short: at most float16's 11 significant bits, at any exponent (2**-40 is short, though
        # out of float16's range: a power of two is no sign of float32).
        significand = np.frexp(flat)[0] * 2.0**SHORT_BITS
        return bool(np.any(significand != np.round(significand)))


def _float32_rounded(have: np.ndarray, want: np.ndarray) -> bool:
    """True when ``have`` differs from ``want`` by more than float64 rounding and has float32 precision.

    Call it under an errstate that ignores overflow, invalid values and division by zero.
    """
    differ = (have != want) & np.isfinite(have) & np.isfinite(want)
    if not differ.any():
        return False
    difference = np.abs(have[differ] - want[differ])
    relative = difference / np.maximum(np.abs(want[differ]), 1e-300)
    # An honest float64 result that happens to be short in binary differs by rounding only: of
    # the entry itself, or of the result's largest entries where it comes from a cancellation
    # (softmax - 1 = -2**-37 when the other class is 25.6 below: off by 3e-17 from the reference).
    scale = float(np.max(np.abs(want[np.isfinite(want)]), initial=0.0))
    if not np.any((relative > 1e-10) & (difference > CANCELLATION_ROUNDING * scale)):
        return False
    return has_float32_precision(have[differ]) and not has_float32_precision(want)


def _compare_numeric(expected: Any, got: Any, rtol: float, atol: float, path: str, show_values: bool) -> Mismatch | None:
    expected_array = np.asarray(expected)
    scalar_expected = expected_array.ndim == 0
    if type(got) is bool or isinstance(got, np.bool_):
        return Mismatch(f"returned a bool{_where(path)}; expected a number", kind=DTYPE, where=path)
    if isinstance(got, np.ndarray):
        if type(got) is not np.ndarray:  # a subclass (matrix, masked array): judge the plain data
            got = np.array(got, subok=False)
        if got.dtype.kind not in "iuf":
            return Mismatch(f"returned an array of dtype {got.dtype}{_where(path)}; expected real numbers (float64)",
                            kind=DTYPE, where=path)
        if got.shape != expected_array.shape:
            wanted = "a scalar (float or 0-d array)" if scalar_expected else f"shape {expected_array.shape}"
            return Mismatch(f"wrong shape{_where(path)}: expected {wanted}, got shape {got.shape}", kind=SHAPE,
                            where=path)
        if expected_array.dtype.kind in "iu" and got.dtype.kind == "f":
            # Integer labels handed back as floats: the same numbers, but they no longer index.
            return Mismatch(f"returned {got.dtype}{_where(path)} where the expected values are integers "
                            f"({expected_array.dtype}): keep the dtype of the labels you were given", kind=DTYPE,
                            where=path)
    elif _is_numeric_scalar(got):
        if not scalar_expected:
            return Mismatch(f"wrong shape{_where(path)}: expected an array of shape {expected_array.shape}, "
                            f"got {describe_kind(got)}", kind=SHAPE, where=path)
        if type(got) is int and not -1e308 < got < 1e308:
            return Mismatch(f"returned an integer too large for a float{_where(path)}", kind=DTYPE, where=path)
    elif isinstance(got, np.generic):
        return Mismatch(f"returned {describe_kind(got)}{_where(path)}; expected real numbers", kind=DTYPE, where=path)
    else:
        wanted = "a number" if scalar_expected else f"an array of shape {expected_array.shape}"
        return Mismatch(f"expected {wanted}{_where(path)}, got {describe_kind(got)}",
                        kind=SHAPE if isinstance(got, (list, tuple)) else STRUCTURE, where=path)
    low = _low_precision(expected_array, got)
    if low:
        return Mismatch(f"returned {low}{_where(path)}: compute in float64 (the inputs are float64; {low} keeps "
                        f"only {7 if low == 'float32' else 3} significant digits)", kind=DTYPE, where=path)

    # One errstate for the whole comparison: entering one costs as much as the comparison of a small array.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return _compare_floats(expected_array, got, rtol, atol, path, show_values)


def _compare_floats(expected_array: np.ndarray, got: Any, rtol: float, atol: float, path: str,
                    show_values: bool) -> Mismatch | None:
    """The values of a result whose kind and shape are right (under _compare_numeric's errstate)."""
    want = expected_array.astype(np.float64)
    have = np.asarray(got).astype(np.float64)
    if expected_array.dtype == np.float64 and np.asarray(got).dtype.kind == "f" and _float32_rounded(have, want):
        return Mismatch(f"returned float32 precision{_where(path)}: compute in float64 (your result was computed "
                        "in float32 and converted; float32 keeps only 7 significant digits)", kind=DTYPE, where=path)
    nonfinite = ~np.isfinite(have) & np.isfinite(want)
    if nonfinite.any():
        positions = np.flatnonzero(nonfinite)
        kinds = sorted({"NaN" if np.isnan(value) else "inf" for value in have.reshape(-1)[positions]})
        if not show_values:
            return Mismatch(f"{'/'.join(kinds)} in your result{_where(path)} where the expected value is finite",
                            kind=NONFINITE, where=path)
        listed = ", ".join(_index(int(i), have.shape) for i in positions[:MAX_LISTED])
        details = [f"at {'index' if len(positions) == 1 else 'indices'} {listed}"
                   f"{' ...' if len(positions) > MAX_LISTED else ''} where the expected value is finite"]
        return Mismatch(f"{'/'.join(kinds)} in your result{_where(path)} "
                        f"({len(positions)} of {have.size} element{'s' if have.size != 1 else ''})", details,
                        kind=NONFINITE, where=path)
    if _all_close(have, want, rtol, atol):
        return None
    reason = f"wrong values{_where(path)}"
    if not show_values:
        return Mismatch(reason, kind=VALUES, where=path)
    return Mismatch(reason, _value_details(want, have, rtol, atol), kind=VALUES, where=path)


def _value_details(want: np.ndarray, have: np.ndarray, rtol: float, atol: float) -> list[str]:
    """Expected and got, the worst element, and its error: relative, or absolute where 0 is expected."""
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        difference = np.abs(have - want)
        difference = np.where(np.isfinite(difference), difference, np.inf)
        wrong = ~np.isclose(have, want, rtol=rtol, atol=atol, equal_nan=True)
        nonzero = want != 0
        relative = np.where(nonzero, difference / np.where(nonzero, np.abs(want), 1.0), 0.0)
    worst = int(np.argmax(np.where(wrong, difference, -1.0).reshape(-1)))
    want_worst, have_worst = float(want.reshape(-1)[worst]), float(have.reshape(-1)[worst])
    shown_want, shown_have = format_pair(want_worst, have_worst)
    if have.size == 1:
        details = [f"expected: {shown_want}", f"got:      {shown_have}"]
    else:
        details = [f"expected: {_sample(want)}", f"got:      {_sample(have)}",
                   f"{int(wrong.sum())} of {have.size} elements differ; largest difference at index "
                   f"{_index(worst, have.shape)}: expected {shown_want}, got {shown_have}"]
    tolerance = f"(tolerance rtol={rtol:g}, atol={atol:g})"
    if not nonzero.any():
        details.append(f"max absolute error {format_number(float(difference.max()))} where 0 is expected {tolerance}")
    elif nonzero.all():
        details.append(f"max absolute error {format_number(float(difference.max()))}, "
                       f"max relative error {format_number(float(relative.max()))} {tolerance}")
    else:
        details.append(f"max absolute error {format_number(float(difference.max()))}, max relative error "
                       f"{format_number(float(relative.max()))} where the expected value is not 0 {tolerance}")
    return details


def unchanged_difference(original: Any, after: Any, restored: bool, path: str = "") -> str | None:
    """Return how ``after`` differs from ``original`` (None if equal; ~1e-12 relative when ``restored``).

    Never raises: an argument turned into something unreadable is reported as replaced.
    """
    try:
        return _unchanged_difference(original, after, restored, path)
    except Exception:
        return f"{path or 'it'} was changed into something the grader cannot read"


def _changed_arrays(original: np.ndarray, after: np.ndarray, restored: bool) -> np.ndarray:
    """Element-wise 'still equal' mask of two arrays of the same shape."""
    if original.dtype.kind in "iufc" and after.dtype.kind in "iufc":
        if restored:
            scale = float(np.max(np.abs(original))) if original.size else 0.0
            return np.isclose(after, original, rtol=1e-12, atol=1e-12 * scale, equal_nan=True)
        if original.dtype.kind in "fc" or after.dtype.kind in "fc":
            return (after == original) | (np.isnan(after) & np.isnan(original))
        return np.asarray(after == original)
    return np.zeros(original.shape, dtype=bool)  # dtype changed to text or bytes: every element changed


def _unchanged_difference(original: Any, after: Any, restored: bool, path: str) -> str | None:
    if isinstance(original, np.ndarray):
        if not restored and type(after) is np.ndarray and after.dtype == original.dtype \
                and after.shape == original.shape and original.dtype.kind in "iufc" \
                and after.tobytes() == original.tobytes():
            return None  # bit for bit as sent (the usual case): equal under the rules below, found without them
        if not isinstance(after, np.ndarray) or after.shape != original.shape:
            return f"{path or 'it'} was replaced by {describe_kind(after)}"
        if type(after) is not np.ndarray:
            after = np.array(after, subok=False)
        if after.dtype != original.dtype and after.dtype.kind not in "iufc":
            return f"{path or 'it'}: its dtype was changed from {original.dtype} to {after.dtype}"
        with np.errstate(invalid="ignore", over="ignore"):
            equal = _changed_arrays(original, after, restored)
        if np.all(equal):
            if after.dtype != original.dtype:
                return f"{path or 'it'}: its dtype was changed from {original.dtype} to {after.dtype}"
            return None
        changed = np.flatnonzero(~np.asarray(equal).reshape(-1))
        first = int(changed[0])
        before_value, after_value = original.reshape(-1)[first], after.reshape(-1)[first]
        if original.dtype.kind in "iuf" and after.dtype.kind in "iuf":
            shown = format_pair(float(before_value), float(after_value))
        else:
            shown = (f"{before_value!r:.40}", f"{after_value!r:.40}")
        return (f"{path or 'it'}: {len(changed)} of {original.size} element(s) changed, first at index "
                f"{_index(first, original.shape)} ({shown[0]} -> {shown[1]})")
    if isinstance(original, dict):
        if not isinstance(after, dict):
            return f"{path or 'it'} was replaced by {describe_kind(after)}"
        if set(original) != set(after):
            added = sorted((key for key in after if key not in original), key=repr)[:10]
            removed = sorted((key for key in original if key not in after), key=repr)
            parts = ([f"keys added: {', '.join(repr(key)[:40] for key in added)}"] if added else []) + \
                    ([f"keys removed: {', '.join(map(repr, removed))}"] if removed else [])
            return f"{path or 'the dict'}: {'; '.join(parts)}"
        for key in original:
            difference = _unchanged_difference(original[key], after[key], restored, f"{path}[{key!r}]")
            if difference:
                return difference
        return None
    if isinstance(original, (list, tuple)):
        if not isinstance(after, (list, tuple)) or len(after) != len(original):
            return f"{path or 'the list'} changed length or kind"
        for position, (before, now) in enumerate(zip(original, after)):
            difference = _unchanged_difference(before, now, restored, f"{path}[{position}]")
            if difference:
                return difference
        return None
    if type(original) is not type(after) or bool(original != after):
        if isinstance(original, float) and isinstance(after, float) and math.isnan(original) and math.isnan(after):
            return None
        return f"{path or 'it'} changed from {original!r:.40} to {after!r:.40}"
    return None
