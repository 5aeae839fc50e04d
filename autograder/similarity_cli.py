"""`autograder similarity COURSE ASSIGNMENT`: the pairs of students ranked by code similarity."""

from __future__ import annotations

import json

import click

from autograder.commands import in_app_context


@click.command("similarity")
@click.argument("course_code")
@click.argument("assignment_name")
@click.option("--json", "as_json", is_flag=True, help='Print {"pairs": [{"a", "b", "score", ...}]} instead of a table.')
@click.option("--limit", type=int, default=None, help="Show only the N most similar pairs.")
@in_app_context
def similarity(course_code: str, assignment_name: str, as_json: bool, limit: int | None) -> None:
    """Rank pairs of students by the similarity of their latest and best submissions (evidence, not a verdict)."""
    from autograder.services import courses, similarity as service
    from autograder.services.errors import NotFound

    try:
        course_assignment = courses.course_assignment(courses.get_course(course_code), assignment_name)
    except NotFound as error:
        raise click.ClickException(str(error)) from None
    service.ensure_indexed(course_assignment)
    ranking = service.ranking(course_assignment, limit=limit)
    if as_json:
        click.echo(json.dumps(ranking.to_json(), indent=2))
        return
    click.echo(f"{course_code} / {assignment_name}: {ranking.students_compared} students compared "
               f"(each one's latest and best submission); pairs scoring at least {ranking.min_score:.0%}, "
               "most similar first. Similarity is evidence to review, not a verdict.")
    if not ranking.pairs:
        click.echo("no pair reaches that score")
        return
    click.echo(f"{'rank':>4}  {'score':>5}  {'file':>5}  {'funcs':>5}  students (submissions)")
    for position, pair in enumerate(ranking.pairs, start=1):
        click.echo(f"{position:>4}  {pair.score:>5.0%}  {pair.file_score:>5.0%}  {pair.function_score:>5.0%}  "
                   f"{pair.student_a.email} (#{pair.submission_a_id}) ~ {pair.student_b.email} (#{pair.submission_b_id})")
