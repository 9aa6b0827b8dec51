"""How the agent's pages read SLA clocks and describe timeline events (no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from steward.desk import describe, sla_display
from steward.desk.describe import Names
from steward.desk.sla_display import RANK, age, clock, countdown, status_at, summarise

NOON = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)
WARN = NOON - timedelta(minutes=24)
BERLIN = ZoneInfo("Europe/Berlin")


# --- reading a clock at an instant ---------------------------------------------------------------


def test_status_at_the_worked_examples():
    def at(status, now):
        return status_at(status, warning_at=WARN, deadline=NOON, now=now)

    assert at("running", NOON - timedelta(hours=1)) == "running"
    assert at("running", WARN) == "warning"  # the warning instant itself warns (sweeper: <=)
    assert at("running", NOON) == "warning"  # a reply at the deadline instant still meets
    assert at("running", NOON + timedelta(seconds=1)) == "breached"
    assert at("warning", NOON + timedelta(minutes=30)) == "breached"
    for final in ("paused", "met", "breached"):
        assert at(final, NOON + timedelta(days=1)) == final


def test_a_clock_without_instants_stays_as_stored():
    assert status_at("running", warning_at=None, deadline=None, now=NOON) == "running"


instants = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC)
)


@given(
    st.sampled_from(list(RANK)),
    instants,
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3)),
    instants,
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3)),
)
def test_a_clock_never_reads_better_later_nor_better_than_stored(status, warning_at, gap, now, later):
    deadline = warning_at + gap
    first = status_at(status, warning_at=warning_at, deadline=deadline, now=now)
    second = status_at(status, warning_at=warning_at, deadline=deadline, now=now + later)
    assert RANK[first] >= RANK[status]
    assert RANK[second] >= RANK[first]


def test_a_breach_read_from_the_clock_happened_at_the_deadline():
    c = clock(
        target="resolution",
        status="running",
        deadline=NOON,
        warning_at=WARN,
        met_at=None,
        breached_at=None,
        now=NOON + timedelta(hours=1),
    )
    assert (c.state, c.breached_at, c.ticking, c.label) == ("breached", NOON, True, "Breached")


def _clock(target, status, deadline=None, warning_at=None, now=NOON):
    return clock(
        target=target,
        status=status,
        deadline=deadline,
        warning_at=warning_at,
        met_at=None,
        breached_at=None,
        now=now,
    )


def test_summary_is_the_worst_state_with_the_nearest_running_deadline():
    soon = NOON + timedelta(hours=1)
    later = NOON + timedelta(hours=5)
    clocks = [
        _clock("first_response", "breached", deadline=NOON - timedelta(hours=2)),
        _clock("resolution", "running", deadline=later, warning_at=later - timedelta(hours=1)),
        _clock("next_response", "running", deadline=soon, warning_at=soon - timedelta(minutes=10)),
    ]
    summary = summarise(clocks)
    assert summary.state == "breached"
    assert (summary.deadline, summary.warning_at) == (soon, soon - timedelta(minutes=10))
    assert summary.deadline_is_next  # the countdown belongs to another clock than the badge
    assert summarise([]) is None
    paused = summarise([_clock("resolution", "paused", deadline=later)])
    assert (paused.state, paused.deadline) == ("paused", None)


def test_countdown_and_age_read_compactly():
    assert countdown(2 * 3600 + 5 * 60 + 9) == "in 2h 05m"
    assert countdown(4 * 60 + 9) == "in 4m 09s"
    assert countdown(0) == "in 0m 00s"
    assert countdown(-(27 * 3600 + 60)) == "1d 3h overdue"
    assert countdown(-59.9) == "0m 59s overdue"
    assert age(30) == "just now"
    assert age(12 * 60 + 5) == "12m ago"
    assert age(5 * 3600) == "5h ago"
    assert age(3 * 86400) == "3d ago"
    assert age(15 * 86400) == "2w ago"


@given(st.floats(min_value=-1e7, max_value=1e7, allow_nan=False))
def test_countdown_says_which_side_of_the_deadline(seconds):
    text = countdown(seconds)
    if seconds < 0:
        assert text.endswith(" overdue")
    else:
        assert text.startswith("in ")


def test_the_browser_uses_the_same_labels_and_comparisons():
    """desk.js mirrors sla_display: same state labels, same comparisons (>= warning, > deadline)."""
    from pathlib import Path

    script = (Path(sla_display.__file__).parents[1] / "static" / "js" / "desk.js").read_text()
    for state, label in sla_display.LABELS.items():
        assert f'{state}: "{label}"' in script
    assert "now > deadline" in script and "now >= warningAt" in script


# --- timeline events in words --------------------------------------------------------------------

NAMES = Names(users={7: "Erika Agent"}, teams={3: "Service desk"}, policies={5: "Gold 24/7"})


def words(type_, **data):
    return "".join(text for text, _ in describe.describe(type_, data, names=NAMES, tz=BERLIN))


def test_events_in_words():
    assert words("created", channel="phone", priority="P2", policy_id=5) == (
        "opened the ticket (Phone) at priority P2 under SLA policy “Gold 24/7”"
    )
    assert words("created", channel="email", priority="P3", policy_id=None).endswith("no SLA policy applies")
    assert (
        words("status", status="pending", **{"from": "open"})
        == "changed the status from Open to Pending customer"
    )
    assert words("status", status="open", **{"from": "resolved"}) == "reopened the ticket"
    assert words("status", status="closed", reason="auto-close", **{"from": "resolved"}).endswith(
        "(auto-close)"
    )
    assert words("priority", priority="P1", reason="ward down", **{"from": "P3"}) == (
        "changed the priority from P3 normal to P1 critical: ward down"
    )
    assert words("policy", policy_id=5).startswith("SLA policy changed to “Gold 24/7”")
    assert words("assign", team=3, assignee=7) == "assigned to Erika Agent (Service desk)"
    assert words("assign", team=3, assignee=None) == "assigned to team Service desk, nobody in person"
    assert (
        words("assign", team=None, assignee=7, rule="round_robin") == "assigned to Erika Agent by round-robin"
    )
    assert words("assign", team=None, assignee=None) == "left the ticket unassigned"
    # 10:00 UTC is 11:00 in Berlin in March.
    assert words("sla_warning", target="first_response", deadline="2026-03-09T10:00:00Z") == (
        "SLA warning: first response due 2026-03-09 11:00"
    )
    assert (
        words("sla_breached", target="resolution", deadline=NOON)
        == "SLA breached: resolution was due 2026-03-09 13:00"
    )
    assert words("escalation", target="resolution", offset_minutes=-30, actions=["priority P1"]) == (
        "escalation on resolution, 30 min before the deadline: priority P1"
    )
    assert words("escalation", target="resolution", offset_minutes=90, actions=[]) == (
        "escalation on resolution, 1 h 30 min after the deadline: nothing to do"
    )
    assert words("tags", added=["a", "b"], removed=["c"]) == "added tags a, b; removed tag c"
    assert words("attachment", names=["x.pdf"], public=False) == "attached x.pdf (internal)"
    assert words("mail_out") == "Mail sent"


def test_links_and_merges_point_to_the_other_ticket():
    parts = describe.describe(
        "link", {"kind": "duplicate", "other": 42, "direction": "in"}, names=NAMES, tz=BERLIN
    )
    assert parts == [("linked: this ticket has duplicate ", None), ("T-000042", 42)]
    parts = describe.describe(
        "link", {"kind": "caused_by", "other": 42, "direction": "out"}, names=NAMES, tz=BERLIN
    )
    assert parts[0][0] == "linked: this ticket caused by "
    assert describe.describe("link", {"other": 9, "removed": True}, names=NAMES, tz=BERLIN)[1] == (
        "T-000009",
        9,
    )
    assert describe.describe("merge", {"into": 9}, names=NAMES, tz=BERLIN) == [
        ("merged this ticket into ", None),
        ("T-000009", 9),
    ]
    assert describe.describe("merge", {"merged": 8}, names=NAMES, tz=BERLIN)[1] == ("T-000008", 8)


def test_mentioned_ids_are_what_describe_looks_up():
    events = [
        ("assign", {"team": 3, "assignee": 7}),
        ("assign", {"team": None, "assignee": None}),
        ("created", {"policy_id": 5}),
        ("policy", {"policy_id": 6}),
        ("note", {"message_id": 1}),
    ]
    assert describe.mentioned_ids(events) == ({7}, {3}, {5, 6})
