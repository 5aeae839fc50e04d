"""Response headers: the security and cache headers of every response, and the poll hint of a pending submission."""

from __future__ import annotations

from flask import Flask, Response, request

from autograder.models import Submission
from autograder.services.poll_hint import poll_after_seconds

# Scripts only from our own static files; the pages have no inline script (JSON data blocks aside).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def register(app: Flask) -> None:
    """Add the headers to every response of the app."""

    @app.after_request
    def add_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.endpoint != "static":
            # Pages and downloads hold one person's work or a class's grades: no shared or disk cache
            # (a browser's back button on a shared computer, a proxy) may keep them.
            response.headers["Cache-Control"] = "no-store"
        return response


def hint_next_read(response: Response, submission: Submission) -> None:
    """A pending submission's answer says when reading it again is worth it (RFC 9110 Retry-After).

    The API's answers and the result page's status JSON carry it; their clients wait that long.
    """
    seconds = poll_after_seconds(submission)
    if seconds is not None:
        response.headers["Retry-After"] = str(seconds)
