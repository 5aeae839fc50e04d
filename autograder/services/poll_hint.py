"""How long a client should wait before reading a pending submission again (the Retry-After hint).

On deadline night every waiting student's `grade --submit` and result page read their
submission again and again; each read costs the web and the database as much as a sliver of a
grading. The hint spaces the reads out by the wait ahead: half of it, estimated from the
submissions queued before this one and the rate at which the workers finished submissions in the
last half minute, between 1 and MAX_POLL_SECONDS seconds. It names no other student's work: only
a count of the queue ahead, coarsened to whole seconds.
"""

from __future__ import annotations

import math
import time
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, bindparam, func, or_, select

from autograder.extensions import db
from autograder.models import Submission, SubmissionStatus
from autograder.models._time import utcnow

MAX_POLL_SECONDS = 5
RATE_WINDOW = timedelta(seconds=30)
# The recent rate is read at most once a second per process: a burst's reads share one count.
RATE_CACHE_SECONDS = 1.0
_RATE_KEY = "autograder.grading_rate"
_PENDING = (SubmissionStatus.QUEUED, SubmissionStatus.RUNNING)


def poll_after_seconds(submission: Submission) -> int | None:
    """Seconds until ``submission`` is worth reading again; None once it is finished."""
    if submission.status not in _PENDING:
        return None
    if submission.status == SubmissionStatus.RUNNING:
        return 1
    ahead = db.session.connection().execute(
        _AHEAD_OF_REGRADE if submission.regrading else _AHEAD_OF_OWN, {"submission_id": submission.id}
    ).scalar() or 0
    if ahead == 0:
        return 1
    rate = _recent_rate()
    if rate <= 0:
        return 1  # nothing finished lately (a burst's first second, or no worker): no estimate
    return max(1, min(MAX_POLL_SECONDS, math.ceil(ahead / rate / 2)))


def _ahead(before: Any) -> Any:
    """SQL: the number of pending submissions ``before`` this one (parameter submission_id); built once."""
    return select(func.count()).select_from(Submission).where(Submission.status.in_(_PENDING), before)


# The regrade lane goes after the students' own work: a student's new submission is not behind
# any regrade, and a regrade is behind every student's own work.
_AHEAD_OF_OWN = _ahead(and_(~Submission.regrading, Submission.id < bindparam("submission_id")))
_AHEAD_OF_REGRADE = _ahead(or_(~Submission.regrading, Submission.id < bindparam("submission_id")))


def _recent_rate() -> float:
    """Submissions finished per second lately (cached per app and process).

    Over the span from the first finish within RATE_WINDOW to now, not over the whole window:
    a burst's first seconds would otherwise be averaged with the quiet before them.
    """
    now = time.monotonic()
    cached = current_app.extensions.get(_RATE_KEY)
    if cached is not None and now - cached[0] < RATE_CACHE_SECONDS:
        return float(cached[1])
    moment = utcnow()
    finished, earliest = db.session.execute(
        select(func.count(), func.min(Submission.finished_at)).where(Submission.finished_at >= moment - RATE_WINDOW)
    ).one()
    span = max(1.0, (moment - earliest).total_seconds()) if earliest is not None else RATE_WINDOW.total_seconds()
    rate = (finished or 0) / span
    current_app.extensions[_RATE_KEY] = (now, rate)
    return rate
