"""The sweeper: hand stale submissions back to the queue (nothing committed is ever lost)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from flask import Flask

from autograder.services.grading import SweepResult, sweep_stale_submissions

log = logging.getLogger(__name__)


def run_sweep(send: Callable[[int], None]) -> SweepResult:
    """Sweep once (inside an app context) and send every requeued id; return what was found."""
    result = sweep_stale_submissions()
    for submission_id in result.requeued:
        send(submission_id)
    if result.requeued or result.abandoned:
        log.info("sweeper: requeued %s, gave up on %s", result.requeued, result.abandoned)
    return result


class SweeperThread:
    """Sweep every ``interval`` seconds in a daemon thread (the Celery worker runs one; no beat needed)."""

    def __init__(self, app: Flask, send: Callable[[int], None], interval: float) -> None:
        self.app, self.send, self.interval = app, send, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="grading-sweeper", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                with self.app.app_context():
                    run_sweep(self.send)
            except Exception:  # broker or database away: the next round tries again
                log.warning("sweep failed; retrying in %.0f s", self.interval, exc_info=True)
