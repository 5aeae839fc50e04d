"""The regrade lane on the real PostgreSQL, Redis and Celery workers (marker `services`).

Regrades go to the ``<queue>-regrade`` Celery queue, which the workers consume only when the
students' own queue is empty; a worker SIGKILLed during a regrade loses nothing.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from autograder.extensions import db
from autograder.jobs.celery_app import regrade_queue_name
from autograder.jobs.local_stack import free_port
from autograder.models import CheckResult, Submission, SubmissionStatus, User
from autograder.models._time import utcnow
from autograder.services import courses, regrades
from tests.jobs.api_submissions import SLOW_MSE, submit
from tests.jobs.conftest import LOSSES_REFERENCE
from tests.slots import worker_slot

pytestmark = [pytest.mark.services, pytest.mark.timeout(240)]


@pytest.fixture
def regrade_queue(stack_app, redis_target):
    """The test's regrade queue in Redis (emptied afterwards, as redis_target does for the main one)."""
    import redis

    name = regrade_queue_name(stack_app.config["CELERY_QUEUE"])
    yield name
    try:
        redis.Redis.from_url(redis_target[0]).delete(name)
    except redis.RedisError:
        pass


def _graded(email: str, source: str, minutes_ago: float) -> Submission:
    """A submission graded ``minutes_ago`` (full marks stored), to DL101's losses."""
    ca = courses.course_assignment(courses.get_course("DL101"), "losses")
    moment = utcnow() - timedelta(minutes=minutes_ago)
    row = Submission(user=db.session.query(User).filter_by(email=email).one(), course_assignment=ca,
                     filename="losses.py", source=source, sha256="0" * 64, status=SubmissionStatus.DONE,
                     score=35.0, max_score=35.0, final_score=35.0, attempts=1, created_at=moment,
                     started_at=moment, finished_at=moment, cooldown_from=moment,
                     assignment_version=ca.assignment.version)
    db.session.add(row)
    db.session.commit()
    return row


def _rows(ids: list[int]) -> list[Submission]:
    db.session.expire_all()
    rows = [db.session.get(Submission, submission_id) for submission_id in ids]
    db.session.rollback()
    return rows


def _wait_done(ids: list[int], seconds: float) -> list[Submission]:
    deadline = time.monotonic() + seconds
    while True:
        rows = _rows(ids)
        if all(row.status == SubmissionStatus.DONE for row in rows) or time.monotonic() > deadline:
            return rows
        time.sleep(0.2)


def _duplicated(ids: list[int]) -> list[int]:
    rows = db.session.execute(
        select(CheckResult.submission_id).where(CheckResult.submission_id.in_(ids))
        .group_by(CheckResult.submission_id, CheckResult.position).having(func.count() > 1)).all()
    db.session.rollback()
    return [submission_id for submission_id, in rows]


def test_deadline_night_on_celery_a_new_submission_goes_before_a_whole_assignment_regrade(
        stack, stack_app, student_token, make_student_token, regrade_queue):
    import redis

    others = [f"s{n}@example.edu" for n in range(5)]
    for email in others:
        make_student_token(email)
    pile = [_graded(email, LOSSES_REFERENCE, minutes_ago=60 - k) for email in ["ada@example.edu", *others]
            for k in range(3)]
    ca = courses.course_assignment(courses.get_course("DL101"), "losses")
    run = regrades.regrade_assignment(ca)
    assert len(run.entries) == len(pile)
    broker = redis.Redis.from_url(stack.environment["REDIS_URL"])
    assert broker.llen(regrade_queue) == 6  # one per student; the rest wait in the database
    assert broker.llen(stack.environment["AUTOGRADER_CELERY_QUEUE"]) == 0

    # The web has a cooldown; Ada's own last grading was long ago and her regrades do not count.
    stack.environment["AUTOGRADER_COOLDOWN_SECONDS"] = "600"
    port = free_port()
    stack.start_web(port)
    response = submit(port, student_token, LOSSES_REFERENCE)
    assert response.status_code == 202, response.text
    new = response.json()["id"]
    assert submit(port, student_token, LOSSES_REFERENCE).status_code == 429  # her own one counts
    # One grading process, started now: it takes the students' queue first, then the regrades.
    stack.start_worker("grader-a", sandbox_slot=worker_slot(820))
    ids = [new] + [row.id for row in pile]
    rows = _wait_done(ids, 150)
    assert [row.status for row in rows] == [SubmissionStatus.DONE] * len(ids), [
        (row.id, row.status.value, row.error_message) for row in rows]
    first, regraded = rows[0], rows[1:]
    assert all(first.started_at < row.started_at for row in regraded)  # before the whole pile
    assert all(row.score == 35.0 and row.attempts == 1 and not row.regrading for row in regraded)
    counts, _, total = regrades.regrade_report_page(db.session.merge(run))
    assert counts["pending"] == 0 and counts["same"] == total == len(pile)
    assert _duplicated(ids) == []


def test_a_worker_sigkilled_during_a_regrade_loses_nothing(stack, stack_app, student_token, regrade_queue):
    slow = _graded("ada@example.edu", LOSSES_REFERENCE + SLOW_MSE, minutes_ago=30)
    run = regrades.regrade_submission(slow)
    stack.start_worker("grader-a", sandbox_slot=worker_slot(800))
    stack.start_worker("grader-b", sandbox_slot=worker_slot(810))
    deadline = time.monotonic() + 60
    while True:
        (row,) = _rows([slow.id])
        if row.status == SubmissionStatus.RUNNING or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert row.status == SubmissionStatus.RUNNING and row.regrading
    victim = row.worker.split("@")[0]
    survivor = ({"grader-a", "grader-b"} - {victim}).pop()
    stack.kill(victim)  # SIGKILL the worker and its pool mid-regrade

    (row,) = _wait_done([slow.id], 60)
    assert row.status == SubmissionStatus.DONE and row.score == 35.0 and not row.regrading
    assert row.attempts == 2 and row.worker.startswith(f"{survivor}@")
    assert _duplicated([slow.id]) == []
    counts, _, _ = regrades.regrade_report_page(db.session.merge(run))
    assert counts["pending"] == 0 and counts["same"] == 1
