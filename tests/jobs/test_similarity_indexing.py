"""Similarity indexing runs off the grading path: requested after a grade, done by a background batch.

Embedded mode: the indexer thread of the web process (started with the grading pool); Celery
mode: a real worker consuming its low-priority similarity queue. A grade stored without a
request (a crash in between) is found by the sweep, and no failure of indexing reaches a grade.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from autograder.extensions import db
from autograder.grading.assignment import find_assignment
from autograder.jobs import grading_queue
from autograder.jobs.similarity import embedded_indexer, similarity_queue_name
from autograder.models import (
    CatalogAssignment,
    Course,
    CourseAssignment,
    Enrollment,
    Role,
    SimilarityPair,
    Submission,
    SubmissionFingerprint,
    SubmissionStatus,
    User,
)
from autograder.services import similarity
from autograder.services.grading import GradingOutcome, grade_submission
from autograder.similarity.disguise import disguise
from tests.slots import worker_slot

SOLUTIONS = Path(__file__).resolve().parents[1] / "conformance" / "solutions" / "losses"
GRADED = tuple(function.name for function in find_assignment("losses").functions)
ORIGINAL = (SOLUTIONS / "vectorised.py").read_text()
COPY = disguise(ORIGINAL, keep=GRADED, seed=11)


def _course(code: str, students: int) -> tuple[CourseAssignment, list[User]]:
    assignment = db.session.query(CatalogAssignment).filter_by(name="losses").one_or_none() or CatalogAssignment(
        name="losses", title="Losses", filename="losses.py", version=find_assignment("losses").version, max_score=35.0
    )
    course = Course(code=code, title="Deep learning", join_code=f"join-{code}")
    ca = CourseAssignment(course=course, assignment=assignment)
    users = [User(email=f"{code.lower()}-{n}@example.edu", role=Role.STUDENT) for n in range(students)]
    db.session.add_all([Enrollment(user=user, course=course, role=Role.STUDENT) for user in users])
    db.session.commit()
    return ca, users


def _submission(ca: CourseAssignment, user: User, source: str, graded: bool = False) -> Submission:
    """A queued submission, or one already graded (as if its worker died right after storing the grade)."""
    row = Submission(
        user=user,
        course_assignment=ca,
        filename="losses.py",
        source=source,
        sha256="0" * 64,
        status=SubmissionStatus.DONE if graded else SubmissionStatus.QUEUED,
        score=35.0 if graded else None,
        final_score=35.0 if graded else None,
        max_score=35.0,
    )
    db.session.add(row)
    db.session.commit()
    return row


def _wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        db.session.rollback()  # a fresh snapshot each look
        if condition():
            return True
        time.sleep(0.1)
    return False


def _fingerprinted() -> int:
    return db.session.scalar(select(func.count()).select_from(SubmissionFingerprint)) or 0


def _pair_scores() -> dict[tuple[int, int], float]:
    return {(p.submission_a_id, p.submission_b_id): p.score for p in db.session.scalars(select(SimilarityPair))}


@pytest.fixture
def quick_sweeps(jobs_app):
    jobs_app.config["SIMILARITY_SWEEP_SECONDS"] = 0.2
    yield jobs_app
    embedded_indexer(jobs_app).stop()


def test_grading_only_requests_and_the_embedded_indexer_indexes(quick_sweeps, executor):
    ca, (ada, bob) = _course("SIM1", 2)
    first, second = _submission(ca, ada, ORIGINAL), _submission(ca, bob, COPY)
    for row in (first, second):
        assert grade_submission(row.id, executor=executor, worker="w") == GradingOutcome.GRADED
    # Graded and stored; nothing indexed by the grading call; the pool (not started here) holds the request.
    assert _fingerprinted() == 0
    indexer = embedded_indexer(quick_sweeps)
    assert not indexer.running()
    indexer.start()
    assert _wait_for(lambda: _fingerprinted() == 2, 30)
    assert _pair_scores()[(first.id, second.id)] >= 0.8


def test_a_stop_arriving_while_the_indexer_takes_its_work_ends_it_at_once(jobs_app, monkeypatch):
    # A stop() landing between the loop's check and _take (which clears the wake-up) once left the
    # thread asleep for the whole sweep interval: 30 s of a shutdown, seen in the suite under load.
    jobs_app.config["SIMILARITY_SWEEP_SECONDS"] = 3600.0
    indexer = embedded_indexer(jobs_app)
    real_take = indexer._take
    stop_arrived = threading.Event()

    def take_as_stop_arrives() -> list[int]:
        indexer._stopping.set()  # what stop() does first, just before _take runs
        indexer._wake.set()
        stop_arrived.set()
        return real_take()

    monkeypatch.setattr(indexer, "_take", take_as_stop_arrives)
    indexer.start()
    assert stop_arrived.wait(30)
    thread = indexer._thread
    assert thread is not None
    thread.join(10)  # far below the sweep interval it would otherwise sleep out
    assert not thread.is_alive()
    indexer.stop()


def test_the_embedded_pool_grades_and_then_indexes(quick_sweeps):
    ca, (ada, bob) = _course("SIM2", 2)
    first, second = _submission(ca, ada, ORIGINAL), _submission(ca, bob, COPY)
    queue = grading_queue(quick_sweeps)
    queue.enqueue(first.id)
    queue.enqueue(second.id)
    assert embedded_indexer(quick_sweeps).running()
    assert _wait_for(lambda: _fingerprinted() == 2 and len(_pair_scores()) == 1, 90)
    assert [db.session.get(Submission, row.id).status for row in (first, second)] == [SubmissionStatus.DONE] * 2
    assert _pair_scores()[(first.id, second.id)] >= 0.8


def test_a_grade_stored_without_a_request_is_found_by_the_sweep(quick_sweeps):
    ca, (ada, bob, cy) = _course("SIM3", 3)
    # The worker died between storing these grades and asking for indexing: nobody asked.
    first, second = _submission(ca, ada, ORIGINAL, graded=True), _submission(ca, bob, COPY, graded=True)
    indexer = embedded_indexer(quick_sweeps)
    indexer.start()
    assert _wait_for(lambda: _fingerprinted() == 2, 30)  # the sweep at start
    third = _submission(ca, cy, disguise(ORIGINAL, keep=GRADED, seed=12), graded=True)
    assert _wait_for(lambda: _fingerprinted() == 3, 30)  # a later sweep
    assert set(_pair_scores()) == {(first.id, second.id), (first.id, third.id), (second.id, third.id)}


def test_the_background_indexes_in_small_batches_and_asks_for_the_rest(quick_sweeps, monkeypatch):
    # A batch holds its grading thread (or Celery process) until it ends: never the whole backlog at once.
    ca, students = _course("SIM5", 3)
    rows = [_submission(ca, students[n % 3], disguise(ORIGINAL, keep=GRADED, seed=n), graded=True) for n in range(12)]
    limits: list[int] = []
    original = similarity.index_pending_safely

    def recording(course_assignment_id: int, limit: int = similarity.BATCH_SIZE):
        limits.append(limit)
        return original(course_assignment_id, limit)

    monkeypatch.setattr(similarity, "index_pending_safely", recording)
    embedded_indexer(quick_sweeps).start()
    assert _wait_for(lambda: _fingerprinted() == len(rows), 60)
    assert similarity.BACKGROUND_BATCH_SIZE < len(rows)
    assert len(limits) >= 2 and set(limits) == {similarity.BACKGROUND_BATCH_SIZE}


def test_a_failed_batch_leaves_nothing_half_written_and_is_retried(quick_sweeps, monkeypatch):
    ca, (ada, bob) = _course("SIM4", 2)
    first, second = _submission(ca, ada, ORIGINAL, graded=True), _submission(ca, bob, COPY, graded=True)
    store, calls = similarity._store_batch, []

    def fails_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            db.session.execute(select(func.count()).select_from(SubmissionFingerprint))
            raise RuntimeError("database hiccup")
        return store(*args, **kwargs)

    monkeypatch.setattr(similarity, "_store_batch", fails_once)
    indexer = embedded_indexer(quick_sweeps)
    indexer.start()
    assert _wait_for(lambda: _fingerprinted() == 2, 30)
    assert len(calls) >= 2 and indexer.running()
    assert _pair_scores()[(first.id, second.id)] >= 0.8


# --- the Celery mode, with a real worker on this machine's PostgreSQL and Redis (marker `services`) -----------


def test_a_celery_worker_indexes_from_its_similarity_queue_after_grading(stack, stack_app):
    import redis

    from autograder.jobs.celery_app import CeleryQueue

    stack.environment["AUTOGRADER_SIMILARITY_SWEEP_SECONDS"] = "1"
    ca, (ada, bob, cy) = _course("SIMC", 3)
    first, second = _submission(ca, ada, ORIGINAL), _submission(ca, bob, COPY)
    # Graded before a crash, never requested: the worker's similarity sweep finds it.
    orphan = _submission(ca, cy, disguise(ORIGINAL, keep=GRADED, seed=13), graded=True)
    queue = CeleryQueue(stack_app)
    queue.enqueue(first.id)
    queue.enqueue(second.id)
    try:
        stack.start_worker("grader-sim", sandbox_slot=worker_slot(840))
        assert _wait_for(lambda: _fingerprinted() == 3, 90), stack.log("grader-sim")[-3000:]
        assert [db.session.get(Submission, row.id).status for row in (first, second)] == [SubmissionStatus.DONE] * 2
        scores = _pair_scores()
        assert set(scores) == {(first.id, second.id), (first.id, orphan.id), (second.id, orphan.id)}
        assert min(scores.values()) >= 0.8
        assert b"autograder.index_similarity" in stack.log("grader-sim")
    finally:
        client = redis.Redis.from_url(stack_app.config["REDIS_URL"])
        client.delete(similarity_queue_name(stack_app.config["CELERY_QUEUE"]))
        for key in client.scan_iter(f"autograder:similarity-requested:{stack_app.config['CELERY_QUEUE']}:*"):
            client.delete(key)


def test_a_request_with_the_broker_away_is_logged_not_raised(jobs_app, monkeypatch, caplog):
    from autograder.jobs import similarity as similarity_jobs
    from autograder.jobs.local_stack import free_port

    jobs_app.config.update(QUEUE_BACKEND="celery", REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    # Alembic's fileConfig (the migrated test database) disables loggers that existed before it.
    monkeypatch.setattr(similarity_jobs.log, "disabled", False)
    similarity_jobs.request_indexing(1, jobs_app)  # returns: the grade it follows stays stored
    assert "could not request similarity indexing of course assignment 1" in caplog.text
