"""UtcDateTime: every timestamp reads back as aware UTC, on SQLite as on PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, func, insert, select

from autograder.models._time import UtcDateTime

PARIS_WINTER = timezone(timedelta(hours=1))


def _roundtrip(url: str) -> list[datetime]:
    engine = create_engine(url)
    table = Table("moments", MetaData(), Column("id", Integer, primary_key=True), Column("at", UtcDateTime()))
    with engine.begin() as connection:
        table.create(connection)
        connection.execute(insert(table), [{"id": 1, "at": datetime(2026, 11, 30, 13, 0, tzinfo=timezone.utc)},
                                           {"id": 2, "at": datetime(2026, 11, 30, 14, 0, tzinfo=PARIS_WINTER)}])
        rows = list(connection.scalars(select(table.c.at).order_by(table.c.id)))
        # Services read aggregates (the latest heartbeat, the last finished grading) without converting.
        latest = connection.scalar(select(func.max(table.c.at)))
    engine.dispose()
    return [*rows, latest]


def _assert_aware_utc(moments: list[datetime]) -> None:
    first, second, latest = moments
    assert first == datetime(2026, 11, 30, 13, 0, tzinfo=timezone.utc) and first.utcoffset() == timedelta(0)
    # 14:00 in Paris in winter is 13:00 UTC: stored converted, read back aware.
    assert second == first and second.utcoffset() == timedelta(0)
    assert latest == first and latest.utcoffset() == timedelta(0)


def test_sqlite_reads_back_aware_utc() -> None:
    _assert_aware_utc(_roundtrip("sqlite://"))


@pytest.mark.services
def test_postgresql_reads_back_aware_utc(postgres_url: str) -> None:
    _assert_aware_utc(_roundtrip(postgres_url))


def test_naive_datetimes_are_refused() -> None:
    engine = create_engine("sqlite://")
    table = Table("moments", MetaData(), Column("id", Integer, primary_key=True), Column("at", UtcDateTime()))
    with engine.begin() as connection:
        table.create(connection)
        with pytest.raises(Exception, match="aware datetime"):
            connection.execute(insert(table), [{"id": 1, "at": datetime(2026, 11, 30, 13, 0)}])
