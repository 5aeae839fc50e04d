"""Courses: creating them, enrolment by join code or roster, deadlines and late policies."""

from __future__ import annotations

import csv
import io
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import select

from autograder.extensions import db
from autograder.models import Assignment, Course, CourseAssignment, Enrollment, Role, User
from autograder.models.course import LatePolicy
from autograder.services import accounts
from autograder.services.errors import NotFound, ServiceError

_CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
# Unambiguous characters only: join codes are read aloud and typed from slides.
_JOIN_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class CourseError(ServiceError):
    """The course operation cannot be done as asked."""


@dataclass
class RosterImport:
    """What a roster import did: accounts created (with their first password), enrolments, problems."""

    created: list[tuple[str, str]] = field(default_factory=list)
    enrolled: list[str] = field(default_factory=list)
    already_enrolled: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _new_join_code() -> str:
    return "".join(secrets.choice(_JOIN_ALPHABET) for _ in range(8))


def get_course(code: str) -> Course:
    """Return the course with this code; raise NotFound."""
    course = db.session.scalar(select(Course).where(Course.code == code))
    if course is None:
        raise NotFound(f"No course {code!r}.")
    return course


def create_course(code: str, title: str = "", join_code: str | None = None) -> Course:
    """Create a course setting every synced assignment, commit, and return it."""
    code = code.strip()
    if not _CODE_PATTERN.match(code):
        raise CourseError("A course code is 1-40 letters, digits, '.', '_' or '-'.")
    if db.session.scalar(select(Course).where(Course.code == code)) is not None:
        raise CourseError(f"Course {code} already exists.")
    course = Course(code=code, title=title.strip() or code, join_code=(join_code or _new_join_code()).upper())
    db.session.add(course)
    for assignment in db.session.scalars(select(Assignment).order_by(Assignment.id)):
        course.course_assignments.append(CourseAssignment(assignment=assignment))
    db.session.commit()
    return course


def enrolment(user: User, course: Course) -> Enrollment | None:
    """Return the user's enrolment in the course, or None."""
    return db.session.scalar(
        select(Enrollment).where(Enrollment.user_id == user.id, Enrollment.course_id == course.id)
    )


def _enroll(user: User, course: Course, role: Role) -> tuple[Enrollment, bool]:
    existing = enrolment(user, course)
    if existing is not None:
        return existing, False
    enrollment = Enrollment(user=user, course=course, role=role)
    db.session.add(enrollment)
    return enrollment, True


def enroll(user: User, course: Course, role: Role | None = None) -> Enrollment:
    """Enrol the user in the course with their own role (or ``role``), commit; idempotent."""
    enrollment, _ = _enroll(user, course, role or user.role)
    db.session.commit()
    return enrollment


def join_course(user: User, join_code: str) -> Course:
    """Enrol a student in the course with this join code and commit; raise CourseError if unknown."""
    code = join_code.strip().upper()
    course = db.session.scalar(select(Course).where(Course.join_code == code)) if code else None
    if course is None:
        raise CourseError("No course has this join code. Check it with your instructor.")
    if enrolment(user, course) is not None:
        raise CourseError(f"You are already in {course.code}.")
    _enroll(user, course, Role.STUDENT)
    db.session.commit()
    return course


def import_roster(course: Course, csv_text: str) -> RosterImport:
    """Enrol every student of a CSV roster (columns email[, name][, password]), creating accounts.

    Accounts created without a password column get a random one, returned once in ``created``.
    Commits once at the end; rows with problems are reported in ``errors`` and skipped.
    """
    result = RosterImport()
    reader = csv.reader(io.StringIO(csv_text.lstrip("\ufeff")))
    for line_number, row in enumerate(reader, start=1):
        cells = [cell.strip() for cell in row]
        if not cells or not any(cells):
            continue
        if line_number == 1 and cells[0].lower() in {"email", "e-mail", "mail"}:
            continue
        email = accounts.normalise_email(cells[0])
        name = cells[1] if len(cells) > 1 else ""
        password = cells[2] if len(cells) > 2 and cells[2] else ""
        user = accounts.find_user(email)
        if user is None:
            first_password = password or secrets.token_urlsafe(9)
            try:
                user = accounts.new_user(email, Role.STUDENT, name, first_password)
            except accounts.AccountError as error:
                result.errors.append(f"line {line_number}: {cells[0]!r}: {error}")
                continue
            result.created.append((user.email, "" if password else first_password))
        if user.role == Role.INSTRUCTOR:
            result.errors.append(f"line {line_number}: {email} is an instructor account; not enrolled")
            continue
        _, added = _enroll(user, course, Role.STUDENT)
        (result.enrolled if added else result.already_enrolled).append(email)
    db.session.commit()
    return result


def courses_taught_by(user: User) -> list[Course]:
    """Return the courses the user teaches, by code."""
    return list(db.session.scalars(
        select(Course).join(Enrollment).where(Enrollment.user_id == user.id, Enrollment.role == Role.INSTRUCTOR)
        .order_by(Course.code)
    ))


def courses_studied_by(user: User) -> list[Course]:
    """Return the courses the user is a student of, by code."""
    return list(db.session.scalars(
        select(Course).join(Enrollment).where(Enrollment.user_id == user.id, Enrollment.role == Role.STUDENT)
        .order_by(Course.code)
    ))


def teaches(user: User, course: Course) -> bool:
    """Tell whether the user is an instructor of this course."""
    found = enrolment(user, course)
    return user.is_instructor and found is not None and found.role == Role.INSTRUCTOR


def studies(user: User, course: Course) -> bool:
    """Tell whether the user is a student of this course."""
    found = enrolment(user, course)
    return found is not None and found.role == Role.STUDENT


def students_of(course: Course) -> list[User]:
    """Return the course's students ordered by e-mail."""
    return list(db.session.scalars(
        select(User).join(Enrollment).where(Enrollment.course_id == course.id, Enrollment.role == Role.STUDENT)
        .order_by(User.email)
    ))


def course_assignment(course: Course, assignment_name: str) -> CourseAssignment:
    """Return the course's setting of the named assignment; raise NotFound."""
    found = db.session.scalar(
        select(CourseAssignment).join(Assignment)
        .where(CourseAssignment.course_id == course.id, Assignment.name == assignment_name)
    )
    if found is None:
        raise NotFound(f"{course.code} sets no assignment {assignment_name!r}.")
    return found


def set_deadline(course_assignment: CourseAssignment, due_at: datetime | None, late_policy: LatePolicy,
                 penalty_per_day: float = 0.1, cutoff_days: int = 0) -> CourseAssignment:
    """Set the due date and late policy of an assignment in a course and commit."""
    if not 0.0 <= penalty_per_day <= 1.0:
        raise CourseError("The penalty per day is a fraction between 0 and 1.")
    if cutoff_days < 0:
        raise CourseError("The cut-off cannot be before the due date.")
    if due_at is not None and due_at.tzinfo is None:
        due_at = due_at.replace(tzinfo=timezone.utc)
    course_assignment.due_at = due_at
    course_assignment.late_policy = late_policy
    course_assignment.penalty_per_day = penalty_per_day
    course_assignment.cutoff_days = cutoff_days
    db.session.commit()
    return course_assignment
