"""Deep copies of the trusted side's call programs and results, faster than copy.deepcopy.

Preparing a suite runs the reference and every named mistake's variant on each function's
calls, copying the calls before each run and each result as it is produced: copy.deepcopy's
generic dispatch was nearly half of a suite's preparation. For the types these hold (arrays,
lists, dicts, tuples, scalars, calls and their markers) this makes the copies copy.deepcopy
makes, objects shared within the value stay shared, and anything else goes to copy.deepcopy
(with the same memo).
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from autograder.sandbox.codec import Probe, Ref, Rng
from autograder.sandbox.program import Call

# Immutable, all the way down: a copy would be equal and never differ (copy.deepcopy makes new
# markers, whose fields are ints and strings).
_KEPT = frozenset({type(None), bool, int, float, complex, str, bytes, Ref, Probe, Rng})
_MISSING = object()


def deep_copy(value: Any) -> Any:
    """Return a deep copy of ``value``, as ``copy.deepcopy(value)`` would make it."""
    return _copy(value, {})


def _copy(value: Any, memo: dict[int, Any]) -> Any:
    kind = type(value)
    if kind in _KEPT:
        return value
    found = memo.get(id(value), _MISSING)
    if found is not _MISSING:
        return found
    result: Any
    if kind is np.ndarray and not value.dtype.hasobject:
        result = value.copy(order="K")  # what ndarray.__deepcopy__ makes of an array without objects
    elif kind is list:
        result = memo[id(value)] = []
        result.extend([_copy(item, memo) for item in value])
        return result
    elif kind is dict:
        result = memo[id(value)] = {}
        for key, item in value.items():
            result[_copy(key, memo)] = _copy(item, memo)
        return result
    elif kind is tuple:
        items = [_copy(item, memo) for item in value]
        found = memo.get(id(value), _MISSING)  # the tuple was reached again through its own items
        if found is not _MISSING:
            return found
        # As copy.deepcopy: a tuple whose items all copy to themselves is kept.
        result = value if all(mine is theirs for mine, theirs in zip(items, value)) else tuple(items)
    elif kind is Call:
        result = memo[id(value)] = object.__new__(Call)
        result.__dict__.update(_copy(value.__dict__, memo))
        return result
    else:
        return copy.deepcopy(value, memo)
    if result is not value:
        memo[id(value)] = result
    return result
