"""One-time signed links: resets made by an instructor, roster invitations, and address confirmations.

Every link that sets a password also confirms the account's address: it reached the person.
A confirmation link (services/email_confirmation.py) only confirms; it never sets a password.

An instructor makes them only for accounts that belong to their own courses alone (reset_refusal).

A link is signed with the app's secret and carries a fingerprint of the account's current
password hash: once a password is set through it (or otherwise changed), the fingerprint no
longer matches and the link is dead. Nothing is stored, so there is no table of live tokens
to leak; a link also expires (a reset after a day, an invitation after two weeks).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from autograder.extensions import db
from autograder.models import Course, Enrollment, Role, User
from autograder.services import accounts, courses, mailer
from autograder.services.errors import ServiceError

_SALT = "autograder.password-link"


class LinkPurpose(str, Enum):
    RESET = "reset"
    INVITATION = "invitation"
    CONFIRMATION = "confirmation"  # mailed to a self-registered address: proves the person reads it


MAX_AGE_SECONDS = {LinkPurpose.RESET: 24 * 3600, LinkPurpose.INVITATION: 14 * 24 * 3600,
                   LinkPurpose.CONFIRMATION: 3 * 24 * 3600}
# The links that set a password (the set-password page takes only these).
PASSWORD_PURPOSES = (LinkPurpose.RESET, LinkPurpose.INVITATION)


class LinkError(ServiceError):
    """The link is unknown, expired or already used."""


@dataclass(frozen=True)
class LinkHolder:
    """Whom a valid link is for, and why it was made."""

    user: User
    purpose: LinkPurpose
    join_code: str = ""  # a confirmation link's: the course the registration asked to join


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def _fingerprint(user: User, purpose: LinkPurpose) -> str:
    state = f"{user.id}:{user.email}:{user.password_hash}"
    if purpose == LinkPurpose.CONFIRMATION:
        # Spent once the address is confirmed (a password link's fingerprint ignores it: confirming
        # the address must not kill a reset link on its way).
        state += f":{user.email_confirmed_at is not None}"
    return hashlib.sha256(state.encode()).hexdigest()[:20]


def make_token(user: User, purpose: LinkPurpose, made_by: User | None = None, join_code: str = "") -> str:
    """Return a token that lets its holder set ``user``'s password once.

    ``made_by``: the instructor who makes it (None: a link mailed to the owner, or the operator's).
    Their reach is checked again when the link is used (_refusal_at_use).
    ``join_code``: a confirmation link's course to join once confirmed (signed with the rest: not changeable).
    """
    data = {"user": user.id, "purpose": purpose.value, "fingerprint": _fingerprint(user, purpose)}
    if made_by is not None:
        data["by"] = made_by.id
    if join_code and purpose == LinkPurpose.CONFIRMATION:
        data["join"] = join_code[:40]
    return _serializer().dumps(data)


def holder_of(token: str, purposes: tuple[LinkPurpose, ...] = PASSWORD_PURPOSES) -> LinkHolder:
    """Return whom the token is for; raise LinkError if it is forged, expired, used or not of ``purposes``."""
    ask = ("sign in and press 'Send it again' for a new one" if LinkPurpose.CONFIRMATION in purposes
           else "ask your instructor for a new one")
    try:
        data = _serializer().loads(token, max_age=max(MAX_AGE_SECONDS.values()))
        purpose = LinkPurpose(data["purpose"])
        user = db.session.get(User, int(data["user"]))
    except SignatureExpired:
        raise LinkError(f"This link has expired: {ask}.") from None
    except (BadSignature, KeyError, ValueError, TypeError):
        raise LinkError("This link is not valid: check that it was copied whole.") from None
    if purpose not in purposes:  # a confirmation link sets no password, a password link is not opened here
        raise LinkError("This link is not valid: check that it was copied whole.")
    if user is None or data.get("fingerprint") != _fingerprint(user, purpose):
        raise LinkError(f"This link was already used: {ask} if you need it.")
    try:
        _serializer().loads(token, max_age=MAX_AGE_SECONDS[purpose])
    except SignatureExpired:
        raise LinkError(f"This link has expired: {ask}.") from None
    if "by" in data:
        refusal = _refusal_at_use(data["by"], user, purpose)
        if refusal is not None:
            raise LinkError(refusal)
    join_code = data.get("join") if purpose == LinkPurpose.CONFIRMATION else ""
    return LinkHolder(user, purpose, join_code if isinstance(join_code, str) else "")


def _refusal_at_use(maker_id: Any, target: User, purpose: LinkPurpose) -> str | None:
    """Return why an instructor's link may not be used now, or None.

    A link lives for a day (a reset) or two weeks (an invitation): meanwhile its account may have
    joined a course its maker does not teach (a join code, another instructor's roster or "Add a
    person"), or the maker may have stopped teaching. Used then, it would let the maker sign in as
    that person there: the rule of reset_refusal holds when the link is used, not only when made.
    """
    maker = db.session.get(User, maker_id) if isinstance(maker_id, int) else None
    managed = _managed_course_ids(maker) if maker is not None else set()
    enrolments = _enrolments_of([target.id]).get(target.id, [])
    if maker is None or any(course_id not in managed for course_id, _ in enrolments):
        return ("This link no longer works: the account now belongs to courses its maker does not teach. "
                "Use 'Forgot your password?' on the sign-in page, or ask the site's operator.")
    if purpose == LinkPurpose.RESET and _staff(target, enrolments):
        return "This link no longer works: the account is or was staff of a course. Ask the site's operator."
    return None


def set_password_with(token: str, password: str) -> User:
    """Set the password of the token's holder and commit; the token is spent. Raises LinkError, AccountError.

    The account's API token goes too: a link is how a person takes their account back (from
    someone who registered their address first, or knew the old password), and a token made by
    that someone would otherwise still read their work and submit in their name.
    The link reached the person (their mail, or their instructor's hand): their address is confirmed.
    """
    holder = holder_of(token)
    accounts.set_password(holder.user, password, revoke_api_token=True, confirm_email=True)
    return holder.user


# Whom an instructor may make links for, in their course: students who never were staff anywhere.
# A staff account reads and grades others' work, and its manual scores, extensions and regrades are
# recorded under its name: nobody but its owner (or the operator) may take it over.
LINK_ROLES = (Role.STUDENT,)


def reset_mail_for(email: str, link_for: Callable[[str], str]) -> list[mailer.Mail]:
    """Return the mail with a one-time reset link for the account with this address (none if there is none).

    The link goes to the address itself, so asking for it gives nothing to anyone but the owner.
    The caller answers the same page whatever this returns and sends the mail after the answer
    (web/auth.py): neither the page nor its time may tell whether the account exists. Both paths
    do the same work here (one look-up; the token is a keyed hash).
    """
    user = accounts.find_user(email)
    if user is None:
        return []
    link = link_for(make_token(user, LinkPurpose.RESET))
    return [mailer.Mail(user.email, "Choose a new password for the autograder",
                        f"Someone (you, we hope) asked to choose a new password for {user.email}.\n\n"
                        f"Open this link within 24 hours to choose it; it works once:\n{link}\n\n"
                        "If you did not ask, ignore this message: your password stays as it is.\n")]


def reset_refusal(staff: User, target: User, course: Course) -> str | None:
    """Return why ``staff`` may not make a password link (reset or invitation) for ``target``, or None if they may.

    They may when they are an instructor of ``course``, ``target`` is one of its students, is not and
    never was staff (TA or instructor) of any course nor an instructor account, and the account is
    theirs alone: a link sets the password of the whole account, so one for a person who is also
    in a course ``staff`` does not teach would let ``staff`` sign in as them there (read their
    work, submit in their name). Adding someone to one's course must not unlock that, and neither
    may demoting them (User.staff_since is never cleared).
    """
    if staff.id == target.id or not courses.manages(staff, course):
        return "Only the course's instructors make password links, and not for themselves."
    role = courses.role_in(target, course)
    if role is None:
        return f"This person is not a student of {course.code}."  # no e-mail: any user id can be asked
    if role not in LINK_ROLES:
        return (f"{target.email} is staff of {course.code}: instructors make password links for students only. "
                "They can use 'Forgot your password?' on the sign-in page, or ask the site's operator.")
    return _beyond_reach(target, _enrolments_of([target.id]).get(target.id, []), _managed_course_ids(staff))


def may_issue_reset(staff: User, target: User, course: Course) -> bool:
    """Tell whether ``staff`` may make a password link for ``target`` (see reset_refusal)."""
    return reset_refusal(staff, target, course) is None


def reset_targets(staff: User, course: Course, people: list | None = None) -> set[int]:
    """Return the ids of the course's people ``staff`` may make password links for (reset_refusal, in a few queries).

    ``people``: (user, role) pairs to consider (a page of the roster); None: everyone in the course.
    """
    if not courses.manages(staff, course):
        return set()
    candidates = [user for user, role in (courses.members_of(course) if people is None else people)
                  if role in LINK_ROLES and user.id != staff.id]
    enrolments = _enrolments_of([user.id for user in candidates])
    managed = _managed_course_ids(staff)
    return {user.id for user in candidates if _beyond_reach(user, enrolments.get(user.id, []), managed) is None}


def _beyond_reach(target: User, enrolments: list[tuple[int, Role]], managed: set[int]) -> str | None:
    """Return why ``target`` (with these (course id, role) enrolments) is not an instructor's to reset, or None."""
    if _staff(target, enrolments):
        return (f"{target.email} is or was staff (TA or instructor) of a course: instructors make password links "
                "for students only. They can use 'Forgot your password?' on the sign-in page, or ask the "
                "site's operator.")
    if any(course_id not in managed for course_id, _ in enrolments):
        return (f"{target.email} also belongs to courses you do not teach: a password link sets the password of "
                "the whole account, so it would let its holder sign in as them there too. "
                "They can use 'Forgot your password?' on the sign-in page, or ask the site's operator.")
    return None


def _staff(target: User, enrolments: list[tuple[int, Role]]) -> bool:
    """Tell whether ``target`` is an instructor account, or is or ever was staff of a course."""
    return (target.is_instructor or target.staff_since is not None
            or any(role in courses.STAFF_ROLES for _, role in enrolments))


def _managed_course_ids(staff: User) -> set[int]:
    return set(db.session.scalars(
        select(Enrollment.course_id).where(Enrollment.user_id == staff.id, Enrollment.role == Role.INSTRUCTOR)))


def _enrolments_of(user_ids: list[int]) -> dict[int, list[tuple[int, Role]]]:
    """Return every enrolment (course id, role) of these users, by user id, in one query."""
    found: dict[int, list[tuple[int, Role]]] = {}
    rows = db.session.execute(select(Enrollment.user_id, Enrollment.course_id, Enrollment.role)
                              .where(Enrollment.user_id.in_(user_ids))) if user_ids else []
    for user_id, course_id, role in rows:
        found.setdefault(user_id, []).append((course_id, role))
    return found
