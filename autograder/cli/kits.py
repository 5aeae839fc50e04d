"""Kits: `autograder kit NAME -o DIR` (a student's starter kit), `autograder gradescope NAME -o ZIP`."""

from __future__ import annotations

from pathlib import Path

import click

from autograder.cli.grade import resolve_assignment

# Gradescope's visibility words (docs/GRADESCOPE.md); spelt here so listing commands imports no archive code.
VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")
HIDDEN_CASE_VISIBILITIES = ("after_published", "hidden", "after_due_date", "visible")


@click.command("kit")
@click.argument("name")
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory to write the starter kit into (created if missing).",
)
def kit(name: str, output: Path) -> None:
    """Write assignment NAME's starter kit (README, starter file, probes, spec, public cases) to OUTPUT."""
    from autograder.grading.kit import write_kit

    assignment = resolve_assignment(name)
    if assignment.is_kit:
        raise click.UsageError(f"{name!r} is already a starter kit; make kits from a repository assignment")
    try:
        written = write_kit(assignment, output)
    except FileExistsError as error:
        raise click.ClickException(str(error)) from None
    for path in written:
        click.echo(f"wrote {path}")
    click.echo(f"grade your work with: grade {output} {output / assignment.file}")


@click.command("gradescope")
@click.argument("name")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The .zip to write (upload it as the assignment's autograder on Gradescope).",
)
@click.option(
    "--hidden-seed",
    type=click.IntRange(1, 2**63 - 1),
    default=None,
    help="Seed of the hidden cases (default: a fresh random secret, stored in the archive).",
)
@click.option(
    "--hidden-visibility",
    type=click.Choice(HIDDEN_CASE_VISIBILITIES),
    default="after_published",
    show_default=True,
    help="When students see the graded tests that include hidden cases.",
)
@click.option(
    "--stdout-visibility",
    type=click.Choice(VISIBILITIES),
    default="hidden",
    show_default=True,
    help="When students see the autograder's log (it reports the sandbox's isolation).",
)
@click.option(
    "--wheel",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="This package's wheel (default: built from the source checkout with pip wheel).",
)
def gradescope(
    name: str, output: Path, hidden_seed: int | None, hidden_visibility: str, stdout_visibility: str, wheel: Path | None
) -> None:
    """Write assignment NAME's Gradescope autograder archive (no reference code inside) to OUTPUT."""
    from autograder.gradescope.archive import ArchiveError, ArchiveSettings, random_seed, write_archive

    assignment = resolve_assignment(name)
    try:
        settings = ArchiveSettings(
            hidden_seed=hidden_seed or random_seed(),
            hidden_visibility=hidden_visibility,
            stdout_visibility=stdout_visibility,
        )
        written = write_archive(assignment, output, settings, wheel=wheel)
    except ArchiveError as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        f"wrote {written}: upload it as the autograder of a Gradescope programming assignment "
        f"({assignment.max_score:g} points; students submit {assignment.file} or "
        f"{Path(assignment.file).stem}.ipynb)"
    )


COMMANDS = [kit, gradescope]
