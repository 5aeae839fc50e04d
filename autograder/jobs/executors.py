"""Sandbox executors owned by worker threads: opened once on a slot of their own, reused, closed at shutdown."""

from __future__ import annotations

import threading

from flask import Flask, current_app

from autograder.jobs.slots import SlotLock, acquire_slot, runtime_dir
from autograder.sandbox import ALLOW_INSECURE_ENV, Executor, SandboxOptions, open_executor
from autograder.sandbox.executor import FollowUp, InsecureSandboxError, UnitJob, UnitOutcome, run_then

_local = threading.local()


class SlotExecutor:
    """An executor on a sandbox slot this process holds the lock of; closing it frees the slot."""

    def __init__(self, inner: Executor, lock: SlotLock) -> None:
        self.inner, self.lock = inner, lock

    @property
    def slot(self) -> int:
        return self.lock.slot

    @property
    def isolation(self) -> str:
        return self.inner.isolation

    def run(self, job: UnitJob) -> UnitOutcome:
        return self.inner.run(job)

    def run_then(self, job: UnitJob, follow: FollowUp) -> tuple[UnitOutcome, UnitOutcome | None]:
        return run_then(self.inner, job, follow)

    def close(self) -> None:
        try:
            self.inner.close()
        finally:
            self.lock.release()


def open_worker_executor(app: Flask, slot: int | None = None) -> SlotExecutor:
    """Open an executor on a free sandbox slot (or exactly ``slot``); raise unless fully isolated.

    Raises SlotClash when ``slot`` is held by another process of this machine (or none is free),
    InsecureSandboxError when isolation is reduced and the operator did not allow it.
    """
    lock = acquire_slot(runtime_dir(app.config.get("SANDBOX_RUNTIME_DIR") or None), slot,
                        int(app.config.get("SANDBOX_SLOTS", 64)))
    try:
        options = (app.config.get("SANDBOX_OPTIONS") or SandboxOptions()).allowing_insecure(
            bool(app.config.get("ALLOW_INSECURE_SANDBOX", False)))
        inner = open_executor(require_full_isolation=True, slot=lock.slot, options=options)
    except BaseException:
        lock.release()
        raise
    return SlotExecutor(inner, lock)


def lent_executor(app: Flask, index: int) -> Executor | None:
    """Return the executor lent to embedded grading thread ``index`` (EMBEDDED_LENT_EXECUTORS), or None.

    A program that builds many apps in turn in one process (the test suite builds one per test)
    may open its executors once and lend them: each app's grading threads run units on them and
    never close them. Nothing of the trust boundary moves: a zygote holds no job (each unit is a
    fresh child forked from it, its bytes sent straight to that child), so a zygote serving the
    submissions of several apps in turn is what one worker serving many submissions already is.
    Its owner opens it on a thread that outlives the apps (the kernel kills a zygote when the
    thread that started it ends) and closes it. Raises InsecureSandboxError, as
    :func:`open_worker_executor` does, when it is not fully isolated and the app does not allow less.
    """
    lent = app.config.get("EMBEDDED_LENT_EXECUTORS") or ()
    if index >= len(lent):
        return None
    executor: Executor = lent[index]
    if executor.isolation != "full" and not app.config.get("ALLOW_INSECURE_SANDBOX", False):
        raise InsecureSandboxError(f"the lent sandbox executor is not fully isolated; set {ALLOW_INSECURE_ENV}=1 "
                                   "to accept reduced isolation")
    return executor


def configured_slot(app: Flask, offset: int = 0) -> int | None:
    """Return the slot the operator forced (AUTOGRADER_SANDBOX_SLOT + ``offset``), or None to take a free one."""
    base = app.config.get("SANDBOX_SLOT")
    return None if base is None else int(base) + offset


def thread_executor(slot: int | None = None) -> Executor:
    """Return this thread's executor, opening it on first use (a free slot unless one is forced)."""
    executor = getattr(_local, "executor", None)
    if executor is None:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        executor = _local.executor = open_worker_executor(app, slot)
    return executor


def close_thread_executor() -> None:
    """Close this thread's executor, if it has one."""
    executor = getattr(_local, "executor", None)
    if executor is not None:
        _local.executor = None
        executor.close()
