"""Sending e-mail through the SMTP server of the configuration, when there is one."""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage

from flask import current_app

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Mail:
    """A message a service hands back to send once the answer is out (send_mail's arguments).

    Sent inside the request, a mail would make the answer slower exactly when it was sent: a page
    that must not tell whether an address has an account (registration, "Forgot your password?")
    would tell it by its time.
    """

    to: str
    subject: str
    body: str
    # A mail a stranger can have sent about someone else's account: the asking client's address,
    # whose own budget it spends too (mail_budget).
    client: str | None = None


def mail_configured() -> bool:
    """Tell whether an SMTP server is configured (AUTOGRADER_SMTP_HOST)."""
    return bool(current_app.config.get("SMTP_HOST"))


def send_mail(to: str, subject: str, body: str) -> bool:
    """Send a plain-text e-mail; return True if the server accepted it, False if not configured or it failed.

    A failure is logged, never raised: the caller shows the link on the page instead.
    """
    config = current_app.config
    if not mail_configured():
        return False
    message = EmailMessage()
    message["From"] = config.get("MAIL_FROM") or "autograder@localhost"
    message["To"] = to
    message["Subject"] = " ".join(subject.split())  # a course title may hold a line break: a header may not
    message.set_content(body)
    try:
        with smtplib.SMTP(config["SMTP_HOST"], int(config.get("SMTP_PORT") or 25), timeout=10) as smtp:
            if config.get("SMTP_STARTTLS"):
                smtp.starttls(context=ssl.create_default_context())
            if config.get("SMTP_USERNAME"):
                smtp.login(config["SMTP_USERNAME"], config.get("SMTP_PASSWORD", ""))
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        log.warning("could not send mail to %s: %s", to, error)
        return False
    return True
