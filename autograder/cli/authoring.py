"""Commands for assignment authors: `autograder selfcheck` (self-check a folder) and `autograder mistakes`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from autograder.cli.grade import resolve_assignment

if TYPE_CHECKING:
    from autograder.grading.assignment import Assignment
    from autograder.grading.selfcheck import SelfCheckReport


def known_mistakes(assignment: Assignment) -> list[tuple[str, str, str]]:
    """Return (function, name, hint) of each mistake ``assignment`` names, in the order of its functions."""
    if assignment.mistakes:
        found = [(mistake.function, mistake.name, mistake.hint) for mistake in assignment.mistakes]
    elif assignment.kit_suite is not None:
        # A starter kit has no mistakes.py: its public cases carry the names and hints.
        found = [
            (function.name, variant.mistake, variant.hint)
            for function in assignment.kit_suite.functions
            for check in function.checks
            if check.diagnosis
            for variant in check.diagnosis.variants
        ]
    else:
        found = []
    order = {function.name: position for position, function in enumerate(assignment.functions)}
    return sorted(dict.fromkeys(found), key=lambda item: order.get(item[0], len(order)))


@click.command("mistakes")
@click.argument("name", required=False)
def mistakes(name: str | None) -> None:
    """List the known mistakes that feedback names, for assignment NAME (or a starter kit) or for all."""
    from autograder.grading.assignment import assignment_names

    assignments = [resolve_assignment(name)] if name else [resolve_assignment(each) for each in assignment_names()]
    for position, assignment in enumerate(assignments):
        listed = known_mistakes(assignment)
        if position:
            click.echo()
        click.echo(f"{assignment.name} ({len(listed)} named mistakes)")
        function = None
        for owner, mistake, hint in listed:
            if owner != function:
                function = owner
                click.echo(f"  {function}")
            click.echo(f"    - {mistake}: {hint}")


def self_check_lines(report: SelfCheckReport) -> list[str]:
    """Return the lines that tell an author what the self-check found."""
    caught = sum(1 for verdict in report.mistakes if verdict.caught_by and not verdict.also_failed)
    verdict = "ok" if report.ok else f"{len(report.problems)} problem{'s' if len(report.problems) != 1 else ''}"
    lines = [
        f"{report.assignment}: {verdict} ({', '.join(report.suites) or 'no suite prepared'}; "
        f"{caught}/{len(report.mistakes)} mistakes caught by their function only; {report.seconds:.1f} s)"
    ]
    for problem in report.problems:
        lines.append(f"  {problem.part:<9} {problem.subject + ': ' if problem.subject else ''}{problem.message}")
    if report.fixed_generators:
        lines.append(f"  note: fixed cases (the same for every seed): {', '.join(report.fixed_generators)}")
    return lines


@click.command("selfcheck")
@click.argument("name", required=False)
@click.option(
    "--hidden-seed",
    "hidden_seeds",
    type=int,
    multiple=True,
    help="Also prepare the hidden draw of this seed (repeatable; default: the self-check's DEFAULT_HIDDEN_SEEDS).",
)
def selfcheck(name: str | None, hidden_seeds: tuple[int, ...]) -> None:
    """Self-check assignment NAME (or the folder PATH), or every assignment; exit 1 on problems.

    Runs the folder's own code in this process: every generator is deterministic and gives finite
    expected values, the reference passes its checks, every starter function raises
    NotImplementedError, every named mistake fails its own function and no other.
    """
    from autograder.grading.assignment import AssignmentError, assignment_names
    from autograder.grading.selfcheck import DEFAULT_HIDDEN_SEEDS, check_assignment

    names = [name] if name else assignment_names()
    failed = False
    for position, each in enumerate(names):
        assignment = resolve_assignment(each)
        try:
            report = check_assignment(assignment, hidden_seeds or DEFAULT_HIDDEN_SEEDS)
        except AssignmentError as error:
            raise click.UsageError(str(error)) from None
        if position:
            click.echo()
        click.echo("\n".join(self_check_lines(report)))
        failed = failed or not report.ok
    if failed:
        raise SystemExit(1)


COMMANDS = [selfcheck, mistakes]
