"""Appointment booking: the visit slots in which a qualified technician can still fit a work order
without breaking the current plan (computed by the optimiser's `available_slots` on the problem
and the plan technicians work to, not a fixed grid), and booking one of them.

The current plan of a day is its published plan; a day without one uses its newest ready draft,
so slots offered before publishing do not collide with what the dispatcher is about to publish.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from steward.core import access
from steward.core.errors import Conflict, ValidationFailed
from steward.dispatch import building, selectors, storage
from steward.dispatch.building import job_key, pk_of
from steward.dispatch.models import PlanRoute, PlanStatus

SLOT_MINUTES = 120
# A slot must start at least this long from now: nobody books a visit for the next ten minutes.
LEAD_MINUTES = 60
FIRST_HOUR, LAST_HOUR = 7, 18  # slot starts offered, local time


def _current_sequences(first_day, days: int) -> dict[str, list[str]]:
    last = first_day + timedelta(days=days - 1)
    rows = (
        PlanRoute.objects.filter(
            day__gte=first_day, day__lte=last, plan__status__in=(PlanStatus.PUBLISHED, PlanStatus.READY)
        )
        .select_related("plan")
        .prefetch_related("visits")
        .order_by("-plan__published_at", "-plan__created_at")
    )
    chosen: dict = {}  # day -> plan id: the published plan, else the newest ready one
    by_plan: dict = {}
    for r in rows:
        by_plan.setdefault((r.day, r.plan_id), []).append(r)
        current = chosen.get(r.day)
        if current is None or (r.plan.status == PlanStatus.PUBLISHED and current[1] != PlanStatus.PUBLISHED):
            chosen[r.day] = (r.plan_id, r.plan.status)
    routes = [r for day, (plan_id, _) in chosen.items() for r in by_plan[(day, plan_id)]]
    return storage.stored_sequences(routes)


def offer_slots(*, actor: Any, work_order: Any, days: int = 3, now: datetime | None = None) -> list[dict]:
    """Slots for `work_order` over `days` days from today, each ``{start, end, technician_id,
    technician_name}`` (aware datetimes). A customer sees each time once, without names."""
    from steward.dispatch.optimiser.slots import available_slots

    access.require_authenticated(actor)
    now = now or timezone.now()
    today = timezone.localdate(now)
    built = building.build_problem(today, days, now=now)
    job_id = job_key(work_order.pk)
    if job_id not in {j.id for j in built.problem.jobs}:
        return []
    sequences = _current_sequences(today, days)
    # The work order itself moves to the booked slot: take it out of the plan first.
    sequences = {k: [j for j in v if j != job_id] for k, v in sequences.items()}
    plan = storage.load(built, sequences)
    # The customer chooses the time: the job's current window (an earlier booking, an SLA
    # deadline) does not narrow the offer; a pin to a technician still does.
    job = dataclasses.replace(built.problem.job(job_id), window=None, soft_deadline=None, pinned_start=None)
    raw = available_slots(
        built.problem, plan, job, slot_length=SLOT_MINUTES * 60, candidates=_candidates(built, days, now)
    )
    earliest = now + timedelta(minutes=LEAD_MINUTES)
    out: list[dict] = []
    seen: set = set()
    customer = access.is_customer(actor)
    for s in raw:
        start, end = built.to_datetime(_get(s, "start")), built.to_datetime(_get(s, "end"))
        if start < earliest:
            continue
        tech_id = _get(s, "technician")
        tech_pk = pk_of(tech_id) if tech_id else None
        key = (start, end) if customer else (start, end, tech_pk)
        if key in seen:
            continue
        seen.add(key)
        row = built.technicians.get(tech_id) if tech_id else None
        out.append(
            {
                "start": timezone.localtime(start),
                "end": timezone.localtime(end),
                "technician_id": None if customer else tech_pk,
                "technician_name": "" if customer or row is None else str(row.user),
            }
        )
    out.sort(key=lambda s: (s["start"], s["technician_name"]))
    return out


def _candidates(built, days: int, now: datetime) -> list[int]:
    """Slot starts on the hour, 07:00 to 18:00 local, from an hour after now."""
    first = now + timedelta(minutes=LEAD_MINUTES)
    out = []
    for d in range(days):
        day = built.horizon_start + timedelta(days=d)
        for hour in range(FIRST_HOUR, LAST_HOUR + 1):
            moment = building.horizon_origin(day).replace(hour=hour)
            if moment >= first:
                out.append(built.to_seconds(moment))
    return out


def _get(slot: Any, name: str):
    return slot[name] if isinstance(slot, dict) else getattr(slot, name)


@transaction.atomic
def appointment_book(
    *, actor: Any, work_order: Any, start: datetime, end: datetime, technician_id: int | None = None
):
    """Book one of the offered slots: the work order's window becomes that slot (window kind
    "booked") and, when staff chose a technician, it is pinned to them. The slot is checked
    against a fresh offer, so a slot taken meanwhile is refused (409)."""
    from steward.field import services as field

    wo = selectors.work_order_for_slots(actor, work_order.pk)
    if not wo.is_bookable:
        raise Conflict(f"{wo.number} is {wo.get_status_display().lower()} and can no longer be booked")
    start = start if timezone.is_aware(start) else timezone.make_aware(start)
    end = end if timezone.is_aware(end) else timezone.make_aware(end)
    if end <= start:
        raise ValidationFailed.for_field("end", "the slot must end after it starts")
    if access.is_customer(actor):
        technician_id = None  # customers choose a time, the dispatcher the person
    days = max(1, min(building.MAX_DAYS, (timezone.localdate(start) - timezone.localdate()).days + 1))
    offered = offer_slots(actor=actor, work_order=wo, days=days)
    match = [
        s
        for s in offered
        if s["start"] == start
        and s["end"] == end
        and (technician_id is None or s["technician_id"] == technician_id)
    ]
    if not match:
        raise Conflict("that slot is no longer available; choose another")
    technician = None
    if technician_id is not None:
        from steward.field.models import Technician

        technician = Technician.objects.get(pk=technician_id)
    return field.work_order_book(
        actor=actor, work_order=wo, window_start=start, window_end=end, pinned_technician=technician
    )
