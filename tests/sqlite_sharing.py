"""The test apps of a process share one SQLite dialect and its compiled statements.

SQLAlchemy caches each statement's compiled form per engine, keyed by the engine's dialect (the
mappers' INSERTs and UPDATEs too), and each test app has an engine of its own: every test
compiled every statement it ran again. The test apps' engines differ only in their database
file, so those with the same dialect class and engine options share the first one's dialect,
initialised on a first connection, and its cache. (An optimisation only: an Engine or mapper
without these private attributes is left as it is.)
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from autograder.extensions import db

# One initialised dialect and its compiled statements per kind of SQLite engine the test apps make.
_shared_statements: dict[tuple[type, str], tuple[Any, Any]] = {}


def share_compiled_statements(app: Flask) -> None:
    """Give the app's SQLite engine the dialect and statement cache of the first such engine."""
    with app.app_context():
        engine = db.engine
    if (
        engine.dialect.name != "sqlite"
        or not hasattr(engine, "_compiled_cache")
        or not hasattr(engine.pool, "_dialect")
    ):
        return
    key = (type(engine.dialect), repr(sorted(app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}).items())))
    shared = _shared_statements.get(key)
    if shared is None:
        with engine.connect():  # the dialect reads the library's version and defaults on a first connection
            pass
        _shared_statements[key] = (engine.dialect, engine._compiled_cache)
        return
    engine.dialect, engine._compiled_cache = shared
    engine.pool._dialect = shared[0]


def forget_unshared_statements() -> None:
    """Drop the mappers' compiled statements of every dialect but the shared ones.

    Each mapper keeps compiled statements per dialect (an LRU of 100): uncleared, the statements of
    engines with a dialect of their own (an app with other engine options, on PostgreSQL) would stay
    alive for about 100 apps, and the garbage collector would walk them again and again. Those of
    the shared dialects serve the next test.
    """
    shared = {dialect for dialect, _ in _shared_statements.values()}
    for mapper in db.Model.registry.mappers:
        cache = getattr(mapper, "_compiled_cache", None)
        if cache is not None:
            for key in [key for key in cache if not (type(key) is tuple and key and key[0] in shared)]:
                cache.pop(key, None)
