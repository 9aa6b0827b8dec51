"""Reads of inbound mail, for desk staff only (customers and technicians see none: 404 for a row,
403 for the list)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from steward.core import access
from steward.core.errors import NotFound
from steward.desk.models import InboundMail, InboundStatus
from steward.desk.selectors import DESK_ROLES, is_desk_staff


def inbound_for(user: Any) -> QuerySet[InboundMail]:
    if not is_desk_staff(user):
        return InboundMail.objects.none()
    return InboundMail.objects.select_related("ticket")


def inbound_list(user: Any, *, status: str = InboundStatus.TRIAGE, q: str = "") -> QuerySet[InboundMail]:
    """The mail log, newest first; by default the triage queue. Raises ValueError for an unknown
    status (the page shows it as a field error)."""
    access.require_role(user, *DESK_ROLES)
    qs = inbound_for(user)
    if status and status != "all":
        if status not in InboundStatus.values:
            raise ValueError(f"status: must be one of all, {', '.join(InboundStatus.values)}")
        qs = qs.filter(status=status)
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(mail_from__icontains=q) | Q(subject__icontains=q))
    return qs.order_by("-received_at", "-id")


def inbound_get(user: Any, pk: Any) -> InboundMail:
    if not is_desk_staff(user):
        raise NotFound("inbound mail not found")
    return access.get_or_404(inbound_for(user), pk=pk)


def triage_count(user: Any) -> int | None:
    """Mails waiting in triage, for the navigation (None for anyone who does not work them)."""
    if not is_desk_staff(user):
        return None
    return InboundMail.objects.filter(status=InboundStatus.TRIAGE).count()
