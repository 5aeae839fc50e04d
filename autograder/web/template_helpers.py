"""Jinja filters shared by the templates: dates, scores, statuses."""

from __future__ import annotations

from datetime import datetime, timezone

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask, g

from autograder.models._time import utcnow


def format_moment(moment: datetime | None, zone: str | None = None) -> str:
    """Return a moment in the course's time zone, zone named: '2026-11-22 15:05 CET (Europe/Paris)' ('—' for none).

    ``zone`` defaults to the zone of the course the page is about (set by the access loaders);
    pages listing several courses pass each course's zone; elsewhere UTC.
    """
    if moment is None:
        return "—"
    zone = zone or g.get("course_time_zone") or "UTC"
    if zone != "UTC":
        try:
            local = moment.astimezone(ZoneInfo(zone))
        except (ZoneInfoNotFoundError, ValueError):
            pass  # an unknown zone: shown in UTC
        else:
            return f"{local:%Y-%m-%d %H:%M} {local.tzname()} ({zone})"
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def relative_moment(moment: datetime | None) -> str:
    """Return how far a moment is from now, in words ('in 3 days', '5 minutes ago')."""
    if moment is None:
        return ""
    seconds = (moment - utcnow()).total_seconds()
    future, seconds = seconds > 0, abs(seconds)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = int(seconds // size)
            text = f"{count} {unit}{'s' if count != 1 else ''}"
            break
    else:
        text = "less than a minute"
    return f"in {text}" if future else f"{text} ago"


def format_score(value: float | None) -> str:
    """Return a score with at most two decimals ('—' for none)."""
    return "—" if value is None else f"{value:.2f}".rstrip("0").rstrip(".")


def pair_with(first: list, second: list) -> list[tuple]:
    """Return the two lists' items side by side (the data tables beside the charts)."""
    return list(zip(first, second))


def rate_text(rate) -> tuple[str, str]:
    """Return a pass rate as a (label, "2 of 3 (67%)") row."""
    return rate.label, f"{rate.passed} of {rate.total} ({rate.percent:.0f}%)"


def register(app: Flask) -> None:
    """Install the filters on the app."""
    app.add_template_filter(pair_with, "zip")
    app.add_template_filter(rate_text, "rate_text")
    app.add_template_filter(format_moment, "moment")
    app.add_template_filter(relative_moment, "relative")
    app.add_template_filter(format_score, "score")

    @app.context_processor
    def navigation() -> dict:
        # Which menus the header shows: one person can teach one course and study in another.
        from flask_login import current_user

        from autograder.services import confirmation_rule, courses

        if not getattr(current_user, "is_authenticated", False):
            return {"nav_staff": False, "nav_student": False, "must_confirm": False}
        staff = bool(current_user.is_instructor or courses.courses_taught_by(current_user))
        return {"nav_staff": staff, "nav_student": bool(courses.courses_studied_by(current_user)) or not staff,
                # The banner asks for the confirmation the services' rule wants (services/confirmation_rule.py).
                "must_confirm": confirmation_rule.required_for(current_user)}
