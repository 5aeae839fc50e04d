"""Regrade runs and the scores each submission had before it was regraded."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from autograder.extensions import db
from autograder.models._time import UtcDateTime, utcnow

if TYPE_CHECKING:
    from autograder.models.course import CourseAssignment
    from autograder.models.submission import Submission
    from autograder.models.user import User


class Regrade(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    course_assignment_id: Mapped[int] = mapped_column(
        ForeignKey("course_assignment.id", ondelete="CASCADE"), index=True
    )
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), default=None)
    # The assignment version the submissions were regraded against.
    assignment_version: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    course_assignment: Mapped["CourseAssignment"] = relationship()
    requested_by: Mapped["User | None"] = relationship()
    entries: Mapped[list["RegradeEntry"]] = relationship(
        back_populates="regrade", cascade="all, delete-orphan", order_by="RegradeEntry.submission_id"
    )


class RegradeEntry(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    regrade_id: Mapped[int] = mapped_column(ForeignKey("regrade.id", ondelete="CASCADE"), index=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"), index=True)
    old_score: Mapped[float | None] = mapped_column(Float, default=None)
    old_final_score: Mapped[float | None] = mapped_column(Float, default=None)
    old_assignment_version: Mapped[str] = mapped_column(String(64), default="")

    regrade: Mapped[Regrade] = relationship(back_populates="entries")
    submission: Mapped["Submission"] = relationship()
