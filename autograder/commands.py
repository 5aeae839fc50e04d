"""Operator commands (`autograder ...`, also available as `flask --app autograder.app ...`)."""

from __future__ import annotations

import functools
import os
import secrets
from pathlib import Path
from typing import Any, Callable

import click
from flask import Flask, current_app, has_app_context
from flask.cli import ScriptInfo

from autograder.models import Role


def _app() -> Flask:
    # Under `flask` (and the test runner) the ScriptInfo names the app; under `autograder` we build it.
    info = click.get_current_context().find_object(ScriptInfo)
    if info is not None:
        return info.load_app()
    from autograder.app import create_app

    return create_app()


def in_app_context(command: Callable[..., Any]) -> Callable[..., Any]:
    """Run the command inside an application context."""
    @functools.wraps(command)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if has_app_context():
            return command(*args, **kwargs)
        with _app().app_context():
            return command(*args, **kwargs)
    return wrapped


def _fail(message: str) -> None:
    raise click.ClickException(message)


@click.group("db")
def db_group() -> None:
    """Database schema (Alembic migrations)."""


@db_group.command("upgrade")
@in_app_context
def db_upgrade() -> None:
    """Create or upgrade the database schema to the latest migration."""
    from flask_migrate import upgrade

    # The default SQLite file lives in the instance folder, which a fresh clone does not have.
    Path(current_app.instance_path).mkdir(parents=True, exist_ok=True)
    upgrade()
    click.echo("database is up to date")


@click.command("create-course")
@click.argument("code")
@click.option("--title", default="", help="Course title shown to students.")
@click.option("--join-code", default=None, help="Code students type to join (random if omitted).")
@in_app_context
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
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.STUDENT.value)
@click.option("--password", required=True, help="At least 8 characters.")
@click.option("--name", default="")
@click.option("--course", "course_code", default=None, help="Enrol the user in this course.")
@in_app_context
def create_user(email: str, role: str, password: str, name: str, course_code: str | None) -> None:
    """Create a user account (optionally enrolled in a course)."""
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


@click.command("import-roster")
@click.argument("code")
@click.argument("csv_file", type=click.File("r", encoding="utf-8-sig"))
@in_app_context
def import_roster(code: str, csv_file: Any) -> None:
    """Enrol the students of a CSV roster (email[,name][,password]) in a course."""
    from autograder.services import courses
    from autograder.services.errors import ServiceError

    try:
        course = courses.get_course(code)
    except ServiceError as error:
        _fail(str(error))
    result = courses.import_roster(course, csv_file.read())
    click.echo(f"{len(result.enrolled)} enrolled, {len(result.already_enrolled)} already enrolled, "
               f"{len(result.created)} accounts created, {len(result.errors)} problems")
    for email, password in result.created:
        if password:
            click.echo(f"  new account {email}  password {password}")
    for problem in result.errors:
        click.echo(f"  {problem}", err=True)


@click.command("token")
@click.argument("email")
@in_app_context
def token(email: str) -> None:
    """Print a new API token for a user (the previous one stops working)."""
    from autograder.services import accounts

    user = accounts.find_user(email)
    if user is None:
        _fail(f"no user {email}")
    click.echo(accounts.issue_api_token(user))


@click.command("sync-assignments")
@in_app_context
def sync_assignments() -> None:
    """Load assignments/ into the database and set them in every course."""
    from autograder.services import catalog

    for change in catalog.sync_assignments():
        click.echo(f"{change.kind:9} {change.name:16} {change.new_version[:12]}")


@click.command("demo")
@in_app_context
def demo() -> None:
    """Create (once) a demo course with an instructor, students and graded submissions."""
    from autograder.jobs.executors import open_worker_executor
    from autograder.services.demo import load_demo
    from autograder.services.grading import grade_submission

    result = load_demo()
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
    app = _app()
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


FLASK_COMMANDS = [create_course, create_user, import_roster, token, sync_assignments, demo, serve]
OPERATOR_COMMANDS = [db_group, *FLASK_COMMANDS]


def add_operator_commands(group: click.Group) -> None:
    """Register every operator command on a click group (the `autograder` entry point)."""
    for command in OPERATOR_COMMANDS:
        group.add_command(command)
