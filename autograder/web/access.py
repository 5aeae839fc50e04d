"""Who may see what: loaders that answer 404 for anything outside the viewer's reach."""

from __future__ import annotations

from functools import wraps
from typing import Any, Callable, TypeVar

from flask import abort, g
from flask_login import current_user, login_required
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload, selectinload

from autograder.extensions import db
from autograder.models import Course, CourseAssignment, Submission
from autograder.services import courses
from autograder.services.errors import NotFound

View = TypeVar("View", bound=Callable[..., Any])


def is_staff_somewhere(user: Any) -> bool:
    """Tell whether the user may use the staff pages: an instructor account, or staff of some course."""
    return bool(getattr(user, "is_instructor", False) or courses.courses_taught_by(user))


def instructor_required(view: View) -> View:
    """Let through only signed-in staff (instructor accounts, or instructors and TAs of a course); 403 otherwise.

    Which course a staff member may see is checked per course (course_taught, course_managed).
    """
    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not is_staff_somewhere(current_user):
            abort(403)
        return view(*args, **kwargs)
    return wrapped  # type: ignore[return-value]


staff_required = instructor_required


def _visible_course(code: str, allowed: Any) -> Course:
    """Return the course if ``allowed(user, course)``; 404 otherwise (other courses stay invisible)."""
    try:
        course = courses.get_course(code)
    except NotFound:
        abort(404)
    if not allowed(current_user, course):
        abort(404)
    g.course_time_zone = course.time_zone  # dates on this page are shown in the course's zone
    return course


def course_taught(code: str) -> Course:
    """Return the course if the current user is its staff (instructor or TA); 404 otherwise."""
    return _visible_course(code, courses.teaches)


def course_assignment_taught(code: str, name: str) -> CourseAssignment:
    """Return assignment ``name`` of a course the current user is staff of; 404 otherwise."""
    try:
        return courses.course_assignment(course_taught(code), name)
    except NotFound:
        abort(404)


def course_managed(code: str) -> Course:
    """Return the course if the current user is its instructor; 404 if not staff, 403 for its TAs."""
    course = course_taught(code)
    if not courses.manages(current_user, course):
        abort(403)
    return course


def course_studied(code: str) -> Course:
    """Return the course if the current user is one of its students; 404 otherwise."""
    return _visible_course(code, courses.studies)


def can_view_submission(user: Any, submission: Submission) -> bool:
    """Tell whether the user owns the submission or teaches its course."""
    if not getattr(user, "is_authenticated", False):
        return False
    return submission.user_id == user.id or courses.teaches(user, submission.course_assignment.course)


# What a submission's page and JSON read: in two queries instead of one per relationship. A
# student's client asks for its submission every second until it is graded.
_SUBMISSION_VIEW = (
    joinedload(Submission.course_assignment).joinedload(CourseAssignment.assignment),
    joinedload(Submission.course_assignment).joinedload(CourseAssignment.course),
    selectinload(Submission.results),
)


def load_submission(submission_id: int) -> Submission | None:
    """The submission with its course assignment, course, catalog row and results, or None."""
    return db.session.scalars(_SUBMISSION_BY_ID, {"submission_id": submission_id}).unique().one_or_none()


# Built once: ``session.get`` with options built the query and its cache key (eager-load paths
# included) on every read.
_SUBMISSION_BY_ID = select(Submission).where(Submission.id == bindparam("submission_id")).options(*_SUBMISSION_VIEW)


def can_grade_submission(user: Any, submission: Submission) -> bool:
    """Tell whether the user is staff of the submission's own course and not its author.

    Staff of some other course are students here like any other; and no one grades, regrades
    or exports (hidden seed included) their own work.
    """
    if not getattr(user, "is_authenticated", False) or submission.user_id == user.id:
        return False
    return courses.teaches(user, submission.course_assignment.course)


def _submission_if(user: Any, submission_id: int, allowed: Callable[[Any, Submission], bool]) -> Submission:
    """Return the submission if ``allowed(user, submission)``; 404 otherwise (existence is not revealed)."""
    submission = load_submission(submission_id)
    if submission is None or not allowed(user, submission):
        abort(404)
    g.course_time_zone = submission.course_assignment.course.time_zone
    return submission


def submission_for(user: Any, submission_id: int) -> Submission:
    """Return the submission if ``user`` may view it (its author, or its course's staff); 404 otherwise."""
    return _submission_if(user, submission_id, can_view_submission)


def submission_graded_by(user: Any, submission_id: int) -> Submission:
    """Return the submission for a staff route (page, export, regrade) if ``user`` may grade it; 404 otherwise."""
    return _submission_if(user, submission_id, can_grade_submission)
