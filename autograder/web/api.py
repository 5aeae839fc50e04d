"""JSON API under /api/v1, authenticated by per-user bearer tokens."""

from __future__ import annotations

from functools import wraps
from typing import Any, Callable

from flask import Blueprint, current_app, g, jsonify, request, url_for
from sqlalchemy import bindparam, select
from sqlalchemy.orm import contains_eager, joinedload

from autograder.extensions import csrf, db, limiter
from autograder.models import CatalogAssignment, CourseAssignment, User
from autograder.services import accounts, courses, submissions
from autograder.services.confirmation_rule import EmailNotConfirmed
from autograder.services.errors import Forbidden, ServiceError
from autograder.models._time import utcnow
from autograder.services.results import submission_json
from autograder.services.submissions import CooldownActive, GradingUnavailable
from autograder.web.access import can_view_submission, load_submission
from autograder.web.response_headers import hint_next_read

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Token-authenticated calls carry no cookie a third-party page could ride on, so CSRF does not apply.
csrf.exempt(bp)


def api_error(status: int, message: str, **extra: Any):
    """Return a JSON error response."""
    response = jsonify({"error": message, **extra})
    response.status_code = status
    return response


def token_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Authenticate the request by its ``Authorization: Bearer <token>`` header (401 otherwise)."""
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        user = _bearer_user()
        if user is None:
            response = api_error(401, "missing or invalid API token (create one on your account page)")
            response.headers["WWW-Authenticate"] = 'Bearer realm="autograder"'
            return response
        g.api_user = user
        return view(*args, **kwargs)
    return wrapped


def _bearer_user() -> User | None:
    """Return the user of the request's bearer token (looked up once per request), or None."""
    if "api_token_user" not in g:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        g.api_token_user = accounts.user_for_token(token.strip()) if scheme.lower() == "bearer" else None
    return g.api_token_user


def _rate_key() -> str:
    # Keyed on who the token belongs to, never on the header's text: any spelling of the same
    # token (padding, whitespace) lands on the same budget. Unauthenticated calls share their address's.
    user = _bearer_user()
    return f"user:{user.id}" if user is not None else f"address:{request.remote_addr or ''}"


def _submission_limit() -> str:
    return current_app.config.get("API_SUBMISSIONS_PER_USER", "30 per minute")


@bp.route("/assignments")
@token_required
def list_assignments():
    user = g.api_user
    items = []
    for course in courses.courses_studied_by(user):
        for ca in course.course_assignments:
            if not submissions.is_released(ca, utcnow()):
                continue
            items.append({"course": course.code, "name": ca.assignment.name, "title": ca.assignment.title,
                          "file": ca.assignment.filename, "max_score": ca.assignment.max_score,
                          "due_at": ca.due_at.isoformat() if ca.due_at else None})
    return jsonify({"assignments": items})


# Every course's setting of a catalog assignment, by name, with its course and catalog row; built once.
_SETTINGS_OF_ASSIGNMENT = (
    select(CourseAssignment).join(CatalogAssignment).where(CatalogAssignment.name == bindparam("name"))
    .options(joinedload(CourseAssignment.course), contains_eager(CourseAssignment.assignment))
)


@bp.route("/assignments/<name>/submissions", methods=["POST"])
@limiter.limit(_submission_limit, key_func=_rate_key)
@token_required
def create_submission(name: str):
    user = g.api_user
    upload = request.files.get("file")
    if upload is None:
        return api_error(400, "send the file as the multipart field 'file'")
    # With their course and catalog row: the checks below and the submission read both.
    candidates = list(db.session.scalars(_SETTINGS_OF_ASSIGNMENT, {"name": name}))
    # An assignment not released yet does not exist for students (as on the web: 404, its name unconfirmed).
    mine = [ca for ca in candidates if courses.studies(user, ca.course) and submissions.is_released(ca, utcnow())]
    course_code = request.form.get("course", "").strip()
    if course_code:
        mine = [ca for ca in mine if ca.course.code == course_code]
    if not mine:
        return api_error(404, f"you are not a student of a course that sets {name!r}")
    if len(mine) > 1:
        return api_error(400, "you are in several courses that set this assignment: add the form field 'course'",
                         courses=sorted(ca.course.code for ca in mine))
    try:
        submission = submissions.create_submission(user, mine[0], upload.filename or "", upload.read(),
                                                   student_checked=True)  # ``mine`` holds only their courses
    except CooldownActive as error:
        response = api_error(429, str(error), retry_after=error.retry_after)
        response.headers["Retry-After"] = str(error.retry_after)
        return response
    except GradingUnavailable as error:
        response = api_error(503, str(error))
        response.headers["Retry-After"] = "60"
        return response
    except EmailNotConfirmed as error:  # a token made before this site sent mail (or before a squatter lost it)
        return api_error(403, str(error), reason=error.reason)
    except Forbidden as error:
        return api_error(403, str(error))
    except ServiceError as error:
        return api_error(400, str(error))
    response = jsonify({"id": submission.id, "status": submission.status.value,
                        "url": url_for("api.get_submission", submission_id=submission.id, _external=True)})
    response.status_code = 202
    response.headers["Location"] = url_for("api.get_submission", submission_id=submission.id)
    hint_next_read(response, submission)
    return response


@bp.route("/submissions/<int:submission_id>")
@token_required
def get_submission(submission_id: int):
    user = g.api_user
    found = load_submission(submission_id)
    if found is None or not can_view_submission(user, found):
        return api_error(404, "no such submission")
    response = jsonify(submission_json(found, for_staff=found.user_id != user.id))
    response.headers["Cache-Control"] = "no-store"
    hint_next_read(response, found)
    return response
