"""A student's line of pending work: their own submissions first, then the regrades staff asked for.

Each student has at most one submission of their own in the grading queue (fair queueing: the
rest are held until it is graded), and a regrade of their work waits behind all of it. A regrade
row goes to the queue only when the student has no submission of their own queued or running,
one at a time, and to its own lane there (the ``-regrade`` Celery queue, the embedded queue's
lowest priority): a student's new work is never held behind a regrade, theirs or anyone's, and is
graded before the regrade pile. The statements that decide what goes next (the submission
service's release, the sweeper's resend, the queue metrics) share the order defined here.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, or_, select

from autograder.models import Submission, SubmissionStatus

PENDING = (SubmissionStatus.QUEUED, SubmissionStatus.RUNNING)


def ahead_in_line(earlier: Any, row: Any) -> Any:
    """SQL: ``earlier`` is pending and comes before ``row`` in their student's line.

    The student's own work comes before their regrades; within a lane the older row goes first.
    ``earlier`` and ``row`` are Submission or an alias of it.
    """
    return and_(
        earlier.user_id == row.user_id,
        earlier.status.in_(PENDING),
        or_(and_(~earlier.regrading, row.regrading),
            and_(earlier.regrading == row.regrading, earlier.id < row.id)),
    )


def head_of_line(user_id: int) -> Any:
    """SQL scalar subquery: the id of the first pending submission in the student's line (or NULL)."""
    return (
        select(Submission.id)
        .where(Submission.user_id == user_id, Submission.status.in_(PENDING))
        .order_by(Submission.regrading, Submission.id)
        .limit(1)
        .scalar_subquery()
    )
