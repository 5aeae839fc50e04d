"""`autograder`: the command line of operators and assignment authors, one module per area.

    grade.py      `grade` (students; its own entry point)   kits.py       kit, gradescope
    authoring.py  selfcheck, mistakes                       service.py    db, courses, users, serve...
    jobs.py       worker, sweep

The group is Flask's `FlaskGroup` with the application factory, so every command that needs the
app gets it (and its context) from Flask's own CLI machinery. Listing the commands (`--help`)
builds no app and imports nothing of the web stack; without the `server` extra (a student's
install) only the commands that need no app are offered.
"""

from __future__ import annotations

from typing import Any

import click

HELP = "Autograder operations: starter kits, assignment checks and the web service."
CONTEXT = {"help_option_names": ["-h", "--help"]}


def create_app() -> Any:
    """Build the app from the environment (imported here, on first use, not when the CLI loads)."""
    from autograder.app import create_app as factory
    from autograder.config import SettingsError

    try:
        return factory()
    except SettingsError as error:  # a readable message, not a traceback
        raise click.ClickException(str(error)) from None


def _server_group() -> click.Group:
    from flask.cli import FlaskGroup

    class AutograderGroup(FlaskGroup):
        """FlaskGroup whose command list is its own: listing builds no app and loads no plugin."""

        def _load_plugin_commands(self) -> None:
            # Plugins (Flask-Migrate's `db`) would import the web stack to be listed; ours cover them.
            self._loaded_plugin_commands = True

        def list_commands(self, ctx: click.Context) -> list[str]:
            return sorted(self.commands)

    from autograder.cli import authoring, jobs, kits, service

    group = AutograderGroup(
        create_app=create_app,
        add_default_commands=False,
        add_version_option=False,
        load_dotenv=False,
        set_debug_flag=False,
        help=HELP,
        context_settings=CONTEXT,
    )
    for command in (*kits.COMMANDS, *authoring.COMMANDS, *service.COMMANDS, *jobs.COMMANDS):
        group.add_command(command)
    return group


def _student_group() -> click.Group:
    from autograder.cli import authoring, kits

    group = click.Group(
        "autograder", help=HELP + " (Install autograder[server] for the service's commands.)", context_settings=CONTEXT
    )
    for command in (*kits.COMMANDS, *authoring.COMMANDS):
        group.add_command(command)
    return group


def _main_group() -> click.Group:
    try:
        import flask  # noqa: F401  (the server extra)
    except ImportError:
        return _student_group()
    return _server_group()


def __getattr__(name: str) -> Any:
    # `main` is built on first use, so `grade` (autograder.cli.grade) never pays for it.
    if name == "main":
        group = globals()["main"] = _main_group()
        return group
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
