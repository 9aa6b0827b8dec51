"""The baseline engines (greedy dispatcher, OR-Tools) and the field-day generator: worked examples,
and every plan they make passes the independent validator."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from steward.dispatch.optimiser.fieldgen import generate_field_day
from steward.dispatch.optimiser.greedy import GreedyEngine, dispatcher_order
from steward.dispatch.optimiser.ortools_engine import ORToolsEngine
from steward.dispatch.optimiser.problem import (
    Break,
    FixedVisit,
    Job,
    Location,
    Problem,
    Shift,
    Technician,
    TimeWindow,
    UnplannedReason,
)
from steward.dispatch.optimiser.readers import read_instance
from steward.dispatch.optimiser.validator import validate

H = 3600
SOLOMON = Path("/work/shared/bench/solomon")


def small_problem(*, fixed=()) -> Problem:
    """One technician (hvac) from home at place 0, 8:00-13:00, no overtime, lunch starting within
    11:00-12:30; places 1-4 are 15 min apart from home and each other. Three 90-minute jobs compete
    for a morning that holds two."""
    n = 5
    durations = [[0 if i == j else 900 for j in range(n)] for i in range(n)]
    distances = [[0 if i == j else 10_000 for j in range(n)] for i in range(n)]
    jobs = [
        Job("p3", 1, 5400, 7200, priority="P3"),
        Job("p1", 2, 5400, 36000, priority="P1", window=TimeWindow(10 * H, 11 * H)),
        Job("p2", 3, 5400, 14400, priority="P2"),
        Job("gas", 4, 1800, 36000, frozenset({"gas-safe"}), priority="P1"),
        Job("late", 4, 1800, 7200, window=TimeWindow(13 * H, 14 * H)),
    ]
    shift = Shift(
        "T/0", "T", 0, 8 * H, 13 * H, 0, 0, break_=Break(1800, TimeWindow(11 * H, 12 * H + 1800)), fixed=fixed
    )
    return Problem(
        None,
        [Location(0, 0)] * n,
        durations,
        distances,
        jobs,
        [Technician("T", frozenset({"hvac"}), (shift,))],
    )


def test_greedy_orders_work_as_a_dispatcher_would():
    jobs = small_problem().jobs
    assert [j.id for j in sorted(jobs, key=dispatcher_order)] == ["p1", "gas", "p2", "late", "p3"]


def test_greedy_keeps_the_high_priority_job_and_says_why_the_others_are_left():
    p = small_problem()
    plan = GreedyEngine().solve(p, time_limit=1)
    assert validate(p, plan) == []
    (route,) = plan.routes
    assert sorted(v.job_id for v in route.visits) == ["p1", "p2"]
    reasons = {u.job_id: u.reason for u in plan.unplanned}
    assert reasons == {
        "p3": UnplannedReason.CAPACITY,
        "gas": UnplannedReason.NO_QUALIFIED_TECHNICIAN,
        "late": UnplannedReason.WINDOW_UNREACHABLE,
    }
    assert plan.cost == route.travel_seconds + 7200 + 36000 + 7200


def test_greedy_and_ortools_keep_fixed_visits_where_they_are():
    p = small_problem(fixed=(FixedVisit("p3", 8 * H + 900),))
    for engine in (GreedyEngine(), ORToolsEngine()):
        plan = engine.solve(p, time_limit=1)
        assert validate(p, plan) == [], engine.name
        assert plan.routes[0].visits[0].job_id == "p3" and plan.routes[0].visits[0].start == 8 * H + 900


def test_ortools_finds_the_same_best_morning():
    p = small_problem()
    plan = ORToolsEngine().solve(p, time_limit=1)
    assert validate(p, plan) == []
    assert sorted(v.job_id for v in plan.routes[0].visits) == ["p1", "p2"]
    assert {u.job_id for u in plan.unplanned} == {"p3", "gas", "late"}
    assert plan.stats["repaired_drops"] == 0


@pytest.mark.skipif(not SOLOMON.exists(), reason="benchmark data not present")
def test_both_engines_give_valid_complete_solomon_plans():
    inst = read_instance(SOLOMON / "RC101.txt")
    for engine in (GreedyEngine(), ORToolsEngine()):
        plan = engine.solve(inst.problem, time_limit=2)
        assert validate(inst.problem, plan) == [], engine.name
        assert not plan.unplanned
        assert plan.cost / inst.scale >= 1619.8  # RC101's best known


def test_the_field_day_is_seeded_and_realistic():
    p = generate_field_day(technicians=20, jobs=300, seed=7)
    again = generate_field_day(technicians=20, jobs=300, seed=7)
    assert p.jobs == again.jobs and p.technicians == again.technicians
    assert generate_field_day(technicians=20, jobs=300, seed=8).jobs != p.jobs
    shifts = [s for t in p.technicians for s in t.shifts]
    assert {(s.start, s.end, s.max_overtime, s.overtime_cost_factor) for s in shifts} == {
        (8 * H, 17 * H, H, 1.5)
    }
    assert all(s.start_location == s.end_location for s in shifts)
    assert len({s.start_location for s in shifts}) == 20  # every technician from their own home
    assert {(s.break_.duration, s.break_.window.start, s.break_.window.end) for s in shifts} == {
        (1800, 11 * H + 1800, 14 * H)
    }
    windows = [j.window for j in p.jobs if j.window]
    assert 0.5 < len(windows) / 300 < 0.7 and {w.end - w.start for w in windows} == {2 * H}
    priorities = Counter(j.priority for j in p.jobs)
    assert 0.22 < priorities["P1"] / 300 < 0.38
    assert all(1800 <= j.duration <= 7200 for j in p.jobs)
    assert sum(j.duration for j in p.jobs) > sum(s.end - s.start for s in shifts)  # more work than time
    # Every job has someone qualified, and the metro area is some 60 x 40 km (great-circle x 1.3).
    assert all(
        any(j.skills <= t.skills for t in p.technicians) for j in p.jobs if j.pinned_technician is None
    )
    assert 40_000 < int(p.distances.max()) < 100_000


def test_ortools_and_greedy_plans_of_a_field_day_are_valid():
    p = generate_field_day(technicians=6, jobs=50, seed=3)
    for engine in (GreedyEngine(), ORToolsEngine()):
        plan = engine.solve(p, time_limit=2)
        assert validate(p, plan) == [], engine.name
        assert plan.unplanned  # more work than the day holds
