"""Submissions and their per-check results."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, Enum, Float, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from autograder.extensions import db
from autograder.models._time import UtcDateTime, utcnow

if TYPE_CHECKING:
    from autograder.models.course import CourseAssignment
    from autograder.models.user import User


class SubmissionStatus(str, enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    ERROR = "error"  # the grader itself failed (not the student's code); retried by the sweeper


class Submission(db.Model):
    # The staff lists of an assignment's submissions are read newest first; the dashboards'
    # standings (per student: count, late, best, latest graded; per day) from an index that
    # covers them, without reading the rows and their source text.
    __table_args__ = (
        Index("ix_submission_course_assignment_created", "course_assignment_id", "created_at"),
        Index("ix_submission_standing", "course_assignment_id", "user_id", "created_at", "status", "final_score",
              "late_days", "assignment_version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    course_assignment_id: Mapped[int] = mapped_column(ForeignKey("course_assignment.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255), default="")
    source: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[SubmissionStatus] = mapped_column(
        Enum(SubmissionStatus, native_enum=False, length=20), default=SubmissionStatus.QUEUED, index=True
    )
    score: Mapped[float | None] = mapped_column(Float, default=None)  # raw engine score
    max_score: Mapped[float | None] = mapped_column(Float, default=None)
    late_days: Mapped[int] = mapped_column(Integer, default=0)  # after any late-day tokens
    late_tokens: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # free late days it used
    final_score: Mapped[float | None] = mapped_column(Float, default=None)  # after the late policy
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, index=True)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None, index=True)
    # When the grading the student's own submission asked for ended (finished_at, unless a regrade
    # came later: a regrade never moves it). The cooldown counts from it.
    cooldown_from: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    # The work pending on this row (queued, running, or failed and waiting for its retry) is a
    # regrade staff asked for: it goes in the regrade lane, after the student's own new work, and
    # keeps its last score until the new one is stored.
    regrading: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # A running submission whose lease expired is requeued by the sweeper.
    lease_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str] = mapped_column(String(120), default="")
    grader_version: Mapped[str] = mapped_column(String(40), default="")
    assignment_version: Mapped[str] = mapped_column(String(64), default="")
    seed: Mapped[int | None] = mapped_column(Integer, default=None)
    grading_seconds: Mapped[float | None] = mapped_column(Float, default=None)
    error_message: Mapped[str] = mapped_column(Text, default="")

    user: Mapped["User"] = relationship(back_populates="submissions")
    course_assignment: Mapped["CourseAssignment"] = relationship(back_populates="submissions")
    results: Mapped[list["CheckResult"]] = relationship(
        back_populates="submission", cascade="all, delete-orphan", order_by="CheckResult.position"
    )

    def __repr__(self) -> str:
        return f"<Submission {self.id} {self.status.value}>"


class CheckResult(db.Model):
    # Covers the dashboard's pass rates (per check, per function of each student's latest
    # submission) without reading the rows and their long outputs.
    __table_args__ = (Index("ix_check_result_submission_summary", "submission_id", "function", "status",
                            "max_score", "name", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(255))
    function: Mapped[str] = mapped_column(String(120), index=True)
    check: Mapped[str] = mapped_column(String(200))
    score: Mapped[float] = mapped_column(Float)
    max_score: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(20))  # "passed" | "failed"
    output: Mapped[str] = mapped_column(Text, default="")
    visibility: Mapped[str] = mapped_column(String(20), default="visible")
    # Name of the known mistake the grader recognised, if any.
    mistake: Mapped[str | None] = mapped_column(String(200), default=None, index=True)

    submission: Mapped[Submission] = relationship(back_populates="results")
