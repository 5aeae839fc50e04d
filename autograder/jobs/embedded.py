"""The embedded backend: grading threads inside the web process, for one machine and SQLite."""

from __future__ import annotations

import logging
import queue
import threading

from flask import Flask

from autograder.jobs.executors import open_worker_executor
from autograder.jobs.queue import QueueUnavailable
from autograder.jobs.sweeper import run_sweep
from autograder.sandbox import Executor
from autograder.services.grading import default_worker_name, grade_submission

log = logging.getLogger(__name__)

_STOP = -1


class EmbeddedQueue:
    """An in-process pool: EMBEDDED_WORKERS threads, each with its own executor, and a sweeper."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.workers = max(1, int(app.config.get("EMBEDDED_WORKERS", 2)))
        self.sweep_seconds = float(app.config.get("GRADING_SWEEP_SECONDS", 30))
        self._ids: queue.Queue[int] = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._executors: list[Executor] = []
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self.started = False

    def enqueue(self, submission_id: int) -> None:
        try:
            self.start()
        except Exception as error:
            raise QueueUnavailable(f"the embedded grading pool cannot start: {error}") from error
        self._ids.put(submission_id)

    def start(self) -> None:
        """Open one executor per thread (raises if the sandbox is refused), then start the threads."""
        with self._lock:
            if self.started:
                return
            executors: list[Executor] = []
            try:
                for slot in range(self.workers):
                    executors.append(open_worker_executor(self.app, slot))
            except Exception:
                for executor in executors:
                    executor.close()
                raise
            self._executors = executors
            self._stopping.clear()
            self._threads = [
                threading.Thread(target=self._work, args=(slot, executor), name=f"grader-{slot}", daemon=True)
                for slot, executor in enumerate(executors)
            ]
            self._threads.append(threading.Thread(target=self._sweep_periodically, name="grading-sweeper",
                                                  daemon=True))
            for thread in self._threads:
                thread.start()
            self.started = True

    def stop(self) -> None:
        """Let the threads finish their current submission, then close the executors."""
        with self._lock:
            if not self.started:
                return
            self._stopping.set()
            for _ in range(self.workers):
                self._ids.put(_STOP)
            for thread in self._threads:
                thread.join()
            for executor in self._executors:
                executor.close()
            self._threads, self._executors = [], []
            self.started = False

    def join(self) -> None:
        """Block until every enqueued id has been processed."""
        self._ids.join()

    def _work(self, slot: int, executor: Executor) -> None:
        worker = f"{default_worker_name()}:embedded-{slot}"
        while True:
            submission_id = self._ids.get()
            try:
                if submission_id == _STOP:
                    return
                with self.app.app_context():
                    grade_submission(submission_id, executor=executor, worker=worker)
            except Exception:  # the row stays queued/running; the sweeper hands it out again
                log.exception("embedded worker %s could not grade submission %s", slot, submission_id)
            finally:
                self._ids.task_done()

    def _sweep_periodically(self) -> None:
        while True:
            try:
                with self.app.app_context():
                    run_sweep(self._ids.put)
            except Exception:
                log.exception("the grading sweeper failed; trying again in %.0f s", self.sweep_seconds)
            if self._stopping.wait(self.sweep_seconds):
                return
