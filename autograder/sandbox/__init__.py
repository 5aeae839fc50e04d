"""Isolation of student code. See docs/ARCHITECTURE.md and docs/SANDBOX.md.

The executors are imported on first use (they load NumPy), so that :func:`launch_executor`
can start the zygote before the caller has imported anything heavy.
"""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from autograder.sandbox.executor import (
        Executor, InsecureSandboxError, Limits, SubprocessExecutor, UnitJob, UnitOutcome,
    )
    from autograder.sandbox.launch import LaunchedZygote
    from autograder.sandbox.zygote import ZygoteError, ZygoteExecutor

__all__ = ["Executor", "InsecureSandboxError", "Limits", "SubprocessExecutor", "UnitJob", "UnitOutcome",
           "ZygoteError", "ZygoteExecutor", "launch_executor", "open_executor"]

ALLOW_INSECURE_ENV = "AUTOGRADER_ALLOW_INSECURE_SANDBOX"
# Operators may switch layers off (comma-separated: namespaces, jail_root, drop_uid, seccomp,
# user_namespace: the non-root mode), e.g. to see how a deployment behaves where one is unavailable.
DISABLE_LAYERS_ENV = "AUTOGRADER_SANDBOX_DISABLE_LAYERS"
_LAZY = {
    "Executor": "executor", "InsecureSandboxError": "executor", "Limits": "executor",
    "SubprocessExecutor": "executor", "UnitJob": "executor", "UnitOutcome": "executor",
    "ZygoteError": "zygote", "ZygoteExecutor": "zygote",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def launch_executor(*, slot: int = 0) -> LaunchedZygote | None:
    """Start the zygote that ``open_executor(launched=...)`` will adopt, without waiting for it.

    Imports nothing heavy: the zygote's interpreter starts while the caller goes on with its
    own imports. Returns None when no process can be started here (open_executor then falls
    back as usual). The zygote is tied to the calling thread: call it from the main thread.
    """
    from autograder.sandbox.launch import launch_zygote

    try:
        return launch_zygote(slot=slot, disabled_layers=_disabled_layers())
    except OSError:
        return None


def open_executor(*, require_full_isolation: bool = False, slot: int = 0,
                  launched: LaunchedZygote | None = None) -> Executor:
    """Return the best executor this machine allows: the zygote sandbox, else a plain subprocess.

    ``slot`` distinguishes concurrent workers (each gets its own unprivileged uid).
    ``launched``: a zygote started by :func:`launch_executor` with the same ``slot``, adopted
    rather than starting another one.
    Returns an executor whose ``isolation`` is "full" or "reduced". Raises
    InsecureSandboxError when ``require_full_isolation`` is set, isolation is reduced and
    env AUTOGRADER_ALLOW_INSECURE_SANDBOX is not "1".
    """
    from autograder.sandbox.executor import SubprocessExecutor
    from autograder.sandbox.zygote import ZygoteError, ZygoteExecutor

    executor: Executor
    problems: list[str] = []
    try:
        executor = ZygoteExecutor(slot=slot, disabled_layers=_disabled_layers(), launched=launched)
        problems = executor.problems
    except ZygoteError as error:
        executor = SubprocessExecutor()
        problems = [str(error)]
    if require_full_isolation:
        refuse_reduced_isolation(executor, problems)
    return executor


def _disabled_layers() -> tuple[str, ...]:
    return tuple(name.strip() for name in os.environ.get(DISABLE_LAYERS_ENV, "").split(",") if name.strip())


def refuse_reduced_isolation(executor: Executor, problems: list[str]) -> None:
    """Close ``executor`` and raise InsecureSandboxError unless it is fully isolated or the operator allows less."""
    if executor.isolation != "full" and os.environ.get(ALLOW_INSECURE_ENV) != "1":
        executor.close()
        from autograder.sandbox.executor import InsecureSandboxError

        raise InsecureSandboxError(
            "full sandbox isolation (namespaces, jail root, uid drop, seccomp) is not available here ("
            + "; ".join(problems or ["unknown reason"])
            + f"); run as root on Linux, or set {ALLOW_INSECURE_ENV}=1 to accept reduced isolation"
        )
