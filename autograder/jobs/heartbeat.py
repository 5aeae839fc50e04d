"""A thread that writes the heartbeats of a process's grading workers every few seconds."""

from __future__ import annotations

import logging
import threading

from flask import Flask

from autograder.services import workers

log = logging.getLogger(__name__)

FIRST_BEAT_WAIT_SECONDS = 1.0


class Heartbeat:
    """Beat for ``names`` every AUTOGRADER_HEARTBEAT_SECONDS until stopped (then the rows are removed)."""

    def __init__(self, app: Flask, names: list[str], kind: str) -> None:
        self.app, self.names, self.kind = app, list(names), kind
        self.interval = float(app.config.get("WORKER_HEARTBEAT_SECONDS", 3))
        self._stop = threading.Event()
        self._first = threading.Event()
        self._thread = threading.Thread(target=self._run, name="worker-heartbeat", daemon=True)

    def start(self) -> None:
        """Start beating; wait (a second at most) for the first beat, so the workers count as live
        as soon as they can take work, while a database that hangs does not hold up the start."""
        self._thread.start()
        self._first.wait(FIRST_BEAT_WAIT_SECONDS)

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        try:
            with self.app.app_context():
                workers.forget(self.names)
        except Exception:
            log.warning("could not remove the heartbeats of %s", self.names, exc_info=True)

    def _beat(self) -> None:
        try:
            with self.app.app_context():
                workers.beat(self.names, self.kind)
        except Exception:  # the database may be away for a moment: /readyz will say so
            log.warning("heartbeat of %s failed", self.names, exc_info=True)

    def _run(self) -> None:
        self._beat()
        self._first.set()
        while not self._stop.wait(self.interval):
            self._beat()
