"""`grade ASSIGNMENT FILE`: grade a file offline with the public cases, as the service does."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click
from rich.console import Console

from autograder.client import submit_and_print
from autograder.grading.assignment import (
    BUNDLE_FIXTURES, Assignment, AssignmentError, AssignmentNotFound, find_assignment, load_assignment,
)
from autograder.grading.engine import grade_source
from autograder.grading.render import render_report
from autograder.grading.spec import SpecError
from autograder.sandbox import open_executor

EXIT_FULL_MARKS = 0
EXIT_NOT_FULL = 1
EXIT_USAGE = 2


def names_a_folder(name_or_path: str) -> bool:
    """Tell whether the ASSIGNMENT argument is a folder rather than an assignment name.

    The rule, stated in `grade --help` and the README: an argument with a path separator
    (``./losses-kit``, ``kits/losses``, ``/abs/path``) or ``.``/``..`` is a folder; a bare word is
    an assignment name, unless a starter kit (a folder holding ``public_cases.npz``) of that
    name is in the current directory. A plain ``losses`` folder of the student's own work never
    shadows the ``losses`` assignment.
    """
    separators = {"/", os.sep} | ({os.altsep} if os.altsep else set())
    if name_or_path in {".", ".."} or any(separator in name_or_path for separator in separators):
        return True
    return (Path(name_or_path) / BUNDLE_FIXTURES).is_file()


def resolve_assignment(name_or_path: str) -> Assignment:
    """Return the assignment named ``name_or_path``, or the starter kit in that folder; raise click.UsageError."""
    try:
        if names_a_folder(name_or_path):
            return load_assignment(name_or_path)
        return find_assignment(name_or_path)
    except AssignmentNotFound as error:
        raise click.UsageError(str(error)) from None
    except (AssignmentError, SpecError) as error:
        raise click.UsageError(f"the assignment {name_or_path!r} cannot be loaded: {error}") from None


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("assignment")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print a Gradescope-shaped JSON object instead of tables.")
@click.option("--submit", is_flag=True,
              help="Submit FILE to the course server instead (AUTOGRADER_URL and AUTOGRADER_TOKEN, or "
                   "~/.config/autograder/config.toml) and print its result when it is ready.")
@click.option("--course", default=None, help="With --submit: the course code, if you are in several courses.")
def main(assignment: str, file: Path, as_json: bool, submit: bool, course: str | None) -> None:
    """Grade FILE for ASSIGNMENT: an assignment name, or a starter kit folder made by `autograder bundle`.

    A folder is written with a slash (./losses-kit); a bare word is a name, unless the current
    directory holds a starter kit of that name. Exits 0 for full marks, 1 otherwise, 2 for a
    usage error.
    """
    if submit:
        # A student may only have a starter kit: the server knows the assignment by name.
        name = resolve_assignment(assignment).name if names_a_folder(assignment) else assignment
        sys.exit(submit_and_print(name, file, sys.stdout, course=course))
    loaded = resolve_assignment(assignment)
    source = file.read_bytes()
    executor = open_executor()
    try:
        report = grade_source(loaded, source, executor, mode="public")
    finally:
        executor.close()
    if as_json:
        click.echo(json.dumps(report.to_json(), indent=2))
    else:
        render_report(report, Console())
    sys.exit(EXIT_FULL_MARKS if report.full_marks else EXIT_NOT_FULL)
