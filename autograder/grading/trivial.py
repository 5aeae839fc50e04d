"""Trivial implementations of a contract's functions: none of them may earn a point.

Trusted side only. Each kind builds, from the reference function it stands in for, a function
that does no work (returns None, a constant, zeros shaped like the reference's result, its first
argument, ...). The self-check grades each one in place of one function, the others being the
reference, so a check that a do-nothing file passes is found before students find it.
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

STARTER = "the starter"


@dataclass(frozen=True)
class TrivialKind:
    """One way of not implementing a function."""

    name: str
    # make(reference function, starter function or None) -> the trivial function, or None if it does not apply.
    make: Callable[[Callable[..., Any], Callable[..., Any] | None], Callable[..., Any] | None]


def _filled(value: Any, fill: float) -> Any:
    """``value`` with every number replaced by ``fill``, its structure, shapes and dtypes kept."""
    if isinstance(value, np.ndarray):
        return np.full_like(value, fill) if value.dtype.kind in "iufb" else value
    if isinstance(value, (bool, np.bool_)):
        return value
    if isinstance(value, (int, float, np.number)):
        return type(value)(fill)  # type: ignore[arg-type]
    if isinstance(value, dict):
        return {key: _filled(item, fill) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_filled(item, fill) for item in value)
    if isinstance(value, (types.GeneratorType, Iterator)):
        return (_filled(item, fill) for item in value)
    return value


def _shaped_like_reference(fill: float) -> Callable[..., Any]:
    def make(reference: Callable[..., Any], starter: Callable[..., Any] | None) -> Callable[..., Any]:
        def trivial(*args: Any, **kwargs: Any) -> Any:
            return _filled(reference(*args, **kwargs), fill)
        return trivial
    return make


def _constant(value: Any) -> Callable[..., Any]:
    def make(reference: Callable[..., Any], starter: Callable[..., Any] | None) -> Callable[..., Any]:
        return lambda *args, **kwargs: value
    return make


def _first_argument(reference: Callable[..., Any], starter: Callable[..., Any] | None) -> Callable[..., Any]:
    first = next(iter(inspect.signature(reference).parameters))

    def trivial(*args: Any, **kwargs: Any) -> Any:
        return args[0] if args else kwargs.get(first)
    return trivial


def _weights_and_config(reference: Callable[..., Any], starter: Callable[..., Any] | None) -> Callable[..., Any] | None:
    """``return w, config`` for an optimizer-shaped function (one with a ``config`` parameter)."""
    signature = inspect.signature(reference)
    if "config" not in signature.parameters:
        return None

    def trivial(*args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        values = list(bound.arguments.values())
        return values[0], bound.arguments["config"]
    return trivial


def _empty_generator(reference: Callable[..., Any], starter: Callable[..., Any] | None) -> Callable[..., Any]:
    def trivial(*args: Any, **kwargs: Any) -> Any:
        yield from ()
    return trivial


def _starter(reference: Callable[..., Any], starter: Callable[..., Any] | None) -> Callable[..., Any] | None:
    return starter


TRIVIAL_KINDS: tuple[TrivialKind, ...] = (
    TrivialKind(STARTER, _starter),
    TrivialKind("returns None", _constant(None)),
    TrivialKind("returns 0.0", _constant(0.0)),
    TrivialKind("returns 1.0", _constant(1.0)),
    TrivialKind("returns zeros shaped like the expected result", _shaped_like_reference(0.0)),
    TrivialKind("returns ones shaped like the expected result", _shaped_like_reference(1.0)),
    TrivialKind("returns its first argument unchanged", _first_argument),
    TrivialKind("returns (w, config) unchanged", _weights_and_config),
    TrivialKind("is an empty generator", _empty_generator),
)


def trivial_functions(reference: Callable[..., Any], starter: Callable[..., Any] | None) -> list[tuple[str, Callable[..., Any]]]:
    """Return (kind name, trivial function) for every kind that applies to ``reference``."""
    made = []
    for kind in TRIVIAL_KINDS:
        function = kind.make(reference, starter)
        if function is not None:
            made.append((kind.name, function))
    return made


# Source texts of whole files that do nothing, for grading through the sandbox: every contract
# function gets the same body. ``{first}`` is the function's first parameter.
TRIVIAL_BODIES: dict[str, str] = {
    "returns None": "return None",
    "returns 0.0": "return 0.0",
    "returns 1.0": "return 1.0",
    "returns zeros like its first argument": "return np.zeros_like({first}, dtype=float)",
    "returns its first argument unchanged": "return {first}",
    "returns (first argument, config) unchanged": "return {first}, config",
    "is an empty generator": "yield from ()",
}


def trivial_source(functions: dict[str, Callable[..., Any]], body: str) -> str:
    """Return a student file defining each of ``functions`` (name -> reference function) with ``body``.

    Each function keeps the reference's signature. A ``body`` using ``config`` applies only to
    functions with a ``config`` parameter; the others return None.
    """
    lines = ["import numpy as np", ""]
    for name, reference in functions.items():
        signature = inspect.signature(reference)
        parameters = list(signature.parameters)
        text = body if "config" not in body or "config" in parameters else "return None"
        first = parameters[0] if parameters else "None"
        lines += [f"def {name}{signature}:", f"    {text.format(first=first)}", ""]
    return "\n".join(lines)
