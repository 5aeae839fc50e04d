"""Jinja filters shared by the templates: dates, scores, statuses."""

from __future__ import annotations

from datetime import datetime

from flask import Flask

from autograder.models._time import as_utc, utcnow


def format_moment(moment: datetime | None) -> str:
    """Return a UTC moment as '2026-11-22 14:05 UTC' ('—' for none)."""
    moment = as_utc(moment)
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "—"


def relative_moment(moment: datetime | None) -> str:
    """Return how far a moment is from now, in words ('in 3 days', '5 minutes ago')."""
    moment = as_utc(moment)
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
