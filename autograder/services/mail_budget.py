"""One budget of mails per inbox, shared by every flow that mails a person.

Anyone can make the site mail an address: "Forgot your password?" for it, a registration with it,
"Send it again" from an account registered with it, an instructor's password link. Counted per
flow, one inbox got about 9 mails an hour from strangers. Every mail to a person therefore spends
from one budget of its address (MAILS_PER_INBOX, 3 an hour): past it nothing is sent, whichever
flow asks, and the pages that may not tell whether an address has an account answer the same.

A mail a stranger can send about someone else's account ("someone tried to register with your
address") also spends from the asking client's budget (Mail.client): one address cannot make the
site mail every account. The counters live in the rate-limit storage (rate_counters: Redis in
the distributed mode, memory in the embedded one).
"""

from __future__ import annotations

import logging

from flask import Flask, current_app
from limits import RateLimitItem, parse

from autograder.services import mailer
from autograder.services.login_throttle import account_key
from autograder.services.mailer import Mail
from autograder.services.rate_counters import RateCounters, rate_counters

log = logging.getLogger(__name__)

_EXTENSION = "autograder.mail_budget"


class MailBudget:
    """Counts mails per destination address and per asking client (moving windows)."""

    def __init__(self, counters: RateCounters, per_inbox: RateLimitItem, per_client: RateLimitItem) -> None:
        self._limiter = counters.limiter
        self._per_inbox = per_inbox
        self._per_client = per_client
        self._prefix = counters.prefix
        self._enabled = counters.enabled

    @property
    def per_inbox(self) -> RateLimitItem:
        return self._per_inbox

    def spend(self, to: str, client: str | None = None) -> bool:
        """Count one mail to ``to`` (and from ``client``, if given); False, counting nothing: over a limit."""
        if not self._enabled:
            return True
        keys = [(self._per_inbox, f"{self._prefix}:mail-inbox:{account_key(to)}")]
        if client is not None:
            keys.append((self._per_client, f"{self._prefix}:mail-client:{client}"))
        try:
            if not all(self._limiter.test(item, key) for item, key in keys):
                return False
            return all([self._limiter.hit(item, key) for item, key in keys])
        except Exception:  # noqa: BLE001 - a storage outage must not stop password links
            log.warning("mail limits unavailable; sending", exc_info=True)
            return True


def init_app(app: Flask) -> None:
    """Build the app's mail budget from its configuration."""
    app.extensions[_EXTENSION] = MailBudget(
        rate_counters(app),
        parse(app.config.get("MAILS_PER_INBOX", "3 per hour")),
        parse(app.config.get("REGISTRATION_ATTEMPT_MAILS_PER_CLIENT", "10 per hour")),
    )


def per_inbox_text() -> str:
    """Return the inbox budget's size in words ("3 mails"), for the pages that say it is spent."""
    amount = current_app.extensions[_EXTENSION].per_inbox.amount
    return f"{amount} mail{'s' if amount != 1 else ''}"


def allows(mail: Mail) -> bool:
    """Spend one mail of ``mail``'s budgets; return False (nothing spent) if it must not be sent."""
    return current_app.extensions[_EXTENSION].spend(mail.to, mail.client)


def send(mail: Mail) -> bool:
    """Send ``mail`` if its budgets allow; return whether the server took it (False over a limit too)."""
    return allows(mail) and mailer.send_mail(mail.to, mail.subject, mail.body)
