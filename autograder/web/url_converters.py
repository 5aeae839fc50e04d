"""URL converters of the app: ids are database integers, so a larger number matches no route (404)."""

from __future__ import annotations

from typing import Any

from werkzeug.routing import IntegerConverter, Map

# A 64-bit signed integer: PostgreSQL's and SQLite's largest id. A number past it would reach the
# database driver and fail there (a 500) instead of finding nothing.
LARGEST_ID = 2**63 - 1


class DatabaseIdConverter(IntegerConverter):
    """``<int:...>`` limited to what a database id can be."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", LARGEST_ID)
        super().__init__(map, *args, **kwargs)
