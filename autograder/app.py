"""The application factory: it reads like a table of contents."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from autograder.config import Config
from autograder.extensions import csrf, db, limiter, login_manager, migrate


def create_app(config: Any = None) -> Flask:
    """Create the Flask app; ``config`` is a Config-like object (default: from the environment)."""
    app = Flask(__name__, instance_relative_config=True, template_folder="web/templates", static_folder="web/static")
    app.config.from_object(config if config is not None else Config(app.instance_path))
    register_proxy_fix(app)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    register_template_helpers(app)
    return app


def register_proxy_fix(app: Flask) -> None:
    # Opt-in: trusting X-Forwarded-For without a proxy in front would let anyone pick their address.
    hops = int(app.config.get("TRUSTED_PROXIES", 0) or 0)
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]


def register_extensions(app: Flask) -> None:
    import autograder.models  # noqa: F401  (puts every table on db.metadata)
    from autograder.services import login_throttle

    db.init_app(app)
    # Batch mode lets Alembic alter tables on SQLite; compare_type keeps `alembic check` strict.
    migrate.init_app(app, db, directory=_migrations_directory(), render_as_batch=True, compare_type=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    login_throttle.init_app(app)


def register_blueprints(app: Flask) -> None:
    from autograder.web import api, auth, instructor, student

    for blueprint in (auth.bp, student.bp, instructor.bp, api.bp):
        app.register_blueprint(blueprint)


def register_errorhandlers(app: Flask) -> None:
    from autograder.web import errors

    errors.register(app)


def register_commands(app: Flask) -> None:
    from autograder.commands import FLASK_COMMANDS

    for command in FLASK_COMMANDS:
        app.cli.add_command(command)


def register_template_helpers(app: Flask) -> None:
    from autograder.web import response_headers, template_helpers

    template_helpers.register(app)
    response_headers.register(app)


def _migrations_directory() -> str:
    return str(Path(__file__).resolve().parent.parent / "migrations")
