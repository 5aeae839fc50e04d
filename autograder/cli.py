"""`autograder`: the operators' command group; each command lives in its own module."""

from __future__ import annotations

import click

from autograder.bundle_cli import bundle
from autograder.jobs.cli import sweep_command, worker_command
from autograder.mistakes_cli import mistakes
from autograder.selfcheck_cli import check
from autograder.similarity_cli import similarity
from autograder.commands import add_operator_commands


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Autograder operations: student bundles and service administration."""


main.add_command(bundle)
main.add_command(mistakes)  # the named mistakes the feedback recognises
main.add_command(check)  # an assignment author's self-check of the folder
add_operator_commands(main)  # web service: db, courses, users, roster, token, demo, serve
main.add_command(worker_command)  # job system: Celery grading worker
main.add_command(sweep_command)  # job system: requeue stuck submissions
main.add_command(similarity)  # pairs of students ranked by code similarity
