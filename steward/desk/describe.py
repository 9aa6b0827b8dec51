"""Timeline events in words, for the agent's ticket page. No queries: the caller passes the names
of the people, teams and policies the events mention (ids in the event data), so one page costs a
fixed number of lookups however long the timeline is.

An event reads as a list of parts, each (text, ticket id or None); a part with a ticket id is a
link to that ticket ("merged into T-000042").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from steward.desk.models import Channel, EventType, LinkKind, Priority, SlaTargetKind, Status

Part = tuple[str, int | None]

INVERSE_LINK = {
    LinkKind.DUPLICATE: "has duplicate",
    LinkKind.CAUSED_BY: "causes",
    LinkKind.RELATED: "related to",
}


@dataclass(frozen=True)
class Names:
    users: dict[int, str] = field(default_factory=dict)
    teams: dict[int, str] = field(default_factory=dict)
    policies: dict[int, str] = field(default_factory=dict)


def mentioned_ids(events: list[tuple[str, dict]]) -> tuple[set[int], set[int], set[int]]:
    """The user, team and policy ids that `describe` will look up for these (type, data) pairs."""
    users: set[int] = set()
    teams: set[int] = set()
    policies: set[int] = set()
    for type_, data in events:
        if type_ == EventType.ASSIGN:
            if data.get("assignee"):
                users.add(data["assignee"])
            if data.get("team"):
                teams.add(data["team"])
        elif type_ in (EventType.CREATED, EventType.POLICY) and data.get("policy_id"):
            policies.add(data["policy_id"])
    return users, teams, policies


def ticket_number(pk: int) -> str:
    return f"T-{pk:06d}"


def _label(choices: Any, value: Any) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def _target(value: Any) -> str:
    return _label(SlaTargetKind, value).lower()


def _when(value: Any, tz: tzinfo) -> str:
    """An instant from event data (a datetime, or ISO text as the JSON encoder stored it)."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if not isinstance(value, datetime):
        return "—"
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def _offset(minutes: int) -> str:
    if minutes == 0:
        return "at the deadline"
    span = (
        f"{abs(minutes) // 60} h {abs(minutes) % 60:02d} min" if abs(minutes) >= 60 else f"{abs(minutes)} min"
    )
    return f"{span} {'before' if minutes < 0 else 'after'} the deadline"


def describe(type_: str, data: dict[str, Any], *, names: Names, tz: tzinfo) -> list[Part]:
    """The event in words (without its actor and time, which the page shows beside it)."""
    text = _TEXT.get(type_)
    if text is None:
        return [(_label(EventType, type_), None)]
    return text(data, names, tz)


def _created(data: dict, names: Names, tz: tzinfo) -> list[Part]:
    parts: list[Part] = [
        (
            f"opened the ticket ({_label(Channel, data.get('channel', ''))}) at priority {data.get('priority')}",
            None,
        )
    ]
    policy = names.policies.get(data.get("policy_id") or 0)
    if policy:
        parts.append((f" under SLA policy “{policy}”", None))
    elif not data.get("policy_id"):
        parts.append(("; no SLA policy applies", None))
    return parts


def _status(data: dict, names: Names, tz: tzinfo) -> list[Part]:
    old, new = data.get("from"), data.get("status")
    verb = (
        "reopened the ticket" if old in ("resolved", "closed") and new not in ("resolved", "closed") else None
    )
    text = verb or f"changed the status from {_label(Status, old)} to {_label(Status, new)}"
    if data.get("reason"):
        text += f" ({data['reason']})"
    return [(text, None)]


def _priority(data: dict, names: Names, tz: tzinfo) -> list[Part]:
    text = f"changed the priority from {_label(Priority, data.get('from'))} to {_label(Priority, data.get('priority'))}"
    if data.get("reason"):
        text += f": {data['reason']}"
    return [(text, None)]


def _policy(data: dict, names: Names, tz: tzinfo) -> list[Part]:
    name = names.policies.get(data.get("policy_id") or 0)
    if name:
        return [(f"SLA policy changed to “{name}” (time already spent is kept)", None)]
    return [("no SLA policy applies any more", None)]


def _assign(data: dict, names: Names, tz: tzinfo) -> list[Part]:
    person = names.users.get(data.get("assignee") or 0)
    team = names.teams.get(data.get("team") or 0)
    if person and team:
        text = f"assigned to {person} ({team})"
    elif person:
        text = f"assigned to {person}"
    elif team:
        text = f"assigned to team {team}, nobody in person"
    else:
        text = "left the ticket unassigned"
    rule = data.get("rule")
    if rule:
        text += {
            "round_robin": " by round-robin",
            "least_open": " by least open load",
            "escalation": " by escalation",
        }.get(rule, f" by {rule}")
    return [(text, None)]


def _sla_warning(data: dict, names: Names, tz: tzinfo) -> list[Part]:
    return [(f"SLA warning: {_target(data.get('target'))} due {_when(data.get('deadline'), tz)}", None)]


def _sla_breached(data: dict, names: Names, tz: tzinfo) -> list[Part]:
    return [(f"SLA breached: {_target(data.get('target'))} was due {_when(data.get('deadline'), tz)}", None)]


def _escalation(data: dict, names: Names, tz: tzinfo) -> list[Part]:
    text = f"escalation on {_target(data.get('target'))}, {_offset(int(data.get('offset_minutes') or 0))}"
    actions = data.get("actions") or []
    text += f": {', '.join(actions)}" if actions else ": nothing to do"
    return [(text, None)]


def _tags(data: dict, names: Names, tz: tzinfo) -> list[Part]:
    bits = []
    if data.get("added"):
        bits.append("added tag" + ("s " if len(data["added"]) > 1 else " ") + ", ".join(data["added"]))
    if data.get("removed"):
        bits.append("removed tag" + ("s " if len(data["removed"]) > 1 else " ") + ", ".join(data["removed"]))
    return [("; ".join(bits) or "tags unchanged", None)]


def _link(data: dict, names: Names, tz: tzinfo) -> list[Part]:
    other = data.get("other")
    ref: Part = (ticket_number(other), other) if isinstance(other, int) else ("another ticket", None)
    if data.get("removed"):
        return [("removed the link to ", None), ref]
    kind = data.get("kind", LinkKind.RELATED)
    if data.get("direction") == "in":
        words = INVERSE_LINK.get(kind, "linked to")
    else:
        words = _label(LinkKind, kind).lower()
    return [(f"linked: this ticket {words} ", None), ref]


def _merge(data: dict, names: Names, tz: tzinfo) -> list[Part]:
    if data.get("into"):
        return [("merged this ticket into ", None), (ticket_number(data["into"]), data["into"])]
    if data.get("merged"):
        return [
            ("merged ", None),
            (ticket_number(data["merged"]), data["merged"]),
            (" into this ticket", None),
        ]
    return [("merged", None)]


def _attachment(data: dict, names: Names, tz: tzinfo) -> list[Part]:
    files = data.get("names") or []
    text = "attached " + (", ".join(files) if files else "a file")
    if data.get("public") is False:
        text += " (internal)"
    return [(text, None)]


FIELD_STATUS_WORDS = {
    "unscheduled": "is waiting to be scheduled",
    "scheduled": "was scheduled",
    "dispatched": "was dispatched to the technician",
    "en_route": "the technician is on the way",
    "on_site": "the technician arrived on site",
    "completed": "was completed",
    "incomplete": "ended incomplete (a follow-up visit is needed)",
    "cancelled": "was cancelled",
}


def _field_visit(data: dict, names: Names, tz: tzinfo) -> list[Part]:
    number = data.get("number", "a work order")
    status = data.get("status", "")
    if not data.get("from"):
        text = f"work order {number} created"
    else:
        text = f"work order {number} {FIELD_STATUS_WORDS.get(status, status)}"
    if data.get("reason"):
        text += f": {data['reason']}"
    elif data.get("note"):
        text += f": {data['note'][:200]}"
    return [(text, None)]


def _onsite(data: dict, names: Names, tz: tzinfo) -> list[Part]:
    return [(f"technician on site (work order {data.get('number', '')})", None)]


_TEXT = {
    EventType.FIELD_VISIT: _field_visit,
    EventType.ONSITE: _onsite,
    EventType.CREATED: _created,
    EventType.STATUS: _status,
    EventType.PRIORITY: _priority,
    EventType.POLICY: _policy,
    EventType.ASSIGN: _assign,
    EventType.SLA_WARNING: _sla_warning,
    EventType.SLA_BREACHED: _sla_breached,
    EventType.ESCALATION: _escalation,
    EventType.TAGS: _tags,
    EventType.LINK: _link,
    EventType.MERGE: _merge,
    EventType.ATTACHMENT: _attachment,
}
