"""Scoped reads of the dispatch app. Plans are for dispatchers, managers and admins (anyone else:
403); a work order for appointment slots is read through its scope (a customer: their own
account's only; anything else is 404)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Prefetch, QuerySet

from steward.core import access
from steward.core.errors import NotFound
from steward.dispatch.models import Plan, PlanRoute, PlanStatus, PlanUnplanned, PlanVisit

PLANNERS = ("admin", "manager", "dispatcher")
# Staff who may offer a customer appointment slots (the desk's agents too, on the phone).
SLOT_STAFF = ("admin", "manager", "dispatcher", "agent")


def is_planner(user: Any) -> bool:
    return access.is_staff(user) and user.has_role(*PLANNERS)


def plans_for(user: Any) -> QuerySet[Plan]:
    access.require_role(user, *PLANNERS)
    return Plan.objects.defer("inputs").select_related("created_by")


def plan_get(user: Any, pk: Any) -> Plan:
    return access.get_or_404(plans_for(user), pk=pk)


def plan_list(user: Any, *, day: date | None = None, status: str = "") -> QuerySet[Plan]:
    qs = plans_for(user)
    if day is not None:  # a plan covers at most 5 days, so one that covers `day` starts at most 4 before
        qs = qs.filter(horizon_start__lte=day, horizon_start__gte=date.fromordinal(day.toordinal() - 4))
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def plan_for_day(user: Any, day: date) -> Plan | None:
    """The plan the board shows for a day: the newest draft or optimising plan covering it, else
    the published one."""
    candidates = list(
        plans_for(user)
        .filter(horizon_start__lte=day)
        .exclude(status__in=(PlanStatus.SUPERSEDED,))
        .order_by("-created_at", "-id")[:20]
    )
    covering = [p for p in candidates if (day - p.horizon_start).days < p.days]
    for p in covering:
        if p.status != PlanStatus.FAILED:
            return p
    return covering[0] if covering else None


# What the board and the API read of a visit's work order and site (800 of them on a big day).
WORK_ORDER_FIELDS = (
    "work_order__number",
    "work_order__title",
    "work_order__priority",
    "work_order__site__name",
    "work_order__site__latitude",
    "work_order__site__longitude",
)
VISIT_FIELDS = (
    "route_id",
    "sequence",
    "arrival_at",
    "start_at",
    "end_at",
    "travel_seconds",
    "travel_meters",
    "late_seconds",
    *WORK_ORDER_FIELDS,
)


def plan_routes(plan: Plan, day: date | None = None) -> list[PlanRoute]:
    """A plan's routes (of one day, or all) with technicians and visits (with work orders and
    sites): three queries whatever the size of the plan."""
    visits = PlanVisit.objects.select_related("work_order__site").only(*VISIT_FIELDS).order_by("sequence")
    qs = (
        PlanRoute.objects.filter(plan=plan)
        .select_related("technician__user", "technician__depot")
        .prefetch_related(Prefetch("visits", queryset=visits))
        .order_by("technician__user__full_name", "technician_id", "shift_start")
    )
    if day is not None:
        qs = qs.filter(day=day)
    return list(qs)


def plan_unplanned(plan: Plan) -> list[PlanUnplanned]:
    return list(
        PlanUnplanned.objects.filter(plan=plan)
        .select_related("work_order__site")
        .only("plan_id", "reason", "detail", *WORK_ORDER_FIELDS)
        .order_by("work_order__priority", "work_order__number")
    )


def work_orders_visible(user: Any) -> QuerySet:
    """Work orders in the caller's scope: through the field app's selector when it has one."""
    try:
        from steward.field.selectors import work_orders_for
    except ImportError:  # pragma: no cover - until the field selectors exist
        from steward.field.models import WorkOrder

        return access.scope_to_account(WorkOrder.objects.all(), user)
    return work_orders_for(user)


def work_order_for_slots(user: Any, pk: Any):
    """A work order whose slots `user` may see and book: staff with SLOT_STAFF roles any open one;
    a customer user one of their account's (another's: 404)."""
    access.require_authenticated(user)
    if access.is_staff(user) and not user.has_role(*SLOT_STAFF):
        access.require_role(user, *SLOT_STAFF)
    from steward.field.models import BOOKABLE_WORK_ORDER_STATUSES

    qs = work_orders_visible(user).select_related("site", "account")
    wo = access.get_or_404(qs, pk=pk)
    if access.is_customer(user) and wo.account_id != user.customer_account_id:
        raise NotFound("work order not found")
    wo.is_bookable = wo.status in BOOKABLE_WORK_ORDER_STATUSES
    return wo
