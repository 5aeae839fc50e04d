"""Background grading: one small queue interface with two backends.

``embedded`` (default): a pool of threads inside the web process, each owning a sandbox
executor. ``celery``: Celery workers with a Redis broker, on any number of machines.
Both call :func:`autograder.services.grading.grade_submission` with a submission id.
"""

from __future__ import annotations

from autograder.jobs.queue import GradingQueue, QueueUnavailable, enqueue_grading, grading_queue

__all__ = ["GradingQueue", "QueueUnavailable", "enqueue_grading", "grading_queue"]
