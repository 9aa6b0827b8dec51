"""Re-planning an urgent job and offering booking slots, on hand-checkable problems."""

from __future__ import annotations

import dataclasses

import pytest

from steward.dispatch.optimiser.problem import FixedVisit, Plan, TimeWindow
from steward.dispatch.optimiser.pyvrp_engine import PyVRPEngine
from steward.dispatch.optimiser.replan import diff_plans, insert_urgent
from steward.dispatch.optimiser.schedule import schedule_route
from steward.dispatch.optimiser.slots import available_slots, candidate_slots

from .fieldday import field_day
from .line import HOUR, LEG, job, line_problem, shift, tech
from .test_schedule import check_consistent


def plan_of(problem, sequences):
    routes = [schedule_route(problem, problem.shift(sid), seq).route for sid, seq in sequences.items()]
    assert all(routes)
    planned = {j for seq in sequences.values() for j in seq}
    return Plan(routes=routes, unplanned=[j for j in problem.jobs if j.id not in planned])


def test_an_urgent_job_that_fits_moves_nobody_else():
    s1, s2 = shift("s1", "t1", home=0), shift("s2", "t2", home=7)
    jobs = [job("a", 1), job("b", 2), job("c", 6), job("urgent", 3, duration=1800, penalty=72_000)]
    p = line_problem(jobs, [tech("t1", (), [s1]), tech("t2", (), [s2])])
    published = plan_of(p, {"s1": ["a", "b"], "s2": ["c"]})
    plan, moves = insert_urgent(p, published, "urgent", time_limit=2)
    assert plan.stats["step"] == "insert"
    # Only the urgent job is new; a and b keep shift and order (b after urgent? then retimed).
    kinds = {m.job_id: m.kind for m in moves}
    assert kinds["urgent"] == "added"
    assert all(k in ("added", "retimed") for k in kinds.values())
    before = {v.job_id: r.shift_id for r in published.routes for v in r.visits}
    after = {v.job_id: r.shift_id for r in plan.routes for v in r.visits}
    assert all(after[j] == s for j, s in before.items())
    for r in plan.routes:
        check_consistent(p, p.shift(r.shift_id), r)


def test_an_urgent_job_that_fits_after_the_last_visit_changes_no_time():
    s1 = shift("s1", "t1", home=0)
    # a must start by 8:10 (the earliest it can), so the urgent job can only go after it.
    jobs = [job("a", 1, window=(8 * HOUR, 8 * HOUR + LEG)), job("urgent", 1, duration=1800, penalty=72_000)]
    p = line_problem(jobs, [tech("t1", (), [s1])])
    published = plan_of(p, {"s1": ["a"]})
    _plan, moves = insert_urgent(p, published, "urgent", time_limit=2)
    assert [m.job_id for m in moves] == ["urgent"]


def test_when_nothing_fits_one_job_is_swapped_out_and_moved():
    # t1's day is full of 2-hour jobs at 1 (8:10-16:10, back 16:20 = shift end); the urgent
    # job must start by 8:30 at 1. t2 (home 5, free) is there at 8:40 at the earliest: too
    # late for the urgent job, fine for one of t1's.
    s1 = shift("s1", "t1", home=0, end=16 * HOUR + 1200)
    s2 = shift("s2", "t2", home=5)
    jobs = [job(x, 1, duration=2 * HOUR) for x in "abcd"]
    jobs.append(job("urgent", 1, duration=HOUR, window=(8 * HOUR, 8 * HOUR + 1800), penalty=72_000))
    jobs[0] = dataclasses.replace(jobs[0], window=TimeWindow(8 * HOUR, 17 * HOUR))
    p = line_problem(jobs, [tech("t1", (), [s1]), tech("t2", (), [s2])])
    published = plan_of(p, {"s1": ["a", "b", "c", "d"]})
    plan, moves = insert_urgent(p, published, "urgent", time_limit=3)
    assert plan.stats["step"] == "swap"
    assert "urgent" in plan.planned_job_ids()
    reassigned = [m for m in moves if m.kind == "reassigned"]
    assert len(reassigned) == 1 and reassigned[0].to_shift == "s2"
    assert not [m for m in moves if m.kind == "dropped"]


def test_started_jobs_stay_fixed_when_replanning():
    # t1 is on site at `started` (place 2) since 9:00: the caller puts the shift's start there.
    s1 = shift("s1", "t1", home=0, fixed=(FixedVisit("started", 9 * HOUR),))
    s1 = dataclasses.replace(s1, start=9 * HOUR, start_location=2)
    jobs = [job("started", 2), job("b", 3), job("urgent", 2, duration=1800, penalty=72_000)]
    p = line_problem(jobs, [tech("t1", (), [s1])])
    published = plan_of(p, {"s1": ["started", "b"]})
    plan, moves = insert_urgent(p, published, "urgent", time_limit=2)
    route = plan.route_for("s1")
    assert route.visits[0].job_id == "started" and route.visits[0].start == 9 * HOUR
    assert "started" not in {m.job_id for m in moves}


def test_diff_plans_reports_drops_and_additions():
    p = line_problem([job("a", 1), job("b", 2)], [tech("t1", (), [shift()])])
    one = plan_of(p, {"s1": ["a"]})
    two = plan_of(p, {"s1": ["b"]})
    kinds = {m.job_id: m.kind for m in diff_plans(one, two)}
    assert kinds == {"a": "dropped", "b": "added"}


def test_slots_follow_the_plan_not_a_grid():
    # One technician, busy 8:10-12:10 at place 1 and 13:00-16:00 at place 2.
    s1 = shift("s1", "t1", home=0)
    jobs = [
        job("morning", 1, duration=4 * HOUR),
        job("afternoon", 2, duration=3 * HOUR, window=(13 * HOUR, 13 * HOUR)),
    ]
    p = line_problem(jobs, [tech("t1", (), [s1])])
    plan = plan_of(p, {"s1": ["morning", "afternoon"]})
    new = job("new", 1, duration=1800)
    slots = available_slots(p, plan, new, slot_length=HOUR, candidates=range(8 * HOUR, 17 * HOUR, HOUR))
    offered = [s.start // HOUR for s in slots]
    # 8:00-9:00 fits before the morning job (which has no window: it ends 12:40, in time for
    # 13:00); 12:00-13:00 fits (12:10 at place 1, done 12:40, 10 min to place 2); 16:00 fits
    # (back by 17:00). 9:00-12:00 would push the morning job past 13:00; 13:00-16:00 is taken.
    assert offered == [8, 12, 16]
    # Each offered slot really is feasible: book it and re-time the route.
    for slot in slots:
        booked = dataclasses.replace(new, window=TimeWindow(slot.start, slot.end))
        p2 = dataclasses.replace(p, jobs=[*p.jobs, booked])
        route = plan.route_for(slot.shift_id)
        seqs = [v.job_id for v in route.visits]
        ok = any(
            schedule_route(p2, p2.shift(slot.shift_id), [*seqs[:i], "new", *seqs[i:]]).feasible
            for i in range(len(seqs) + 1)
        )
        assert ok and slot.start <= slot.expected_start <= slot.end


def test_slots_need_a_qualified_technician():
    s1 = shift("s1", "t1")
    p = line_problem([job("x", 1)], [tech("t1", ("elec",), [s1])])
    plan = plan_of(p, {"s1": ["x"]})
    gas = job("new", 2, skills=frozenset({"gas"}))
    assert available_slots(p, plan, gas, slot_length=2 * HOUR) == []
    elec = job("new", 2, skills=frozenset({"elec"}), duration=1800)
    assert available_slots(p, plan, elec, slot_length=2 * HOUR)
    with pytest.raises(ValueError):
        available_slots(p, plan, elec, slot_length=0)


def test_candidate_slots_span_the_shifts():
    p = line_problem([], [tech("t1", (), [shift(start=8 * HOUR, end=12 * HOUR)])])
    assert candidate_slots(p, 2 * HOUR) == [8 * HOUR, 10 * HOUR]


def test_slots_on_an_optimised_field_day_are_each_feasible():
    p = field_day(4, 40, seed=5)
    plan = PyVRPEngine().solve(p, time_limit=0.5)
    new = job("booking", 3, duration=3600)
    new = dataclasses.replace(new, location=p.jobs[0].location)
    slots = available_slots(p, plan, new, slot_length=2 * HOUR)
    for slot in slots:
        assert slot.start <= slot.expected_start <= slot.end
        assert p.shift(slot.shift_id).technician == slot.technician
