"""Writes of the field app: work orders (create, schedule, status flow, completion, photos),
technicians, depots, vans, shifts, absences and preventive-maintenance plans.

Every function is keyword-only, runs in one transaction, checks the actor's permission first,
validates the whole object and records an audit event. A work order's status moves only along
`WORK_ORDER_TRANSITIONS`; each move is a `WorkOrderEvent`, stamps the first time of that
transition (the KPIs' input) and, for a ticket's work order, adds an entry to the ticket's
timeline through `desk.services` (arriving on site also meets the ticket's on-site SLA target,
in the same transaction).
"""

from __future__ import annotations

import copy
import hashlib
import struct
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from steward.core import access, audit
from steward.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from steward.core.services import create_audited, full_clean, history_changed, update_audited
from steward.field import rules
from steward.field.models import (
    BOOKABLE_WORK_ORDER_STATUSES,
    WORK_ORDER_TRANSITIONS,
    Absence,
    Depot,
    MaintenancePlan,
    ShiftPattern,
    Technician,
    Van,
    WindowKind,
    WorkOrder,
    WorkOrderEvent,
    WorkOrderOrigin,
    WorkOrderPhoto,
    WorkOrderStatus,
)

# Who may create and edit work orders (agents create them from their tickets).
WORK_ORDER_EDITORS = ("admin", "manager", "dispatcher", "agent")
# Who plans: schedules, dispatches, moves and unschedules jobs.
DISPATCHERS = ("admin", "manager", "dispatcher")
# Who manages technicians, their shifts and absences, depots, vans and maintenance plans.
FIELD_MANAGERS = ("admin", "manager", "dispatcher")
# The moves a technician makes on their own job from the phone.
TECHNICIAN_MOVES = frozenset({"en_route", "on_site", "completed", "incomplete", "dispatched"})

WORK_ORDER_FIELDS = (
    "title",
    "description",
    "site",
    "asset",
    "service",
    "required_skills",
    "duration_minutes",
    "priority",
    "window_kind",
    "window_start",
    "window_end",
    "sla_deadline",
    "pinned_technician",
    "pinned_start",
)
# The column stamped the first time a work order enters a status.
STAMPS = {
    "scheduled": "scheduled_at",
    "dispatched": "dispatched_at",
    "en_route": "en_route_at",
    "on_site": "on_site_at",
    "completed": "finished_at",
    "incomplete": "finished_at",
}

PHOTO_TYPES = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "heic": "image/heic",
}
PHOTO_MAGIC = {
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/webp": (b"RIFF",),
    "image/heic": (),  # an ISO box: checked below
}
MAX_PHOTOS_PER_WORK_ORDER = 30
SIGNATURE_MAX_BYTES = 512 * 1024
SIGNATURE_MAX_SIDE = 4000
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


# --- numbering -----------------------------------------------------------------------------------


def next_work_order_number() -> str:
    """WO-000001, WO-000002, ... from a counter row incremented by a conditional UPDATE: the row
    lock (PostgreSQL) or the write lock (SQLite) holds concurrent creators until this transaction
    ends, so two work orders never get the same number and a rolled-back one leaves no gap."""
    from steward.field.models import FieldCounter

    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_work_order_number must run inside the creating transaction")
    for _ in range(2):
        if FieldCounter.objects.filter(name="work_order").update(value=F("value") + 1):
            value = FieldCounter.objects.values_list("value", flat=True).get(name="work_order")
            return f"WO-{value:06d}"
        try:
            with transaction.atomic():
                FieldCounter.objects.create(name="work_order", value=_highest_number())
        except IntegrityError:  # created concurrently: increment theirs
            pass
    raise RuntimeError("work order counter unavailable")


def _highest_number() -> int:
    """Where a fresh counter starts: after the highest number in use (rows written before the
    counter existed, e.g. imported)."""
    highest = 0
    for number in WorkOrder.objects.filter(number__startswith="WO-").values_list("number", flat=True):
        digits = number[3:]
        if digits.isdigit():
            highest = max(highest, int(digits))
    return highest


# --- work orders: create and edit ----------------------------------------------------------------


def _require_editor(actor: Any) -> None:
    access.require_role(actor, *WORK_ORDER_EDITORS)


def _check_skills(skills: Any) -> list[str]:
    if not isinstance(skills, list | tuple) or not all(isinstance(s, str) and s.strip() for s in skills):
        raise ValidationFailed.for_field("required_skills", "must be a list of skill names")
    cleaned = sorted({s.strip() for s in skills})
    if any(len(s) > 60 for s in cleaned):
        raise ValidationFailed.for_field("required_skills", "a skill name has at most 60 characters")
    return cleaned


def _check_site_asset(*, account: Any, site: Any, asset: Any) -> None:
    if site is None:
        raise ValidationFailed.for_field("site", "a work order needs a site")
    if site.account_id != account.pk:
        raise ValidationFailed.for_field("site", "the site belongs to another account")
    if asset is not None and asset.account_id != account.pk:
        raise ValidationFailed.for_field("asset", "the asset belongs to another account")
    if asset is not None and asset.site_id is not None and asset.site_id != site.pk:
        raise ValidationFailed.for_field("asset", "the asset is installed at another site")


REVISIT_REACH = timedelta(days=30)  # analytics' first-time-fix and repeat-visit window

# The instants a visit's figures hang on. A visit also decides whether visits that finished up to 30
# days before it were fixed the first time, so its changes reach that far back.
_VISIT_INSTANTS = (
    "created_at",
    "scheduled_start",
    "window_start",
    "en_route_at",
    "on_site_at",
    "finished_at",
)


def _visit_history_changed(*versions: WorkOrder) -> None:
    """Tell the KPI summaries that the periods of these versions of a visit (before and after a
    change) may have changed."""
    instants = [getattr(v, name) for v in versions for name in _VISIT_INSTANTS if getattr(v, name)]
    history_changed(since=min(instants) - REVISIT_REACH if instants else None)


def _event(work_order: WorkOrder, *, actor: Any, at: datetime, from_status: str, to_status: str, **kw: Any):
    user = actor if getattr(actor, "is_authenticated", False) else None
    return WorkOrderEvent.objects.create(
        work_order=work_order, actor=user, at=at, from_status=from_status, to_status=to_status, **kw
    )


@transaction.atomic
def work_order_create(
    *,
    actor: Any,
    account: Any,
    site: Any,
    title: str,
    asset: Any = None,
    service: Any = None,
    description: str = "",
    required_skills: Iterable[str] | None = None,
    duration_minutes: int | None = None,
    priority: str = "P3",
    window_kind: str = "",
    window_start: datetime | None = None,
    window_end: datetime | None = None,
    sla_deadline: datetime | None = None,
    pinned_technician: Technician | None = None,
    pinned_start: datetime | None = None,
    origin: str = WorkOrderOrigin.MANUAL,
    ticket: Any = None,
    maintenance_plan: MaintenancePlan | None = None,
    maintenance_due: date | None = None,
    follow_up_of: WorkOrder | None = None,
    at: datetime | None = None,
) -> WorkOrder:
    """A new, unscheduled work order (numbered WO-000001, ...). Without a duration it takes the
    service's standard duration (else 60 minutes); without skills, the service's."""
    _require_editor(actor)
    return _create(
        actor=actor,
        account=account,
        site=site,
        title=title,
        asset=asset,
        service=service,
        description=description,
        required_skills=required_skills,
        duration_minutes=duration_minutes,
        priority=priority,
        window_kind=window_kind,
        window_start=window_start,
        window_end=window_end,
        sla_deadline=sla_deadline,
        pinned_technician=pinned_technician,
        pinned_start=pinned_start,
        origin=origin,
        ticket=ticket,
        maintenance_plan=maintenance_plan,
        maintenance_due=maintenance_due,
        follow_up_of=follow_up_of,
        at=at,
    )


def _create(*, actor: Any, account: Any, site: Any, at: datetime | None, **values: Any) -> WorkOrder:
    at = at or timezone.now()
    _check_site_asset(account=account, site=site, asset=values["asset"])
    service = values["service"]
    skills = values.pop("required_skills")
    if skills is None:
        skills = list(service.required_skills) if service is not None else []
    duration = values.pop("duration_minutes")
    if duration is None:
        duration = service.standard_duration_minutes if service is not None else 60
    if values["window_kind"] and (values["window_start"] is None and values["window_end"] is None):
        raise ValidationFailed.for_field("window_end", "a time window needs a start or an end")
    if values["window_kind"] == "" and (values["window_start"] or values["window_end"]):
        values["window_kind"] = WindowKind.BOOKED
    if (values["pinned_start"] is not None) and values["pinned_start"] < at - timedelta(days=366):
        raise ValidationFailed.for_field("pinned_start", "is too far in the past")
    work_order = WorkOrder(
        number=next_work_order_number(),
        account=account,
        site=site,
        required_skills=_check_skills(list(skills)),
        duration_minutes=duration,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        created_at=at,
        **values,
    )
    full_clean(work_order)
    work_order.save(force_insert=True)
    _visit_history_changed(work_order)
    fields = [
        f.name for f in WorkOrder._meta.concrete_fields if f.name not in ("id", "signature", "updated_at")
    ]
    audit.record(
        actor=actor,
        action="work_order.create",
        obj=work_order,
        changes=audit.diff({}, audit.snapshot(work_order, fields)),
        account_id=account.pk,
        actor_label="" if actor is not None else "maintenance generator",
    )
    _event(work_order, actor=actor, at=at, from_status="", to_status=work_order.status, note="created")
    if work_order.ticket_id is not None:
        _tell_ticket(work_order, actor=actor, at=at, from_status="", to_status=work_order.status, note="")
    return work_order


@transaction.atomic
def work_order_create_from_ticket(
    *, actor: Any, ticket: Any, at: datetime | None = None, **overrides: Any
) -> WorkOrder:
    """A work order for a field-service ticket: its account, site, asset, service, priority, the
    service's skills and standard duration, and as window the ticket's SLA on-site deadline when
    its policy gives one (window_kind "sla"). `overrides` may set any editable field."""
    from steward.desk.selectors import onsite_deadline, ticket_get

    _require_editor(actor)
    ticket = ticket_get(actor, ticket.pk)  # NotFound for a ticket outside the actor's scope
    if ticket.site_id is None and "site" not in overrides:
        raise ValidationFailed.for_field("site", "the ticket names no site: choose the site to visit")
    unknown = sorted(set(overrides) - set(WORK_ORDER_FIELDS))
    if unknown:
        raise ValidationFailed.for_field(unknown[0], "this field cannot be set here")
    values: dict[str, Any] = {
        "site": ticket.site,
        "asset": ticket.asset,
        "service": ticket.service,
        "title": ticket.subject,
        "description": ticket.description,
        "required_skills": None,
        "duration_minutes": None,
        "priority": ticket.priority,
        "window_kind": "",
        "window_start": None,
        "window_end": None,
        "sla_deadline": None,
        "pinned_technician": None,
        "pinned_start": None,
    }
    deadline = onsite_deadline(ticket)
    if deadline is not None:
        values.update(window_kind=WindowKind.SLA, window_end=deadline, sla_deadline=deadline)
    values.update(overrides)
    return _create(
        actor=actor,
        account=ticket.account,
        origin=WorkOrderOrigin.TICKET,
        ticket=ticket,
        maintenance_plan=None,
        maintenance_due=None,
        follow_up_of=None,
        at=at,
        **values,
    )


@transaction.atomic
def work_order_update(*, actor: Any, work_order: WorkOrder, **changes: Any) -> WorkOrder:
    """Edit an open work order's details (not its status: see the transitions)."""
    _require_editor(actor)
    if not work_order.is_open:
        raise Conflict(f"work order {work_order.number} is {work_order.status}; it can no longer be edited")
    if "required_skills" in changes:
        changes["required_skills"] = _check_skills(changes["required_skills"])
    if "site" in changes or "asset" in changes:
        _check_site_asset(
            account=work_order.account,
            site=changes.get("site", work_order.site),
            asset=changes.get("asset", work_order.asset),
        )
    before = copy.copy(work_order)
    updated = update_audited(
        actor=actor,
        instance=work_order,
        changes=changes,
        allowed=WORK_ORDER_FIELDS,
        action="work_order.update",
        account_id=work_order.account_id,
    )
    _visit_history_changed(before, updated)
    return updated


def work_order_book(
    *,
    actor: Any,
    work_order: WorkOrder,
    window_start: datetime,
    window_end: datetime,
    pinned_technician: Technician | None = None,
) -> WorkOrder:
    """Book an appointment: the work order's window becomes the chosen slot (kind "booked").
    Staff who may edit work orders may also pin the technician; a customer books their own
    account's visit and chooses a time, not a person. Whether the slot is still free is for the
    dispatch app to check against its offer; this write keeps the work order's own rules."""
    access.require_authenticated(actor)
    if access.is_customer(actor):
        if work_order.account_id != actor.customer_account_id:
            raise NotFound("no such work order")
        if pinned_technician is not None:
            raise Forbidden("a customer chooses the time of the visit, not the technician")
    else:
        _require_editor(actor)
    if work_order.status not in BOOKABLE_WORK_ORDER_STATUSES:
        raise Conflict(
            f"{work_order.number} is {work_order.get_status_display().lower()} and can no longer be booked"
        )
    if window_end <= window_start:
        raise ValidationFailed.for_field("window_end", "the slot must end after it starts")
    changes: dict[str, Any] = {
        "window_kind": "booked",
        "window_start": window_start,
        "window_end": window_end,
    }
    if pinned_technician is not None:
        changes["pinned_technician"] = pinned_technician
    before = copy.copy(work_order)
    booked = update_audited(
        actor=actor,
        instance=work_order,
        changes=changes,
        allowed=("window_kind", "window_start", "window_end", "pinned_technician"),
        action="work_order.book",
        account_id=work_order.account_id,
    )
    _visit_history_changed(before, booked)
    return booked


# --- work orders: the status flow ----------------------------------------------------------------


def _lock(work_order: WorkOrder) -> WorkOrder:
    """Re-read the row (locked on PostgreSQL) so the transition applies to its current status."""
    fresh = WorkOrder.objects.select_for_update().get(pk=work_order.pk)
    for field in WorkOrder._meta.concrete_fields:
        setattr(work_order, field.attname, getattr(fresh, field.attname))
    return work_order


def _is_own_job(actor: Any, work_order: WorkOrder) -> bool:
    technician = getattr(actor, "technician", None) if access.is_staff(actor) else None
    return technician is not None and work_order.technician_id == technician.pk


def _require_can_move(actor: Any, work_order: WorkOrder, to_status: str) -> None:
    access.require_staff(actor)
    if actor.has_role(*DISPATCHERS):
        return
    if actor.has_role("technician") and to_status in TECHNICIAN_MOVES and _is_own_job(actor, work_order):
        return
    if actor.has_role("agent") and to_status == WorkOrderStatus.CANCELLED:
        return
    raise Forbidden(f"you may not move work order {work_order.number} to {to_status}")


def _check_transition(work_order: WorkOrder, to_status: str) -> None:
    if to_status not in WORK_ORDER_TRANSITIONS:
        raise ValidationFailed.for_field(
            "to_status", f"unknown status {to_status!r} (one of {', '.join(WORK_ORDER_TRANSITIONS)})"
        )
    allowed = WORK_ORDER_TRANSITIONS[work_order.status]
    if to_status not in allowed:
        options = ", ".join(sorted(allowed)) or "none: it is final"
        raise Conflict(
            f"work order {work_order.number} is {work_order.status} and cannot become {to_status} "
            f"(possible: {options})",
            fields={"to_status": [f"cannot go from {work_order.status} to {to_status}"]},
        )


def _move(
    work_order: WorkOrder,
    *,
    actor: Any,
    to_status: str,
    at: datetime,
    note: str = "",
    lat: Any = None,
    lon: Any = None,
    extra: dict[str, Any] | None = None,
) -> WorkOrder:
    """Apply one checked transition: status, the first-time stamp, extra columns, the event,
    the audit record and the ticket's timeline."""
    previous = copy.copy(work_order)
    from_status = work_order.status
    changes: dict[str, Any] = {"status": to_status, **(extra or {})}
    stamp = STAMPS.get(to_status)
    if stamp is not None and getattr(work_order, stamp) is None:
        changes[stamp] = at
    logged = [name for name in changes if name != "signature"]
    before = audit.snapshot(work_order, logged)
    for name, value in changes.items():
        setattr(work_order, name, value)
    full_clean(work_order)
    work_order.save()
    audit.record(
        actor=actor,
        action=f"work_order.{to_status}",
        obj=work_order,
        changes=audit.diff(before, audit.snapshot(work_order, logged)),
        account_id=work_order.account_id,
    )
    _visit_history_changed(previous, work_order)
    _event(
        work_order,
        actor=actor,
        at=at,
        from_status=from_status,
        to_status=to_status,
        note=note,
        latitude=lat,
        longitude=lon,
    )
    if work_order.ticket_id is not None:
        _tell_ticket(work_order, actor=actor, at=at, from_status=from_status, to_status=to_status, note=note)
    return work_order


def _tell_ticket(
    work_order: WorkOrder, *, actor: Any, at: datetime, from_status: str, to_status: str, note: str
) -> None:
    from steward.desk.services import ticket_record_field_visit

    ticket_record_field_visit(
        ticket=work_order.ticket,
        actor=actor,
        at=at,
        work_order_id=work_order.pk,
        number=work_order.number,
        from_status=from_status,
        to_status=to_status,
        # The ticket's timeline (which the customer reads) gets the outcome's words only, not the
        # planning notes (who, when) of the intermediate steps.
        note=note if to_status == WorkOrderStatus.COMPLETED else "",
        reason={
            WorkOrderStatus.INCOMPLETE: work_order.incomplete_reason,
            WorkOrderStatus.CANCELLED: work_order.cancel_reason,
        }.get(to_status, ""),
    )


def _coordinate(name: str, value: Any, limit: int) -> Any:
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValidationFailed.for_field(name, "must be a number") from None
    if not -limit <= number <= limit:
        raise ValidationFailed.for_field(name, f"must be between -{limit} and {limit}")
    return round(number, 6)


@transaction.atomic
def work_order_transition(
    *,
    actor: Any,
    work_order: WorkOrder,
    to_status: str,
    note: str = "",
    reason: str = "",
    at: datetime | None = None,
    lat: Any = None,
    lon: Any = None,
    follow_up: bool = False,
) -> WorkOrder:
    """Move a work order along the status flow. "scheduled" needs a technician and a start (use
    `work_order_schedule`); "incomplete" needs a reason and, with `follow_up`, opens a follow-up
    work order; "cancelled" needs a reason; "completed" is `work_order_complete`'s (it records the
    signature and notes) but is accepted here without them."""
    _require_can_move(actor, work_order, to_status)
    _lock(work_order)
    _check_transition(work_order, to_status)
    at = at or timezone.now()
    note = (note or "").strip()
    reason = (reason or "").strip()
    extra: dict[str, Any] = {}
    if to_status == WorkOrderStatus.SCHEDULED and (
        work_order.technician_id is None or work_order.scheduled_start is None
    ):
        raise ValidationFailed.for_field("technician", "schedule a work order with a technician and a start")
    if to_status == WorkOrderStatus.UNSCHEDULED:
        extra = {
            "technician": None,
            "scheduled_start": None,
            "scheduled_end": None,
            "planned_travel_seconds": None,
            "planned_travel_meters": None,
        }
    if to_status in (WorkOrderStatus.INCOMPLETE, WorkOrderStatus.CANCELLED):
        if not reason:
            raise ValidationFailed.for_field("reason", f"say why the work order is {to_status}")
        if len(reason) > 200:
            raise ValidationFailed.for_field("reason", "at most 200 characters")
        extra["incomplete_reason" if to_status == WorkOrderStatus.INCOMPLETE else "cancel_reason"] = reason
    if to_status == WorkOrderStatus.COMPLETED and note:
        extra["completion_notes"] = note
    lat = _coordinate("lat", lat, 90)
    lon = _coordinate("lon", lon, 180)
    _move(
        work_order,
        actor=actor,
        to_status=to_status,
        at=at,
        note=note or reason,
        lat=lat,
        lon=lon,
        extra=extra,
    )
    if to_status == WorkOrderStatus.INCOMPLETE and follow_up:
        _follow_up(work_order, actor=actor, at=at)
    return work_order


def _follow_up(work_order: WorkOrder, *, actor: Any, at: datetime) -> WorkOrder:
    """A new unscheduled visit for the same job, linked to the incomplete one."""
    return _create(
        actor=actor,
        account=work_order.account,
        site=work_order.site,
        at=at,
        title=work_order.title,
        asset=work_order.asset,
        service=work_order.service,
        description=f"Follow-up of {work_order.number}: {work_order.incomplete_reason}\n\n{work_order.description}"[
            :10000
        ].strip(),
        required_skills=list(work_order.required_skills),
        duration_minutes=work_order.duration_minutes,
        priority=work_order.priority,
        window_kind=work_order.window_kind if work_order.window_kind == WindowKind.SLA else "",
        window_start=None,
        window_end=work_order.window_end if work_order.window_kind == WindowKind.SLA else None,
        sla_deadline=work_order.sla_deadline,
        pinned_technician=None,
        pinned_start=None,
        origin=WorkOrderOrigin.FOLLOW_UP,
        ticket=work_order.ticket,
        maintenance_plan=work_order.maintenance_plan,
        maintenance_due=None,
        follow_up_of=work_order,
    )


@transaction.atomic
def work_order_incomplete(
    *, actor: Any, work_order: WorkOrder, reason: str, notes: str = "", follow_up: bool = True, at=None
) -> WorkOrder:
    """The visit ended without fixing it: the reason is required, and (by default) a follow-up
    work order is opened for the next visit. Returns the incomplete work order."""
    return work_order_transition(
        actor=actor,
        work_order=work_order,
        to_status=WorkOrderStatus.INCOMPLETE,
        note=notes,
        reason=reason,
        follow_up=follow_up,
        at=at,
    )


@transaction.atomic
def work_order_cancel(
    *, actor: Any, work_order: WorkOrder, reason: str, at: datetime | None = None
) -> WorkOrder:
    return work_order_transition(
        actor=actor, work_order=work_order, to_status=WorkOrderStatus.CANCELLED, reason=reason, at=at
    )


def _technician_skills_on(technician: Technician, day: date) -> dict[str, int]:
    from steward.field.selectors import valid_skills

    return valid_skills(technician, day)


@transaction.atomic
def work_order_schedule(
    *,
    actor: Any,
    work_order: WorkOrder,
    technician: Technician,
    start: datetime,
    end: datetime | None = None,
    travel_seconds: int | None = None,
    travel_meters: int | None = None,
    at: datetime | None = None,
) -> WorkOrder:
    """Give an unscheduled, scheduled or dispatched (not yet started) work order a technician and
    a start (end: start + duration unless given). The technician must be active and hold every
    required skill, valid on the local date of the start. The status becomes "scheduled" (a
    dispatched job that moves goes back to scheduled, to be dispatched again)."""
    access.require_role(actor, *DISPATCHERS)
    _lock(work_order)
    if work_order.status not in ("unscheduled", "scheduled", "dispatched"):
        raise Conflict(
            f"work order {work_order.number} is {work_order.status}; only a job not yet started can be scheduled",
            fields={"status": [f"is {work_order.status}"]},
        )
    if technician is None or not technician.is_active:
        raise ValidationFailed.for_field("technician", "choose an active technician")
    if start is None or timezone.is_naive(start):
        raise ValidationFailed.for_field("start", "an aware date and time is required")
    end = end or start + timedelta(minutes=work_order.duration_minutes)
    if end < start:
        raise ValidationFailed.for_field("end", "must not be before the start")
    for name, value in (("travel_seconds", travel_seconds), ("travel_meters", travel_meters)):
        if value is not None and (not isinstance(value, int) or value < 0):
            raise ValidationFailed.for_field(name, "must be a whole number, 0 or more")
    local_day = start.astimezone(rules.ZoneInfo(technician.timezone)).date()
    held = _technician_skills_on(technician, local_day)
    missing = [s for s in work_order.required_skills if s not in held]
    if missing:
        raise ValidationFailed.for_field(
            "technician", f"{technician} lacks the skill(s) {', '.join(missing)} on {local_day.isoformat()}"
        )
    extra = {
        "technician": technician,
        "scheduled_start": start,
        "scheduled_end": end,
        "planned_travel_seconds": travel_seconds,
        "planned_travel_meters": travel_meters,
    }
    return _move(
        work_order,
        actor=actor,
        to_status=WorkOrderStatus.SCHEDULED,
        at=at or timezone.now(),
        note=f"{technician}, {start.astimezone(rules.ZoneInfo(technician.timezone)):%Y-%m-%d %H:%M}",
        extra=extra,
    )


@transaction.atomic
def work_order_unschedule(*, actor: Any, work_order: WorkOrder, at: datetime | None = None) -> WorkOrder:
    """Take a scheduled or dispatched job off its technician's day (back to unscheduled)."""
    access.require_role(actor, *DISPATCHERS)
    return work_order_transition(
        actor=actor, work_order=work_order, to_status=WorkOrderStatus.UNSCHEDULED, at=at
    )


# --- completion: signature and photos ------------------------------------------------------------


def check_png(data: bytes, *, field: str = "signature") -> tuple[int, int]:
    """A PNG we will store: the signature, the IHDR chunk first, sane dimensions, within the
    size limit. Returns (width, height). We never decode it further: it is served as an image
    with nosniff, as an attachment, to staff."""
    if not isinstance(data, bytes | bytearray) or not data:
        raise ValidationFailed.for_field(field, "an image is required")
    if len(data) > SIGNATURE_MAX_BYTES:
        raise ValidationFailed.for_field(field, f"larger than the limit of {SIGNATURE_MAX_BYTES // 1024} KiB")
    if data[:8] != PNG_MAGIC or len(data) < 33 or data[12:16] != b"IHDR":
        raise ValidationFailed.for_field(field, "must be a PNG image")
    width, height = struct.unpack(">II", data[16:24])
    if not (0 < width <= SIGNATURE_MAX_SIDE and 0 < height <= SIGNATURE_MAX_SIDE):
        raise ValidationFailed.for_field(field, f"image sides must be 1 to {SIGNATURE_MAX_SIDE} pixels")
    if data[-12:-8] != b"\x00\x00\x00\x00" or data[-8:-4] != b"IEND":
        raise ValidationFailed.for_field(field, "the PNG image is truncated")
    return width, height


@transaction.atomic
def work_order_complete(
    *,
    actor: Any,
    work_order: WorkOrder,
    notes: str,
    signature_png: bytes | None = None,
    signed_by: str = "",
    at: datetime | None = None,
    lat: Any = None,
    lon: Any = None,
) -> WorkOrder:
    """The job is done: notes (required), the customer's signature (a PNG drawn on the phone)
    with the signer's name, the finish time. Only from on site."""
    _require_can_move(actor, work_order, WorkOrderStatus.COMPLETED)
    _lock(work_order)
    _check_transition(work_order, WorkOrderStatus.COMPLETED)
    notes = (notes or "").strip()
    signed_by = (signed_by or "").strip()
    if not notes:
        raise ValidationFailed.for_field("notes", "say what was done")
    if signature_png is not None:
        check_png(signature_png)
        if not signed_by:
            raise ValidationFailed.for_field("signed_by", "name the person who signed")
    if len(signed_by) > 150:
        raise ValidationFailed.for_field("signed_by", "at most 150 characters")
    at = at or timezone.now()
    extra: dict[str, Any] = {"completion_notes": notes, "signed_by": signed_by}
    if signature_png is not None:
        name = f"{work_order.number}-{hashlib.sha256(signature_png).hexdigest()[:12]}.png"
        work_order.signature.save(name, ContentFile(bytes(signature_png)), save=False)
        extra["signature"] = work_order.signature.name
    return _move(
        work_order,
        actor=actor,
        to_status=WorkOrderStatus.COMPLETED,
        at=at,
        note=notes,
        lat=_coordinate("lat", lat, 90),
        lon=_coordinate("lon", lon, 180),
        extra=extra,
    )


def _photo_type(name: str, content: bytes) -> str:
    from steward.desk.attachments import extension

    ext = extension(name)
    content_type = PHOTO_TYPES.get(ext)
    if content_type is None:
        raise ValidationFailed.for_field(
            "file", f"{name}: only photos are accepted ({', '.join(sorted(PHOTO_TYPES))})"
        )
    magic = PHOTO_MAGIC[content_type]
    if content_type == "image/heic":
        ok = content[4:8] == b"ftyp"
    elif content_type == "image/webp":
        ok = content[:4] == b"RIFF" and content[8:12] == b"WEBP"
    else:
        ok = any(content.startswith(m) for m in magic)
    if not ok:
        raise ValidationFailed.for_field("file", f"{name} is not a {ext.upper()} image")
    return content_type


@transaction.atomic
def work_order_photo_add(
    *, actor: Any, work_order: WorkOrder, filename: str, content: bytes, caption: str = ""
) -> WorkOrderPhoto:
    """A photo of the job (from the phone's camera): JPEG, PNG, WebP or HEIC by extension and
    content, within the attachment size limit, at most 30 per work order, stored under a random
    name; served back only as an attachment with nosniff."""
    from steward.desk.attachments import _human, safe_name

    access.require_staff(actor)
    if not (actor.has_role(*WORK_ORDER_EDITORS) or _is_own_job(actor, work_order)):
        raise Forbidden("you may add photos only to your own jobs")
    if work_order.status == WorkOrderStatus.CANCELLED:
        raise Conflict(f"work order {work_order.number} is cancelled")
    name = safe_name(filename)
    limit = settings.STEWARD_ATTACHMENT_MAX_BYTES
    if not content:
        raise ValidationFailed.for_field("file", f"{name} is empty")
    if len(content) > limit:
        raise ValidationFailed.for_field("file", f"{name} is larger than the limit of {_human(limit)}")
    content_type = _photo_type(name, content)
    if work_order.photos.count() >= MAX_PHOTOS_PER_WORK_ORDER:
        raise ValidationFailed.for_field("file", f"at most {MAX_PHOTOS_PER_WORK_ORDER} photos per work order")
    caption = (caption or "").strip()
    if len(caption) > 200:
        raise ValidationFailed.for_field("caption", "at most 200 characters")
    photo = WorkOrderPhoto(
        work_order=work_order,
        original_name=name,
        content_type=content_type,
        size=len(content),
        caption=caption,
        uploaded_by=actor,
    )
    photo.file.save(
        f"{hashlib.sha256(content).hexdigest()[:24]}.{name.rsplit('.', 1)[-1].lower()}",
        ContentFile(content),
        save=False,
    )
    photo.save()
    audit.record(
        actor=actor,
        action="work_order.photo",
        obj=work_order,
        changes={"photo": [None, name], "size": [None, len(content)]},
        account_id=work_order.account_id,
    )
    return photo


@transaction.atomic
def work_order_note(
    *, actor: Any, work_order: WorkOrder, note: str, at: datetime | None = None
) -> WorkOrderEvent:
    """A technician's (or dispatcher's) note on the job, without a status change."""
    note = (note or "").strip()
    access.require_staff(actor)
    if not (actor.has_role(*WORK_ORDER_EDITORS) or _is_own_job(actor, work_order)):
        raise Forbidden("you may add notes only to your own jobs")
    if not note:
        raise ValidationFailed.for_field("note", "write a note")
    if len(note) > 4000:
        raise ValidationFailed.for_field("note", "at most 4000 characters")
    return _event(
        work_order,
        actor=actor,
        at=at or timezone.now(),
        from_status=work_order.status,
        to_status=work_order.status,
        note=note,
    )


# --- technicians, depots, vans, shifts, absences -------------------------------------------------

TECHNICIAN_FIELDS = (
    "home_address",
    "home_latitude",
    "home_longitude",
    "depot",
    "starts_from",
    "timezone",
    "hourly_cost",
    "van",
    "lunch_minutes",
    "lunch_window_start",
    "lunch_window_end",
    "max_overtime_minutes",
    "overtime_cost_factor",
    "is_active",
)
DEPOT_FIELDS = ("name", "address", "latitude", "longitude", "timezone")
VAN_FIELDS = ("name", "registration", "depot")
SHIFT_FIELDS = ("weekday", "start", "end", "valid_from", "valid_until")
ABSENCE_FIELDS = ("kind", "starts_at", "ends_at", "note")


def _require_manager(actor: Any) -> None:
    access.require_role(actor, *FIELD_MANAGERS)


@transaction.atomic
def technician_create(*, actor: Any, user: Any, **values: Any) -> Technician:
    """The field side of a staff user with the technician role."""
    _require_manager(actor)
    if user is None or not user.is_staff_member or not user.has_role("technician"):
        raise ValidationFailed.for_field("user", "choose a staff user with the technician role")
    if Technician.objects.filter(user=user).exists():
        raise ValidationFailed.for_field("user", f"{user} is already a technician")
    unknown = sorted(set(values) - set(TECHNICIAN_FIELDS))
    if unknown:
        raise ValidationFailed.for_field(unknown[0], "unknown field")
    technician = Technician(user=user, **values)
    return create_audited(actor=actor, instance=technician, action="technician.create")


@transaction.atomic
def technician_update(*, actor: Any, technician: Technician, **changes: Any) -> Technician:
    _require_manager(actor)
    if "hourly_cost" in changes:  # every past job's labour cost is computed at the current rate
        history_changed(since=None)
    return update_audited(
        actor=actor,
        instance=technician,
        changes=changes,
        allowed=TECHNICIAN_FIELDS,
        action="technician.update",
    )


@transaction.atomic
def depot_create(*, actor: Any, **values: Any) -> Depot:
    _require_manager(actor)
    return create_audited(actor=actor, instance=Depot(**_only(values, DEPOT_FIELDS)), action="depot.create")


@transaction.atomic
def depot_update(*, actor: Any, depot: Depot, **changes: Any) -> Depot:
    _require_manager(actor)
    return update_audited(
        actor=actor, instance=depot, changes=changes, allowed=DEPOT_FIELDS, action="depot.update"
    )


@transaction.atomic
def van_create(*, actor: Any, **values: Any) -> Van:
    _require_manager(actor)
    return create_audited(actor=actor, instance=Van(**_only(values, VAN_FIELDS)), action="van.create")


@transaction.atomic
def van_update(*, actor: Any, van: Van, **changes: Any) -> Van:
    _require_manager(actor)
    return update_audited(actor=actor, instance=van, changes=changes, allowed=VAN_FIELDS, action="van.update")


def _only(values: dict[str, Any], allowed: Iterable[str]) -> dict[str, Any]:
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise ValidationFailed.for_field(unknown[0], "unknown field")
    return values


def _check_shift(shift: ShiftPattern) -> None:
    if shift.valid_from and shift.valid_until and shift.valid_until < shift.valid_from:
        raise ValidationFailed.for_field("valid_until", "must not be before valid_from")
    if shift.start is not None and shift.end is not None and shift.end <= shift.start:
        raise ValidationFailed.for_field("end", "must be after the start (a shift ends on its own day)")


@transaction.atomic
def shift_create(*, actor: Any, technician: Technician, **values: Any) -> ShiftPattern:
    _require_manager(actor)
    shift = ShiftPattern(technician=technician, **_only(values, SHIFT_FIELDS))
    _check_shift(shift)
    _shift_history_changed(shift.valid_from)
    return create_audited(actor=actor, instance=shift, action="shift.create")


@transaction.atomic
def shift_update(*, actor: Any, shift: ShiftPattern, **changes: Any) -> ShiftPattern:
    _require_manager(actor)
    _only(changes, SHIFT_FIELDS)
    for name, value in changes.items():
        setattr(shift, name, value)
    _check_shift(shift)
    shift.refresh_from_db(fields=list(changes))  # update_audited diffs from the stored values
    _shift_history_changed(shift.valid_from, changes.get("valid_from", shift.valid_from))
    return update_audited(
        actor=actor, instance=shift, changes=changes, allowed=SHIFT_FIELDS, action="shift.update"
    )


@transaction.atomic
def shift_delete(*, actor: Any, shift: ShiftPattern) -> None:
    _require_manager(actor)
    audit.record(actor=actor, action="shift.delete", obj=shift, changes={"shift": [str(shift), None]})
    _shift_history_changed(shift.valid_from)
    shift.delete()


def _shift_history_changed(*valid_froms: date | None) -> None:
    """Available time (utilisation) changes from the earliest local day a version of the pattern
    applied (a pattern without a start applies to all of history); a day earlier in UTC covers
    every timezone."""
    if any(day is None for day in valid_froms):
        history_changed(since=None)
    else:
        history_changed(since=datetime.combine(min(valid_froms), time(0), UTC) - timedelta(days=1))


def _check_absence(absence: Absence) -> None:
    if absence.starts_at and absence.ends_at and absence.ends_at <= absence.starts_at:
        raise ValidationFailed.for_field("ends_at", "must be after the start")


@transaction.atomic
def absence_create(*, actor: Any, technician: Technician, **values: Any) -> Absence:
    _require_manager(actor)
    absence = Absence(technician=technician, **_only(values, ABSENCE_FIELDS))
    _check_absence(absence)
    history_changed(since=absence.starts_at)
    return create_audited(actor=actor, instance=absence, action="absence.create")


@transaction.atomic
def absence_update(*, actor: Any, absence: Absence, **changes: Any) -> Absence:
    _require_manager(actor)
    _only(changes, ABSENCE_FIELDS)
    probe = Absence(
        starts_at=changes.get("starts_at", absence.starts_at), ends_at=changes.get("ends_at", absence.ends_at)
    )
    _check_absence(probe)
    history_changed(since=min(absence.starts_at, probe.starts_at))
    return update_audited(
        actor=actor, instance=absence, changes=changes, allowed=ABSENCE_FIELDS, action="absence.update"
    )


@transaction.atomic
def absence_delete(*, actor: Any, absence: Absence) -> None:
    _require_manager(actor)
    audit.record(actor=actor, action="absence.delete", obj=absence, changes={"absence": [str(absence), None]})
    history_changed(since=absence.starts_at)
    absence.delete()


# --- preventive maintenance ----------------------------------------------------------------------

PLAN_FIELDS = (
    "site",
    "asset",
    "service",
    "title",
    "interval_count",
    "interval_unit",
    "first_due",
    "horizon_days",
    "duration_minutes",
    "required_skills",
    "priority",
    "window_days_before",
    "is_active",
)


def _check_plan(plan: MaintenancePlan) -> None:
    if plan.site_id is not None and plan.site.account_id != plan.account_id:
        raise ValidationFailed.for_field("site", "the site belongs to another account")
    if plan.asset_id is not None and plan.asset.account_id != plan.account_id:
        raise ValidationFailed.for_field("asset", "the asset belongs to another account")
    if plan.asset_id is not None and plan.asset.site_id not in (None, plan.site_id):
        raise ValidationFailed.for_field("asset", "the asset is installed at another site")
    plan.required_skills = _check_skills(plan.required_skills)


@transaction.atomic
def maintenance_plan_create(*, actor: Any, account: Any, **values: Any) -> MaintenancePlan:
    """A plan whose work orders the worker generates ahead (from now on: due at once)."""
    _require_manager(actor)
    plan = MaintenancePlan(account=account, next_generation_at=timezone.now(), **_only(values, PLAN_FIELDS))
    if plan.site_id is None:
        raise ValidationFailed.for_field("site", "a maintenance plan needs a site")
    _check_plan(plan)
    return create_audited(actor=actor, instance=plan, action="maintenance_plan.create", account_id=account.pk)


@transaction.atomic
def maintenance_plan_update(*, actor: Any, plan: MaintenancePlan, **changes: Any) -> MaintenancePlan:
    """Edit a plan; the next worker tick generates again with the new rhythm (work orders already
    generated stay: each is a visit someone may have booked)."""
    _require_manager(actor)
    _only(changes, PLAN_FIELDS)
    if "required_skills" in changes:
        changes["required_skills"] = _check_skills(changes["required_skills"])
    probe = MaintenancePlan(
        account_id=plan.account_id,
        site=changes.get("site", plan.site),
        asset=changes.get("asset", plan.asset),
        required_skills=changes.get("required_skills", plan.required_skills),
    )
    _check_plan(probe)
    changes["next_generation_at"] = timezone.now()
    return update_audited(
        actor=actor,
        instance=plan,
        changes=changes,
        allowed=(*PLAN_FIELDS, "next_generation_at"),
        action="maintenance_plan.update",
        account_id=plan.account_id,
    )


def _plan_sla_deadline(plan: MaintenancePlan, due: date, window_end: datetime) -> datetime | None:
    """The SLA on-site target where a contract applies: the window's end is then the deadline
    (the plan's due day), recorded as `sla_deadline` so breaching it weighs in the plan."""
    from steward.catalog.selectors import contract_policy_ids

    if contract_policy_ids(account=plan.account, service=plan.service, on_date=due):
        return window_end
    return None


def maintenance_generate(*, plan_id: int, now: datetime) -> list[WorkOrder]:
    """Claim the plan (compare-and-set on `next_generation_at <= now`) and create the work orders
    of every due date up to today + horizon not generated yet; the next generation is due a day
    later. Idempotent: a (plan, due date) pair has at most one work order (unique constraint),
    and `generated_until` moves forward only. Returns the work orders created."""
    with transaction.atomic():
        next_at = now + timedelta(days=1)
        won = MaintenancePlan.objects.filter(pk=plan_id, is_active=True, next_generation_at__lte=now).update(
            next_generation_at=next_at
        )
        if won != 1:
            return []
        plan = MaintenancePlan.objects.select_related("account", "site", "asset", "service").get(pk=plan_id)
        tz = plan.site.timezone
        today = now.astimezone(rules.ZoneInfo(tz)).date()
        until = today + timedelta(days=plan.horizon_days)
        created = []
        for due in rules.due_dates(
            plan.first_due, plan.interval_count, plan.interval_unit, after=plan.generated_until, until=until
        ):
            if due < today:  # a missed past date is not generated late
                continue
            if WorkOrder.objects.filter(maintenance_plan=plan, maintenance_due=due).exists():
                continue
            start, end = rules.maintenance_window(due, plan.window_days_before, tz)
            start = max(start, now)
            created.append(
                _create(
                    actor=None,
                    account=plan.account,
                    site=plan.site,
                    at=now,
                    title=f"{plan.title} (due {due.isoformat()})",
                    asset=plan.asset,
                    service=plan.service,
                    description=f"Preventive maintenance: {plan.title}",
                    required_skills=list(plan.required_skills),
                    duration_minutes=plan.duration_minutes,
                    priority=plan.priority,
                    window_kind=WindowKind.MAINTENANCE,
                    window_start=start,
                    window_end=end,
                    sla_deadline=_plan_sla_deadline(plan, due, end),
                    pinned_technician=None,
                    pinned_start=None,
                    origin=WorkOrderOrigin.MAINTENANCE,
                    ticket=None,
                    maintenance_plan=plan,
                    maintenance_due=due,
                    follow_up_of=None,
                )
            )
        MaintenancePlan.objects.filter(pk=plan.pk).update(generated_until=until)
        if created:
            audit.record(
                actor=None,
                action="maintenance_plan.generate",
                obj=plan,
                changes={"work_orders": [None, [w.number for w in created]], "until": [None, until]},
                account_id=plan.account_id,
                actor_label="maintenance generator",
            )
        return created


__all__ = [
    "check_png",
    "work_order_cancel",
    "work_order_complete",
    "work_order_create",
    "work_order_create_from_ticket",
    "work_order_incomplete",
    "work_order_note",
    "work_order_photo_add",
    "work_order_schedule",
    "work_order_transition",
    "work_order_unschedule",
    "work_order_update",
]
