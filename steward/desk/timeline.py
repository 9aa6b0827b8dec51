"""The ticket timeline: append-only events, in the instant order the SLA replay needs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from steward.core.services import history_changed
from steward.desk.models import Ticket, TicketEvent


def add_event(ticket: Ticket, type: str, *, actor: Any, at: datetime, **data: Any) -> TicketEvent:
    """Append to the timeline. The replay needs non-decreasing instants, so an event never goes
    before the last one (clock skew between workers).

    Every change to a ticket appends an event, so this is where the KPI summaries learn of it: the
    ticket's figures (its resolution, clocks, replies, survey answers, dimensions) all fall on
    instants from its creation on."""
    last = ticket.events.order_by("-at", "-id").values_list("at", flat=True).first()
    if last is not None and at < last:
        at = last
    user = actor if getattr(actor, "is_authenticated", False) else None
    history_changed(since=ticket.created_at)
    return TicketEvent.objects.create(ticket=ticket, type=type, actor=user, at=at, data=data)
