"""Grading workers' heartbeats, and what the database says about the grading queue (health, metrics)."""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import aliased

from autograder.extensions import db
from autograder.models import Submission, SubmissionStatus, WorkerHeartbeat
from autograder.models._time import utcnow

# Rows of workers silent this long are deleted (they show as stale in the metrics until then).
FORGET_AFTER = timedelta(hours=1)


def beat(names: list[str], kind: str, now: datetime | None = None) -> None:
    """Record that the workers ``names`` of this process are alive (insert them on first beat)."""
    now = now or utcnow()
    seen = set(db.session.scalars(
        update(WorkerHeartbeat).where(WorkerHeartbeat.name.in_(names)).values(seen_at=now)
        .returning(WorkerHeartbeat.name).execution_options(synchronize_session=False)))
    for name in names:
        if name not in seen:
            db.session.add(WorkerHeartbeat(name=name, kind=kind, host=socket.gethostname()[:255], pid=os.getpid(),
                                           started_at=now, seen_at=now))
    db.session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.seen_at < now - FORGET_AFTER))
    db.session.commit()


def forget(names: list[str]) -> None:
    """Remove the heartbeats of workers that stop cleanly."""
    db.session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.name.in_(names)))
    db.session.commit()


def live_window() -> timedelta:
    """A worker is live when its last heartbeat is younger than three heartbeat periods."""
    return timedelta(seconds=3 * float(current_app.config.get("WORKER_HEARTBEAT_SECONDS", 3)))


def live_workers(now: datetime | None = None) -> list[str]:
    """Return the names of workers with a recent heartbeat."""
    now = now or utcnow()
    names = list(db.session.scalars(select(WorkerHeartbeat.name).where(WorkerHeartbeat.seen_at >= now - live_window())))
    db.session.commit()
    return names


def queue_snapshot(now: datetime | None = None) -> dict[str, Any]:
    """Return queue depth (dispatched / waiting behind the same student), counts by status, heartbeats."""
    now = now or utcnow()
    statuses = {status.value: 0 for status in SubmissionStatus}
    for status, count in db.session.execute(select(Submission.status, func.count()).group_by(Submission.status)):
        statuses[SubmissionStatus(status).value] = count
    earlier = aliased(Submission)
    waiting = db.session.scalar(
        select(func.count()).select_from(Submission).where(
            Submission.status == SubmissionStatus.QUEUED,
            select(earlier.id).where(earlier.user_id == Submission.user_id, earlier.id < Submission.id,
                                     earlier.status.in_((SubmissionStatus.QUEUED, SubmissionStatus.RUNNING)))
            .exists()))
    workers = []
    window = live_window()
    live = 0
    for row in db.session.scalars(select(WorkerHeartbeat).order_by(WorkerHeartbeat.name)):
        seen = row.seen_at
        age = max(0.0, (now - seen).total_seconds())
        live += age <= window.total_seconds()
        workers.append({"name": row.name, "kind": row.kind, "timestamp": seen.timestamp(), "age": age})
    db.session.commit()
    queued = statuses[SubmissionStatus.QUEUED.value]
    return {"queue": {"dispatched": queued - (waiting or 0), "waiting_behind_student": waiting or 0},
            "statuses": statuses, "workers": workers, "live_workers": live}
