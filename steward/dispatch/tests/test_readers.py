"""Readers: Solomon and VRPLIB instances become our Problem under the DIMACS convention, and the
published best-known routes, timed by hand here and checked by the validator, cost exactly the
published figure."""

from __future__ import annotations

from pathlib import Path

import pytest

from steward.dispatch.optimiser.problem import Plan, Problem, Route, Visit
from steward.dispatch.optimiser.readers import read_best_known, read_instance, route_numbers, write_sol
from steward.dispatch.optimiser.validator import validate

SOLOMON = Path("/work/shared/bench/solomon")
DATA = Path(__file__).parent / "data"
needs_solomon = pytest.mark.skipif(not SOLOMON.exists(), reason="benchmark data not present")


def plan_from_routes(problem: Problem, routes: list[list[int]]) -> Plan:
    """Each route driven as early as possible (waiting on site for a window), no break."""
    out, cost = [], 0
    for k, clients in enumerate(routes):
        shift = problem.technicians[k].shifts[0]
        here, t, visits, travel = shift.start_location, shift.start, [], 0
        for c in clients:
            job = problem.job(str(c))
            leg = problem.durations[here][job.location]
            arrival = t + leg
            start = max(arrival, job.window.start if job.window else arrival)
            visits.append(
                Visit(
                    job.id, arrival, start, start + job.duration, leg, problem.distances[here][job.location]
                )
            )
            here, t, travel = job.location, start + job.duration, travel + leg
        back = problem.durations[here][shift.end_location]
        out.append(
            Route(
                shift.id,
                shift.technician,
                0,
                visits,
                shift.start,
                t + back,
                None,
                travel + back,
                travel + back,
            )
        )
        cost += travel + back
    return Plan(out, [], cost)


@needs_solomon
def test_solomon_c101_in_the_dimacs_convention():
    inst = read_instance(SOLOMON / "C101.txt")
    p = inst.problem
    assert (inst.scale, inst.vehicles, len(p.jobs), len(p.technicians)) == (10, 25, 100, 25)
    shift = p.technicians[0].shifts[0]
    assert (shift.start, shift.end, shift.capacity, shift.start_location) == (0, 12360, 200, 0)
    first = p.job("1")  # 45,68, demand 10, window 912-967, service 90
    assert (first.location, first.demand, first.duration) == (1, 10, 900)
    assert (first.window.start, first.window.end, first.required) == (9120, 9670, True)
    # floor(10 * euclid((40, 50), (45, 68))) = floor(186.815...) = 186
    assert p.durations[0][1] == p.distances[0][1] == 186


@needs_solomon
@pytest.mark.parametrize("name", ["C101", "R101", "RC208", "R211"])
def test_best_known_routes_validate_and_cost_the_published_figure(name, tmp_path):
    inst = read_instance(SOLOMON / f"{name}.txt")
    best, routes = read_best_known(SOLOMON / f"{name}.sol")
    plan = plan_from_routes(inst.problem, routes)
    assert validate(inst.problem, plan) == []
    assert plan.cost / inst.scale == pytest.approx(best, abs=1e-6)
    write_sol(tmp_path / "out.sol", plan, inst.problem, scale=inst.scale)
    again_cost, again_routes = read_best_known(tmp_path / "out.sol")
    assert again_routes == routes == route_numbers(plan, inst.problem)
    assert again_cost == pytest.approx(best)


def test_vrplib_allowed_vehicles_become_skills_and_prizes_optional_jobs():
    p = read_instance(DATA / "tiny-sd.vrp").problem
    skills = {t.id: t.skills for t in p.technicians}
    qualified = {j.id: sorted(t for t, s in skills.items() if j.skills <= s) for j in p.jobs}
    # VEHICLES_ALLOWED_CLIENTS_SECTION: vehicle 1 -> 2 3 4 5, vehicle 2 -> 3 4, vehicle 3 -> 5
    assert qualified == {
        "1": ["vehicle-1"],
        "2": ["vehicle-1", "vehicle-2"],
        "3": ["vehicle-1", "vehicle-2"],
        "4": ["vehicle-1", "vehicle-3"],
    }
    optional = {j.id: (j.required, j.penalty) for j in p.jobs if not j.required}
    assert optional == {"3": (False, 70)}  # prize 7, x10 under DIMACS
    assert all(j.required for j in p.jobs if j.id != "3")


def test_an_unknown_convention_is_refused():
    with pytest.raises(ValueError, match="convention"):
        read_instance(DATA / "tiny-sd.vrp", convention="furlongs")
