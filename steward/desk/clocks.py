"""The SLA clocks as stored: replay a ticket's timeline (`desk.sla`) and keep `TicketSla` (one
row per target) and `TicketEscalation` (one row per escalation level of the current cycle) in
step with it, in the caller's transaction.

Stored instants are exact and never recomputed on read:

* `TicketSla.deadline`: what the replay reports;
* `TicketSla.warning_at`: the instant a running cycle's elapsed business time reaches the
  warning share of its target;
* `TicketEscalation.due_at`: the instant the cycle's elapsed business time reaches target +
  offset (an offset of -30 fires 30 business minutes before the deadline, +60 an hour after
  it: a breached cycle keeps counting). None while the ticket is paused or once the cycle is
  closed (met, or answered late).

Each is a pure function of the history and "now": while nothing happens the instant stays right,
and every change of history (a service call) recomputes them.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Case, DateTimeField, F, Value, When
from django.utils import timezone

from steward.core import audit
from steward.core.calendars import add_business_time
from steward.desk.models import REPLAY_EVENT_TYPES, EventType, SlaStatus, Ticket, TicketEscalation, TicketSla
from steward.desk.sla import TARGETS, SlaPolicy, parse_policy, replay_cycles
from steward.desk.timeline import add_event

# The policy of a ticket no SLA governs: no targets, so no clock applies.
NO_POLICY: dict[str, Any] = {"targets": {}}


def _instant_at_elapsed(
    policy: SlaPolicy, goal_us: int, elapsed_us: int, now: datetime, *, not_before_now: bool
) -> datetime | None:
    """The instant the clock (running from `now` with `elapsed_us` spent) reaches `goal_us` of
    business time. Already reached: `now` if `not_before_now`, else None."""
    remaining = goal_us - elapsed_us
    if remaining <= 0:
        return now if not_before_now else None
    return add_business_time(now, timedelta(microseconds=remaining), policy.calendar).astimezone(UTC)


def _warning_at(policy: SlaPolicy, kind: str, priority: str, report: dict[str, Any], now: datetime):
    """The instant a running cycle's elapsed time reaches the warning share of its target."""
    if report["status"] != SlaStatus.RUNNING:
        return None
    target_us = policy.target_us(kind, priority)
    if target_us is None:
        return None
    elapsed_us = round(report["elapsed_business_seconds"] * 1_000_000)
    goal_us = math.ceil(policy.warning_percent * target_us / 100)
    return _instant_at_elapsed(policy, goal_us, elapsed_us, now, not_before_now=False)


def _upsert_sla(ticket: Ticket, kind: str, values: dict[str, Any], opened_at: datetime) -> None:
    """Store one target's state. The sweeper's claims belong to a cycle: a new cycle clears them,
    and a cycle back below its warning share (running) may warn again."""
    same_cycle = When(cycle_opened_at=opened_at, then=F("breach_claimed_at"))
    claims = {
        "breach_claimed_at": Case(same_cycle, default=Value(None), output_field=DateTimeField()),
        "warning_claimed_at": (
            Value(None, output_field=DateTimeField())
            if values["status"] == SlaStatus.RUNNING
            else Case(
                When(cycle_opened_at=opened_at, then=F("warning_claimed_at")),
                default=Value(None),
                output_field=DateTimeField(),
            )
        ),
    }
    rows = TicketSla.objects.filter(ticket=ticket, target=kind)
    if rows.update(cycle_opened_at=opened_at, **values, **claims):
        return
    try:
        with transaction.atomic():
            TicketSla.objects.create(ticket=ticket, target=kind, cycle_opened_at=opened_at, **values)
    except IntegrityError:  # created concurrently: update it instead
        rows.update(cycle_opened_at=opened_at, **values, **claims)


def _record_sla_event(
    ticket: Ticket, kind: str, event: str, row_values: dict[str, Any], now: datetime
) -> None:
    type_ = EventType.SLA_BREACHED if event == "breach" else EventType.SLA_WARNING
    data = {"target": kind, "deadline": row_values["deadline"]}
    if event == "breach":
        data["breached_at"] = row_values["breached_at"]
    add_event(ticket, type_, actor=None, at=now, **data)
    audit.record(
        actor=None,
        action="sla.breached" if event == "breach" else "sla.warning",
        obj=ticket,
        changes=data,
        account_id=ticket.account_id,
    )


def _sync_escalations(
    ticket: Ticket,
    kind: str,
    report: dict[str, Any] | None,
    *,
    levels: list[Any],
    policy: SlaPolicy,
    priority: str,
    paused: bool,
    now: datetime,
) -> None:
    """Keep one unfired `TicketEscalation` per level of the current policy for the target's current
    cycle, each due when the cycle's elapsed business time reaches target + offset; cancel (due
    None) every other unfired row of this target. Fired rows are history and never change."""
    unfired = TicketEscalation.objects.filter(ticket=ticket, target=kind, fired_at__isnull=True)
    target_us = policy.target_us(kind, priority)
    live = report is not None and report["closed_at"] is None and target_us is not None and not paused
    keep: list[int] = []
    if report is not None:
        opened_at = report["opened_at"]
        elapsed_us = round(report["elapsed_business_seconds"] * 1_000_000)
        for level in levels:
            due = None
            if live:
                goal = max(0, target_us + level.offset_minutes * 60_000_000)
                due = _instant_at_elapsed(policy, goal, elapsed_us, now, not_before_now=True)
            row, created = TicketEscalation.objects.get_or_create(
                ticket=ticket,
                level=level,
                cycle_opened_at=opened_at,
                defaults={"target": kind, "due_at": due},
            )
            if not created and row.fired_at is None and row.due_at != due:
                TicketEscalation.objects.filter(pk=row.pk, fired_at__isnull=True).update(due_at=due)
            keep.append(row.pk)
    unfired.exclude(pk__in=keep).exclude(due_at=None).update(due_at=None)


_STATE_RANK = {
    SlaStatus.BREACHED: 5,
    SlaStatus.WARNING: 4,
    SlaStatus.RUNNING: 3,
    SlaStatus.PAUSED: 2,
    SlaStatus.MET: 1,
}


def _store_summary(ticket: Ticket) -> None:
    """Copy the nearest running deadline and the worst state onto the ticket row (for queues)."""
    rows = list(TicketSla.objects.filter(ticket=ticket).values_list("status", "deadline"))
    running = [d for status, d in rows if status in (SlaStatus.RUNNING, SlaStatus.WARNING) and d is not None]
    state = max((status for status, _ in rows), key=lambda st: _STATE_RANK.get(st, 0), default="")
    Ticket.objects.filter(pk=ticket.pk).update(sla_next_deadline=min(running, default=None), sla_state=state)
    ticket.sla_next_deadline = min(running, default=None)
    ticket.sla_state = state


def recompute_sla(
    *, ticket: Ticket, now: datetime | None = None, claimed: dict[str, str] | None = None
) -> dict[str, list[str]]:
    """Replay the ticket's timeline (`desk.sla`) and store each target's state in `TicketSla`, and
    its escalation levels' due instants in `TicketEscalation`.

    A target that newly reached warning or breached is claimed by compare-and-set on its
    `warning_claimed_at` / `breach_claimed_at` and gets one "sla_warning"/"sla_breached" event and
    audit record; `claimed` names targets the caller (the sweeper) has already claimed
    ({target: "warning" | "breach"}). Returns the targets that got an event
    ({"warnings": [...], "breaches": [...]}). Must run inside the caller's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("recompute_sla must run inside the service's transaction")
    now = now or timezone.now()
    claimed = claimed or {}
    recorded: dict[str, list[str]] = {"warnings": [], "breaches": []}
    rows = list(ticket.events.filter(type__in=REPLAY_EVENT_TYPES).order_by("at", "id"))
    if not rows:
        TicketSla.objects.filter(ticket=ticket).delete()
        TicketEscalation.objects.filter(ticket=ticket, fired_at__isnull=True).update(due_at=None)
        _store_summary(ticket)
        return recorded
    events = [{**row.data, "at": row.at, "type": row.type} for row in rows]
    for event in events:
        if event["type"] in ("created", "policy"):
            event["policy"] = event.get("policy") or NO_POLICY
    policies = [e["policy"] for e in events if e["type"] in ("created", "policy")]
    now = max(now, rows[-1].at)
    cycles = replay_cycles(policies[0], events, now)
    current = parse_policy(policies[-1])
    priority = next(e["priority"] for e in reversed(events) if e["type"] in ("created", "priority"))
    status = next(e["status"] for e in reversed(events) if e["type"] in ("created", "status"))
    paused = status in current.pause_statuses
    policy_id = next(e.get("policy_id") for e in reversed(events) if e["type"] in ("created", "policy"))
    levels_by_target: dict[str, list[Any]] = {kind: [] for kind in TARGETS}
    if policy_id is not None:
        from steward.catalog.selectors import escalation_levels

        for level in escalation_levels(policy_id):
            if level.target in levels_by_target:
                levels_by_target[level.target].append(level)

    for kind in TARGETS:
        if not cycles[kind]:
            TicketSla.objects.filter(ticket=ticket, target=kind).delete()
            _sync_escalations(
                ticket, kind, None, levels=[], policy=current, priority=priority, paused=paused, now=now
            )
            continue
        report = cycles[kind][-1]
        values = {
            "deadline": report["deadline"],
            "warning_at": _warning_at(current, kind, priority, report, now),
            "status": report["status"],
            "met_at": report["met_at"],
            "breached_at": report["breached_at"],
            "elapsed_business_seconds": report["elapsed_business_seconds"],
            "paused_business_seconds": report["paused_business_seconds"],
            "updated_at": now,
        }
        _upsert_sla(ticket, kind, values, report["opened_at"])
        _sync_escalations(
            ticket,
            kind,
            report,
            levels=levels_by_target[kind],
            policy=current,
            priority=priority,
            paused=paused,
            now=now,
        )
        sla_status = report["status"]
        if sla_status == SlaStatus.BREACHED:
            event, column = "breach", "breach_claimed_at"
        elif sla_status == SlaStatus.WARNING:
            event, column = "warning", "warning_claimed_at"
        else:
            continue
        mine = claimed.get(kind) == event or bool(
            TicketSla.objects.filter(ticket=ticket, target=kind, **{f"{column}__isnull": True}).update(
                **{column: now}
            )
        )
        if mine:
            _record_sla_event(ticket, kind, event, values, now)
            recorded["breaches" if event == "breach" else "warnings"].append(kind)
    _store_summary(ticket)
    for kind, event in claimed.items():  # a claim the replay did not bear out is released
        if kind not in recorded["breaches" if event == "breach" else "warnings"]:
            column = "breach_claimed_at" if event == "breach" else "warning_claimed_at"
            TicketSla.objects.filter(ticket=ticket, target=kind).update(**{column: None})
    return recorded
