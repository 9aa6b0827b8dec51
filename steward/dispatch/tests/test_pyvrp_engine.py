"""The PyVRP engine on small problems: hard constraints kept, the right jobs dropped for the
right reasons, and the time limit kept including set-up."""

from __future__ import annotations

import time
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from steward.dispatch.optimiser.problem import FixedVisit, UnplannedReason, default_penalty
from steward.dispatch.optimiser.pyvrp_engine import PyVRPEngine, build_model, cost_scale
from steward.dispatch.optimiser.schedule import plan_cost, schedule_route

from .fieldday import field_day
from .line import HOUR, job, line_problem, shift, tech
from .test_schedule import check_consistent

ENGINE = PyVRPEngine()


def solve(problem, limit=0.5):
    plan = ENGINE.solve(problem, time_limit=limit, seed=1)
    # Every plan is self-consistent: each route re-times to itself, and the cost adds up.
    for route in plan.routes:
        s = problem.shift(route.shift_id)
        check_consistent(problem, s, route)
        again = schedule_route(problem, s, [v.job_id for v in route.visits])
        assert again.route == route
    assert plan.cost == plan_cost(problem, plan)
    ids = [v.job_id for r in plan.routes for v in r.visits] + [u.job_id for u in plan.unplanned]
    assert sorted(ids) == sorted(j.id for j in problem.jobs)
    return plan


def where(plan):
    return {v.job_id: r.technician for r in plan.routes for v in r.visits}


def test_skills_decide_who_goes():
    jobs = [job(f"g{i}", 1 + i % 3, skills=frozenset({"gas"}), duration=1800) for i in range(4)]
    jobs += [job(f"e{i}", 4 + i % 3, skills=frozenset({"elec"}), duration=1800) for i in range(4)]
    p = line_problem(
        jobs,
        [
            tech("gasman", ("gas",), [shift("a", "gasman", home=0)]),
            tech("sparky", ("elec",), [shift("b", "sparky", home=0)]),
        ],
    )
    plan = solve(p)
    assert not plan.unplanned
    for job_id, technician in where(plan).items():
        assert technician == ("gasman" if job_id.startswith("g") else "sparky")
    assert plan.stats["profiles"] == 2


def test_technicians_with_the_same_skills_share_a_profile():
    jobs = [job(f"j{i}", 1 + i % 6, skills=frozenset({"gas"}), duration=1800) for i in range(6)]
    techs = [tech(f"t{i}", ("gas", "elec"), [shift(f"s{i}", f"t{i}", home=i)]) for i in range(5)]
    techs.append(tech("apprentice", (), [shift("s9", "apprentice")]))
    model = build_model(line_problem(jobs, techs), [j.id for j in jobs], [t.shifts[0] for t in techs])
    assert model.num_profiles == 2


def test_a_pin_to_a_technician_is_kept():
    jobs = [
        job("pinned", 1, pinned_technician="far", duration=1800, penalty=36_000),
        job("free", 1, duration=1800),
    ]
    p = line_problem(
        jobs,
        [
            tech("near", (), [shift("n", "near", home=1)]),
            tech("far", (), [shift("f", "far", home=7)]),
        ],
    )
    plan = solve(p)
    # (free may ride along with far: it is on the way.)
    assert where(plan)["pinned"] == "far"


def test_high_priority_is_dropped_last_when_the_day_is_full():
    # One technician, 8 hours, twelve 1-hour jobs next door: four must go, and they are P4s.
    prios = ["P1"] * 4 + ["P2"] * 2 + ["P3"] * 2 + ["P4"] * 4
    jobs = [
        job(f"j{i}", 1, duration=HOUR, priority=pr, penalty=default_penalty(pr)) for i, pr in enumerate(prios)
    ]
    p = line_problem(jobs, [tech("t1", (), [shift(end=16 * HOUR + 1200)])])
    plan = solve(p)
    dropped = Counter(p.job(u.job_id).priority for u in plan.unplanned)
    assert dropped == Counter({"P4": 4})
    assert {u.reason for u in plan.unplanned} == {UnplannedReason.CAPACITY}


def test_every_route_takes_its_lunch_break_inside_the_window():
    p = field_day(4, 40, seed=3)
    plan = solve(p, limit=1.0)
    assert plan.routes
    for route in plan.routes:
        brk = p.shift(route.shift_id).break_
        assert brk.window.start <= route.break_start <= brk.window.end


def test_unplanned_jobs_say_why():
    jobs = [
        job("needs-lifts", 1, skills=frozenset({"lifts"})),
        job("before-dawn", 7, window=(6 * HOUR, 8 * HOUR)),  # 70 min away from an 8:00 start
        job("pinned-to-novice", 2, skills=frozenset({"gas"}), pinned_technician="novice"),
        *[job(f"fill{i}", 1, duration=2 * HOUR, priority="P1", penalty=36_000) for i in range(4)],
        job("extra", 2, duration=2 * HOUR, priority="P4", penalty=3600),
    ]
    p = line_problem(
        jobs,
        [
            tech("t1", ("gas",), [shift("s1", "t1", end=17 * HOUR)]),
            tech("novice", (), [shift("s2", "novice", home=7, end=8 * HOUR + 1)]),
        ],
    )
    plan = solve(p)
    reasons = {u.job_id: u.reason for u in plan.unplanned}
    assert reasons == {
        "needs-lifts": UnplannedReason.NO_QUALIFIED_TECHNICIAN,
        "pinned-to-novice": UnplannedReason.NO_QUALIFIED_TECHNICIAN,
        "before-dawn": UnplannedReason.WINDOW_UNREACHABLE,
        "extra": UnplannedReason.CAPACITY,
    }


def test_fixed_visits_stay_on_their_shift_at_their_time():
    started = 9 * HOUR
    s1 = shift("s1", "t1", home=0, fixed=(FixedVisit("started", started),))
    s2 = shift("s2", "t2", home=3)
    jobs = [job("started", 3, duration=HOUR), *[job(f"j{i}", 2 + i % 4, duration=1800) for i in range(6)]]
    p = line_problem(jobs, [tech("t1", (), [s1]), tech("t2", (), [s2])])
    plan = solve(p)
    route = plan.route_for("s1")
    visit = next(v for v in route.visits if v.job_id == "started")
    assert visit.start == started


def test_soft_deadline_met_when_it_is_worth_it():
    # Two jobs, both could go first; b is late after 9:00 and lateness costs more than travel.
    jobs = [
        job("a", 1, duration=2 * HOUR),
        job("b", 6, duration=HOUR, soft_deadline=9 * HOUR, lateness_penalty=10_000),
    ]
    p = line_problem(jobs, [tech("t1", (), [shift(home=0)])])
    plan = solve(p)
    b = next(v for r in plan.routes for v in r.visits if v.job_id == "b")
    assert b.late_by == 0 and b.start <= 9 * HOUR
    assert [v.job_id for v in plan.routes[0].visits] == ["b", "a"]


def test_overtime_is_used_only_for_work_worth_it():
    jobs = [job("a", 1, duration=8 * HOUR), job("b", 1, duration=HOUR, penalty=36_000)]
    p = line_problem(jobs, [tech("t1", (), [shift(max_overtime=2 * HOUR)])])
    plan = solve(p)
    assert not plan.unplanned
    route = plan.routes[0]
    assert 0 < route.overtime_seconds <= 2 * HOUR
    assert plan.cost == route.travel_seconds + round(route.overtime_seconds * 1.5)


def test_cost_scale_makes_overtime_factors_whole():
    assert cost_scale([shift(max_overtime=1)]) == 2  # 1.5 x 2 = 3
    assert cost_scale([shift()]) == 1  # no overtime allowed, factor irrelevant


def test_the_time_limit_covers_set_up_too():
    p = field_day(12, 150, seed=2, pins=3)
    seen = []
    t = time.perf_counter()
    plan = PyVRPEngine().solve(p, time_limit=1.0, progress=lambda f, c: seen.append((f, c)))
    elapsed = time.perf_counter() - t
    assert elapsed < 1.5
    assert plan.stats["setup_seconds"] < 1.0
    assert plan.stats["profiles"] <= 12 + 3
    assert seen and seen[-1] == (1.0, plan.cost)
    assert all(0 <= f <= 1 for f, _ in seen)


def test_a_job_may_go_on_any_day_of_its_window():
    # Five 2-hour jobs; a day holds at most four (9 h with travel), so both days are used.
    jobs = [
        job(f"j{i}", 1 + i % 5, duration=2 * HOUR, window=(8 * HOUR, 86_400 + 17 * HOUR)) for i in range(5)
    ]
    s0 = shift("d0", "t1")
    s1 = shift("d1", "t1", start=86_400 + 8 * HOUR, end=86_400 + 17 * HOUR)
    s1 = type(s1)(**{**{f: getattr(s1, f) for f in s1.__slots__}, "day": 1})
    p = line_problem(jobs, [tech("t1", (), [s0, s1])])
    plan = solve(p)
    assert not plan.unplanned
    assert {r.day for r in plan.routes} == {0, 1}


def test_a_warm_start_is_kept_or_improved():
    p = field_day(4, 40, seed=4)
    first = PyVRPEngine().solve(p, time_limit=0.5, seed=1)
    # No search at all: the warm start comes back as it was (same jobs on the same shifts).
    again = PyVRPEngine().solve(p, time_limit=2.0, initial=first, max_iterations=0)
    assert again.cost <= first.cost
    placed = {v.job_id: r.shift_id for r in first.routes for v in r.visits}
    kept = {v.job_id: r.shift_id for r in again.routes for v in r.visits}
    assert all(kept.get(j) == s for j, s in placed.items())


def test_a_solomon_like_instance_is_solved_completely():
    # 25 customers of R101 (scaled x10, DIMACS-style): every customer planned, capacity held.
    import math

    from steward.dispatch.optimiser.problem import Job, Location, Problem, Shift, Technician, TimeWindow

    rows = [
        (35, 35, 0, 0, 2300, 0),
        (41, 49, 10, 161, 171, 10),
        (35, 17, 7, 50, 60, 10),
        (55, 45, 13, 116, 126, 10),
        (55, 20, 19, 149, 159, 10),
        (15, 30, 26, 34, 44, 10),
        (25, 30, 3, 99, 109, 10),
        (20, 50, 5, 81, 91, 10),
        (10, 43, 9, 95, 105, 10),
        (55, 60, 16, 97, 107, 10),
        (30, 60, 16, 124, 134, 10),
        (20, 65, 12, 67, 77, 10),
        (50, 35, 19, 63, 73, 10),
        (30, 25, 23, 159, 169, 10),
        (15, 10, 20, 32, 42, 10),
        (30, 5, 8, 61, 71, 10),
        (10, 20, 19, 75, 85, 10),
        (5, 30, 2, 157, 167, 10),
        (20, 40, 12, 87, 97, 10),
        (15, 60, 17, 76, 86, 10),
        (45, 65, 9, 126, 136, 10),
        (45, 20, 11, 62, 72, 10),
        (45, 10, 18, 97, 107, 10),
        (55, 5, 29, 68, 78, 10),
        (65, 35, 3, 153, 163, 10),
        (65, 20, 6, 172, 182, 10),
    ]
    n = len(rows)
    dist = [[math.floor(10 * math.hypot(a[0] - b[0], a[1] - b[1])) for b in rows] for a in rows]
    jobs = [
        Job(
            f"c{i}",
            i,
            rows[i][5] * 10,
            10**6,
            window=TimeWindow(rows[i][3] * 10, rows[i][4] * 10),
            required=True,
            demand=rows[i][2],
        )
        for i in range(1, n)
    ]
    techs = [
        Technician(f"v{k}", frozenset(), (Shift(f"v{k}", f"v{k}", 0, 0, 2300, 0, 0, capacity=200),))
        for k in range(8)
    ]
    p = Problem(None, [Location(r[0], r[1]) for r in rows], dist, dist, jobs, techs)
    plan = solve(p, limit=1.0)
    assert not plan.unplanned
    assert plan.stats["vehicle_types"] == 1 and plan.stats["profiles"] == 1
    for route in plan.routes:
        assert sum(p.job(v.job_id).demand for v in route.visits) <= 200


def test_more_required_work_than_fits_still_gives_a_valid_plan():
    # Twelve required 1-hour jobs, one 8-hour day: PyVRP cannot honour "required"; the plan
    # keeps what fits, and says the rest did not fit.
    jobs = [job(f"j{i}", 1, duration=HOUR, required=True) for i in range(12)]
    p = line_problem(jobs, [tech("t1", (), [shift(end=16 * HOUR + 1200)])])
    plan = solve(p)
    assert len(plan.planned_job_ids()) == 8
    assert {u.reason for u in plan.unplanned} == {UnplannedReason.CAPACITY}


@settings(max_examples=8, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 4), st.integers(5, 30))
def test_random_small_days_give_consistent_plans(seed, technicians, jobs):
    p = field_day(technicians, jobs, seed=seed, pins=1)
    plan = PyVRPEngine().solve(p, time_limit=0.3, seed=seed)
    for route in plan.routes:
        check_consistent(p, p.shift(route.shift_id), route)
        tech_skills = p.technician(route.technician).skills
        for v in route.visits:
            j = p.job(v.job_id)
            assert j.skills <= tech_skills
            assert j.pinned_technician in (None, route.technician)
    for u in plan.unplanned:
        j = p.job(u.job_id)
        able = [t for t in p.technicians if j.skills <= t.skills]
        if u.reason == UnplannedReason.NO_QUALIFIED_TECHNICIAN:
            assert not able or (
                j.pinned_technician and not j.skills <= p.technician(j.pinned_technician).skills
            )
        else:
            assert able
    assert plan.cost == plan_cost(p, plan)


def test_never_worse_than_the_priority_first_greedy_it_starts_from():
    p = field_day(6, 80, seed=7, pins=2)
    plan = PyVRPEngine().solve(p, time_limit=1.0, seed=2)
    assert plan.stats["greedy_start_cost"] >= plan.cost
    # Nothing fancier than this: the greedy that a dispatcher would run by hand.
    from steward.dispatch.optimiser.pyvrp_engine import finish_plan

    assert finish_plan(p, {}).cost >= plan.cost


def test_over_the_memory_budget_pins_are_kept_by_repair_instead_of_profiles():
    # Four alike technicians: one shared profile, plus one each for the two with a pinned job.
    jobs = [job(f"j{i}", 1 + i % 6, duration=1800) for i in range(10)]
    jobs += [
        job("pin-a", 2, duration=1800, pinned_technician="t1", penalty=36_000),
        job("pin-b", 5, duration=1800, pinned_technician="t2", penalty=36_000),
    ]
    techs = [tech(f"t{i}", (), [shift(f"s{i}", f"t{i}", home=(i * 2) % 8)]) for i in range(4)]
    p = line_problem(jobs, techs)
    roomy = PyVRPEngine().solve(p, time_limit=0.5)
    tight = PyVRPEngine(max_matrix_bytes=1).solve(p, time_limit=0.5)
    assert roomy.stats["pins_in_profiles"] and roomy.stats["profiles"] == 3
    assert not tight.stats["pins_in_profiles"] and tight.stats["profiles"] == 1
    for plan in (roomy, tight):
        assert where(plan)["pin-a"] == "t1" and where(plan)["pin-b"] == "t2"
