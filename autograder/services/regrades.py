"""Regrading: requeue submissions, remembering their scores to report how they moved."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select

from autograder import jobs
from autograder.extensions import db
from autograder.models import CourseAssignment, Regrade, RegradeEntry, Submission, SubmissionStatus, User
from autograder.services import similarity
from autograder.services.errors import ServiceError
from autograder.services.submissions import HELD, GradingUnavailable, release_regrade_heads

log = logging.getLogger(__name__)


class RegradeError(ServiceError):
    """The regrade cannot be started."""


@dataclass(frozen=True)
class ScoreMove:
    """One regraded submission: score before and after (None while it is still being graded)."""

    submission: Submission
    old: float | None
    new: float | None

    @property
    def pending(self) -> bool:
        return self.submission.status in (SubmissionStatus.QUEUED, SubmissionStatus.RUNNING)

    @property
    def delta(self) -> float | None:
        if self.pending or self.old is None or self.new is None:
            return None
        return self.new - self.old


@dataclass(frozen=True)
class RegradeReport:
    """How the scores of a regrade moved."""

    regrade: Regrade
    moves: list[ScoreMove]

    def count(self, kind: str) -> int:
        """Count moves that went "up", "down", stayed "same", or are "pending"."""
        def kind_of(move: ScoreMove) -> str:
            if move.delta is None:
                return "pending" if move.pending else "same"
            return "up" if move.delta > 1e-9 else "down" if move.delta < -1e-9 else "same"
        return sum(1 for move in self.moves if kind_of(move) == kind)


def _start(course_assignment: CourseAssignment, submissions: list[Submission], requested_by: User | None) -> Regrade:
    if not submissions:
        raise RegradeError("There is nothing to regrade.")
    busy = [s.id for s in submissions if s.status in (SubmissionStatus.QUEUED, SubmissionStatus.RUNNING)]
    if len(busy) == len(submissions):
        raise RegradeError("These submissions are being graded already.")
    regrade = Regrade(course_assignment=course_assignment, requested_by=requested_by,
                      assignment_version=course_assignment.assignment.version)
    db.session.add(regrade)
    students = set()
    for submission in submissions:
        if submission.id in busy:
            continue
        regrade.entries.append(RegradeEntry(
            submission=submission, old_score=submission.score, old_final_score=submission.final_score,
            old_assignment_version=submission.assignment_version))
        submission.status = SubmissionStatus.QUEUED
        # The regrade lane: after the student's own work, one at a time; the last score stays shown.
        submission.regrading = True
        submission.assignment_version = course_assignment.assignment.version
        submission.error_message = ""
        # A regrade is a fresh job: the grading service allows only a few attempts per job.
        submission.attempts = 0
        # Held: the head of each student's regrades is sent below, the next when it is graded.
        submission.lease_expires_at = HELD
        students.add(submission.user_id)
    # Their scores may change, and with them which submissions the similarity ranking shows.
    similarity.forget_students(course_assignment.id, {submission.user_id for submission in submissions})
    db.session.flush()
    heads = release_regrade_heads(students)
    db.session.commit()
    try:
        for submission_id in heads:
            jobs.enqueue_grading(submission_id, regrade=True)
    except jobs.QueueUnavailable as error:
        log.warning("regrade %s stored but not enqueued: %s", regrade.id, error)
        raise GradingUnavailable("The grading queue is unavailable; the regrade will resume when it is back.") from error
    return regrade


def regrade_submission(submission: Submission, requested_by: User | None = None) -> Regrade:
    """Requeue one submission for grading against the current assignment; commit; return the run."""
    return _start(submission.course_assignment, [submission], requested_by)


def regrade_assignment(course_assignment: CourseAssignment, requested_by: User | None = None,
                       only_outdated: bool = False) -> Regrade:
    """Requeue every submission of an assignment in a course (or those graded on an older version)."""
    submissions = list(db.session.scalars(
        select(Submission).where(Submission.course_assignment_id == course_assignment.id).order_by(Submission.id)
        # Fresh statuses: workers change these rows behind this session's back.
        .execution_options(populate_existing=True)))
    if only_outdated:
        submissions = [s for s in submissions if s.assignment_version != course_assignment.assignment.version]
    return _start(course_assignment, submissions, requested_by)


def regrade_report(regrade: Regrade) -> RegradeReport:
    """Return each submission's score before the regrade and now."""
    moves = [ScoreMove(entry.submission, entry.old_final_score,
                       entry.submission.final_score if entry.submission.status == SubmissionStatus.DONE else None)
             for entry in regrade.entries]
    return RegradeReport(regrade, moves)


MOVE_KINDS = ("all", "up", "down", "same", "pending")


@dataclass(frozen=True)
class MoveLine:
    """One row of a regrade report page (plain columns: no submission is loaded)."""

    submission_id: int
    email: str
    status: SubmissionStatus
    old: float | None
    new: float | None
    kind: str

    @property
    def delta(self) -> float | None:
        return None if self.kind == "pending" or self.old is None or self.new is None else self.new - self.old


def _move_kind():
    """Return the SQL expression of how an entry's score moved: "up", "down", "same" or "pending" (as ScoreMove says)."""
    from sqlalchemy import case

    pending = Submission.status.in_([SubmissionStatus.QUEUED, SubmissionStatus.RUNNING])
    unknown = (RegradeEntry.old_final_score.is_(None) | (Submission.status != SubmissionStatus.DONE)
               | Submission.final_score.is_(None))
    delta = Submission.final_score - RegradeEntry.old_final_score
    return case((pending, "pending"), (unknown, "same"), (delta > 1e-9, "up"), (delta < -1e-9, "down"),
                else_="same")


def regrade_report_page(regrade: Regrade, show: str = "all", offset: int = 0,
                        limit: int = 50) -> tuple[dict[str, int], list[MoveLine], int]:
    """Return how many scores of a regrade went each way, one page of its entries (``show``: one kind), and their count.

    Counted and paged in SQL: a regrade of a whole assignment can hold tens of thousands of entries.
    """
    from sqlalchemy import case, func

    kind = _move_kind()
    counts = dict.fromkeys(MOVE_KINDS[1:], 0)
    for name, count in db.session.execute(
            select(kind, func.count()).select_from(RegradeEntry)
            .join(Submission, RegradeEntry.submission_id == Submission.id)
            .where(RegradeEntry.regrade_id == regrade.id).group_by(kind)):
        counts[name] = count
    total = sum(counts.values()) if show not in counts else counts[show]
    new = case((Submission.status == SubmissionStatus.DONE, Submission.final_score))
    rows = db.session.execute(
        select(RegradeEntry.submission_id, User.email, Submission.status, RegradeEntry.old_final_score, new, kind)
        .join(Submission, RegradeEntry.submission_id == Submission.id).join(User, Submission.user_id == User.id)
        .where(RegradeEntry.regrade_id == regrade.id, *([kind == show] if show in counts else []))
        .order_by(RegradeEntry.submission_id).offset(offset).limit(limit))
    return counts, [MoveLine(*row) for row in rows], total


def regrades_of(course_assignment: CourseAssignment, limit: int | None = None) -> list[tuple[Regrade, int]]:
    """Return the regrade runs of an assignment in a course, newest first, each with its number of submissions.

    The entries are counted in SQL, not loaded: a run can hold every submission of the class.
    """
    from sqlalchemy import func

    entries = (select(RegradeEntry.regrade_id, func.count().label("count")).group_by(RegradeEntry.regrade_id)
               .subquery())
    query = (select(Regrade, func.coalesce(entries.c.count, 0)).outerjoin(entries, entries.c.regrade_id == Regrade.id)
             .where(Regrade.course_assignment_id == course_assignment.id).order_by(Regrade.id.desc()))
    return [(run, count) for run, count in db.session.execute(query.limit(limit) if limit else query)]


def regrade_student(course_assignment: CourseAssignment, student: User, requested_by: User | None = None) -> Regrade:
    """Requeue every submission of one student to one assignment; commit; return the run."""
    submissions = list(db.session.scalars(
        select(Submission).where(Submission.course_assignment_id == course_assignment.id,
                                 Submission.user_id == student.id).order_by(Submission.id)
        .execution_options(populate_existing=True)))
    return _start(course_assignment, submissions, requested_by)
