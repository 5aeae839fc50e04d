"""Event counters in the app's rate-limit storage, for limits that a service decides on.

Flask-Limiter (``extensions.limiter``) limits requests. Some limits count events only a service
sees: a failed password (login_throttle), a registration mail sent (registration). They count in
the same storage (Redis in the distributed mode, so every web process shares them), under the
same key prefix, through one moving-window limiter per app.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

from flask import Flask
from limits import RateLimitItem
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


@dataclass(frozen=True)
class Verdict:
    """Whether an attempt may be made now; if not, for how long and whose budget is spent."""

    allowed: bool
    retry_after: int = 0
    reason: str = ""  # the spent budget's name ("account", "address")


def take_attempt(limiter: MovingWindowRateLimiter, budgets: Sequence[tuple[RateLimitItem, str, str]]) -> Verdict:
    """Refuse if any of ``budgets`` (limit, key, name) is spent; else count the attempt against the first.

    Counted when the attempt starts, not after it failed: the storage's hit is atomic, so a burst of
    parallel attempts gets no more than the budget. Storage errors propagate (callers decide).
    """
    for item, key, reason in budgets:
        if not limiter.test(item, key):
            return _refused(limiter, item, key, reason)
    item, key, reason = budgets[0]
    if not limiter.hit(item, key):  # the last of the budget went to a parallel attempt
        return _refused(limiter, item, key, reason)
    return Verdict(True)


def _refused(limiter: MovingWindowRateLimiter, item: RateLimitItem, key: str, reason: str) -> Verdict:
    reset = limiter.get_window_stats(item, key).reset_time
    return Verdict(False, max(1, math.ceil(reset - time.time())), reason)
