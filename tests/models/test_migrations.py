"""The Alembic migrations build exactly the schema the models describe (an `alembic check`)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

from autograder.app import create_app
from autograder.extensions import db

POSTGRES_ADMIN_URL = os.environ.get("AUTOGRADER_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _differences(app) -> list:
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def _app_on(url: str, make_config, tmp_path):
    config = make_config(tmp_path, url)
    return create_app(config)


@pytest.fixture
def config_factory():
    from autograder.config import TestConfig

    return lambda instance, url: TestConfig(instance, url)


def test_sqlite_migrations_match_models_and_downgrade_cleanly(tmp_path, config_factory):
    app = _app_on(f"sqlite:///{tmp_path / 'check.sqlite3'}", config_factory, tmp_path)
    with app.app_context():
        upgrade()
    assert _differences(app) == []
    with app.app_context():
        downgrade(revision="base")
        assert inspect(db.engine).get_table_names() == ["alembic_version"]
        upgrade()
        db.engine.dispose()
    assert _differences(app) == []


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL database, dropped afterwards."""
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text("select 1"))
    except Exception as error:  # noqa: BLE001  (any connection failure means "not here")
        admin.dispose()
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required in CI and unreachable at {POSTGRES_ADMIN_URL}: {error}")
        pytest.skip(f"PostgreSQL unreachable at {POSTGRES_ADMIN_URL}: {type(error).__name__}")
    name = f"autograder_migrations_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'create database "{name}"'))
    try:
        yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'drop database if exists "{name}" with (force)'))
        admin.dispose()


@pytest.mark.services
def test_postgresql_migrations_match_models(postgres_url, tmp_path, config_factory):
    app = _app_on(postgres_url, config_factory, tmp_path)
    with app.app_context():
        upgrade()
    assert _differences(app) == []
    with app.app_context():
        db.engine.dispose()
