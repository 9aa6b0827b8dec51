"""Display helpers for the catalog pages: durations in hours and minutes."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def duration(minutes: int | None) -> str:
    """90 → "1 h 30 min", 240 → "4 h", 15 → "15 min", None → "—"."""
    if minutes is None or minutes == "":
        return "—"
    hours, rest = divmod(int(minutes), 60)
    if hours and rest:
        return f"{hours} h {rest} min"
    return f"{hours} h" if hours else f"{rest} min"


@register.filter
def offset(minutes: int) -> str:
    """-30 → "30 min before the deadline", 60 → "1 h after the breach", 0 → "at the deadline"."""
    minutes = int(minutes)
    if minutes == 0:
        return "at the deadline"
    if minutes < 0:
        return f"{duration(-minutes)} before the deadline"
    return f"{duration(minutes)} after the breach"


@register.filter
def label(value: str) -> str:
    """A stored code as words: "on_hold" → "on hold"."""
    return str(value).replace("_", " ")
