"""Courses, who is in them, and which assignments they set with what deadline."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import DateTime, Enum, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from autograder.extensions import db
from autograder.models._time import utcnow
from autograder.models.assignment import Assignment
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
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

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
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    user: Mapped["User"] = relationship(back_populates="enrollments")
    course: Mapped[Course] = relationship(back_populates="enrollments")


class LatePolicy(str, enum.Enum):
    NONE = "none"  # late submissions count in full
    PENALTY = "penalty"  # lose penalty_per_day of the score per started day late
    CUTOFF = "cutoff"  # not accepted after due_at + cutoff_days


class CourseAssignment(db.Model):
    __table_args__ = (UniqueConstraint("course_id", "assignment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignment.id"), index=True)
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    late_policy: Mapped[LatePolicy] = mapped_column(
        Enum(LatePolicy, native_enum=False, length=20), default=LatePolicy.PENALTY
    )
    penalty_per_day: Mapped[float] = mapped_column(Float, default=0.1)
    cutoff_days: Mapped[int] = mapped_column(Integer, default=0)

    course: Mapped[Course] = relationship(back_populates="course_assignments")
    assignment: Mapped[Assignment] = relationship()
    submissions: Mapped[list["Submission"]] = relationship(back_populates="course_assignment")
