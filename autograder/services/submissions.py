"""Submissions: accepting a student's file and handing it to the grading queue."""

from __future__ import annotations

import hashlib
import logging
import math
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from flask import current_app
from sqlalchemy import bindparam, func, inspect, select, update
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import set_committed_value

from autograder import jobs
from autograder.extensions import db
from autograder.grading.assignment import AssignmentError
from autograder.grading.notebook import NOTEBOOK_SUFFIX, NotebookRejected, is_notebook, stored_notebook
from autograder.models import CourseAssignment, Enrollment, Role, Submission, SubmissionStatus, User
from autograder.models._time import utcnow
from autograder.models.course import LatePolicy
from autograder.services import confirmation_rule, courses, late_days, time_limits
from autograder.services.lanes import PENDING, ahead_in_line
from autograder.services.errors import Forbidden, ServiceError
from autograder.services import grading_statements as statements
from autograder.services.grading import engine_assignment, resend_window

log = logging.getLogger(__name__)


class SubmissionRejected(ServiceError):
    """The file cannot be accepted (not text, too large, past the cut-off, ...)."""


class CooldownActive(SubmissionRejected):
    """The student submitted too recently; ``retry_after`` seconds remain."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"Please wait {retry_after} more second{'s' if retry_after != 1 else ''} before submitting again: "
            "each submission is graded in full, so we space them out."
        )
        self.retry_after = retry_after


class GradingUnavailable(ServiceError):
    """The grading queue did not take the submission: the caller should try again later."""


@dataclass(frozen=True)
class Lateness:
    """How late a moment is for an assignment: whole started days, and whether it is still accepted."""

    days: int
    accepted: bool


def lateness(course_assignment: CourseAssignment, moment: datetime, user: User | None = None) -> Lateness:
    """Return how many started days after the due date ``moment`` is, and whether the policy accepts it.

    With ``user``, their own due date counts (an extension), if they have one.
    """
    from autograder.services.deadline_extensions import due_for

    due = due_for(user, course_assignment)
    if due is None or moment <= due:
        return Lateness(0, True)
    days = math.ceil((moment - due) / timedelta(days=1))
    if course_assignment.late_policy == LatePolicy.CUTOFF:
        accepted = moment <= due + timedelta(days=course_assignment.cutoff_days)
        return Lateness(days, accepted)
    return Lateness(days, True)


def is_released(course_assignment: CourseAssignment, now: datetime) -> bool:
    """Tell whether students see the assignment yet (its release date has come, or it has none)."""
    release = course_assignment.release_at
    return release is None or now >= release


class PreviousStillGrading(CooldownActive):
    """The student's previous submission to this assignment is not graded yet."""

    def __init__(self, retry_after: int) -> None:
        ServiceError.__init__(
            self,
            "Your previous submission to this assignment is still being graded: please wait for its result "
            f"(and {retry_after} second{'s' if retry_after != 1 else ''} after it) before submitting again.",
        )
        self.retry_after = retry_after


# lease_expires_at of a queued submission held back behind its student's earlier one (never sent yet).
HELD = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _cooldown(user: User, course_assignment: CourseAssignment, now: datetime) -> tuple[int, bool]:
    """Return (seconds the cooldown still forbids a submission, whether the previous one is still pending).

    Regrades count for nothing here: one pending is not the student's, and one finished does not
    restart their cooldown (it counts from cooldown_from, which a regrade never moves).
    """
    cooldown = int(current_app.config.get("SUBMISSION_COOLDOWN_SECONDS", 0))
    if cooldown <= 0:
        return 0, False
    mine = {"student_id": user.id, "course_assignment_id": course_assignment.id}
    if db.session.scalar(_OWN_PENDING, mine) is not None:
        return cooldown, True  # at least: the cooldown starts when its grading ends
    last = db.session.scalar(_LAST_COOLDOWN_FROM, mine)
    if last is None:
        return 0, False
    remaining = (last + timedelta(seconds=cooldown) - now).total_seconds()
    # ``now`` may be read a moment before a grading that ends meanwhile stores cooldown_from: never
    # more than the cooldown itself (Retry-After 61 for a 60 s cooldown).
    return min(cooldown, max(0, math.ceil(remaining))), False


# Built once (every submission reads them when a cooldown is set): parameters student_id, course_assignment_id.
_MINE = (Submission.user_id == bindparam("student_id")) & (
    Submission.course_assignment_id == bindparam("course_assignment_id"))
_OWN_PENDING = select(Submission.id).where(_MINE, Submission.status.in_(PENDING), ~Submission.regrading).limit(1)
_LAST_COOLDOWN_FROM = select(func.max(Submission.cooldown_from)).where(_MINE)


def seconds_until_next_submission(user: User, course_assignment: CourseAssignment, now: datetime) -> int:
    """Return the seconds the cooldown still forbids a new submission (0 when allowed).

    The cooldown counts from the END of the grading of the student's previous submission to the
    assignment, so a slow or queued grading does not shorten it; while that submission is still
    queued or running, the answer is the whole cooldown.
    """
    return _cooldown(user, course_assignment, now)[0]


def _waits_behind_earlier(submission: Submission) -> bool:
    """True when the same student has an earlier submission of their own still queued or running (any assignment).

    A regrade of their work never holds it: regrades wait behind the student's own work, not in front.
    """
    return db.session.connection().execute(
        _EARLIER_OWN_PENDING, {"student_id": submission.user_id, "submission_id": submission.id}
    ).first() is not None


# Built once, as the worker's statements are (services/grading_statements.py): ~0.2 ms of CPU each.
_EARLIER_OWN_PENDING = (
    select(Submission.id)
    .where(Submission.user_id == bindparam("student_id"), Submission.id < bindparam("submission_id"),
           Submission.status.in_(PENDING), ~Submission.regrading)
    .limit(1)
)


def dispatch_next_of(user_id: int) -> int | None:
    """Enqueue the head of the student's line if it was held back: their next own submission, else a regrade.

    Fair queueing: each student has at most one submission of their own in the grading queue, so
    one student's burst waits behind their own submissions, never in front of another student's;
    their regrades wait behind all of it (services/lanes.py). Returns the id sent, or None. Raises
    QueueUnavailable when the queue refuses it (the sweeper sends it later).
    """
    released = release_next_of(user_id)
    db.session.commit()
    if released is not None:
        jobs.enqueue_grading(released.submission_id, regrade=released.regrade)
    return released.submission_id if released is not None else None


@dataclass(frozen=True)
class Released:
    """A held submission marked as sent: the caller enqueues it, in the regrade lane if ``regrade``."""

    submission_id: int
    regrade: bool


def release_next_of(user_id: int) -> Released | None:
    """Mark the student's head of line as sent, if it is a held submission; return it, or None.

    The head is their oldest own submission queued or running, or, when they have none, their
    oldest regrade. One statement, inside the caller's transaction (the worker runs it in the one
    that stores the previous grade): the caller commits, then enqueues what is returned.
    """
    # Only a held row is sent here: one already in the queue is not sent twice (should the sweeper
    # send this one at the same moment, the duplicate is harmless: the claim lets one worker through).
    row = db.session.connection().execute(
        statements.RELEASE_NEXT, {"student_id": user_id, "held": HELD, "resend_until": utcnow() + resend_window()}
    ).one_or_none()
    return Released(row[0], bool(row[1])) if row is not None else None


def release_regrade_heads(student_ids: set[int]) -> list[int]:
    """Mark as sent each held regrade that heads its student's line, for these students; return their ids.

    A regrade heads the line when the student has nothing of their own queued or running and no
    older regrade pending: one per student, the rest wait for it. Inside the caller's transaction:
    the caller commits, then enqueues the ids in the regrade lane.
    """
    if not student_ids:
        return []
    earlier = aliased(Submission)
    return list(db.session.scalars(
        update(Submission)
        .where(
            Submission.user_id.in_(student_ids),
            Submission.regrading,
            Submission.status == SubmissionStatus.QUEUED,
            Submission.lease_expires_at == HELD,
            ~select(earlier.id).where(ahead_in_line(earlier, Submission)).exists(),
        )
        .values(lease_expires_at=utcnow() + resend_window())
        .returning(Submission.id)
        .execution_options(synchronize_session=False)
    ))


def _decode_source(data: bytes, limit: int) -> str:
    if len(data) > limit:
        raise SubmissionRejected(f"The file has {len(data):,} bytes; the limit is {limit:,} bytes.")
    if not data.strip():
        raise SubmissionRejected("The file is empty.")
    if b"\x00" in data:
        raise SubmissionRejected("This is not a Python source file (it contains NUL bytes).")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SubmissionRejected(f"The file is not UTF-8 text (byte {error.start} cannot be read).") from None


def _stored_filename(filename: str, default: str) -> str:
    """Return the upload's name without its folders, control or format characters, or ``default`` if nothing is left.

    PostgreSQL refuses NUL in text, and the name is shown on pages and written into zip entries.
    Format characters (bidi overrides and isolates, zero-width ones) are dropped as in people's
    names: after the name on the staff pages, an override turned the submission time around.
    """
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    return ("".join(char for char in name if unicodedata.category(char) not in _UNSHOWN) or default)[:255]


_UNSHOWN = {"Cc", "Cf", "Zl", "Zp"}  # controls, format characters, line and paragraph separators


@dataclass(frozen=True)
class Upload:
    """A student's file as it is stored: its name, and its text (a notebook as JSON without outputs)."""

    filename: str
    source: str


def read_upload(course_assignment: CourseAssignment, filename: str, data: bytes) -> Upload:
    """Return a student's file as it would be stored, held to the assignment's size limit.

    Nothing here parses the code, and the limit is checked before anything else may: uploads can
    be 41 MiB (notebooks with images), and parsing megabytes of Python takes gigabytes of memory
    and seconds under the parse lock that grading threads share. Raises SubmissionRejected (too
    large, empty, not UTF-8 text, not a notebook, or the assignment cannot be graded now).
    """
    assignment = course_assignment.assignment
    try:
        limit = engine_assignment(assignment.name, assignment.version).spec.max_file_bytes
    except AssignmentError:
        raise SubmissionRejected(f"{assignment.name} is not available for grading right now.") from None
    filename = _stored_filename(filename, assignment.filename)
    if not is_notebook(filename, data):
        return Upload(filename, _decode_source(data, limit))
    # Stored without its outputs: a notebook with large images is accepted, its code is what counts.
    try:
        source = stored_notebook(data, filename, limit)
    except NotebookRejected as error:
        raise SubmissionRejected(str(error)) from None
    if not filename.lower().endswith(NOTEBOOK_SUFFIX):  # a notebook saved under another name
        filename = f"{filename.rsplit('.', 1)[0]}{NOTEBOOK_SUFFIX}"
    return Upload(filename, source)


def _hold_enrolment(user: User, course_assignment: CourseAssignment) -> None:
    """Start this transaction with a write to the student's enrolment row; raise Forbidden if it is gone.

    What the checks before the INSERT read (the cooldown, a submission still grading, the late-day
    tokens spent in the course) is what a simultaneous submission of the same student adds, from
    another tab, the API, another process or another machine: each must see the other's row, so
    the student's submissions to a course are made one at a time, until the commit. An UPDATE does
    it on both databases: PostgreSQL locks the row (the next one waits here, then, at READ
    COMMITTED, reads what this one committed); SQLite has no row locks and ignores FOR UPDATE, and
    a deferred transaction takes the database's write lock only at its first write — so the write
    comes first, and nothing is read before the lock is held.
    """
    held = db.session.connection().execute(
        _HOLD_ENROLMENT, {"student_id": user.id, "course": course_assignment.course_id}
    ).rowcount
    if not held:
        raise Forbidden("Only students of this course can submit to it.")


_HOLD_ENROLMENT = (
    update(Enrollment)
    .where(Enrollment.user_id == bindparam("student_id"), Enrollment.course_id == bindparam("course"),
           Enrollment.role == Role.STUDENT)
    .values(role=Enrollment.role)
)


def _accepted_late_plan(user: User, course_assignment: CourseAssignment, now: datetime) -> late_days.LatePlan:
    """Return how late a submission made now counts; raise if the deadline or the cooldown refuses it.

    Reads what the student's other submissions left: call it with their enrolment held.
    """
    raw = lateness(course_assignment, now, user)
    late = late_days.plan(user, course_assignment, raw.days, raw.accepted)
    if not late.accepted:
        raise SubmissionRejected("The deadline and its grace period have passed: submissions are closed.")
    wait, pending = _cooldown(user, course_assignment, now)
    if pending:
        raise PreviousStillGrading(wait)
    if wait:
        raise CooldownActive(wait)
    return late


def create_submission(user: User, course_assignment: CourseAssignment, filename: str, data: bytes,
                      now: datetime | None = None, upload: Upload | None = None,
                      student_checked: bool = False) -> Submission:
    """Store a student's file (with its sha256), commit it, then enqueue its grading.

    ``upload``: what read_upload made of ``filename`` and ``data``, when the caller read it already.
    ``student_checked``: the caller read, in this request, that ``user`` is a student of the course
    (the API's choice of course, the page's course_studied), so it is not read again before the
    file; the enrolment is checked again in any case, under lock, before anything is stored.

    Returns the queued Submission. Raises EmailNotConfirmed (confirmation_rule: before the file is
    read), Forbidden (not a student of the course), CooldownActive, SubmissionRejected, TimeLimitError (a timed assignment not started, or the
    student's time is up), or GradingUnavailable when the queue refused it.
    """
    now = now or utcnow()
    confirmation_rule.check(user, confirmation_rule.Action.SUBMIT)
    if not student_checked and not courses.studies(user, course_assignment.course):
        raise Forbidden("Only students of this course can submit to it.")
    assignment = course_assignment.assignment
    upload = upload or read_upload(course_assignment, filename, data)
    if not is_released(course_assignment, now):
        raise SubmissionRejected("This assignment is not open for submissions yet.")
    time_limits.check_can_submit(user, course_assignment, now)
    try:
        _hold_enrolment(user, course_assignment)
        late = _accepted_late_plan(user, course_assignment, now)
    except ServiceError:
        db.session.rollback()  # let the student's next submission (and, on SQLite, every writer) go now
        raise
    submission = Submission(
        user=user,
        course_assignment=course_assignment,
        filename=upload.filename,
        source=upload.source,
        sha256=hashlib.sha256(data).hexdigest(),
        status=SubmissionStatus.QUEUED,
        late_days=late.late_days,
        late_tokens=late.tokens,
        assignment_version=assignment.version,
        created_at=now,
    )
    db.session.add(submission)
    db.session.flush()
    held = _waits_behind_earlier(submission)
    if held:
        # Fair queueing: sent when the student's earlier one is graded (dispatch_next_of), or by the
        # sweeper once nothing of theirs is ahead of it (should that one finish before this commit).
        submission.lease_expires_at = HELD
    # Committed before enqueueing: whatever happens to the queue, the file is not lost.
    _commit_keeping(submission)
    if held:
        log.info("submission %s waits behind an earlier submission of its student", submission.id,
                 extra={"submission_id": submission.id})
        return submission
    try:
        jobs.enqueue_grading(submission.id)
    except jobs.QueueUnavailable as error:
        # The row stays queued and the sweeper grades it once the queue is back.
        log.warning("submission %s stored but not enqueued: %s", submission.id, error,
                    extra={"submission_id": submission.id})
        raise GradingUnavailable(
            "The grader is not taking new work right now. Your file was saved and will be graded "
            "when it is back; you may also try again in a minute."
        ) from error
    return submission


def _commit_keeping(submission: Submission) -> None:
    """Commit, keeping the column values of ``submission`` as they were written.

    Expire-on-commit would otherwise read the whole row back (the file's text with it) at the
    first look at ``submission.id`` for the queue and the response. They are the values this
    transaction stored; as before, a worker may have claimed the row by the time they are shown.
    """
    written = {key: submission.__dict__[key] for key in _COLUMN_KEYS if key in submission.__dict__}
    db.session.commit()
    for key, value in written.items():
        set_committed_value(submission, key, value)


_COLUMN_KEYS = tuple(column.key for column in inspect(Submission).column_attrs)


def submissions_of(user: User, course_assignment: CourseAssignment) -> list[Submission]:
    """Return the user's submissions to this assignment, newest first."""
    return list(db.session.scalars(
        select(Submission)
        .where(Submission.user_id == user.id, Submission.course_assignment_id == course_assignment.id)
        .order_by(Submission.created_at.desc(), Submission.id.desc())
    ))


def shows_last_score(submission: Submission) -> bool:
    """True for a submission being regraded that keeps showing the score of its last grading meanwhile."""
    return submission.regrading and submission.status in PENDING and submission.final_score is not None


def best_submission(user: User, course_assignment: CourseAssignment) -> Submission | None:
    """Return the user's graded submission with the highest final score (latest on ties), or None.

    One being regraded counts with its last score until the regrade stores the new one.
    """
    graded = [s for s in submissions_of(user, course_assignment)
              if (s.status == SubmissionStatus.DONE and s.final_score is not None) or shows_last_score(s)]
    return max(graded, key=lambda s: (s.final_score, s.created_at), default=None)
