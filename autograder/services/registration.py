"""Registering on a site that sends mail, without telling whether an address already has an account.

"Forgot your password?" answers the same whatever the address; registration must too, or anyone
could learn who has an account by trying to register them. So on a site with mail (``register``):

- a new address: the account is created unconfirmed and its confirmation link is mailed (with the
  join code, signed, so the course is joined when the link is used: email_confirmation.confirm_with);
- an address that has an account, or looks like one that does (letters from another alphabet):
  nothing is created or changed, and that account's own address is told that someone tried
  (if it was its owner: sign in, or "Forgot your password?").

The caller answers the same page in both cases and sends the mail after the response (web/auth.py):
the time the answer takes does not depend on the SMTP server, nor on the mail limits, which are
spent then too (mail_budget: the inbox's 3 an hour, shared with every other flow that mails it,
and 10 "someone tried" an hour from one client); over a limit nothing is sent, which the answer
does not show either. Both paths hash the password (the scrypt that dominates the request).

Without mail nothing could confirm an address: accounts.create_user as before (the known gap).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from autograder.extensions import db
from autograder.models import Role, User
from autograder.services import accounts, email_address, email_confirmation
from autograder.services.accounts import AccountError
from autograder.services.mailer import Mail


@dataclass(frozen=True)
class Links:
    """How the caller makes the mailed URLs."""

    confirm: Callable[[str], str]  # a confirmation token -> its page
    sign_in: str
    forgot_password: str


def register(email: str, password: str, name: str, join_code: str, client: str, links: Links) -> list[Mail]:
    """Register ``email`` on a site with mail; return the mail to send after answering (mail_budget.send).

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
            return [Mail(*email_confirmation.confirmation_mail(user, links.confirm, join_code.strip().upper()))]
    return [_attempt_mail(owner, links, client)]


def _owner_of(address: str) -> User | None:
    """Return the account with this address, or else one whose address looks like it; None if neither."""
    found = db.session.scalars(select(User).where(User.email_skeleton == email_address.skeleton(address))
                               .order_by(User.id)).all()
    return next((user for user in found if user.email == address), found[0] if found else None)


def _attempt_mail(owner: User, links: Links, client: str) -> Mail:
    return Mail(owner.email, "Someone tried to register with your address on the autograder",
                f"Someone (you, perhaps) tried to create an autograder account with the address {owner.email}, "
                "or one that looks like it. That address already has an account: nothing was created or changed.\n\n"
                f"If it was you, sign in:\n{links.sign_in}\n\n"
                f"or, if you do not know the password (or never created this account yourself: someone else may "
                f"have used your address), choose a new one with 'Forgot your password?':\n{links.forgot_password}\n\n"
                "If it was not you, ignore this message.\n", client=client)

