"""The regrade lane on SQLite and the embedded queue: a student's new work goes before any regrade.

A regrade marks its submissions ``regrading``; each student's regrades go to the queue one at a
time, only when the student has nothing of their own queued or running, and at the embedded
queue's lowest priority; the cooldown and the fair-queueing hold ignore them.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from autograder.extensions import db
from autograder.jobs import grading_queue
from autograder.models import (
    CatalogAssignment, CheckResult, Course, CourseAssignment, Enrollment, Role, Submission, SubmissionStatus, User,
)
from autograder.models._time import utcnow
from autograder.services import regrades
from autograder.services.grading import (
    Claim, GradingOutcome, claim_submission, grade_submission, store_final_result, sweep_stale_submissions,
    worker_name,
)
from autograder.services.submissions import (
    HELD, PreviousStillGrading, create_submission, dispatch_next_of, seconds_until_next_submission,
)
from autograder.services.workers import queue_snapshot

from tests.jobs.conftest import LOSSES_REFERENCE

COOLDOWN = 600


@pytest.fixture
def course(jobs_app, make_submission):
    """A course setting losses, its instructor, and students "s0" ... "s5" (no submissions yet)."""
    make_submission().status = SubmissionStatus.DONE  # it creates the losses catalog row; not pending
    assignment = db.session.query(CatalogAssignment).filter_by(name="losses").one()
    course = Course(code="LANE", title="Regrade lane", join_code="LANE-1")
    course.course_assignments.append(CourseAssignment(assignment=assignment))
    db.session.add(course)
    db.session.add(Enrollment(user=User(email="teacher@example.edu", name="Teacher"), course=course,
                              role=Role.INSTRUCTOR))
    for n in range(6):
        db.session.add(Enrollment(user=User(email=f"s{n}@example.edu", name=f"S{n}"), course=course,
                                  role=Role.STUDENT))
    db.session.commit()
    return course


def _student(n: int) -> User:
    return db.session.query(User).filter_by(email=f"s{n}@example.edu").one()


def _teacher() -> User:
    return db.session.query(User).filter_by(email="teacher@example.edu").one()


def _graded(student: User, course: Course, minutes_ago: float, score: float = 35.0) -> Submission:
    """A submission of the reference, graded ``minutes_ago`` (its cooldown counts from then)."""
    moment = utcnow() - timedelta(minutes=minutes_ago)
    row = Submission(user=student, course_assignment=course.course_assignments[0], filename="losses.py",
                     source=LOSSES_REFERENCE, sha256="0" * 64, status=SubmissionStatus.DONE, score=score,
                     max_score=35.0, final_score=score, attempts=1, created_at=moment, started_at=moment,
                     finished_at=moment, cooldown_from=moment,
                     assignment_version=course.course_assignments[0].assignment.version)
    db.session.add(row)
    db.session.commit()
    return row


def _recorded_sends(monkeypatch) -> list[tuple[int, bool]]:
    """Record what the services send to the queue, (id, regrade lane), instead of sending it."""
    sent: list[tuple[int, bool]] = []
    monkeypatch.setattr("autograder.jobs.enqueue_grading",
                        lambda submission_id, regrade=False: sent.append((submission_id, regrade)))
    return sent


def _row(submission_id: int) -> Submission:
    db.session.expire_all()
    return db.session.get(Submission, submission_id)


def _finish(submission_id: int) -> None:
    """Store a grade as the worker does (status done, the lane left), then release the student's next."""
    claim = claim_submission(submission_id, "w1")
    assert isinstance(claim, Claim)
    report = type("Report", (), {"score": 35.0, "max_score": 35.0, "tests": []})()
    assert store_final_result(claim, report, seed=None, seconds=0.1, assignment_version="v")
    dispatch_next_of(_row(submission_id).user_id)


def test_deadline_night_a_new_submission_is_accepted_and_graded_before_a_pending_whole_assignment_regrade(
        jobs_app, course, monkeypatch, tmp_path):
    jobs_app.config["SUBMISSION_COOLDOWN_SECONDS"] = COOLDOWN
    jobs_app.config["EMBEDDED_WORKERS"] = 1  # one grader: the order of grading is the order of the queue
    ca = course.course_assignments[0]
    # Everyone's earlier work, graded long ago (s0's last one 20 minutes ago: the cooldown is over).
    pile = [_graded(_student(n), course, minutes_ago=60 - k) for n in range(6) for k in range(3)]
    pile.append(_graded(_student(0), course, minutes_ago=20))
    ada = _student(0)
    assert seconds_until_next_submission(ada, ca, utcnow()) == 0
    graded_at = {s.id: (s.cooldown_from, s.finished_at) for s in pile}

    # Deadline night: the instructor regrades the whole assignment, and s0 submits new work at once
    # (what both send to the queue is recorded, so nothing is graded before the submission is made).
    sent = _recorded_sends(monkeypatch)
    run = regrades.regrade_assignment(ca, _teacher())
    assert len(run.entries) == len(pile)
    # One regrade per student in the queue, in the regrade lane; the rest wait for it.
    assert sorted(sent) == sorted((min(s.id for s in pile if s.user_id == _student(n).id), True) for n in range(6))
    assert sum(_row(s.id).lease_expires_at == HELD for s in pile) == len(pile) - 6
    # The student's regrades neither refuse nor hold their new submission.
    assert seconds_until_next_submission(ada, ca, utcnow()) == 0
    new = create_submission(ada, ca, "losses.py", LOSSES_REFERENCE.encode())
    assert new.status == SubmissionStatus.QUEUED and new.lease_expires_at != HELD
    assert sent[-1] == (new.id, False)  # sent at once, in the students' lane
    # ... and the cooldown now counts their own submission, not the regrade: a second one is refused.
    with pytest.raises(PreviousStillGrading):
        create_submission(ada, ca, "losses.py", LOSSES_REFERENCE.encode())
    monkeypatch.undo()

    # Now the grader runs. It is held at its first claim (SQLite's write lock, taken here) while
    # everything recorded is sent in the order it was sent, the new submission last: whatever the
    # grading thread took before that waits, so at most that one regrade goes before it.
    queue = grading_queue()
    queue.start()
    gate = sqlite3.connect(str(tmp_path / "jobs.sqlite3"), isolation_level=None)
    gate.execute("BEGIN IMMEDIATE")
    try:
        for submission_id, regrade in sent[:-1] + [sent[-1]]:
            queue.enqueue(submission_id, regrade=regrade)
    finally:
        gate.execute("ROLLBACK")
        gate.close()
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        queue.join()
        db.session.expire_all()
        rows = {row.id: row for row in db.session.scalars(select(Submission).where(
            Submission.course_assignment_id == ca.id))}
        if all(row.status == SubmissionStatus.DONE for row in rows.values()):
            break
        time.sleep(0.1)
    regraded = [rows[s.id] for s in pile]
    assert [row.status for row in regraded + [rows[new.id]]] == [SubmissionStatus.DONE] * (len(pile) + 1), [
        (row.id, row.status.value, row.error_message) for row in rows.values()]
    before_new = [row.id for row in regraded if row.started_at < rows[new.id].started_at]
    assert len(before_new) <= 1, before_new  # graded before the regrade pile
    # All of the pile was regraded, once each, none lost: the report is finished.
    assert all(row.score == 35.0 and row.attempts == 1 and not row.regrading for row in regraded)
    counts, _, total = regrades.regrade_report_page(db.session.merge(run))
    assert counts["pending"] == 0 and counts["same"] == total == len(pile)
    duplicated = db.session.execute(
        select(CheckResult.submission_id).where(CheckResult.submission_id.in_(list(rows)))
        .group_by(CheckResult.submission_id, CheckResult.position).having(func.count() > 1)).all()
    assert duplicated == []
    # A regrade's grading never restarted anyone's cooldown: it still counts from their own grading.
    for row in regraded:
        cooldown_from, finished_at = graded_at[row.id]
        assert row.cooldown_from == cooldown_from and row.finished_at > finished_at
    assert rows[new.id].cooldown_from == rows[new.id].finished_at


def test_regrades_go_one_per_student_and_only_after_the_students_own_work(jobs_app, course, monkeypatch):
    ca = course.course_assignments[0]
    busy, idle = _student(1), _student(2)
    busy_old = [_graded(busy, course, minutes_ago=30 - k) for k in range(3)]
    idle_old = [_graded(idle, course, minutes_ago=30 - k) for k in range(2)]
    sent = _recorded_sends(monkeypatch)
    own = create_submission(busy, ca, "losses.py", LOSSES_REFERENCE.encode())  # still queued
    assert sent == [(own.id, False)]
    regrades.regrade_assignment(ca, _teacher())
    # The busy student's regrades all wait for their own submission; the idle one's oldest goes.
    assert sent[1:] == [(idle_old[0].id, True)]
    assert queue_snapshot()["queue"] == {"dispatched": 1, "waiting_behind_student": 0,
                                         "regrade_dispatched": 1, "regrade_waiting": 4}
    # The sweeper resends heads of line only, each in its lane.
    swept = sweep_stale_submissions(now=utcnow() + timedelta(hours=1))
    assert swept.requeued == sorted([own.id, idle_old[0].id]) and swept.regrades == [idle_old[0].id]
    assert swept.urgent == []

    _finish(own.id)  # the student's own work is graded: their oldest regrade is sent, in the regrade lane
    assert sent[-1] == (busy_old[0].id, True)
    claim_of_regrade = _row(busy_old[0].id)
    assert claim_of_regrade.lease_expires_at != HELD and claim_of_regrade.regrading
    # While it is graded, the student submits again: sent at once, not behind the regrade.
    assert claim_submission(busy_old[0].id, "w2") is not None
    again = create_submission(busy, ca, "losses.py", LOSSES_REFERENCE.encode())
    assert sent[-1] == (again.id, False) and _row(again.id).lease_expires_at != HELD
    # The regrade finishes: the next regrade waits, since the student's own work is pending again.
    report = type("Report", (), {"score": 35.0, "max_score": 35.0, "tests": []})()
    assert store_final_result(Claim(busy_old[0].id, 1, "w2"), report, seed=None, seconds=0.1,
                              assignment_version="v")
    assert dispatch_next_of(busy.id) is None
    assert _row(busy_old[1].id).lease_expires_at == HELD
    _finish(again.id)
    assert sent[-1] == (busy_old[1].id, True)
    _finish(busy_old[1].id)
    assert sent[-1] == (busy_old[2].id, True)
    _finish(busy_old[2].id)
    _finish(idle_old[0].id)
    assert sent[-1] == (idle_old[1].id, True)
    _finish(idle_old[1].id)
    assert all(not _row(s.id).regrading and _row(s.id).status == SubmissionStatus.DONE
               for s in busy_old + idle_old)


def test_a_regrade_pending_or_finished_is_ignored_by_the_cooldown(jobs_app, course, monkeypatch, executor):
    jobs_app.config["SUBMISSION_COOLDOWN_SECONDS"] = COOLDOWN
    ca = course.course_assignments[0]
    student = _student(3)
    earlier = _graded(student, course, minutes_ago=15)
    _recorded_sends(monkeypatch)
    regrades.regrade_submission(earlier, _teacher())
    assert seconds_until_next_submission(student, ca, utcnow()) == 0  # pending: not "still being graded"
    assert grade_submission(earlier.id, executor=executor, worker="w1") == GradingOutcome.GRADED
    row = _row(earlier.id)
    ca = db.session.get(CourseAssignment, ca.id)
    assert row.finished_at > utcnow() - timedelta(minutes=1) and not row.regrading
    # Graded a moment ago, yet the student's cooldown runs from their own grading, 15 minutes ago.
    assert seconds_until_next_submission(student, ca, utcnow()) == 0
    assert create_submission(student, ca, "losses.py", LOSSES_REFERENCE.encode()).status == SubmissionStatus.QUEUED


def test_a_regrade_held_by_a_dead_process_is_requeued_to_the_regrade_lane_and_graded_once(
        jobs_app, course, monkeypatch, executor):
    student = _student(4)
    regraded = _graded(student, course, minutes_ago=5)
    _recorded_sends(monkeypatch)
    regrades.regrade_submission(regraded, _teacher())
    # A worker of this machine claimed it and was SIGKILLed mid-grade: its pid no longer exists.
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True, check=True)
    dead = worker_name("grader", int(finished.stdout))
    db.session.execute(update(Submission).where(Submission.id == regraded.id).values(
        status=SubmissionStatus.RUNNING, attempts=1, worker=dead, started_at=utcnow(),
        lease_expires_at=utcnow() + timedelta(hours=1)))
    db.session.commit()
    swept = sweep_stale_submissions()
    # Back in the queue at once, in the regrade lane (not ahead of the students' own work).
    assert swept.requeued == [regraded.id] and swept.regrades == [regraded.id] and swept.urgent == []
    from autograder.jobs.embedded import _REGRADE, _priority

    assert _priority(swept, regraded.id) == _REGRADE
    assert grade_submission(regraded.id, executor=executor, worker="w2") == GradingOutcome.GRADED
    row = _row(regraded.id)
    assert row.status == SubmissionStatus.DONE and row.attempts == 2 and row.score == 35.0 and not row.regrading
    positions = list(db.session.scalars(select(CheckResult.position).where(CheckResult.submission_id == row.id)))
    assert len(positions) == len(set(positions)) > 8
    # The lease path too: a regrade whose lease ran out goes back to its lane.
    regrades.regrade_submission(row, _teacher())
    db.session.execute(update(Submission).where(Submission.id == row.id).values(
        status=SubmissionStatus.RUNNING, attempts=1, worker="grader@another-machine:1",
        lease_expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    swept = sweep_stale_submissions()
    assert swept.requeued == [row.id] and swept.regrades == [row.id]


def test_the_poll_hint_of_a_new_submission_counts_no_regrade_ahead_of_it(jobs_app, course, monkeypatch):
    from autograder.services.poll_hint import poll_after_seconds

    ca = course.course_assignments[0]
    pile = [_graded(_student(n), course, minutes_ago=10) for n in range(5)]
    _recorded_sends(monkeypatch)
    regrades.regrade_assignment(ca, _teacher())
    # A slow recent rate, so any queue ahead shows in the hint (ceil(ahead / rate / 2) seconds); set
    # where the hint caches it, read at a moment to come so that it stays cached for this test.
    jobs_app.extensions["autograder.grading_rate"] = (time.monotonic() + 3600, 0.5)
    new = create_submission(_student(5), ca, "losses.py", LOSSES_REFERENCE.encode())
    assert poll_after_seconds(_row(new.id)) == 1  # nothing of a student's own ahead of it
    assert poll_after_seconds(_row(pile[-1].id)) == 5  # a regrade waits behind the others and the new one


def test_a_restarted_embedded_pool_sends_the_students_work_before_the_regrades_and_recovers_an_interrupted_one(
        jobs_app, course, monkeypatch):
    # What `autograder serve` finds when it starts again after a SIGKILL on deadline night: a
    # whole-assignment regrade pending, one regrade it was grading (its process is gone), and a
    # student's new submission queued. Its first sweep sends every head of line, own work first.
    jobs_app.config["EMBEDDED_WORKERS"] = 1
    ca = course.course_assignments[0]
    pile = [_graded(_student(n), course, minutes_ago=60 - k) for n in range(4) for k in range(2)]
    _recorded_sends(monkeypatch)
    run = regrades.regrade_assignment(ca, _teacher())
    new = create_submission(_student(5), ca, "losses.py", LOSSES_REFERENCE.encode())
    monkeypatch.undo()
    interrupted = pile[0]
    db.session.execute(update(Submission).where(Submission.id == interrupted.id).values(
        status=SubmissionStatus.RUNNING, attempts=1, worker="embedded-0@gone:1",
        started_at=utcnow() - timedelta(minutes=1), lease_expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()

    queue = grading_queue()
    queue.start()
    ids = [new.id] + [s.id for s in pile]
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        queue.join()
        rows = [_row(submission_id) for submission_id in ids]
        if all(row.status == SubmissionStatus.DONE for row in rows):
            break
        time.sleep(0.1)
    assert [row.status for row in rows] == [SubmissionStatus.DONE] * len(ids), [
        (row.id, row.status.value, row.error_message) for row in rows]
    first, regraded = rows[0], rows[1:]
    assert all(first.started_at < row.started_at for row in regraded)
    assert regraded[0].attempts == 2 and all(row.attempts == 1 for row in regraded[1:])
    assert all(row.score == 35.0 and not row.regrading for row in regraded)
    counts, _, _ = regrades.regrade_report_page(db.session.merge(run))
    assert counts["pending"] == 0 and counts["same"] == len(pile)
