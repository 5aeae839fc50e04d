"""Confirming that a person reads the address of their account.

Registration takes any address: without proof, a classmate could register ``alice@uni.edu``
before Alice does, join her course with its public join code and submit in her name (and a
roster import would then enrol that account as Alice). So a self-registered account starts
unconfirmed, and on a site that sends mail it is mailed a one-time confirmation link
(password_links.LinkPurpose.CONFIRMATION); until that link is used it may not join a course,
submit, start a timed assignment, or make an API token (the rule: services/confirmation_rule.py,
enforced by the services that do those things). Any password link that reached the person (an invitation,
a reset, a mailed "Forgot your password?" link) confirms the address too: that is how Alice takes
a squatted account back. A site without mail cannot confirm anything: accounts stay usable there,
and staff pages show them as unconfirmed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from autograder.extensions import db
from autograder.models import Course, User
from autograder.services import accounts, courses, password_links
from autograder.services.errors import ServiceError
from autograder.services.password_links import LinkPurpose

CONFIRMATION_HOURS = password_links.MAX_AGE_SECONDS[LinkPurpose.CONFIRMATION] // 3600


def confirmation_mail(user: User, link_for: Callable[[str], str], join_code: str = "") -> tuple[str, str, str]:
    """Return (to, subject, body) of the mail with a confirmation link; ``join_code``: joined once confirmed."""
    link = link_for(password_links.make_token(user, LinkPurpose.CONFIRMATION, join_code=join_code))
    return (user.email, "Confirm your e-mail address for the autograder",
            f"Someone (you, we hope) created an autograder account with the address {user.email}.\n\n"
            f"Open this link within {CONFIRMATION_HOURS // 24} days to confirm that the address is yours; it works once:\n"
            f"{link}\n\n"
            "If you did not create this account, do not confirm it: someone else used your address. Use "
            "'Forgot your password?' on the sign-in page to choose a password and take the account over.\n")


@dataclass(frozen=True)
class Confirmed:
    """The account whose address a link confirmed, and the course its registration asked to join."""

    user: User
    joined: Course | None = None
    join_refusal: str | None = None  # why that course was not joined (an unknown code, already in it)


def confirm_with(token: str, client: str | None = None) -> Confirmed:
    """Confirm the address of the token's account and commit; the token is spent. Raises LinkError.

    A link mailed by the registration carries its join code: the account joins that course now
    (``client``: the request's address, for the join throttle).
    """
    holder = password_links.holder_of(token, (LinkPurpose.CONFIRMATION,))
    accounts.mark_email_confirmed(holder.user)
    db.session.commit()
    if not holder.join_code:
        return Confirmed(holder.user)
    try:
        return Confirmed(holder.user, joined=courses.join_course(holder.user, holder.join_code, client))
    except ServiceError as error:
        db.session.rollback()
        return Confirmed(holder.user, join_refusal=str(error))
