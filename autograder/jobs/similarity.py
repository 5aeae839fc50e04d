"""Similarity indexing off the grading path: low-priority batches after grading, and a sweep for what was missed.

After storing a grade the worker only asks for indexing (``request_indexing``: a set entry in
the embedded mode, one task on the low-priority similarity queue in the Celery mode) and goes
on to the next submission. A batch (``services.similarity.index_pending``) then indexes up to
BACKGROUND_BATCH_SIZE graded submissions of that course assignment not indexed yet, under one
lock and one commit, and asks for the next batch after it, so that grading waiting meanwhile goes first.
A request lost to a crash between the grade and the request, or a batch that failed, is found
by the sweep (``pending_course_assignments``) within AUTOGRADER_SIMILARITY_SWEEP_SECONDS. With
AUTOGRADER_SIMILARITY_AFTER_GRADING off nothing runs here: the pages and the command index
what is pending when asked.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app

from autograder.jobs.periodic import PeriodicThread

log = logging.getLogger(__name__)

SIMILARITY_TASK = "autograder.index_similarity"
_INDEXER_KEY = "autograder.similarity_indexer"
# While grading is under way the embedded indexer waits, but not longer than this: a steady
# stream of submissions must not leave similarity stale forever.
LONGEST_DEFERRAL_SECONDS = 30.0


def similarity_queue_name(grading_queue: str) -> str:
    """The Celery queue of indexing tasks: consumed by the grading workers only when no grading waits."""
    return f"{grading_queue}-similarity"


def request_indexing(course_assignment_id: int, app: Flask | None = None) -> None:
    """Ask for the assignment's newly graded submissions to be indexed soon; returns at once, never raises.

    Nothing is asked when automatic indexing is off (AUTOGRADER_SIMILARITY_AFTER_GRADING).
    """
    try:
        app = app or current_app._get_current_object()  # type: ignore[attr-defined]
        if not app.config.get("SIMILARITY_AFTER_GRADING", True):
            return
        if app.config.get("QUEUE_BACKEND", "embedded") == "celery":
            _request_from_celery(app, course_assignment_id)
        else:
            embedded_indexer(app).request(course_assignment_id)
    except Exception:  # noqa: BLE001  (the grade is stored; the sweep finds what this missed)
        log.warning(
            "could not request similarity indexing of course assignment %s", course_assignment_id, exc_info=True
        )


# --- the embedded mode: one low-priority thread in the web process ---------------------------------------


def embedded_indexer(app: Flask) -> EmbeddedIndexer:
    """Return the app's embedded indexer (created on first use; its thread starts with the grading pool)."""
    indexer = app.extensions.get(_INDEXER_KEY)
    if indexer is None:
        indexer = app.extensions.setdefault(_INDEXER_KEY, EmbeddedIndexer(app))
    return indexer


class EmbeddedIndexer:
    """Index requested course assignments in a background thread, after the grading queue drains.

    Requests made while the thread is not running are kept (and the sweep at its start finds
    the rest), so the grading call never waits for it and never starts it.
    """

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.sweep_seconds = float(app.config.get("SIMILARITY_SWEEP_SECONDS", 30.0))
        self._requested: set[int] = set()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._grading_busy: Callable[[], bool] = lambda: False
        self.batches = 0  # batches run, for tests and logs

    def request(self, course_assignment_id: int) -> None:
        with self._lock:
            self._requested.add(course_assignment_id)
        self._wake.set()

    def start(self, grading_busy: Callable[[], bool] | None = None) -> None:
        """Start the thread (idempotent); ``grading_busy`` says when to hold back."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._grading_busy = grading_busy or (lambda: False)
            self._stopping.clear()
            self._thread = threading.Thread(target=self._run, name="similarity-indexer", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop after the current batch (a batch is one transaction: nothing is left half-written)."""
        self._stopping.set()
        self._wake.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join()

    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _take(self) -> list[int]:
        with self._lock:
            taken, self._requested = sorted(self._requested), set()
            self._wake.clear()
        return taken

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self._serve()
            except Exception:  # noqa: BLE001  (keep indexing: what failed stays pending for the sweep)
                log.exception("the similarity indexer failed; going on in %.0f s", self.sweep_seconds)
                self._stopping.wait(self.sweep_seconds)

    def _serve(self) -> None:
        next_sweep = 0.0  # sweep at once: what a previous process left unindexed
        while not self._stopping.is_set():
            if time.monotonic() >= next_sweep:
                next_sweep = time.monotonic() + self.sweep_seconds
                for course_assignment_id in self._sweep():
                    self.request(course_assignment_id)
            work = self._take()
            if not work:
                # _take cleared the wake-up: a stop() that set it just before is seen here instead
                # (else the thread would sleep out the sweep interval while stop() waits for it).
                if not self._stopping.is_set():
                    self._wake.wait(max(0.0, next_sweep - time.monotonic()))
                continue
            self._hold_back_while_grading()
            for course_assignment_id in work:
                if self._stopping.is_set():
                    self.request(course_assignment_id)  # for the next start
                    break
                with self.app.app_context():
                    from autograder.services.similarity import BACKGROUND_BATCH_SIZE, index_pending_safely

                    batch = index_pending_safely(course_assignment_id, BACKGROUND_BATCH_SIZE)
                self.batches += 1
                if batch is not None and batch.more:
                    self.request(course_assignment_id)  # the rest after the grading waiting meanwhile

    def _hold_back_while_grading(self) -> None:
        deadline = time.monotonic() + LONGEST_DEFERRAL_SECONDS
        while self._grading_busy() and time.monotonic() < deadline and not self._stopping.wait(0.1):
            pass

    def _sweep(self) -> list[int]:
        try:
            with self.app.app_context():
                from autograder.services.similarity import pending_course_assignments

                return pending_course_assignments()
        except Exception:  # noqa: BLE001  (the database may be away: the next sweep tries again)
            log.warning("similarity sweep failed; retrying in %.0f s", self.sweep_seconds, exc_info=True)
            return []


# --- the Celery mode: a task per request on the similarity queue, deduplicated in Redis --------------------

_redis_clients: dict[str, Any] = {}


def _redis(url: str) -> Any:
    client = _redis_clients.get(url)
    if client is None:
        import redis

        # Short timeouts: this runs in the grading worker right after a grade; a Redis outage must
        # not hold the worker (the sweep asks again once Redis is back).
        client = _redis_clients.setdefault(
            url, redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        )
    return client


def _requested_key(app: Flask, course_assignment_id: int) -> str:
    return f"autograder:similarity-requested:{app.config.get('CELERY_QUEUE', 'grading')}:{course_assignment_id}"


def _request_from_celery(app: Flask, course_assignment_id: int) -> None:
    # One task waits per course assignment: a burst of grades of one assignment sends one task, which
    # clears the mark before it reads what is pending, so a grade stored after that sends another.
    # The mark expires, so a task lost with its message never blocks the next request for long.
    expiry = max(60, int(4 * float(app.config.get("SIMILARITY_SWEEP_SECONDS", 30.0))))
    client, key = _redis(app.config["REDIS_URL"]), _requested_key(app, course_assignment_id)
    if not client.set(key, 1, nx=True, ex=expiry):
        return
    from autograder.jobs.celery_app import CeleryQueue

    try:
        CeleryQueue(app).celery.send_task(
            SIMILARITY_TASK,
            args=[course_assignment_id],
            queue=similarity_queue_name(app.config.get("CELERY_QUEUE", "grading")),
            retry=False,  # no waiting in the grading worker: the sweep asks again
        )
    except Exception:
        with contextlib.suppress(Exception):
            client.delete(key)  # not sent: the next grade (or the sweep) asks again
        raise


def run_requested_batch(course_assignment_id: int) -> int:
    """The Celery task's body (inside an app context): clear the request, index one batch, ask again if more."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    from autograder.services.similarity import BACKGROUND_BATCH_SIZE, index_pending_safely

    try:
        _redis(app.config["REDIS_URL"]).delete(_requested_key(app, course_assignment_id))
    except Exception:  # noqa: BLE001  (Redis away: index anyway; the mark expires by itself)
        log.warning("could not clear the similarity request of %s", course_assignment_id, exc_info=True)
    batch = index_pending_safely(course_assignment_id, BACKGROUND_BATCH_SIZE)
    if batch is None:
        return 0
    if batch.more:  # the rest in another task, so grading that arrived meanwhile goes first
        request_indexing(course_assignment_id, app)
    return batch.indexed


class SimilaritySweeper(PeriodicThread):
    """The Celery worker's sweep for similarity: request indexing of every assignment with unindexed grades."""

    first_delay = 0.0  # at once: what a previous worker left unindexed

    def __init__(self, app: Flask) -> None:
        super().__init__(app, float(app.config.get("SIMILARITY_SWEEP_SECONDS", 30.0)), "similarity-sweeper")

    def work(self) -> None:
        from autograder.services.similarity import pending_course_assignments

        for course_assignment_id in pending_course_assignments():
            request_indexing(course_assignment_id, self.app)
