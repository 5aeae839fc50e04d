"""Logging: one JSON object per line (AUTOGRADER_LOG_FORMAT=json), each carrying the submission it is about."""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import sys
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

# No mutable default: each context gets its own dict (set by log_context).
_context: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("autograder_log_context", default=None)

# Attributes every LogRecord has; anything else on a record came from `extra=` and is logged too.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}


@contextlib.contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    """Add ``fields`` (e.g. submission_id) to every log record emitted inside the block, in this thread."""
    token = _context.set({**(_context.get() or {}), **fields})
    try:
        yield
    finally:
        _context.reset(token)


class ContextFilter(logging.Filter):
    """Copy the current log context onto each record (as attributes, so any formatter may use them)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in (_context.get() or {}).items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON line: time, level, logger, message, context fields, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value if isinstance(value, (int, float, str, bool, type(None))) else str(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


_TEXT = "%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s"


def configure_logging(log_format: str | None = None, level: str | None = None) -> None:
    """Send the `autograder` loggers to stderr as JSON or text lines (idempotent; called by entry points)."""
    from autograder.config import logging_settings

    default_format, default_level = logging_settings()
    log_format = (log_format or default_format).lower()
    root = logging.getLogger("autograder")
    for handler in list(root.handlers):
        if getattr(handler, "_autograder", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler._autograder = True  # type: ignore[attr-defined]
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(_TEXT))
    root.addHandler(handler)
    root.setLevel(level or default_level)
    root.propagate = False
