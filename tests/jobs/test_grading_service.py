"""grade_submission: claim, grade, store one consistent result; the sweeper; the late policy."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from autograder.extensions import db
from autograder.grading.report import TestResult
from autograder.models import CheckResult, CourseAssignment, Submission, SubmissionStatus
from autograder.models._time import utcnow
from autograder.models.course import LatePolicy
from autograder.services.grading import (
    ClaimKeeper, GradingOutcome, claim_submission, grade_submission, late_adjusted_score,
    store_final_result, sweep_stale_submissions,
)


def _results(submission_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(CheckResult).where(
        CheckResult.submission_id == submission_id))


def test_reference_gets_full_marks_with_every_field_stored(make_submission, executor, jobs_app):
    submission = make_submission()
    assert grade_submission(submission.id, executor=executor, worker="w1") == GradingOutcome.GRADED
    db.session.expire_all()
    row = db.session.get(Submission, submission.id)
    assert row.status == SubmissionStatus.DONE
    assert row.score == row.max_score == row.final_score == 35.0
    assert row.attempts == 1 and row.worker == "w1" and row.lease_expires_at is None
    assert row.seed == jobs_app.config["HIDDEN_SEED"]
    assert row.assignment_version and row.grader_version.endswith(row.assignment_version[:12])
    assert row.grading_seconds > 0 and row.finished_at is not None
    positions = [result.position for result in row.results]
    assert positions == list(range(len(positions))) and len(positions) > 8
    assert all(result.status == "passed" for result in row.results)


def test_a_wrong_function_loses_its_points_only(make_submission, executor, losses_reference):
    broken = losses_reference + "\n\ndef mse(y_pred, y_true):\n    return 0.0\n"
    submission = make_submission(source=broken)
    grade_submission(submission.id, executor=executor, worker="w1")
    db.session.expire_all()
    row = db.session.get(Submission, submission.id)
    failed = {result.function for result in row.results if result.status == "failed" and result.max_score > 0}
    assert row.status == SubmissionStatus.DONE and row.score < row.max_score
    assert failed == {"mse"}


def test_grading_twice_gives_one_consistent_result(make_submission, executor):
    submission = make_submission()
    grade_submission(submission.id, executor=executor, worker="w1")
    first = _results(submission.id)
    # A finished submission is not graded again by a duplicate message.
    assert grade_submission(submission.id, executor=executor, worker="w2") == GradingOutcome.NOT_CLAIMED
    # An instructor-requested regrade (back to queued) replaces, never appends.
    db.session.get(Submission, submission.id).status = SubmissionStatus.QUEUED
    db.session.commit()
    assert grade_submission(submission.id, executor=executor, worker="w2") == GradingOutcome.GRADED
    db.session.expire_all()
    row = db.session.get(Submission, submission.id)
    assert _results(submission.id) == first and row.attempts == 2 and row.score == 35.0


def test_a_regrade_replaces_the_results_and_reports_no_move(make_submission, executor, monkeypatch):
    # A regrade starts a fresh job (its attempts count from 0 again): its first claim is attempt 1,
    # yet the results of the earlier grading are there and must be replaced, not added to.
    from autograder.services import regrades

    monkeypatch.setattr(regrades.jobs, "enqueue_grading", lambda submission_id, regrade=False: None)  # graded below
    submission = make_submission()
    grade_submission(submission.id, executor=executor, worker="w1")
    checks = _results(submission.id)
    runs = []
    for _ in range(2):
        runs.append(regrades.regrade_submission(db.session.get(Submission, submission.id)))
        assert grade_submission(submission.id, executor=executor, worker="w2") == GradingOutcome.GRADED
    db.session.expire_all()
    row = db.session.get(Submission, submission.id)
    assert _results(submission.id) == checks > 8 and row.score == row.final_score == 35.0
    assert [position for position, in db.session.execute(
        select(CheckResult.position).where(CheckResult.submission_id == submission.id)
        .order_by(CheckResult.position))] == list(range(checks))
    for run in runs:
        report = regrades.regrade_report(db.session.merge(run))
        assert [(move.old, move.new) for move in report.moves] == [(35.0, 35.0)]
        assert report.count("same") == 1 and report.count("pending") == 0


def test_a_regrade_shows_its_own_progress_only(make_submission, executor, monkeypatch):
    from autograder.services import regrades

    monkeypatch.setattr(regrades.jobs, "enqueue_grading", lambda submission_id, regrade=False: None)
    submission = make_submission()
    grade_submission(submission.id, executor=executor, worker="w1")
    regrades.regrade_submission(db.session.get(Submission, submission.id))
    claim = claim_submission(submission.id, "w2")
    assert claim is not None and claim.attempt == 1
    keeper = ClaimKeeper(db.engine, claim, timedelta(seconds=30))
    keeper.record(TestResult(name="mse: random shapes", function="mse", check="random shapes", score=2.0,
                             max_score=2.0, status="passed"))
    assert keeper.flush()
    assert _results(submission.id) == 1  # the live page counts this grading's checks, not the last one's too


def test_only_one_worker_claims_and_an_expired_lease_moves_the_claim(make_submission):
    submission = make_submission()
    first = claim_submission(submission.id, "w1")
    assert first is not None and first.attempt == 1
    assert claim_submission(submission.id, "w2") is None
    later = utcnow() + timedelta(seconds=31)
    second = claim_submission(submission.id, "w2", now=later)
    assert second is not None and second.attempt == 2
    # The first worker finishing late must not overwrite the new holder's work.
    report_like = type("R", (), {"score": 1.0, "max_score": 35.0, "tests": []})()
    assert not store_final_result(first, report_like, seed=None, seconds=1.0, assignment_version="v")
    assert db.session.get(Submission, submission.id).status == SubmissionStatus.RUNNING


def test_progress_is_written_only_while_the_claim_holds(make_submission):
    submission = make_submission()
    claim = claim_submission(submission.id, "w1")
    line = TestResult(name="mse: random shapes", function="mse", check="random shapes", score=2.0,
                      max_score=2.0, status="passed")
    keeper = ClaimKeeper(db.engine, claim, timedelta(seconds=30))
    keeper.record(line)
    keeper.record(line)
    assert keeper.flush()
    assert _results(submission.id) == 2
    claim_submission(submission.id, "w2", now=utcnow() + timedelta(seconds=31))  # takes over, clears progress
    keeper.record(line)
    assert not keeper.flush()
    assert _results(submission.id) == 0


def test_the_claim_keeper_extends_the_lease_in_the_background(make_submission):
    submission = make_submission()
    claim = claim_submission(submission.id, "w1")
    db.session.get(Submission, submission.id).lease_expires_at = utcnow() + timedelta(seconds=0.5)
    db.session.commit()
    with ClaimKeeper(db.engine, claim, timedelta(seconds=0.6)) as keeper:
        time.sleep(1.0)
    db.session.expire_all()
    assert db.session.get(Submission, submission.id).lease_expires_at > utcnow() and not keeper.lost


def test_engine_failure_is_recorded_as_error_and_retried_by_the_sweeper(make_submission, executor):
    submission = make_submission(assignment="no_such_assignment")
    assert grade_submission(submission.id, executor=executor, worker="w1") == GradingOutcome.FAILED
    db.session.expire_all()
    row = db.session.get(Submission, submission.id)
    assert row.status == SubmissionStatus.ERROR and "no_such_assignment" in row.error_message
    assert sweep_stale_submissions(now=utcnow()).requeued == []  # backoff not elapsed yet
    swept = sweep_stale_submissions(now=utcnow() + timedelta(seconds=6))
    assert swept.requeued == [submission.id]
    assert db.session.get(Submission, submission.id).status == SubmissionStatus.QUEUED


def test_sweeper_requeues_expired_leases_and_gives_up_after_max_attempts(make_submission, jobs_app):
    stuck, exhausted = make_submission(), make_submission()
    claim_submission(stuck.id, "dead-worker")
    for _ in range(jobs_app.config["GRADING_MAX_ATTEMPTS"]):
        db.session.get(Submission, exhausted.id).status = SubmissionStatus.QUEUED
        db.session.commit()
        claim_submission(exhausted.id, "dead-worker")
    assert sweep_stale_submissions().requeued == []  # leases still valid
    swept = sweep_stale_submissions(now=utcnow() + timedelta(seconds=31))
    assert swept.requeued == [stuck.id] and swept.abandoned == [exhausted.id]
    db.session.expire_all()
    assert db.session.get(Submission, stuck.id).status == SubmissionStatus.QUEUED
    gave_up = db.session.get(Submission, exhausted.id)
    assert gave_up.status == SubmissionStatus.ERROR and "3 times" in gave_up.error_message


def test_sweeper_resends_a_forgotten_queued_row_once_per_resend_window(make_submission):
    submission = make_submission()
    assert sweep_stale_submissions().requeued == []  # just created: presumably still in the queue
    later = utcnow() + timedelta(seconds=31)
    assert sweep_stale_submissions(now=later).requeued == [submission.id]
    assert sweep_stale_submissions(now=later + timedelta(seconds=1)).requeued == []
    assert sweep_stale_submissions(now=later + timedelta(seconds=31)).requeued == [submission.id]


def test_sweeper_resends_at_once_what_was_sent_before_a_worker_fell_silent(make_submission):
    # A SIGKILLed Celery worker takes the messages it had reserved but not claimed with it, and
    # Redis hands them out again only after its visibility timeout (60 s): once the worker's
    # heartbeat is stale, whatever was sent before then is sent again, once.
    from autograder.services import workers

    now = utcnow()
    sent_before = make_submission()
    workers.beat(["grader-a@host:1", "grader-b@host:2"], "celery", now=now)
    assert sweep_stale_submissions(now=now).requeued == []  # both alive: presumably in a queue
    later = now + timedelta(seconds=5)  # a silent for 5 s (live window 1.5 s; resend window 30 s)
    workers.beat(["grader-b@host:2"], "celery", now=later)
    sent_after = make_submission()
    sent_after.created_at = now + timedelta(seconds=4)  # after a was declared dead: not in its hands
    db.session.commit()
    assert sweep_stale_submissions(now=later).requeued == [sent_before.id]
    assert sweep_stale_submissions(now=later + timedelta(seconds=1)).requeued == []
    # A worker that stops cleanly forgets its heartbeat: nothing is sent again for it.
    workers.forget(["grader-b@host:2"])
    assert sweep_stale_submissions(now=later + timedelta(seconds=5)).requeued == []


@pytest.mark.parametrize(("policy", "late_days", "expected"), [
    (LatePolicy.PENALTY, 0, 30.0),
    (LatePolicy.PENALTY, 1, 27.0),
    (LatePolicy.PENALTY, 3, 21.0),
    (LatePolicy.PENALTY, 20, 0.0),
    (LatePolicy.CUTOFF, 2, 30.0),
    (LatePolicy.CUTOFF, 3, 0.0),
    (LatePolicy.NONE, 5, 30.0),
])
def test_late_policy(policy, late_days, expected):
    course_assignment = CourseAssignment(late_policy=policy, penalty_per_day=0.1, cutoff_days=2)
    assert late_adjusted_score(30.0, late_days, course_assignment) == pytest.approx(expected)


def test_final_score_applies_the_late_policy(make_submission, executor):
    submission = make_submission(late_days=2, late_policy=LatePolicy.PENALTY, penalty_per_day=0.25)
    grade_submission(submission.id, executor=executor, worker="w1")
    db.session.expire_all()
    row = db.session.get(Submission, submission.id)
    assert row.score == 35.0 and row.final_score == pytest.approx(17.5)
