"""Stored similarity: each graded submission's fingerprints, the inverted index, and scored pairs."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from autograder.extensions import db
from autograder.models._time import UtcDateTime, utcnow

if TYPE_CHECKING:
    from autograder.models.submission import Submission


class SubmissionFingerprint(db.Model):
    """The winnowed fingerprints of one submission (JSON of ``similarity.FilePrint``)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submission.id", ondelete="CASCADE"), unique=True)
    course_assignment_id: Mapped[int] = mapped_column(
        ForeignKey("course_assignment.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    # Fingerprints of another engine version or starter are recomputed, not compared.
    engine_version: Mapped[str] = mapped_column(String(40))
    starter_digest: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)  # distinct fingerprints
    data: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    submission: Mapped["Submission"] = relationship()


class FingerprintHash(db.Model):
    """One row of the inverted index: this submission holds this fingerprint."""

    # Covering index: the candidate query (hash IN ... GROUP BY submission) never reads the table.
    __table_args__ = (Index("ix_fingerprint_hash_lookup", "course_assignment_id", "hash", "submission_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_assignment_id: Mapped[int] = mapped_column(ForeignKey("course_assignment.id", ondelete="CASCADE"))
    hash: Mapped[int] = mapped_column(BigInteger)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))


class SimilarityPair(db.Model):
    """Two submissions of different students that reached the stored threshold (a < b by id)."""

    __table_args__ = (UniqueConstraint("submission_a_id", "submission_b_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_assignment_id: Mapped[int] = mapped_column(
        ForeignKey("course_assignment.id", ondelete="CASCADE"), index=True)
    submission_a_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"))
    submission_b_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"), index=True)
    user_a_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    user_b_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    score: Mapped[float] = mapped_column(Float)
    file_score: Mapped[float] = mapped_column(Float)
    function_score: Mapped[float] = mapped_column(Float)
    shared: Mapped[int] = mapped_column(Integer)
    functions: Mapped[str] = mapped_column(Text, default="[]")  # JSON: matched functions
    computed_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
