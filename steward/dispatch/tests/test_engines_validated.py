"""Every engine's plan passes the independent validator on field days that use every feature of the
problem: skills, booked slots, breaks, overtime, pins to a technician and in time, required jobs,
soft deadlines and fixed (started) visits."""

from __future__ import annotations

from dataclasses import replace

import pytest

from steward.dispatch.optimiser.fieldgen import generate_field_day
from steward.dispatch.optimiser.greedy import GreedyEngine
from steward.dispatch.optimiser.ortools_engine import ORToolsEngine
from steward.dispatch.optimiser.problem import FixedVisit, Problem, Technician, TimeWindow
from steward.dispatch.optimiser.pyvrp_engine import PyVRPEngine
from steward.dispatch.optimiser.validator import validate

H = 3600


def featured_day(seed: int) -> Problem:
    p = generate_field_day(technicians=4, jobs=28, seed=seed)
    jobs = list(p.jobs)
    tech = p.technicians[0]
    shift = tech.shifts[0]
    own = [i for i, j in enumerate(jobs) if j.skills <= tech.skills and j.pinned_technician is None]
    # A started job: fixed on the first technician's shift at 8:00 + the drive there.
    f = own[0]
    start = shift.start + int(p.durations[shift.start_location][jobs[f].location])
    jobs[f] = replace(jobs[f], window=None, required=True, pinned_technician=tech.id)
    # A job pinned in time (by the customer) and one pinned to the technician.
    jobs[own[1]] = replace(jobs[own[1]], window=None, pinned_start=15 * H)
    jobs[own[2]] = replace(jobs[own[2]], pinned_technician=tech.id)
    # Soft deadlines inside booked slots, and a must-do job.
    slotted = [
        i
        for i, j in enumerate(jobs)
        if j.window is not None and i not in own[:3] and any(j.skills <= t.skills for t in p.technicians)
    ]
    for i in slotted[:3]:
        jobs[i] = replace(jobs[i], soft_deadline=jobs[i].window.start + 1800, lateness_penalty=2400)
    jobs[slotted[3]] = replace(jobs[slotted[3]], required=True, window=TimeWindow(9 * H, 16 * H))
    fixed_shift = replace(shift, fixed=(FixedVisit(jobs[f].id, start),))
    technicians = [Technician(tech.id, tech.skills, (fixed_shift,), tech.label), *p.technicians[1:]]
    return replace(p, jobs=jobs, technicians=technicians)


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("engine", [PyVRPEngine, ORToolsEngine, GreedyEngine], ids=lambda e: e.name)
def test_every_engine_plan_is_valid(engine, seed):
    p = featured_day(seed)
    plan = engine().solve(p, time_limit=1, seed=seed)
    assert validate(p, plan) == []
    fixed = p.technicians[0].shifts[0].fixed[0]
    route = plan.route_for(p.technicians[0].shifts[0].id)
    assert route.visits[0].job_id == fixed.job_id and route.visits[0].start == fixed.start
    assert plan.unplanned  # more work than the day holds: the plan had to choose
