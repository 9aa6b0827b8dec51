"""Display helpers for the survey pages."""

from __future__ import annotations

from django import template
from django.urls import reverse

from steward.quality import scores

register = template.Library()


@register.filter
def ticket_url(ticket_id: int) -> str:
    """The desk's page of a ticket."""
    return reverse("desk:ticket", args=[ticket_id])


@register.filter
def percent(value: float | None) -> str:
    """83.333 → "83.3 %", None (no answers) → "—"."""
    return "—" if value is None else f"{value:.1f} %"


@register.filter
def points(value: float | None) -> str:
    """An NPS in points with its sign: 20.0 → "+20.0", -5 → "-5.0", None → "—"."""
    if value is None:
        return "—"
    return f"{value:+.1f}" if value else "0.0"


@register.filter
def nps_band(score: int | None) -> str:
    return "" if score is None else scores.nps_band(int(score))
