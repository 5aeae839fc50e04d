"""`autograder bundle NAME -o DIR`: write a student's starter kit."""

from __future__ import annotations

from pathlib import Path

import click

from autograder.cli.grade import resolve_assignment


@click.command("bundle")
@click.argument("name")
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory to write the starter kit into (created if missing).",
)
def bundle(name: str, output: Path) -> None:
    """Write assignment NAME's starter kit (README, starter file, probes, spec, public cases) to OUTPUT."""
    from autograder.grading.bundle import write_bundle

    assignment = resolve_assignment(name)
    if assignment.is_bundle:
        raise click.UsageError(f"{name!r} is already a starter kit; bundle a repository assignment")
    try:
        written = write_bundle(assignment, output)
    except FileExistsError as error:
        raise click.ClickException(str(error)) from None
    for path in written:
        click.echo(f"wrote {path}")
    click.echo(f"grade your work with: grade {output} {output / assignment.file}")


COMMANDS = [bundle]
