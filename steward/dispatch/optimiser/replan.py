"""Re-planning: fit an urgent job into today's published plan, disturbing as little as possible.

The caller builds the problem as things stand *now*: the urgent job is in ``problem.jobs``;
jobs already started (or pinned in time) are fixed visits of their shift; each technician's
shift starts where and when they are now (``start_location`` = their current place, ``start`` =
now, or the end of the job they are on); jobs already done are left out of the problem (their
visits in the published plan are then ignored). The published plan gives everyone's sequence.

Three steps, each tried only if the previous one finds nothing:

1. **Insert**: the cheapest feasible place for the urgent job, every other job keeping its
   technician and order (later visits on that route may start later: they are reported).
2. **Swap one out**: put the urgent job on a route in place of one of its jobs, and that job
   at its own cheapest feasible place elsewhere (or, if it fits nowhere and is worth less than
   the urgent job, leave it unplanned). One job moves; the rest stays.
3. **Re-solve** with the engine, warm-started from the published plan.

Every result is re-timed by :mod:`.schedule`, and :func:`diff_plans` says what moved.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from .problem import Plan, Problem, Route
from .pyvrp_engine import PyVRPEngine, finish_plan, unplannable_reasons
from .schedule import Inserter, _index, plan_cost, schedule_route


@dataclass(frozen=True, slots=True)
class Move:
    """A job whose technician or time changed. ``to_shift`` None: dropped from the plan;
    ``from_shift`` None: newly planned."""

    job_id: str
    from_shift: str | None
    from_start: int | None
    to_shift: str | None
    to_start: int | None

    @property
    def kind(self) -> str:
        if self.from_shift is None:
            return "added"
        if self.to_shift is None:
            return "dropped"
        if self.from_shift != self.to_shift:
            return "reassigned"
        return "retimed"


def diff_plans(before: Plan, after: Plan) -> list[Move]:
    """Every job planned in either plan whose shift or start differs between them."""

    def placed(plan: Plan) -> dict[str, tuple[str, int]]:
        return {v.job_id: (r.shift_id, v.start) for r in plan.routes for v in r.visits}

    old, new = placed(before), placed(after)
    moves = []
    for job_id in sorted(old.keys() | new.keys()):
        a, b = old.get(job_id), new.get(job_id)
        if a != b:
            moves.append(
                Move(
                    job_id,
                    a[0] if a else None,
                    a[1] if a else None,
                    b[0] if b else None,
                    b[1] if b else None,
                )
            )
    return moves


def retime(problem: Problem, published: Plan) -> tuple[Plan, list[str]]:
    """The published sequences timed as things stand now; jobs no longer in the problem are
    left out; a route that can no longer be done as published is cut back (its last jobs
    first) and the jobs cut are returned."""
    idx = _index(problem)
    routes: list[Route] = []
    cut: list[str] = []
    for route in published.routes:
        shift = idx.shifts.get(route.shift_id)
        if shift is None:
            cut.extend(v.job_id for v in route.visits if v.job_id in idx.jobs)
            continue
        seq = [v.job_id for v in route.visits if v.job_id in idx.jobs]
        fixed = {fv.job_id for fv in shift.fixed}
        seq += [fv.job_id for fv in shift.fixed if fv.job_id not in seq]
        while seq:
            result = schedule_route(problem, shift, seq)
            if result.feasible:
                routes.append(result.route)
                break
            drop = next((j for j in reversed(seq) if j not in fixed), None)
            if drop is None:
                break
            seq.remove(drop)
            cut.append(drop)
    return Plan(routes=routes, unplanned=[]), cut


def insert_urgent(
    problem: Problem,
    published: Plan,
    job_id: str,
    *,
    time_limit: float = 10.0,
    engine: PyVRPEngine | None = None,
    seed: int = 0,
) -> tuple[Plan, list[Move]]:
    """The new plan and what moved compared with ``published`` (see the module docstring).
    The urgent job itself appears as an ``added`` move when it is planned."""
    started = time.perf_counter()
    deadline = started + time_limit
    idx = _index(problem)
    if job_id not in idx.jobs:
        raise KeyError(f"job {job_id} is not in the problem")
    current, cut = retime(problem, published)
    hopeless = unplannable_reasons(problem)

    def done(sequences: dict[str, list[str]], step: str) -> tuple[Plan, list[Move]]:
        plan = finish_plan(problem, sequences, hopeless, stats={"step": step}, fill=False)
        plan.stats["engine"] = "replan"
        plan.stats["runtime_seconds"] = round(time.perf_counter() - started, 3)
        plan.stats["cut_on_retime"] = cut
        return plan, diff_plans(published, plan)

    def sequences_of(plan: Plan) -> dict[str, list[str]]:
        return {r.shift_id: [v.job_id for v in r.visits] for r in plan.routes}

    if job_id in hopeless:
        return done(sequences_of(current), "impossible")

    # 1. Plain insertion.
    inserter = Inserter(problem, current)
    ins = inserter.best(job_id)
    if ins is not None:
        inserter.apply(ins, job_id)
        return done(inserter.routes(), "insert")

    # 2. Swap one job out for the urgent one.
    urgent = idx.jobs[job_id]
    best = None  # (cost increase, sequences)
    base_cost = plan_cost(problem, current)
    for route in sorted(
        current.routes,
        key=lambda r: min(
            (problem.durations[idx.jobs[v.job_id].location][urgent.location] for v in r.visits),
            default=0,
        ),
    ):
        if time.perf_counter() > started + time_limit / 2:
            break
        shift = idx.shifts[route.shift_id]
        fixed = {fv.job_id for fv in shift.fixed}
        for visit in route.visits:
            out = visit.job_id
            if out in fixed or idx.jobs[out].required:
                continue
            trial = Plan(
                routes=[
                    r
                    if r is not route
                    else Route(**{**_fields(r), "visits": [v for v in r.visits if v.job_id != out]})
                    for r in current.routes
                ],
                unplanned=[],
            )
            ins_u = Inserter(problem, trial).best(job_id, shift_ids=[route.shift_id])
            if ins_u is None:
                continue
            after = Inserter(problem, trial)
            after.apply(ins_u, job_id)
            ins_out = after.best(out)
            if ins_out is not None:
                after.apply(ins_out, out)
            elif idx.jobs[out].penalty >= urgent.penalty:
                continue
            sequences = after.routes()
            cost = _sequences_cost(problem, sequences)
            if cost is not None and (best is None or cost - base_cost < best[0]):
                best = (cost - base_cost, sequences)
    if best is not None:
        return done(best[1], "swap")

    # 3. Re-solve, warm-started from what is published.
    remaining = max(0.5, deadline - time.perf_counter())
    engine = engine or PyVRPEngine()
    plan = engine.solve(problem, time_limit=remaining, seed=seed, initial=current)
    plan.stats["step"] = "resolve"
    plan.stats["cut_on_retime"] = cut
    return plan, diff_plans(published, plan)


def _sequences_cost(problem: Problem, sequences: dict[str, list[str]]) -> int | None:
    idx = _index(problem)
    total = 0
    planned = set()
    for sid, seq in sequences.items():
        r = schedule_route(problem, idx.shifts[sid], seq)
        if not r.feasible:
            return None
        total += r.cost
        planned.update(seq)
    return total + sum(j.penalty for j in problem.jobs if j.id not in planned)


def _fields(route: Route) -> dict:
    return {f: getattr(route, f) for f in route.__slots__}
