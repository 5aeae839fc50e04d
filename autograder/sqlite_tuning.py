"""SQLite for a web service: write-ahead logging, so a commit costs one sync and readers never block the writer."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

# FULL: a commit answered to a student survives a power cut, at one fsync of the WAL per commit
# (the rollback journal needs several). NORMAL trades that for speed; see docs/DEPLOY.md.
SYNCHRONOUS_LEVELS = ("FULL", "NORMAL")


def tune_sqlite(engine: Engine, synchronous: str = "FULL", busy_timeout_ms: int = 10000) -> None:
    """Set WAL mode, the sync level and a busy timeout on every new connection of a SQLite ``engine``."""
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return
    level = synchronous.upper()
    if level not in SYNCHRONOUS_LEVELS:
        raise ValueError(f"AUTOGRADER_SQLITE_SYNCHRONOUS must be FULL or NORMAL, not {synchronous!r}")

    @event.listens_for(engine, "connect")
    def _on_connect(connection: Any, record: Any) -> None:
        cursor = connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA synchronous={level}")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        finally:
            cursor.close()
