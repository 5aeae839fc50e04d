"""Registering on a site that sends mail, without telling whether an address already has an account.

"Forgot your password?" answers the same whatever the address; registration must too, or anyone
could learn who has an account by trying to register them. So on a site with mail (``register``):

- a new address: the account is created unconfirmed and its confirmation link is mailed (with the
  join code, signed, so the course is joined when the link is used: email_confirmation.confirm_with);
- an address that has an account, or looks like one that does (letters from another alphabet):
  nothing is created or changed, and that account's own address is told that someone tried
  (if it was its owner: sign in, or "Forgot your password?").

The caller answers the same page in both cases and sends the mail after the response (web/auth.py):
the time the answer takes does not depend on the SMTP server. Both paths hash the password (the
scrypt that dominates the request). The mails are limited like "Forgot your password?"'s: 3 an
hour to one address (a confirmation counts too), 10 an hour of "someone tried" from one client;
over the limit nothing is sent, which the answer does not show either.

Without mail nothing could confirm an address: accounts.create_user as before (the known gap).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app
from limits import RateLimitItem, parse
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from autograder.extensions import db
from autograder.models import Role, User
from autograder.services import accounts, email_address, email_confirmation
from autograder.services.accounts import AccountError
from autograder.services.mailer import Mail
from autograder.services.rate_counters import RateCounters, rate_counters

log = logging.getLogger(__name__)

_EXTENSION = "autograder.registration_mail"


@dataclass(frozen=True)
class Links:
    """How the caller makes the mailed URLs."""

    confirm: Callable[[str], str]  # a confirmation token -> its page
    sign_in: str
    forgot_password: str


class _MailBudget:
    """Counts registration mails per address and per client (rate_counters: moving windows)."""

    def __init__(self, counters: RateCounters, per_address: RateLimitItem, per_client: RateLimitItem) -> None:
        self._limiter = counters.limiter
        self._per_address = per_address
        self._per_client = per_client
        self._prefix = counters.prefix
        self._enabled = counters.enabled

    def spend(self, address: str, client: str | None) -> bool:
        """Count one mail to ``address`` (and, for a "someone tried" mail, from ``client``); False: over a limit."""
        if not self._enabled:
            return True
        try:
            keys = [(self._per_address, f"{self._prefix}:registration-mail:{address}")]
            if client is not None:
                keys.append((self._per_client, f"{self._prefix}:registration-attempt:{client}"))
            if not all(self._limiter.test(item, key) for item, key in keys):
                return False
            return all([self._limiter.hit(item, key) for item, key in keys])
        except Exception:  # noqa: BLE001 - a storage outage must not stop registrations
            log.warning("registration mail limits unavailable; sending", exc_info=True)
            return True


def init_app(app: Flask) -> None:
    """Build the app's registration mail limits from its configuration."""
    app.extensions[_EXTENSION] = _MailBudget(
        rate_counters(app),
        parse(app.config.get("REGISTRATION_MAILS_PER_ADDRESS", "3 per hour")),
        parse(app.config.get("REGISTRATION_ATTEMPT_MAILS_PER_CLIENT", "10 per hour")),
    )


def register(email: str, password: str, name: str, join_code: str, client: str, links: Links) -> list[Mail]:
    """Register ``email`` on a site with mail; return the mails to send after answering (none over the limits).

    Raises AccountError only for what says nothing about accounts: an invalid address, a short password.
    The answer must not depend on anything else.
    """
    try:
        address = email_address.validate(email)
    except email_address.InvalidEmail as error:
        raise AccountError(str(error)) from None
    password_hash = accounts.hash_password(password)  # on both paths: the same work, the same time
    owner = _owner_of(address)
    if owner is None:
        user = accounts.unsaved_user(address, Role.STUDENT, name, password_hash)
        db.session.add(user)
        try:
            db.session.commit()
        except IntegrityError:  # a parallel registration of the same address came first
            db.session.rollback()
            owner = _owner_of(address)
            if owner is None:
                raise
        else:
            if not _budget().spend(user.email, None):
                return []
            return [Mail(*email_confirmation.confirmation_mail(user, links.confirm, join_code.strip().upper()))]
    if not _budget().spend(owner.email, client):
        return []
    return [_attempt_mail(owner, links)]


def _owner_of(address: str) -> User | None:
    """Return the account with this address, or else one whose address looks like it; None if neither."""
    found = db.session.scalars(select(User).where(User.email_skeleton == email_address.skeleton(address))
                               .order_by(User.id)).all()
    return next((user for user in found if user.email == address), found[0] if found else None)


def _attempt_mail(owner: User, links: Links) -> Mail:
    return Mail(owner.email, "Someone tried to register with your address on the autograder",
                f"Someone (you, perhaps) tried to create an autograder account with the address {owner.email}, "
                "or one that looks like it. That address already has an account: nothing was created or changed.\n\n"
                f"If it was you, sign in:\n{links.sign_in}\n\n"
                f"or, if you do not know the password (or never created this account yourself: someone else may "
                f"have used your address), choose a new one with 'Forgot your password?':\n{links.forgot_password}\n\n"
                "If it was not you, ignore this message.\n")


def _budget() -> _MailBudget:
    return current_app.extensions[_EXTENSION]
