"""Absolute links that leave the request: in mails, and on pages whose links are handed to someone else.

Built on the site's configured address (PUBLIC_URL), never on the request's Host header: whoever
asks for Alice's reset link chooses that header, and a link to their server in the mail Alice
gets from the real site hands them the token as soon as she, or her mail scanner, opens it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app, url_for

from autograder.services import mailer


def public_url(endpoint: str, **values: Any) -> str:
    """Return the absolute URL of ``endpoint`` at the site's public address.

    Without PUBLIC_URL (a site that sends no mail: the settings insist on it with mail) the link
    is shown to the person who asked only, at the address they used.
    """
    base = current_app.config.get("PUBLIC_URL") or ""
    if not base:
        if mailer.mail_configured():
            raise RuntimeError("PUBLIC_URL (AUTOGRADER_PUBLIC_URL) is required to mail links")
        return url_for(endpoint, _external=True, **values)
    parts = urlsplit(base)
    adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme)
    return adapter.build(endpoint, values, force_external=True)
