"""Reads of the field app, scoped by who asks (DESIGN.md, Isolation).

* Staff with a planning or desk role (admin, manager, dispatcher, agent) see every work order.
* A technician (without such a role) sees only the work orders assigned to them.
* A customer admin sees their account's work orders; a requester only those of their own
  tickets. Customers read; they never write.
* Anyone else sees nothing. An object outside the scope is NotFound (404).

Technicians, depots, vans, shifts and absences are staff data: field staff (admin, manager,
dispatcher) see all of them; a technician sees their own record, shifts and absences.

`technician_shifts_on` and `technician_availability` are what the dispatch optimiser builds its
problem from: the UTC intervals each technician works on a date (weekly shift patterns in the
technician's timezone minus absences) and the skills valid on that date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, F, Q, QuerySet

from steward.core import access
from steward.core.errors import Forbidden
from steward.field import rules
from steward.field.models import (
    Absence,
    Depot,
    MaintenancePlan,
    ShiftPattern,
    Technician,
    Van,
    WorkOrder,
    WorkOrderEvent,
    WorkOrderPhoto,
)

# Staff roles that see every work order.
WORK_ORDER_STAFF = ("admin", "manager", "dispatcher", "agent")
FIELD_STAFF = ("admin", "manager", "dispatcher")
# Statuses a technician's day shows (planned or under way or done that day).
DAY_STATUSES = ("scheduled", "dispatched", "en_route", "on_site", "completed", "incomplete")


def technician_of(user: Any) -> Technician | None:
    """The technician record of a staff user, or None."""
    if not access.is_staff(user):
        return None
    try:
        return user.technician
    except Technician.DoesNotExist:
        return None


def is_field_staff(user: Any) -> bool:
    return access.is_staff(user) and user.has_role(*FIELD_STAFF)


# --- work orders ---------------------------------------------------------------------------------


def work_orders_for(user: Any) -> QuerySet[WorkOrder]:
    qs = WorkOrder.objects.select_related("account", "site", "asset", "service", "technician__user", "ticket")
    if access.is_staff(user):
        if user.has_role(*WORK_ORDER_STAFF):
            return qs
        technician = technician_of(user)
        return qs.filter(technician=technician) if technician is not None else qs.none()
    if access.is_customer(user):
        qs = qs.filter(account_id=user.customer_account_id)
        if not user.is_customer_admin:
            qs = qs.filter(ticket__requester=user)
        return qs
    return qs.none()


def work_order_get(user: Any, pk: Any) -> WorkOrder:
    return access.get_or_404(work_orders_for(user), pk=pk)


def work_order_by_number(user: Any, number: str) -> WorkOrder:
    return access.get_or_404(work_orders_for(user), number=number)


WORK_ORDER_FILTERS = (
    "status",
    "technician",
    "account",
    "priority",
    "origin",
    "ticket",
    "maintenance_plan",
    "q",
    "day",
)


def work_order_list(user: Any, **filters: Any) -> QuerySet[WorkOrder]:
    """Work orders the caller may see, filtered: status (a status or "open"), technician (id or
    "none"), account, priority, origin, ticket, maintenance_plan (ids), q (number, title or site
    name), day (the scheduled start's UTC date). Unknown filters raise ValueError naming them."""
    from steward.field.models import OPEN_WORK_ORDER_STATUSES

    access.require_authenticated(user)
    unknown = sorted(set(filters) - set(WORK_ORDER_FILTERS))
    if unknown:
        raise ValueError(f"{unknown[0]}: unknown filter")
    qs = work_orders_for(user)
    status = filters.get("status")
    if status == "open":
        qs = qs.filter(status__in=OPEN_WORK_ORDER_STATUSES)
    elif status:
        qs = qs.filter(status=status)
    technician = filters.get("technician")
    if technician == "none":
        qs = qs.filter(technician__isnull=True)
    elif technician not in (None, ""):
        qs = qs.filter(technician_id=technician)
    for name in ("account", "priority", "origin", "ticket", "maintenance_plan"):
        value = filters.get(name)
        if value not in (None, ""):
            qs = qs.filter(**{name if name in ("priority", "origin") else f"{name}_id": value})
    q = (filters.get("q") or "").strip()
    if q:
        qs = qs.filter(Q(number__iexact=q) | Q(title__icontains=q) | Q(site__name__icontains=q))
    day = filters.get("day")
    if day:
        qs = qs.filter(scheduled_start__date=day)
    return qs.order_by("-created_at", "-id")


def work_order_events(user: Any, work_order: WorkOrder) -> QuerySet[WorkOrderEvent]:
    """The work order's history (the caller already sees the work order)."""
    return work_order.events.select_related("actor").order_by("at", "id")


def work_order_photos(user: Any, work_order: WorkOrder) -> QuerySet[WorkOrderPhoto]:
    return work_order.photos.order_by("uploaded_at", "id")


def photo_get(user: Any, work_order: WorkOrder, pk: Any) -> WorkOrderPhoto:
    return access.get_or_404(work_order_photos(user, work_order), pk=pk)


def work_orders_of_ticket(user: Any, ticket: Any) -> QuerySet[WorkOrder]:
    return work_orders_for(user).filter(ticket=ticket).order_by("created_at", "id")


def technician_day(user: Any, day: date, *, technician: Technician | None = None) -> list[WorkOrder]:
    """A technician's jobs on a local date, in route order (scheduled start). By default the
    caller's own; field staff may name another technician."""
    if technician is None:
        technician = technician_of(user)
        if technician is None:
            raise Forbidden("this page is for technicians")
    elif not (is_field_staff(user) or technician_of(user) == technician):
        raise Forbidden("you may see only your own day")
    start, end = rules.local_day_bounds(day, technician.timezone)
    return list(
        WorkOrder.objects.select_related("site", "asset", "account", "service", "ticket")
        .filter(
            technician=technician,
            status__in=DAY_STATUSES,
            scheduled_start__gte=start,
            scheduled_start__lt=end,
        )
        .order_by("scheduled_start", "id")
    )


# --- technicians and their availability ----------------------------------------------------------


def technicians_for(user: Any) -> QuerySet[Technician]:
    qs = Technician.objects.select_related("user", "depot", "van")
    if is_field_staff(user):
        return qs
    if access.is_staff(user) and user.has_role("agent"):
        return qs  # agents see who can go out (names, skills) when they create a work order
    technician = technician_of(user)
    return qs.filter(pk=technician.pk) if technician is not None else qs.none()


def technician_list(
    user: Any, *, q: str = "", active: bool | None = None, skill: str = ""
) -> QuerySet[Technician]:
    access.require_staff(user)
    qs = technicians_for(user)
    if q:
        qs = qs.filter(
            Q(user__full_name__icontains=q) | Q(user__email__icontains=q) | Q(home_address__icontains=q)
        )
    if active is not None:
        qs = qs.filter(is_active=active)
    if skill:
        qs = qs.filter(user__skills__skill=skill).distinct()
    return qs.order_by("user__full_name", "id")


def technician_get(user: Any, pk: Any) -> Technician:
    return access.get_or_404(technicians_for(user), pk=pk)


def valid_skills(technician: Technician, day: date) -> dict[str, int]:
    """{skill: level} of the skills the technician holds on `day`: an expired certification is
    not a skill (valid through `certified_until`, inclusive)."""
    from steward.accounts.models import UserSkill

    rows = UserSkill.objects.filter(user_id=technician.user_id).filter(
        Q(certified_until__isnull=True) | Q(certified_until__gte=day)
    )
    return dict(rows.values_list("skill", "level"))


def skills_with_state(technician: Technician, day: date) -> list[dict[str, Any]]:
    """Every skill row with its level, expiry and whether it is valid on `day` (for the pages)."""
    from steward.accounts.models import UserSkill

    return [
        {
            "skill": s.skill,
            "level": s.level,
            "certified_until": s.certified_until,
            "valid": s.is_valid_on(day),
        }
        for s in UserSkill.objects.filter(user_id=technician.user_id).order_by("skill")
    ]


def technician_shifts_on(technician: Technician, day: date) -> list[tuple[datetime, datetime]]:
    """The UTC intervals the technician works on a local date: their weekly shift patterns valid
    on that date, in their timezone, minus absences."""
    shifts = [
        rules.WeeklyShift(s.weekday, s.start, s.end, s.valid_from, s.valid_until)
        for s in technician.shifts.filter(weekday=day.weekday())
    ]
    if not shifts:
        return []
    start, end = rules.local_day_bounds(day, technician.timezone)
    absences = technician.absences.filter(starts_at__lt=end, ends_at__gt=start).values_list(
        "starts_at", "ends_at"
    )
    return rules.shifts_on(day, shifts, list(absences), technician.timezone)


@dataclass(frozen=True)
class Availability:
    """One technician on one date, as the optimiser needs them."""

    technician: Technician
    day: date
    intervals: list[tuple[datetime, datetime]]  # UTC, sorted, disjoint
    skills: dict[str, int]  # valid on the day: {skill: level}
    start_lat: float | None
    start_lon: float | None

    @property
    def works(self) -> bool:
        return bool(self.intervals)


def _start_point(technician: Technician) -> tuple[float | None, float | None]:
    if technician.starts_from == "depot" and technician.depot_id is not None:
        return float(technician.depot.latitude), float(technician.depot.longitude)
    if technician.home_latitude is not None and technician.home_longitude is not None:
        return float(technician.home_latitude), float(technician.home_longitude)
    return None, None


def technician_availability(
    day: date, *, technicians: QuerySet[Technician] | None = None
) -> list[Availability]:
    """Every active technician's working intervals, valid skills and start point on `day` (those
    who do not work that day are included with no intervals). Four queries however many
    technicians: technicians, shifts, absences, skills."""
    from steward.accounts.models import UserSkill

    techs = list(
        (technicians if technicians is not None else Technician.objects.all())
        .filter(is_active=True)
        .select_related("user", "depot")
        .order_by("user__full_name", "id")
    )
    ids = [t.pk for t in techs]
    shifts: dict[int, list[rules.WeeklyShift]] = {}
    for s in ShiftPattern.objects.filter(technician_id__in=ids, weekday=day.weekday()):
        shifts.setdefault(s.technician_id, []).append(
            rules.WeeklyShift(s.weekday, s.start, s.end, s.valid_from, s.valid_until)
        )
    # Absences touching the day in any timezone (a day is at most 26 hours from UTC midnight).
    lo, hi = (
        rules.local_day_bounds(day, "Pacific/Kiritimati")[0],
        rules.local_day_bounds(day, "Etc/GMT+12")[1],
    )
    absences: dict[int, list[tuple[datetime, datetime]]] = {}
    for tid, a, b in Absence.objects.filter(
        technician_id__in=ids, starts_at__lt=hi, ends_at__gt=lo
    ).values_list("technician_id", "starts_at", "ends_at"):
        absences.setdefault(tid, []).append((a, b))
    skills: dict[int, dict[str, int]] = {}
    for uid, skill, level in (
        UserSkill.objects.filter(user_id__in=[t.user_id for t in techs])
        .filter(Q(certified_until__isnull=True) | Q(certified_until__gte=day))
        .values_list("user_id", "skill", "level")
    ):
        skills.setdefault(uid, {})[skill] = level
    out = []
    for t in techs:
        intervals = rules.shifts_on(day, shifts.get(t.pk, []), absences.get(t.pk, []), t.timezone)
        lat, lon = _start_point(t)
        out.append(Availability(t, day, intervals, skills.get(t.user_id, {}), lat, lon))
    return out


def shifts_for(user: Any) -> QuerySet[ShiftPattern]:
    qs = ShiftPattern.objects.select_related("technician__user")
    if is_field_staff(user):
        return qs
    technician = technician_of(user)
    return qs.filter(technician=technician) if technician is not None else qs.none()


def shift_get(user: Any, pk: Any) -> ShiftPattern:
    return access.get_or_404(shifts_for(user), pk=pk)


def absences_for(user: Any) -> QuerySet[Absence]:
    qs = Absence.objects.select_related("technician__user")
    if is_field_staff(user):
        return qs
    technician = technician_of(user)
    return qs.filter(technician=technician) if technician is not None else qs.none()


def absence_get(user: Any, pk: Any) -> Absence:
    return access.get_or_404(absences_for(user), pk=pk)


def depots_for(user: Any) -> QuerySet[Depot]:
    return Depot.objects.all() if access.is_staff(user) else Depot.objects.none()


def depot_list(user: Any, *, q: str = "") -> QuerySet[Depot]:
    """Depots (staff data) with how many vans and technicians each has; q: name or address."""
    access.require_staff(user)
    qs = depots_for(user).annotate(
        van_count=Count("vans", distinct=True), technician_count=Count("technicians", distinct=True)
    )
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(address__icontains=q))
    return qs.order_by("name", "id")


def depot_get(user: Any, pk: Any) -> Depot:
    return access.get_or_404(depots_for(user), pk=pk)


def vans_for(user: Any) -> QuerySet[Van]:
    return Van.objects.select_related("depot") if access.is_staff(user) else Van.objects.none()


def van_list(user: Any, *, q: str = "", depot: int | None = None) -> QuerySet[Van]:
    """Vans (staff data) with their depot and the technician who drives each; q: name or
    registration."""
    access.require_staff(user)
    qs = vans_for(user).select_related("technician__user")
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(registration__icontains=q))
    if depot is not None:
        qs = qs.filter(depot_id=depot)
    return qs.order_by("name", "id")


def van_get(user: Any, pk: Any) -> Van:
    return access.get_or_404(vans_for(user), pk=pk)


# --- maintenance plans ---------------------------------------------------------------------------


def maintenance_plans_for(user: Any) -> QuerySet[MaintenancePlan]:
    """Field staff and agents see all plans; a customer admin their account's; nobody else."""
    qs = MaintenancePlan.objects.select_related("account", "site", "asset", "service")
    if access.is_staff(user):
        return qs if user.has_role(*WORK_ORDER_STAFF) else qs.none()
    if access.is_customer(user) and user.is_customer_admin:
        return qs.filter(account_id=user.customer_account_id)
    return qs.none()


def maintenance_plan_get(user: Any, pk: Any) -> MaintenancePlan:
    return access.get_or_404(maintenance_plans_for(user), pk=pk)


def maintenance_plan_list(
    user: Any, *, q: str = "", active: bool | None = None, account: int | None = None
) -> QuerySet[MaintenancePlan]:
    """The plans the caller may see, filtered: q (title, account, site or asset serial/model),
    active, account (id)."""
    access.require_authenticated(user)
    qs = maintenance_plans_for(user)
    if q:
        qs = qs.filter(
            Q(title__icontains=q)
            | Q(account__name__icontains=q)
            | Q(site__name__icontains=q)
            | Q(asset__serial_number__icontains=q)
            | Q(asset__model__icontains=q)
        )
    if active is not None:
        qs = qs.filter(is_active=active)
    if account is not None:
        qs = qs.filter(account_id=account)
    return qs.order_by("account__name", "title", "id")


def maintenance_plan_work_orders(user: Any, plan: MaintenancePlan) -> QuerySet[WorkOrder]:
    """The work orders a plan generated that the caller may see, the latest due date first."""
    return (
        work_orders_for(user)
        .filter(maintenance_plan=plan)
        .order_by(F("maintenance_due").desc(nulls_last=True), "-created_at", "-id")
    )


def local_today(tz_name: str) -> date:
    from django.utils import timezone

    return timezone.now().astimezone(ZoneInfo(tz_name)).date()
