"""Timestamps stored as timezone-aware UTC."""

from __future__ import annotations

from datetime import datetime, timezone


def utcnow() -> datetime:
    """Return the current UTC time (a callable default, evaluated per row)."""
    return datetime.now(timezone.utc)
