"""Two independent readings of the timing rules agree: every route schedule.py says is feasible,
timed by it, passes the validator (which shares no code with it)."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from steward.dispatch.optimiser.problem import (
    Break,
    FixedVisit,
    Job,
    Location,
    Plan,
    Problem,
    Shift,
    Technician,
    TimeWindow,
    Unplanned,
    UnplannedReason,
)
from steward.dispatch.optimiser.schedule import schedule_route
from steward.dispatch.optimiser.validator import validate

H = 3600


def random_problem(rng: random.Random) -> Problem:
    n = rng.randint(2, 7)
    pts = [(rng.uniform(0, 30), rng.uniform(0, 30)) for _ in range(n + 2)]
    # travel: 2 minutes per unit of straight-line distance (obeys the triangle inequality)
    durations = [[int(120 * ((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2) ** 0.5) for b in pts] for a in pts]
    distances = [[d * 10 for d in row] for row in durations]
    jobs = []
    for i in range(n):
        window = None
        if rng.random() < 0.6:
            s = rng.randrange(8 * H, 16 * H, 900)
            window = TimeWindow(s, s + 2 * H)
        soft = None
        if rng.random() < 0.2:
            soft = rng.randrange(9 * H, 15 * H, 900)
        jobs.append(
            Job(
                f"j{i}",
                i + 2,
                rng.choice([1800, 3600, 5400]),
                7200,
                window=window,
                soft_deadline=soft,
                lateness_penalty=300 if soft else 0,
            )
        )
    lunch = Break(1800, TimeWindow(11 * H + 1800, 14 * H)) if rng.random() < 0.8 else None
    home = 0 if rng.random() < 0.5 else 1
    shift = Shift("T/0", "T", 0, 8 * H, 17 * H, home, 1, max_overtime=H, break_=lunch)
    return Problem(
        None, [Location(0, 0)] * (n + 2), durations, distances, jobs, [Technician("T", frozenset(), (shift,))]
    )


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 10**9))
def test_every_feasible_schedule_passes_the_validator(seed):
    rng = random.Random(seed)
    p = random_problem(rng)
    shift = p.technicians[0].shifts[0]
    ids = [j.id for j in p.jobs]
    rng.shuffle(ids)
    seq = ids[: rng.randint(1, len(ids))]
    result = schedule_route(p, shift, seq)
    if not result.feasible:
        return
    route = result.route
    if rng.random() < 0.3:  # the same route again with its first visit fixed in place
        fixed = FixedVisit(route.visits[0].job_id, route.visits[0].start)
        shift2 = Shift(**{**{f: getattr(shift, f) for f in shift.__slots__}, "fixed": (fixed,)})
        p.technicians = [Technician("T", frozenset(), (shift2,))]
    rest = [Unplanned(j, UnplannedReason.CAPACITY) for j in ids if j not in seq]
    cost = result.cost + sum(p.job(u.job_id).penalty for u in rest)
    plan = Plan([route], rest, cost)
    assert validate(p, plan) == []
