"""Sign-in throttling: failed attempts per account and per address; successes never count.

A lab behind one NAT shares one address, so limiting every POST per address locks a classroom
out. Instead each *failure* is counted twice: against the account tried (a guesser gets a few
tries per quarter-hour on any one account, whichever addresses they use) and against the address
(a generous cap that only a guesser spraying many accounts reaches). The account's count is taken
when the attempt starts, before the password is checked (parallel guesses cannot all pass), and
a correct password clears the account's failures. The counters live in the rate-limit storage (Redis in the distributed
mode, so every web process shares them).
"""

from __future__ import annotations

import logging
import secrets
import unicodedata

from flask import Flask, current_app
from itsdangerous import BadSignature, URLSafeSerializer
from limits import RateLimitItem, parse

from autograder.models.user import password_fingerprint
from autograder.services.rate_counters import RateCounters, Verdict, rate_counters, take_attempt

log = logging.getLogger(__name__)

_EXTENSION = "autograder.login_throttle"


class LoginThrottle:
    """Counts failed sign-ins per account and per address in a `limits` storage."""

    def __init__(self, counters: RateCounters, per_account: RateLimitItem, per_address: RateLimitItem) -> None:
        self._limiter = counters.limiter
        self._per_account = per_account
        self._per_address = per_address
        self._prefix = counters.prefix
        self.enabled = counters.enabled

    def _keys(self, account: str, address: str, device: str | None) -> tuple[tuple[RateLimitItem, str, str], ...]:
        # A browser that signed in to this account before (``device``) has a budget of its own: the
        # account's is what every other browser shares, so a classmate spending it keeps the owner
        # out only of browsers they never signed in from.
        mine = f"login-device:{account_key(account)}:{device}" if device else f"login-account:{account_key(account)}"
        return ((self._per_account, f"{self._prefix}:{mine}", "account"),
                (self._per_address, f"{self._prefix}:login-address:{address}", "address"))

    def check(self, account: str, address: str, device: str | None = None) -> Verdict:
        """Tell whether a sign-in for ``account`` from ``address`` (and known ``device``) may be tried now.

        An allowed attempt is counted against the account (or the device's budget) at once, as a
        failure until record_success clears it: counted only after the password was checked
        (~0.1 s of hashing), a burst of parallel guesses all passed this check before any of them
        was recorded. The storage's hit is atomic, so no more than the budget get through.
        """
        if not self.enabled:
            return Verdict(True)
        try:
            return take_attempt(self._limiter, self._keys(account, address, device))
        except Exception:  # noqa: BLE001 - a storage outage must not lock everyone out
            log.warning("login throttle storage unavailable; allowing the attempt", exc_info=True)
        return Verdict(True)

    def record_failure(self, account: str, address: str, device: str | None = None) -> None:
        """Count one failed sign-in against the address (check counted it against the account already)."""
        if not self.enabled:
            return
        try:
            item, key, _ = self._keys(account, address, device)[1]
            self._limiter.hit(item, key)
        except Exception:  # noqa: BLE001
            log.warning("login throttle storage unavailable; failure not counted", exc_info=True)

    def record_success(self, account: str, device: str | None = None) -> None:
        """Forget the account's failures (and the known device's): whoever signed in knows the password."""
        if not self.enabled:
            return
        try:
            self._limiter.clear(self._per_account, f"{self._prefix}:login-account:{account_key(account)}")
            if device:
                self._limiter.clear(self._per_account, f"{self._prefix}:login-device:{account_key(account)}:{device}")
        except Exception:  # noqa: BLE001
            log.warning("login throttle storage unavailable; failures not cleared", exc_info=True)


def account_key(email: str) -> str:
    """Return the key an e-mail address is counted under (the same for every spelling of it)."""
    return unicodedata.normalize("NFKC", email).strip().casefold()[:254]


def init_app(app: Flask) -> None:
    """Build the app's throttle from its configuration (the limits; the storage's counters are shared)."""
    app.extensions[_EXTENSION] = LoginThrottle(
        rate_counters(app),
        parse(app.config.get("LOGIN_FAILURES_PER_ACCOUNT", "10 per 15 minutes")),
        parse(app.config.get("LOGIN_FAILURES_PER_ADDRESS", "200 per 15 minutes")),
    )


_DEVICE_SALT = "autograder.known-device"


def device_cookie(account: str, device: str | None, password_hash: str) -> tuple[str, str]:
    """Return (device id, cookie value) marking this browser as one that signed in to ``account``.

    ``device``: the id this browser already has for the account, kept; None makes a new one.
    ``password_hash``: the account's stored hash now. The mark holds only while that password
    does: someone who once knew it (a squatter, a friend it was shared with) could otherwise sign
    in from many fresh browsers beforehand and keep ten guesses a quarter-hour in each of them
    after the owner changed it.
    """
    device = device or secrets.token_urlsafe(12)
    return device, URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_DEVICE_SALT).dumps(
        {"account": account_key(account), "device": device, "password": password_fingerprint(password_hash)})


def known_device(cookie: str | None, account: str, password_hash: str | None) -> str | None:
    """Return the device id of a browser that signed in to ``account`` with its current password, or None.

    ``password_hash``: the account's stored hash (None or empty: no such account, or no password).
    """
    if not cookie or not password_hash:
        return None
    try:
        data = URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_DEVICE_SALT).loads(cookie)
    except BadSignature:
        return None
    if not isinstance(data, dict) or data.get("account") != account_key(account):
        return None
    if data.get("password") != password_fingerprint(password_hash):
        return None  # marked under a password that has changed since
    device = data.get("device")
    return device if isinstance(device, str) and device else None


def login_throttle() -> LoginThrottle:
    """Return the current app's throttle."""
    return current_app.extensions[_EXTENSION]
