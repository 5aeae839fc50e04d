"""The demo course: an instructor, a few students and graded submissions to look at."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from autograder.extensions import db
from autograder.grading.assignment import AssignmentError, find_assignment
from autograder.models import Course, Role, Submission, SubmissionStatus, User
from autograder.models._time import utcnow
from autograder.services import accounts, catalog, courses
from autograder.services.errors import ServiceError

DEMO_COURSE = "DL101"
DEMO_JOIN_CODE = "DEMO2026"
INSTRUCTOR = ("instructor@example.edu", "instructor-demo", "Dr. Demo Instructor")
STUDENTS = (
    ("ada@example.edu", "student-demo", "Ada Lovelace"),
    ("alan@example.edu", "student-demo", "Alan Turing"),
    ("grace@example.edu", "student-demo", "Grace Hopper"),
)


class DemoRefused(ServiceError):
    """The database holds more than the demo: its public passwords must not reach real courses."""


def demo_refusal() -> str | None:
    """Return why the demo may not load into this database, or None: it loads into an empty one, or its own.

    Its accounts have published passwords and one is an instructor: loaded beside real courses it
    would be a way in (or make an instructor of an account someone registered under a demo address).
    """
    other_course = db.session.scalar(select(Course.code).where(Course.code != DEMO_COURSE).limit(1))
    if other_course is not None:
        return f"the database already holds the course {other_course}"
    published = {email: password for email, password, _ in (INSTRUCTOR, *STUDENTS)}
    for user in db.session.scalars(select(User).limit(len(published) + 1)):
        if user.email not in published or accounts.authenticate(user.email, published[user.email]) is None:
            return f"the database already holds the account {user.email}"
    return None


@dataclass
class DemoResult:
    """What the demo loader made: the course, the accounts (e-mail, password) and new submissions."""

    course: Course
    accounts: list[tuple[str, str, str]] = field(default_factory=list)
    new_submission_ids: list[int] = field(default_factory=list)


def _user(email: str, password: str, name: str, role: Role):
    user = accounts.find_user(email)
    if user is None:
        user = accounts.create_user(email, password, role, name)
        # Made-up addresses nobody reads: confirmed, so the demo works alike on a site with mail.
        accounts.mark_email_confirmed(user)
    return user


DEMO_FILES = Path(__file__).with_name("demo_files")
# Classic slips applied to the demo student's own file: (old text, new text).
DEMO_SLIPS = (
    ("return np.mean((y_pred - y_true) ** 2)", "return np.sum((y_pred - y_true) ** 2)"),
    ("return np.mean((y_pred - y_true) ** 2)", "return np.mean(np.abs(y_pred - y_true))"),
)


def _demo_files(assignment_name: str) -> list[tuple[str, str]]:
    """Return (student e-mail, source) pairs: a correct file, two classic slips, and the starter.

    The files are a demo student's own (demo_files/), never the reference: the demo accounts'
    passwords are public.
    """
    engine_assignment = find_assignment(assignment_name)
    path = DEMO_FILES / engine_assignment.file
    if not path.is_file():
        raise AssignmentError(f"the demo has no student file for {assignment_name}")
    correct = path.read_text(encoding="utf-8")
    files = [(STUDENTS[0][0], correct)]
    for student, (old, new) in zip(STUDENTS[1:], DEMO_SLIPS):
        files.append((student[0], correct.replace(old, new, 1)))
    files.append((STUDENTS[2][0], engine_assignment.starter))
    return files


def load_demo(assignment_name: str = "losses") -> DemoResult:
    """Create the demo course and accounts, and queue a few submissions (idempotent); commit.

    Returns the course, the accounts with their passwords, and the ids of submissions created
    now (empty when the demo was already loaded); the caller grades them. Raises DemoRefused
    where the database holds anything else (demo_refusal).
    """
    refusal = demo_refusal()
    if refusal is not None:
        raise DemoRefused(f"{refusal}: the demo course, whose passwords are public, loads only into an empty "
                          "database or one holding only the demo.")
    catalog.sync_assignments()
    instructor = _user(*INSTRUCTOR, Role.INSTRUCTOR)
    course = db.session.scalar(select(Course).where(Course.code == DEMO_COURSE))
    if course is None:
        course = courses.create_course(DEMO_COURSE, "Deep-learning fundamentals (demo)", DEMO_JOIN_CODE,
                                       published_join_code=True)  # in the README, like the passwords
    courses.enroll(instructor, course, Role.INSTRUCTOR)
    students = {}
    for email, password, name in STUDENTS:
        students[email] = _user(email, password, name, Role.STUDENT)
        courses.enroll(students[email], course, Role.STUDENT)
    result = DemoResult(course, [(INSTRUCTOR[0], INSTRUCTOR[1], "instructor")]
                        + [(email, password, "student") for email, password, _ in STUDENTS])
    try:
        ca = courses.course_assignment(course, assignment_name)
        files = _demo_files(assignment_name)
    except (AssignmentError, LookupError):
        return result
    if ca.due_at is None:
        courses.set_deadline(ca, utcnow() + timedelta(days=7), ca.late_policy, ca.penalty_per_day, ca.cutoff_days)
    already = db.session.scalar(select(Submission.id).where(Submission.course_assignment_id == ca.id).limit(1))
    if already is not None:
        return result
    now = utcnow()
    for index, (email, source) in enumerate(files):
        submission = Submission(
            user=students[email], course_assignment=ca, filename=ca.assignment.filename, source=source,
            sha256=hashlib.sha256(source.encode("utf-8")).hexdigest(), status=SubmissionStatus.QUEUED,
            assignment_version=ca.assignment.version,
            # Spread over the past days so the dashboard's timeline has a shape.
            created_at=now - timedelta(days=len(files) - index, hours=index),
        )
        db.session.add(submission)
        db.session.flush()
        result.new_submission_ids.append(submission.id)
    db.session.commit()
    return result
