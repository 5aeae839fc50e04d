"""Sign-in throttling: failed attempts per account and per address; successes never count.

A lab behind one NAT shares one address, so limiting every POST per address locks a classroom
out. Instead each *failure* is counted twice: against the account tried (a guesser gets a few
tries per quarter-hour on any one account, whichever addresses they use) and against the address
(a generous cap that only a guesser spraying many accounts reaches). A correct password clears
the account's failures. The counters live in the rate-limit storage (Redis in the distributed
mode, so every web process shares them).
"""

from __future__ import annotations

import logging
import math
import time
import unicodedata
from dataclasses import dataclass

from flask import Flask, current_app
from limits import RateLimitItem, parse
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

log = logging.getLogger(__name__)

_EXTENSION = "autograder.login_throttle"


@dataclass(frozen=True)
class Verdict:
    """Whether a sign-in may be attempted now; if not, for how long and why."""

    allowed: bool
    retry_after: int = 0
    reason: str = ""


class LoginThrottle:
    """Counts failed sign-ins per account and per address in a `limits` storage."""

    def __init__(self, storage: Storage, per_account: RateLimitItem, per_address: RateLimitItem,
                 prefix: str, enabled: bool = True) -> None:
        self._limiter = MovingWindowRateLimiter(storage)
        self._per_account = per_account
        self._per_address = per_address
        self._prefix = prefix
        self.enabled = enabled

    def _keys(self, account: str, address: str) -> tuple[tuple[RateLimitItem, str], ...]:
        return ((self._per_account, f"{self._prefix}:login-account:{account_key(account)}"),
                (self._per_address, f"{self._prefix}:login-address:{address}"))

    def check(self, account: str, address: str) -> Verdict:
        """Tell whether a sign-in for ``account`` from ``address`` may be tried now."""
        if not self.enabled:
            return Verdict(True)
        reasons = {self._per_account: "account", self._per_address: "address"}
        try:
            for item, key in self._keys(account, address):
                if not self._limiter.test(item, key):
                    reset = self._limiter.get_window_stats(item, key).reset_time
                    return Verdict(False, max(1, math.ceil(reset - time.time())), reasons[item])
        except Exception:  # noqa: BLE001 - a storage outage must not lock everyone out
            log.warning("login throttle storage unavailable; allowing the attempt", exc_info=True)
        return Verdict(True)

    def record_failure(self, account: str, address: str) -> None:
        """Count one failed sign-in against the account and the address."""
        if not self.enabled:
            return
        try:
            for item, key in self._keys(account, address):
                self._limiter.hit(item, key)
        except Exception:  # noqa: BLE001
            log.warning("login throttle storage unavailable; failure not counted", exc_info=True)

    def record_success(self, account: str) -> None:
        """Forget the account's failures: whoever signed in knows the password."""
        if not self.enabled:
            return
        try:
            self._limiter.clear(self._per_account, f"{self._prefix}:login-account:{account_key(account)}")
        except Exception:  # noqa: BLE001
            log.warning("login throttle storage unavailable; failures not cleared", exc_info=True)


def account_key(email: str) -> str:
    """Return the key an e-mail address is counted under (the same for every spelling of it)."""
    return unicodedata.normalize("NFKC", email).strip().casefold()[:254]


def init_app(app: Flask) -> None:
    """Build the app's throttle from its configuration (storage, limits, key prefix)."""
    storage = storage_from_string(app.config.get("RATELIMIT_STORAGE_URI", "memory://"))
    app.extensions[_EXTENSION] = LoginThrottle(
        storage,
        parse(app.config.get("LOGIN_FAILURES_PER_ACCOUNT", "10 per 15 minutes")),
        parse(app.config.get("LOGIN_FAILURES_PER_ADDRESS", "200 per 15 minutes")),
        prefix=app.config.get("RATELIMIT_KEY_PREFIX", "autograder"),
        enabled=bool(app.config.get("RATELIMIT_ENABLED", True)),
    )


def login_throttle() -> LoginThrottle:
    """Return the current app's throttle."""
    return current_app.extensions[_EXTENSION]
