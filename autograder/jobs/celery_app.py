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


def regrade_queue_name(grading_queue: str) -> str:
    """The Celery queue of regrades: consumed by the grading workers only when no student's own work waits."""
    return f"{grading_queue}-regrade"

# Publishing while Redis blips: a few quick retries, then the caller answers 503.
PUBLISH_RETRY_POLICY = {"max_retries": 3, "interval_start": 0, "interval_step": 0.3, "interval_max": 1}


def celery_settings(config: Mapping[str, Any]) -> dict[str, Any]:
    """Return the Celery configuration that makes a deadline burst lose nothing."""
    from kombu import Queue

    from autograder.jobs.similarity import SIMILARITY_TASK, similarity_queue_name

    lease = float(config["GRADING_LEASE_SECONDS"])
    grading = config.get("CELERY_QUEUE", "grading")
    return {
        "broker_url": config["REDIS_URL"],
        "include": ["autograder.jobs.tasks"],
        "task_default_queue": grading,
        # Workers consume the queues in this order ("priority" below): the students' own work, then
        # regrades, then similarity indexing, each only when the ones before it are empty.
        "task_queues": [Queue(grading), Queue(regrade_queue_name(grading)), Queue(similarity_queue_name(grading))],
        "task_routes": {SIMILARITY_TASK: {"queue": similarity_queue_name(grading)}},
        "task_serializer": "json",
        "accept_content": ["json"],
        "task_ignore_result": True,  # the database is the result store
        # Ack only after grading, requeue if the worker process dies, take one message at a time.
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        # A delivered but unacked message (its worker vanished) goes back to the queue after this. The
        # lease, renewed while grading, is what notices a dead worker (the sweeper re-sends its
        # submission within a lease); this is only the backstop, long enough that a live grading's
        # message is not handed to a second worker while the first still renews the lease.
        "broker_transport_options": {"visibility_timeout": int(max(6 * lease, 60)), "queue_order_strategy": "priority"},
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
        self.regrade_queue = regrade_queue_name(app.config.get("CELERY_QUEUE", "grading"))

    def enqueue(self, submission_id: int, regrade: bool = False) -> None:
        try:
            send_grading(self.celery, submission_id, self.regrade_queue if regrade else None)
        except Exception as error:
            raise QueueUnavailable(f"the grading broker did not take submission {submission_id}: {error}") from error

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass


def send_grading(celery_app: Celery, submission_id: int, queue: str | None) -> None:
    """Publish one grading task to ``queue`` (None: the default queue, the students' own work)."""
    options: dict[str, Any] = {"queue": queue} if queue else {}
    celery_app.send_task(GRADE_TASK, args=[submission_id], retry=True, retry_policy=PUBLISH_RETRY_POLICY, **options)


class WorkerProcess:
    """What one grading process of a Celery worker holds: its name, heartbeat, metrics port, parent."""

    node = "grader"  # the node's label (--hostname before the @), set in the main process before forking
    name = ""
    heartbeat: Any = None


def install_worker_hooks(celery_app: Celery, app: Flask) -> None:
    """Connect the worker's life cycle: sandbox check, per-process executors, heartbeats, metrics, the sweeper."""
    from autograder.extensions import db
    from autograder.jobs.executors import close_thread_executor, configured_slot, open_worker_executor
    from autograder.jobs.heartbeat import Heartbeat
    from autograder.jobs.similarity import SimilaritySweeper
    from autograder.jobs.sweeper import SweeperThread
    from autograder.logs import configure_logging
    from autograder.services.grading import worker_name

    sweepers: list[SweeperThread | SimilaritySweeper] = []

    @signals.celeryd_init.connect(weak=False)
    def remember_node(sender: object = None, **kwargs: object) -> None:
        WorkerProcess.node = str(sender or "grader").split("@")[0] or "grader"

    @signals.after_setup_logger.connect(weak=False)
    def own_logging(**kwargs: object) -> None:
        # Celery's loggers keep its format; ours go out as configured (JSON lines with the submission id).
        configure_logging(app.config.get("LOG_FORMAT"))

    @signals.worker_init.connect(weak=False)
    def refuse_without_isolation(sender: object = None, **kwargs: object) -> None:
        try:
            # Closed (and its slot lock released) before the pool forks: each pool process takes its own.
            open_worker_executor(app, configured_slot(app)).close()
        except Exception as error:
            log.critical("refusing to start a grading worker: %s (set AUTOGRADER_ALLOW_INSECURE_SANDBOX=1 "
                         "to accept reduced isolation)", error)
            raise SystemExit(3) from error  # Celery logs and swallows ordinary exceptions from signals

    @signals.worker_process_init.connect(weak=False)
    def start_grading_process(**kwargs: object) -> None:
        # Never share the parent's pooled database connections with a forked child.
        with app.app_context():
            db.engine.dispose(close=False)
        WorkerProcess.name = worker_name(WorkerProcess.node)
        WorkerProcess.heartbeat = Heartbeat(app, [WorkerProcess.name], "celery")
        WorkerProcess.heartbeat.start()
        start_metrics_server(app, pool_index())

    @signals.worker_process_shutdown.connect(weak=False)
    def stop_grading_process(**kwargs: object) -> None:
        close_thread_executor()
        if WorkerProcess.heartbeat is not None:
            WorkerProcess.heartbeat.stop()

    @signals.worker_ready.connect(weak=False)
    def start_sweeper(sender: object = None, **kwargs: object) -> None:
        regrades = regrade_queue_name(app.config.get("CELERY_QUEUE", "grading"))

        def send(submission_id: int, regrade: bool = False) -> None:
            send_grading(celery_app, submission_id, regrades if regrade else None)

        sweeper = SweeperThread(app, send, float(app.config.get("GRADING_SWEEP_SECONDS", 2)))
        sweeper.start()
        sweepers.append(sweeper)
        log.info("grading sweeper running every %s s (pid %s)", sweeper.interval, os.getpid())
        if app.config.get("SIMILARITY_AFTER_GRADING", True):
            similarity_sweeper = SimilaritySweeper(app)
            similarity_sweeper.start()
            sweepers.append(similarity_sweeper)

    @signals.worker_shutdown.connect(weak=False)
    def stop_sweeper(**kwargs: object) -> None:
        while sweepers:
            sweepers.pop().stop()


def pool_index() -> int:
    """The index of this pool process among its worker's processes (0 outside a pool)."""
    from billiard.process import current_process

    return int(getattr(current_process(), "index", 0) or 0)


def start_metrics_server(app: Flask, index: int) -> None:
    """Serve this grading process's /metrics on AUTOGRADER_WORKER_METRICS_PORT + index (0: none)."""
    from prometheus_client import start_http_server

    from autograder.metrics import REGISTRY

    base = int(app.config.get("WORKER_METRICS_PORT", 0) or 0)
    if base <= 0:
        return
    try:
        start_http_server(base + index, registry=REGISTRY)
    except OSError as error:  # another worker on this machine has the port: grading matters more
        log.warning("no metrics endpoint for this grading process: port %s: %s", base + index, error)
        return
    log.info("metrics of grading process %s on port %s", index, base + index)
