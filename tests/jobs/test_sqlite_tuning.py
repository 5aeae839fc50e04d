"""The embedded mode's SQLite runs in WAL mode (one sync per commit, readers never block the writer)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from autograder.extensions import db
from autograder.sqlite_tuning import tune_sqlite


def test_the_apps_sqlite_database_is_in_wal_mode_with_full_sync(jobs_app):
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10000


def test_normal_sync_on_request_and_nonsense_refused(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'n.sqlite3'}")
    tune_sqlite(engine, "normal")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    engine.dispose()
    with pytest.raises(ValueError, match="FULL or NORMAL"):
        tune_sqlite(sa.create_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}"), "OFF")


def test_a_concurrent_reader_does_not_block_a_writer(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'c.sqlite3'}")
    tune_sqlite(engine, busy_timeout_ms=100)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (x INTEGER)")
        connection.exec_driver_sql("INSERT INTO t VALUES (1)")
    with engine.connect() as reader:
        reader.exec_driver_sql("BEGIN")
        assert reader.exec_driver_sql("SELECT count(*) FROM t").scalar() == 1  # a read transaction stays open
        with engine.begin() as writer:  # with the rollback journal this would wait out the busy timeout and fail
            writer.exec_driver_sql("INSERT INTO t VALUES (2)")
        assert reader.exec_driver_sql("SELECT count(*) FROM t").scalar() == 1  # its snapshot
        reader.exec_driver_sql("COMMIT")
    engine.dispose()
