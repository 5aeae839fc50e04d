"""The job interface: which backend the app uses, and how a submission id is enqueued."""

from __future__ import annotations

import threading
from typing import Protocol

from flask import Flask, current_app

_EXTENSION_KEY = "autograder.grading_queue"
_create_lock = threading.Lock()


class QueueUnavailable(Exception):
    """Raised when a submission could not be handed to the queue (the caller answers 503).

    The submission row is already committed: the sweeper still finds and grades it.
    """


class GradingQueue(Protocol):
    """A place to send submission ids for grading, in two lanes: students' own work, and regrades after it."""

    def enqueue(self, submission_id: int, regrade: bool = False) -> None:
        """Send one id (``regrade``: in the regrade lane); raise QueueUnavailable when it cannot be accepted."""
        ...

    def start(self) -> None:
        """Start whatever runs in this process (idempotent)."""
        ...

    def stop(self) -> None:
        """Stop what start() started."""
        ...


def _create(app: Flask) -> GradingQueue:
    backend = app.config.get("QUEUE_BACKEND", "embedded")
    if backend == "embedded":
        from autograder.jobs.embedded import EmbeddedQueue

        return EmbeddedQueue(app)
    if backend == "celery":
        from autograder.jobs.celery_app import CeleryQueue

        return CeleryQueue(app)
    raise ValueError(f"unknown QUEUE_BACKEND {backend!r}: use 'embedded' or 'celery'")


def grading_queue(app: Flask | None = None) -> GradingQueue:
    """Return the app's grading queue, created on first use (nothing starts at import)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    queue = app.extensions.get(_EXTENSION_KEY)
    if queue is None:
        with _create_lock:
            queue = app.extensions.get(_EXTENSION_KEY)
            if queue is None:
                queue = app.extensions[_EXTENSION_KEY] = _create(app)
    return queue


def enqueue_grading(submission_id: int, regrade: bool = False) -> None:
    """Queue a committed submission for grading; with ``regrade``, in the regrade lane (taken after the students' own work).

    Raises QueueUnavailable when the queue cannot take it (broker down, no sandbox).
    """
    grading_queue().enqueue(submission_id, regrade=regrade)
