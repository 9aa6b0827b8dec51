"""Between the optimiser's Plan and the dispatch tables: write a plan's routes, visits, unplanned
jobs and KPIs; read a stored plan back as the optimiser's Plan for a (re)built problem.

Called by the services inside their transaction; no permission checks here.
"""

from __future__ import annotations

from steward.dispatch.building import Built, job_key, pk_of
from steward.dispatch.models import Plan, PlanRoute, PlanUnplanned, PlanVisit
from steward.dispatch.optimiser import problem as opt
from steward.dispatch.optimiser.problem import UnplannedReason


def kpis(built: Built, result: opt.Plan) -> dict:
    """The plan's KPIs: travel, jobs planned and unplanned, utilisation (time on jobs over shift
    time, all shifts of the horizon), overtime, lateness."""
    problem = built.problem
    shift_seconds = sum(s.end - s.start for t in problem.technicians for s in t.shifts)
    busy = sum(v.end - v.start for r in result.routes for v in r.visits)
    late = [v.late_by for r in result.routes for v in r.visits if v.late_by > 0]
    return {
        "travel_seconds": sum(r.travel_seconds for r in result.routes),
        "travel_meters": sum(r.travel_meters for r in result.routes),
        "jobs_planned": sum(len(r.visits) for r in result.routes),
        "jobs_unplanned": len(result.unplanned),
        "utilisation": round(busy / shift_seconds, 4) if shift_seconds else 0.0,
        "overtime_seconds": sum(r.overtime_seconds for r in result.routes),
        "lateness_seconds": sum(late),
        "late_jobs": len(late),
    }


def store(plan: Plan, built: Built, result: opt.Plan) -> None:
    """Replace the plan's routes (one per shift of the problem, empty ones too, so the board shows
    every technician), visits and unplanned jobs, and store its KPIs and cost."""
    problem = built.problem
    plan.routes.all().delete()
    plan.unplanned.all().delete()
    by_shift = {r.shift_id: r for r in result.routes}
    rows = []
    for tech in problem.technicians:
        for shift in tech.shifts:
            r = by_shift.get(shift.id)
            rows.append(
                PlanRoute(
                    plan=plan,
                    shift_key=shift.id,
                    technician_id=pk_of(tech.id),
                    day=built.shift_days[shift.id],
                    shift_start=built.to_datetime(shift.start),
                    shift_end=built.to_datetime(shift.end),
                    depart_at=built.to_datetime(r.depart) if r and r.visits else None,
                    arrive_at=built.to_datetime(r.arrive) if r and r.visits else None,
                    break_start=built.to_datetime(r.break_start) if r and r.break_start is not None else None,
                    break_minutes=(shift.break_.duration // 60) if shift.break_ else 0,
                    travel_seconds=r.travel_seconds if r else 0,
                    travel_meters=r.travel_meters if r else 0,
                    overtime_seconds=r.overtime_seconds if r else 0,
                    busy_seconds=sum(v.end - v.start for v in r.visits) if r else 0,
                )
            )
    PlanRoute.objects.bulk_create(rows)
    route_ids = dict(PlanRoute.objects.filter(plan=plan).values_list("shift_key", "id"))
    visits = [
        PlanVisit(
            route_id=route_ids[r.shift_id],
            work_order_id=pk_of(v.job_id),
            sequence=i,
            arrival_at=built.to_datetime(v.arrival),
            start_at=built.to_datetime(v.start),
            end_at=built.to_datetime(v.end),
            travel_seconds=v.travel_seconds,
            travel_meters=v.travel_meters,
            late_seconds=v.late_by,
        )
        for r in result.routes
        for i, v in enumerate(r.visits, start=1)
    ]
    PlanVisit.objects.bulk_create(visits, batch_size=500)
    PlanUnplanned.objects.bulk_create(
        [
            PlanUnplanned(
                plan=plan, work_order_id=pk_of(u.job_id), reason=str(u.reason), detail=(u.detail or "")[:300]
            )
            for u in result.unplanned
        ],
        batch_size=500,
    )
    for name, value in kpis(built, result).items():
        setattr(plan, name, value)
    plan.cost = result.cost
    plan.save()


def stored_sequences(route_rows) -> dict[str, list[str]]:
    """shift id -> the job ids of its visits, in order."""
    return {route.shift_key: [job_key(v.work_order_id) for v in route.visits.all()] for route in route_rows}


def unplanned_reason(problem: opt.Problem, job: opt.Job) -> UnplannedReason:
    """The reason for a job no stored plan placed: nobody qualified (skills, pin), else capacity."""
    from steward.dispatch.optimiser.schedule import InfeasibilityKind, job_reasons

    static = (InfeasibilityKind.SKILL, InfeasibilityKind.PINNED_TECHNICIAN)
    for tech in problem.technicians:
        for shift in tech.shifts:
            if not [r for r in job_reasons(problem, shift, job) if r.kind in static]:
                return UnplannedReason.CAPACITY
    return UnplannedReason.NO_QUALIFIED_TECHNICIAN


def load(
    built: Built, sequences: dict[str, list[str]], reasons: dict[str, tuple[str, str]] | None = None
) -> opt.Plan:
    """The optimiser's Plan for `built` with the stored visit order per shift, re-timed with
    schedule_route. Jobs no longer in the problem (done, cancelled) are dropped; a route that no
    longer fits (time has passed) loses jobs from its end until it does; every job of the problem
    in no route is unplanned, with its stored reason (`reasons`: job id -> (reason, detail)) or
    one worked out now."""
    from steward.dispatch.optimiser.schedule import schedule_route

    problem = built.problem
    known = {j.id for j in problem.jobs}
    routes = []
    placed: set[str] = set()
    for tech in problem.technicians:
        for shift in tech.shifts:
            fixed = [fv.job_id for fv in shift.fixed]
            ids = [
                j for j in sequences.get(shift.id, []) if j in known and j not in placed and j not in fixed
            ]
            ids = fixed + ids
            while True:
                result = schedule_route(problem, shift, ids)
                if result.feasible or len(ids) <= len(fixed):
                    break
                ids = ids[:-1]
            if result.feasible and result.route.visits:
                routes.append(result.route)
                placed.update(v.job_id for v in result.route.visits)
    reasons = reasons or {}
    unplanned = []
    for job in problem.jobs:
        if job.id in placed:
            continue
        stored = reasons.get(job.id)
        reason = unplanned_reason(problem, job)
        if (
            stored
            and reason == UnplannedReason.CAPACITY
            and stored[0] != UnplannedReason.NO_QUALIFIED_TECHNICIAN
        ):
            unplanned.append(opt.Unplanned(job.id, UnplannedReason(stored[0]), stored[1]))
        else:
            unplanned.append(opt.Unplanned(job.id, reason, "" if stored else "new since the plan was made"))
    plan = opt.Plan(routes=routes, unplanned=unplanned)
    plan.cost = plan_cost(problem, plan)
    return plan


def stored_reasons(plan_row) -> dict[str, tuple[str, str]]:
    return {job_key(u.work_order_id): (u.reason, u.detail) for u in plan_row.unplanned.all()}


def plan_cost(problem: opt.Problem, plan: opt.Plan) -> int:
    """The objective as the optimiser defines it (schedule.plan_cost)."""
    from steward.dispatch.optimiser.schedule import plan_cost as cost

    return int(cost(problem, plan))
