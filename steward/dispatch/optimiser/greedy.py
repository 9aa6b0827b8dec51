"""A dispatcher's way of planning, as the baseline the optimiser must beat.

Jobs are taken one by one in the order a person would: must-do work first, then by priority (P1
first), then by how soon the window closes; each goes where it adds the least cost among the
feasible places at that moment (``schedule.best_insertion``, which also places the breaks). Nothing
is ever moved again afterwards.
"""

from __future__ import annotations

import time

from .problem import Engine, Job, Plan, Problem, Route, Shift, Unplanned, UnplannedReason
from .schedule import ScheduleResult, best_insertion, job_reasons, schedule_route

_NO_DEADLINE = float("inf")


def dispatcher_order(job: Job) -> tuple:
    window_end = job.effective_window().end if job.effective_window() is not None else _NO_DEADLINE
    return (not job.required, job.priority, window_end, -job.penalty, job.id)


def unplanned_reason(problem: Problem, job: Job, shifts: list[Shift]) -> UnplannedReason:
    """Why a job that found no place is unplanned: nobody qualified; nobody qualified can reach its
    window even with nothing else to do (fixed work stays); otherwise other work took the room."""
    qualified = [s for s in shifts if not job_reasons(problem, s, job)]
    if not qualified:
        return UnplannedReason.NO_QUALIFIED_TECHNICIAN
    for shift in qualified:
        fixed = [fv.job_id for fv in shift.fixed]
        for pos in range(len(fixed) + 1):
            if schedule_route(problem, shift, [*fixed[:pos], job.id, *fixed[pos:]]).feasible:
                return UnplannedReason.CAPACITY
    return UnplannedReason.WINDOW_UNREACHABLE


class GreedyEngine(Engine):
    name = "greedy"

    def solve(self, problem: Problem, *, time_limit: float = 0, seed: int = 0, progress=None) -> Plan:
        started = time.perf_counter()
        shifts = [s for t in problem.technicians for s in t.shifts]
        results: dict[str, ScheduleResult] = {}
        plan = Plan(routes=[], unplanned=[])
        fixed_ids: set[str] = set()
        for shift in shifts:  # fixed work is where it is before anything else is placed
            if shift.fixed:
                ids = [fv.job_id for fv in shift.fixed]
                fixed_ids.update(ids)
                result = schedule_route(problem, shift, ids)
                if not result.feasible:
                    raise ValueError(f"the fixed visits of {shift.id} cannot be timed: {result.reasons}")
                results[shift.id] = result

        def routes() -> list[Route]:
            return [results[s.id].route for s in shifts if s.id in results]

        plan.routes = routes()
        todo = sorted((j for j in problem.jobs if j.id not in fixed_ids), key=dispatcher_order)
        unplanned: list[Unplanned] = []
        for n, job in enumerate(todo, 1):
            insertion = best_insertion(problem, plan, job.id)
            if insertion is None:
                unplanned.append(Unplanned(job.id, unplanned_reason(problem, job, shifts)))
            else:
                results[insertion.shift_id] = insertion.result
                current = plan.route_for(insertion.shift_id)
                if current is None:
                    plan.routes = routes()
                else:
                    plan.routes[plan.routes.index(current)] = insertion.result.route
            if progress is not None and (n % 50 == 0 or n == len(todo)):
                progress(n / len(todo), None)
        plan.routes = routes()
        plan.unplanned = unplanned
        missed = {u.job_id for u in unplanned}
        plan.cost = sum(r.cost for r in results.values()) + sum(
            j.penalty for j in problem.jobs if j.id in missed
        )
        plan.stats = {
            "engine": self.name,
            "runtime_seconds": round(time.perf_counter() - started, 3),
        }
        if progress is not None:
            progress(1.0, plan.cost)
        return plan
