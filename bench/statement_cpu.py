"""Client CPU of one statement sent the ways the service could send it (PostgreSQL of this machine).

    .venv/bin/python bench/statement_cpu.py

Against a throwaway database: an UPDATE of a submission built per call and run through the
session (the ORM's bulk-DML steps) or the session's connection, against one built once with bound
parameters; a SELECT built per call against one built once; the 27 result rows of a submission
as an executemany, one ``unnest`` statement or a COPY (with the server's CPU); a submission added
through the ORM against a Core ``INSERT ... RETURNING`` attached afterwards. Each figure is ms of
CPU of this process per call, commit included, after a warm-up (medians of a few rounds).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import psycopg
from sqlalchemy import bindparam, insert, select, text, update
from sqlalchemy.orm import make_transient_to_detached

from autograder.app import create_app
from autograder.config import TestConfig
from autograder.extensions import db
from autograder.models import CheckResult, Submission, SubmissionStatus
from autograder.models._time import utcnow

ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"


def _backend_seconds(database: str) -> float:
    """CPU seconds used so far by this database's PostgreSQL backends (Linux /proc)."""
    with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
        pids = [row[0] for row in admin.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (database,))]
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _cpu(work: Callable[[], None], database: str, calls: int = 300, rounds: int = 3) -> tuple[float, float]:
    for _ in range(30):
        work()
    client, server = [], []
    for _ in range(rounds):
        backend, started = _backend_seconds(database), time.process_time()
        for _ in range(calls):
            work()
        client.append(1000 * (time.process_time() - started) / calls)
        server.append(1000 * (_backend_seconds(database) - backend) / calls)
    return statistics.median(client), statistics.median(server)


def main() -> int:
    database = f"autograder_statements_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')
    app = create_app(TestConfig(Path(tempfile.mkdtemp()), f"postgresql+psycopg://postgres@127.0.0.1:5432/{database}"))
    try:
        with app.app_context():
            db.create_all()
            for constraint in (
                "fk_check_result_submission_id_submission",
                "fk_submission_user_id_user",
                "fk_submission_course_assignment_id_course_assignment",
            ):
                table = "check_result" if constraint.startswith("fk_check") else "submission"
                db.session.execute(text(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {constraint}"))
            db.session.commit()
            for label, work in _cases().items():
                client, server = _cpu(work, database)
                print(f"  {label:<62} client {client:6.3f} ms   server {server:6.3f} ms")
    finally:
        with app.app_context():
            db.engine.dispose()
        with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    return 0


def _cases() -> dict[str, Callable[[], None]]:
    owned = (Submission.id == 5) & (Submission.status == SubmissionStatus.RUNNING) & (Submission.worker == "w")
    prebuilt = (
        update(Submission)
        .where(
            Submission.id == bindparam("submission_id"),
            Submission.status == SubmissionStatus.RUNNING,
            Submission.worker == bindparam("claim_worker"),
        )
        .values(lease_expires_at=None, error_message="")
    )
    read_once = select(Submission.source, Submission.filename).where(Submission.id == bindparam("submission_id"))
    rows = [
        {
            "submission_id": 1,
            "position": i,
            "name": f"check {i}",
            "function": "mse",
            "check": "value",
            "score": 1.0,
            "max_score": 1.0,
            "status": "passed",
            "output": "",
            "visibility": "visible",
            "mistake": None,
        }
        for i in range(27)
    ]
    columns = list(rows[0])
    unnest = text(
        'INSERT INTO check_result (submission_id, position, name, function, "check", score, max_score, status, '
        "output, visibility, mistake) SELECT * FROM unnest(CAST(:a AS integer[]), CAST(:b AS integer[]), "
        "CAST(:c AS varchar[]), CAST(:d AS varchar[]), CAST(:e AS varchar[]), CAST(:f AS float8[]), "
        "CAST(:g AS float8[]), CAST(:h AS varchar[]), CAST(:i AS text[]), CAST(:j AS varchar[]), "
        "CAST(:k AS varchar[]))"
    )
    source = "x" * 5000
    returned = insert(Submission).returning(*[column for column in Submission.__table__.c if column.key != "source"])

    def values() -> dict[str, object]:
        return dict(
            user_id=1,
            course_assignment_id=1,
            filename="a.py",
            source=source,
            sha256="0" * 64,
            status=SubmissionStatus.QUEUED,
            late_days=0,
            late_tokens=0,
            assignment_version="v",
            created_at=utcnow(),
        )

    def committed(work: Callable[[], object]) -> Callable[[], None]:
        def run() -> None:
            work()
            db.session.commit()

        return run

    quoted = ", ".join('"check"' if column == "check" else column for column in columns)
    copy_sql = f"COPY check_result ({quoted}) FROM STDIN"

    def copy_rows() -> None:
        cursor = db.session.connection().connection.driver_connection.cursor()
        with cursor.copy(copy_sql) as copy:
            for row in rows:
                copy.write_row(tuple(row.values()))

    def orm_insert() -> None:
        db.session.add(Submission(**values()))
        db.session.flush()

    def core_insert() -> None:
        row = db.session.connection().execute(returned, values()).one()
        submission = Submission(**row._asdict(), source=source)
        make_transient_to_detached(submission)
        db.session.add(submission)

    return {
        "begin + commit alone": committed(db.session.connection),
        "UPDATE built per call, session.execute": committed(
            lambda: db.session.execute(
                update(Submission)
                .where(owned)
                .values(lease_expires_at=None, error_message="")
                .execution_options(synchronize_session=False)
            )
        ),
        "UPDATE built per call, connection.execute": committed(
            lambda: db.session.connection().execute(
                update(Submission).where(owned).values(lease_expires_at=None, error_message="")
            )
        ),
        "UPDATE built once, connection.execute": committed(
            lambda: db.session.connection().execute(prebuilt, {"submission_id": 5, "claim_worker": "w"})
        ),
        "SELECT built per call, session.execute": committed(
            lambda: db.session.execute(
                select(Submission.source, Submission.filename).where(Submission.id == 5)
            ).one_or_none()
        ),
        "SELECT built once, session.execute": committed(
            lambda: db.session.execute(read_once, {"submission_id": 5}).one_or_none()
        ),
        "27 result rows, executemany": committed(lambda: db.session.connection().execute(insert(CheckResult), rows)),
        "27 result rows, one unnest INSERT": committed(
            lambda: db.session.connection().execute(
                unnest, {key: [row[column] for row in rows] for key, column in zip("abcdefghijk", columns)}
            )
        ),
        "27 result rows, COPY": committed(copy_rows),
        "a submission added through the ORM": committed(orm_insert),
        "a submission by Core INSERT ... RETURNING, attached": committed(core_insert),
    }


if __name__ == "__main__":
    raise SystemExit(main())
