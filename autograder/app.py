"""The application factory: it reads like a table of contents."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from autograder.config import Config
from autograder.extensions import csrf, db, limiter, login_manager


def create_app(config: Any = None) -> Flask:
    """Create the Flask app; ``config`` is a Config-like object (default: from the environment)."""
    app = Flask(__name__, instance_relative_config=True, template_folder="web/templates", static_folder="web/static")
    register_template_code(app)
    app.config.from_object(config if config is not None else Config(app.instance_path))
    register_proxy_fix(app)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    register_template_helpers(app)
    register_logging(app)
    return app


def register_template_code(app: Flask) -> None:
    from autograder.web.template_code import TEMPLATE_CODE

    # Before anything creates the Jinja environment (it reads jinja_options once).
    app.jinja_options = {**app.jinja_options, "bytecode_cache": TEMPLATE_CODE}


def register_proxy_fix(app: Flask) -> None:
    # Opt-in: trusting X-Forwarded-For without a proxy in front would let anyone pick their address.
    hops = int(app.config.get("TRUSTED_PROXIES", 0) or 0)
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]


def register_extensions(app: Flask) -> None:
    import autograder.models  # noqa: F401  (puts every table on db.metadata)
    from autograder.services import join_throttle, login_throttle, mail_budget

    db.init_app(app)
    register_database_tuning(app)
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    login_throttle.init_app(app)
    join_throttle.init_app(app)
    mail_budget.init_app(app)


def enable_migrations(app: Flask) -> None:
    """Register Flask-Migrate on ``app``, once: what the schema commands need (they call this).

    Not in create_app: Flask-Migrate brings Alembic and Mako (with Mako's Pygments lexers), about
    0.2 s of every web, worker and command process's start, and only the commands that migrate use them.
    """
    if "migrate" in app.extensions:
        return
    from flask_migrate import Migrate

    # Batch mode lets Alembic alter tables on SQLite; compare_type keeps `alembic check` strict.
    Migrate(app, db, directory=_migrations_directory(), render_as_batch=True, compare_type=True)


def register_database_tuning(app: Flask) -> None:
    from autograder.sqlite_tuning import tune_sqlite

    with app.app_context():  # the engines exist after init_app; no connection is opened here
        for engine in db.engines.values():
            tune_sqlite(engine, app.config.get("SQLITE_SYNCHRONOUS", "FULL"),
                        app.config.get("SQLITE_BUSY_TIMEOUT_MS", 10000))


def register_blueprints(app: Flask) -> None:
    from autograder.web import api, auth, instructor, similarity, student
    from autograder.web.url_converters import DatabaseIdConverter

    app.url_map.converters["int"] = DatabaseIdConverter  # before any rule is added

    for blueprint in (auth.bp, student.bp, instructor.bp, similarity.bp, api.bp):
        app.register_blueprint(blueprint)
    from autograder.web import operations  # /healthz, /readyz, /metrics

    app.register_blueprint(operations.bp)


def register_errorhandlers(app: Flask) -> None:
    from autograder.web import errors

    errors.register(app)


def register_commands(app: Flask) -> None:
    from autograder.cli.service import APP_COMMANDS, MigrationCommands

    for command in APP_COMMANDS:
        app.cli.add_command(command)
    # `flask --app autograder.app db ...`: Flask-Migrate's commands, loaded when one runs.
    app.cli.add_command(MigrationCommands("db", help="Database schema (Flask-Migrate's commands)."))


def register_template_helpers(app: Flask) -> None:
    from autograder.web import response_headers, template_helpers

    template_helpers.register(app)
    response_headers.register(app)


def register_logging(app: Flask) -> None:
    from autograder.logs import configure_logging

    if not app.testing:  # the test runner captures logs its own way
        configure_logging(app.config.get("LOG_FORMAT"))


def _migrations_directory() -> str:
    # Shipped inside the package, so a non-editable install can migrate too.
    return str(Path(__file__).resolve().parent / "migrations")
