"""The rule: what an account whose address is not confirmed may not do yet, on a site that sends mail.

Anyone may register any address (services/email_confirmation.py has the threat and the links).
Until the address is confirmed the account may not join a course, submit, start a timed
assignment or make an API token. The services that do those things (courses.join_course,
submissions.create_submission, time_limits.start, accounts.issue_api_token) raise
EmailNotConfirmed through ``check``, so every entry point — web form, API, command line — is held
to this one rule; the views only turn the error into their response.

A leaf (models and the mailer's setting only): the services above import it, and
email_confirmation imports them.
"""

from __future__ import annotations

from enum import Enum

from autograder.models import User
from autograder.services import mailer
from autograder.services.errors import Forbidden


class Action(str, Enum):
    """What an unconfirmed account may not do on a site that sends mail."""

    JOIN = "join a course"
    SUBMIT = "submit"
    START = "start a timed assignment"  # the clock runs in the owner's name: a squatter must not spend their time
    API_TOKEN = "create an API token"


class EmailNotConfirmed(Forbidden):
    """The account must confirm its address before it does this; the message says why and how."""

    reason = "email_not_confirmed"  # the API's machine-readable "reason"

    def __init__(self, message: str, action: Action) -> None:
        super().__init__(message)
        self.action = action


def required_for(user: User) -> bool:
    """Tell whether ``user`` must confirm their address before they join, submit, start or make a token."""
    return user.email_confirmed_at is None and mailer.mail_configured()


def refusal(user: User, action: Action) -> str | None:
    """Return why ``user`` may not do ``action`` yet, and what to do about it; None if they may."""
    if not required_for(user):
        return None
    return (f"Please confirm your e-mail address before you {action.value}: open the link we sent to {user.email} "
            "(the banner at the top of the page sends it again). Only the owner of the address can confirm it; "
            "if you did not create this account with your own address, you cannot use it.")


def check(user: User, action: Action) -> None:
    """Raise EmailNotConfirmed if ``user`` may not do ``action`` yet."""
    message = refusal(user, action)
    if message is not None:
        raise EmailNotConfirmed(message, action)
