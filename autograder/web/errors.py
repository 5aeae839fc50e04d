"""Friendly error pages (HTML for people, JSON for the API)."""

from __future__ import annotations

from flask import Flask, flash, jsonify, redirect, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from autograder.extensions import db

# How long a client should wait before retrying after the database was unavailable.
RETRY_AFTER_SECONDS = 30

MESSAGES = {
    400: "The request could not be understood.",
    403: "This page is for the course's instructors only.",
    404: "There is nothing here, or it is not yours to see.",
    405: "This address does not accept that kind of request.",
    413: "The file is too large. Submit only your Python file or notebook (at most {limit}).",
    429: "Too many attempts. Please wait a minute and try again.",
    500: "Something went wrong on our side. It has been logged.",
    503: "The service is busy. Please try again in a minute.",
}


# Forms that upload files: an oversized upload returns to them with a message.
BACK_TO_FORM_ON_413 = {"student.assignment", "instructor.import_roster"}


def _limit_text(app: Flask) -> str:
    limit = app.config.get("MAX_CONTENT_LENGTH") or 0
    return f"{limit / 1024:.0f} kB" if limit < 1 << 20 else f"{limit / (1 << 20):.0f} MB"


def register(app: Flask) -> None:
    """Install the error handlers on the app."""

    def render(status: int, message: str):
        if request.path.startswith("/api/"):
            response = jsonify({"error": message})
            response.status_code = status
            return response
        return render_template("errors/error.html", status=status, message=message), status

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        status = error.code or 500
        message = MESSAGES.get(status, error.description or "Error").format(limit=_limit_text(app))
        if status == 413 and request.method == "POST" and request.endpoint in BACK_TO_FORM_ON_413:
            # Back to the form the file came from, with the reason, instead of a dead-end page.
            flash(message, "error")
            return redirect(request.path, code=303)
        return render(status, message)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return render(400, "The form expired or was sent from elsewhere. Please reload the page and try again.")

    @app.errorhandler(OperationalError)
    def database_unavailable(error: OperationalError):
        # The database is briefly away or locked: nothing was accepted, so say "try again" (503), not 500.
        app.logger.warning("database unavailable on %s: %s", request.path, error.orig or error)
        db.session.rollback()
        response = render(503, "The service is briefly unavailable and nothing was saved. "
                               "Please try again in a minute.")
        if isinstance(response, tuple):
            response = app.make_response(response)
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        app.logger.exception("unhandled error on %s", request.path)
        return render(500, MESSAGES[500])
