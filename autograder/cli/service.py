"""Operating the web service: the database schema, courses, users, rosters, tokens, the demo, `serve`.

Each command is a thin shell over a service function (autograder/services) run inside the app
context that Flask's CLI machinery provides (`with_appcontext`); the app comes from the group's
`create_app` (`autograder ...`), from `flask --app autograder.app ...`, or from a test runner.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app, has_app_context
from flask.cli import ScriptInfo, with_appcontext

# autograder.models.Role's values, spelt here so that listing the commands imports no model
# (tests/test_cli_package.py checks they agree).
ROLES = ("student", "instructor", "ta")


def current_application() -> Flask:
    """Return the app of the running command: the current app context's, else the CLI's ScriptInfo's."""
    if has_app_context():
        return current_app._get_current_object()  # type: ignore[attr-defined]
    return click.get_current_context().ensure_object(ScriptInfo).load_app()


def _fail(message: str) -> None:
    raise click.ClickException(message)


class MigrationCommands(click.Group):
    """Flask-Migrate's `db` group, imported (with Alembic) only when `db` runs.

    Registered on app.cli, for `flask --app autograder.app db ...`; `autograder db` is our own group.
    The parsing, the group's options and every subcommand are Flask-Migrate's own.
    """

    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: Any
    ) -> click.Context:
        from flask_migrate.cli import db

        _enable_migrations()  # the parent's context is the current one here
        return db.make_context(info_name, args, parent=parent, **extra)


def _enable_migrations() -> None:
    from autograder.app import enable_migrations

    enable_migrations(current_application())


@click.group("db")
def db_group() -> None:
    """Database schema (Alembic migrations)."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Create or upgrade the database schema to REVISION (default: the latest migration)."""
    from flask_migrate import upgrade

    _enable_migrations()
    # The default SQLite file lives in the instance folder, which a fresh clone does not have.
    Path(current_app.instance_path).mkdir(parents=True, exist_ok=True)
    upgrade(revision=revision)
    click.echo("database is up to date" if revision == "head" else f"database is at {revision}")


@db_group.command("downgrade")
@click.argument("revision", default="-1")
@with_appcontext
def db_downgrade(revision: str) -> None:
    """Revert the schema to REVISION (default: one migration back; "base" empties the database)."""
    from flask_migrate import downgrade

    _enable_migrations()
    downgrade(revision=revision)
    click.echo(f"database downgraded to {revision}")


@db_group.command("current")
@click.option("-v", "--verbose", is_flag=True, help="Show each revision's details.")
@with_appcontext
def db_current(verbose: bool) -> None:
    """Print the database's current migration revision."""
    from flask_migrate import current

    _enable_migrations()
    current(verbose=verbose)


@db_group.command("check")
@with_appcontext
def db_check() -> None:
    """Exit 1 when the models differ from what the migrations build (a migration is missing)."""
    from flask_migrate import check

    _enable_migrations()
    check()
    click.echo("the migrations match the models")


@click.command("create-course")
@click.argument("code")
@click.option("--title", default="", help="Course title shown to students.")
@click.option("--join-code", default=None, help="Code students type to join (random if omitted).")
@with_appcontext
def create_course(code: str, title: str, join_code: str | None) -> None:
    """Create a course; every synced assignment is set in it."""
    from autograder.services import courses
    from autograder.services.errors import ServiceError

    try:
        course = courses.create_course(code, title, join_code)
    except ServiceError as error:
        _fail(str(error))
    click.echo(f"created {course.code} ({course.title}); students join with code {course.join_code}")


@click.command("create-user")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), default="student")
@click.option("--password", required=True, help="At least 8 characters.")
@click.option("--name", default="")
@click.option("--course", "course_code", default=None, help="Enrol the user in this course.")
@with_appcontext
def create_user(email: str, role: str, password: str, name: str, course_code: str | None) -> None:
    """Create a user account (optionally enrolled in a course)."""
    from autograder.models import Role
    from autograder.services import accounts, courses
    from autograder.services.errors import ServiceError

    try:
        course = courses.get_course(course_code) if course_code else None
        user = accounts.create_user(email, password, Role(role), name)
        if course is not None:
            courses.enroll(user, course)
    except ServiceError as error:
        _fail(str(error))
    click.echo(f"created {user.email} ({user.role.value})" + (f" in {course.code}" if course else ""))


@click.command("set-role")
@click.argument("code")
@click.argument("email")
@click.argument("role", type=click.Choice(ROLES))
@with_appcontext
def set_role(code: str, email: str, role: str) -> None:
    """Change the role of someone in a course (instructors included: their colleagues may not)."""
    from autograder.models import Role
    from autograder.services import accounts, courses
    from autograder.services.errors import ServiceError

    try:
        course = courses.get_course(code)
        user = accounts.find_user(email)
        if user is None or courses.role_in(user, course) is None:
            _fail(f"{email} is not in {course.code}: add them first (create-user --course, or the course page).")
        courses.add_member(course, user.email, Role(role), by_operator=True)
    except ServiceError as error:
        _fail(str(error))
    click.echo(f"{user.email} is now {role} in {course.code}")


@click.command("import-roster")
@click.argument("code")
@click.argument("csv_file", type=click.File("r", encoding="utf-8-sig"))
@with_appcontext
def import_roster(code: str, csv_file: Any) -> None:
    """Enrol the students of a CSV roster (email[,name][,password]) in a course."""
    from autograder.services import courses
    from autograder.services.errors import ServiceError

    try:
        result = courses.import_roster(courses.get_course(code), csv_file.read())
    except ServiceError as error:
        _fail(str(error))
    click.echo(
        f"{len(result.enrolled)} enrolled, {len(result.already_enrolled)} already enrolled, "
        f"{len(result.created)} accounts created, {len(result.errors)} problems"
    )
    for email, password in result.created:
        if password:
            click.echo(f"  new account {email}  password {password}")
    for email in result.unconfirmed:
        click.echo(f"  address not confirmed (an account someone registered): {email}")
    for problem in result.errors:
        click.echo(f"  {problem}", err=True)


@click.command("token")
@click.argument("email")
@with_appcontext
def token(email: str) -> None:
    """Print a new API token for a user (the previous one stops working)."""
    from autograder.services import accounts
    from autograder.services.confirmation_rule import EmailNotConfirmed

    user = accounts.find_user(email)
    if user is None:
        _fail(f"no user {email}")
    try:
        click.echo(accounts.issue_api_token(user))
    except EmailNotConfirmed:
        # The token could not submit either; the operator's password link reaches the owner and confirms.
        _fail(
            f"{user.email} has not confirmed its address (anyone may register any address): give its owner "
            f"a link from 'autograder password-link {user.email}' first; using it confirms the address"
        )


@click.command("password-link")
@click.argument("email")
@click.option(
    "--base-url", default="", help="The service's address, e.g. https://grader.example.edu (default: print the path)."
)
@with_appcontext
def password_link(email: str, base_url: str) -> None:
    """Print a one-time link (valid 24 hours) with which a user sets a new password.

    For the operator: an instructor may only make links for accounts in their own courses alone
    (docs/WEB.md), so a student of two instructors' courses, or an instructor, gets one here.
    """
    from autograder.services import accounts, password_links

    user = accounts.find_user(email)
    if user is None:
        _fail(f"no user {email}")
    token = password_links.make_token(user, password_links.LinkPurpose.RESET)
    click.echo(f"{base_url.rstrip('/')}/set-password/{token}")


@click.command("sync-assignments")
@with_appcontext
def sync_assignments() -> None:
    """Load assignments/ into the database and set them in every course."""
    from autograder.services import catalog

    for change in catalog.sync_assignments():
        click.echo(f"{change.kind:9} {change.name:16} {change.new_version[:12]}")


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="Load nothing, successfully, where the database holds other data.")
@with_appcontext
def demo(if_empty: bool) -> None:
    """Create (once) a demo course with an instructor, students and graded submissions.

    Only into an empty database (or one holding only the demo): its passwords are public.
    """
    from autograder.jobs.executors import open_worker_executor
    from autograder.services.demo import DemoRefused, load_demo
    from autograder.services.grading import grade_submission

    try:
        result = load_demo()
    except DemoRefused as error:
        if if_empty:
            click.echo(f"no demo loaded: {error}")
            return
        _fail(str(error))
    if result.new_submission_ids:
        executor = open_worker_executor(current_app._get_current_object())  # a free sandbox slot
        try:
            for submission_id in result.new_submission_ids:
                outcome = grade_submission(submission_id, executor=executor, worker="demo")
                click.echo(f"graded demo submission {submission_id}: {outcome.value}")
        finally:
            executor.close()
    click.echo(f"demo course {result.course.code} — students join with code {result.course.join_code}")
    for email, password, role in result.accounts:
        click.echo(f"  {role:10} {email:26} password: {password}")


def ensure_secret_key(instance_path: str | os.PathLike[str]) -> Path:
    """Create instance/secret_key once (0600) so sessions survive restarts; return its path."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, help="Request threads (gunicorn gthread).")
@click.option("--dev", is_flag=True, help="Use Flask's development server instead of gunicorn.")
def serve(host: str, port: int, threads: int, dev: bool) -> None:
    """Serve the web app with the embedded grading pool (one process, gunicorn threads)."""
    app = current_application()
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = ensure_secret_key(app.instance_path).read_text().strip()
    click.echo(f"serving on http://{host}:{port}/")
    if dev:
        from autograder.jobs.queue import grading_queue

        # Started now so the sweeper picks up anything queued while the server was down.
        grading_queue(app).start()
        app.run(host=host, port=port, threaded=True, use_reloader=False)
        return
    from autograder.serving import run_gunicorn

    run_gunicorn(app, host, port, threads)


# Registered on the `autograder` group; all but `db` also on app.cli, so `flask --app autograder.app`
# has them too (there `db` is Flask-Migrate's own group).
APP_COMMANDS = [
    create_course,
    create_user,
    set_role,
    import_roster,
    token,
    password_link,
    sync_assignments,
    demo,
    serve,
]


@click.command("export-course")
@click.argument("code")
@click.option(
    "-o",
    "--output",
    "output",
    type=click.File("w", encoding="utf-8"),
    required=True,
    help="The JSON file to write ('-' for standard output).",
)
@with_appcontext
def export_course_command(code: str, output: Any) -> None:
    """Write a course (people, enrolments, submissions, results, regrades) to a JSON file."""
    from autograder.services.course_transfer import CourseTransferError, export_course

    try:
        document = export_course(code)
    except CourseTransferError as error:
        raise click.ClickException(str(error)) from None
    json.dump(document, output, ensure_ascii=False, indent=1)
    output.write("\n")
    click.echo(
        f"exported {code}: {len(document['users'])} people, {len(document['submissions'])} submissions, "
        f"{len(document['regrades'])} regrades",
        err=True,
    )


@click.command("import-course")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@with_appcontext
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
    click.echo(
        f"imported {result.course.code}: {result.users_created} people created, {result.users_existing} "
        f"already here, {result.submissions} submissions, {result.regrades} regrades"
    )
    for note in result.notes:
        click.echo(f"  note: {note}")


@click.command("similarity")
@click.argument("course_code")
@click.argument("assignment_name")
@click.option("--json", "as_json", is_flag=True, help='Print {"pairs": [{"a", "b", "score", ...}]} instead of a table.')
@click.option("--limit", type=int, default=None, help="Show only the N most similar pairs.")
@with_appcontext
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
    click.echo(
        f"{course_code} / {assignment_name}: {ranking.students_compared} students compared "
        f"(each one's latest and best submission); pairs scoring at least {ranking.min_score:.0%}, "
        "most similar first. Similarity is evidence to review, not a verdict."
    )
    if not ranking.pairs:
        click.echo("no pair reaches that score")
        return
    click.echo(f"{'rank':>4}  {'score':>5}  {'file':>5}  {'funcs':>5}  students (submissions)")
    for position, pair in enumerate(ranking.pairs, start=1):
        click.echo(
            f"{position:>4}  {pair.score:>5.0%}  {pair.file_score:>5.0%}  {pair.function_score:>5.0%}  "
            f"{pair.student_a.email} (#{pair.submission_a_id}) ~ {pair.student_b.email} (#{pair.submission_b_id})"
        )


COMMANDS = [db_group, *APP_COMMANDS, export_course_command, import_course_command, similarity]
