"""Isolation of student code. See docs/ARCHITECTURE.md for the boundary it enforces."""

from __future__ import annotations

from autograder.sandbox.executor import Executor, Limits, SubprocessExecutor, UnitJob, UnitOutcome

__all__ = ["Executor", "Limits", "UnitJob", "UnitOutcome", "open_executor"]


def open_executor(*, require_full_isolation: bool = False, slot: int = 0) -> Executor:
    """Return the best executor this machine allows.

    ``slot`` distinguishes concurrent workers (each gets its own unprivileged uid).
    With ``require_full_isolation`` an executor without every isolation layer is refused.
    """
    # The hardened zygote sandbox replaces this naive fallback (issue: sandbox).
    if require_full_isolation:
        raise RuntimeError("full isolation is not available: only the naive subprocess executor exists")
    return SubprocessExecutor()
