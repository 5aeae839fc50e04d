"""Sandbox executors owned by worker threads: opened once, reused, closed at shutdown."""

from __future__ import annotations

import threading

from flask import Flask, current_app

from autograder.sandbox import Executor, open_executor

_local = threading.local()


def open_worker_executor(app: Flask, slot: int) -> Executor:
    """Open an executor for a worker; raise unless fully isolated or the operator allowed less."""
    return open_executor(require_full_isolation=not app.config.get("ALLOW_INSECURE_SANDBOX", False), slot=slot)


def thread_executor(slot: int | None = None) -> Executor:
    """Return this thread's executor, opening it on first use (slot from the app's config)."""
    executor = getattr(_local, "executor", None)
    if executor is None:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        executor = _local.executor = open_worker_executor(
            app, slot if slot is not None else int(app.config.get("SANDBOX_SLOT", 0))
        )
    return executor


def close_thread_executor() -> None:
    """Close this thread's executor, if it has one."""
    executor = getattr(_local, "executor", None)
    if executor is not None:
        _local.executor = None
        executor.close()
