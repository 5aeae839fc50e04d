"""Trace every SQLite write transaction of the processes started with this folder on PYTHONPATH.

    PYTHONPATH=bench/sqlite_lock_trace SQLITE_LOCK_TRACE=/tmp/locks \\
        .venv/bin/python bench/load_test.py --count 300 --students 20 --mode embedded
    .venv/bin/python bench/sqlite_lock_trace/report.py /tmp/locks

Each process appends one line per write transaction to SQLITE_LOCK_TRACE.<pid>: when its first
write was sent, how long that write waited for SQLite's write lock, how long the transaction then
held it (to the end of its commit or rollback), the thread, and the first write's statement.
Nothing happens without SQLITE_LOCK_TRACE. A benchmark aid only: it patches SQLAlchemy's default
dialect in the traced processes.
"""

from __future__ import annotations

import os

if os.environ.get("SQLITE_LOCK_TRACE"):
    import threading
    import time

    from sqlalchemy import event
    from sqlalchemy.engine import Engine, default

    _WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")
    _open: dict[int, list] = {}  # the pool's connection proxy -> [sent, lock taken, statement]
    _out = open(f"{os.environ['SQLITE_LOCK_TRACE']}.{os.getpid()}", "a", buffering=1)

    @event.listens_for(Engine, "before_cursor_execute")
    def _before(connection, cursor, statement, parameters, context, executemany):
        if connection.engine.dialect.name == "sqlite" and statement.lstrip()[:7].upper().startswith(_WRITES):
            _open.setdefault(id(connection.connection), [time.perf_counter(), None, " ".join(statement.split()[:4])])

    @event.listens_for(Engine, "after_cursor_execute")
    def _after(connection, cursor, statement, parameters, context, executemany):
        first = _open.get(id(connection.connection))
        if first is not None and first[1] is None:
            first[1] = time.perf_counter()

    def _ending(name):
        ends = getattr(default.DefaultDialect, name)

        def traced(self, connection, *args):
            try:
                return ends(self, connection, *args)
            finally:
                first = _open.pop(id(connection), None)
                if first is not None and first[1] is not None:
                    _out.write(
                        f"{first[0] * 1000:.3f} {(first[1] - first[0]) * 1000:.3f} "
                        f"{(time.perf_counter() - first[1]) * 1000:.3f} "
                        f"{threading.current_thread().name.replace(' ', '_')} {first[2]}\n"
                    )

        setattr(default.DefaultDialect, name, traced)

    _ending("do_commit")
    _ending("do_rollback")
