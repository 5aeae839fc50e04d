"""Per-student due dates (extensions and accommodations) and what they change in lateness."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import bindparam, select

from autograder.extensions import db
from autograder.models import CourseAssignment, Extension, Submission, SubmissionStatus, User
from autograder.services import courses, similarity
from autograder.services.errors import Forbidden, ServiceError


class ExtensionError(ServiceError):
    """The extension cannot be granted as asked."""


def extension_for(user: User, course_assignment: CourseAssignment) -> Extension | None:
    """Return the student's extension on this assignment, or None."""
    return db.session.scalar(_EXTENSION, {"student_id": user.id, "course_assignment_id": course_assignment.id})


# Built once: every submission reads it (its statement and cache key are not rebuilt each time).
_EXTENSION = select(Extension).where(
    Extension.user_id == bindparam("student_id"), Extension.course_assignment_id == bindparam("course_assignment_id"))


def due_for(user: User | None, course_assignment: CourseAssignment) -> datetime | None:
    """Return the student's own due date: their extension's, else the assignment's."""
    found = extension_for(user, course_assignment) if user is not None else None
    return found.due_at if found is not None else course_assignment.due_at


def extensions_of(course_assignment: CourseAssignment) -> dict[int, Extension]:
    """Return the assignment's extensions by student id."""
    return {row.user_id: row for row in db.session.scalars(
        select(Extension).where(Extension.course_assignment_id == course_assignment.id))}


def grant(staff: User, student: User, course_assignment: CourseAssignment, due_at: datetime | None,
          reason: str = "") -> Extension | None:
    """Give the student their own due date (None removes it), re-apply the late policy to their work; commit.

    Only the course's instructors grant extensions. Raises Forbidden, ExtensionError.
    """
    from autograder.services.grading import late_adjusted_score
    from autograder.services.submissions import lateness

    course = course_assignment.course
    if not courses.manages(staff, course) or not courses.studies(student, course):
        raise Forbidden("Only the course's instructors grant extensions, to its students.")
    found = extension_for(student, course_assignment)
    if due_at is None:
        if found is not None:
            db.session.delete(found)
    else:
        if due_at.tzinfo is None:
            due_at = due_at.replace(tzinfo=timezone.utc)
        if course_assignment.due_at is not None and due_at < course_assignment.due_at:
            raise ExtensionError("An extension ends after the assignment's own due date.")
        if found is None:
            found = Extension(user_id=student.id, course_assignment_id=course_assignment.id, due_at=due_at)
            db.session.add(found)
        found.due_at, found.reason, found.granted_by_id = due_at, reason.strip()[:200], staff.id
    db.session.flush()
    # Work already handed in is judged against the new date too.
    for submission in db.session.scalars(select(Submission).where(
            Submission.user_id == student.id, Submission.course_assignment_id == course_assignment.id)):
        raw_days = lateness(course_assignment, submission.created_at, student).days
        # Free late days it no longer needs are given back.
        submission.late_tokens = min(submission.late_tokens or 0, raw_days)
        submission.late_days = raw_days - submission.late_tokens
        if submission.status == SubmissionStatus.DONE and submission.score is not None:
            submission.final_score = late_adjusted_score(submission.score, submission.late_days, course_assignment)
    # Which of the student's submissions the similarity ranking shows (the best) may have changed.
    similarity.forget_students(course_assignment.id, [student.id])
    db.session.commit()
    return found if due_at is not None else None
