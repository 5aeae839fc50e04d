"""`autograder check [NAME|PATH]`: an assignment author's self-check of cases, reference, starter and mistakes."""

from __future__ import annotations

import click

from autograder.grade_cli import resolve_assignment
from autograder.grading.assignment import AssignmentError, assignment_names
from autograder.grading.selfcheck import DEFAULT_HIDDEN_SEEDS, SelfCheckReport, check_assignment


def render_report(report: SelfCheckReport) -> list[str]:
    """Return the lines that tell an author what the self-check found."""
    caught = sum(1 for verdict in report.mistakes if verdict.caught_by and not verdict.also_failed)
    verdict = "ok" if report.ok else f"{len(report.problems)} problem{'s' if len(report.problems) != 1 else ''}"
    lines = [f"{report.assignment}: {verdict} ({', '.join(report.suites) or 'no suite prepared'}; "
             f"{caught}/{len(report.mistakes)} mistakes caught by their function only; {report.seconds:.1f} s)"]
    for problem in report.problems:
        lines.append(f"  {problem.part:<9} {problem.subject + ': ' if problem.subject else ''}{problem.message}")
    if report.fixed_generators:
        lines.append(f"  note: fixed cases (the same for every seed): {', '.join(report.fixed_generators)}")
    return lines


@click.command("check")
@click.argument("name", required=False)
@click.option("--hidden-seed", "hidden_seeds", type=int, multiple=True,
              help=f"Also prepare the hidden draw of this seed (repeatable; default {DEFAULT_HIDDEN_SEEDS}).")
def check(name: str | None, hidden_seeds: tuple[int, ...]) -> None:
    """Self-check assignment NAME (or the folder PATH), or every assignment; exit 1 on problems.

    Runs the folder's own code in this process: every generator is deterministic and gives finite
    expected values, the reference passes its checks, every starter function raises
    NotImplementedError, no trivial implementation (None, constants, zeros, its input) earns a
    point, every named mistake fails its own function and no other.
    """
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
        click.echo("\n".join(render_report(report)))
        failed = failed or not report.ok
    if failed:
        raise SystemExit(1)
