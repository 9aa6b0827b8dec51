"""What a ticket's SLA clocks store, computed from its timeline: pure, no ORM.

`clock_state(events, now, levels)` replays the timeline (`desk.sla.replay_cycles`) and returns
every value `desk.clocks.recompute_sla` stores, so the per-ticket services and the bulk builder
(`desk.bulk`) store exactly the same thing for the same history:

* per target with a counted cycle, its `TicketSla` values: the replay's report of the latest
  cycle (deadline, status, met/breached instants, elapsed and paused business seconds), the
  cycle's opening instant, and `warning_at`, the instant a running cycle's elapsed business time
  reaches the warning share of its target (None unless running);
* per target, the current cycle's escalation levels (of the policy that governs the ticket now),
  each due when the cycle's elapsed business time reaches target + offset: an offset of -30
  fires 30 business minutes before the deadline, +60 an hour after it (a breached cycle keeps
  counting). Due None while the ticket is paused or once the cycle is closed (met, or answered
  late); an instant already reached is due at `now`;
* the ticket's summary for queues: the nearest deadline among targets running or in warning, and
  the worst state (breached > warning > running > paused > met; "" when no clock applies);
* every decided cycle of every target (met, or breached: still running past its deadline or
  answered late), numbered in order, for the SLA compliance KPIs (`TicketSlaCycle`).

Each instant is a pure function of the history and `now`: while nothing happens it stays right
(`add_business_time(t, goal - elapsed(t))` does not depend on t), and every change of history
recomputes it. `events` are the replay's input as the timeline stores them: dicts with "at",
"type" and the event's data, in timeline order; a "created" or "policy" event whose policy is
null (no policy governs the ticket) runs no clock.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from steward.core.calendars import add_business_time
from steward.desk.sla import ALL_TARGETS, SlaPolicy, parse_policy, replay_cycles

__all__ = [
    "NO_POLICY",
    "STATE_RANK",
    "ClockState",
    "EscalationClock",
    "EscalationSpec",
    "TargetClock",
    "clock_state",
    "governing_policy_id",
    "replay_input",
]

# The policy of a ticket no SLA governs: no targets, so no clock applies.
NO_POLICY: dict[str, Any] = {"targets": {}}

# The worst state wins the ticket's summary.
STATE_RANK = {"breached": 5, "warning": 4, "running": 3, "paused": 2, "met": 1}
DECIDED = ("met", "breached")  # a cycle with one of these outcomes is a `TicketSlaCycle` row

_POLICY_EVENTS = ("created", "policy")


@dataclass(frozen=True, slots=True)
class EscalationSpec:
    """One escalation level of a policy, as the clocks need it."""

    level_id: int
    target: str
    offset_minutes: int


@dataclass(frozen=True, slots=True)
class TargetClock:
    """The stored state of one target (the `TicketSla` columns the clocks own)."""

    target: str
    cycle_opened_at: datetime
    deadline: datetime | None
    warning_at: datetime | None
    status: str
    met_at: datetime | None
    breached_at: datetime | None
    elapsed_business_seconds: float
    paused_business_seconds: float

    def values(self) -> dict[str, Any]:
        """The columns besides the target, its cycle and the sweeper's claims."""
        return {
            "deadline": self.deadline,
            "warning_at": self.warning_at,
            "status": self.status,
            "met_at": self.met_at,
            "breached_at": self.breached_at,
            "elapsed_business_seconds": self.elapsed_business_seconds,
            "paused_business_seconds": self.paused_business_seconds,
        }


@dataclass(frozen=True, slots=True)
class DecidedCycle:
    """A cycle whose outcome is known (met, or breached): a `TicketSlaCycle` row."""

    target: str
    number: int  # 1-based among the target's counted cycles
    opened_at: datetime
    deadline: datetime
    status: str
    met_at: datetime | None
    breached_at: datetime | None

    def values(self) -> dict[str, Any]:
        return {
            "opened_at": self.opened_at,
            "deadline": self.deadline,
            "status": self.status,
            "met_at": self.met_at,
            "breached_at": self.breached_at,
        }


@dataclass(frozen=True, slots=True)
class EscalationClock:
    level_id: int
    target: str
    cycle_opened_at: datetime
    due_at: datetime | None


@dataclass(frozen=True, slots=True)
class ClockState:
    """Everything the clocks store for one ticket at `now`."""

    now: datetime  # the instant computed at: never before the last event
    targets: Mapping[str, TargetClock]  # only targets with a counted cycle (others: no row)
    escalations: Mapping[str, Sequence[EscalationClock]]  # per target in ALL_TARGETS: the current cycle's
    next_deadline: datetime | None
    state: str
    decided: Sequence[DecidedCycle] = ()  # every met or breached cycle of every target, in order


def replay_input(rows: Sequence[tuple[datetime, str, Mapping[str, Any]]]) -> list[dict[str, Any]]:
    """Timeline rows (at, type, data) of the replay's event types, in order, as `clock_state`
    takes them: {**data, "at", "type"}, a null policy read as `NO_POLICY`."""
    events = []
    for at, type_, data in rows:
        event = {**data, "at": at, "type": type_}
        if type_ in _POLICY_EVENTS:
            event["policy"] = event.get("policy") or NO_POLICY
        events.append(event)
    return events


def governing_policy_id(events: Sequence[Mapping[str, Any]]) -> int | None:
    """The id of the policy that governs the ticket now (the last "created"/"policy" event's)."""
    for event in reversed(events):
        if event["type"] in _POLICY_EVENTS:
            return event.get("policy_id")
    return None


def _instant_at_elapsed(
    policy: SlaPolicy, goal_us: int, elapsed_us: int, now: datetime, *, not_before_now: bool
) -> datetime | None:
    """The instant the clock (running from `now` with `elapsed_us` spent) reaches `goal_us` of
    business time. Already reached: `now` if `not_before_now`, else None."""
    remaining = goal_us - elapsed_us
    if remaining <= 0:
        return now if not_before_now else None
    return add_business_time(now, timedelta(microseconds=remaining), policy.calendar).astimezone(UTC)


def _warning_at(
    policy: SlaPolicy, kind: str, priority: str, report: Mapping[str, Any], now: datetime
) -> datetime | None:
    if report["status"] != "running":
        return None
    target_us = policy.target_us(kind, priority)
    if target_us is None:
        return None
    elapsed_us = round(report["elapsed_business_seconds"] * 1_000_000)
    goal_us = math.ceil(policy.warning_percent * target_us / 100)
    return _instant_at_elapsed(policy, goal_us, elapsed_us, now, not_before_now=False)


def clock_state(
    events: Sequence[Mapping[str, Any]],
    now: datetime,
    levels: Mapping[int, Sequence[EscalationSpec]],
) -> ClockState:
    """The stored clocks of a ticket with this timeline at `now` (see the module docstring).

    `events`: as `replay_input` makes them (a null policy already read as `NO_POLICY`).
    `levels`: escalation levels by policy id; only the governing policy's are used."""
    if not events:
        return ClockState(
            now=now, targets={}, escalations={k: [] for k in ALL_TARGETS}, next_deadline=None, state=""
        )
    now = max(now, events[-1]["at"])
    policies = [e["policy"] for e in events if e["type"] in _POLICY_EVENTS]
    cycles = replay_cycles(policies[0], events, now)
    current = parse_policy(policies[-1])
    priority = next(e["priority"] for e in reversed(events) if e["type"] in ("created", "priority"))
    status = next(e["status"] for e in reversed(events) if e["type"] in ("created", "status"))
    paused = status in current.pause_statuses
    policy_id = governing_policy_id(events)
    specs = levels.get(policy_id, ()) if policy_id is not None else ()

    targets: dict[str, TargetClock] = {}
    escalations: dict[str, list[EscalationClock]] = {}
    for kind in ALL_TARGETS:
        escalations[kind] = []
        if not cycles[kind]:
            continue
        report = cycles[kind][-1]
        opened_at = report["opened_at"]
        targets[kind] = TargetClock(
            target=kind,
            cycle_opened_at=opened_at,
            deadline=report["deadline"],
            warning_at=_warning_at(current, kind, priority, report, now),
            status=report["status"],
            met_at=report["met_at"],
            breached_at=report["breached_at"],
            elapsed_business_seconds=report["elapsed_business_seconds"],
            paused_business_seconds=report["paused_business_seconds"],
        )
        target_us = current.target_us(kind, priority)
        live = report["closed_at"] is None and target_us is not None and not paused
        elapsed_us = round(report["elapsed_business_seconds"] * 1_000_000)
        for spec in specs:
            if spec.target != kind:
                continue
            due = None
            if live:
                goal = max(0, target_us + spec.offset_minutes * 60_000_000)
                due = _instant_at_elapsed(current, goal, elapsed_us, now, not_before_now=True)
            escalations[kind].append(EscalationClock(spec.level_id, kind, opened_at, due))

    running = [
        t.deadline for t in targets.values() if t.status in ("running", "warning") and t.deadline is not None
    ]
    state = max((t.status for t in targets.values()), key=lambda s: STATE_RANK.get(s, 0), default="")
    decided = [
        DecidedCycle(
            target=kind,
            number=number,
            opened_at=report["opened_at"],
            deadline=report["deadline"],
            status=report["status"],
            met_at=report["met_at"],
            breached_at=report["breached_at"],
        )
        for kind in ALL_TARGETS
        for number, report in enumerate(cycles[kind], start=1)
        if report["status"] in DECIDED and report["deadline"] is not None
    ]
    return ClockState(
        now=now,
        targets=targets,
        escalations=escalations,
        next_deadline=min(running, default=None),
        state=state,
        decided=decided,
    )
