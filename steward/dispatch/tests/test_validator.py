"""The validator: a valid hand-made plan passes; each hard constraint broken once gives exactly its code.

The world: four places on a line, 600 s / 1 km apart; technician A (hvac, electrical) and B
(plumbing) start and end at home (place 0), 8:00-17:00 with up to an hour of overtime and a 30-min
break starting within 11:30-14:00.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from steward.dispatch.optimiser import validator as v
from steward.dispatch.optimiser.problem import (
    Break,
    FixedVisit,
    Job,
    Location,
    Plan,
    Problem,
    Route,
    Shift,
    Technician,
    TimeWindow,
    Unplanned,
    UnplannedReason,
    Visit,
)
from steward.dispatch.optimiser.validator import validate

H = 3600
LEG = 600


def problem(jobs=None, shift_a=None, shift_b=None) -> Problem:
    durations = [[abs(i - j) * LEG for j in range(4)] for i in range(4)]
    distances = [[abs(i - j) * 1000 for j in range(4)] for i in range(4)]
    lunch = Break(1800, TimeWindow(11 * H + 1800, 14 * H))
    a = shift_a or Shift("A/0", "A", 0, 8 * H, 17 * H, 0, 0, max_overtime=H, break_=lunch)
    b = shift_b or Shift("B/0", "B", 0, 8 * H, 17 * H, 0, 0, max_overtime=H, break_=lunch)
    default_jobs = [
        Job("j1", 1, H, 7200, frozenset({"hvac"}), TimeWindow(9 * H, 11 * H)),
        Job("j2", 2, H, 7200),
        Job("j3", 3, H, 7200, frozenset({"plumbing"})),
        Job("j4", 1, H, 7200, frozenset({"refrigeration"})),
        Job("j5", 2, H, 36000, priority="P1"),
    ]
    return Problem(
        origin=None,
        locations=[Location(0, i * 0.01) for i in range(4)],
        durations=durations,
        distances=distances,
        jobs=jobs or default_jobs,
        technicians=[
            Technician("A", frozenset({"hvac", "electrical"}), (a,)),
            Technician("B", frozenset({"plumbing"}), (b,)),
        ],
    )


def route(p: Problem, shift_id: str, stops, *, break_at=None, depart=None, arrive=None) -> Route:
    """A route leaving as early as possible for each stop (given its start), back right away
    after the last visit or the break, whichever is later, unless `arrive` says otherwise."""
    shift = p.shift(shift_id)
    depart = shift.start if depart is None else depart
    here, free, visits, ts, tm = shift.start_location, depart, [], 0, 0
    for job_id, start in stops:
        job = p.job(job_id)
        leg = p.durations[here][job.location]
        meters = p.distances[here][job.location]
        late = max(0, start - job.soft_deadline) if job.soft_deadline is not None else 0
        visits.append(Visit(job_id, free + leg, start, start + job.duration, leg, meters, late))
        ts, tm, here, free = ts + leg, tm + meters, job.location, start + job.duration
    back = p.durations[here][shift.end_location]
    if break_at is not None and break_at >= free:
        free = break_at + shift.break_.duration
    arrive = free + back if arrive is None else arrive
    return Route(
        shift_id,
        shift.technician,
        shift.day,
        visits,
        depart,
        arrive,
        break_at,
        ts + back,
        tm + p.distances[here][shift.end_location],
        max(0, arrive - shift.end),
    )


def plan_of(p: Problem, routes, unplanned) -> Plan:
    """The plan with its cost computed here, by the problem's definition."""
    planned = {vi.job_id for r in routes for vi in r.visits}
    cost = 0
    for r in routes:
        shift = p.shift(r.shift_id)
        cost += r.travel_seconds + round(r.overtime_seconds * shift.overtime_cost_factor)
        cost += sum(p.job(vi.job_id).lateness_penalty for vi in r.visits if vi.late_by > 0)
    cost += sum(j.penalty for j in p.jobs if j.id not in planned)
    return Plan(routes, unplanned, cost)


UNPLANNED = [
    Unplanned("j4", UnplannedReason.NO_QUALIFIED_TECHNICIAN),
    Unplanned("j5", UnplannedReason.CAPACITY),
]


def valid_plan(p: Problem | None = None) -> tuple[Problem, Plan]:
    p = p or problem()
    a = route(p, "A/0", [("j1", 9 * H), ("j2", 10 * H + 2 * LEG)], break_at=11 * H + 1800)
    b = route(p, "B/0", [("j3", 8 * H + 3 * LEG)], break_at=11 * H + 1800)
    return p, plan_of(p, [a, b], list(UNPLANNED))


def codes(p: Problem, plan: Plan) -> list[str]:
    return sorted(x.code for x in validate(p, plan))


def test_the_valid_plan_has_the_expected_figures_and_no_violation():
    p, plan = valid_plan()
    a, b = plan.routes
    # A: home -> j1 (wait until 9:00) -> j2 -> lunch on site -> home.
    assert [(x.arrival, x.start, x.end) for x in a.visits] == [
        (8 * H + LEG, 9 * H, 10 * H),
        (10 * H + LEG, 10 * H + 2 * LEG, 11 * H + 2 * LEG),
    ]
    assert (a.travel_seconds, a.travel_meters, a.arrive) == (4 * LEG, 4000, 12 * H + 2 * LEG)
    assert b.travel_seconds == 6 * LEG
    assert plan.cost == 10 * LEG + 7200 + 36000
    assert validate(p, plan) == []


def test_a_soft_deadline_missed_and_reported_with_its_penalty_is_valid():
    p = problem()
    p.jobs[1] = replace(p.jobs[1], soft_deadline=10 * H, lateness_penalty=500)
    p, plan = valid_plan(p)
    assert plan.routes[0].visits[1].late_by == 2 * LEG
    assert validate(p, plan) == []


def test_a_break_taken_at_home_after_the_last_visit_is_valid():
    p = problem()
    b = route(p, "B/0", [("j3", 8 * H + 3 * LEG)])
    b.break_start = 12 * H  # B is home from 9:50
    a = route(p, "A/0", [("j1", 9 * H), ("j2", 10 * H + 2 * LEG)], break_at=11 * H + 1800)
    assert validate(p, plan_of(p, [a, b], list(UNPLANNED))) == []


def test_overtime_within_the_bound_is_valid_and_costed():
    p = problem()
    a = route(p, "A/0", [("j1", 9 * H), ("j2", 16 * H + 1800)], break_at=11 * H + 1800)
    assert a.overtime_seconds == 1800 + 2 * LEG
    plan = plan_of(p, [a], [*UNPLANNED, Unplanned("j3", UnplannedReason.CAPACITY)])
    assert plan.cost == 4 * LEG + round((1800 + 2 * LEG) * 1.5) + 7200 * 2 + 36000
    assert validate(p, plan) == []


def test_fixed_visits_kept_are_valid():
    p = problem(
        shift_a=Shift(
            "A/0",
            "A",
            0,
            8 * H,
            17 * H,
            0,
            0,
            max_overtime=H,
            break_=Break(1800, TimeWindow(41400, 50400)),
            fixed=(FixedVisit("j1", 9 * H),),
        )
    )
    p, plan = valid_plan(p)
    assert validate(p, plan) == []


def mutate_visit(plan: Plan, r: int, i: int, **changes) -> Plan:
    plan.routes[r].visits[i] = replace(plan.routes[r].visits[i], **changes)
    return plan


def _broken_cases():
    """(name, problem, plan, expected code) for each rule broken once."""
    cases = []

    def add(name, code, build):
        cases.append(pytest.param(build, code, id=name))

    def twice():
        p = problem()
        a = route(
            p,
            "A/0",
            [("j1", 9 * H), ("j2", 10 * H + 2 * LEG), ("j2", 11 * H + 2 * LEG)],
            break_at=12 * H + 2 * LEG,
        )
        b = route(p, "B/0", [("j3", 8 * H + 3 * LEG)], break_at=41400)
        return p, plan_of(p, [a, b], list(UNPLANNED))

    add("job twice", v.JOB_TWICE, twice)

    def unknown_job():
        p, plan = valid_plan()
        plan.unplanned.append(Unplanned("zz", UnplannedReason.CAPACITY))
        return p, plan

    add("unknown job", v.UNKNOWN_JOB, unknown_job)

    def required():
        p = problem()
        p.jobs[4] = replace(p.jobs[4], required=True)
        return valid_plan(p)

    add("required unplanned", v.REQUIRED_UNPLANNED, required)

    def missing():
        p, plan = valid_plan()
        plan.unplanned = plan.unplanned[:1]
        return p, plan

    add("job missing", v.JOB_MISSING, missing)

    def both():
        p, plan = valid_plan()
        plan.unplanned.append(Unplanned("j1", UnplannedReason.CAPACITY))
        return p, plan

    add("planned and unplanned", v.PLANNED_AND_UNPLANNED, both)

    def unplanned_twice():
        p, plan = valid_plan()
        plan.unplanned.append(Unplanned("j5", UnplannedReason.CAPACITY))
        return p, plan

    add("unplanned twice", v.UNPLANNED_TWICE, unplanned_twice)

    def reason_contradicted():
        p, plan = valid_plan()
        plan.unplanned[0] = Unplanned("j4", UnplannedReason.CAPACITY)  # nobody holds refrigeration
        return p, plan

    add("reason: capacity but nobody qualified", v.UNPLANNED_REASON, reason_contradicted)

    def reason_false():
        p, plan = valid_plan()
        plan.unplanned[1] = Unplanned("j5", UnplannedReason.NO_QUALIFIED_TECHNICIAN)
        return p, plan

    add("reason: nobody qualified but someone is", v.UNPLANNED_REASON, reason_false)

    def no_reason():
        p, plan = valid_plan()
        plan.unplanned[1] = Unplanned("j5", None)
        return p, plan

    add("reason missing", v.UNPLANNED_REASON, no_reason)

    def skills():
        p = problem()
        p.jobs[1] = replace(p.jobs[1], skills=frozenset({"plumbing"}))
        return valid_plan(p)

    add("skills", v.SKILLS, skills)

    def pinned_tech():
        p = problem()
        p.jobs[1] = replace(p.jobs[1], pinned_technician="B")
        return valid_plan(p)

    add("pinned technician", v.PINNED_TECHNICIAN, pinned_tech)

    def pinned_start():
        p = problem()
        p.jobs[0] = replace(p.jobs[0], pinned_start=9 * H + 60)
        return valid_plan(p)

    add("pinned start", v.PINNED_START, pinned_start)

    def window():
        p = problem()
        p.jobs[0] = replace(p.jobs[0], window=TimeWindow(9 * H + 60, 11 * H))
        return valid_plan(p)

    add("window", v.WINDOW, window)

    def leg():
        p, plan = valid_plan()
        return p, mutate_visit(plan, 0, 0, travel_seconds=LEG + 1)

    add("travel leg", v.TRAVEL_LEG, leg)

    def too_early():
        p, plan = valid_plan()
        return p, mutate_visit(plan, 0, 0, arrival=8 * H + LEG - 1)

    add("arrival too early", v.TOO_EARLY, too_early)

    def start_before_arrival():
        p, plan = valid_plan()
        return p, mutate_visit(plan, 0, 0, arrival=9 * H + 1)

    add("start before arrival", v.START_BEFORE_ARRIVAL, start_before_arrival)

    def service():
        p, plan = valid_plan()
        return p, mutate_visit(plan, 0, 0, end=10 * H - 1)

    add("service time", v.SERVICE_TIME, service)

    def overlap():
        p, plan = valid_plan()
        return p, mutate_visit(plan, 0, 1, arrival=9 * H + 1800, start=9 * H + 1800, end=10 * H + 1800)

    add("overlap", v.OVERLAP, overlap)

    def lateness():
        p = problem()
        p.jobs[1] = replace(p.jobs[1], soft_deadline=10 * H, lateness_penalty=500)
        p, plan = valid_plan(p)
        return p, mutate_visit(plan, 0, 1, late_by=0)

    add("lateness misreported", v.LATENESS, lateness)

    def shift_start():
        p, plan = valid_plan()
        plan.routes[0].depart = 8 * H - 1
        return p, plan

    add("shift start", v.SHIFT_START, shift_start)

    def shift_end():
        p = problem()
        a = route(p, "A/0", [("j1", 9 * H), ("j2", 17 * H)], break_at=11 * H + 1800)
        return p, plan_of(p, [a], [*UNPLANNED, Unplanned("j3", UnplannedReason.CAPACITY)])

    add("shift end", v.SHIFT_END, shift_end)

    def back_too_soon():
        p = problem()
        a = route(p, "A/0", [("j1", 9 * H), ("j2", 10 * H + 2 * LEG)], arrive=11 * H + 4 * LEG - 1)
        a.break_start = 12 * H  # at home afterwards
        b = route(p, "B/0", [("j3", 8 * H + 3 * LEG)], break_at=41400)
        return p, plan_of(p, [a, b], list(UNPLANNED))

    add("return", v.RETURN, back_too_soon)

    def overtime():
        p, plan = valid_plan()
        plan.routes[0].overtime_seconds = 100
        return p, plan

    add("overtime misreported", v.OVERTIME, overtime)

    def break_missing():
        p, plan = valid_plan()
        plan.routes[0].break_start = None
        return p, plan

    add("break missing", v.BREAK_MISSING, break_missing)

    def break_unexpected():
        _, plan = valid_plan()
        return problem(shift_b=Shift("B/0", "B", 0, 8 * H, 17 * H, 0, 0, max_overtime=H)), plan

    add("break on a shift without one", v.BREAK_UNEXPECTED, break_unexpected)

    def break_window():
        p, plan = valid_plan()
        plan.routes[0].break_start = 11 * H + 1800 - 1
        return p, plan

    add("break window", v.BREAK_WINDOW, break_window)

    def break_overlap():
        p, plan = valid_plan()
        plan.routes[0].arrive = 11 * H + 1800 + 600  # drives home during the break
        plan.routes[0].overtime_seconds = 0
        return p, plan

    add("break overlaps the drive", v.BREAK_OVERLAP, break_overlap)

    def capacity():
        p = problem(
            shift_a=Shift(
                "A/0",
                "A",
                0,
                8 * H,
                17 * H,
                0,
                0,
                max_overtime=H,
                break_=Break(1800, TimeWindow(41400, 50400)),
                capacity=5,
            )
        )
        p.jobs[0] = replace(p.jobs[0], demand=3)
        p.jobs[1] = replace(p.jobs[1], demand=3)
        return valid_plan(p)

    add("capacity", v.CAPACITY, capacity)

    def fixed_moved_time():
        p = problem(
            shift_a=Shift(
                "A/0",
                "A",
                0,
                8 * H,
                17 * H,
                0,
                0,
                max_overtime=H,
                break_=Break(1800, TimeWindow(41400, 50400)),
                fixed=(FixedVisit("j1", 9 * H + 60),),
            )
        )
        return valid_plan(p)

    add("fixed visit moved in time", v.FIXED_MOVED, fixed_moved_time)

    def fixed_moved_shift():
        p = problem(
            shift_b=Shift(
                "B/0",
                "B",
                0,
                8 * H,
                17 * H,
                0,
                0,
                max_overtime=H,
                break_=Break(1800, TimeWindow(41400, 50400)),
                fixed=(FixedVisit("j2", 10 * H + 2 * LEG),),
            )
        )
        return valid_plan(p)

    add("fixed visit on another shift", v.FIXED_MOVED, fixed_moved_shift)

    def route_travel():
        p, plan = valid_plan()
        plan.routes[0].travel_meters += 1
        return p, plan

    add("route travel misreported", v.ROUTE_TRAVEL, route_travel)

    def cost():
        p, plan = valid_plan()
        plan.cost += 10
        return p, plan

    add("cost misreported", v.COST, cost)

    def unknown_shift():
        p, plan = valid_plan()
        plan.routes.append(Route("X/0", "X", 0, [], 8 * H, 8 * H))
        return p, plan

    add("unknown shift", v.UNKNOWN_SHIFT, unknown_shift)

    def duplicate_route():
        p, plan = valid_plan()
        plan.routes.append(Route("B/0", "B", 0, [], 8 * H, 8 * H))
        return p, plan

    add("two routes on one shift", v.DUPLICATE_ROUTE, duplicate_route)

    def identity():
        p, plan = valid_plan()
        plan.routes[1].technician = "A"
        return p, plan

    add("route identity", v.ROUTE_IDENTITY, identity)
    return cases


@pytest.mark.parametrize(("build", "code"), _broken_cases())
def test_each_rule_broken_once_gives_exactly_its_violation(build, code):
    p, plan = build()
    found = validate(p, plan)
    assert [x.code for x in found] == [code], found
    assert found[0].message
