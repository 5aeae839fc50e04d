"""One-time links that set a password: resets made by an instructor, and roster invitations.

A link is signed with the app's secret and carries a fingerprint of the account's current
password hash: once a password is set through it (or otherwise changed), the fingerprint no
longer matches and the link is dead. Nothing is stored, so there is no table of live tokens
to leak; a link also expires (a reset after a day, an invitation after two weeks).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import Enum

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from autograder.extensions import db
from autograder.models import User
from autograder.services import accounts
from autograder.services.errors import ServiceError

_SALT = "autograder.password-link"


class LinkPurpose(str, Enum):
    RESET = "reset"
    INVITATION = "invitation"


MAX_AGE_SECONDS = {LinkPurpose.RESET: 24 * 3600, LinkPurpose.INVITATION: 14 * 24 * 3600}


class LinkError(ServiceError):
    """The link is unknown, expired or already used."""


@dataclass(frozen=True)
class LinkHolder:
    """Whom a valid link is for, and why it was made."""

    user: User
    purpose: LinkPurpose


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def _fingerprint(user: User) -> str:
    return hashlib.sha256(f"{user.id}:{user.email}:{user.password_hash}".encode()).hexdigest()[:20]


def make_token(user: User, purpose: LinkPurpose) -> str:
    """Return a token that lets its holder set ``user``'s password once."""
    return _serializer().dumps({"user": user.id, "purpose": purpose.value, "fingerprint": _fingerprint(user)})


def holder_of(token: str) -> LinkHolder:
    """Return whom the token is for; raise LinkError if it is forged, expired or used."""
    try:
        data = _serializer().loads(token, max_age=max(MAX_AGE_SECONDS.values()))
        purpose = LinkPurpose(data["purpose"])
        user = db.session.get(User, int(data["user"]))
    except SignatureExpired:
        raise LinkError("This link has expired: ask your instructor for a new one.") from None
    except (BadSignature, KeyError, ValueError, TypeError):
        raise LinkError("This link is not valid: check that it was copied whole.") from None
    if user is None or data.get("fingerprint") != _fingerprint(user):
        raise LinkError("This link was already used: ask your instructor for a new one if you need it.")
    try:
        _serializer().loads(token, max_age=MAX_AGE_SECONDS[purpose])
    except SignatureExpired:
        raise LinkError("This link has expired: ask your instructor for a new one.") from None
    return LinkHolder(user, purpose)


def set_password_with(token: str, password: str) -> User:
    """Set the password of the token's holder and commit; the token is spent. Raises LinkError, AccountError."""
    holder = holder_of(token)
    accounts.set_password(holder.user, password)
    return holder.user


def may_issue_reset(staff: User, target: User, course) -> bool:
    """Tell whether ``staff`` may make a reset link for ``target``: an instructor of the course, for
    one of its students or TAs who is no instructor anywhere (instructors cannot take over each other)."""
    from autograder.models import Role
    from autograder.services import courses

    if staff.id == target.id or not courses.manages(staff, course):
        return False
    if courses.role_in(target, course) not in (Role.STUDENT, Role.TA):
        return False
    return not target.is_instructor and not any(
        courses.manages(target, other) for other in courses.courses_taught_by(target))


def reset_targets(staff: User, course, people: list | None = None) -> set[int]:
    """Return the ids of the course's people ``staff`` may make reset links for (may_issue_reset, in two queries).

    ``people``: (user, role) pairs to consider (a page of the roster); None: everyone in the course.
    """
    from sqlalchemy import select

    from autograder.models import Enrollment, Role
    from autograder.services import courses

    if not courses.manages(staff, course):
        return set()
    instructors_anywhere = set(db.session.scalars(
        select(Enrollment.user_id).where(Enrollment.role == Role.INSTRUCTOR)))
    return {user.id for user, role in (courses.members_of(course) if people is None else people)
            if role in (Role.STUDENT, Role.TA) and user.id != staff.id
            and not user.is_instructor and user.id not in instructors_anywhere}
