"""What the agent's pages show, assembled from the selectors: a ticket's clocks as they read now,
a list row's SLA badge, and the timeline with events and messages interleaved. No writes, no
rules: the wording is in `desk.describe`, the reading of a clock in `desk.sla_display`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from steward.desk import describe, selectors, sla_display
from steward.desk.models import EventType, SlaTargetKind, Ticket

TARGET_ORDER = [SlaTargetKind.FIRST_RESPONSE, SlaTargetKind.NEXT_RESPONSE, SlaTargetKind.RESOLUTION]
MESSAGE_EVENTS = (EventType.AGENT_REPLY, EventType.CUSTOMER_REPLY, EventType.NOTE)
# Timeline entries drawn as alerts rather than as plain events.
ALERT_EVENTS = {
    EventType.SLA_WARNING: "warning",
    EventType.SLA_BREACHED: "breached",
    EventType.ESCALATION: "warning",
}


def _clock(row: Any, now: datetime) -> sla_display.Clock:
    return sla_display.clock(
        target=row.target,
        status=row.status,
        deadline=row.deadline,
        warning_at=row.warning_at,
        met_at=row.met_at,
        breached_at=row.breached_at,
        now=now,
    )


@dataclass(frozen=True)
class ClockRow:
    """One target's clock on the ticket page, with its stored business-time figures."""

    label: str
    clock: sla_display.Clock
    elapsed_seconds: float
    paused_seconds: float


def ticket_clocks(ticket: Ticket, now: datetime) -> list[ClockRow]:
    """The ticket's SLA clocks, in target order (first response, next response, resolution)."""
    rows = {row.target: row for row in selectors.ticket_slas(ticket)}
    return [
        ClockRow(
            label=SlaTargetKind(kind).label,
            clock=_clock(rows[kind], now),
            elapsed_seconds=rows[kind].elapsed_business_seconds,
            paused_seconds=rows[kind].paused_business_seconds,
        )
        for kind in TARGET_ORDER
        if kind in rows
    ]


def row_summary(ticket: Ticket, now: datetime) -> sla_display.Summary | None:
    """A list row's SLA badge, from the ticket's prefetched `slas`."""
    return sla_display.summarise(_clock(row, now) for row in ticket.slas.all())


@dataclass
class Entry:
    """One line of the timeline: a message (reply, customer message, note) or an event."""

    at: datetime
    kind: str  # "reply", "customer", "note", "created", "event", "alert"
    actor: str
    parts: list[describe.Part] = field(default_factory=list)
    message: Any = None
    alert: str = ""

    @property
    def anchor(self) -> str:
        return f"m{self.message.pk}" if self.message is not None else ""


def _actor_name(user: Any, fallback: str = "Steward") -> str:
    if user is None:
        return fallback
    return user.full_name or user.email


def _message_kind(message: Any) -> str:
    if message.from_customer:
        return "customer"
    return "reply" if message.is_public else "note"


def _message_author(message: Any) -> str:
    if message.author_id is not None:
        return _actor_name(message.author)
    if message.contact_id is not None:
        return message.contact.full_name
    return "Steward"


def timeline(user: Any, ticket: Ticket, *, tz: tzinfo) -> list[Entry]:
    """Events and messages in time order. A reply, customer message or note is shown once, as the
    message (with its files); the event that records it only places it. A file event is shown
    only for files attached without a message (those on a message are listed with it)."""
    events = list(selectors.ticket_timeline(user, ticket))
    messages = {m.pk: m for m in selectors.ticket_messages(user, ticket)}
    user_ids, team_ids, policy_ids = describe.mentioned_ids([(e.type, e.data) for e in events])
    users, teams, policies = selectors.display_names(
        user, user_ids=user_ids, team_ids=team_ids, policy_ids=policy_ids
    )
    names = describe.Names(users=users, teams=teams, policies=policies)
    on_messages = {a.pk for m in messages.values() for a in m.attachments.all()}
    keyed: list[tuple[tuple, Entry]] = []
    placed: set[int] = set()
    for event in events:
        key = (event.at, 0, event.pk)
        if event.type in MESSAGE_EVENTS:
            message = messages.get(event.data.get("message_id"))
            if message is None or message.pk in placed:
                continue
            placed.add(message.pk)
            keyed.append(
                (
                    key,
                    Entry(
                        message.created_at, _message_kind(message), _message_author(message), message=message
                    ),
                )
            )
            continue
        if event.type == EventType.ATTACHMENT and set(event.data.get("attachments") or []) <= on_messages:
            continue
        kind = (
            "created"
            if event.type == EventType.CREATED
            else "alert"
            if event.type in ALERT_EVENTS
            else "event"
        )
        entry = Entry(
            event.at,
            kind,
            _actor_name(event.actor),
            parts=describe.describe(event.type, event.data, names=names, tz=tz),
            alert=ALERT_EVENTS.get(event.type, ""),
        )
        keyed.append((key, entry))
    # Messages no event records (the note a merge leaves on the surviving ticket).
    for message in messages.values():
        if message.pk not in placed:
            entry = Entry(
                message.created_at, _message_kind(message), _message_author(message), message=message
            )
            keyed.append(((message.created_at, 1, message.pk), entry))
    keyed.sort(key=lambda pair: pair[0])
    return [entry for _, entry in keyed]
