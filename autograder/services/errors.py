"""Errors the services raise for a person to read; views turn them into messages."""

from __future__ import annotations


class ServiceError(Exception):
    """A request the service refuses, with a message fit to show the user."""


class NotFound(ServiceError):
    """The thing asked for does not exist (or is not visible to the user)."""


class Forbidden(ServiceError):
    """The user may not do this."""
