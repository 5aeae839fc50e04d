"""Typed SQLAlchemy 2.0 models: data and small invariants only, no business logic."""

from autograder.models.course import Course, CourseAssignment, CountedSubmission, Enrollment, Extension, ScoreOverride
from autograder.models.assignment import Assignment
from autograder.models.regrade import Regrade, RegradeEntry
from autograder.models.submission import CheckResult, Submission, SubmissionStatus
from autograder.models.user import Role, User

__all__ = [
    "Assignment",
    "CheckResult",
    "Course",
    "CountedSubmission",
    "CourseAssignment",
    "Enrollment",
    "Extension",
    "Regrade",
    "RegradeEntry",
    "Role",
    "ScoreOverride",
    "Submission",
    "SubmissionStatus",
    "User",
]
