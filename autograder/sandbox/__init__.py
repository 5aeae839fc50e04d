"""Isolation of student code. See docs/ARCHITECTURE.md and docs/SANDBOX.md."""

from __future__ import annotations

import os

from autograder.sandbox.executor import (
    Executor, InsecureSandboxError, Limits, SubprocessExecutor, UnitJob, UnitOutcome,
)
from autograder.sandbox.zygote import ZygoteError, ZygoteExecutor

__all__ = ["Executor", "InsecureSandboxError", "Limits", "UnitJob", "UnitOutcome", "open_executor"]

ALLOW_INSECURE_ENV = "AUTOGRADER_ALLOW_INSECURE_SANDBOX"
# Operators may switch layers off (comma-separated: namespaces, jail_root, drop_uid, seccomp,
# user_namespace: the non-root mode), e.g. to see how a deployment behaves where one is unavailable.
DISABLE_LAYERS_ENV = "AUTOGRADER_SANDBOX_DISABLE_LAYERS"


def open_executor(*, require_full_isolation: bool = False, slot: int = 0) -> Executor:
    """Return the best executor this machine allows: the zygote sandbox, else a plain subprocess.

    ``slot`` distinguishes concurrent workers (each gets its own unprivileged uid).
    Returns an executor whose ``isolation`` is "full" or "reduced". Raises
    InsecureSandboxError when ``require_full_isolation`` is set, isolation is reduced and
    env AUTOGRADER_ALLOW_INSECURE_SANDBOX is not "1".
    """
    executor: Executor
    problems: list[str] = []
    try:
        disabled = tuple(name.strip() for name in os.environ.get(DISABLE_LAYERS_ENV, "").split(",") if name.strip())
        executor = ZygoteExecutor(slot=slot, disabled_layers=disabled)
        problems = executor.problems
    except ZygoteError as error:
        executor = SubprocessExecutor()
        problems = [str(error)]
    if require_full_isolation:
        refuse_reduced_isolation(executor, problems)
    return executor


def refuse_reduced_isolation(executor: Executor, problems: list[str]) -> None:
    """Close ``executor`` and raise InsecureSandboxError unless it is fully isolated or the operator allows less."""
    if executor.isolation != "full" and os.environ.get(ALLOW_INSECURE_ENV) != "1":
        executor.close()
        raise InsecureSandboxError(
            "full sandbox isolation (namespaces, jail root, uid drop, seccomp) is not available here ("
            + "; ".join(problems or ["unknown reason"])
            + f"); run as root on Linux, or set {ALLOW_INSECURE_ENV}=1 to accept reduced isolation"
        )
