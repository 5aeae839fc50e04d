"""People who use the service."""

from __future__ import annotations

import enum
import hashlib
from datetime import datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import ColumnElement, Enum, String, and_
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from autograder.extensions import db
from autograder.models._time import UtcDateTime, utcnow
from autograder.services.email_address import skeleton

if TYPE_CHECKING:
    from autograder.models.course import Enrollment
    from autograder.models.submission import Submission


class Role(str, enum.Enum):
    STUDENT = "student"
    INSTRUCTOR = "instructor"
    TA = "ta"  # per course only: grades and views, cannot change the course's settings


class User(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True, index=True)
    # What the address looks like (confusable letters folded): look-alike accounts are refused.
    email_skeleton: Mapped[str] = mapped_column(String(254), index=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=20), default=Role.STUDENT)
    password_hash: Mapped[str] = mapped_column(String(255), default="")
    # sha256 of the API token; the token itself is shown once and never stored.
    api_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    # When the person proved they read this address (a confirmation link, or any password link that
    # reached them: invitation, reset, "Forgot your password?"); None: not proven. A self-registered
    # account starts without it, and on a site that sends mail may not join, submit or make a token.
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    # When the account was first given a staff role (TA or instructor) in some course; never cleared.
    # An instructor's password link may not reach anyone who is or was staff: a demotion must not
    # make a colleague's account theirs to take (services/password_links.py).
    staff_since: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)

    enrollments: Mapped[list["Enrollment"]] = relationship(back_populates="user", cascade="all, delete-orphan")
    submissions: Mapped[list["Submission"]] = relationship(back_populates="user")

    @validates("email")
    def _keep_skeleton(self, key: str, email: str) -> str:
        # The skeleton always follows the address, however the row is built or changed.
        self.email_skeleton = skeleton(email)
        return email

    @property
    def email_confirmed(self) -> bool:
        return self.email_confirmed_at is not None

    @property
    def address_unconfirmed(self) -> bool:
        """An account in use (it has a password) whose owner never proved they read its address.

        Staff pages mark it; one still waiting for its invitation is shown as invited instead.
        Queries that read a few columns select ``unconfirmed_address()`` under this name.
        """
        return bool(self.password_hash) and self.email_confirmed_at is None

    @property
    def is_instructor(self) -> bool:
        return self.role == Role.INSTRUCTOR

    def get_id(self) -> str:
        """The identity a session and a remember-me cookie keep (Flask-Login): the id and the password's fingerprint.

        Changing the password changes it, so every session signed in before the change ends.
        """
        return f"{self.id}-{password_fingerprint(self.password_hash)}"

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role.value}>"


def password_fingerprint(password_hash: str) -> str:
    """A short digest of the stored (salted) password hash: it says whether the password changed, nothing more."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:20]


def unconfirmed_address() -> ColumnElement[bool]:
    """User.address_unconfirmed as a column, for queries that read a few columns of users (labelled so)."""
    return and_(User.password_hash != "", User.email_confirmed_at.is_(None)).label("address_unconfirmed")
