"""The Celery backend, bound to the Flask app the way Flask's own Celery pattern does."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from celery import Celery, Task, signals
from flask import Flask

from autograder.jobs.queue import QueueUnavailable

log = logging.getLogger(__name__)

GRADE_TASK = "autograder.grade_submission"
# Publishing while Redis blips: a few quick retries, then the caller answers 503.
PUBLISH_RETRY_POLICY = {"max_retries": 3, "interval_start": 0, "interval_step": 0.3, "interval_max": 1}


def celery_settings(config: Mapping[str, Any]) -> dict[str, Any]:
    """Return the Celery configuration that makes a deadline burst lose nothing."""
    lease = int(config["GRADING_LEASE_SECONDS"])
    return {
        "broker_url": config["REDIS_URL"],
        "include": ["autograder.jobs.tasks"],
        "task_default_queue": config.get("CELERY_QUEUE", "grading"),
        "task_serializer": "json",
        "accept_content": ["json"],
        "task_ignore_result": True,  # the database is the result store
        # Ack only after grading, requeue if the worker process dies, take one message at a time.
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        # A delivered but unacked message (its worker vanished) goes back to the queue after this.
        "broker_transport_options": {"visibility_timeout": max(3 * lease, 30)},
        "broker_connection_retry_on_startup": True,
        "broker_connection_max_retries": None,  # a worker outlives a Redis restart
        "worker_send_task_events": False,
    }


def celery_init_app(app: Flask) -> Celery:
    """Create the Celery app for ``app``: tasks run inside its app context."""

    class FlaskTask(Task):
        def __call__(self, *args: object, **kwargs: object) -> object:
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object(celery_settings(app.config))
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    return celery_app


class CeleryQueue:
    """Send submission ids to the Redis broker; the workers live in other processes."""

    def __init__(self, app: Flask) -> None:
        self.celery: Celery = app.extensions.get("celery") or celery_init_app(app)

    def enqueue(self, submission_id: int) -> None:
        try:
            self.celery.send_task(GRADE_TASK, args=[submission_id], retry=True, retry_policy=PUBLISH_RETRY_POLICY)
        except Exception as error:
            raise QueueUnavailable(f"the grading broker did not take submission {submission_id}: {error}") from error

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass


def install_worker_hooks(celery_app: Celery, app: Flask) -> None:
    """Connect the worker's life cycle: sandbox check, per-process executors, the sweeper loop."""
    from autograder.extensions import db
    from autograder.jobs.executors import close_thread_executor, open_worker_executor
    from autograder.jobs.sweeper import SweeperThread

    sweepers: list[SweeperThread] = []

    @signals.worker_init.connect(weak=False)
    def refuse_without_isolation(sender: object = None, **kwargs: object) -> None:
        try:
            open_worker_executor(app, int(app.config.get("SANDBOX_SLOT", 0))).close()
        except Exception as error:
            log.critical("refusing to start a grading worker: %s (set AUTOGRADER_ALLOW_INSECURE_SANDBOX=1 "
                         "to accept reduced isolation)", error)
            raise SystemExit(3) from error  # Celery logs and swallows ordinary exceptions from signals

    @signals.worker_process_init.connect(weak=False)
    def forget_parent_connections(**kwargs: object) -> None:
        # Never share the parent's pooled database connections with a forked child.
        with app.app_context():
            db.engine.dispose(close=False)

    @signals.worker_process_shutdown.connect(weak=False)
    def close_executor(**kwargs: object) -> None:
        close_thread_executor()

    @signals.worker_ready.connect(weak=False)
    def start_sweeper(sender: object = None, **kwargs: object) -> None:
        def send(submission_id: int) -> None:
            celery_app.send_task(GRADE_TASK, args=[submission_id], retry=True, retry_policy=PUBLISH_RETRY_POLICY)

        sweeper = SweeperThread(app, send, float(app.config.get("GRADING_SWEEP_SECONDS", 30)))
        sweeper.start()
        sweepers.append(sweeper)
        log.info("grading sweeper running every %s s (pid %s)", sweeper.interval, os.getpid())

    @signals.worker_shutdown.connect(weak=False)
    def stop_sweeper(**kwargs: object) -> None:
        while sweepers:
            sweepers.pop().stop()
