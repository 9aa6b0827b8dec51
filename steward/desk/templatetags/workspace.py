"""Display helpers for the agent's pages: countdowns, instants for the browser, business time."""

from __future__ import annotations

from datetime import UTC, datetime

from django import template

from steward.desk.sla_display import age, countdown

register = template.Library()


@register.filter
def until(deadline: datetime | None, now: datetime) -> str:
    """The countdown from `now` to `deadline` ("in 2h 05m", "4m 09s overdue"); desk.js keeps it
    ticking."""
    if deadline is None or now is None:
        return ""
    return countdown((deadline - now).total_seconds())


@register.filter
def ago(value: datetime | None, now: datetime) -> str:
    """How long before `now` ("5h ago")."""
    if value is None or now is None:
        return ""
    return age((now - value).total_seconds())


@register.filter
def instant(value: datetime | None) -> str:
    """An instant for a data attribute: UTC with milliseconds, which every browser parses."""
    if value is None:
        return ""
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@register.filter
def business_time(seconds: float | None) -> str:
    """Stored business seconds as "3 h 05 min" (or "12 min")."""
    if seconds is None:
        return "—"
    minutes = int(seconds // 60)
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest:02d} min" if hours else f"{rest} min"


@register.filter
def filesize(size: int | None) -> str:
    if size is None:
        return ""
    for unit in ("bytes", "KB", "MB"):
        if size < 1024 or unit == "MB":
            return f"{size} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size} bytes"
