"""Build many tickets at once, with their history and exactly the SLA state the services store.

The per-ticket services (`desk.services`) run a dozen queries per change; the demo's six months
of history and the SLA benchmark need tens of thousands of tickets in seconds. `build_tickets`
takes each ticket as a `TicketDraft` (its columns, its whole timeline, messages, tags, fired
escalations and extra audit records) and writes everything in batches, as multi-row INSERTs on
SQLite and COPY on PostgreSQL (the ORM's per-object cost was most of the time), with ids reserved
the way the tables' own inserts take them:

* per batch, the ticket rows (with `sla_next_deadline`/`sla_state`), the timeline events,
  messages (the event that carries a message gets its id as ``data["message_id"]``), tags, the
  `TicketSla` rows and the decided cycles (`TicketSlaCycle`), the `TicketEscalation` rows and
  the audit events (one "ticket.create" per ticket plus the draft's own);
* the SLA values come from `desk.clock_state.clock_state` over the draft's replay events at
  `now`: the same pure function `desk.clocks.recompute_sla` uses, so running `recompute_sla` on a
  built ticket at the same `now` changes nothing and records nothing;
* the sweeper's claims of the current cycle of each target are read from the timeline, as the
  sweeper and the services leave them: `warning_claimed_at` is the instant of the cycle's latest
  "sla_warning" event (none while the cycle is running: it may warn again), `breach_claimed_at`
  that of its latest "sla_breached" event. A cycle in warning or breached at `now` without such
  an event is claimed at `now` with its event and audit record, as `recompute_sla` would do;
* escalation rows: the current cycle's levels with their due instants from `clock_state`; a level
  the draft lists as fired (`FiredEscalation`) keeps its fired row instead, and fired rows of
  earlier cycles are written as history.

Writes are bulk inserts without `full_clean` or per-row permission checks: the caller (the demo
loader, the benchmark) builds valid drafts; the database's constraints still hold. It is not a
service for users and is never called from a request.

`TicketRef(i)` in a draft's columns (e.g. ``merged_into_id``) or in an event's data stands for the
id of the i-th ticket of the same call, so drafts can point at each other before they have ids.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from steward.core.bulk_rows import RawTable
from steward.core.models import AuditEvent
from steward.core.services import history_changed
from steward.desk.clock_state import EscalationSpec, clock_state, replay_input
from steward.desk.models import (
    REPLAY_EVENT_TYPES,
    EventType,
    Tag,
    Ticket,
    TicketEscalation,
    TicketEvent,
    TicketMessage,
    TicketSla,
    TicketSlaCycle,
)
from steward.desk.sla import ALL_TARGETS, SlaPolicy, parse_policy

__all__ = [
    "AuditDraft",
    "EventDraft",
    "FiredEscalation",
    "MessageDraft",
    "TicketDraft",
    "TicketRef",
    "build_tickets",
    "escalation_specs_by_policy",
]

BATCH = 1000

# The ticket columns the "ticket.create" audit record lists (as the services' snapshot would).
AUDITED_CREATE_FIELDS = (
    "account_id",
    "requester_id",
    "contact_id",
    "service_id",
    "type",
    "channel",
    "impact",
    "urgency",
    "priority",
    "status",
    "team_id",
    "assignee_id",
    "subject",
    "sla_policy_id",
)


@dataclass(frozen=True, slots=True)
class TicketRef:
    """The id of the `index`-th ticket of the same `build_tickets` call."""

    index: int


@dataclass(slots=True)
class EventDraft:
    at: dt.datetime
    type: str
    data: dict[str, Any] = field(default_factory=dict)
    actor_id: int | None = None
    message: int | None = None  # index into the draft's messages: data["message_id"] = its id


@dataclass(slots=True)
class MessageDraft:
    at: dt.datetime
    body: str
    author_id: int | None = None
    contact_id: int | None = None
    is_public: bool = True
    from_customer: bool = False
    via: str = "web"


@dataclass(slots=True)
class AuditDraft:
    at: dt.datetime
    action: str
    changes: dict[str, Any] = field(default_factory=dict)
    actor_id: int | None = None


@dataclass(slots=True)
class FiredEscalation:
    level_id: int
    target: str
    cycle_opened_at: dt.datetime
    due_at: dt.datetime
    fired_at: dt.datetime


@dataclass(slots=True)
class TicketDraft:
    """One ticket: `fields` are Ticket columns by attname (account_id, created_at, status, ...;
    not the SLA summary, which the builder computes); `events` the whole timeline in order."""

    fields: dict[str, Any]
    events: list[EventDraft]
    messages: list[MessageDraft] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    fired_escalations: list[FiredEscalation] = field(default_factory=list)
    audit: list[AuditDraft] = field(default_factory=list)


def escalation_specs_by_policy() -> dict[int, list[EscalationSpec]]:
    """Every policy's escalation levels of the desk's targets, as `clock_state` takes them."""
    from steward.catalog.models import EscalationLevel

    specs: dict[int, list[EscalationSpec]] = {}
    for level in EscalationLevel.objects.order_by("policy_id", "target", "offset_minutes", "id"):
        if level.target in ALL_TARGETS:
            specs.setdefault(level.policy_id, []).append(
                EscalationSpec(level.pk, level.target, level.offset_minutes)
            )
    return specs


def _json(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    return value


def _resolve(value: Any, ids: Sequence[int]) -> Any:
    kind = type(value)
    if kind is TicketRef:
        return ids[value.index]
    if kind is list or kind is tuple:
        return [_resolve(v, ids) for v in value]
    return value


def build_tickets(
    drafts: Sequence[TicketDraft],
    *,
    now: dt.datetime,
    escalations: Mapping[int, Sequence[EscalationSpec]] | None = None,
    actor_label: str = "demo",
    batch_size: int = BATCH,
    progress: Callable[[int, int], None] | None = None,
) -> list[int]:
    """Write the drafts (see the module docstring) and return the new tickets' ids, in order.
    `escalations`: levels by policy id (default: read from the catalog). Runs in one transaction
    (a savepoint inside the caller's)."""
    specs = escalation_specs_by_policy() if escalations is None else escalations
    tables = {
        m: RawTable(m)
        for m in (Ticket, TicketEvent, TicketMessage, TicketSla, TicketSlaCycle, TicketEscalation, AuditEvent)
    }
    tables[Ticket.tags.through] = RawTable(Ticket.tags.through)
    compiled: dict[int, tuple[Any, SlaPolicy]] = {}  # id(policy dict) -> (the dict, kept alive; parsed)
    with transaction.atomic():
        ids = tables[Ticket].reserve_ids(len(drafts))
        tag_ids = _tag_ids({name for d in drafts for name in d.tags})
        for start in range(0, len(drafts), batch_size):
            stop = min(start + batch_size, len(drafts))
            batch = range(start, stop)
            states = {i: _clock_state(drafts[i], now, specs, compiled) for i in batch}
            tables[Ticket].insert([_ticket_row(drafts[i], ids[i], states[i], ids) for i in batch])
            _insert_history(tables, drafts, states, ids, batch, tag_ids, actor_label)
            if progress is not None:
                progress(stop, len(drafts))
        if drafts:
            history_changed(since=min(d.fields["created_at"] for d in drafts))
    return ids


def _clock_state(
    draft: TicketDraft,
    now: dt.datetime,
    specs: Mapping[int, Sequence[EscalationSpec]],
    compiled: dict[int, tuple[Any, SlaPolicy]],
):
    events = replay_input([(e.at, e.type, e.data) for e in draft.events if e.type in REPLAY_EVENT_TYPES])
    for event in events:
        policy = event.get("policy")
        if isinstance(policy, dict):  # drafts share policy dicts: compile each once, not per ticket
            known = compiled.get(id(policy))
            if known is None:
                known = compiled[id(policy)] = (policy, parse_policy(policy))
            event["policy"] = known[1]
    return clock_state(events, now, specs)


def _last_activity(draft: TicketDraft) -> dt.datetime:
    last = draft.fields["created_at"]
    for item in (*draft.events, *draft.messages):
        last = max(last, item.at)
    return last


def _ticket_row(draft: TicketDraft, pk: int, state: Any, ids: Sequence[int]) -> dict[str, Any]:
    row = {k: _resolve(v, ids) for k, v in draft.fields.items()}
    row.setdefault("updated_at", _last_activity(draft))
    row.update(id=pk, sla_next_deadline=state.next_deadline, sla_state=state.state)
    return row


def _tag_ids(names: set[str]) -> dict[str, int]:
    if not names:
        return {}
    Tag.objects.bulk_create([Tag(name=n) for n in sorted(names)], ignore_conflicts=True)
    return dict(Tag.objects.filter(name__in=names).values_list("name", "pk"))


def _claims(draft: TicketDraft, kind: str, opened_at: dt.datetime, status: str) -> dict[str, Any]:
    """The sweeper's claims on the current cycle, as the timeline's SLA events record them."""
    warning = breach = None
    for event in draft.events:
        if event.at < opened_at or event.data.get("target") != kind:
            continue
        if event.type == EventType.SLA_WARNING:
            warning = event.at
        elif event.type == EventType.SLA_BREACHED:
            breach = event.at
    return {"warning_claimed_at": None if status == "running" else warning, "breach_claimed_at": breach}


def _audit_row(pk: int, account_id: Any, obj_repr: str, **values: Any) -> dict[str, Any]:
    return {
        "object_type": "desk.ticket",
        "object_id": str(pk),
        "object_repr": obj_repr,
        "account_id": account_id,
        **values,
    }


def _insert_history(
    tables: Mapping[Any, RawTable],
    drafts: Sequence[TicketDraft],
    states: Mapping[int, Any],
    ids: Sequence[int],
    indexes: range,
    tag_ids: Mapping[str, int],
    actor_label: str,
) -> None:
    message_count = sum(len(drafts[i].messages) for i in indexes)
    message_ids = iter(tables[TicketMessage].reserve_ids(message_count))
    messages: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    slas: list[dict[str, Any]] = []
    cycles: list[dict[str, Any]] = []
    escalation_rows: list[dict[str, Any]] = []
    audits: list[dict[str, Any]] = []
    tag_rows: list[dict[str, Any]] = []
    for i in indexes:
        draft, state, pk = drafts[i], states[i], ids[i]
        fields = draft.fields
        account_id = fields.get("account_id")
        obj_repr = f"T-{pk:06d} {fields.get('subject', '')}"[:200]
        own_message_ids = []
        for m in draft.messages:
            message_id = next(message_ids)
            own_message_ids.append(message_id)
            messages.append(
                {
                    "id": message_id,
                    "ticket_id": pk,
                    "author_id": m.author_id,
                    "contact_id": m.contact_id,
                    "body": m.body,
                    "is_public": m.is_public,
                    "from_customer": m.from_customer,
                    "via": m.via,
                    "created_at": m.at,
                }
            )
        for e in draft.events:
            data = {k: _resolve(v, ids) for k, v in e.data.items()}
            if e.message is not None:
                data["message_id"] = own_message_ids[e.message]
            events.append({"ticket_id": pk, "at": e.at, "type": e.type, "actor_id": e.actor_id, "data": data})
        audits.append(
            _audit_row(
                pk,
                account_id,
                obj_repr,
                at=fields["created_at"],
                actor_id=draft.events[0].actor_id if draft.events else None,
                actor_label=actor_label,
                action="ticket.create",
                changes={
                    name.removesuffix("_id"): [None, _json(_resolve(fields.get(name), ids))]
                    for name in AUDITED_CREATE_FIELDS
                    if fields.get(name) not in (None, "")
                }
                | {"status": [None, "new"]},
            )
        )
        for a in draft.audit:
            audits.append(
                _audit_row(
                    pk,
                    account_id,
                    obj_repr,
                    at=a.at,
                    actor_id=a.actor_id,
                    actor_label=actor_label if a.actor_id is None else "",
                    action=a.action,
                    changes=_json({k: _resolve(v, ids) for k, v in a.changes.items()}),
                )
            )
        for name in draft.tags:
            tag_rows.append({"ticket_id": pk, "tag_id": tag_ids[name]})

        # The clocks: TicketSla rows with the sweeper's claims, as recompute_sla leaves them.
        for kind, clock in state.targets.items():
            claims = _claims(draft, kind, clock.cycle_opened_at, clock.status)
            claim_now = (clock.status == "warning" and claims["warning_claimed_at"] is None) or (
                clock.status == "breached" and claims["breach_claimed_at"] is None
            )
            if claim_now:
                breach = clock.status == "breached"
                claims["breach_claimed_at" if breach else "warning_claimed_at"] = state.now
                data: dict[str, Any] = {"target": kind, "deadline": clock.deadline}
                if breach:
                    data["breached_at"] = clock.breached_at
                events.append(
                    {
                        "ticket_id": pk,
                        "at": state.now,
                        "type": EventType.SLA_BREACHED if breach else EventType.SLA_WARNING,
                        "actor_id": None,
                        "data": data,
                    }
                )
                audits.append(
                    _audit_row(
                        pk,
                        account_id,
                        obj_repr,
                        at=state.now,
                        actor_id=None,
                        actor_label="system",
                        action="sla.breached" if breach else "sla.warning",
                        changes=_json(data),
                    )
                )
            slas.append(
                {
                    "ticket_id": pk,
                    "target": kind,
                    "cycle_opened_at": clock.cycle_opened_at,
                    "updated_at": state.now,
                    **clock.values(),
                    **claims,
                }
            )
        cycles.extend(
            {"ticket_id": pk, "target": c.target, "number": c.number, **c.values()} for c in state.decided
        )
        fired = {(f.level_id, f.cycle_opened_at): f for f in draft.fired_escalations}
        for kind in ALL_TARGETS:
            for item in state.escalations[kind]:
                if (item.level_id, item.cycle_opened_at) not in fired:
                    escalation_rows.append(
                        {
                            "ticket_id": pk,
                            "level_id": item.level_id,
                            "target": kind,
                            "cycle_opened_at": item.cycle_opened_at,
                            "due_at": item.due_at,
                            "fired_at": None,
                        }
                    )
        for f in fired.values():
            escalation_rows.append(
                {
                    "ticket_id": pk,
                    "level_id": f.level_id,
                    "target": f.target,
                    "cycle_opened_at": f.cycle_opened_at,
                    "due_at": f.due_at,
                    "fired_at": f.fired_at,
                }
            )
    for model, rows in (
        (TicketMessage, messages),
        (TicketEvent, events),
        (TicketSla, slas),
        (TicketSlaCycle, cycles),
        (TicketEscalation, escalation_rows),
        (AuditEvent, audits),
        (Ticket.tags.through, tag_rows),
    ):
        tables[model].insert(rows)
