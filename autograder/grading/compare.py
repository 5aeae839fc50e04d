"""Compare a student's returned value with the reference's: structure, shape, dtype, then values."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograder.grading.describe import describe_kind
from autograder.sandbox.codec import Unsupported

MAX_LISTED = 4


@dataclass
class Mismatch:
    """Why a value does not match: a one-line reason and supporting detail lines."""

    reason: str
    details: list[str] = field(default_factory=list)


def format_number(value: float) -> str:
    return f"{value:.6g}"


def _is_numeric_scalar(value: Any) -> bool:
    if type(value) in (int, float):
        return True
    return isinstance(value, np.generic) and np.asarray(value).dtype.kind in "iuf"


def _is_expected_numeric(value: Any) -> bool:
    if isinstance(value, np.ndarray):
        return value.dtype.kind in "iuf"
    return _is_numeric_scalar(value)


def _where(path: str) -> str:
    return f" in {path}" if path else ""


def _sample(array: np.ndarray) -> str:
    flat = array.reshape(-1)
    shown = ", ".join(format_number(float(item)) for item in flat[:MAX_LISTED])
    return f"[{shown}{', ...' if flat.size > MAX_LISTED else ''}]"


def _show(value: Any) -> str:
    array = np.asarray(value)
    if array.ndim == 0:
        return f"{describe_kind(value)} {format_number(float(array))}"
    return f"{describe_kind(value)} {_sample(array)}"


def _index(flat_index: int, shape: tuple[int, ...]) -> str:
    if not shape:
        return "()"
    return str(tuple(int(i) for i in np.unravel_index(flat_index, shape)))


def compare_values(expected: Any, got: Any, rtol: float, atol: float, path: str = "",
                   show_values: bool = True) -> Mismatch | None:
    """Compare ``got`` with ``expected``. Returns None when they match, else the first Mismatch.

    With ``show_values=False`` (hidden cases) the details name the failed property only.
    """
    if type(got) is Unsupported:
        return Mismatch(f"returned a value the grader cannot accept{_where(path)}: {got.description}")
    if isinstance(expected, (tuple, list)):
        if not isinstance(got, (tuple, list)):
            return Mismatch(f"expected a {type(expected).__name__} of {len(expected)} values{_where(path)}, "
                            f"got {describe_kind(got)}")
        if len(got) != len(expected):
            return Mismatch(f"expected {len(expected)} values{_where(path)}, got {len(got)}")
        for position, (want, have) in enumerate(zip(expected, got)):
            mismatch = compare_values(want, have, rtol, atol, f"{path}[{position}]", show_values)
            if mismatch:
                return mismatch
        return None
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return Mismatch(f"expected a dict{_where(path)}, got {describe_kind(got)}")
        missing = [key for key in expected if key not in got]
        extra = [key for key in got if key not in expected]
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"missing key(s) {', '.join(map(repr, missing))}")
            if extra:
                parts.append(f"unexpected key(s) {', '.join(map(repr, extra[:10]))}")
            return Mismatch(f"dict keys differ{_where(path)}: {'; '.join(parts)}")
        for key, want in expected.items():
            mismatch = compare_values(want, got[key], rtol, atol, f"{path}[{key!r}]", show_values)
            if mismatch:
                return mismatch
        return None
    if _is_expected_numeric(expected):
        return _compare_numeric(expected, got, rtol, atol, path, show_values)
    # Booleans, strings, None: compared exactly.
    if type(got) is not type(expected) and not (isinstance(expected, (bool, np.bool_)) and isinstance(got, (bool, np.bool_))):
        return Mismatch(f"expected {describe_kind(expected)}{_where(path)}, got {describe_kind(got)}")
    if isinstance(expected, np.ndarray):
        if got.shape != expected.shape or not np.array_equal(got, expected):
            return Mismatch(f"wrong value{_where(path)}")
        return None
    if got != expected:
        detail = [f"expected {expected!r}, got {got!r}"] if show_values else []
        return Mismatch(f"wrong value{_where(path)}", detail)
    return None


def all_close(have: np.ndarray, want: np.ndarray, rtol: float, atol: float) -> bool:
    """``np.allclose(have, want, rtol, atol, equal_nan=True)`` without its per-call overhead.

    It runs for every graded value of every submission, so the common case is one pass.
    """
    with np.errstate(invalid="ignore", over="ignore"):
        close = np.abs(have - want) <= atol + rtol * np.abs(want)
        finite = np.isfinite(want)
        if close.all() and finite.all():
            return True
        # Where the expected value is inf only the same inf is close; NaN matches NaN (as np.isclose).
        return bool(((close & finite) | (have == want) | (np.isnan(have) & np.isnan(want))).all())


def _compare_numeric(expected: Any, got: Any, rtol: float, atol: float, path: str, show_values: bool) -> Mismatch | None:
    expected_array = np.asarray(expected)
    scalar_expected = expected_array.ndim == 0
    if type(got) is bool or isinstance(got, np.bool_):
        return Mismatch(f"returned a bool{_where(path)}; expected a number")
    if isinstance(got, np.ndarray):
        if got.dtype.kind not in "iuf":
            return Mismatch(f"returned an array of dtype {got.dtype}{_where(path)}; expected real numbers (float64)")
        if got.shape != expected_array.shape:
            wanted = "a scalar (float or 0-d array)" if scalar_expected else f"shape {expected_array.shape}"
            return Mismatch(f"wrong shape{_where(path)}: expected {wanted}, got shape {got.shape}")
    elif _is_numeric_scalar(got):
        if not scalar_expected:
            return Mismatch(f"wrong shape{_where(path)}: expected an array of shape {expected_array.shape}, "
                            f"got {describe_kind(got)}")
    elif isinstance(got, np.generic):
        return Mismatch(f"returned {describe_kind(got)}{_where(path)}; expected real numbers")
    else:
        wanted = "a number" if scalar_expected else f"an array of shape {expected_array.shape}"
        return Mismatch(f"expected {wanted}{_where(path)}, got {describe_kind(got)}")

    want = expected_array.astype(np.float64)
    have = np.asarray(got).astype(np.float64)
    nonfinite = ~np.isfinite(have) & np.isfinite(want)
    if nonfinite.any():
        positions = np.flatnonzero(nonfinite)
        kinds = sorted({"NaN" if np.isnan(value) else "inf" for value in have.reshape(-1)[positions]})
        details = []
        if show_values:
            listed = ", ".join(_index(int(i), have.shape) for i in positions[:MAX_LISTED])
            details.append(f"at {'index' if len(positions) == 1 else 'indices'} {listed}"
                           f"{' ...' if len(positions) > MAX_LISTED else ''} where the expected value is finite")
        return Mismatch(f"{'/'.join(kinds)} in your result{_where(path)} "
                        f"({len(positions)} of {have.size} element{'s' if have.size != 1 else ''})", details)
    if all_close(have, want, rtol, atol):
        return None
    with np.errstate(invalid="ignore", over="ignore"):
        difference = np.abs(have - want)
        difference = np.where(np.isfinite(difference), difference, np.inf)
        relative = difference / np.maximum(np.abs(want), 1e-300)
        wrong = ~np.isclose(have, want, rtol=rtol, atol=atol, equal_nan=True)
    worst = int(np.argmax(np.where(wrong, difference, -1.0).reshape(-1)))
    reason = f"wrong values{_where(path)}"
    if not show_values:
        return Mismatch(reason, [f"{int(wrong.sum())} of {have.size} element(s) differ from the expected values "
                                 f"(max relative error {format_number(float(relative.max()))})"])
    details = [f"expected: {_show(expected)}", f"got:      {_show(got)}"]
    if have.size > 1:
        details.append(f"{int(wrong.sum())} of {have.size} elements differ; largest difference at index "
                       f"{_index(worst, have.shape)}: expected {format_number(float(want.reshape(-1)[worst]))}, "
                       f"got {format_number(float(have.reshape(-1)[worst]))}")
    details.append(f"max absolute error {format_number(float(difference.max()))}, "
                   f"max relative error {format_number(float(relative.max()))} (tolerance rtol={rtol:g}, atol={atol:g})")
    return Mismatch(reason, details)


def unchanged_difference(original: Any, after: Any, restored: bool, path: str = "") -> str | None:
    """Return how ``after`` differs from ``original`` (None if equal; ~1e-12 relative when ``restored``)."""
    if isinstance(original, np.ndarray):
        if not isinstance(after, np.ndarray) or after.shape != original.shape:
            return f"{path or 'it'} was replaced by {describe_kind(after)}"
        if original.dtype.kind in "iufc" and after.dtype.kind in "iufc":
            if restored:
                scale = float(np.max(np.abs(original))) if original.size else 0.0
                equal = np.isclose(after, original, rtol=1e-12, atol=1e-12 * scale, equal_nan=True)
            else:
                equal = (after == original) | (np.isnan(after) & np.isnan(original)) if original.dtype.kind in "fc" else after == original
        else:
            equal = np.asarray(after == original)
        if np.all(equal):
            return None
        changed = np.flatnonzero(~np.asarray(equal).reshape(-1))
        first = int(changed[0])
        return (f"{path or 'it'}: {len(changed)} of {original.size} element(s) changed, first at index "
                f"{_index(first, original.shape)} ({format_number(float(original.reshape(-1)[first]))} -> "
                f"{format_number(float(after.reshape(-1)[first]))})")
    if isinstance(original, dict):
        if not isinstance(after, dict):
            return f"{path or 'it'} was replaced by {describe_kind(after)}"
        if set(original) != set(after):
            added = sorted(set(after) - set(original))
            removed = sorted(set(original) - set(after))
            parts = ([f"keys added: {', '.join(map(repr, added))}"] if added else []) + \
                    ([f"keys removed: {', '.join(map(repr, removed))}"] if removed else [])
            return f"{path or 'the dict'}: {'; '.join(parts)}"
        for key in original:
            difference = unchanged_difference(original[key], after[key], restored, f"{path}[{key!r}]")
            if difference:
                return difference
        return None
    if isinstance(original, (list, tuple)):
        if not isinstance(after, (list, tuple)) or len(after) != len(original):
            return f"{path or 'the list'} changed length or kind"
        for position, (before, now) in enumerate(zip(original, after)):
            difference = unchanged_difference(before, now, restored, f"{path}[{position}]")
            if difference:
                return difference
        return None
    if type(original) is not type(after) or original != after:
        if isinstance(original, float) and isinstance(after, float) and np.isnan(original) and np.isnan(after):
            return None
        return f"{path or 'it'} changed from {original!r:.40} to {after!r:.40}"
    return None
