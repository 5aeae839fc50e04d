"""An assignment as synced from the assignments/ folder."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, String
from sqlalchemy.orm import Mapped, mapped_column

from autograder.extensions import db
from autograder.models._time import UtcDateTime, utcnow


class CatalogAssignment(db.Model):
    """The service's record of an assignment folder (the engine's is autograder.grading.assignment.Assignment)."""

    __tablename__ = "assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    filename: Mapped[str] = mapped_column(String(120), default="")
    # sha256 of the assignment folder: a change means earlier grades may need a regrade.
    version: Mapped[str] = mapped_column(String(64), default="")
    max_score: Mapped[float] = mapped_column(Float, default=0.0)
    synced_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return f"<CatalogAssignment {self.name} {self.version[:8]}>"
