"""The SLA clocks as stored: replay a ticket's timeline and keep `TicketSla` (one row per target)
and `TicketEscalation` (one row per escalation level of the current cycle) in step with it, in the
caller's transaction.

What is stored is computed by the pure `desk.clock_state.clock_state` (also used by the bulk
builder, `desk.bulk`, so both store the same for the same history):

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

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Case, DateTimeField, F, Value, When
from django.utils import timezone

from steward.core import audit
from steward.core.services import history_changed
from steward.desk.clock_state import (
    NO_POLICY,
    ClockState,
    EscalationClock,
    EscalationSpec,
    clock_state,
    governing_policy_id,
    replay_input,
)
from steward.desk.models import (
    REPLAY_EVENT_TYPES,
    EventType,
    SlaStatus,
    Ticket,
    TicketEscalation,
    TicketSla,
    TicketSlaCycle,
)
from steward.desk.sla import ALL_TARGETS  # the desk targets and on-site arrival
from steward.desk.timeline import add_event

__all__ = ["NO_POLICY", "escalation_specs", "recompute_sla"]


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


def _sync_escalations(ticket: Ticket, state: ClockState) -> None:
    """Keep one `TicketEscalation` per level of the current policy for each target's current cycle
    with its due instant (unless it already fired); cancel (due None) every other unfired row of the
    desk's targets. Fired rows are history and never change.

    One read of the ticket's rows, then only the writes that change something (the sweeper runs
    this for every row it claims)."""
    rows = {
        (level_id, opened): (pk, due_at, fired_at)
        for pk, level_id, opened, due_at, fired_at in TicketEscalation.objects.filter(
            ticket=ticket
        ).values_list("pk", "level_id", "cycle_opened_at", "due_at", "fired_at")
    }
    keep: set[int] = set()
    new: list[EscalationClock] = []
    for kind in ALL_TARGETS:
        for item in state.escalations[kind] if kind in state.targets else ():
            found = rows.get((item.level_id, item.cycle_opened_at))
            if found is None:
                new.append(item)
                continue
            pk, due_at, fired_at = found
            keep.add(pk)
            if fired_at is None and due_at != item.due_at:
                TicketEscalation.objects.filter(pk=pk, fired_at__isnull=True).update(due_at=item.due_at)
    stale = [
        pk
        for pk, due_at, fired_at in rows.values()
        if pk not in keep and fired_at is None and due_at is not None
    ]
    if stale:
        TicketEscalation.objects.filter(pk__in=stale, target__in=ALL_TARGETS, fired_at__isnull=True).update(
            due_at=None
        )
    if not new:
        return
    try:
        with transaction.atomic():
            TicketEscalation.objects.bulk_create(
                TicketEscalation(
                    ticket=ticket,
                    level_id=item.level_id,
                    target=item.target,
                    cycle_opened_at=item.cycle_opened_at,
                    due_at=item.due_at,
                )
                for item in new
            )
    except IntegrityError:  # created concurrently: take theirs and set its due instant
        for item in new:
            row, created = TicketEscalation.objects.get_or_create(
                ticket=ticket,
                level_id=item.level_id,
                cycle_opened_at=item.cycle_opened_at,
                defaults={"target": item.target, "due_at": item.due_at},
            )
            if not created and row.fired_at is None and row.due_at != item.due_at:
                TicketEscalation.objects.filter(pk=row.pk, fired_at__isnull=True).update(due_at=item.due_at)


CYCLE_COLUMNS = ("opened_at", "deadline", "status", "met_at", "breached_at")


def _sync_cycles(ticket: Ticket, state: ClockState) -> None:
    """Make the ticket's `TicketSlaCycle` rows the state's decided cycles: one read when nothing
    changed (the usual case: a new event decides at most the latest cycle)."""
    wanted = {(c.target, c.number): c.values() for c in state.decided}
    stored = {
        (row["target"], row["number"]): row
        for row in TicketSlaCycle.objects.filter(ticket=ticket).values(
            "id", "target", "number", *CYCLE_COLUMNS
        )
    }
    stale = [
        row["id"]
        for key, row in stored.items()
        if key not in wanted or any(row[name] != value for name, value in wanted[key].items())
    ]
    if stale:
        TicketSlaCycle.objects.filter(pk__in=stale).delete()
    kept = {key for key, row in stored.items() if row["id"] not in stale}
    new = [
        TicketSlaCycle(ticket=ticket, target=target, number=number, **values)
        for (target, number), values in wanted.items()
        if (target, number) not in kept
    ]
    if new:
        TicketSlaCycle.objects.bulk_create(new)


def escalation_specs(policy_id: int | None) -> dict[int, list[EscalationSpec]]:
    """The policy's escalation levels as `clock_state` takes them ({policy_id: [...]})."""
    if policy_id is None:
        return {}
    from steward.catalog.selectors import escalation_levels

    return {
        policy_id: [
            EscalationSpec(level.pk, level.target, level.offset_minutes)
            for level in escalation_levels(policy_id)
            if level.target in ALL_TARGETS
        ]
    }


def recompute_sla(
    *, ticket: Ticket, now: datetime | None = None, claimed: dict[str, str] | None = None
) -> dict[str, list[str]]:
    """Replay the ticket's timeline (`desk.sla`) and store each target's state in `TicketSla`, and
    its escalation levels' due instants in `TicketEscalation` (the values: `clock_state`).

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
    rows = ticket.events.filter(type__in=REPLAY_EVENT_TYPES).order_by("at", "id")
    events = replay_input(list(rows.values_list("at", "type", "data")))
    state = clock_state(events, now, escalation_specs(governing_policy_id(events)))
    now = state.now

    for kind in ALL_TARGETS:
        clock = state.targets.get(kind)
        if clock is None:
            TicketSla.objects.filter(ticket=ticket, target=kind).delete()
            continue
        values = {**clock.values(), "updated_at": now}
        _upsert_sla(ticket, kind, values, clock.cycle_opened_at)
        if clock.status == SlaStatus.BREACHED:
            event, column = "breach", "breach_claimed_at"
        elif clock.status == SlaStatus.WARNING:
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
    _sync_escalations(ticket, state)
    _sync_cycles(ticket, state)
    # Clocks are the SLA KPIs' rows; their deadlines fall after the ticket's creation.
    history_changed(since=ticket.created_at)
    Ticket.objects.filter(pk=ticket.pk).update(sla_next_deadline=state.next_deadline, sla_state=state.state)
    ticket.sla_next_deadline = state.next_deadline
    ticket.sla_state = state.state
    for kind, event in claimed.items():  # a claim the replay did not bear out is released
        if kind not in recorded["breaches" if event == "breach" else "warnings"]:
            column = "breach_claimed_at" if event == "breach" else "warning_claimed_at"
            TicketSla.objects.filter(ticket=ticket, target=kind).update(**{column: None})
    return recorded
