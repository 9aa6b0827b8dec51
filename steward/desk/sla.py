"""SLA clocks: replay a ticket's history against an SLA policy.

Pure Python (standard library plus :mod:`steward.core.calendars`); no Django, no ORM.
The service layer stores what :func:`replay` returns (deadline, status, met/breached
instants, elapsed and paused business time per target) and re-runs it whenever the
ticket's history changes; nothing here walks time on read.

API
---
``replay(policy, events, now) -> dict``
    ``{target: {"deadline", "status", "met_at", "breached_at",
    "elapsed_business_seconds", "paused_business_seconds"}}`` for each target that
    applies (see *Which cycle is reported*).  Datetimes are aware and in UTC;
    business seconds are floats (exact to the microsecond).
``replay_cycles(policy, events, now) -> dict``
    Every cycle of every target (``{target: [cycle, ...]}``, oldest first), each with
    the same keys plus ``"opened_at"`` and ``"closed_at"``: what per-cycle compliance
    KPIs count.  ``replay(...)[t]`` is the last cycle of ``replay_cycles(...)[t]``
    without those two keys.
``parse_policy(policy) -> SlaPolicy``
    Validate (raising :class:`PolicyError` naming the field) and compile a policy;
    results are cached, and :func:`replay` accepts a compiled :class:`SlaPolicy` too.

A policy is ``{"calendar": <calendar spec, a BusinessCalendar, or null for 24/7>,
"pause_statuses": ["pending", "on_hold"], "warning_percent": 80, "targets":
{"first_response": {"P1": 60, ...}, "next_response": {...}, "resolution": {...}}}``
with targets in minutes (positive numbers).  Only ``targets`` is required;
``calendar`` defaults to 24/7 (UTC), ``pause_statuses`` to none and
``warning_percent`` to 80 (``0 < warning_percent <= 100``).  Unknown keys and unknown
target kinds are errors, so a typo cannot silently switch a rule off.  A target kind
may be absent and a priority may be absent from a target: that target then does not
apply at that priority.  The resolved statuses (:data:`RESOLVED_STATUSES`) cannot be
pause statuses.

Events are dicts in time order (non-decreasing ``"at"``, aware datetimes; events at
the same instant apply in list order); extra keys are ignored::

    {"at": ..., "type": "created", "priority": "P2", "status": "open"}   # first, once
    {"at": ..., "type": "status", "status": "pending"}
    {"at": ..., "type": "priority", "priority": "P1"}
    {"at": ..., "type": "agent_reply"}
    {"at": ..., "type": "customer_reply"}
    {"at": ..., "type": "policy", "policy": {...}}
    {"at": ..., "type": "onsite"}          # the technician arrived on site

Malformed events raise :class:`EventError` (a ``ValueError``) naming the event.

The rules, with worked examples
-------------------------------
The examples use the policy::

    {"calendar": {"timezone": "Europe/Berlin",
                  "hours": {mon..fri: [["09:00", "12:00"], ["13:00", "17:00"]]},
                  "holidays": ["2026-04-03", "2026-04-06"]},
     "pause_statuses": ["pending", "on_hold"], "warning_percent": 80,
     "targets": {"first_response": {"P1": 60, "P2": 240},
                 "next_response": {"P1": 30, "P2": 60},
                 "resolution": {"P1": 180, "P2": 480, "P3": 1440}}}

and local (Berlin) wall times; March 2026 before the 29th is UTC+1, so Monday
2026-03-09 11:00 is 10:00Z.  Mon 2026-03-09 and Fri 2026-03-06 are the days meant by
"Mon" and "Fri".

1. **Business time.**  Clocks run only in the calendar's working time (a null calendar
   is 24/7).  First response P2 (240 min) on a ticket created Fri 15:00: Fri 15-17
   counts 2h, the weekend nothing, Mon 09-11 the other 2h: deadline Mon 11:00.
   Created Mon 10:30: 10:30-12:00 and, after the lunch break, 13:00-15:30: deadline
   Mon 15:30.  Created Thu 2026-04-02 16:00 (CEST): 1h on Thursday, Good Friday,
   the weekend and Easter Monday are skipped, 3h on Tuesday: deadline Tue
   2026-04-07 12:00 CEST.  Across DST the calendar counts real time, so a 00:00-24:00
   Sunday holds 23h on 2026-03-29 and 25h on 2026-10-25.

2. **Pause.**  While the ticket is in a pause status the clock stops; paused business
   time (business time spent in pause statuses, same calendar) is reported and the
   deadline moves out by exactly that much.  Resolution P2 (480 min), created Mon
   09:00: deadline Tue 10:00.  Pending Mon 10:00, open again Mon 14:00: 3h paused
   (10-12, 13-14), deadline Tue 14:00.  A pause across the night (pending Mon
   16:00, open Tue 10:00) pauses 2h of business time (Mon 16-17, Tue 09-10): the
   night was never counted.  *While paused the reported deadline is the one that
   holds if the clock resumed now*: at Mon 11:00 in the first pause (1h elapsed) it
   is Mon 11:00 + 7h = Tue 11:00, and it moves on as ``now`` moves on.  Formally,
   ``add_business_time(now, target - elapsed)``; if nothing remains (the ticket was
   paused exactly at its deadline) it is the next opening at or after ``now``.

3. **Priority change.**  The elapsed business time is kept and the new target applies
   to it, so the deadline moves.  Created Mon 09:00 as P3 (1440 min); at Mon 14:00
   (4h elapsed) it becomes P2 (480 min): 4h remain from Mon 14:00, deadline Tue 10:00
   (exactly as if it had been P2 from the start).  If it becomes P1 (180 min) instead,
   4h already exceed 3h: resolution is breached *at the change*, Mon 14:00, which is
   also its reported deadline.  Elapsed equal to the new target is not yet a breach.
   A priority that a target does not list makes that target stop applying (its clock
   keeps counting, so switching back applies the target to the real elapsed time).

4. **Policy change** (a ``"policy"`` event) works the same way with the new policy's
   targets, calendar, pause statuses and warning share.  At Mon 14:00 (4h elapsed)
   the ticket moves to a 24/7 policy with P2 resolution 480 min: 4h remain in real
   time, deadline Mon 18:00.  Elapsed and paused time measured so far are kept; time
   from the change on is measured on the new calendar.

5. **First response** is met by the first agent reply (or by resolving the ticket).
   Created Mon 09:00, P2 (240 min, deadline Mon 14:00); agent reply Mon 10:15: met at
   10:15 with 4500 business seconds elapsed.

6. **Next response.**  A cycle opens at the first customer message not yet answered
   and is met by the next agent reply; further customer messages do not restart it.
   Customer messages before the first agent reply are covered by ``first_response``
   and open no cycle.  P2 (60 min), first agent reply Mon 09:30; customer writes Mon
   11:00 (cycle opens, deadline 12:00) and again 11:30 (no effect); agent replies
   13:30: breached, ``breached_at`` 12:00, elapsed 1h30 (11-12, 13-13:30).  The next
   customer message, Mon 14:00, opens a new cycle with deadline 15:00.  A customer
   message while the ticket is resolved opens no cycle, but if the ticket is then
   reopened before an agent replies, a cycle opens at the reopen.  ``next_response``
   is absent from :func:`replay`'s result until a cycle has opened.

7. **Resolution and reopen.**  Entering a resolved status (``resolved`` or
   ``closed``) meets the resolution target and any response target whose cycle is
   still open (unless already breached).  Leaving it again (a reopen) starts a new
   resolution cycle that carries the business time already spent; time while
   resolved does not count.  P2 (480 min), created Mon 09:00, resolved Mon 15:00:
   met, 5h elapsed.  Reopened Tue 10:00: the new cycle starts at 5h, deadline Tue
   10:00 + 3h = Tue 14:00.  If the carried time already exceeds the target the new
   cycle is breached at the reopen.  Paused time is carried too.

8. **Met and breached are final for their cycle**; later priority or policy changes,
   pauses and replies do not change them.

9. **Met at the deadline.**  Breach happens strictly after the deadline: with first
   response deadline Mon 11:00, an agent reply at 11:00:00 meets, one at
   11:00:00.000001 is breached at 11:00.  Breach is decided by the instant, as the
   stored deadline is: a deadline at Fri 17:00 (the end of a working span) is breached
   by a reply at Fri 17:30 although no further business time has passed.

10. **Breached keeps counting.**  A breached cycle keeps accumulating business time
    (paused time while paused) until it is answered or resolved, so elapsed may exceed
    the target and shows how late it was; a reopen carries that real time.
    ``breached_at`` is the deadline instant the clock passed, or the instant of the
    priority/policy change (or reopen) that made elapsed exceed the target.

11. **Status** precedence: ``met``/``breached``, then ``paused``, then ``warning``
    (elapsed at or past ``warning_percent`` of the target), then ``running``.  P2
    resolution (480 min, 80%: 384 min) created Mon 09:00 is ``warning`` from Mon
    16:24 (3h before lunch + 3h24 after).

12. **On-site arrival** (field service; target kind ``"onsite"``, listed in
    :data:`ALL_TARGETS` beside the desk's :data:`TARGETS`) starts at creation and is met
    by the first ``"onsite"`` event (the technician arrived); later ones change nothing.
    Like the response targets, entering a resolved status meets it if still open, it
    pauses in pause statuses, and a reopen does not start it again.  P1 on-site 240 min,
    created Mon 09:00 on the business calendar: deadline Mon 14:00 (the lunch hour does not
    count); on site Mon 13:30: met.  On site Mon 14:30 instead: breached at 14:00.

Which cycle is reported
-----------------------
A cycle counts for a target if it reached met/breached, or if it is still open and the
target applies at the current priority under the current policy.  :func:`replay`
reports the latest such cycle per target, so a final outcome never disappears (a
first response met as P1 stays met after a move to a priority without a first-response
target), while a cycle answered while its target did not apply counts for nothing.

Conventions on reported values: ``deadline`` of an open cycle is the current one (for
a paused cycle: the one if the clock resumed now); of a met cycle, the deadline in
force when it was met; of a breached cycle, the instant it breached.  ``met_at`` and
``breached_at`` are None unless the status says otherwise.  For speed, callers that
replay often may pass the :class:`SlaPolicy` from :func:`parse_policy` instead of the
dict (this skips the cache lookup, which costs a ``repr`` of the policy).

Cost: one ``business_time_between`` per event that moves time forward while a clock is
open, plus one ``add_business_time`` where a deadline is (re)computed: when a cycle
opens, a pause ends, the target or calendar changes, or a paused cycle is met or
reported.  Parsed policies and calendars are cached (a calendar's span cache is per
instance, so reusing the instance matters).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from steward.core.calendars import (
    BusinessCalendar,
    CalendarSpecError,
    add_business_time,
    business_time_between,
)

__all__ = [
    "ALL_TARGETS",
    "EVENT_TYPES",
    "ONSITE",
    "RESOLVED_STATUSES",
    "STATUSES",
    "TARGETS",
    "EventError",
    "PolicyError",
    "SlaPolicy",
    "parse_policy",
    "replay",
    "replay_cycles",
]

TARGETS: tuple[str, ...] = ("first_response", "next_response", "resolution")
# Field service's target: on-site arrival, from creation to the first "onsite" event.
ONSITE = "onsite"
ALL_TARGETS: tuple[str, ...] = (*TARGETS, ONSITE)
STATUSES: tuple[str, ...] = ("running", "paused", "warning", "met", "breached")
RESOLVED_STATUSES: frozenset[str] = frozenset({"resolved", "closed"})
EVENT_TYPES: tuple[str, ...] = (
    "created",
    "status",
    "priority",
    "agent_reply",
    "customer_reply",
    "policy",
    "onsite",
)

RUNNING, PAUSED, WARNING, MET, BREACHED = STATUSES
FIRST, NEXT, RESOLUTION = TARGETS

_US_PER_MINUTE = 60_000_000
_ONE_US = timedelta(microseconds=1)
_MAX_MINUTES = 100 * 366 * 24 * 60  # a century: keeps deadlines inside datetime's range
_POLICY_KEYS = ("calendar", "pause_statuses", "warning_percent", "targets")
_DEFAULT_WARNING_PERCENT = 80
_ALWAYS = BusinessCalendar.from_spec({"timezone": "UTC", "always": True})
_CACHE_MAX = 512
_policy_cache: dict[str, SlaPolicy] = {}
_calendar_cache: dict[str, BusinessCalendar] = {}


class PolicyError(ValueError):
    """A malformed SLA policy; the message starts with the offending field."""


class EventError(ValueError):
    """A malformed or out-of-order event history; the message names the event."""


# --------------------------------------------------------------------------- policies


@dataclass(frozen=True, slots=True, eq=False)
class SlaPolicy:
    """A validated policy: calendar, pause statuses, warning share, targets in microseconds."""

    calendar: BusinessCalendar
    pause_statuses: frozenset[str]
    warning_percent: float
    targets: Mapping[str, Mapping[str, int]]  # kind -> priority -> business microseconds

    def target_us(self, kind: str, priority: str) -> int | None:
        """The target for ``kind`` at ``priority`` in microseconds, or None if it does not apply."""
        by_priority = self.targets.get(kind)
        return None if by_priority is None else by_priority.get(priority)


def parse_policy(policy: Mapping[str, Any] | SlaPolicy) -> SlaPolicy:
    """Validate and compile a policy (cached); raise :class:`PolicyError` naming the field."""
    if isinstance(policy, SlaPolicy):
        return policy
    if type(policy) is not dict:  # other mappings may have a repr that does not show their content
        return _parse_policy(policy)
    key = repr(policy)  # type-exact (1 != "1"); a different key order is merely a cache miss
    compiled = _policy_cache.get(key)
    if compiled is None:
        compiled = _parse_policy(policy)
        if len(_policy_cache) >= _CACHE_MAX:
            _policy_cache.clear()
        _policy_cache[key] = compiled
    return compiled


def _parse_policy(policy: object) -> SlaPolicy:
    if not isinstance(policy, Mapping):
        raise PolicyError("policy: expected an object")
    for key in policy:
        if key not in _POLICY_KEYS:
            raise PolicyError(f"{key}: unknown key (expected one of {', '.join(_POLICY_KEYS)})")
    calendar = _parse_calendar(policy.get("calendar"))

    pause = policy.get("pause_statuses", [])
    if isinstance(pause, str) or not isinstance(pause, Sequence | frozenset | set):
        raise PolicyError("pause_statuses: expected a list of status names")
    for i, status in enumerate(pause):
        if not isinstance(status, str) or not status:
            raise PolicyError(f"pause_statuses[{i}]: expected a non-empty status name")
        if status in RESOLVED_STATUSES:
            raise PolicyError(f"pause_statuses[{i}]: {status!r} is a resolved status, not a pause status")

    warning = policy.get("warning_percent", _DEFAULT_WARNING_PERCENT)
    if not _is_number(warning) or not 0 < warning <= 100:
        raise PolicyError("warning_percent: must be a number greater than 0 and at most 100")

    if "targets" not in policy:
        raise PolicyError("targets: required")
    targets_spec = policy["targets"]
    if not isinstance(targets_spec, Mapping):
        raise PolicyError("targets: expected an object mapping target kinds to {priority: minutes}")
    targets: dict[str, dict[str, int]] = {}
    for kind, by_priority in targets_spec.items():
        if kind not in ALL_TARGETS:
            raise PolicyError(f"targets.{kind}: unknown target (expected one of {', '.join(ALL_TARGETS)})")
        if not isinstance(by_priority, Mapping):
            raise PolicyError(f"targets.{kind}: expected an object mapping priorities to minutes")
        compiled: dict[str, int] = {}
        for priority, minutes in by_priority.items():
            where = f"targets.{kind}.{priority}"
            if not isinstance(priority, str) or not priority:
                raise PolicyError(f"{where}: priority must be a non-empty string")
            if not _is_number(minutes) or not minutes > 0:
                raise PolicyError(f"{where}: must be a positive number of minutes")
            if minutes > _MAX_MINUTES:
                raise PolicyError(f"{where}: must be at most {_MAX_MINUTES} minutes")
            us = minutes * _US_PER_MINUTE if isinstance(minutes, int) else round(minutes * _US_PER_MINUTE)
            if us <= 0:
                raise PolicyError(f"{where}: must be a positive number of minutes")
            compiled[priority] = us
        targets[kind] = compiled
    return SlaPolicy(
        calendar=calendar, pause_statuses=frozenset(pause), warning_percent=warning, targets=targets
    )


def _parse_calendar(spec: object) -> BusinessCalendar:
    if spec is None:
        return _ALWAYS
    if isinstance(spec, BusinessCalendar):
        return spec
    if not isinstance(spec, Mapping):
        raise PolicyError("calendar: expected a calendar spec object or null (24/7)")
    if type(spec) is not dict:
        return _calendar_from_spec(spec)
    key = repr(spec)
    calendar = _calendar_cache.get(key)
    if calendar is None:
        calendar = _calendar_from_spec(spec)
        if len(_calendar_cache) >= _CACHE_MAX:
            _calendar_cache.clear()
        _calendar_cache[key] = calendar
    return calendar


def _calendar_from_spec(spec: Mapping[str, Any]) -> BusinessCalendar:
    try:
        return BusinessCalendar.from_spec(spec)
    except CalendarSpecError as exc:
        raise PolicyError(f"calendar.{exc}") from None


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


# --------------------------------------------------------------------------- the replay


class _Cycle:
    """One cycle of one target: from its opening to its answer (or resolution)."""

    __slots__ = (
        "breached_at",
        "closed_at",
        "deadline",
        "elapsed",
        "kind",
        "met_at",
        "opened_at",
        "outcome",
        "paused",
        "target",
    )

    def __init__(self, kind: str, opened_at: datetime, elapsed: int = 0, paused: int = 0) -> None:
        self.kind = kind
        self.opened_at = opened_at
        self.closed_at: datetime | None = None
        self.elapsed = elapsed  # business microseconds while not paused
        self.paused = paused  # business microseconds while paused
        self.outcome: str | None = None  # MET or BREACHED once final
        self.met_at: datetime | None = None
        self.breached_at: datetime | None = None
        self.target: int | None = None  # microseconds; None: does not apply now
        # While the clock runs: the deadline in force (fixed until something changes).
        # Once final: the reported deadline.  Stale while paused.
        self.deadline: datetime | None = None


class _Replay:
    __slots__ = (
        "calendar",
        "cycles",
        "first_done",
        "now",
        "open",
        "paused",
        "pending_customer",
        "policy",
        "priority",
        "resolved",
        "status",
    )

    def __init__(self, policy: SlaPolicy, at: datetime, status: str, priority: str) -> None:
        self.policy = policy
        self.calendar = policy.calendar
        self.now = at  # the instant up to which the clocks have been advanced
        self.status = status
        self.priority = priority
        self.resolved = False
        self.paused = status in policy.pause_statuses
        self.first_done = False  # the first-response cycle is closed
        self.pending_customer = False  # a customer message arrived while resolved, unanswered
        self.cycles: dict[str, list[_Cycle]] = {kind: [] for kind in ALL_TARGETS}
        self.open: dict[str, _Cycle] = {}  # kind -> its open cycle (not met; possibly breached)
        self._open_cycle(FIRST, at)
        self._open_cycle(RESOLUTION, at)
        self._open_cycle(ONSITE, at)
        if status in RESOLVED_STATUSES:
            self._resolve(at)

    # -- time

    def advance(self, t: datetime) -> None:
        """Run the open clocks from ``self.now`` to ``t``."""
        if t <= self.now:
            return
        if self.open:
            delta = business_time_between(self.now, t, self.calendar) // _ONE_US
            if self.paused:
                for cycle in self.open.values():
                    cycle.paused += delta
            else:
                for cycle in self.open.values():
                    cycle.elapsed += delta
                    deadline = cycle.deadline
                    if cycle.outcome is None and deadline is not None and t > deadline:
                        cycle.outcome = BREACHED
                        cycle.breached_at = deadline
        self.now = t

    def deadline_from(self, t: datetime, remaining: int) -> datetime:
        """The deadline if the clock (re)starts at ``t`` with ``remaining`` microseconds to go."""
        if remaining > 0:
            result = add_business_time(t, timedelta(microseconds=remaining), self.calendar)
        else:
            result = self.calendar.next_business_instant(t)
        return result.astimezone(UTC)

    # -- cycles

    def _open_cycle(self, kind: str, t: datetime, elapsed: int = 0, paused: int = 0) -> None:
        cycle = _Cycle(kind, t, elapsed, paused)
        self.cycles[kind].append(cycle)
        self.open[kind] = cycle
        self._retarget(cycle, t, force=True)

    def _retarget(self, cycle: _Cycle, t: datetime, *, force: bool) -> None:
        """Apply the current policy/priority to an open cycle at ``t``."""
        target = self.policy.target_us(cycle.kind, self.priority)
        previous, cycle.target = cycle.target, target
        if cycle.outcome is not None:  # final for this cycle
            return
        if target is None:
            cycle.deadline = None
        elif cycle.elapsed > target:
            cycle.outcome = BREACHED
            cycle.breached_at = cycle.deadline = t
        elif not self.paused and (force or target != previous or cycle.deadline is None):
            cycle.deadline = self.deadline_from(t, target - cycle.elapsed)

    def _close(self, cycle: _Cycle, t: datetime) -> None:
        cycle.closed_at = t
        if cycle.outcome is None and cycle.target is not None:
            if self.paused:  # the deadline that would hold if the clock resumed now
                cycle.deadline = self.deadline_from(t, cycle.target - cycle.elapsed)
            cycle.outcome = MET
            cycle.met_at = t
        del self.open[cycle.kind]
        if cycle.kind == FIRST:
            self.first_done = True

    def _resolve(self, t: datetime) -> None:
        for cycle in list(self.open.values()):
            self._close(cycle, t)
        self.resolved = True
        self.paused = False

    def _reopen(self, t: datetime) -> None:
        self.resolved = False
        self.paused = self.status in self.policy.pause_statuses
        previous = self.cycles[RESOLUTION][-1]
        self._open_cycle(RESOLUTION, t, previous.elapsed, previous.paused)
        if self.pending_customer:
            self.pending_customer = False
            self._open_cycle(NEXT, t)

    # -- events

    def on_status(self, t: datetime, status: str) -> None:
        was_resolved = self.resolved
        self.status = status
        if status in RESOLVED_STATUSES:
            if not was_resolved:
                self._resolve(t)
        elif was_resolved:
            self._reopen(t)
        else:
            self._set_paused(t, status in self.policy.pause_statuses, force=False)

    def on_priority(self, t: datetime, priority: str) -> None:
        self.priority = priority
        for cycle in self.open.values():
            self._retarget(cycle, t, force=False)

    def on_policy(self, t: datetime, policy: SlaPolicy) -> None:
        calendar_changed = policy.calendar != self.calendar
        self.policy = policy
        self.calendar = policy.calendar
        if self.resolved:
            return
        self._set_paused(t, self.status in policy.pause_statuses, force=calendar_changed)

    def _set_paused(self, t: datetime, paused: bool, *, force: bool) -> None:
        resumed = self.paused and not paused
        self.paused = paused
        for cycle in self.open.values():
            self._retarget(cycle, t, force=force or resumed)

    def on_agent_reply(self, t: datetime) -> None:
        self.pending_customer = False
        for kind in (FIRST, NEXT):
            cycle = self.open.get(kind)
            if cycle is not None:
                self._close(cycle, t)

    def on_onsite(self, t: datetime) -> None:
        """The technician arrived: the on-site cycle (there is only one) is closed."""
        cycle = self.open.get(ONSITE)
        if cycle is not None:
            self._close(cycle, t)

    def on_customer_reply(self, t: datetime) -> None:
        if not self.first_done:  # covered by the first response
            return
        if self.resolved:
            self.pending_customer = True
        elif NEXT not in self.open:
            self._open_cycle(NEXT, t)

    # -- results

    def report(self, cycle: _Cycle, *, with_span: bool) -> dict[str, Any]:
        deadline = cycle.deadline
        status = cycle.outcome
        target = cycle.target
        if status is None:
            if target is None:
                deadline = None
            elif self.paused:
                status = PAUSED
                deadline = self.deadline_from(self.now, target - cycle.elapsed)
            elif cycle.elapsed * 100 >= self.policy.warning_percent * target:
                status = WARNING
            else:
                status = RUNNING
        result: dict[str, Any] = {
            "deadline": deadline,
            "status": status,
            "met_at": cycle.met_at,
            "breached_at": cycle.breached_at,
            "elapsed_business_seconds": cycle.elapsed / 1_000_000,
            "paused_business_seconds": cycle.paused / 1_000_000,
        }
        if with_span:
            result["opened_at"] = cycle.opened_at
            result["closed_at"] = cycle.closed_at
        return result

    def counted(self, kind: str) -> list[_Cycle]:
        """The cycles of ``kind`` that count: final ones, and the open one if its target applies."""
        return [
            c
            for c in self.cycles[kind]
            if c.outcome is not None or (c.target is not None and self.open.get(kind) is c)
        ]


def _run(
    policy: Mapping[str, Any] | SlaPolicy, events: Iterable[Mapping[str, Any]], now: datetime
) -> _Replay:
    compiled = parse_policy(policy)
    state: _Replay | None = None
    last: datetime | None = None
    for i, event in enumerate(events):
        if not isinstance(event, Mapping):
            raise EventError(f"events[{i}]: expected an object")
        at = _instant(event.get("at"), f"events[{i}].at", EventError)
        if last is not None and at < last:
            raise EventError(f"events[{i}].at: {at.isoformat()} is before the previous event")
        last = at
        kind = event.get("type")
        if state is None:
            if kind != "created":
                raise EventError(f"events[{i}].type: the first event must be 'created', got {kind!r}")
            state = _Replay(compiled, at, _field(event, "status", i), _field(event, "priority", i))
            continue
        state.advance(at)
        if kind == "agent_reply":
            state.on_agent_reply(at)
        elif kind == "customer_reply":
            state.on_customer_reply(at)
        elif kind == "onsite":
            state.on_onsite(at)
        elif kind == "status":
            status = _field(event, "status", i)
            if status != state.status:
                state.on_status(at, status)
        elif kind == "priority":
            priority = _field(event, "priority", i)
            if priority != state.priority:
                state.on_priority(at, priority)
        elif kind == "policy":
            if "policy" not in event:
                raise EventError(f"events[{i}].policy: required")
            try:
                new_policy = parse_policy(event["policy"])
            except PolicyError as exc:
                raise PolicyError(f"events[{i}].policy.{exc}") from None
            state.on_policy(at, new_policy)
        elif kind == "created":
            raise EventError(f"events[{i}].type: 'created' may only be the first event")
        else:
            raise EventError(
                f"events[{i}].type: unknown event type {kind!r} (expected one of {', '.join(EVENT_TYPES)})"
            )
    if state is None:
        raise EventError("events: empty (a history starts with a 'created' event)")
    now = _instant(now, "now", ValueError)
    if now < state.now:
        raise ValueError(f"now: {now.isoformat()} is before the last event")
    state.advance(now)
    return state


def replay(
    policy: Mapping[str, Any] | SlaPolicy, events: Iterable[Mapping[str, Any]], now: datetime
) -> dict[str, dict[str, Any]]:
    """The state at ``now`` of each target that applies (see the module docstring)."""
    state = _run(policy, events, now)
    result: dict[str, dict[str, Any]] = {}
    for kind in ALL_TARGETS:
        counted = state.counted(kind)
        if counted:
            result[kind] = state.report(counted[-1], with_span=False)
    return result


def replay_cycles(
    policy: Mapping[str, Any] | SlaPolicy, events: Iterable[Mapping[str, Any]], now: datetime
) -> dict[str, list[dict[str, Any]]]:
    """Every counted cycle of every target at ``now``, oldest first, with ``opened_at``/``closed_at``."""
    state = _run(policy, events, now)
    return {kind: [state.report(c, with_span=True) for c in state.counted(kind)] for kind in ALL_TARGETS}


def _instant(value: object, where: str, error: type[ValueError]) -> datetime:
    if not isinstance(value, datetime):
        raise error(f"{where}: expected an aware datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise error(f"{where}: expected an aware datetime, got a naive one")
    return value.astimezone(UTC)


def _field(event: Mapping[str, Any], name: str, i: int) -> str:
    value = event.get(name)
    if not isinstance(value, str) or not value:
        raise EventError(f"events[{i}].{name}: expected a non-empty string, got {value!r}")
    return value
