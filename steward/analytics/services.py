"""Every analytics write: service goals (managers and admins) and the weekly dashboard email
subscription (any staff member, for themselves). One transaction each, permission first, full
validation, an audit event in the same transaction."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from steward.analytics.models import DashboardSubscription, ServiceGoal
from steward.core import access, audit
from steward.core.services import create_audited, update_audited

GOAL_EDITORS = ("admin", "manager")
GOAL_FIELDS = ("name", "kpi", "comparator", "target", "period", "team", "service", "is_active")


@transaction.atomic
def goal_create(*, actor: Any, **fields: Any) -> ServiceGoal:
    access.require_role(actor, *GOAL_EDITORS)
    unknown = sorted(set(fields) - set(GOAL_FIELDS))
    if unknown:
        from steward.core.errors import ValidationFailed

        raise ValidationFailed.for_field(unknown[0], "unknown field")
    goal = ServiceGoal(created_by=actor, **fields)
    return create_audited(actor=actor, instance=goal, action="analytics.goal.create")


@transaction.atomic
def goal_update(*, actor: Any, goal: ServiceGoal, **changes: Any) -> ServiceGoal:
    access.require_role(actor, *GOAL_EDITORS)
    return update_audited(
        actor=actor, instance=goal, changes=changes, allowed=GOAL_FIELDS, action="analytics.goal.update"
    )


@transaction.atomic
def goal_delete(*, actor: Any, goal: ServiceGoal) -> None:
    access.require_role(actor, *GOAL_EDITORS)
    audit.record(actor=actor, action="analytics.goal.delete", obj=goal, changes={"name": [goal.name, None]})
    goal.delete()


def _next_monday_morning(now: datetime) -> datetime:
    """07:00 local time on the next Monday (today, if it is Monday before 07:00)."""
    local = timezone.localtime(now)
    days = (7 - local.weekday()) % 7
    candidate = (local + timedelta(days=days)).replace(hour=7, minute=0, second=0, microsecond=0)
    if candidate <= local:
        candidate += timedelta(days=7)
    return candidate


@transaction.atomic
def subscription_set(*, actor: Any, active: bool) -> DashboardSubscription:
    """Turn the caller's weekly dashboard email on or off."""
    access.require_staff(actor)
    sub = DashboardSubscription.objects.filter(user=actor).first()
    if sub is None:
        sub = DashboardSubscription(
            user=actor, next_send_at=_next_monday_morning(timezone.now()), is_active=active
        )
        return create_audited(actor=actor, instance=sub, action="analytics.subscription.create")
    changes: dict[str, Any] = {"is_active": active}
    if active and not sub.is_active:
        changes["next_send_at"] = _next_monday_morning(timezone.now())
    return update_audited(
        actor=actor,
        instance=sub,
        changes=changes,
        allowed=("is_active", "next_send_at"),
        action="analytics.subscription.update",
    )
