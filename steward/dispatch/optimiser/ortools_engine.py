"""OR-Tools routing as an engine: the benchmark's comparison, never the product's optimiser.

OR-Tools (a bench-only dependency, imported lazily) expresses every constraint of our Problem
natively, so it is modelled at its best documented settings: parallel cheapest insertion for
the first solution (the default finds nothing in time on tight-window instances), then guided
local search until the time limit, one thread.

* nodes: one per job, plus a start and an end node per shift (technicians start from home);
* arc cost = travel seconds; a job's disjunction penalty = its penalty (required and fixed jobs
  have none: they must be served);
* time dimension: transit = service of the origin + travel, waiting allowed; a job's cumul (its
  service start) lies in its window (pinned start / fixed start: one instant); the shift's start
  cumul >= shift.start, end cumul <= shift.end + max_overtime, overtime priced by a soft upper
  bound at shift.end with the shift's overtime factor (costs are scaled so it is an integer);
* skills, pins and fixed visits: the node's vehicle variable keeps only the allowed vehicles
  (``SetAllowedVehiclesForIndex`` raises a TypeError from Python in 9.15);
* breaks: a native break interval per vehicle over the break's window, not during service;
* capacity: a load dimension when the shifts have one (Solomon);
* soft deadlines: a soft upper bound on the service start, its per-second cost spreading the
  step penalty over the rest of the window (OR-Tools has no step costs).

OR-Tools may take a break while driving and cannot express step lateness, so its routes are then
timed by ``schedule.py`` like every other engine's (the same ETAs, overtime and lateness rules);
a route that does not time is repaired by dropping the job whose removal costs least, and the
drops are counted in ``stats["repaired_drops"]``.
"""

from __future__ import annotations

import time

from .greedy import unplanned_reason
from .problem import Engine, Plan, Problem, Shift, Unplanned
from .schedule import ScheduleResult, job_reasons, schedule_route


def _ortools():
    try:
        from ortools.constraint_solver import pywrapcp, routing_enums_pb2
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise RuntimeError(
            "ORToolsEngine needs the 'ortools' package (a benchmark-only dependency): pip install ortools"
        ) from exc
    return pywrapcp, routing_enums_pb2


class ORToolsEngine(Engine):
    name = "ortools"

    def solve(self, problem: Problem, *, time_limit: float, seed: int = 0, progress=None) -> Plan:
        pywrapcp, enums = _ortools()
        started = time.perf_counter()
        jobs = list(problem.jobs)
        shifts: list[Shift] = [s for t in problem.technicians for s in t.shifts]
        n_jobs, n_veh = len(jobs), len(shifts)
        # Overtime factors such as 1.5 need integer costs: scale everything by 10 if any is fractional.
        scale = 1 if all(float(s.overtime_cost_factor).is_integer() for s in shifts) else 10

        node_loc = (
            [j.location for j in jobs] + [s.start_location for s in shifts] + [s.end_location for s in shifts]
        )
        service = [j.duration for j in jobs] + [0] * (2 * n_veh)
        starts = [n_jobs + k for k in range(n_veh)]
        ends = [n_jobs + n_veh + k for k in range(n_veh)]
        manager = pywrapcp.RoutingIndexManager(len(node_loc), n_veh, starts, ends)
        routing = pywrapcp.RoutingModel(manager)

        dur = problem.durations
        rows = [[int(dur[a][b]) for b in node_loc] for a in node_loc]
        arc = routing.RegisterTransitMatrix([[scale * v for v in row] for row in rows])
        routing.SetArcCostEvaluatorOfAllVehicles(arc)
        transit = routing.RegisterTransitMatrix([[v + service[i] for v in row] for i, row in enumerate(rows)])
        horizon = max(s.end + s.max_overtime for s in shifts) + 1
        routing.AddDimension(transit, horizon, horizon, False, "time")
        time_dim = routing.GetDimensionOrDie("time")

        for k, shift in enumerate(shifts):
            latest = shift.end + shift.max_overtime
            time_dim.CumulVar(routing.Start(k)).SetRange(shift.start, latest)
            time_dim.CumulVar(routing.End(k)).SetRange(shift.start, latest)
            if shift.max_overtime > 0:
                coef = round(shift.overtime_cost_factor * scale)
                time_dim.SetCumulVarSoftUpperBound(routing.End(k), shift.end, coef)

        fixed_on = {fv.job_id: (k, fv.start) for k, s in enumerate(shifts) for fv in s.fixed}
        for i, job in enumerate(jobs):
            index = manager.NodeToIndex(i)
            fixed = fixed_on.get(job.id)
            if fixed is not None:
                allowed = [fixed[0]]
                time_dim.CumulVar(index).SetRange(fixed[1], fixed[1])
            else:
                allowed = [k for k, s in enumerate(shifts) if not job_reasons(problem, s, job)]
                window = job.effective_window()
                if window is not None:
                    lo, hi = max(0, window.start), min(horizon, window.end)
                    if lo > hi:
                        allowed = []
                    else:
                        time_dim.CumulVar(index).SetRange(lo, hi)
            if job.soft_deadline is not None and fixed is None:
                # A step penalty has no OR-Tools form: spread it linearly over the rest of the
                # window as a guide (the plan's true lateness cost comes from schedule.py).
                end = window.end if window is not None else horizon
                slope = job.lateness_penalty * scale / max(1, end - job.soft_deadline)
                time_dim.SetCumulVarSoftUpperBound(index, job.soft_deadline, max(1, round(slope)))
            must = fixed is not None or job.required
            routing.VehicleVar(index).SetValues(allowed if must else [-1, *allowed])
            if not must:
                routing.AddDisjunction([index], job.penalty * scale)

        if any(s.capacity is not None for s in shifts):
            demand = [j.demand for j in jobs] + [0] * (2 * n_veh)
            load = routing.RegisterUnaryTransitVector(demand)
            caps = [s.capacity if s.capacity is not None else sum(demand) for s in shifts]
            routing.AddDimensionWithVehicleCapacity(load, 0, caps, True, "load")

        if any(s.break_ is not None for s in shifts):
            solver = routing.solver()
            visit_transit = [service[manager.IndexToNode(i)] for i in range(routing.Size())]
            for k, shift in enumerate(shifts):
                brk = shift.break_
                if brk is None:
                    continue
                interval = solver.FixedDurationIntervalVar(
                    brk.window.start, brk.window.end, brk.duration, False, f"break-{k}"
                )
                time_dim.SetBreakIntervalsOfVehicle([interval], k, visit_transit)

        params = pywrapcp.DefaultRoutingSearchParameters()
        params.first_solution_strategy = enums.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
        params.local_search_metaheuristic = enums.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
        remaining = max(0.1, time_limit - (time.perf_counter() - started))
        params.time_limit.FromMilliseconds(int(remaining * 1000))
        setup_seconds = time.perf_counter() - started

        solutions = [0]
        if progress is not None:

            def on_solution():
                solutions[0] += 1
                elapsed = time.perf_counter() - started
                progress(min(1.0, elapsed / max(time_limit, 1e-9)), int(routing.CostVar().Max() // scale))

            routing.AddAtSolutionCallback(on_solution)

        assignment = routing.SolveWithParameters(params)
        solve_seconds = time.perf_counter() - started - setup_seconds
        if assignment is None:
            raise RuntimeError(f"OR-Tools found no solution in {time_limit} s (status {routing.status()})")

        sequences: dict[str, list[str]] = {}
        for k, shift in enumerate(shifts):
            index = assignment.Value(routing.NextVar(routing.Start(k)))
            seq = []
            while not routing.IsEnd(index):
                seq.append(jobs[manager.IndexToNode(index)].id)
                index = assignment.Value(routing.NextVar(index))
            if seq:
                sequences[shift.id] = seq

        plan, drops = _timed_plan(problem, shifts, sequences)
        plan.stats = {
            "engine": self.name,
            "runtime_seconds": round(time.perf_counter() - started, 3),
            "setup_seconds": round(setup_seconds, 3),
            "solve_seconds": round(solve_seconds, 3),
            "solver_objective": assignment.ObjectiveValue() / scale,
            "repaired_drops": drops,
        }
        if progress is not None:
            progress(1.0, plan.cost)
        return plan


def _timed_plan(problem: Problem, shifts: list[Shift], sequences: dict[str, list[str]]) -> tuple[Plan, int]:
    """Time each sequence with schedule.py, dropping jobs from a sequence that does not time
    (cheapest loss first) until it does."""
    by_id = {s.id: s for s in shifts}
    fixed_ids = {fv.job_id for s in shifts for fv in s.fixed}
    results: dict[str, ScheduleResult] = {}
    drops = 0
    for sid, seq in sequences.items():
        shift = by_id[sid]
        result = schedule_route(problem, shift, seq)
        while not result.feasible:
            best = None
            for job_id in seq:
                if job_id in fixed_ids or problem.job(job_id).required:
                    continue
                trial = [j for j in seq if j != job_id]
                r = schedule_route(problem, shift, trial)
                # Prefer a removal that makes the route time, then the cheapest job to lose.
                key = (not r.feasible, problem.job(job_id).penalty, r.cost if r.feasible else 0)
                if best is None or key < best[0]:
                    best = (key, trial, r)
            if best is None:
                raise RuntimeError(f"OR-Tools route on {sid} cannot be timed: {result.reasons}")
            _, seq, result = best
            drops += 1
        results[sid] = result
    planned = {j for r in results.values() for j in (v.job_id for v in r.route.visits)}
    unplanned = [
        Unplanned(j.id, unplanned_reason(problem, j, shifts)) for j in problem.jobs if j.id not in planned
    ]
    routes = [results[s.id].route for s in shifts if s.id in results]
    cost = sum(r.cost for r in results.values()) + sum(problem.job(u.job_id).penalty for u in unplanned)
    return Plan(routes, unplanned, cost), drops
