"""Known-wrong variants of reference functions ("named mistakes").

Each assignment may have a ``mistakes.py`` defining ``MISTAKES: list[Mistake]`` and the
variant functions they name. The file is executed in a namespace that already holds the
reference module's globals, so a variant may call reference helpers directly.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mistake:
    """A classic error in one function: a short name, a hint, and its implementation."""

    function: str  # the contract's function name, e.g. "mse"
    name: str  # short, e.g. "sum instead of mean"
    hint: str  # one or two sentences telling the student what to fix
    implementation: str  # name of the variant function defined in mistakes.py
