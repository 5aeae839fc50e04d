"""Building blocks with which an assignment's ``cases.py`` describes its test cases.

Case generators are plain functions ``def name(rng: numpy.random.Generator) -> list[...]``
named in the assignment's ``spec.toml``. Value checks return :class:`Case` objects,
gradient checks return :class:`GradCheck` objects. Expected values are never written by
hand here: the engine runs the same call program against ``reference.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograder.sandbox.codec import Probe, Ref, Rng
from autograder.sandbox.program import Call

__all__ = ["Call", "Case", "GradCheck", "Probe", "Ref", "Rng", "call"]


def call(function: str, *args: Any, select: tuple[int | str, ...] = (), send_result: bool = True, **kwargs: Any) -> Call:
    """Shorthand for ``Call(function, args, kwargs, select=...)``."""
    return Call(function=function, args=tuple(args), kwargs=kwargs, select=select, send_result=send_result)


@dataclass
class Case:
    """One scenario: a call program whose graded results are compared with the reference.

    ``graded`` lists the indices of calls whose results are compared (default: every
    call of the function the check belongs to). ``compare`` is a path into each graded
    result (``(0,)`` compares only ``next_w`` of ``(next_w, config)``; the rest is still
    returned for diagnosis). ``mutable`` names arguments that may be modified in place
    (by position as a string, ``"2"``, or keyword, ``"config"``); ``restored`` names
    arguments that may change during the call but must hold their values afterwards.
    ``label`` is a short description for students (shown for public cases only).
    """

    calls: list[Call]
    label: str = ""
    graded: tuple[int, ...] | None = None
    compare: tuple[int | str, ...] = ()
    rtol: float | None = None
    atol: float | None = None
    mutable: frozenset[str] = frozenset()
    restored: frozenset[str] = frozenset()


@dataclass
class GradCheck:
    """Check an analytic gradient from the student's code against centred differences
    of the student's OWN function (not the reference).

    ``inputs`` are the variables, by name. ``forward(values)`` builds the call that
    evaluates the student's function at (perturbed) ``values``; the objective is what
    that call sends back (use its ``select``), reduced as ``sum(weights * out)``
    when ``weights`` is given (an upstream gradient such as ``dout``), or taken as a
    scalar otherwise. ``analytic`` is the call program whose LAST result holds the
    gradients; ``gradient_paths[name]`` is where the gradient of ``inputs[name]`` sits
    in it. At most ``entries`` entries of each variable are probed.
    """

    inputs: dict[str, np.ndarray]
    forward: Callable[[dict[str, np.ndarray]], Call]
    analytic: list[Call]
    gradient_paths: dict[str, tuple[int | str, ...]]
    weights: np.ndarray | None = None
    h: float = 1e-6
    tolerance: float = 1e-5
    entries: int = 12
    label: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
