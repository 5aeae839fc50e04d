"""Grading workers' heartbeats, and what the database says about the grading queue (health, metrics)."""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import case, delete, func, select, update
from sqlalchemy.orm import aliased

from autograder.extensions import db
from autograder.models import Submission, SubmissionStatus, WorkerHeartbeat
from autograder.models._time import utcnow
from autograder.services.lanes import ahead_in_line

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
    """Return queue depth (per lane: dispatched / waiting behind the same student), counts by status, heartbeats.

    A queued submission waits behind its student when something of theirs is ahead of it in their
    line (services/lanes.py): an older submission of their own, or, for a regrade, any pending own
    work or an older regrade.
    """
    now = now or utcnow()
    statuses = {status.value: 0 for status in SubmissionStatus}
    for status, count in db.session.execute(select(Submission.status, func.count()).group_by(Submission.status)):
        statuses[SubmissionStatus(status).value] = count
    earlier = aliased(Submission)
    behind = select(earlier.id).where(ahead_in_line(earlier, Submission)).exists()
    lanes = {False: (0, 0), True: (0, 0)}
    for regrading, queued_in_lane, waiting_in_lane in db.session.execute(
            select(Submission.regrading, func.count(), func.sum(case((behind, 1), else_=0)))
            .where(Submission.status == SubmissionStatus.QUEUED).group_by(Submission.regrading)):
        lanes[bool(regrading)] = (queued_in_lane, int(waiting_in_lane or 0))
    workers = []
    window = live_window()
    live = 0
    for row in db.session.scalars(select(WorkerHeartbeat).order_by(WorkerHeartbeat.name)):
        seen = row.seen_at
        age = max(0.0, (now - seen).total_seconds())
        live += age <= window.total_seconds()
        workers.append({"name": row.name, "kind": row.kind, "timestamp": seen.timestamp(), "age": age})
    db.session.commit()
    (own, own_waiting), (regrades, regrades_waiting) = lanes[False], lanes[True]
    return {"queue": {"dispatched": own - own_waiting, "waiting_behind_student": own_waiting,
                      "regrade_dispatched": regrades - regrades_waiting, "regrade_waiting": regrades_waiting},
            "statuses": statuses, "workers": workers, "live_workers": live}
