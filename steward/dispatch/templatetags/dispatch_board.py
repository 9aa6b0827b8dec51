"""Small formatting filters of the dispatch board."""

from __future__ import annotations

from django import template

register = template.Library()

REASONS = {
    "no_qualified_technician": "No qualified technician",
    "window_unreachable": "Window unreachable",
    "capacity": "No capacity left",
}


@register.filter
def minutes(seconds) -> int:
    return round((seconds or 0) / 60)


@register.filter
def km(meters) -> str:
    return f"{(meters or 0) / 1000:.1f}"


@register.filter
def percent(share) -> str:
    return f"{(share or 0) * 100:.0f}%"


@register.filter
def reason(code: str) -> str:
    return REASONS.get(code, code.replace("_", " ").capitalize())
