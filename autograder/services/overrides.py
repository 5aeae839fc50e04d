"""Manual scores: staff set a student's score for an assignment with a comment; every change is kept."""

from __future__ import annotations

import math

from sqlalchemy import select

from autograder.extensions import db
from autograder.models import CourseAssignment, ScoreOverride, User
from autograder.services import courses
from autograder.services.errors import Forbidden, ServiceError


class OverrideError(ServiceError):
    """The override cannot be made as asked."""


def history(user: User, course_assignment: CourseAssignment) -> list[ScoreOverride]:
    """Return every override of the student's score on this assignment, newest first (the audit trail)."""
    return list(db.session.scalars(
        select(ScoreOverride).where(ScoreOverride.user_id == user.id,
                                    ScoreOverride.course_assignment_id == course_assignment.id)
        .order_by(ScoreOverride.created_at.desc(), ScoreOverride.id.desc())))


def in_force(course_assignment: CourseAssignment) -> dict[int, ScoreOverride]:
    """Return the override in force per student id for an assignment (lifted ones left out), in one query."""
    newest: dict[int, ScoreOverride] = {}
    for row in db.session.scalars(
            select(ScoreOverride).where(ScoreOverride.course_assignment_id == course_assignment.id)
            .order_by(ScoreOverride.created_at, ScoreOverride.id)):
        newest[row.user_id] = row
    return {user_id: row for user_id, row in newest.items() if row.score is not None}


def set_override(staff: User, student: User, course_assignment: CourseAssignment, score: float | None,
                 comment: str, graded_score: float | None) -> ScoreOverride:
    """Record a manual score (None lifts the override) with its reason, and commit.

    ``graded_score`` is what grading gave the student, kept beside the override. Raises Forbidden
    (not staff of the course, or not its student) and OverrideError (no comment, score out of range).
    """
    course = course_assignment.course
    if not courses.teaches(staff, course) or not courses.studies(student, course):
        raise Forbidden("Only the course's staff can set the scores of its students.")
    comment = comment.strip()
    if not comment:
        raise OverrideError("Say why in the comment: it is kept with the score for the student's record.")
    if score is not None:
        top = course_assignment.assignment.max_score
        if not math.isfinite(score) or score < 0 or score > top:
            raise OverrideError(f"The score must be between 0 and {top:g}.")
    row = ScoreOverride(user_id=student.id, course_assignment_id=course_assignment.id, score=score,
                        comment=comment[:1000], previous_score=graded_score, set_by_id=staff.id)
    db.session.add(row)
    db.session.commit()
    return row
