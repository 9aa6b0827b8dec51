"""Tests for steward.desk.clock_state: what the clocks store, from a timeline and "now".

Pure Python: worked examples and hypothesis properties (the stored instants stay right while
nothing happens; they agree with the replay; the summary is the nearest running deadline and the
worst state)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from steward.desk.clock_state import (
    NO_POLICY,
    STATE_RANK,
    EscalationSpec,
    clock_state,
    governing_policy_id,
    replay_input,
)
from steward.desk.sla import replay, replay_cycles

BERLIN = ZoneInfo("Europe/Berlin")
OFFICE = {
    "timezone": "Europe/Berlin",
    "hours": {day: [["09:00", "12:00"], ["13:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
    "holidays": ["2026-04-03", "2026-04-06"],
}
TARGETS = {
    "first_response": {"P1": 30, "P2": 60, "P3": 240},
    "next_response": {"P1": 60, "P2": 120, "P3": 480},
    "resolution": {"P1": 180, "P2": 480, "P3": 1440},
}
OFFICE_POLICY: dict[str, Any] = {
    "calendar": OFFICE,
    "pause_statuses": ["pending", "on_hold"],
    "targets": TARGETS,
}
ALWAYS_POLICY: dict[str, Any] = {"calendar": None, "pause_statuses": ["pending"], "targets": TARGETS}
LEVELS = {
    1: [
        EscalationSpec(11, "first_response", -5),
        EscalationSpec(12, "resolution", -30),
        EscalationSpec(13, "resolution", 0),
        EscalationSpec(14, "resolution", 60),
    ],
    2: [EscalationSpec(21, "resolution", 0)],
}
MON = datetime(2026, 3, 9, 10, 0, tzinfo=BERLIN)  # Monday 10:00 in Berlin
PROPS = settings(max_examples=120, deadline=None, database=None, suppress_health_check=list(HealthCheck))


def created(at: datetime, *, policy=ALWAYS_POLICY, policy_id=1, priority="P2", status="new") -> dict:
    return {"at": at, "type": "created", "priority": priority, "status": status, "policy": policy,
            "policy_id": policy_id}  # fmt: skip


# --- worked examples -------------------------------------------------------------------------------


def test_no_history_stores_nothing():
    state = clock_state([], MON, LEVELS)
    assert state.targets == {} and state.next_deadline is None and state.state == ""
    assert all(state.escalations[k] == [] for k in ("first_response", "next_response", "resolution"))


def test_a_new_ticket_on_a_24_7_policy():
    state = clock_state([created(MON)], MON + timedelta(minutes=10), LEVELS)
    first, resolution = state.targets["first_response"], state.targets["resolution"]
    assert first.deadline == MON + timedelta(minutes=60) and first.status == "running"
    assert first.warning_at == MON + timedelta(minutes=48)  # 80 % of 60 minutes
    assert resolution.deadline == MON + timedelta(hours=8)
    assert resolution.warning_at == MON + timedelta(minutes=384)
    assert "next_response" not in state.targets
    assert state.next_deadline == first.deadline and state.state == "running"
    due = {
        e.level_id: e.due_at for e in (*state.escalations["first_response"], *state.escalations["resolution"])
    }
    assert due == {
        11: MON + timedelta(minutes=55),
        12: MON + timedelta(minutes=450),
        13: MON + timedelta(hours=8),
        14: MON + timedelta(hours=9),  # a breached cycle keeps counting
    }


def test_business_hours_move_every_instant_over_lunch_and_night():
    state = clock_state([created(MON, policy=OFFICE_POLICY, policy_id=2)], MON, LEVELS)
    resolution = state.targets["resolution"]
    # 480 business minutes from Mon 10:00: 10-12, 13-17 (6 h), Tue 09-11.
    assert resolution.deadline == datetime(2026, 3, 10, 11, 0, tzinfo=BERLIN)
    assert resolution.warning_at == datetime(2026, 3, 10, 9, 24, tzinfo=BERLIN)  # 384 minutes
    assert state.escalations["resolution"][0].due_at == resolution.deadline
    assert state.escalations["first_response"] == []  # policy 2 has no first-response level


def test_paused_clocks_have_no_warning_and_no_escalation_due():
    events = [created(MON), {"at": MON + timedelta(minutes=10), "type": "agent_reply"},
              {"at": MON + timedelta(minutes=10), "type": "status", "status": "pending"}]  # fmt: skip
    state = clock_state(events, MON + timedelta(hours=1), LEVELS)
    resolution = state.targets["resolution"]
    assert resolution.status == "paused" and resolution.warning_at is None
    assert all(e.due_at is None for e in state.escalations["resolution"])
    assert state.targets["first_response"].status == "met"
    assert state.next_deadline is None and state.state == "paused"
    # The first response was met: its level is no longer due.
    assert [e.due_at for e in state.escalations["first_response"]] == [None]


def test_an_escalation_already_reached_is_due_now_and_a_breach_ranks_worst():
    events = [
        created(MON, priority="P3"),
        {"at": MON + timedelta(hours=5), "type": "priority", "priority": "P1"},
    ]
    now = MON + timedelta(hours=5)
    state = clock_state(events, now, LEVELS)
    resolution = state.targets["resolution"]
    assert resolution.status == "breached" and resolution.breached_at == now  # 5 h > 180 min
    assert {e.level_id: e.due_at for e in state.escalations["resolution"]} == {
        12: now,
        13: now,
        14: now,  # 5 h elapsed is past 180 + 60 minutes too
    }
    assert state.state == "breached"
    # The first response (240 minutes as P3) breached after 4 hours, before the change; breached
    # cycles keep their level due until answered, and no running deadline is left.
    first = state.targets["first_response"]
    assert first.status == "breached" and first.breached_at == MON + timedelta(hours=4)
    assert [e.due_at for e in state.escalations["first_response"]] == [now]
    assert state.next_deadline is None


def test_now_before_the_last_event_is_the_last_event():
    events = [created(MON), {"at": MON + timedelta(minutes=20), "type": "agent_reply"}]
    assert clock_state(events, MON, LEVELS).now == MON + timedelta(minutes=20)


def test_replay_input_reads_a_null_policy_as_no_policy_and_keeps_order():
    rows = [(MON, "created", {"priority": "P2", "status": "new", "policy": None, "policy_id": None}),
            (MON + timedelta(minutes=1), "agent_reply", {"message_id": 7})]  # fmt: skip
    events = replay_input(rows)
    assert events[0]["policy"] == NO_POLICY and events[1] == {
        "message_id": 7,
        "at": rows[1][0],
        "type": "agent_reply",
    }
    assert rows[0][2]["policy"] is None  # the timeline's data is not changed
    state = clock_state(events, MON + timedelta(hours=1), LEVELS)
    assert state.targets == {} and state.state == "" and governing_policy_id(events) is None


def test_the_governing_policy_is_the_last_one_and_its_levels_apply():
    events = [created(MON), {"at": MON + timedelta(minutes=5), "type": "policy", "policy": OFFICE_POLICY,
                             "policy_id": 2}]  # fmt: skip
    assert governing_policy_id(events) == 2
    state = clock_state(events, MON + timedelta(minutes=5), LEVELS)
    assert [e.level_id for e in state.escalations["resolution"]] == [21]


def test_every_decided_cycle_is_kept_not_only_the_latest():
    """Two customer follow-ups: the first answered in time, the second late; the third is open."""
    events = [
        created(MON),
        {"at": MON + timedelta(minutes=20), "type": "agent_reply"},
        {"at": MON + timedelta(hours=1), "type": "customer_reply"},
        {"at": MON + timedelta(hours=2), "type": "agent_reply"},  # within 120 minutes: met
        {"at": MON + timedelta(hours=3), "type": "customer_reply"},
        {"at": MON + timedelta(hours=6), "type": "agent_reply"},  # 180 minutes: breached at 5:00
        {"at": MON + timedelta(hours=7), "type": "customer_reply"},
    ]
    state = clock_state(events, MON + timedelta(hours=7, minutes=30), LEVELS)
    decided = [(c.target, c.number, c.status, c.deadline) for c in state.decided]
    assert decided == [
        ("first_response", 1, "met", MON + timedelta(hours=1)),
        ("next_response", 1, "met", MON + timedelta(hours=3)),
        ("next_response", 2, "breached", MON + timedelta(hours=5)),
    ]
    assert state.targets["next_response"].status == "running"  # the latest cycle, not decided yet


# --- properties ----------------------------------------------------------------------------------

STEPS = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=600),  # minutes after the previous event
        st.sampled_from(
            ["agent_reply", "customer_reply", "pending", "open", "resolved", "P1", "P3", "on_hold"]
        ),
    ),
    max_size=8,
)


def _history(start_minutes: int, steps, policy) -> list[dict]:
    at = MON + timedelta(minutes=start_minutes)
    events = [created(at, policy=policy, policy_id=1 if policy is ALWAYS_POLICY else 2)]
    for gap, kind in steps:
        at = at + timedelta(minutes=gap)
        if kind in ("agent_reply", "customer_reply"):
            events.append({"at": at, "type": kind})
        elif kind in ("P1", "P3"):
            events.append({"at": at, "type": "priority", "priority": kind})
        else:
            events.append({"at": at, "type": "status", "status": kind})
    return events


@PROPS
@given(st.integers(0, 3000), STEPS, st.sampled_from([ALWAYS_POLICY, OFFICE_POLICY]), st.integers(0, 600))
def test_stored_values_agree_with_the_replay(start, steps, policy, later):
    events = _history(start, steps, policy)
    now = events[-1]["at"] + timedelta(minutes=later)
    state = clock_state(events, now, LEVELS)
    reports = replay(policy, events, now)
    cycles = replay_cycles(policy, events, now)
    assert set(state.targets) == set(reports)
    for kind, clock in state.targets.items():
        report = reports[kind]
        assert {k: getattr(clock, k) for k in report} == report
        assert clock.cycle_opened_at == cycles[kind][-1]["opened_at"]
        assert (clock.warning_at is None) or (clock.status == "running" and clock.warning_at > now)
    running = [
        c.deadline for c in state.targets.values() if c.status in ("running", "warning") and c.deadline
    ]
    assert state.next_deadline == min(running, default=None)
    assert state.state == max((c.status for c in state.targets.values()), key=STATE_RANK.get, default="")
    # The decided cycles are exactly the replay's met or breached cycles, numbered in order.
    expected = [
        (kind, number, report["status"], report["deadline"])
        for kind, reports_of_kind in cycles.items()
        for number, report in enumerate(reports_of_kind, start=1)
        if report["status"] in ("met", "breached") and report["deadline"] is not None
    ]
    assert sorted((c.target, c.number, c.status, c.deadline) for c in state.decided) == sorted(expected)


@PROPS
@given(st.integers(0, 3000), STEPS, st.sampled_from([ALWAYS_POLICY, OFFICE_POLICY]), st.integers(1, 2000))
def test_stored_instants_stay_right_while_nothing_happens(start, steps, policy, wait):
    """Computed at the last change or any time later (before they fall due), the instants are the
    same: the sweeper may rely on them without recomputing."""
    events = _history(start, steps, policy)
    first = clock_state(events, events[-1]["at"], LEVELS)
    now = events[-1]["at"] + timedelta(minutes=wait)
    later = clock_state(events, now, LEVELS)
    for kind, clock in first.targets.items():
        if clock.warning_at is not None and clock.warning_at > now:
            assert later.targets[kind].warning_at == clock.warning_at
        if clock.status in ("running", "warning") and clock.deadline > now:
            assert later.targets[kind].deadline == clock.deadline
        for before, after in zip(first.escalations[kind], later.escalations[kind], strict=True):
            if before.due_at is not None and before.due_at > now:
                assert after.due_at == before.due_at


@PROPS
@given(st.integers(0, 3000), STEPS, st.sampled_from([ALWAYS_POLICY, OFFICE_POLICY]))
def test_warning_at_is_where_the_replay_turns_to_warning(start, steps, policy):
    events = _history(start, steps, policy)
    state = clock_state(events, events[-1]["at"], LEVELS)
    for kind, clock in state.targets.items():
        if clock.warning_at is None:
            continue
        assert replay(policy, events, clock.warning_at)[kind]["status"] == "warning"
        just_before = clock.warning_at - timedelta(microseconds=1)
        if just_before >= events[-1]["at"]:
            assert replay(policy, events, just_before)[kind]["status"] == "running"


def test_instants_are_utc():
    state = clock_state([created(MON)], MON, LEVELS)
    assert state.targets["resolution"].deadline.tzinfo == UTC
    assert state.targets["resolution"].warning_at.tzinfo == UTC
