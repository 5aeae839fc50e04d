"""Grading a submission: claim it, run the engine, store one consistent result.

Every state change is a conditional UPDATE on the submission row, so any number of
workers (threads, Celery processes, machines) can race for the same id and at most one
holds it at a time. A claim is identified by (attempts, worker): only its holder may
write partial results, extend the lease or store the final result.
"""

from __future__ import annotations

import enum
import logging
import os
import socket
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.engine import Engine

import autograder
from autograder.extensions import db
from autograder.models import CheckResult, CourseAssignment, Submission, SubmissionStatus
from autograder.models._time import as_utc, utcnow
from autograder.models.course import LatePolicy
from autograder.sandbox.executor import Executor
from autograder.services import similarity

log = logging.getLogger(__name__)

DEFAULT_MAX_ATTEMPTS = 3
_INT32 = range(-(2**31), 2**31)  # the seed column is a 32-bit INTEGER on PostgreSQL


class GradingOutcome(str, enum.Enum):
    """What one call of grade_submission did."""

    GRADED = "graded"  # the final result is stored
    FAILED = "failed"  # the grader failed; the row is in status error (the sweeper retries it)
    NOT_CLAIMED = "not_claimed"  # someone else holds it, it is finished, or out of attempts
    LEASE_LOST = "lease_lost"  # our lease expired and another worker took over: nothing stored


@dataclass(frozen=True)
class Claim:
    """The right to grade one submission, held until the lease expires."""

    submission_id: int
    attempt: int
    worker: str


def default_worker_name() -> str:
    """Return host:pid:thread, unique among the live workers."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident() % 100000}"[:120]


def _lease(seconds: float | None = None) -> timedelta:
    return timedelta(seconds=seconds if seconds is not None else current_app.config["GRADING_LEASE_SECONDS"])


def _max_attempts() -> int:
    return int(current_app.config.get("GRADING_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS))


def _owned(claim: Claim) -> Any:
    return (
        (Submission.id == claim.submission_id)
        & (Submission.status == SubmissionStatus.RUNNING)
        & (Submission.attempts == claim.attempt)
        & (Submission.worker == claim.worker)
    )


def claim_submission(submission_id: int, worker: str, now: datetime | None = None) -> Claim | None:
    """Take a queued submission (or one whose lease expired) for grading.

    Returns the Claim, or None when the row is finished, held by a live lease or out of attempts.
    """
    now = now or utcnow()
    claimable = (Submission.status == SubmissionStatus.QUEUED) | (
        (Submission.status == SubmissionStatus.RUNNING) & (Submission.lease_expires_at < now)
    )
    result = db.session.execute(
        update(Submission)
        .where(Submission.id == submission_id, claimable, Submission.attempts < _max_attempts())
        .values(
            status=SubmissionStatus.RUNNING,
            attempts=Submission.attempts + 1,
            worker=worker,
            started_at=now,
            finished_at=None,
            lease_expires_at=now + _lease(),
            error_message="",
        )
        .returning(Submission.attempts)
        .execution_options(synchronize_session=False)
    )
    attempt = result.scalar_one_or_none()
    if attempt is None:
        db.session.rollback()
        return None
    # A previous attempt's partial results would mislead the result page.
    db.session.execute(delete(CheckResult).where(CheckResult.submission_id == submission_id))
    db.session.commit()
    return Claim(submission_id, attempt, worker)


class ClaimKeeper:
    """A background thread that holds the claim while grading runs.

    It extends the lease every third of it and writes the results the engine reports
    (``record`` is the engine's on_result callback) in small batches, so the result page
    shows progress without one commit per check slowing the workers down.
    """

    def __init__(self, engine: Engine, claim: Claim, lease: timedelta, flush_seconds: float = 0.25) -> None:
        self.engine, self.claim, self.lease = engine, claim, lease
        self.flush_seconds = min(flush_seconds, lease.total_seconds() / 3)
        self.lost = False
        self._pending: list[dict[str, Any]] = []
        self._position = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._extended = time.monotonic()
        self._thread = threading.Thread(target=self._run, name=f"claim-{claim.submission_id}", daemon=True)

    def __enter__(self) -> ClaimKeeper:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        # What is still pending is part of the final result, written in one transaction.
        self._stop.set()
        self._thread.join()

    def record(self, test: Any) -> None:
        """Queue one TestResult for the next progress write."""
        with self._lock:
            self._pending.append(_result_row(self.claim.submission_id, self._position, test))
            self._position += 1

    def flush(self) -> bool:
        """Extend the lease and write pending results in one transaction; return False if the claim is lost."""
        with self._lock:
            rows, self._pending = self._pending, []
        with self.engine.begin() as connection:
            owned = connection.execute(
                update(Submission).where(_owned(self.claim)).values(lease_expires_at=utcnow() + self.lease)
            ).rowcount == 1
            if owned and rows:
                connection.execute(insert(CheckResult), rows)
        self._extended = time.monotonic()
        return owned

    def _run(self) -> None:
        extend_every = self.lease.total_seconds() / 3
        while not self._stop.wait(self.flush_seconds):
            if not self._pending and time.monotonic() - self._extended < extend_every:
                continue
            try:
                if not self.flush():
                    self.lost = True
                    return
            except Exception:  # the database may be briefly away: keep trying until the lease runs out
                log.warning("could not extend the lease of submission %s", self.claim.submission_id, exc_info=True)


def late_adjusted_score(score: float, late_days: int, course_assignment: CourseAssignment) -> float:
    """Return the score after the course's late policy (penalty per started day, or cut-off)."""
    if late_days <= 0:
        return score
    if course_assignment.late_policy == LatePolicy.PENALTY:
        return score * max(0.0, 1.0 - course_assignment.penalty_per_day * late_days)
    if course_assignment.late_policy == LatePolicy.CUTOFF and late_days > course_assignment.cutoff_days:
        return 0.0
    return score


def _result_row(submission_id: int, position: int, test: Any) -> dict[str, Any]:
    return {
        "submission_id": submission_id,
        "position": position,
        "name": str(test.name)[:255],
        "function": str(test.function)[:120],
        "check": str(getattr(test, "check", "") or "")[:200],
        "score": float(test.score),
        "max_score": float(test.max_score),
        "status": str(test.status)[:20],
        "output": str(test.output or ""),
        "visibility": str(getattr(test, "visibility", "visible") or "visible")[:20],
        "mistake": (str(test.mistake)[:200] if getattr(test, "mistake", None) else None),
    }


def _grading_mode() -> tuple[str, int | None]:
    seed = current_app.config.get("HIDDEN_SEED")
    return ("hidden", int(seed)) if seed is not None else ("public", None)


def store_final_result(claim: Claim, report: Any, *, seed: int | None, seconds: float,
                       assignment_version: str) -> bool:
    """Replace the submission's results and scores in one transaction; return False if the claim was lost."""
    submission = db.session.get(Submission, claim.submission_id)
    if submission is None:
        return False
    late_days = submission.late_days or 0
    score, max_score = float(report.score), float(report.max_score)
    final = late_adjusted_score(score, late_days, submission.course_assignment)
    grader_version = str(getattr(report, "grader_version", "") or autograder.__version__)[:40]
    # Locks the row first (PostgreSQL row lock, SQLite write lock): finalisers are serialised.
    owned = db.session.execute(
        update(Submission)
        .where(_owned(claim))
        .values(
            status=SubmissionStatus.DONE,
            score=score,
            max_score=max_score,
            final_score=final,
            grader_version=grader_version,
            assignment_version=assignment_version,
            seed=seed if seed is not None and seed in _INT32 else None,
            finished_at=utcnow(),
            grading_seconds=seconds,
            lease_expires_at=None,
            error_message="",
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if not owned:
        db.session.rollback()
        return False
    db.session.execute(delete(CheckResult).where(CheckResult.submission_id == claim.submission_id))
    rows = [_result_row(claim.submission_id, position, test) for position, test in enumerate(report.tests)]
    if rows:
        db.session.execute(insert(CheckResult), rows)
    db.session.commit()
    return True


def record_failure(claim: Claim, message: str) -> bool:
    """Put a claimed submission in status error (the sweeper retries it); return False if the claim was lost."""
    owned = db.session.execute(
        update(Submission)
        .where(_owned(claim))
        .values(status=SubmissionStatus.ERROR, error_message=message[:2000], finished_at=utcnow(),
                lease_expires_at=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return owned == 1


def grade_submission(submission_id: int, *, executor: Executor | None = None,
                     worker: str | None = None) -> GradingOutcome:
    """Claim, grade and store one submission (idempotent: regrading gives one consistent result).

    Returns what happened. Raises only for infrastructure failures outside a claim
    (database unreachable), which the caller retries with backoff.
    """
    from autograder.grading.assignment import find_assignment
    from autograder.grading.engine import grade_source

    if executor is None:
        from autograder.jobs.executors import thread_executor

        executor = thread_executor()
    claim = claim_submission(submission_id, worker or default_worker_name())
    if claim is None:
        return GradingOutcome.NOT_CLAIMED
    lease = _lease()
    started = time.monotonic()
    try:
        submission = db.session.get(Submission, submission_id)
        assert submission is not None
        source = submission.source.encode("utf-8")
        assignment_name = submission.course_assignment.assignment.name
        db.session.commit()  # end the read transaction: grading takes a while
        assignment = find_assignment(assignment_name)
        mode, seed = _grading_mode()
        with ClaimKeeper(db.engine, claim, lease) as keeper:
            report = grade_source(assignment, source, executor, mode=mode, hidden_seed=seed,
                                  on_result=keeper.record)
        if keeper.lost:
            log.warning("submission %s: lease lost while grading; another worker regrades it", submission_id)
    except Exception as error:
        db.session.rollback()
        log.exception("grading submission %s failed", submission_id)
        record_failure(claim, f"the grader failed: {type(error).__name__}: {error}")
        return GradingOutcome.FAILED
    stored = store_final_result(
        claim, report, seed=seed if mode == "hidden" else assignment.spec.public_seed,
        seconds=time.monotonic() - started, assignment_version=assignment.version,
    )
    if stored:  # similarity indexing: after the grade is committed; it logs its failures, never raises
        similarity.index_after_grading(submission_id)
    return GradingOutcome.GRADED if stored else GradingOutcome.LEASE_LOST


@dataclass(frozen=True)
class SweepResult:
    """Ids the sweeper handed back to the queue, and ids it gave up on."""

    requeued: list[int]
    abandoned: list[int]


def _retry_delay(attempts: int, lease: timedelta) -> timedelta:
    return min(timedelta(seconds=5 * 2 ** max(attempts - 1, 0)), lease)


def sweep_stale_submissions(now: datetime | None = None) -> SweepResult:
    """Find submissions that no live worker holds and make them claimable again.

    Running past the lease -> queued (or error once out of attempts); error with attempts
    left, after a backoff -> queued; queued but apparently not in the queue (older than a
    lease, not re-sent within the last lease) -> sent again. Returns the ids to (re)enqueue:
    duplicates in the queue are harmless, the claim lets only one worker through.
    """
    now = now or utcnow()
    lease, max_attempts = _lease(), _max_attempts()
    requeue_mark = now + lease  # on queued rows, lease_expires_at means "sent again until"
    abandoned = list(db.session.scalars(
        update(Submission)
        .where(Submission.status == SubmissionStatus.RUNNING, Submission.lease_expires_at < now,
               Submission.attempts >= max_attempts)
        .values(status=SubmissionStatus.ERROR, lease_expires_at=None, finished_at=now,
                error_message=f"grading was interrupted {max_attempts} times; giving up")
        .returning(Submission.id)
        .execution_options(synchronize_session=False)
    ))
    expired = list(db.session.scalars(
        update(Submission)
        .where(Submission.status == SubmissionStatus.RUNNING, Submission.lease_expires_at < now)
        .values(status=SubmissionStatus.QUEUED, lease_expires_at=requeue_mark)
        .returning(Submission.id)
        .execution_options(synchronize_session=False)
    ))
    retryable = db.session.execute(
        select(Submission.id, Submission.attempts, Submission.finished_at)
        .where(Submission.status == SubmissionStatus.ERROR, Submission.attempts < max_attempts)
    ).all()
    retried = []
    for submission_id, attempts, finished_at in retryable:
        if finished_at is not None and as_utc(finished_at) > now - _retry_delay(attempts, lease):
            continue
        changed = db.session.execute(
            update(Submission)
            .where(Submission.id == submission_id, Submission.status == SubmissionStatus.ERROR,
                   Submission.attempts == attempts)
            .values(status=SubmissionStatus.QUEUED, lease_expires_at=requeue_mark)
            .execution_options(synchronize_session=False)
        ).rowcount
        if changed:
            retried.append(submission_id)
    forgotten = list(db.session.scalars(
        update(Submission)
        .where(
            Submission.status == SubmissionStatus.QUEUED,
            Submission.created_at < now - lease,
            or_(Submission.lease_expires_at.is_(None), Submission.lease_expires_at < now),
        )
        .values(lease_expires_at=requeue_mark)
        .returning(Submission.id)
        .execution_options(synchronize_session=False)
    ))
    db.session.commit()
    return SweepResult(requeued=sorted(set(expired + retried + forgotten)), abandoned=abandoned)
