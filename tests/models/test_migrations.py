"""The Alembic migrations build exactly the schema the models describe (an `alembic check`)."""

from __future__ import annotations


import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from autograder.app import create_app
from autograder.extensions import db

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


@pytest.mark.services
def test_postgresql_migrations_match_models(postgres_url, tmp_path, config_factory):
    app = _app_on(postgres_url, config_factory, tmp_path)
    with app.app_context():
        upgrade()
    assert _differences(app) == []
    with app.app_context():
        db.engine.dispose()


def test_accounts_that_have_a_password_are_grandfathered_as_confirmed(tmp_path, config_factory):
    """Nothing confirmed an address before the column existed: accounts in use count as confirmed, invitations not."""
    from sqlalchemy import text

    app = _app_on(f"sqlite:///{tmp_path / 'old.sqlite3'}", config_factory, tmp_path)
    with app.app_context():
        upgrade(revision="b4d9e2f70a16")
        with db.engine.begin() as connection:
            for email, password_hash in (("used@example.edu", "scrypt:x"), ("invited@example.edu", "")):
                connection.execute(text(
                    "INSERT INTO user (email, email_skeleton, name, role, password_hash, created_at) "
                    "VALUES (:email, :email, '', 'STUDENT', :hash, '2026-01-01 00:00:00')"),
                    {"email": email, "hash": password_hash})
        upgrade()
        with db.engine.connect() as connection:
            rows = dict(connection.execute(text("SELECT email, email_confirmed_at FROM user")).all())
        db.engine.dispose()
    assert rows["used@example.edu"] is not None and rows["invited@example.edu"] is None
