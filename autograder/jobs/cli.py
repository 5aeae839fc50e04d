"""Operator commands of the job system: `autograder worker` and `autograder sweep`."""

from __future__ import annotations

import os
import shutil
import sys

import click
from flask import Flask, current_app, has_app_context

from autograder.jobs import commands


def _app() -> Flask:
    if has_app_context():
        return current_app._get_current_object()  # type: ignore[attr-defined]
    from autograder.app import create_app

    return create_app()


@click.command("worker")
@click.option("--name", default="grader@%h", show_default=True, help="Celery node name (unique per machine).")
@click.option("--concurrency", default=1, show_default=True, help="Grading processes in this worker.")
def worker_command(name: str, concurrency: int) -> None:
    """Run a Celery grading worker (the distributed mode's `worker` service)."""
    if _app().config.get("QUEUE_BACKEND") != "celery":
        raise click.ClickException("AUTOGRADER_QUEUE is not 'celery': the embedded mode grades inside the web process")
    argv = commands.worker_command(name=name, concurrency=concurrency)
    program = shutil.which(argv[0], path=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    if program is None:
        raise click.ClickException("the celery program is not installed")
    os.execv(program, argv)


@click.command("sweep")
def sweep_command() -> None:
    """Requeue submissions that are stuck (queued but not in the queue, or running past their lease)."""
    from autograder.jobs.queue import grading_queue
    from autograder.jobs.sweeper import run_sweep

    app = _app()
    with app.app_context():
        queue = grading_queue(app)
        result = run_sweep(queue.enqueue)
        click.echo(f"requeued {len(result.requeued)}, gave up on {len(result.abandoned)}")
        if app.config.get("QUEUE_BACKEND") == "embedded" and result.requeued:
            click.echo("grading them here (embedded mode) ...")
            queue.join()  # type: ignore[attr-defined]
        queue.stop()
