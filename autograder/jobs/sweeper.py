"""The sweeper: hand stale submissions back to the queue (nothing committed is ever lost)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask

from autograder.jobs.periodic import PeriodicThread
from autograder.services.grading import SweepResult, sweep_stale_submissions

log = logging.getLogger(__name__)


def run_sweep(send: Callable[..., None]) -> SweepResult:
    """Sweep once (inside an app context) and send every requeued id, each to its lane; return what was found.

    ``send(submission_id, regrade=...)``: a queue's ``enqueue``.
    """
    result = sweep_stale_submissions()
    for submission_id in result.requeued:
        send(submission_id, regrade=result.is_regrade(submission_id))
    if result.requeued or result.abandoned:
        log.info("sweeper: requeued %s, gave up on %s", result.requeued, result.abandoned)
    return result


class SweeperThread(PeriodicThread):
    """Sweep every ``interval`` seconds in a daemon thread (the Celery worker runs one; no beat needed)."""

    def __init__(self, app: Flask, send: Callable[..., None], interval: float) -> None:
        super().__init__(app, interval, "grading-sweeper")
        self.send = send

    def work(self) -> None:
        run_sweep(self.send)
