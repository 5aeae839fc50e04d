"""Regrading: requeue submissions, remembering their scores to report how they moved."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select

from autograder import jobs
from autograder.extensions import db
from autograder.models import CourseAssignment, Regrade, RegradeEntry, Submission, SubmissionStatus, User
from autograder.services.errors import ServiceError
from autograder.services.submissions import GradingUnavailable

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
    queued = []
    for submission in submissions:
        if submission.id in busy:
            continue
        regrade.entries.append(RegradeEntry(
            submission=submission, old_score=submission.score, old_final_score=submission.final_score,
            old_assignment_version=submission.assignment_version))
        submission.status = SubmissionStatus.QUEUED
        submission.assignment_version = course_assignment.assignment.version
        submission.error_message = ""
        # A regrade is a fresh job: the grading service allows only a few attempts per job.
        submission.attempts = 0
        submission.lease_expires_at = None
        queued.append(submission.id)
    db.session.commit()
    try:
        for submission_id in queued:
            jobs.enqueue_grading(submission_id)
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


def regrades_of(course_assignment: CourseAssignment) -> list[Regrade]:
    """Return the regrade runs of an assignment in a course, newest first."""
    return list(db.session.scalars(
        select(Regrade).where(Regrade.course_assignment_id == course_assignment.id).order_by(Regrade.id.desc())))


def regrade_student(course_assignment: CourseAssignment, student: User, requested_by: User | None = None) -> Regrade:
    """Requeue every submission of one student to one assignment; commit; return the run."""
    submissions = list(db.session.scalars(
        select(Submission).where(Submission.course_assignment_id == course_assignment.id,
                                 Submission.user_id == student.id).order_by(Submission.id)
        .execution_options(populate_existing=True)))
    return _start(course_assignment, submissions, requested_by)
