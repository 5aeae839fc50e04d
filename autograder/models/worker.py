"""Grading workers' heartbeats: which grading processes are alive, for /readyz and the metrics."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from autograder.extensions import db
from autograder.models._time import UtcDateTime, utcnow


class WorkerHeartbeat(db.Model):
    # The worker name stored on the submissions it claims (label@host:pid).
    name: Mapped[str] = mapped_column(String(120), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default="celery")  # "celery" | "embedded"
    host: Mapped[str] = mapped_column(String(255), default="")
    pid: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, index=True)

    def __repr__(self) -> str:
        return f"<WorkerHeartbeat {self.name}>"
