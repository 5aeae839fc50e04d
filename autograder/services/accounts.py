"""Accounts: creating users, checking passwords, issuing API tokens."""

from __future__ import annotations

import functools
import hashlib
import secrets
import unicodedata
from collections.abc import Collection

from flask import current_app, has_app_context
from sqlalchemy import bindparam, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from autograder.extensions import db
from autograder.models import Role, User
from autograder.models._time import utcnow
from autograder.services import confirmation_rule, email_address
from autograder.services.errors import ServiceError

MIN_PASSWORD_LENGTH = 8


def _hash_method() -> str:
    """scrypt, unless the app's config says otherwise (only the test suite's does: config.PASSWORD_HASH_METHOD)."""
    return str(current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")) if has_app_context() else "scrypt"


@functools.cache
def _dummy_hash(method: str) -> str:
    # Checked for unknown e-mails, so response times do not reveal which accounts exist; made on
    # first use (scrypt costs ~0.1 s: not at import), with the method real accounts get.
    return generate_password_hash("not-a-real-password", method=method)


class AccountError(ServiceError):
    """The account cannot be created or changed as asked."""


class WrongPassword(AccountError):
    """The current password given is not the account's (counted like a failed sign-in)."""


def normalise_email(email: str) -> str:
    """Return the e-mail address as stored and looked up (NFKC, trimmed, lower-cased)."""
    return email_address.normalise(email)


def find_user(email: str) -> User | None:
    """Return the user with this e-mail address, or None."""
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def check_new_email(email: str, coming: Collection[str] = ()) -> str:
    """Return the normalised address of a new account; raise AccountError if invalid, taken or a look-alike.

    A look-alike (Cyrillic 'а' for Latin 'a', ...) of an existing account would show on every
    page as that account: it is refused, whichever of the two came first. ``coming`` holds the
    skeletons of accounts that the same import creates but has not written yet.
    """
    try:
        address = email_address.validate(email)
    except email_address.InvalidEmail as error:
        raise AccountError(str(error)) from None
    if find_user(address) is not None:
        raise AccountError("An account with this e-mail address already exists.")
    look = email_address.skeleton(address)
    twin = look in coming or db.session.scalar(select(User.id).where(User.email_skeleton == look)) is not None
    if twin:
        raise AccountError("This e-mail address looks like the one of an existing account "
                           "(letters from another alphabet?). Please type it with plain letters.")
    return address


def hash_password(password: str) -> str:
    """Return the stored form of a new password; raise AccountError if it is too short.

    scrypt costs ~0.1 s of CPU: a caller creating many accounts hashes before its transaction
    starts, not while it holds the database (SQLite's single writer).
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"The password must have at least {MIN_PASSWORD_LENGTH} characters.")
    return generate_password_hash(password, method=_hash_method())


def new_user(email: str, role: Role = Role.STUDENT, name: str = "", password: str | None = None) -> User:
    """Add (not commit) a user after check_new_email; no password means the account awaits an invitation."""
    address = check_new_email(email)
    user = unsaved_user(address, role, name, hash_password(password) if password is not None else "")
    db.session.add(user)
    db.session.flush()
    return user


def unsaved_user(address: str, role: Role, name: str, password_hash: str) -> User:
    """Return a User for an address that passed check_new_email, not added to the session.

    For imports that check and hash every row first and then write all of them together.
    """
    return User(email=address, name=clean_name(name), role=role, password_hash=password_hash)


def clean_name(name: str) -> str:
    """Return a person's name as stored (NFKC, trimmed, at most 120 characters)."""
    # Names are shown on staff pages and exported: no control or invisible characters.
    return "".join(c for c in unicodedata.normalize("NFKC", name)
                   if unicodedata.category(c) not in {"Cc", "Cf", "Co", "Cn", "Cs", "Zl", "Zp"}).strip()[:120]


def create_user(email: str, password: str, role: Role = Role.STUDENT, name: str = "") -> User:
    """Create and commit a user; raise AccountError if the e-mail is invalid, taken or the password too short."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"The password must have at least {MIN_PASSWORD_LENGTH} characters.")
    user = new_user(email, role, name, password)
    db.session.commit()
    return user


def set_password(user: User, password: str, revoke_api_token: bool = False, confirm_email: bool = False) -> None:
    """Replace the user's password and commit; raise AccountError if it changed since ``user`` was read.

    ``revoke_api_token``: remove their API token too; ``confirm_email``: the password came through a
    link that reached the address, which is therefore confirmed (mark_email_confirmed).
    """
    values: dict = {"password_hash": hash_password(password)}
    if revoke_api_token:
        values["api_token_hash"] = None
    if confirm_email and user.email_confirmed_at is None:
        values["email_confirmed_at"] = utcnow()
    _write_if_password_unchanged(user, values)


def _write_if_password_unchanged(user: User, values: dict) -> None:
    """Write ``values`` to the account and commit, only if its password is still the one ``user`` was read with.

    What the caller checked (the current password, a link's fingerprint, the session's) was that
    password: a parallel request that set another one in between (the owner taking the account
    back through a link, the other use of the same link) must not be undone by this write, nor
    followed by a token made on the strength of the old password. AccountError then.
    """
    done = db.session.execute(update(User).where(User.id == user.id, User.password_hash == user.password_hash)
                              .values(**values).execution_options(synchronize_session=False))
    if done.rowcount != 1:
        db.session.rollback()
        raise AccountError("The password of this account was changed meanwhile: sign in again with the new one.")
    db.session.commit()
    db.session.refresh(user)


def mark_email_confirmed(user: User) -> None:
    """Record (not commit) that the person reads the account's address; the first proof's time is kept."""
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()


def change_password(user: User, current: str, new: str) -> bool:
    """Replace the user's password after checking the current one, revoke their API token; commit.

    The change is how a person ends every session someone else may hold (a computer left signed
    in): a token made from such a session goes with them. Returns whether there was a token.
    Raises WrongPassword, AccountError.
    """
    if not user.password_hash or not check_password_hash(user.password_hash, current):
        raise WrongPassword("The current password is not right.")
    if new == current:
        raise AccountError("The new password is the same as the current one.")
    had_token = user.api_token_hash is not None
    set_password(user, new, revoke_api_token=True)
    return had_token


def authenticate(email: str, password: str) -> User | None:
    """Return the user whose e-mail and password match, or None."""
    user = find_user(email)
    if user is None or not user.password_hash:
        check_password_hash(_dummy_hash(_hash_method()), password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_api_token(user: User) -> str:
    """Give the user a new API token (revoking the old one), commit, and return it: it is shown once.

    Raises EmailNotConfirmed (confirmation_rule) before the address is confirmed, AccountError if the
    password changed since ``user`` was read (its session is then over).
    """
    confirmation_rule.check(user, confirmation_rule.Action.API_TOKEN)
    token = "ag_" + secrets.token_urlsafe(32)
    _write_if_password_unchanged(user, {"api_token_hash": _token_digest(token)})
    return token


def revoke_api_token(user: User) -> None:
    """Remove the user's API token and commit."""
    user.api_token_hash = None
    db.session.commit()


def user_for_token(token: str) -> User | None:
    """Return the user owning this API token, or None."""
    if not token:
        return None
    return db.session.scalar(_USER_OF_TOKEN, {"digest": _token_digest(token)})


# Built once: every API request starts with it (its statement and cache key are not rebuilt each time).
_USER_OF_TOKEN = select(User).where(User.api_token_hash == bindparam("digest"))
