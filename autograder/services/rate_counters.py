"""Event counters in the app's rate-limit storage, for limits that a service decides on.

Flask-Limiter (``extensions.limiter``) limits requests. Some limits count events only a service
sees: a failed password (login_throttle), a registration mail sent (registration). They count in
the same storage (Redis in the distributed mode, so every web process shares them), under the
same key prefix, through one moving-window limiter per app.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

_EXTENSION = "autograder.rate_counters"


@dataclass(frozen=True)
class RateCounters:
    """The limiter over the app's rate-limit storage, its key prefix, and whether limits apply."""

    limiter: MovingWindowRateLimiter
    prefix: str
    enabled: bool


def rate_counters(app: Flask) -> RateCounters:
    """Return the app's counters, made on first use (RATELIMIT_STORAGE_URI, _KEY_PREFIX, _ENABLED)."""
    counters = app.extensions.get(_EXTENSION)
    if counters is None:
        storage = storage_from_string(app.config.get("RATELIMIT_STORAGE_URI", "memory://"))
        counters = RateCounters(MovingWindowRateLimiter(storage),
                                prefix=app.config.get("RATELIMIT_KEY_PREFIX", "autograder"),
                                enabled=bool(app.config.get("RATELIMIT_ENABLED", True)))
        app.extensions[_EXTENSION] = counters
    return counters
