"""A daemon thread that does one job every few seconds inside an app context (the Celery worker's sweeps)."""

from __future__ import annotations

import logging
import threading

from flask import Flask

log = logging.getLogger(__name__)


class PeriodicThread:
    """Call :meth:`work` every ``interval`` seconds (the first time after ``first_delay``) until stopped.

    A failure (the database or the broker away) is logged and the next round tries again.
    """

    first_delay: float | None = None  # None: one interval

    def __init__(self, app: Flask, interval: float, name: str) -> None:
        self.app, self.interval, self.name = app, interval, name
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def work(self) -> None:
        raise NotImplementedError

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        delay = self.interval if self.first_delay is None else self.first_delay
        while not self._stop.wait(delay):
            delay = self.interval
            try:
                with self.app.app_context():
                    self.work()
            except Exception:  # noqa: BLE001  (the next round tries again)
                log.warning("%s failed; retrying in %.0f s", self.name, self.interval, exc_info=True)
