"""Celery tasks: small functions that take ids and call the grading service."""

from __future__ import annotations

import os

from billiard.process import current_process
from celery import shared_task
from flask import current_app
from sqlalchemy.exc import DBAPIError

from autograder.jobs.celery_app import GRADE_TASK
from autograder.jobs.executors import thread_executor
from autograder.services.grading import grade_submission


@shared_task(name=GRADE_TASK, bind=True, autoretry_for=(DBAPIError,), retry_backoff=1, retry_backoff_max=30,
             retry_jitter=True, max_retries=8)
def grade_submission_task(self, submission_id: int) -> str:  # type: ignore[no-untyped-def]
    """Grade one submission; database outages are retried with exponential backoff."""
    # Each pool process of each worker on a machine gets its own sandbox slot.
    slot = int(current_app.config.get("SANDBOX_SLOT", 0)) + int(getattr(current_process(), "index", 0) or 0)
    worker = f"{self.request.hostname}:{os.getpid()}"
    return grade_submission(submission_id, executor=thread_executor(slot), worker=worker).value
