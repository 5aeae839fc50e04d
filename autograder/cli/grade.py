"""`grade ASSIGNMENT FILE`: grade a file offline with the public cases, as the service does.

Startup time is most of what a student waits for, so this module imports only click at load
time; the engine, the sandbox and rich are imported when a command needs them, the sandbox's
zygote is started before any of them (its interpreter starts while this one imports NumPy and
loads the suite), and a starter kit's suite is read from a per-user cache after the first run
(see autograder.grading.fixtures).
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from autograder.grading.assignment import Assignment
    from autograder.sandbox import Executor

EXIT_FULL_MARKS = 0
EXIT_NOT_FULL = 1
EXIT_USAGE = 2
# A starter kit's marker: its public cases with their expected values (autograder.grading.assignment).
KIT_MARKER = "public_cases.npz"


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
    return (Path(name_or_path) / KIT_MARKER).is_file()


def resolve_assignment(name_or_path: str, suite_cache: Path | None = None) -> Assignment:
    """Return the assignment named ``name_or_path``, or the starter kit in that folder; raise click.UsageError.

    ``suite_cache`` is a folder where a starter kit's decoded suite may be cached.
    """
    from autograder.grading.assignment import AssignmentError, AssignmentNotFound, find_assignment, load_assignment
    from autograder.grading.spec import SpecError

    try:
        if names_a_folder(name_or_path):
            return load_assignment(name_or_path, suite_cache=suite_cache)
        return find_assignment(name_or_path)
    except AssignmentNotFound as error:
        raise click.UsageError(str(error)) from None
    except (AssignmentError, SpecError) as error:
        raise click.UsageError(f"the assignment {name_or_path!r} cannot be loaded: {error}") from None


def _read_file(file: Path) -> bytes:
    """The student's file, read without waiting on it and only up to the largest submission; a UsageError else.

    A TA grades a student's folder with this command: a FIFO or a link to /dev/zero in it must not
    hang the grader or fill its memory.
    """
    from autograder.grading.notebook import MAX_NOTEBOOK_BYTES
    from autograder.grading.source_checks import read_submission_file

    try:
        data = read_submission_file(file, MAX_NOTEBOOK_BYTES)
    except OSError as error:
        raise click.UsageError(f"cannot grade {file}: {error.strerror or error}") from None
    if data is None:
        raise click.UsageError(f"{file} is more than {MAX_NOTEBOOK_BYTES:,} bytes: too large to grade.")
    return data


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("assignment")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print a Gradescope-shaped JSON object instead of tables.")
@click.option(
    "--submit",
    is_flag=True,
    help="Submit FILE to the course server instead (AUTOGRADER_URL and AUTOGRADER_TOKEN, or "
    "~/.config/autograder/config.toml) and print its result when it is ready.",
)
@click.option("--course", default=None, help="With --submit: the course code, if you are in several courses.")
@click.pass_obj
def main(started: object, assignment: str, file: Path, as_json: bool, submit: bool, course: str | None) -> None:
    """Grade FILE for ASSIGNMENT: an assignment name, or a starter kit folder made by `autograder kit`.

    FILE is your Python file or a Jupyter notebook (.ipynb) holding your functions in its code
    cells. A folder is written with a slash (./losses-kit); a bare word is a name, unless the
    current directory holds a starter kit of that name. Exits 0 for full marks, 1 otherwise, 2
    for a usage error.
    """
    if submit:
        from autograder.client import submit_and_print

        # A student may only have a starter kit: the server knows the assignment by name.
        name = resolve_assignment(assignment).name if names_a_folder(assignment) else assignment
        sys.exit(submit_and_print(name, file, sys.stdout, course=course))
    # First of all: the zygote's interpreter starts on the other core while this process imports
    # NumPy and loads the suite. It is a fresh program: it never sees what this process loads.
    # (The console script starts it even earlier and passes it on: autograder.grade_script.)
    from autograder.config import sandbox_options
    from autograder.sandbox import launch_executor
    from autograder.sandbox.launch import LaunchedZygote

    options = sandbox_options()
    launched = started if isinstance(started, LaunchedZygote) else launch_executor(options=options)
    from autograder.config import use_one_blas_thread

    use_one_blas_thread()  # before NumPy loads: this process only compares small arrays
    executor: Executor | None = None
    try:
        source = _read_file(file)
        from autograder.config import suite_cache_dir

        loaded = resolve_assignment(assignment, suite_cache=suite_cache_dir())
        from autograder.grading.engine import grade_source

        if not as_json:
            # Loaded while the zygote may still be warming up, rather than after grading.
            import autograder.grading.render  # noqa: F401
        from autograder.sandbox import open_executor

        executor, launched = open_executor(launched=launched, options=options), None
        report = grade_source(loaded, source, executor, mode="public", filename=file.name)
    except BaseException:
        if launched is not None:
            launched.discard()
        if executor is not None:
            executor.close()
        raise
    closing = threading.Thread(target=executor.close, name="sandbox-close")
    closing.start()  # the zygote winds down while the report prints
    try:
        if as_json:
            import json

            click.echo(json.dumps(report.to_json(), indent=2))
        else:
            from rich.console import Console

            from autograder.grading.render import render_report

            render_report(report, Console())
    finally:
        closing.join()
    sys.exit(EXIT_FULL_MARKS if report.full_marks else EXIT_NOT_FULL)
