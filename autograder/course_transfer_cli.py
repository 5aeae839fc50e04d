"""`autograder export-course` and `import-course`: move a course between databases (SQLite -> PostgreSQL)."""

from __future__ import annotations

import json
from typing import Any

import click

from autograder.commands import in_app_context


@click.command("export-course")
@click.argument("code")
@click.option("-o", "--output", "output", type=click.File("w", encoding="utf-8"), required=True,
              help="The JSON file to write ('-' for standard output).")
@in_app_context
def export_course_command(code: str, output: Any) -> None:
    """Write a course (people, enrolments, submissions, results, regrades) to a JSON file."""
    from autograder.services.course_transfer import CourseTransferError, export_course

    try:
        document = export_course(code)
    except CourseTransferError as error:
        raise click.ClickException(str(error)) from None
    json.dump(document, output, ensure_ascii=False, indent=1)
    output.write("\n")
    click.echo(f"exported {code}: {len(document['users'])} people, {len(document['submissions'])} submissions, "
               f"{len(document['regrades'])} regrades", err=True)


@click.command("import-course")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@in_app_context
def import_course_command(file: Any) -> None:
    """Create a course in this database from an export-course file (nothing is written if it fails)."""
    from autograder.services.course_transfer import CourseTransferError, import_course

    try:
        document = json.load(file)
    except json.JSONDecodeError as error:
        raise click.ClickException(f"not a JSON file: {error}") from None
    try:
        result = import_course(document)
    except CourseTransferError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"imported {result.course.code}: {result.users_created} people created, {result.users_existing} "
               f"already here, {result.submissions} submissions, {result.regrades} regrades")
    for note in result.notes:
        click.echo(f"  note: {note}")


COURSE_TRANSFER_COMMANDS = [export_course_command, import_course_command]


def add_course_transfer_commands(group: click.Group) -> None:
    """Register export-course and import-course on a click group."""
    for command in COURSE_TRANSFER_COMMANDS:
        group.add_command(command)
