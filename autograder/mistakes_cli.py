"""`autograder mistakes [NAME]`: list the named mistakes the grader recognises, from the MISTAKES lists."""

from __future__ import annotations

import click

from autograder.grade_cli import resolve_assignment
from autograder.grading.assignment import Assignment, assignment_names


def known_mistakes(assignment: Assignment) -> list[tuple[str, str, str]]:
    """Return (function, name, hint) of each mistake ``assignment`` names, in the order of its functions."""
    if assignment.mistakes:
        found = [(mistake.function, mistake.name, mistake.hint) for mistake in assignment.mistakes]
    elif assignment.bundled_suite is not None:
        # A starter kit has no mistakes.py: its public cases carry the names and hints.
        found = [(function.name, variant.mistake, variant.hint) for function in assignment.bundled_suite.functions
                 for check in function.checks if check.diagnosis for variant in check.diagnosis.variants]
    else:
        found = []
    order = {function.name: position for position, function in enumerate(assignment.functions)}
    return sorted(dict.fromkeys(found), key=lambda item: order.get(item[0], len(order)))


@click.command("mistakes")
@click.argument("name", required=False)
def mistakes(name: str | None) -> None:
    """List the known mistakes that feedback names, for assignment NAME (or a starter kit) or for all."""
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
