"""The embedded backend: grading threads inside the web process, for one machine and SQLite."""

from __future__ import annotations

import concurrent.futures
import itertools
import logging
import queue
import threading

from flask import Flask

from autograder.jobs.executors import configured_slot, lent_executor, open_worker_executor
from autograder.jobs.heartbeat import Heartbeat
from autograder.jobs.queue import QueueUnavailable
from autograder.jobs.similarity import embedded_indexer
from autograder.sandbox import Executor
from autograder.services.grading import SweepResult, grade_submission, sweep_stale_submissions, worker_name

log = logging.getLogger(__name__)

_STOP = -1
# Priorities: interrupted submissions first, then the students' own work in arrival order, then
# regrades (the regrade lane: a grading thread takes one only when no student's own work waits).
_FIRST, _NORMAL, _REGRADE = 0, 1, 2


class EmbeddedQueue:
    """An in-process pool: EMBEDDED_WORKERS threads, each with its own executor, and a sweeper."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.workers = max(1, int(app.config.get("EMBEDDED_WORKERS", 2)))
        self.sweep_seconds = float(app.config.get("GRADING_SWEEP_SECONDS", 2))
        self._ids: queue.PriorityQueue[tuple[int, int, int]] = queue.PriorityQueue()
        self._order = itertools.count()
        self._threads: list[threading.Thread] = []
        # The grading threads' own, once started (each closes its own), or the ones lent to them.
        self.executors: list[Executor] = []
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self.heartbeat: Heartbeat | None = None
        self.started = False

    def enqueue(self, submission_id: int, regrade: bool = False) -> None:
        # A grading thread sending its student's next submission needs no start (its pool runs), and
        # must not wait for the lock: stop() holds it while joining that very thread.
        if threading.current_thread() not in self._threads:
            try:
                self.start()
            except Exception as error:
                raise QueueUnavailable(f"the embedded grading pool cannot start: {error}") from error
        self._put(submission_id, _REGRADE if regrade else _NORMAL)

    def _put(self, submission_id: int, priority: int) -> None:
        self._ids.put((priority, next(self._order), submission_id))

    def start(self) -> None:
        """Start the grading threads once each has opened its executor; raise if the sandbox is refused."""
        with self._lock:
            if self.started:
                return
            self._stopping.clear()
            names = [worker_name(f"embedded-{index}") for index in range(self.workers)]
            opened: list[concurrent.futures.Future[Executor]] = [concurrent.futures.Future() for _ in names]
            # Each thread opens its own executor, in parallel (each starts an interpreter importing
            # NumPy): the kernel kills a zygote when the thread that started it ends, so a zygote
            # opened by a short-lived helper thread would die under the first submission.
            graders = [
                threading.Thread(target=self._work, args=(name, index, future), name=f"grader-{index}", daemon=True)
                for index, (name, future) in enumerate(zip(names, opened))
            ]
            for thread in graders:
                thread.start()
            failures = [future.exception() for future in opened]
            if any(failures):
                for _ in range(failures.count(None)):
                    self._put(_STOP, -1)
                for thread in graders:
                    thread.join()
                raise next(failure for failure in failures if failure is not None)
            self.executors = [future.result() for future in opened]
            self.heartbeat = Heartbeat(self.app, names, "embedded")
            sweeper = threading.Thread(target=self._sweep_periodically, name="grading-sweeper", daemon=True)
            self._threads = [*graders, sweeper]
            self.heartbeat.start()
            sweeper.start()
            if self.app.config.get("SIMILARITY_AFTER_GRADING", True):
                # Low priority: it indexes once the grading queue is empty (jobs/similarity.py).
                embedded_indexer(self.app).start(grading_busy=lambda: self._ids.unfinished_tasks > 0)
            self.started = True

    def stop(self) -> None:
        """Let the threads finish their current submission and close their executors.

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
                thread.join()  # each grading thread closes its own executor on its way out
            if self.heartbeat is not None:
                self.heartbeat.stop()
            self._threads, self.executors = [], []
            self.started = False

    def alive(self) -> bool:
        """True while every grading thread runs."""
        return self.started and all(thread.is_alive() for thread in self._threads)

    def join(self) -> None:
        """Block until every enqueued id has been processed."""
        self._ids.join()

    def _work(self, worker: str, index: int, opened: concurrent.futures.Future[Executor]) -> None:
        try:
            lent = lent_executor(self.app, index)
            executor = lent if lent is not None else open_worker_executor(self.app, configured_slot(self.app, index))
        except BaseException as error:
            opened.set_exception(error)
            return
        opened.set_result(executor)
        try:
            while True:
                _, _, submission_id = self._ids.get()
                try:
                    # Once stop() has begun, an id taken here stays queued in the database: the
                    # next start sends it again (a thread grading on would keep stop() waiting).
                    if submission_id == _STOP or self._stopping.is_set():
                        return
                    with self.app.app_context():
                        grade_submission(submission_id, executor=executor, worker=worker)
                except Exception:  # the row stays queued/running; the sweeper hands it out again
                    log.exception("embedded worker %s could not grade submission %s", worker, submission_id)
                finally:
                    self._ids.task_done()
        finally:
            if lent is None:  # a lent executor is its owner's to close
                executor.close()

    def _sweep_periodically(self) -> None:
        # The first sweep sends everything queued: this process's queue starts empty.
        fresh = True
        while True:
            try:
                with self.app.app_context():
                    result = sweep_stale_submissions(fresh_queue=fresh)
                # In the order of their priorities, so an idle grading thread takes the right one first.
                for priority, submission_id in sorted((_priority(result, submission_id), submission_id)
                                                      for submission_id in result.requeued):
                    self._put(submission_id, priority)
                if result.requeued or result.abandoned:
                    log.info("sweeper: requeued %s, gave up on %s", result.requeued, result.abandoned)
                fresh = False
            except Exception:
                log.exception("the grading sweeper failed; trying again in %.0f s", self.sweep_seconds)
            if self._stopping.wait(self.sweep_seconds):
                return


def _priority(result: SweepResult, submission_id: int) -> int:
    if result.is_regrade(submission_id):
        return _REGRADE
    return _FIRST if submission_id in result.urgent else _NORMAL
