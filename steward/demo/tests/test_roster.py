"""The demo's desk roster (pure) and its loading: shifts inside the teams' hours, one a day per
agent, and the planning runs the demo starts with."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from steward.demo.roster import SHIFT, AgentInfo, opening_hours, plan_roster

BERLIN = ZoneInfo("Europe/Berlin")
OFFICE = {"hours": {d: [["08:00", "12:00"], ["13:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}}
EXTENDED = {
    "hours": {
        **{d: [["07:00", "19:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
        "sat": [["08:00", "14:00"]],
    },
    "holidays": ["2026-12-25"],
}
ALWAYS = {"always": True}
SPECS = {"Desk": EXTENDED, "Office": OFFICE, "IT": ALWAYS}
MONDAY = date(2026, 12, 21)


def test_opening_hours_span_a_days_spans_and_know_holidays():
    assert opening_hours(OFFICE, MONDAY) == (time(8), time(17))
    assert opening_hours(OFFICE, MONDAY + timedelta(days=5)) is None  # Saturday
    assert opening_hours(EXTENDED, MONDAY + timedelta(days=5)) == (time(8), time(14))
    assert opening_hours(EXTENDED, date(2026, 12, 25)) is None
    assert opening_hours(ALWAYS, date(2026, 12, 25)) == (time(7), time(23))


def test_a_week_of_the_desk_worked_example():
    agents = [AgentInfo(1, ("Desk",)), AgentInfo(2, ("Desk",)), AgentInfo(3, ("Desk", "Office"))]
    week = [MONDAY + timedelta(days=i) for i in range(7)]
    shifts = plan_roster(agents, SPECS, week, "Europe/Berlin")
    monday = sorted(
        (s.user_id, s.team, s.starts_at.time(), s.ends_at.time())
        for s in shifts
        if s.starts_at.date() == MONDAY
    )
    # the desk opens 07:00-19:00: early 07:00-15:30 and late 10:30-19:00 shifts share it
    assert {(t, e) for _, team, t, e in monday if team == "Desk"} <= {
        (time(7), time(15, 30)),
        (time(10, 30), time(19)),
    }
    assert len(monday) == 3 and {u for u, *_ in monday} == {1, 2, 3}
    saturday = [s for s in shifts if s.starts_at.date() == MONDAY + timedelta(days=5)]
    assert len(saturday) == 1 and saturday[0].team == "Desk"  # one agent in turn, 08:00-14:00
    assert (saturday[0].starts_at.time(), saturday[0].ends_at.time()) == (time(8), time(14))
    assert not [s for s in shifts if s.starts_at.date() == MONDAY + timedelta(days=6)]  # Sunday: closed
    # Christmas Day (Friday) is a holiday of the desk's calendar (not of this office's): nobody on the desk
    christmas = [s for s in shifts if s.starts_at.date() == date(2026, 12, 25)]
    assert all(s.team == "Office" for s in christmas)


agent_lists = st.lists(
    st.lists(st.sampled_from(sorted(SPECS)), min_size=1, max_size=3, unique=True), min_size=1, max_size=12
)


@given(teams_of=agent_lists, start=st.dates(min_value=date(2026, 1, 1), max_value=date(2030, 12, 31)))
def test_every_shift_is_inside_its_teams_hours_and_an_agent_works_one_a_day(teams_of, start):
    agents = [AgentInfo(i + 1, tuple(teams)) for i, teams in enumerate(teams_of)]
    days = [start + timedelta(days=i) for i in range(14)]
    shifts = plan_roster(agents, SPECS, days, "Europe/Berlin")
    seen = set()
    for s in shifts:
        day = s.starts_at.astimezone(BERLIN).date()
        assert (s.user_id, day) not in seen
        seen.add((s.user_id, day))
        assert s.team in next(a.teams for a in agents if a.user_id == s.user_id)
        hours = opening_hours(SPECS[s.team], day)
        assert hours is not None
        assert datetime.combine(day, hours[0], tzinfo=BERLIN) <= s.starts_at < s.ends_at
        assert s.ends_at <= datetime.combine(day, hours[1], tzinfo=BERLIN)
        assert s.ends_at - s.starts_at <= SHIFT
    # on a working weekday every agent whose rostered team is open works
    for day in days:
        if day.weekday() < 5 and all(opening_hours(SPECS[t], day) for t in SPECS):
            assert {a.user_id for a in agents} == {u for u, d in seen if d == day}


@pytest.mark.django_db
def test_the_demo_rosters_its_agents_and_starts_with_plans():
    from steward.demo.generator import load_demo
    from steward.planning.models import AgentShift, PlanningRun

    load_demo(
        seed=5, today=date(2026, 5, 4), accounts=20, agents=4, technicians=4, history=2500, dispatch_seconds=1
    )
    shifts = AgentShift.objects.select_related("agent", "team")
    assert shifts.count() > 4 * 10
    for shift in shifts:
        assert "agent" in shift.agent.roles
        assert shift.team.memberships.filter(user=shift.agent).exists()
    kinds = sorted(PlanningRun.objects.values_list("kind", flat=True))
    assert "desk" in kinds and "scenario" in kinds
    desk = PlanningRun.objects.get(kind="desk")
    assert desk.plan_date == date(2026, 5, 4)
    # the roster is held against the forecast: rostered heads appear in the requirements
    assert desk.requirements.filter(rostered__gt=0).exists()
