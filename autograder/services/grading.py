"""Grading a submission: claim it, run the engine, store one consistent result.

Every state change is a conditional UPDATE on the submission row, so any number of
workers (threads, Celery processes, machines) can race for the same id and at most one
holds it at a time. A claim is identified by (attempts, worker): only its holder may
write partial results, extend the lease or store the final result.
"""

from __future__ import annotations

import _thread
import enum
import logging
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from flask import current_app
from sqlalchemy import and_, delete, func, or_, select, true, update
from sqlalchemy.orm import aliased
from sqlalchemy.engine import Engine

import autograder
from autograder.extensions import db
from autograder.models import CheckResult, Submission, SubmissionStatus, WorkerHeartbeat
from autograder.models._integer import INTEGER_RANGE
from autograder.models._time import utcnow
from autograder.models.course import LatePolicy
from autograder.sandbox.executor import Executor
from autograder.sandbox.watch import SandboxWatch
from autograder.logs import log_context
from autograder.services import grading_statements as statements
from autograder.services.lanes import ahead_in_line
from autograder.services.workers import live_window
from autograder.jobs.similarity import request_indexing as request_similarity_indexing

log = logging.getLogger(__name__)

DEFAULT_MAX_ATTEMPTS = 3


class GradingOutcome(str, enum.Enum):
    """What one call of grade_submission did."""

    GRADED = "graded"  # the final result is stored
    FAILED = "failed"  # the grader failed; the row is in status error (the sweeper retries it)
    NOT_CLAIMED = "not_claimed"  # someone else holds it, it is finished, or out of attempts
    LEASE_LOST = "lease_lost"  # our lease expired and another worker took over: nothing stored
    INTERRUPTED = "interrupted"  # the sandbox failed under a dying worker: back to the queue, unscored


@dataclass(frozen=True)
class Claim:
    """The right to grade one submission, held until the lease expires."""

    submission_id: int
    attempt: int
    worker: str


def worker_name(label: str, pid: int | None = None) -> str:
    """Return ``label@host:pid``: unique among live workers, and says which process holds a claim."""
    return f"{label[:60]}@{socket.gethostname()}:{pid if pid is not None else os.getpid()}"[:120]


def default_worker_name() -> str:
    """Return a worker name for the calling thread."""
    return worker_name(f"thread-{threading.get_ident() % 100000}")


def _process_of(worker: str) -> tuple[str, int] | None:
    """Return (host, pid) of a worker name made by worker_name, or None for any other name."""
    host, _, pid = worker.rpartition("@")[2].rpartition(":")
    return (host, int(pid)) if host and pid.isdigit() else None


def _is_dead_here(worker: str) -> bool:
    """True when ``worker`` ran on this machine in a process that no longer exists."""
    process = _process_of(worker)
    if process is None or process[0] != socket.gethostname() or process[1] == os.getpid():
        return False
    try:
        os.kill(process[1], 0)
    except ProcessLookupError:
        return True
    except OSError:  # it exists, owned by someone else
        return False
    return False


def _lease(seconds: float | None = None) -> timedelta:
    return timedelta(seconds=seconds if seconds is not None else current_app.config["GRADING_LEASE_SECONDS"])


def _max_attempts() -> int:
    return int(current_app.config.get("GRADING_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS))


def _owner(claim: Claim) -> dict[str, Any]:
    """The parameters of ``statements.OWNED`` for this claim."""
    return {"submission_id": claim.submission_id, "attempt": claim.attempt, "claim_worker": claim.worker}


def claim_submission(submission_id: int, worker: str, now: datetime | None = None) -> Claim | None:
    """Take a queued submission (or one whose lease expired) for grading.

    Returns the Claim, or None when the row is finished, held by a live lease or out of attempts.
    """
    claim = _take_claim(submission_id, worker, now)
    if claim is None:
        db.session.rollback()
        return None
    db.session.commit()
    return claim


def _take_claim(submission_id: int, worker: str, now: datetime | None = None) -> Claim | None:
    """The claim's statements, inside the caller's transaction (which commits it, or rolls back on None)."""
    now = now or utcnow()
    connection = db.session.connection()
    attempt = connection.execute(statements.CLAIM, {
        "submission_id": submission_id, "max_attempts": _max_attempts(), "now": now,
        "lease_until": now + _lease(), "claim_worker": worker,
    }).scalar_one_or_none()
    if attempt is None:
        return None
    # A claim starts with no result rows, whatever its attempt number: a regrade's first claim is
    # attempt 1 too, and an earlier grading's rows (or a dead attempt's progress) would otherwise be
    # shown beside this claim's progress and kept beside its final result.
    connection.execute(statements.CLEAR_RESULTS, {"submission_id": submission_id})
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
        self.written = 0  # progress rows this keeper stored (the final write replaces them)
        self._pending: list[dict[str, Any]] = []
        self._position = 0
        self._lock = threading.Lock()
        # Held for a whole flush: once __exit__ has it, no progress write is under way or can follow.
        self._flush_lock = threading.Lock()
        self._closed = False
        self._stop = threading.Event()
        self._extended = time.monotonic()

    def __enter__(self) -> ClaimKeeper:
        # The low-level start: threading.Thread.start() waits until the new thread has run, which
        # under a busy GIL costs the grading thread milliseconds per submission. The keeper is a
        # daemon in effect (nothing joins it); __exit__ synchronises through the flush lock.
        _thread.start_new_thread(self._run, ())
        return self

    def __exit__(self, *exc_info: object) -> None:
        # What is still pending is part of the final result, written in one transaction. No join:
        # waiting for the thread to be scheduled and end costs the grading process more than the
        # flush lock, which is all the final write needs (``written`` and ``lost`` are settled).
        self._stop.set()
        with self._flush_lock:
            self._closed = True

    def record(self, test: Any) -> None:
        """Queue one TestResult for the next progress write."""
        with self._lock:
            self._pending.append(_result_row(self.claim.submission_id, self._position, test))
            self._position += 1

    def flush(self) -> bool:
        """Extend the lease and write pending results in one transaction; return False if the claim is lost.

        After the keeper is closed it writes nothing (the final write takes over) and returns True.
        """
        with self._flush_lock:
            if self._closed:
                return True
            with self._lock:
                rows, self._pending = self._pending, []
            with self.engine.begin() as connection:
                owned = connection.execute(
                    statements.EXTEND_LEASE, {**_owner(self.claim), "lease_until": utcnow() + self.lease}
                ).rowcount == 1
                if owned and rows:
                    statements.insert_results(connection, rows)
                    self.written += len(rows)
            self._extended = time.monotonic()
            if not owned:
                self.lost = True
            return owned

    def _run(self) -> None:
        extend_every = self.lease.total_seconds() / 3
        while not self._stop.wait(self.flush_seconds):
            if not self._pending and time.monotonic() - self._extended < extend_every:
                continue
            try:
                if not self.flush():
                    return  # lost: flush has said so
            except Exception:  # the database may be briefly away: keep trying until the lease runs out
                log.warning("could not extend the lease of submission %s", self.claim.submission_id, exc_info=True)


class LateRule(Protocol):
    """The late policy's settings: a CourseAssignment, or a row of its columns."""

    late_policy: LatePolicy
    penalty_per_day: float
    cutoff_days: int


def late_adjusted_score(score: float, late_days: int, course_assignment: LateRule) -> float:
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


_engine_assignments: dict[str, Any] = {}


def engine_assignment(name: str, version: str | None = None) -> Any:
    """Return the engine's assignment ``name``, reusing the loaded one while it is the ``version`` the database has.

    find_assignment hashes the whole folder on every call (milliseconds of CPU per submission);
    the catalog row's version tells when that is needed. Raises like find_assignment.
    """
    from autograder.grading.assignment import find_assignment

    cached = _engine_assignments.get(name)
    if cached is not None and version and cached.version == version:
        return cached
    assignment = _engine_assignments[name] = find_assignment(name)
    return assignment


def _grading_mode(course_seed: int | None) -> tuple[str, int | None]:
    """Return the mode and hidden seed to grade with: the course's own seed, else the site's (older courses).

    The site's setting (AUTOGRADER_HIDDEN_SEED) says whether hidden cases are graded at all. A course's
    seed never changes, so its regrades draw what its submissions were graded with.
    """
    seed = current_app.config.get("HIDDEN_SEED")
    if seed is None:
        return "public", None
    return "hidden", course_seed if course_seed is not None else int(seed)


def store_final_result(claim: Claim, report: Any, *, seed: int | None, seconds: float,
                       assignment_version: str, late: tuple[int, LateRule] | None = None,
                       no_results_yet: bool = False, commit: bool = True) -> bool:
    """Replace the submission's results and scores in one transaction; return False if the claim was lost.

    ``late`` (late days, course assignment), when the caller already has them, saves reading them
    again; ``no_results_yet`` says the claim wrote no progress rows, so no result row of this
    submission exists (the claim cleared the earlier ones), which saves deleting them. With ``commit=False`` the caller adds to the
    transaction and commits it (a lost claim is rolled back here all the same).
    """
    if late is None:
        submission = db.session.get(Submission, claim.submission_id)
        if submission is None:
            return False
        late = (submission.late_days or 0, submission.course_assignment)
    late_days, course_assignment = late
    score, max_score = float(report.score), float(report.max_score)
    final = late_adjusted_score(score, late_days, course_assignment)
    grader_version = str(getattr(report, "grader_version", "") or autograder.__version__)[:40]
    connection = db.session.connection()
    # Locks the row first (PostgreSQL row lock, SQLite write lock): finalisers are serialised. The
    # statement clears ``regrading`` (the regrade, if it was one, is done: the row leaves the regrade
    # lane) and keeps a regrade's cooldown_from.
    owned = connection.execute(statements.STORE, {
        **_owner(claim), "now": utcnow(), "new_score": score, "new_max_score": max_score,
        "new_final_score": final, "new_grader_version": grader_version,
        "new_assignment_version": assignment_version,
        "new_seed": seed if seed is not None and seed in INTEGER_RANGE else None,
        "new_grading_seconds": seconds,
    }).rowcount
    if not owned:
        db.session.rollback()
        return False
    if not no_results_yet:
        connection.execute(statements.CLEAR_RESULTS, {"submission_id": claim.submission_id})
    rows = [_result_row(claim.submission_id, position, test) for position, test in enumerate(report.tests)]
    if rows:
        # Same transaction, without the ORM's bulk bookkeeping per row (a COPY on PostgreSQL).
        statements.insert_results(connection, rows)
    if commit:
        db.session.commit()
    return True


def record_failure(claim: Claim, message: str) -> bool:
    """Put a claimed submission in status error (the sweeper retries it); return False if the claim was lost."""
    now = utcnow()
    owned = db.session.connection().execute(
        update(Submission)
        .where(statements.OWNED)
        .values(status=SubmissionStatus.ERROR, error_message=message[:2000], finished_at=now,
                cooldown_from=statements.COOLDOWN_FROM, lease_expires_at=None),
        {**_owner(claim), "now": now},
    ).rowcount
    db.session.commit()
    return owned == 1


def release_claim(claim: Claim, reason: str) -> bool:
    """Hand a claimed submission back to the queue unscored (the sweeper resends it at once).

    On its last attempt it ends in error instead, unscored, for its instructor to see.
    """
    now = utcnow()
    if claim.attempt >= _max_attempts():
        values: dict[str, Any] = dict(status=SubmissionStatus.ERROR, lease_expires_at=None, finished_at=now,
                                      cooldown_from=statements.COOLDOWN_FROM,
                                      error_message=f"grading was interrupted {claim.attempt} times; giving up ({reason})"[:2000])
    else:
        values = dict(status=SubmissionStatus.QUEUED, lease_expires_at=now, started_at=None, error_message=reason[:2000])
    owned = db.session.connection().execute(
        update(Submission).where(statements.OWNED).values(**values), {**_owner(claim), "now": now}
    ).rowcount
    db.session.execute(delete(CheckResult).where(CheckResult.submission_id == claim.submission_id))
    db.session.commit()
    return owned == 1


def grade_submission(submission_id: int, *, executor: Executor | None = None,
                     worker: str | None = None) -> GradingOutcome:
    """Claim, grade and store one submission (idempotent: regrading gives one consistent result).

    When the sandbox itself fails under it (the zygote dies, cannot start or stops answering),
    the submission goes back to the queue unscored: student code cannot reach the zygote, so
    that is never the student's failure. Returns what happened. Raises only for infrastructure failures outside a claim
    (database unreachable), which the caller retries with backoff.
    """
    from autograder.grading.engine import grade_source

    if executor is None:
        from autograder.jobs.executors import thread_executor

        executor = thread_executor()
    claim = _take_claim(submission_id, worker or default_worker_name())
    if claim is None:
        db.session.rollback()
        return GradingOutcome.NOT_CLAIMED
    lease = _lease()
    started = time.monotonic()
    watch = SandboxWatch(executor)
    student_id: int | None = None
    with log_context(submission_id=submission_id):
        try:
            # In the claim's transaction, one row with what grading needs from the submission, its
            # course assignment (late policy), course and catalog row (columns, not ORM objects);
            # then one commit for both.
            row = db.session.connection().execute(statements.TO_GRADE, {"submission_id": submission_id}).one()
            source, filename = row.source.encode("utf-8"), row.filename
            student_id, late_days = row.user_id, row.late_days or 0
            course_seed, course_assignment = row.course_seed, row  # the row has the late policy's columns
            db.session.commit()  # the claim, and the end of the read: grading takes a while
            assignment = engine_assignment(row.assignment_name, row.catalog_version)
            mode, seed = _grading_mode(course_seed)
            with ClaimKeeper(db.engine, claim, lease) as keeper:
                report = grade_source(assignment, source, watch, mode=mode, hidden_seed=seed,
                                      on_result=keeper.record, filename=filename,
                                      time_scale=current_app.config.get("GRADING_TIME_SCALE", 1.0))
            if keeper.lost:
                log.warning("submission %s: lease lost while grading; another worker regrades it", submission_id)
        except Exception as error:
            db.session.rollback()
            log.exception("grading submission %s failed", submission_id)
            record_failure(claim, f"the grader failed: {type(error).__name__}: {error}")
            _observe(GradingOutcome.FAILED, time.monotonic() - started, watch)
            _dispatch_next(student_id)
            return GradingOutcome.FAILED
        if watch.failures:
            # The sandbox failed under the grader (worker shutting down, zygote killed from outside,
            # machine overloaded): whatever the report says about the student's functions is not their doing.
            log.warning("submission %s: the sandbox failed under the worker (%s); handed back unscored",
                        submission_id, watch.failures[0])
            release_claim(claim, "interrupted: the grading worker's sandbox failed; graded again shortly")
            _observe(GradingOutcome.INTERRUPTED, time.monotonic() - started, watch)
            _dispatch_next(student_id)
            return GradingOutcome.INTERRUPTED
        seconds = time.monotonic() - started
        stored = store_final_result(
            claim, report, seed=seed if mode == "hidden" else assignment.spec.public_seed,
            seconds=seconds, assignment_version=assignment.version, late=(late_days, course_assignment),
            no_results_yet=keeper.written == 0, commit=False,
        )
        if stored:
            # The student's next submission is released in the transaction that stores this grade.
            _commit_with_next_of(student_id)
        if stored:
            # Only a request: a low-priority background batch indexes it (never raises, never waits).
            request_similarity_indexing(row.course_assignment_id)
        outcome = GradingOutcome.GRADED if stored else GradingOutcome.LEASE_LOST
        _observe(outcome, seconds, watch)
        if stored:
            log.info("submission %s graded: %s/%s in %.0f ms", submission_id, report.score, report.max_score,
                     seconds * 1000)
        else:
            _dispatch_next(student_id)
        return outcome


def _observe(outcome: GradingOutcome, seconds: float, watch: SandboxWatch) -> None:
    from autograder import metrics

    metrics.observe_grading(outcome.value, seconds, len(watch.failures))


def _commit_with_next_of(student_id: int) -> None:
    """Release the student's next held submission in the open transaction, commit, then send it.

    A database error propagates, as the final write's own commit always did (the caller retries;
    the lease runs out and the submission is graded again). A refused publish leaves the next
    submission to the sweeper.
    """
    from autograder import jobs
    from autograder.services.submissions import release_next_of

    released = release_next_of(student_id)
    db.session.commit()
    if released is not None:
        try:
            jobs.enqueue_grading(released.submission_id, regrade=released.regrade)
        except Exception:  # the sweeper sends it once the resend window has passed
            log.warning("could not send the next submission %s of student %s", released.submission_id,
                        student_id, exc_info=True)


def _dispatch_next(student_id: int | None) -> None:
    # The student's next waiting submission goes to the back of the queue (fair queueing).
    if student_id is None:
        return
    from autograder.services.submissions import dispatch_next_of

    try:
        dispatch_next_of(student_id)
    except Exception:  # the sweeper sends it once its predecessor is finished
        db.session.rollback()
        log.warning("could not dispatch the next submission of student %s", student_id, exc_info=True)


@dataclass(frozen=True)
class SweepResult:
    """Ids the sweeper handed back to the queue, and ids it gave up on."""

    requeued: list[int]
    abandoned: list[int]
    # Interrupted mid-grade: their students have waited longest, so they go first where the queue allows.
    urgent: list[int] = field(default_factory=list)
    # Those of ``requeued`` that are regrades: they go back to the regrade lane (never urgent).
    regrades: list[int] = field(default_factory=list)

    def is_regrade(self, submission_id: int) -> bool:
        return submission_id in self.regrades


def _retry_delay(attempts: int, lease: timedelta) -> timedelta:
    return min(timedelta(seconds=5 * 2 ** max(attempts - 1, 0)), max(lease, timedelta(seconds=5)))


def resend_window() -> timedelta:
    """How long a queued submission sent to the queue counts as sent (AUTOGRADER_RESEND_SECONDS)."""
    return timedelta(seconds=float(current_app.config.get("GRADING_RESEND_SECONDS", 60)))


def _held_by_dead_processes(now: datetime) -> list[int]:
    """Ids of running submissions whose worker process on this machine is gone (no need to await the lease)."""
    running = db.session.execute(
        select(Submission.id, Submission.worker)
        .where(Submission.status == SubmissionStatus.RUNNING, Submission.lease_expires_at >= now)
    ).all()
    return [submission_id for submission_id, worker in running if _is_dead_here(worker)]


def _last_worker_death(now: datetime, window: timedelta) -> datetime | None:
    """When the latest worker that fell silent within ``window`` was declared dead, or None.

    A SIGKILLed Celery worker takes with it the messages it had reserved from the broker but not
    yet claimed (a grading process between two submissions, the next student's release it had
    committed but not yet published): Redis hands them out again only after its visibility
    timeout, and the resend window is as long. Whatever was sent before that moment is sent again.
    """
    alive = live_window()
    last_seen = db.session.scalar(
        select(func.max(WorkerHeartbeat.seen_at))
        .where(WorkerHeartbeat.seen_at < now - alive, WorkerHeartbeat.seen_at >= now - alive - window)
    )
    return None if last_seen is None else last_seen + alive


def _dispatchable_queued(now: datetime, window: timedelta, *, fresh_queue: bool = False,
                         sent_before: datetime | None = None) -> list[tuple[int, bool]]:
    """(id, is a regrade) of queued rows that head their student's line and were not sent within ``window``.

    The head of a student's line (services/lanes.py) is their oldest own submission pending, or
    their oldest regrade when they have none of their own pending. With ``fresh_queue`` (the
    in-process queue just started empty) every head of line, however recently sent: what was sent went down with the previous process's queue. With
    ``sent_before`` (a worker died then) also every head of line last sent before that moment.
    """
    earlier = aliased(Submission)
    older_pending = select(earlier.id).where(ahead_in_line(earlier, Submission)).exists()
    not_sent_lately = or_(and_(Submission.lease_expires_at.is_(None), Submission.created_at <= now - window),
                          Submission.lease_expires_at <= now)
    if sent_before is not None:
        # A queued row's lease_expires_at is "sent again until": the moment it was last sent + window.
        not_sent_lately = or_(
            not_sent_lately,
            and_(Submission.lease_expires_at.is_(None), Submission.created_at <= sent_before),
            Submission.lease_expires_at <= sent_before + window,
        )
    return [(submission_id, bool(regrading)) for submission_id, regrading in db.session.execute(
        select(Submission.id, Submission.regrading).where(
            Submission.status == SubmissionStatus.QUEUED,
            ~older_pending,
            true() if fresh_queue else not_sent_lately,
        ).order_by(Submission.id)
    )]


def sweep_stale_submissions(now: datetime | None = None, *, fresh_queue: bool = False) -> SweepResult:
    """Find submissions that no live worker holds and make them claimable again.

    Running past the lease, or held by a process of this machine that died -> queued (or
    error once out of attempts); error with attempts left, after a backoff -> queued; queued,
    at the head of its student's line and not sent within AUTOGRADER_RESEND_SECONDS (every one
    when ``fresh_queue``: the in-process queue just started empty; also every one sent before a
    worker fell silent, which may have held it unclaimed) -> sent again. Returns the ids
    to (re)enqueue, those of the regrade lane named in ``regrades``: duplicates in the queue are
    harmless, the claim lets only one worker through.
    """
    now = now or utcnow()
    lease, max_attempts = _lease(), _max_attempts()
    window = timedelta(0) if fresh_queue else resend_window()
    resend_mark = now + window  # on queued rows, lease_expires_at means "sent again until"
    dead = _held_by_dead_processes(now)
    interrupted = or_(Submission.lease_expires_at < now, Submission.id.in_(dead))
    abandoned = list(db.session.connection().execute(
        update(Submission)
        .where(Submission.status == SubmissionStatus.RUNNING, interrupted, Submission.attempts >= max_attempts)
        .values(status=SubmissionStatus.ERROR, lease_expires_at=None, finished_at=now,
                cooldown_from=statements.COOLDOWN_FROM,
                error_message=f"grading was interrupted {max_attempts} times; giving up")
        .returning(Submission.id),
        {"now": now},
    ).scalars())
    regrades: set[int] = set()
    expired = []
    for submission_id, regrading in db.session.execute(
        update(Submission)
        .where(Submission.status == SubmissionStatus.RUNNING, interrupted)
        .values(status=SubmissionStatus.QUEUED, lease_expires_at=resend_mark)
        .returning(Submission.id, Submission.regrading)
        .execution_options(synchronize_session=False)
    ):
        expired.append(submission_id)
        if regrading:
            regrades.add(submission_id)
    retryable = db.session.execute(
        select(Submission.id, Submission.attempts, Submission.finished_at, Submission.regrading)
        .where(Submission.status == SubmissionStatus.ERROR, Submission.attempts < max_attempts)
    ).all()
    retried = []
    for submission_id, attempts, finished_at, regrading in retryable:
        if finished_at is not None and finished_at > now - _retry_delay(attempts, lease):
            continue
        changed = db.session.execute(
            update(Submission)
            .where(Submission.id == submission_id, Submission.status == SubmissionStatus.ERROR,
                   Submission.attempts == attempts)
            .values(status=SubmissionStatus.QUEUED, lease_expires_at=resend_mark)
            .execution_options(synchronize_session=False)
        ).rowcount
        if changed:
            retried.append(submission_id)
            if regrading:
                regrades.add(submission_id)
    heads = _dispatchable_queued(now, window, fresh_queue=fresh_queue,
                                 sent_before=None if fresh_queue else _last_worker_death(now, window))
    forgotten = [submission_id for submission_id, _ in heads]
    regrades.update(submission_id for submission_id, regrading in heads if regrading)
    if forgotten:
        db.session.execute(
            update(Submission).where(Submission.id.in_(forgotten), Submission.status == SubmissionStatus.QUEUED)
            .values(lease_expires_at=resend_mark).execution_options(synchronize_session=False))
    db.session.commit()
    return SweepResult(requeued=sorted(set(expired + retried + forgotten)), abandoned=abandoned,
                       urgent=sorted(set(expired) - regrades), regrades=sorted(regrades))
