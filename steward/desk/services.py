"""Writes to the service desk. Each is one transaction: the permission check, the change, its
timeline event and audit event, and the recomputed SLA clocks (`recompute_sla`).

Who may do what: staff with a desk role (`selectors.DESK_ROLES`) work tickets; a customer user may
open a ticket for their own account and reply on the tickets they can see. A ticket outside the
actor's scope is NotFound, and nothing changes.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Case, DateTimeField, F, Value, When
from django.utils import timezone

from steward.catalog import selectors as catalog
from steward.core import access, audit
from steward.core.calendars import add_business_time
from steward.core.errors import NotFound, ValidationFailed
from steward.core.services import create_audited, full_clean, update_audited
from steward.customers import selectors as customers
from steward.desk import selectors
from steward.desk.models import (
    DONE_STATUSES,
    REPLAY_EVENT_TYPES,
    EventType,
    Level,
    Priority,
    SlaStatus,
    Status,
    Ticket,
    TicketEvent,
    TicketMessage,
    TicketSla,
)
from steward.desk.priority import priority_from_matrix
from steward.desk.sla import TARGETS, parse_policy, replay_cycles

_UNSET: Any = object()

# The policy of a ticket no SLA governs: no targets, so no clock applies.
NO_POLICY: dict[str, Any] = {"targets": {}}

# Allowed status changes. Leaving resolved/closed for open is a reopen.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset({Status.OPEN, Status.PENDING, Status.ON_HOLD, Status.RESOLVED}),
    Status.OPEN: frozenset({Status.PENDING, Status.ON_HOLD, Status.RESOLVED}),
    Status.PENDING: frozenset({Status.OPEN, Status.ON_HOLD, Status.RESOLVED}),
    Status.ON_HOLD: frozenset({Status.OPEN, Status.PENDING, Status.RESOLVED}),
    Status.RESOLVED: frozenset({Status.CLOSED, Status.OPEN}),
    Status.CLOSED: frozenset({Status.OPEN}),
}
STATUS_FIELDS = ("status", "resolved_at", "closed_at", "first_contact_resolution")
PRIORITY_FIELDS = ("priority", "priority_override_reason")
ASSIGN_FIELDS = ("team", "assignee")


# --- permission helpers --------------------------------------------------------------------------


def _require_desk_staff(actor: Any) -> None:
    access.require_role(actor, *selectors.DESK_ROLES)


def _require_visible(actor: Any, ticket: Ticket) -> None:
    """The ticket must be in the actor's scope (else NotFound, so its existence does not leak)."""
    access.require_authenticated(actor)
    if not selectors.is_visible(actor, ticket):
        raise NotFound("ticket not found")


def _require_text(field: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed.for_field(field, "this field cannot be blank")
    return value.strip()


# --- the timeline --------------------------------------------------------------------------------


def _add_event(ticket: Ticket, type: str, *, actor: Any, at: datetime, **data: Any) -> TicketEvent:
    """Append to the timeline. The replay needs non-decreasing instants, so an event never goes
    before the last one (clock skew between workers)."""
    last = ticket.events.order_by("-at", "-id").values_list("at", flat=True).first()
    if last is not None and at < last:
        at = last
    user = actor if getattr(actor, "is_authenticated", False) else None
    return TicketEvent.objects.create(ticket=ticket, type=type, actor=user, at=at, data=data)


# --- create --------------------------------------------------------------------------------------


def _check_staff_assignment(team: Any, assignee: Any) -> None:
    if assignee is not None:
        if not (assignee.is_active and assignee.is_staff_member):
            raise ValidationFailed.for_field("assignee", "the assignee must be an active staff member")
        if team is not None and not team.memberships.filter(user_id=assignee.pk).exists():
            raise ValidationFailed.for_field("assignee", "the assignee is not a member of the team")


@transaction.atomic
def ticket_create(
    *,
    actor: Any,
    account: Any,
    subject: str,
    description: str = "",
    type: str = "incident",
    channel: str | None = None,
    impact: str = Level.MEDIUM,
    urgency: str = Level.MEDIUM,
    priority: str | None = None,
    priority_override_reason: str = "",
    service: Any = None,
    contact: Any = None,
    requester: Any = None,
    team: Any = None,
    assignee: Any = None,
) -> Ticket:
    """Open a ticket. Staff (desk roles) for any account; a customer user for their own account
    only (as its requester, through the portal). The priority comes from the impact/urgency
    matrix unless staff override it with a reason. The SLA policy is chosen by the catalog."""
    access.require_authenticated(actor)
    now = timezone.now()
    if access.is_customer(actor):
        if account is None or account.pk != actor.customer_account_id:
            raise ValidationFailed.for_field("account", "no such customer account")
        if priority is not None or team is not None or assignee is not None or priority_override_reason:
            raise ValidationFailed.for_field("priority", "only staff set a priority, team or assignee")
        if requester is not None and requester.pk != actor.pk:
            raise ValidationFailed.for_field("requester", "no such user")
        requester = actor
        contact = customers.contacts_for(actor).filter(user=actor).first()
        channel = channel or "portal"
    else:
        _require_desk_staff(actor)
        if requester is not None and requester.customer_account_id != account.pk:
            raise ValidationFailed.for_field("requester", "the requester belongs to another customer account")
        if contact is not None and contact.account_id != account.pk:
            raise ValidationFailed.for_field("contact", "the contact belongs to another customer account")
        _check_staff_assignment(team, assignee)
        channel = channel or "phone"
    if service is not None and not catalog.services_for(actor).filter(pk=service.pk).exists():
        raise ValidationFailed.for_field("service", "no such service")
    try:
        matrix = priority_from_matrix(impact, urgency)
    except ValueError as exc:
        raise ValidationFailed.for_field("impact", str(exc)) from None
    if priority is None or priority == matrix:
        priority, priority_override_reason = matrix, ""
    elif not priority_override_reason.strip():
        raise ValidationFailed.for_field("priority_override_reason", "a priority override needs a reason")

    policy = catalog.policy_for_ticket(
        account=account, service=service, ticket_type=type, priority=priority, on_date=timezone.localdate(now)
    )
    ticket = Ticket(
        account=account,
        requester=requester,
        contact=contact,
        service=service,
        type=type,
        channel=channel,
        impact=impact,
        urgency=urgency,
        priority=priority,
        priority_override_reason=priority_override_reason.strip(),
        status=Status.NEW,
        team=team,
        assignee=assignee,
        subject=subject,
        description=description,
        sla_policy=policy,
        created_at=now,
    )
    create_audited(actor=actor, instance=ticket, action="ticket.create", account_id=account.pk)
    _add_event(
        ticket,
        EventType.CREATED,
        actor=actor,
        at=now,
        priority=priority,
        status=Status.NEW,
        policy=catalog.policy_as_replay_dict(policy) if policy is not None else None,
        policy_id=policy.pk if policy is not None else None,
    )
    recompute_sla(ticket=ticket, now=now)
    return ticket


# --- messages ------------------------------------------------------------------------------------


def _add_message(ticket: Ticket, *, actor: Any, body: str, public: bool, from_customer: bool, at: datetime):
    message = TicketMessage(
        ticket=ticket, author=actor, body=body, is_public=public, from_customer=from_customer, created_at=at
    )
    full_clean(message)
    message.save()
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=at)
    return message


@transaction.atomic
def ticket_reply(*, ticket: Ticket, actor: Any, body: str, public: bool = True) -> TicketMessage:
    """A message on the ticket. Staff: a public reply (the SLA's agent reply) or, with
    public=False, an internal note. Customer: a reply (the SLA's customer reply)."""
    _require_visible(actor, ticket)
    body = _require_text("body", body)
    if not access.is_customer(actor) and not public:
        return _note(ticket=ticket, actor=actor, body=body)
    now = timezone.now()
    if access.is_customer(actor):
        if not public:
            raise ValidationFailed.for_field("public", "a customer's message is always public")
        message = _add_message(ticket, actor=actor, body=body, public=True, from_customer=True, at=now)
        kind = EventType.CUSTOMER_REPLY
    else:
        _require_desk_staff(actor)
        message = _add_message(ticket, actor=actor, body=body, public=True, from_customer=False, at=now)
        kind = EventType.AGENT_REPLY
    _add_event(ticket, kind, actor=actor, at=now, message_id=message.pk)
    audit.record(
        actor=actor,
        action="ticket.reply",
        obj=ticket,
        changes={"message": message.pk, "from_customer": message.from_customer},
        account_id=ticket.account_id,
    )
    recompute_sla(ticket=ticket, now=now)
    return message


@transaction.atomic
def ticket_note(*, ticket: Ticket, actor: Any, body: str) -> TicketMessage:
    """An internal note: staff only, never shown to the customer, no effect on the SLA."""
    _require_visible(actor, ticket)
    return _note(ticket=ticket, actor=actor, body=_require_text("body", body))


def _note(*, ticket: Ticket, actor: Any, body: str) -> TicketMessage:
    _require_desk_staff(actor)
    now = timezone.now()
    message = _add_message(ticket, actor=actor, body=body, public=False, from_customer=False, at=now)
    _add_event(ticket, EventType.NOTE, actor=actor, at=now, message_id=message.pk)
    audit.record(
        actor=actor,
        action="ticket.note",
        obj=ticket,
        changes={"message": message.pk},
        account_id=ticket.account_id,
    )
    recompute_sla(ticket=ticket, now=now)
    return message


# --- status, priority, assignment ----------------------------------------------------------------


def _first_contact_resolution(ticket: Ticket) -> bool:
    """Exactly one agent (public) reply, no customer reply and no earlier resolution since creation."""
    agent_replies = customer_replies = resolutions = 0
    for kind, data in ticket.events.filter(
        type__in=[EventType.AGENT_REPLY, EventType.CUSTOMER_REPLY, EventType.STATUS]
    ).values_list("type", "data"):
        if kind == EventType.AGENT_REPLY:
            agent_replies += 1
        elif kind == EventType.CUSTOMER_REPLY:
            customer_replies += 1
        elif data.get("status") in DONE_STATUSES and data.get("from") not in DONE_STATUSES:
            resolutions += 1
    return agent_replies == 1 and customer_replies == 0 and resolutions == 0


@transaction.atomic
def ticket_change_status(*, ticket: Ticket, actor: Any, status: str) -> Ticket:
    """Move the ticket along its life: new/open/pending/on_hold, resolved, closed, or back to
    open from resolved/closed (a reopen)."""
    _require_visible(actor, ticket)
    _require_desk_staff(actor)
    ticket.refresh_from_db()
    old = ticket.status
    if status not in TRANSITIONS:
        raise ValidationFailed.for_field("status", f"unknown status {status!r}")
    if status not in TRANSITIONS[old]:
        raise ValidationFailed.for_field("status", f"a ticket cannot go from {old} to {status}")
    now = timezone.now()
    changes: dict[str, Any] = {"status": status}
    if status == Status.RESOLVED:
        changes["resolved_at"] = now
        changes["first_contact_resolution"] = _first_contact_resolution(ticket)
    elif status == Status.CLOSED:
        changes["closed_at"] = now
    elif old in DONE_STATUSES:  # reopen
        changes.update(resolved_at=None, closed_at=None, first_contact_resolution=False)
    update_audited(
        actor=actor,
        instance=ticket,
        changes=changes,
        allowed=STATUS_FIELDS,
        action="ticket.reopen" if old in DONE_STATUSES and status not in DONE_STATUSES else "ticket.status",
        account_id=ticket.account_id,
    )
    _add_event(ticket, EventType.STATUS, actor=actor, at=now, status=status, **{"from": old})
    recompute_sla(ticket=ticket, now=now)
    return ticket


@transaction.atomic
def ticket_change_priority(*, ticket: Ticket, actor: Any, priority: str, reason: str) -> Ticket:
    """Set the priority by hand, with the reason. The SLA keeps the business time already spent and
    applies the new priority's targets to it (the deadlines move)."""
    _require_visible(actor, ticket)
    _require_desk_staff(actor)
    if priority not in Priority.values:
        raise ValidationFailed.for_field("priority", f"must be one of {', '.join(Priority.values)}")
    reason = _require_text("reason", reason)
    ticket.refresh_from_db()
    old = ticket.priority
    if priority == old:
        return ticket
    now = timezone.now()
    update_audited(
        actor=actor,
        instance=ticket,
        changes={"priority": priority, "priority_override_reason": reason},
        allowed=PRIORITY_FIELDS,
        action="ticket.priority",
        account_id=ticket.account_id,
    )
    _add_event(
        ticket, EventType.PRIORITY, actor=actor, at=now, priority=priority, reason=reason, **{"from": old}
    )
    _reselect_policy(ticket, actor=actor, at=now)
    recompute_sla(ticket=ticket, now=now)
    return ticket


def _reselect_policy(ticket: Ticket, *, actor: Any, at: datetime) -> None:
    """The priority is one of a policy's conditions: if another policy governs the ticket now
    (judged on its creation date), switch to it with a "policy" event, so the business time
    already spent is kept and the deadlines move."""
    policy = catalog.policy_for_ticket(
        account=ticket.account,
        service=ticket.service,
        ticket_type=ticket.type,
        priority=ticket.priority,
        on_date=timezone.localdate(ticket.created_at),
    )
    if (policy.pk if policy is not None else None) == ticket.sla_policy_id:
        return
    update_audited(
        actor=actor,
        instance=ticket,
        changes={"sla_policy": policy},
        allowed=("sla_policy",),
        action="ticket.sla_policy",
        account_id=ticket.account_id,
    )
    _add_event(
        ticket,
        EventType.POLICY,
        actor=actor,
        at=at,
        policy=catalog.policy_as_replay_dict(policy) if policy is not None else None,
        policy_id=policy.pk if policy is not None else None,
    )


@transaction.atomic
def ticket_assign(*, ticket: Ticket, actor: Any, team: Any = _UNSET, assignee: Any = _UNSET) -> Ticket:
    """Set the team and/or the assignee (None clears). The assignee must be staff and, if the
    ticket has a team, one of its members."""
    _require_visible(actor, ticket)
    _require_desk_staff(actor)
    ticket.refresh_from_db()
    changes: dict[str, Any] = {}
    if team is not _UNSET:
        changes["team"] = team
    if assignee is not _UNSET:
        changes["assignee"] = assignee
    new_team = changes.get("team", ticket.team)
    new_assignee = changes.get("assignee", ticket.assignee)
    _check_staff_assignment(new_team, new_assignee)
    before = (ticket.team_id, ticket.assignee_id)
    update_audited(
        actor=actor,
        instance=ticket,
        changes=changes,
        allowed=ASSIGN_FIELDS,
        action="ticket.assign",
        account_id=ticket.account_id,
    )
    now = timezone.now()
    if (ticket.team_id, ticket.assignee_id) != before:
        _add_event(
            ticket, EventType.ASSIGN, actor=actor, at=now, team=ticket.team_id, assignee=ticket.assignee_id
        )
    recompute_sla(ticket=ticket, now=now)
    return ticket


# --- SLA clocks ----------------------------------------------------------------------------------


def _warning_at(policy: Any, kind: str, priority: str, report: dict[str, Any], now: datetime):
    """The instant a running cycle's elapsed time reaches the warning share of its target."""
    if report["status"] != SlaStatus.RUNNING:
        return None
    target_us = policy.target_us(kind, priority)
    if target_us is None:
        return None
    elapsed_us = round(report["elapsed_business_seconds"] * 1_000_000)
    remaining = math.ceil((policy.warning_percent * target_us - elapsed_us * 100) / 100)
    if remaining <= 0:
        return None
    return add_business_time(now, timedelta(microseconds=remaining), policy.calendar).astimezone(UTC)


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
    _add_event(ticket, type_, actor=None, at=now, **data)
    audit.record(
        actor=None,
        action="sla.breached" if event == "breach" else "sla.warning",
        obj=ticket,
        changes=data,
        account_id=ticket.account_id,
    )


def recompute_sla(
    *, ticket: Ticket, now: datetime | None = None, claimed: dict[str, str] | None = None
) -> dict[str, list[str]]:
    """Replay the ticket's timeline (`desk.sla`) and store each target's state in `TicketSla`.

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
        return recorded
    events = [{**row.data, "at": row.at, "type": row.type} for row in rows]
    policies = [e.get("policy") or NO_POLICY for e in events if e["type"] in ("created", "policy")]
    for event in events:
        if event["type"] in ("created", "policy"):
            event["policy"] = event.get("policy") or NO_POLICY
    now = max(now, rows[-1].at)
    cycles = replay_cycles(policies[0], events, now)
    current = parse_policy(policies[-1])
    priority = next(e["priority"] for e in reversed(events) if e["type"] in ("created", "priority"))

    for kind in TARGETS:
        if not cycles[kind]:
            TicketSla.objects.filter(ticket=ticket, target=kind).delete()
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
        status = report["status"]
        if status == SlaStatus.BREACHED:
            event, column = "breach", "breach_claimed_at"
        elif status == SlaStatus.WARNING:
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
    for kind, event in claimed.items():  # a claim the replay did not bear out is released
        if kind not in recorded["breaches" if event == "breach" else "warnings"]:
            column = "breach_claimed_at" if event == "breach" else "warning_claimed_at"
            TicketSla.objects.filter(ticket=ticket, target=kind).update(**{column: None})
    return recorded
