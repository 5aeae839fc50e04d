"""Courses, who is in them, and which assignments they set with what deadline."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Enum, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from autograder.extensions import db
from autograder.models._time import UtcDateTime, utcnow
from autograder.models.assignment import CatalogAssignment
from autograder.models.user import Role

if TYPE_CHECKING:
    from autograder.models.submission import Submission
    from autograder.models.user import User


class Course(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True, index=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    # Students join with this code.
    join_code: Mapped[str] = mapped_column(String(40), unique=True)
    # IANA zone the course's dates are shown and entered in (e.g. "Europe/Paris").
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    # Free late days each student may spend over the whole course (late-day tokens).
    late_day_tokens: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The seed of the course's hidden cases; None: the site's (AUTOGRADER_HIDDEN_SEED), for courses
    # made before each had its own. Staff see it on every submission, so no course shares another's.
    hidden_seed: Mapped[int | None] = mapped_column(Integer, default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    enrollments: Mapped[list["Enrollment"]] = relationship(back_populates="course", cascade="all, delete-orphan")
    course_assignments: Mapped[list["CourseAssignment"]] = relationship(
        back_populates="course", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Course {self.code}>"


class Enrollment(db.Model):
    __table_args__ = (UniqueConstraint("user_id", "course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=20), default=Role.STUDENT)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    user: Mapped["User"] = relationship(back_populates="enrollments")
    course: Mapped[Course] = relationship(back_populates="enrollments")


class LatePolicy(str, enum.Enum):
    NONE = "none"  # late submissions count in full
    PENALTY = "penalty"  # lose penalty_per_day of the score per started day late
    CUTOFF = "cutoff"  # not accepted after due_at + cutoff_days


class CountedSubmission(str, enum.Enum):
    BEST = "best"  # the student's best final score counts
    LAST = "last"  # the student's last graded submission counts


class HiddenResults(str, enum.Enum):
    NEVER = "never"  # students see their public checks only (the score still counts hidden cases)
    AFTER_DUE = "after_due"  # hidden-case results shown once the due date has passed
    ALWAYS = "always"


class CourseAssignment(db.Model):
    __table_args__ = (UniqueConstraint("course_id", "assignment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignment.id"), index=True)
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    late_policy: Mapped[LatePolicy] = mapped_column(
        Enum(LatePolicy, native_enum=False, length=20), default=LatePolicy.PENALTY
    )
    penalty_per_day: Mapped[float] = mapped_column(Float, default=0.1)
    cutoff_days: Mapped[int] = mapped_column(Integer, default=0)
    counts: Mapped[CountedSubmission] = mapped_column(
        Enum(CountedSubmission, native_enum=False, length=20), default=CountedSubmission.BEST,
        server_default=CountedSubmission.BEST.name)
    # Students see the assignment (and may submit) from this moment; None: at once.
    release_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    hidden_results: Mapped[HiddenResults] = mapped_column(
        Enum(HiddenResults, native_enum=False, length=20), default=HiddenResults.NEVER,
        server_default=HiddenResults.NEVER.name)
    # A timed assignment: each student has this many minutes from pressing Start; None: untimed.
    time_limit_minutes: Mapped[int | None] = mapped_column(Integer, default=None)

    course: Mapped[Course] = relationship(back_populates="course_assignments")
    assignment: Mapped[CatalogAssignment] = relationship()
    submissions: Mapped[list["Submission"]] = relationship(back_populates="course_assignment")


class Extension(db.Model):
    """A student's own due date for one assignment (an extension or accommodation)."""

    __table_args__ = (UniqueConstraint("user_id", "course_assignment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    course_assignment_id: Mapped[int] = mapped_column(
        ForeignKey("course_assignment.id", ondelete="CASCADE"), index=True)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime())
    reason: Mapped[str] = mapped_column(String(200), default="")
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    user: Mapped["User"] = relationship(foreign_keys=[user_id])
    course_assignment: Mapped[CourseAssignment] = relationship()


class ScoreOverride(db.Model):
    """A score set by staff for a student's assignment, with why; rows are never changed (the audit trail).

    The newest row of a (student, assignment) is in force; one with ``score`` None lifts the override.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    course_assignment_id: Mapped[int] = mapped_column(
        ForeignKey("course_assignment.id", ondelete="CASCADE"), index=True)
    score: Mapped[float | None] = mapped_column(Float, default=None)
    comment: Mapped[str] = mapped_column(String(1000), default="")
    # The score the student had from grading when the override was made.
    previous_score: Mapped[float | None] = mapped_column(Float, default=None)
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, index=True)

    user: Mapped["User"] = relationship(foreign_keys=[user_id])
    set_by: Mapped["User | None"] = relationship(foreign_keys=[set_by_id])
    course_assignment: Mapped[CourseAssignment] = relationship()


class TimedStart(db.Model):
    """When a student started a timed assignment (their time limit counts from it); set once."""

    __table_args__ = (UniqueConstraint("user_id", "course_assignment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    course_assignment_id: Mapped[int] = mapped_column(
        ForeignKey("course_assignment.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class TimeAccommodation(db.Model):
    """A student's extra time on a timed assignment: the limit times ``factor``, plus ``extra_minutes``.

    Rows are never changed (the audit trail): the newest of a (student, assignment) is in force; one
    with factor 1 and no extra minutes lifts the accommodation.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    course_assignment_id: Mapped[int] = mapped_column(
        ForeignKey("course_assignment.id", ondelete="CASCADE"), index=True)
    factor: Mapped[float] = mapped_column(Float, default=1.0)
    extra_minutes: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str] = mapped_column(String(200), default="")
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    set_by: Mapped["User | None"] = relationship(foreign_keys=[set_by_id])
