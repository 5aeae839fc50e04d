"""Accounts: creating users, checking passwords, issuing API tokens."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from autograder.extensions import db
from autograder.models import Role, User
from autograder.services.errors import ServiceError

MIN_PASSWORD_LENGTH = 8
# Hash a password even for unknown e-mails, so response times do not reveal which accounts exist.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")


class AccountError(ServiceError):
    """The account cannot be created or changed as asked."""


def normalise_email(email: str) -> str:
    """Return the e-mail address trimmed and lower-cased (the form stored and looked up)."""
    return email.strip().lower()


def find_user(email: str) -> User | None:
    """Return the user with this e-mail address, or None."""
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def create_user(email: str, password: str, role: Role = Role.STUDENT, name: str = "") -> User:
    """Create and commit a user; raise AccountError if the e-mail is taken or the password too short."""
    email = normalise_email(email)
    if "@" not in email or len(email) > 254:
        raise AccountError("Please give a valid e-mail address.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"The password must have at least {MIN_PASSWORD_LENGTH} characters.")
    if find_user(email) is not None:
        raise AccountError("An account with this e-mail address already exists.")
    user = User(email=email, name=name.strip()[:120], role=role,
                password_hash=generate_password_hash(password, method="scrypt"))
    db.session.add(user)
    db.session.commit()
    return user


def set_password(user: User, password: str) -> None:
    """Replace the user's password and commit."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"The password must have at least {MIN_PASSWORD_LENGTH} characters.")
    user.password_hash = generate_password_hash(password, method="scrypt")
    db.session.commit()


def authenticate(email: str, password: str) -> User | None:
    """Return the user whose e-mail and password match, or None."""
    user = find_user(email)
    if user is None or not user.password_hash:
        check_password_hash(_DUMMY_HASH, password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_api_token(user: User) -> str:
    """Give the user a new API token (revoking the old one), commit, and return it: it is shown once."""
    token = "ag_" + secrets.token_urlsafe(32)
    user.api_token_hash = _token_digest(token)
    db.session.commit()
    return token


def revoke_api_token(user: User) -> None:
    """Remove the user's API token and commit."""
    user.api_token_hash = None
    db.session.commit()


def user_for_token(token: str) -> User | None:
    """Return the user owning this API token, or None."""
    if not token:
        return None
    return db.session.scalar(select(User).where(User.api_token_hash == _token_digest(token)))
