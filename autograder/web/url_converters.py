"""URL converters of the app: ids are database integers, so a larger number matches no route (404)."""

from __future__ import annotations

from typing import Any

from werkzeug.routing import IntegerConverter, Map

from autograder.models._integer import INTEGER_RANGE



class DatabaseIdConverter(IntegerConverter):
    """``<int:...>`` limited to what a database id can be (a larger one would reach the driver: a 500)."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", INTEGER_RANGE.stop - 1)
        super().__init__(map, *args, **kwargs)
