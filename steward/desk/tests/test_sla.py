"""Tests for steward.desk.sla: one worked example per rule and calendar edge, plus properties.

Pure Python: no database, no Django.  Expected instants are written as Berlin wall times
(or UTC where the wall clock is ambiguous); results are aware UTC datetimes, and aware
datetimes with different tzinfo compare by instant.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from steward.core.calendars import BusinessCalendar, add_business_time
from steward.desk.sla import (
    TARGETS,
    EventError,
    PolicyError,
    SlaPolicy,
    parse_policy,
    replay,
    replay_cycles,
)

BERLIN = ZoneInfo("Europe/Berlin")
H = 3600.0  # business seconds
WORK = [["09:00", "12:00"], ["13:00", "17:00"]]
OFFICE = {
    "timezone": "Europe/Berlin",
    "hours": dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), WORK),
    "holidays": ["2026-04-03", "2026-04-06"],  # Good Friday, Easter Monday
}
POLICY: dict[str, Any] = {
    "calendar": OFFICE,
    "pause_statuses": ["pending", "on_hold"],
    "warning_percent": 80,
    "targets": {
        "first_response": {"P1": 60, "P2": 240},
        "next_response": {"P1": 30, "P2": 60},
        "resolution": {"P1": 180, "P2": 480, "P3": 1440},
    },
}
KEYS = {
    "deadline",
    "status",
    "met_at",
    "breached_at",
    "elapsed_business_seconds",
    "paused_business_seconds",
}
PROPS = settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))


def b(*args: int) -> datetime:
    """A Berlin wall time (never in the repeated hour)."""
    return datetime(*args, tzinfo=BERLIN)  # type: ignore[misc]


def policy(**changes: Any) -> dict[str, Any]:
    result = copy.deepcopy(POLICY)
    result.update(changes)
    return result


def created(at: datetime, priority: str = "P2", status: str = "open") -> dict[str, Any]:
    return {"at": at, "type": "created", "priority": priority, "status": status}


def status(at: datetime, value: str) -> dict[str, Any]:
    return {"at": at, "type": "status", "status": value}


def priority(at: datetime, value: str) -> dict[str, Any]:
    return {"at": at, "type": "priority", "priority": value}


def agent(at: datetime) -> dict[str, Any]:
    return {"at": at, "type": "agent_reply"}


def customer(at: datetime) -> dict[str, Any]:
    return {"at": at, "type": "customer_reply"}


def policy_change(at: datetime, new: dict[str, Any]) -> dict[str, Any]:
    return {"at": at, "type": "policy", "policy": new}


MON = (2026, 3, 9)  # Monday; March 2026 before the 29th is CET (UTC+1)
TUE = (2026, 3, 10)
FRI = (2026, 3, 6)


# --------------------------------------------------------------------------- shape


def test_result_shape_and_utc() -> None:
    result = replay(POLICY, [created(b(*MON, 9))], b(*MON, 10))
    assert set(result) == {"first_response", "resolution"}  # no next-response cycle yet
    for value in result.values():
        assert set(value) == KEYS
        assert value["deadline"].tzinfo is UTC
        assert value["status"] == "running"
        assert value["met_at"] is None and value["breached_at"] is None
        assert value["elapsed_business_seconds"] == H
        assert value["paused_business_seconds"] == 0
    assert TARGETS == ("first_response", "next_response", "resolution")


def test_target_absent_for_priority_does_not_apply() -> None:
    result = replay(POLICY, [created(b(*MON, 9), priority="P3")], b(*MON, 10))
    assert set(result) == {"resolution"}
    assert replay(policy(targets={"resolution": {"P2": 480}}), [created(b(*MON, 9))], b(*MON, 10)).keys() == {
        "resolution"
    }


# --------------------------------------------------------------------------- rule 1: business time


def test_weekend_is_skipped() -> None:
    result = replay(POLICY, [created(b(*FRI, 15))], b(*FRI, 16))
    assert result["first_response"]["deadline"] == b(*MON, 11)
    assert result["first_response"]["deadline"] == datetime(*MON, 10, tzinfo=UTC)
    # Over the weekend nothing accumulates.
    later = replay(POLICY, [created(b(*FRI, 15))], b(2026, 3, 8, 20))
    assert later["first_response"]["elapsed_business_seconds"] == 2 * H


def test_lunch_break_is_skipped() -> None:
    result = replay(POLICY, [created(b(*MON, 10, 30))], b(*MON, 12, 30))
    assert result["first_response"]["deadline"] == b(*MON, 15, 30)
    assert result["first_response"]["elapsed_business_seconds"] == 1.5 * H


def test_holidays_are_skipped() -> None:
    # Thu 2026-04-02 16:00 CEST: 1h Thursday, Good Friday, weekend, Easter Monday, 3h Tuesday.
    result = replay(POLICY, [created(b(2026, 4, 2, 16))], b(2026, 4, 2, 16))
    assert result["first_response"]["deadline"] == b(2026, 4, 7, 12)
    assert result["first_response"]["deadline"] == datetime(2026, 4, 7, 10, tzinfo=UTC)


def test_null_calendar_is_24_7() -> None:
    result = replay(policy(calendar=None), [created(b(*FRI, 15))], b(*FRI, 16))
    assert result["first_response"]["deadline"] == b(*FRI, 19)
    assert result["resolution"]["deadline"] == b(*FRI, 23)


def test_dst_spring_forward_berlin() -> None:
    # Sunday 2026-03-29 00:00-24:00 holds 23h; the rest of a 24h target lands on the next Sunday.
    sundays = {"timezone": "Europe/Berlin", "hours": {"sun": [["00:00", "24:00"]]}}
    pol = policy(calendar=sundays, targets={"resolution": {"P2": 24 * 60}})
    start = datetime(2026, 3, 28, 23, tzinfo=UTC)  # Sun 00:00 CET
    result = replay(pol, [created(start)], datetime(2026, 3, 29, 23, tzinfo=UTC))
    assert result["resolution"]["elapsed_business_seconds"] == 23 * H
    assert result["resolution"]["deadline"] == datetime(2026, 4, 4, 23, tzinfo=UTC)  # Sun 01:00 CEST
    # Business hours: 1h Saturday evening (CET), 1h Sunday morning (CEST): 07:00Z, not 08:00Z.
    daily = {"timezone": "Europe/Berlin", "hours": {key: [["08:00", "18:00"]] for key in ("sat", "sun")}}
    pol = policy(calendar=daily, targets={"first_response": {"P2": 120}})
    result = replay(pol, [created(b(2026, 3, 28, 17))], b(2026, 3, 28, 17))
    assert result["first_response"]["deadline"] == datetime(2026, 3, 29, 7, tzinfo=UTC)


def test_dst_fall_back_berlin() -> None:
    # Sunday 2026-10-25 00:00-24:00 holds 25h.
    sundays = {"timezone": "Europe/Berlin", "hours": {"sun": [["00:00", "24:00"]]}}
    start = datetime(2026, 10, 24, 22, tzinfo=UTC)  # Sun 00:00 CEST
    for minutes, expected in (
        (24 * 60, datetime(2026, 10, 25, 22, tzinfo=UTC)),  # 23:00 CET
        (25 * 60, datetime(2026, 10, 25, 23, tzinfo=UTC)),  # Mon 00:00 CET, the end of the span
        (26 * 60, datetime(2026, 10, 31, 23, 0, tzinfo=UTC) + timedelta(hours=1)),  # next Sun 01:00 CET
    ):
        pol = policy(calendar=sundays, targets={"resolution": {"P2": minutes}})
        assert replay(pol, [created(start)], start)["resolution"]["deadline"] == expected
    # A pause across the fall-back night: Sat 22:00 CEST to Sun 04:00 CET is 7 real hours.
    every_day = {
        "timezone": "Europe/Berlin",
        "hours": {key: [["00:00", "24:00"]] for key in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
    }
    pol = policy(calendar=every_day)
    events = [
        created(datetime(2026, 10, 24, 18, tzinfo=UTC)),
        status(datetime(2026, 10, 24, 20, tzinfo=UTC), "pending"),  # 22:00 CEST
        status(datetime(2026, 10, 25, 3, tzinfo=UTC), "open"),  # 04:00 CET
    ]
    result = replay(pol, events, datetime(2026, 10, 25, 3, tzinfo=UTC))["resolution"]
    assert result["paused_business_seconds"] == 7 * H
    assert result["elapsed_business_seconds"] == 2 * H
    assert result["deadline"] == datetime(2026, 10, 25, 9, tzinfo=UTC)  # 6h to go from 03:00Z


# --------------------------------------------------------------------------- rule 2: pause


def test_pause_moves_deadline_by_paused_business_time() -> None:
    base = [created(b(*MON, 9))]
    assert replay(POLICY, base, b(*MON, 9))["resolution"]["deadline"] == b(*TUE, 10)
    events = [*base, status(b(*MON, 10), "pending"), status(b(*MON, 14), "open")]
    result = replay(POLICY, events, b(*MON, 14))["resolution"]
    assert result["paused_business_seconds"] == 3 * H  # 10-12, 13-14
    assert result["elapsed_business_seconds"] == 1 * H
    assert result["deadline"] == b(*TUE, 14)
    assert result["status"] == "running"


def test_pause_across_the_night() -> None:
    events = [created(b(*MON, 9)), status(b(*MON, 16), "pending"), status(b(*TUE, 10), "open")]
    result = replay(POLICY, events, b(*TUE, 10))["resolution"]
    assert result["paused_business_seconds"] == 2 * H  # Mon 16-17, Tue 09-10
    assert result["elapsed_business_seconds"] == 6 * H
    assert result["deadline"] == b(*TUE, 12)  # Tue 10:00 + 2h; without the pause Tue 10:00


def test_paused_deadline_is_the_one_if_resumed_now() -> None:
    events = [created(b(*MON, 9)), status(b(*MON, 10), "pending")]
    at_11 = replay(POLICY, events, b(*MON, 11))["resolution"]
    assert at_11["status"] == "paused"
    assert at_11["elapsed_business_seconds"] == 1 * H
    assert at_11["paused_business_seconds"] == 1 * H
    assert at_11["deadline"] == b(*TUE, 11)  # Mon 11:00 + 7h
    at_14 = replay(POLICY, events, b(*MON, 14))["resolution"]
    assert at_14["deadline"] == b(*TUE, 14)
    # Out of hours: counted from the next opening.
    evening = replay(POLICY, events, b(*MON, 20))["resolution"]
    assert evening["deadline"] == b(*TUE, 17)  # Tue 09:00 + 7h
    assert evening["paused_business_seconds"] == 6 * H


def test_created_in_a_pause_status_starts_paused() -> None:
    events = [created(b(*MON, 9), status="on_hold"), status(b(*MON, 11), "open")]
    result = replay(POLICY, events, b(*MON, 12))["resolution"]
    assert result["elapsed_business_seconds"] == 1 * H
    assert result["paused_business_seconds"] == 2 * H
    assert result["deadline"] == b(*TUE, 12)


def test_switching_between_pause_statuses_keeps_paused() -> None:
    events = [created(b(*MON, 9)), status(b(*MON, 10), "pending"), status(b(*MON, 11), "on_hold")]
    result = replay(POLICY, events, b(*MON, 14))["resolution"]
    assert result["status"] == "paused"
    assert result["paused_business_seconds"] == 3 * H


# --------------------------------------------------------------------------- rule 3: priority change


def test_priority_change_moves_deadline() -> None:
    base = [created(b(*MON, 9), priority="P3")]
    assert replay(POLICY, base, b(*MON, 9))["resolution"]["deadline"] == b(2026, 3, 12, 12)  # 24h: 7+7+7+3
    events = [*base, priority(b(*MON, 14), "P2")]
    result = replay(POLICY, events, b(*MON, 14))
    assert result["resolution"]["deadline"] == b(*TUE, 10)
    assert result["resolution"]["status"] == "running"
    assert result["resolution"]["elapsed_business_seconds"] == 4 * H
    # The first-response target starts applying at P2 too, to the elapsed time (4h of 4h).
    assert result["first_response"]["status"] == "warning"
    assert result["first_response"]["deadline"] == b(*MON, 14)


def test_priority_change_past_the_new_target_breaches_at_the_change() -> None:
    events = [created(b(*MON, 9), priority="P3"), priority(b(*MON, 14), "P1")]
    result = replay(POLICY, events, b(*MON, 16))["resolution"]
    assert result["status"] == "breached"
    assert result["breached_at"] == b(*MON, 14)
    assert result["deadline"] == b(*MON, 14)
    assert result["elapsed_business_seconds"] == 6 * H  # keeps counting
    # Raising the priority again does not un-breach the cycle.
    later = replay(POLICY, [*events, priority(b(*MON, 15), "P3")], b(*MON, 16))["resolution"]
    assert later["status"] == "breached" and later["breached_at"] == b(*MON, 14)


def test_priority_change_to_exactly_the_elapsed_time_is_not_a_breach() -> None:
    # 4h elapsed at Mon 14:00; P2 first response is 240 min: deadline is now.
    events = [created(b(*MON, 9), priority="P3"), priority(b(*MON, 14), "P2"), agent(b(*MON, 14))]
    result = replay(POLICY, events, b(*MON, 15))["first_response"]
    assert result["status"] == "met"
    assert result["met_at"] == b(*MON, 14)


def test_priority_without_target_suspends_and_resumes_the_target() -> None:
    events = [created(b(*MON, 9), priority="P1"), priority(b(*MON, 9, 30), "P4")]
    result = replay(POLICY, events, b(*MON, 11))
    assert result == {}  # nothing applies at P4
    back = replay(POLICY, [*events, priority(b(*MON, 11), "P2")], b(*MON, 11))
    assert back["resolution"]["elapsed_business_seconds"] == 2 * H  # the clock kept counting
    assert back["resolution"]["deadline"] == b(*TUE, 10)  # 6h to go from Mon 11:00
    assert back["first_response"]["deadline"] == b(*MON, 14)  # 2h to go
    # A met outcome stays reported after the target stops applying.
    met = replay(POLICY, [events[0], agent(b(*MON, 9, 10)), events[1]], b(*MON, 11))
    assert met["first_response"]["status"] == "met"


# --------------------------------------------------------------------------- rule 4: policy change


def test_policy_change_keeps_elapsed_and_moves_deadline() -> None:
    always = policy(calendar=None, targets={"resolution": {"P2": 480}})
    events = [created(b(*MON, 9)), policy_change(b(*MON, 14), always)]
    result = replay(POLICY, events, b(*MON, 20))
    assert set(result) == {"resolution"}  # the new policy has no response targets
    assert result["resolution"]["deadline"] == b(*MON, 18)
    assert result["resolution"]["status"] == "breached"
    assert result["resolution"]["breached_at"] == b(*MON, 18)
    assert result["resolution"]["elapsed_business_seconds"] == 10 * H  # 4h + 6h of 24/7 time


def test_calendar_change_alone_moves_deadline() -> None:
    events = [created(b(*MON, 9)), policy_change(b(*MON, 10), policy(calendar=None))]
    result = replay(POLICY, events, b(*MON, 11))
    assert result["resolution"]["deadline"] == b(*MON, 17)  # 7h of real time from 10:00
    assert result["first_response"]["deadline"] == b(*MON, 13)  # 3h of real time from 10:00
    assert result["resolution"]["elapsed_business_seconds"] == 2 * H


def test_policy_change_while_resolved_applies_on_reopen() -> None:
    strict = policy(targets={"resolution": {"P2": 600}}, calendar=None)
    events = [created(b(*MON, 9)), status(b(*MON, 10), "resolved"), policy_change(b(*MON, 11), strict)]
    events.append(status(b(*MON, 12), "open"))
    result = replay(POLICY, events, b(*MON, 12))
    assert set(result) == {"first_response", "resolution"}  # first response met before the change
    assert result["resolution"]["deadline"] == b(*MON, 21)  # 9h of 24/7 time to go


def test_created_resolved_meets_everything_at_once() -> None:
    result = replay(POLICY, [created(b(*MON, 9), status="resolved")], b(*MON, 12))
    assert {k: (v["status"], v["met_at"]) for k, v in result.items()} == {
        "first_response": ("met", b(*MON, 9)),
        "resolution": ("met", b(*MON, 9)),
    }


def test_events_may_be_any_iterable() -> None:
    events = iter([created(b(*MON, 9)), agent(b(*MON, 10))])
    assert replay(POLICY, events, b(*MON, 10))["first_response"]["status"] == "met"


def test_policy_change_past_target_breaches_at_change() -> None:
    strict = policy(targets={"resolution": {"P2": 120}})
    events = [created(b(*MON, 9)), policy_change(b(*MON, 14), strict)]
    result = replay(POLICY, events, b(*MON, 14))["resolution"]
    assert (result["status"], result["breached_at"]) == ("breached", b(*MON, 14))


def test_policy_change_of_pause_statuses_resumes_the_clock() -> None:
    no_pause = policy(pause_statuses=[])
    events = [created(b(*MON, 9)), status(b(*MON, 10), "pending"), policy_change(b(*MON, 11), no_pause)]
    result = replay(POLICY, events, b(*MON, 11))["resolution"]
    assert result["status"] == "running"
    assert result["paused_business_seconds"] == 1 * H
    assert result["deadline"] == b(*TUE, 11)


def test_policy_error_in_event_names_the_event() -> None:
    bad = policy(targets={"resolution": {"P2": 0}})
    with pytest.raises(
        PolicyError, match=r"^events\[1\]\.policy\.targets\.resolution\.P2: must be a positive"
    ):
        replay(POLICY, [created(b(*MON, 9)), policy_change(b(*MON, 10), bad)], b(*MON, 10))


# --------------------------------------------------------------------------- rules 5, 6: responses


def test_first_response_met_by_first_agent_reply() -> None:
    events = [created(b(*MON, 9)), customer(b(*MON, 9, 30)), agent(b(*MON, 10, 15)), agent(b(*MON, 11))]
    result = replay(POLICY, events, b(*MON, 12))
    fr = result["first_response"]
    assert (fr["status"], fr["met_at"], fr["deadline"]) == ("met", b(*MON, 10, 15), b(*MON, 14))
    assert fr["elapsed_business_seconds"] == 4500
    assert "next_response" not in result  # the customer's 09:30 message was covered by first response


def test_next_response_cycle_semantics() -> None:
    events = [
        created(b(*MON, 9)),
        agent(b(*MON, 9, 30)),
        customer(b(*MON, 11)),  # opens a cycle, deadline 12:00
        customer(b(*MON, 11, 30)),  # does not restart it
    ]
    assert replay(POLICY, events, b(*MON, 11, 45))["next_response"]["status"] == "running"  # 75%
    running = replay(POLICY, events, b(*MON, 11, 50))["next_response"]
    assert (running["status"], running["deadline"]) == ("warning", b(*MON, 12))
    events.append(agent(b(*MON, 13, 30)))
    late = replay(POLICY, events, b(*MON, 13, 45))["next_response"]
    assert (late["status"], late["breached_at"], late["deadline"]) == ("breached", b(*MON, 12), b(*MON, 12))
    assert late["elapsed_business_seconds"] == 1.5 * H
    assert late["met_at"] is None
    events.append(customer(b(*MON, 14)))
    fresh = replay(POLICY, events, b(*MON, 14))["next_response"]
    assert (fresh["status"], fresh["deadline"], fresh["elapsed_business_seconds"]) == (
        "running",
        b(*MON, 15),
        0,
    )
    cycles = replay_cycles(POLICY, [*events, agent(b(*MON, 14, 20))], b(*MON, 15))["next_response"]
    assert [(c["opened_at"], c["closed_at"], c["status"]) for c in cycles] == [
        (b(*MON, 11), b(*MON, 13, 30), "breached"),
        (b(*MON, 14), b(*MON, 14, 20), "met"),
    ]


def test_agent_reply_without_open_cycle_changes_nothing() -> None:
    events = [created(b(*MON, 9)), agent(b(*MON, 9, 30)), agent(b(*MON, 10))]
    assert "next_response" not in replay(POLICY, events, b(*MON, 11))


def test_customer_message_while_resolved_opens_a_cycle_on_reopen() -> None:
    events = [
        created(b(*MON, 9)),
        agent(b(*MON, 9, 30)),
        status(b(*MON, 10), "resolved"),
        customer(b(*MON, 15)),  # "still broken"
        status(b(*TUE, 9), "open"),
    ]
    result = replay(POLICY, events, b(*TUE, 9, 30))["next_response"]
    assert (result["status"], result["deadline"]) == ("running", b(*TUE, 10))
    assert result["elapsed_business_seconds"] == 0.5 * H  # time while resolved did not count
    # ...unless an agent answered it meanwhile.
    answered = [*events[:4], agent(b(*MON, 16)), events[4]]
    assert "next_response" not in replay(POLICY, answered, b(*TUE, 9, 30))


# --------------------------------------------------------------------------- rule 7: resolution


def test_resolution_meets_running_targets_but_not_breached_ones() -> None:
    events = [created(b(*MON, 9), priority="P1"), status(b(*MON, 10, 30), "resolved")]
    result = replay(POLICY, events, b(*MON, 12))
    assert result["resolution"]["status"] == "met"
    assert result["resolution"]["met_at"] == b(*MON, 10, 30)
    fr = result["first_response"]  # P1: 60 min, breached at 10:00, stays breached
    assert (fr["status"], fr["breached_at"], fr["met_at"]) == ("breached", b(*MON, 10), None)
    assert fr["elapsed_business_seconds"] == 1.5 * H  # counted until resolution, then stopped

    events = [created(b(*MON, 9)), agent(b(*MON, 9, 5)), customer(b(*MON, 9, 10))]
    events.append(status(b(*MON, 9, 40), "pending"))
    events.append(status(b(*MON, 9, 50), "closed"))  # closed counts as resolved
    result = replay(POLICY, events, b(*MON, 12))
    nr = result["next_response"]  # met while paused: deadline as if resumed then
    assert (nr["status"], nr["met_at"], nr["deadline"]) == ("met", b(*MON, 9, 50), b(*MON, 10, 20))
    assert nr["paused_business_seconds"] == 600
    assert result["resolution"]["status"] == "met"


def test_reopen_carries_elapsed_time() -> None:
    events = [created(b(*MON, 9)), status(b(*MON, 15), "resolved")]
    resolved = replay(POLICY, events, b(*TUE, 9))["resolution"]
    assert (resolved["status"], resolved["met_at"]) == ("met", b(*MON, 15))
    assert resolved["elapsed_business_seconds"] == 5 * H
    events.append(status(b(*TUE, 10), "open"))
    result = replay(POLICY, events, b(*TUE, 10))["resolution"]
    assert result["status"] == "running"
    assert result["met_at"] is None
    assert result["elapsed_business_seconds"] == 5 * H  # Mon 17:00..Tue 10:00 resolved: not counted
    assert result["deadline"] == b(*TUE, 14)
    cycles = replay_cycles(POLICY, [*events, status(b(*TUE, 11), "resolved")], b(*TUE, 12))["resolution"]
    assert [(c["opened_at"], c["status"], c["elapsed_business_seconds"]) for c in cycles] == [
        (b(*MON, 9), "met", 5 * H),
        (b(*TUE, 10), "met", 6 * H),
    ]


def test_reopen_past_target_breaches_at_reopen() -> None:
    events = [created(b(*MON, 9), priority="P3"), status(b(*MON, 14), "resolved")]
    events += [priority(b(*MON, 15), "P1"), status(b(*TUE, 9), "pending")]
    result = replay(POLICY, events, b(*TUE, 10))["resolution"]
    assert (result["status"], result["breached_at"]) == ("breached", b(*TUE, 9))
    assert result["paused_business_seconds"] == 1 * H


def test_reopen_carries_breached_time() -> None:
    events = [created(b(*MON, 9), priority="P1")]  # 3h: breached at 12:00, resolved 15:00
    events += [status(b(*MON, 15), "resolved"), priority(b(*MON, 16), "P3"), status(b(*TUE, 9), "open")]
    result = replay(POLICY, events, b(*TUE, 9))["resolution"]
    assert result["elapsed_business_seconds"] == 5 * H
    assert result["deadline"] == b(2026, 3, 12, 15)  # 19h to go: Tue 7h, Wed 7h, Thu 09-12, 13-15
    first = replay_cycles(POLICY, events, b(*TUE, 9))["resolution"][0]
    assert (first["status"], first["breached_at"]) == ("breached", b(*MON, 12))


# --------------------------------------------------------------------------- rules 8, 9, 10


def test_reply_at_the_deadline_instant_meets() -> None:
    base = [created(b(*MON, 9))]  # first response (4h): 09-12, 13-14, deadline Mon 14:00
    on_time = replay(POLICY, [*base, agent(b(*MON, 14))], b(*MON, 15))["first_response"]
    assert (on_time["status"], on_time["met_at"], on_time["deadline"]) == ("met", b(*MON, 14), b(*MON, 14))
    late_at = b(*MON, 14) + timedelta(microseconds=1)
    late = replay(POLICY, [*base, agent(late_at)], b(*MON, 15))["first_response"]
    assert (late["status"], late["breached_at"]) == ("breached", b(*MON, 14))
    assert late["elapsed_business_seconds"] == 4 * H + 1e-6
    # At now == deadline with no reply the clock has not passed the deadline yet.
    assert replay(POLICY, base, b(*MON, 14))["first_response"]["status"] == "warning"
    # Resolving at the deadline instant meets too.
    resolved = replay(POLICY, [*base, status(b(*TUE, 10), "resolved")], b(*TUE, 10))["resolution"]
    assert (resolved["status"], resolved["met_at"]) == ("met", b(*TUE, 10))


def test_breach_is_decided_by_the_instant_not_business_time() -> None:
    base = [created(b(*FRI, 13))]  # first response deadline Fri 17:00, the end of a span
    result = replay(POLICY, [*base, agent(b(*FRI, 17, 30))], b(*FRI, 18))["first_response"]
    assert (result["status"], result["breached_at"]) == ("breached", b(*FRI, 17))
    assert result["elapsed_business_seconds"] == 4 * H
    assert replay(POLICY, base, b(*FRI, 17, 0, 1))["first_response"]["status"] == "breached"


def test_breached_keeps_accumulating_until_answered() -> None:
    events = [created(b(*MON, 9), priority="P1")]  # first response 60 min
    at_15 = replay(POLICY, events, b(*MON, 15))["first_response"]
    assert (at_15["status"], at_15["breached_at"], at_15["deadline"]) == (
        "breached",
        b(*MON, 10),
        b(*MON, 10),
    )
    assert at_15["elapsed_business_seconds"] == 5 * H
    # Paused time still counts as paused, not elapsed, and "breached" wins over "paused".
    events += [status(b(*MON, 15), "pending"), status(b(*MON, 16), "open"), agent(b(*TUE, 10))]
    answered = replay(POLICY, events, b(*TUE, 12))["first_response"]
    assert answered["status"] == "breached"
    assert answered["elapsed_business_seconds"] == 7 * H  # 9-12, 13-15, 16-17, Tue 9-10
    assert answered["paused_business_seconds"] == 1 * H
    paused = replay(POLICY, events[:2], b(*MON, 15, 30))["first_response"]
    assert paused["status"] == "breached"


def test_met_and_breached_are_final() -> None:
    events = [created(b(*MON, 9)), agent(b(*MON, 10)), priority(b(*MON, 11), "P1")]
    events += [policy_change(b(*MON, 12), policy(targets={"first_response": {"P1": 1}}))]
    result = replay(POLICY, events, b(*TUE, 12))["first_response"]
    assert (result["status"], result["met_at"], result["deadline"]) == ("met", b(*MON, 10), b(*MON, 14))
    assert result["elapsed_business_seconds"] == 1 * H


# --------------------------------------------------------------------------- rule 11: status


def test_warning_threshold_and_precedence() -> None:
    base = [created(b(*MON, 9))]  # resolution 480 min, 80%: 384 min = 6h24
    just_before = b(*MON, 16, 23, 59)
    assert replay(POLICY, base, just_before)["resolution"]["status"] == "running"
    assert replay(POLICY, base, b(*MON, 16, 24))["resolution"]["status"] == "warning"
    # Paused wins over warning.
    paused = replay(POLICY, [*base, status(b(*MON, 16, 30), "pending")], b(*MON, 16, 45))
    assert paused["resolution"]["status"] == "paused"
    # A different warning share.
    half = policy(warning_percent=50)
    assert replay(half, base, b(*MON, 14))["resolution"]["status"] == "warning"
    assert replay(half, base, b(*MON, 13, 59))["resolution"]["status"] == "running"


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"targets": {"resolution": {"P1": 0}}},
            "targets.resolution.P1: must be a positive number of minutes",
        ),
        ({"targets": {"resolution": {"P1": -5}}}, "targets.resolution.P1: must be a positive number"),
        ({"targets": {"resolution": {"P1": "60"}}}, "targets.resolution.P1: must be a positive number"),
        ({"targets": {"resolution": {"P1": True}}}, "targets.resolution.P1: must be a positive number"),
        ({"targets": {"resolution": {"P1": float("nan")}}}, "targets.resolution.P1: must be a positive"),
        ({"targets": {"resolution": {"P1": 1e12}}}, "targets.resolution.P1: must be at most"),
        ({"targets": {"resolution": {1: 60}}}, "targets.resolution.1: priority must be a non-empty string"),
        ({"targets": {"resolution": [60]}}, "targets.resolution: expected an object"),
        ({"targets": {"on_site": {"P1": 60}}}, "targets.on_site: unknown target"),
        ({"targets": []}, "targets: expected an object"),
        ({"warning_percent": 0}, "warning_percent: must be a number"),
        ({"warning_percent": 101}, "warning_percent: must be a number"),
        ({"warning_percent": "80"}, "warning_percent: must be a number"),
        ({"pause_statuses": "pending"}, "pause_statuses: expected a list"),
        ({"pause_statuses": ["pending", ""]}, "pause_statuses[1]: expected a non-empty status name"),
        ({"pause_statuses": ["resolved"]}, "pause_statuses[0]: 'resolved' is a resolved status"),
        ({"calendar": "Europe/Berlin"}, "calendar: expected a calendar spec object or null"),
        ({"calendar": {"timezone": "Mars/Olympus"}}, "calendar.timezone: unknown timezone"),
        ({"calendar": {"timezone": "UTC", "hours": {"mon": [["09:00", "25:00"]]}}}, "calendar.hours.mon[0]"),
        ({"pause_status": ["pending"]}, "pause_status: unknown key"),
    ],
)
def test_policy_errors_name_the_field(change: dict[str, Any], message: str) -> None:
    with pytest.raises(PolicyError) as info:
        parse_policy(policy(**change))
    assert str(info.value).startswith(message)
    with pytest.raises(PolicyError) as info:
        replay(policy(**change), [created(b(*MON, 9))], b(*MON, 9))
    assert str(info.value).startswith(message)


def test_policy_requires_targets_and_defaults_the_rest() -> None:
    with pytest.raises(PolicyError, match=r"^targets: required"):
        parse_policy({"calendar": None})
    with pytest.raises(PolicyError, match=r"^policy: expected an object"):
        parse_policy(["targets"])  # type: ignore[arg-type]
    compiled = parse_policy({"targets": {"resolution": {"P1": 1.5}}})
    assert isinstance(compiled, SlaPolicy)
    assert compiled.warning_percent == 80
    assert compiled.pause_statuses == frozenset()
    assert compiled.calendar.always
    assert compiled.target_us("resolution", "P1") == 90_000_000
    assert compiled.target_us("resolution", "P2") is None
    assert compiled.target_us("first_response", "P1") is None
    assert parse_policy(compiled) is compiled
    assert parse_policy({"targets": {"resolution": {"P1": 1.5}}}) is compiled  # cached
    # A compiled policy and a BusinessCalendar instance are accepted as they are.
    cal = BusinessCalendar.from_spec(OFFICE)
    assert parse_policy(policy(calendar=cal)).calendar is cal
    result = replay(compiled, [created(b(*MON, 9), priority="P1")], b(*MON, 9))
    assert result["resolution"]["deadline"] == b(*MON, 9, 1, 30)


@pytest.mark.parametrize(
    ("events", "now", "message"),
    [
        ([], b(*MON, 9), "events: empty"),
        ([agent(b(*MON, 9))], b(*MON, 9), r"events\[0\]\.type: the first event must be 'created'"),
        ([created(b(*MON, 9)), created(b(*MON, 10))], b(*MON, 10), r"events\[1\]\.type: 'created' may only"),
        (
            [created(b(*MON, 9)), {"at": b(*MON, 9), "type": "note"}],
            b(*MON, 9),
            r"events\[1\]\.type: unknown",
        ),
        ([created(b(*MON, 9)), agent(b(*MON, 8))], b(*MON, 9), r"events\[1\]\.at: .* before the previous"),
        ([created(datetime(2026, 3, 9, 9))], b(*MON, 9), r"events\[0\]\.at: expected an aware datetime"),
        ([{**created(b(*MON, 9)), "priority": None}], b(*MON, 9), r"events\[0\]\.priority: expected"),
        ([created(b(*MON, 9)), {"at": b(*MON, 9), "type": "status"}], b(*MON, 9), r"events\[1\]\.status"),
        ([created(b(*MON, 9)), {"at": b(*MON, 9), "type": "policy"}], b(*MON, 9), r"events\[1\]\.policy"),
        ([created(b(*MON, 9))], b(*MON, 8), "now: .* before the last event"),
        ([created(b(*MON, 9))], datetime(2026, 3, 9, 9), "now: expected an aware datetime"),
    ],
)
def test_malformed_events(events: list[dict[str, Any]], now: datetime, message: str) -> None:
    with pytest.raises(ValueError, match="^" + message):
        replay(POLICY, events, now)


def test_event_error_is_a_value_error() -> None:
    assert issubclass(EventError, ValueError) and issubclass(PolicyError, ValueError)


# --------------------------------------------------------------------------- properties

PAUSES = ("pending", "on_hold")
STATUS_VALUES = ("open", "in_progress", "pending", "on_hold", "resolved", "closed")
PRIORITIES = ("P1", "P2", "P3", "P4")  # P4 has no targets at all
ALT_POLICY = policy(
    calendar={
        "timezone": "America/New_York",
        "hours": {key: [["07:30", "19:00"]] for key in ("mon", "tue", "sat")},
    },
    warning_percent=60,
    targets={"first_response": {"P1": 45, "P3": 500}, "resolution": {"P1": 600, "P2": 90, "P3": 3000}},
)
CALENDARS = (
    None,
    OFFICE,
    {"timezone": "Europe/Berlin", "hours": {"sun": [["00:00", "24:00"]], "wed": [["01:00", "04:00"]]}},
)
BASES = (datetime(2026, 3, 26, 6, tzinfo=UTC), datetime(2026, 10, 22, 6, tzinfo=UTC))


def policy_with(calendar: Any) -> dict[str, Any]:
    return policy(calendar=calendar)


event_step = st.tuples(
    st.one_of(st.integers(0, 30), st.integers(0, 3000), st.just(0)),  # minutes after the previous event
    st.integers(0, 59),  # and seconds
    st.sampled_from(
        ("agent_reply", "customer_reply", "customer_reply", "status", "status", "priority", "policy")
    ),
    st.integers(0, 100),  # payload choice
)


@st.composite
def histories(draw: st.DrawFn, *, kinds: tuple[str, ...] | None = None) -> tuple[dict[str, Any], list[dict]]:
    calendar = draw(st.sampled_from(CALENDARS))
    pol = policy_with(calendar)
    at = draw(st.sampled_from(BASES)) + timedelta(minutes=draw(st.integers(0, 8 * 24 * 60)))
    events: list[dict[str, Any]] = [
        created(at, draw(st.sampled_from(PRIORITIES)), draw(st.sampled_from(("open", "open", "pending"))))
    ]
    for minutes, seconds, kind, choice in draw(st.lists(event_step, max_size=14)):
        if kinds is not None and kind not in kinds:
            continue
        at = at + timedelta(minutes=minutes, seconds=seconds if minutes else 0)
        if kind == "status":
            events.append(status(at, STATUS_VALUES[choice % len(STATUS_VALUES)]))
        elif kind == "priority":
            events.append(priority(at, PRIORITIES[choice % len(PRIORITIES)]))
        elif kind == "policy":
            events.append(policy_change(at, ALT_POLICY if choice % 2 else policy_with(CALENDARS[choice % 3])))
        else:
            events.append({"at": at, "type": kind})
    return pol, events


def status_at(events: list[dict[str, Any]], t: datetime) -> str:
    current = events[0]["status"]
    for event in events:
        if event["at"] <= t and event["type"] == "status":
            current = event["status"]
    return current


@PROPS
@given(
    history=histories(), start=st.integers(0, 4000), length=st.integers(0, 4000), tail=st.integers(0, 3000)
)
def test_a_pause_never_brings_a_deadline_earlier(
    history: tuple[dict[str, Any], list[dict]], start: int, length: int, tail: int
) -> None:
    pol, events = history
    first, last = events[0]["at"], events[-1]["at"]
    now = last + timedelta(minutes=tail)
    pause_at = min(first + timedelta(minutes=start), now)
    before = status_at(events, pause_at)
    assume(before not in PAUSES and before not in ("resolved", "closed"))
    status_times = [e["at"] for e in events[1:] if e["type"] == "status" and e["at"] >= pause_at]
    resume_at = min(
        [pause_at + timedelta(minutes=length), now, *[t - timedelta(seconds=1) for t in status_times]]
    )
    assume(resume_at >= pause_at)
    # Insert after the events at the same instants (so the pause is the last word at pause_at).
    paused = [e for e in events if e["at"] <= pause_at] + [status(pause_at, "pending")]
    paused += [e for e in events if pause_at < e["at"] <= resume_at] + [status(resume_at, before)]
    paused += [e for e in events if e["at"] > resume_at]
    assert len(paused) == len(events) + 2
    original = replay_cycles(pol, events, now)
    with_pause = replay_cycles(pol, paused, now)
    for kind in TARGETS:
        old = dict(keyed(original[kind]))
        for key, cycle in keyed(with_pause[kind]):
            match = old.get(key)
            if match is not None and match["deadline"] and cycle["deadline"]:
                assert cycle["deadline"] >= match["deadline"], (kind, cycle, match)
                assert cycle["elapsed_business_seconds"] <= match["elapsed_business_seconds"]


def keyed(cycles: list[dict[str, Any]]) -> list[tuple[tuple[datetime, int], dict[str, Any]]]:
    """Cycles keyed by (opened_at, how many earlier cycles opened at the same instant)."""
    seen: dict[datetime, int] = {}
    result = []
    for cycle in cycles:
        n = seen[cycle["opened_at"]] = seen.get(cycle["opened_at"], -1) + 1
        result.append(((cycle["opened_at"], n), cycle))
    return result


@PROPS
@given(history=histories(kinds=("agent_reply", "customer_reply")), tail=st.integers(0, 5000))
def test_24_7_without_pauses_deadline_is_created_plus_target(
    history: tuple[dict[str, Any], list[dict]], tail: int
) -> None:
    _pol, events = history
    events[0]["status"] = "open"
    pol = policy(calendar=None)
    now = events[-1]["at"] + timedelta(minutes=tail)
    compiled = parse_policy(pol)
    cycles = replay_cycles(pol, events, now)
    prio = events[0]["priority"]
    for kind in TARGETS:
        target = compiled.target_us(kind, prio)
        if target is None:
            assert cycles[kind] == []
            continue
        for cycle in cycles[kind]:
            assert cycle["deadline"] == cycle["opened_at"] + timedelta(microseconds=target)
            assert cycle["paused_business_seconds"] == 0
            end = cycle["closed_at"] or now
            assert cycle["elapsed_business_seconds"] == (end - cycle["opened_at"]).total_seconds()
            late = end > cycle["deadline"]
            assert cycle["status"] == (
                "breached" if late else "met" if cycle["closed_at"] else cycle["status"]
            )
    for cycle in cycles["first_response"] + cycles["resolution"]:
        assert cycle["opened_at"] == events[0]["at"]


@PROPS
@given(history=histories(kinds=("agent_reply", "customer_reply")))
def test_business_calendar_without_pauses_deadline_is_add_business_time(
    history: tuple[dict[str, Any], list[dict]],
) -> None:
    pol, events = history
    events[0]["status"] = "open"
    compiled = parse_policy(pol)
    result = replay(pol, events, events[-1]["at"])
    target = compiled.target_us("resolution", events[0]["priority"])
    if target is not None:
        expected = add_business_time(events[0]["at"], timedelta(microseconds=target), compiled.calendar)
        # Compare in UTC: an aware datetime in a repeated hour (fold=1) never equals one in another zone.
        assert result["resolution"]["deadline"] == expected.astimezone(UTC)


@PROPS
@given(history=histories())
def test_a_prefix_never_contradicts_the_full_replay(history: tuple[dict[str, Any], list[dict]]) -> None:
    pol, events = history
    now = events[-1]["at"]
    full = replay_cycles(pol, events, now)
    for k in range(1, len(events) + 1):
        prefix = replay_cycles(pol, events[:k], events[k - 1]["at"])
        for kind in TARGETS:
            final = [c for c in prefix[kind] if c["status"] in ("met", "breached")]
            assert len(full[kind]) >= len(final)
            for mine, theirs in zip(final, full[kind], strict=False):
                same = ("opened_at", "status", "met_at", "breached_at", "deadline")
                assert {f: mine[f] for f in same} == {f: theirs[f] for f in same}, (kind, k)
                if mine["status"] == "met":
                    assert mine == theirs
        summary = replay(pol, events[:k], events[k - 1]["at"])
        assert summary.keys() == {kind for kind in TARGETS if prefix[kind]}
        for kind, value in summary.items():
            last = dict(prefix[kind][-1])
            del last["opened_at"], last["closed_at"]
            assert last == value


@PROPS
@given(history=histories(), gaps=st.lists(st.integers(0, 2000), min_size=2, max_size=4))
def test_elapsed_is_monotone_in_now(history: tuple[dict[str, Any], list[dict]], gaps: list[int]) -> None:
    pol, events = history
    now = events[-1]["at"]
    previous: dict[str, dict[str, Any]] | None = None
    for gap in gaps:
        now += timedelta(minutes=gap)
        result = replay(pol, events, now)
        if previous is not None:
            assert result.keys() == previous.keys()
            for kind, value in result.items():
                before = previous[kind]
                assert value["elapsed_business_seconds"] >= before["elapsed_business_seconds"]
                assert value["paused_business_seconds"] >= before["paused_business_seconds"]
                if before["status"] in ("met", "breached"):
                    assert value["status"] == before["status"]
                    assert value["deadline"] == before["deadline"]
        previous = result
