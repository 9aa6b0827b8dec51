"""Core reads: calendars and object history, scoped by who asks."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from steward.core import access
from steward.core.errors import NotFound
from steward.core.models import AuditEvent, Calendar


def calendar_list(user: Any, *, q: str = "") -> QuerySet[Calendar]:
    access.require_staff(user)
    qs = Calendar.objects.all()
    if q:
        qs = qs.filter(name__icontains=q)
    return qs.order_by("name")


def calendar_get(user: Any, pk: Any) -> Calendar:
    if not access.is_staff(user):
        raise NotFound("calendar not found")
    return access.get_or_404(Calendar.objects.all(), pk=pk)


def history_for(user: Any, obj: Any, *, limit: int = 50) -> QuerySet[AuditEvent]:
    """Audit events of an object the caller can already see. Customers see no staff-only details."""
    qs = AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk)).select_related(
        "actor"
    )
    if not access.is_staff(user):
        return qs.none()
    return qs.order_by("-at", "-id")[:limit]
