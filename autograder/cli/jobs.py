"""The job system's commands: `autograder worker` (a Celery grading worker) and `autograder sweep`."""

from __future__ import annotations

import os
import shutil
import sys

import click
from flask import current_app, has_app_context
from flask.cli import with_appcontext

from autograder.cli.service import current_application


@click.command("worker")
@click.option("--name", default="grader@%h", show_default=True, help="Celery node name (unique per machine).")
@click.option("--concurrency", default=2, show_default=True, help="Grading processes in this worker.")
def worker_command(name: str, concurrency: int) -> None:
    """Run a Celery grading worker (the distributed mode's `worker` service)."""
    from autograder.config import SettingsError, queue_backend
    from autograder.jobs import commands

    # Celery builds the app itself: building it here too, only to read one setting, cost a worker
    # start seconds of CPU before the exec. An app of a test runner's context is asked instead.
    try:
        backend = current_app.config.get("QUEUE_BACKEND") if has_app_context() else queue_backend()
    except SettingsError as error:
        raise click.ClickException(str(error)) from None
    if backend != "celery":
        raise click.ClickException("AUTOGRADER_QUEUE is not 'celery': the embedded mode grades inside the web process")
    argv = commands.worker_command(name=name, concurrency=concurrency)
    # The celery program installed beside this interpreter, else the first one on PATH.
    program = shutil.which(argv[0], path=os.path.dirname(sys.executable)) or shutil.which(argv[0])
    if program is None:
        raise click.ClickException("the celery program is not installed")
    os.execv(program, argv)


@click.command("sweep")
@with_appcontext
def sweep_command() -> None:
    """Requeue submissions that are stuck (queued but not in the queue, or running past their lease)."""
    from autograder.jobs.queue import grading_queue
    from autograder.jobs.sweeper import run_sweep

    app = current_application()
    queue = grading_queue(app)
    result = run_sweep(queue.enqueue)
    click.echo(f"requeued {len(result.requeued)}, gave up on {len(result.abandoned)}")
    if app.config.get("QUEUE_BACKEND") == "embedded" and result.requeued:
        click.echo("grading them here (embedded mode) ...")
        queue.join()  # type: ignore[attr-defined]
    queue.stop()


COMMANDS = [worker_command, sweep_command]
