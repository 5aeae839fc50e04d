"""The embedded backend: grading threads inside the web process, for one machine and SQLite."""

from __future__ import annotations

import concurrent.futures
import itertools
import logging
import queue
import threading

from flask import Flask

from autograder.jobs.executors import configured_slot, open_worker_executor
from autograder.jobs.heartbeat import Heartbeat
from autograder.jobs.queue import QueueUnavailable
from autograder.jobs.similarity import embedded_indexer
from autograder.sandbox import Executor
from autograder.services.grading import grade_submission, sweep_stale_submissions, worker_name

log = logging.getLogger(__name__)

_STOP = -1
_FIRST, _NORMAL = 0, 1  # priorities: interrupted submissions first, then arrival order


class EmbeddedQueue:
    """An in-process pool: EMBEDDED_WORKERS threads, each with its own executor, and a sweeper."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.workers = max(1, int(app.config.get("EMBEDDED_WORKERS", 2)))
        self.sweep_seconds = float(app.config.get("GRADING_SWEEP_SECONDS", 2))
        self._ids: queue.PriorityQueue[tuple[int, int, int]] = queue.PriorityQueue()
        self._order = itertools.count()
        self._threads: list[threading.Thread] = []
        self._executors: list[Executor] = []
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self.heartbeat: Heartbeat | None = None
        self.started = False

    def enqueue(self, submission_id: int, first: bool = False) -> None:
        try:
            self.start()
        except Exception as error:
            raise QueueUnavailable(f"the embedded grading pool cannot start: {error}") from error
        self._put(submission_id, _FIRST if first else _NORMAL)

    def _put(self, submission_id: int, priority: int) -> None:
        self._ids.put((priority, next(self._order), submission_id))

    def start(self) -> None:
        """Open one executor per thread (raises if the sandbox is refused), then start the threads."""
        with self._lock:
            if self.started:
                return
            executors = self._open_executors()
            self._executors = executors
            self._stopping.clear()
            names = [worker_name(f"embedded-{index}") for index in range(self.workers)]
            self.heartbeat = Heartbeat(self.app, names, "embedded")
            self._threads = [
                threading.Thread(target=self._work, args=(name, executor), name=f"grader-{index}", daemon=True)
                for index, (name, executor) in enumerate(zip(names, executors))
            ]
            self._threads.append(threading.Thread(target=self._sweep_periodically, name="grading-sweeper",
                                                  daemon=True))
            self.heartbeat.start()
            for thread in self._threads:
                thread.start()
            if self.app.config.get("SIMILARITY_AFTER_GRADING", True):
                # Low priority: it indexes once the grading queue is empty (jobs/similarity.py).
                embedded_indexer(self.app).start(grading_busy=lambda: self._ids.unfinished_tasks > 0)
            self.started = True

    def _open_executors(self) -> list[Executor]:
        # In parallel: each starts an interpreter importing NumPy, which is most of a restart's time.
        with concurrent.futures.ThreadPoolExecutor(self.workers) as pool:
            futures = [pool.submit(open_worker_executor, self.app, configured_slot(self.app, index))
                       for index in range(self.workers)]
        opened = [future.result() for future in futures if future.exception() is None]
        failures = [future.exception() for future in futures if future.exception() is not None]
        if failures:
            for executor in opened:
                executor.close()
            raise failures[0]  # type: ignore[misc]
        return opened

    def stop(self) -> None:
        """Let the threads finish their current submission, then close the executors.

        What is still queued stays queued in the database: the next start sends it again.
        """
        with self._lock:
            if not self.started:
                return
            self._stopping.set()
            embedded_indexer(self.app).stop()
            for _ in range(self.workers):
                self._put(_STOP, -1)
            for thread in self._threads:
                thread.join()
            for executor in self._executors:
                executor.close()
            if self.heartbeat is not None:
                self.heartbeat.stop()
            self._threads, self._executors = [], []
            self.started = False

    def alive(self) -> bool:
        """True while every grading thread runs."""
        return self.started and all(thread.is_alive() for thread in self._threads)

    def join(self) -> None:
        """Block until every enqueued id has been processed."""
        self._ids.join()

    def _work(self, worker: str, executor: Executor) -> None:
        while True:
            _, _, submission_id = self._ids.get()
            try:
                if submission_id == _STOP:
                    return
                with self.app.app_context():
                    grade_submission(submission_id, executor=executor, worker=worker,
                                     stopping=self._stopping.is_set)
            except Exception:  # the row stays queued/running; the sweeper hands it out again
                log.exception("embedded worker %s could not grade submission %s", worker, submission_id)
            finally:
                self._ids.task_done()

    def _sweep_periodically(self) -> None:
        # The first sweep sends everything queued: this process's queue starts empty.
        fresh = True
        while True:
            try:
                with self.app.app_context():
                    result = sweep_stale_submissions(fresh_queue=fresh)
                for submission_id in result.requeued:
                    self._put(submission_id, _FIRST if submission_id in result.urgent else _NORMAL)
                if result.requeued or result.abandoned:
                    log.info("sweeper: requeued %s, gave up on %s", result.requeued, result.abandoned)
                fresh = False
            except Exception:
                log.exception("the grading sweeper failed; trying again in %.0f s", self.sweep_seconds)
            if self._stopping.wait(self.sweep_seconds):
                return
