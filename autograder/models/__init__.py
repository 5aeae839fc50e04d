"""Typed SQLAlchemy 2.0 models: data and small invariants only, no business logic."""

from autograder.models.course import (
    Course, CourseAssignment, CountedSubmission, Enrollment, Extension, ScoreOverride, TimeAccommodation, TimedStart,
)
from autograder.models.assignment import CatalogAssignment
from autograder.models.regrade import Regrade, RegradeEntry
from autograder.models.similarity import FingerprintHash, SimilarityPair, SubmissionFingerprint
from autograder.models.submission import CheckResult, Submission, SubmissionStatus
from autograder.models.user import Role, User
from autograder.models.worker import WorkerHeartbeat

__all__ = [
    "CatalogAssignment",
    "CheckResult",
    "Course",
    "CountedSubmission",
    "CourseAssignment",
    "Enrollment",
    "Extension",
    "FingerprintHash",
    "Regrade",
    "RegradeEntry",
    "Role",
    "ScoreOverride",
    "SimilarityPair",
    "Submission",
    "SubmissionFingerprint",
    "SubmissionStatus",
    "TimeAccommodation",
    "TimedStart",
    "User",
    "WorkerHeartbeat",
]
