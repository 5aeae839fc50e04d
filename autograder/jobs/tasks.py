"""Celery tasks: small functions that take ids and call the grading service."""

from __future__ import annotations

from celery import shared_task
from flask import current_app
from sqlalchemy.exc import DBAPIError

from autograder.jobs.celery_app import GRADE_TASK, WorkerProcess, pool_index
from autograder.jobs.executors import configured_slot, thread_executor
from autograder.jobs.similarity import SIMILARITY_TASK, run_requested_batch
from autograder.services.grading import grade_submission, worker_name


@shared_task(name=GRADE_TASK, bind=True, autoretry_for=(DBAPIError,), retry_backoff=1, retry_backoff_max=30,
             retry_jitter=True, max_retries=8)
def grade_submission_task(self, submission_id: int) -> str:  # type: ignore[no-untyped-def]
    """Grade one submission; database outages are retried with exponential backoff."""
    # Each pool process takes a free sandbox slot of this machine (or AUTOGRADER_SANDBOX_SLOT + its index).
    executor = thread_executor(configured_slot(current_app._get_current_object(), pool_index()))
    worker = WorkerProcess.name or worker_name(str(self.request.hostname or "grader").split("@")[0])
    return grade_submission(submission_id, executor=executor, worker=worker).value


@shared_task(name=SIMILARITY_TASK)
def index_similarity_task(course_assignment_id: int) -> int:
    """Index one batch of the assignment's graded submissions (low-priority queue; failures are logged)."""
    return run_requested_batch(course_assignment_id)
