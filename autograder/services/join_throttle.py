"""Join-code throttling: join attempts per account, wrong join codes per client address.

A course's join code is all that keeps an account out of its roster. Without a limit a script
could try codes as fast as the site answers. Like sign-in (login_throttle), the budgets fall where
a guesser needs many tries and a student does not:

- per account, every attempt, counted when it starts (before the code is looked up), so a burst of
  parallel guesses gets no more than the budget; a right code counts too (nobody joins ten courses
  in an hour, and not forgiving it keeps a known code from buying more guesses);
- per client address, wrong codes only: a lecture behind one NAT joining together, typos included,
  must not lock itself out, while one address spraying guesses from many accounts is stopped.

The counters live in the rate-limit storage (rate_counters: Redis in the distributed mode, so every
web process shares them; memory in the embedded mode).
"""

from __future__ import annotations

import logging

from flask import Flask, current_app
from limits import RateLimitItem, parse

from autograder.services.rate_counters import RateCounters, Verdict, rate_counters, take_attempt

log = logging.getLogger(__name__)

_EXTENSION = "autograder.join_throttle"


class JoinThrottle:
    """Counts join attempts per account and wrong join codes per client address."""

    def __init__(self, counters: RateCounters, per_account: RateLimitItem, per_client: RateLimitItem) -> None:
        self._limiter = counters.limiter
        self._per_account = per_account
        self._per_client = per_client
        self._prefix = counters.prefix
        self.enabled = counters.enabled

    def _account(self, user_id: int) -> tuple[RateLimitItem, str, str]:
        return self._per_account, f"{self._prefix}:join-account:{user_id}", "account"

    def _client(self, client: str) -> tuple[RateLimitItem, str, str]:
        return self._per_client, f"{self._prefix}:join-address:{client}", "address"

    def check(self, user_id: int, client: str) -> Verdict:
        """Tell whether account ``user_id`` may try a join code from ``client`` now; an allowed attempt is counted."""
        if not self.enabled:
            return Verdict(True)
        try:
            return take_attempt(self._limiter, (self._account(user_id), self._client(client)))
        except Exception:  # noqa: BLE001 - a storage outage must not stop a class joining its course
            log.warning("join throttle storage unavailable; allowing the attempt", exc_info=True)
        return Verdict(True)

    def record_wrong_code(self, client: str) -> None:
        """Count one wrong join code against the client address."""
        if not self.enabled:
            return
        try:
            item, key, _ = self._client(client)
            self._limiter.hit(item, key)
        except Exception:  # noqa: BLE001
            log.warning("join throttle storage unavailable; wrong code not counted", exc_info=True)


def init_app(app: Flask) -> None:
    """Build the app's join throttle from its configuration (the storage's counters are shared)."""
    app.extensions[_EXTENSION] = JoinThrottle(
        rate_counters(app),
        parse(app.config.get("JOIN_ATTEMPTS_PER_ACCOUNT", "10 per hour")),
        parse(app.config.get("JOIN_FAILURES_PER_CLIENT", "100 per hour")),
    )


def join_throttle() -> JoinThrottle:
    """Return the current app's join throttle."""
    return current_app.extensions[_EXTENSION]
