"""The Alembic migrations build exactly the schema the models describe (an `alembic check`)."""

from __future__ import annotations


import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from autograder.app import create_app, enable_migrations
from autograder.extensions import db

def _differences(app) -> list:
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def _app_on(url: str, make_config, tmp_path):
    app = create_app(make_config(tmp_path, url))
    enable_migrations(app)
    return app


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


def test_staff_of_the_day_are_marked_and_existing_courses_keep_the_sites_hidden_seed(tmp_path, config_factory):
    """The marker that keeps instructors' links from staff accounts starts with today's staff; old courses
    keep grading with the site's seed (NULL), so regrades draw what their submissions were graded with."""
    from sqlalchemy import text

    app = _app_on(f"sqlite:///{tmp_path / 'old.sqlite3'}", config_factory, tmp_path)
    with app.app_context():
        upgrade(revision="c5a8e1d3f907")
        with db.engine.begin() as connection:
            connection.execute(text("INSERT INTO course (id, code, title, join_code, time_zone, late_day_tokens, "
                                    "created_at) VALUES (1, 'DL1', 'DL', 'JOIN1', 'UTC', 0, '2026-01-01 00:00:00')"))
            for n, (email, role) in enumerate((("prof@x.edu", "INSTRUCTOR"), ("ta@x.edu", "TA"),
                                               ("stu@x.edu", "STUDENT")), start=1):
                connection.execute(text(
                    "INSERT INTO user (id, email, email_skeleton, name, role, password_hash, created_at) "
                    "VALUES (:id, :email, :email, '', 'STUDENT', 'scrypt:x', '2026-01-01 00:00:00')"),
                    {"id": n, "email": email})
                connection.execute(text("INSERT INTO enrollment (user_id, course_id, role, created_at) "
                                        "VALUES (:id, 1, :role, '2026-01-01 00:00:00')"), {"id": n, "role": role})
        upgrade()
        with db.engine.connect() as connection:
            marked = dict(connection.execute(text("SELECT email, staff_since FROM user")).all())
            seeds = connection.execute(text("SELECT hidden_seed FROM course")).scalars().all()
        db.engine.dispose()
    assert marked["prof@x.edu"] is not None and marked["ta@x.edu"] is not None and marked["stu@x.edu"] is None
    assert seeds == [None]
