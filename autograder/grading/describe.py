"""Short, student-facing descriptions of values and calls (shapes, not data)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from autograder.sandbox.codec import Probe, Ref, Rng, Unsupported
from autograder.sandbox.program import Call

MAX_ITEMS = 6


def describe_value(value: Any) -> str:
    """Describe ``value`` by kind and shape, e.g. ``(5, 3)`` or ``(4,) int64`` or ``0.01``."""
    if isinstance(value, np.ndarray):
        shape = str(tuple(value.shape))
        return shape if value.dtype == np.float64 else f"{shape} {value.dtype}"
    if isinstance(value, np.generic):
        return f"{value.dtype} scalar"
    if type(value) is bool or value is None:
        return repr(value)
    if type(value) in (int, float):
        return f"{value:g}" if type(value) is float else str(value)
    if type(value) is str:
        return repr(value if len(value) <= 20 else value[:17] + "...")
    if type(value) is dict:
        items = [f"{key}: {describe_value(item)}" for key, item in list(value.items())[:MAX_ITEMS]]
        more = ", ..." if len(value) > MAX_ITEMS else ""
        return "{" + ", ".join(items) + more + "}"
    if type(value) in (list, tuple):
        kind = "list" if type(value) is list else "tuple"
        if len(value) > MAX_ITEMS:
            return f"{kind} of {len(value)}"
        inner = ", ".join(describe_value(item) for item in value)
        return f"[{inner}]" if kind == "list" else f"({inner}{',' if len(value) == 1 else ''})"
    if type(value) is Probe:
        return f"grader function {value.name}"
    if type(value) is Rng:
        return "numpy Generator"
    if type(value) is Unsupported:
        return value.description
    return type(value).__name__


def describe_kind(value: Any) -> str:
    """Describe what a returned value is, e.g. ``float64 array of shape (5,)`` or ``Python float``."""
    if isinstance(value, np.ndarray):
        return f"{value.dtype} array of shape {tuple(value.shape)}"
    if isinstance(value, np.generic):
        return f"NumPy {value.dtype} scalar"
    if type(value) is Unsupported:
        return value.description
    if type(value) in (list, tuple, dict):
        return f"{type(value).__name__} of length {len(value)}"
    if value is None:
        return "None"
    return f"Python {type(value).__name__}"


def describe_call(call: Call, program: Sequence[Call], parameters: Sequence[str] = (),
                  result_names: Mapping[str, Sequence[str]] | None = None) -> str:
    """Describe ``call`` with argument shapes, e.g. ``mse(y_pred: (5, 3), y_true: (5, 3))``.

    ``result_names`` gives the contract's names of functions' returned entries, so an earlier
    result reads ``your affine_forward's cache`` instead of ``your affine_forward(...)[1]``.
    """
    names = result_names or {}
    parts = []
    for position, argument in enumerate(call.args):
        name = parameters[position] if position < len(parameters) else f"arg{position}"
        parts.append(f"{name}: {_describe_argument(argument, program, names)}")
    for name, argument in call.kwargs.items():
        parts.append(f"{name}={_describe_argument(argument, program, names)}")
    function = call.function.removeprefix("probe:")
    return f"{function}({', '.join(parts)})"


def _describe_argument(argument: Any, program: Sequence[Call], result_names: Mapping[str, Sequence[str]]) -> str:
    if type(argument) is Ref:
        source = program[argument.call].function if 0 <= argument.call < len(program) else "an earlier call"
        steps = list(argument.path)
        returned = result_names.get(source, ())
        if steps and type(steps[0]) is int and 0 <= steps[0] < len(returned):
            named = returned[int(steps.pop(0))]
            return f"your {source}'s {named}" + "".join(f"[{step!r}]" for step in steps)
        path = "".join(f"[{step!r}]" for step in steps)
        return f"your {source}(...){path}"
    return describe_value(argument)
