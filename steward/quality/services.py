"""Writes of the quality app: surveys.

`survey_schedule` is called by the desk in the transaction that resolves a ticket; the worker
sends due surveys (claimed by compare-and-set) and the customer answers once through a signed
link.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction

from steward.quality.models import Survey


def survey_schedule(*, ticket: Any, resolved_at: datetime) -> Survey | None:
    """Schedule the CSAT/NPS survey about this resolution (one per resolution), to be sent
    `STEWARD_SURVEY_DELAY_MINUTES` later, to the requester (or the contact). None when there is
    nobody to ask. Runs inside the caller's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("survey_schedule must run inside the resolving transaction")
    requester = ticket.requester if ticket.requester_id is not None else None
    email = (requester.email if requester is not None else "") or (
        ticket.contact.email if ticket.contact_id is not None else ""
    )
    if not email or ticket.merged_into_id is not None:
        return None
    due_at = resolved_at + timedelta(minutes=settings.STEWARD_SURVEY_DELAY_MINUTES)
    survey, _ = Survey.objects.get_or_create(
        ticket=ticket,
        resolved_at=resolved_at,
        defaults={
            "account_id": ticket.account_id,
            "requester": requester,
            "email": email,
            "agent_id": ticket.assignee_id,
            "team_id": ticket.team_id,
            "service_id": ticket.service_id,
            "created_at": resolved_at,
            "due_at": due_at,
            "expires_at": due_at + timedelta(days=settings.STEWARD_SURVEY_EXPIRY_DAYS),
        },
    )
    return survey
