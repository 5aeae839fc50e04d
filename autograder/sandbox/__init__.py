"""Isolation of student code. See docs/ARCHITECTURE.md and docs/SANDBOX.md.

The executors are imported on first use (they load NumPy), so that :func:`launch_executor`
can start the zygote before the caller has imported anything heavy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from autograder.sandbox.executor import (
        Executor, InsecureSandboxError, Limits, SubprocessExecutor, UnitJob, UnitOutcome,
    )
    from autograder.sandbox.launch import LaunchedZygote
    from autograder.sandbox.zygote import ZygoteError, ZygoteExecutor

__all__ = ["Executor", "InsecureSandboxError", "Limits", "SandboxOptions", "SubprocessExecutor", "UnitJob",
           "UnitOutcome", "ZygoteError", "ZygoteExecutor", "launch_executor", "open_executor"]

# The settings' names, for messages (autograder.config reads them: the sandbox reads no environment).
ALLOW_INSECURE_ENV = "AUTOGRADER_ALLOW_INSECURE_SANDBOX"
DISABLE_LAYERS_ENV = "AUTOGRADER_SANDBOX_DISABLE_LAYERS"


class SandboxOptions:
    """What the operator chose for the sandbox (built by ``autograder.config.sandbox_options``).

    ``disabled_layers``: layers switched off on purpose (namespaces, jail_root, drop_uid,
    seccomp, user_namespace: the non-root mode), to see how a deployment behaves where one is
    unavailable. ``allow_insecure``: accept reduced isolation where full isolation is required.
    ``machine_environment``: variables some CPUs need for OpenBLAS to compute correctly, passed
    on to the untrusted processes (nothing else of the caller's environment is).
    A plain class, not a dataclass: `grade` builds one before starting the zygote, and importing
    dataclasses (inspect) there would delay the zygote's start.
    """

    __slots__ = ("allow_insecure", "disabled_layers", "machine_environment")

    def __init__(self, disabled_layers: tuple[str, ...] = (), allow_insecure: bool = False,
                 machine_environment: tuple[tuple[str, str], ...] = ()) -> None:
        self.disabled_layers = tuple(disabled_layers)
        self.allow_insecure = bool(allow_insecure)
        self.machine_environment = tuple(machine_environment)

    def allowing_insecure(self, allow: bool) -> SandboxOptions:
        """The same options with ``allow_insecure`` set to ``allow``."""
        return SandboxOptions(self.disabled_layers, allow, self.machine_environment)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SandboxOptions):
            return NotImplemented
        return (self.disabled_layers, self.allow_insecure, self.machine_environment) == (
            other.disabled_layers, other.allow_insecure, other.machine_environment)

    def __hash__(self) -> int:
        return hash((self.disabled_layers, self.allow_insecure, self.machine_environment))

    def __repr__(self) -> str:
        return (f"SandboxOptions(disabled_layers={self.disabled_layers!r}, allow_insecure={self.allow_insecure!r}, "
                f"machine_environment={self.machine_environment!r})")


DEFAULT_OPTIONS = SandboxOptions()
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


def launch_executor(*, slot: int = 0, options: SandboxOptions = DEFAULT_OPTIONS) -> LaunchedZygote | None:
    """Start the zygote that ``open_executor(launched=...)`` will adopt, without waiting for it.

    Imports nothing heavy: the zygote's interpreter starts while the caller goes on with its
    own imports. Returns None when no process can be started here (open_executor then falls
    back as usual). The zygote is tied to the calling thread: call it from the main thread.
    """
    from autograder.sandbox.launch import launch_zygote

    try:
        return launch_zygote(slot=slot, disabled_layers=options.disabled_layers,
                             machine_environment=options.machine_environment)
    except OSError:
        return None


def open_executor(*, require_full_isolation: bool = False, slot: int = 0,
                  launched: LaunchedZygote | None = None, options: SandboxOptions = DEFAULT_OPTIONS) -> Executor:
    """Return the best executor this machine allows: the zygote sandbox, else a plain subprocess.

    ``slot`` distinguishes concurrent workers (each gets its own unprivileged uid).
    ``launched``: a zygote started by :func:`launch_executor` with the same ``slot`` and
    ``options``, adopted rather than starting another one.
    Returns an executor whose ``isolation`` is "full" or "reduced". Raises
    InsecureSandboxError when ``require_full_isolation`` is set, isolation is reduced and
    ``options.allow_insecure`` is not set.
    """
    from autograder.sandbox.executor import SubprocessExecutor
    from autograder.sandbox.zygote import ZygoteError, ZygoteExecutor

    executor: Executor
    problems: list[str] = []
    try:
        executor = ZygoteExecutor(slot=slot, disabled_layers=options.disabled_layers, launched=launched,
                                  machine_environment=options.machine_environment)
        problems = executor.problems
    except ZygoteError as error:
        executor = SubprocessExecutor(machine_environment=options.machine_environment)
        problems = [str(error)]
    if require_full_isolation:
        refuse_reduced_isolation(executor, problems, allow_insecure=options.allow_insecure)
    return executor


def refuse_reduced_isolation(executor: Executor, problems: list[str], *, allow_insecure: bool = False) -> None:
    """Close ``executor`` and raise InsecureSandboxError unless it is fully isolated or the operator allows less."""
    if executor.isolation != "full" and not allow_insecure:
        executor.close()
        from autograder.sandbox.executor import InsecureSandboxError

        raise InsecureSandboxError(
            "full sandbox isolation (namespaces, jail root, uid drop, seccomp) is not available here ("
            + "; ".join(problems or ["unknown reason"])
            + f"); run as root on Linux, or set {ALLOW_INSECURE_ENV}=1 to accept reduced isolation"
        )
