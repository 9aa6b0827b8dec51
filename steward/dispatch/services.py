"""Writes of the dispatch app: plans (create and optimise, manual edits, publish, urgent re-plan)
and appointment booking.

Every service is one transaction with the permission check first. Plans are for dispatchers,
managers and admins. A stored plan always passes the independent validator: the optimiser's
result is validated before it is written, and a manual edit is re-timed with `schedule_route`
and validated, or refused with the reason.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from steward.core import access, audit
from steward.core.errors import Conflict, ValidationFailed
from steward.core.jobs import enqueue_on_commit
from steward.core.services import create_audited
from steward.dispatch import building, storage
from steward.dispatch.building import Built, job_key, tech_key
from steward.dispatch.models import EDITABLE_PLAN_STATUSES, Plan, PlanChange, PlanRoute, PlanStatus
from steward.dispatch.optimiser import problem as opt

logger = logging.getLogger("steward.dispatch")

PLANNERS = ("admin", "manager", "dispatcher")


def require_planner(actor: Any) -> None:
    access.require_role(actor, *PLANNERS)


def _validate(problem: opt.Problem, result: opt.Plan) -> list:
    from steward.dispatch.optimiser.validator import validate

    return list(validate(problem, result))


def _describe_violations(violations: list) -> str:
    return "; ".join(str(getattr(v, "message", v)) for v in violations[:3])


# --- create and optimise ------------------------------------------------------------------------


@transaction.atomic
def plan_create(
    *, actor: Any, horizon_start: date, days: int = 1, time_limit: int | None = None, seed: int = 0
) -> Plan:
    """A new plan for `days` days from `horizon_start`, optimised in the background (the task
    updates its progress; the board polls it)."""
    require_planner(actor)
    limit = time_limit if time_limit is not None else settings.STEWARD_DISPATCH_TIME_LIMIT
    if not isinstance(days, int) or not 1 <= days <= building.MAX_DAYS:
        raise ValidationFailed.for_field("days", f"a plan covers 1 to {building.MAX_DAYS} days")
    if not isinstance(limit, int) or not 1 <= limit <= settings.STEWARD_DISPATCH_TIME_LIMIT * 10:
        raise ValidationFailed.for_field(
            "time_limit", f"between 1 and {settings.STEWARD_DISPATCH_TIME_LIMIT * 10} seconds"
        )
    plan = Plan(
        horizon_start=horizon_start,
        days=days,
        time_limit_seconds=limit,
        seed=seed,
        status=PlanStatus.OPTIMISING,
        created_by=actor,
    )
    create_audited(actor=actor, instance=plan, action="plan.create")
    from steward.dispatch.tasks import optimise_plan

    enqueue_on_commit(optimise_plan, plan.pk)
    return plan


class _Progress:
    """The engine's progress callback: writes progress and best cost onto the plan row (outside
    any transaction, so the board sees it while the engine runs), at most every half second."""

    def __init__(self, plan_id: int) -> None:
        self.plan_id = plan_id
        self.last = 0.0

    def __call__(self, fraction: float, best_cost: int | None = None) -> None:
        import time

        now = time.monotonic()
        if now - self.last < 0.5 and fraction < 1:
            return
        self.last = now
        pct = max(0, min(99, int(fraction * 100)))
        Plan.objects.filter(pk=self.plan_id, status=PlanStatus.OPTIMISING).update(
            progress=pct, best_cost=best_cost
        )


def plan_optimise(*, plan_id: int, engine: Any = None, now: datetime | None = None) -> str:
    """Run the optimiser for a plan (the background task). Claimed by compare-and-set on
    `claimed_at`, so a duplicated task does nothing. Returns "done", "failed" or "skipped".
    `now` (default: the clock) is where the horizon's work starts: nothing is planned before it."""
    claimed = Plan.objects.filter(pk=plan_id, status=PlanStatus.OPTIMISING, claimed_at__isnull=True).update(
        claimed_at=timezone.now(), progress=0
    )
    if not claimed:
        return "skipped"
    plan = Plan.objects.get(pk=plan_id)
    try:
        built = building.build_problem(plan.horizon_start, plan.days, now=now or timezone.now())
        if engine is None:
            from steward.dispatch.optimiser.pyvrp_engine import PyVRPEngine

            engine = PyVRPEngine()
        result = engine.solve(
            built.problem, time_limit=plan.time_limit_seconds, seed=plan.seed, progress=_Progress(plan_id)
        )
        violations = _validate(built.problem, result)
        if violations:
            raise RuntimeError(f"the optimiser's plan failed validation: {_describe_violations(violations)}")
        with transaction.atomic():
            plan = Plan.objects.select_for_update().get(pk=plan_id)
            if plan.status != PlanStatus.OPTIMISING:
                return "skipped"
            storage.store(plan, built, result)
            plan.inputs = built.inputs
            plan.engine_stats = {k: v for k, v in (result.stats or {}).items() if _jsonable(v)}
            plan.status = PlanStatus.READY
            plan.progress = 100
            plan.best_cost = result.cost
            plan.optimised_at = timezone.now()
            plan.save()
            audit.record(actor=None, action="plan.optimised", obj=plan, changes={"cost": [None, result.cost]})
        return "done"
    except Exception as exc:  # the plan says what went wrong; the board shows it
        logger.exception("plan %s failed", plan_id)
        Plan.objects.filter(pk=plan_id).update(status=PlanStatus.FAILED, error=str(exc)[:2000])
        return "failed"


def _jsonable(value: Any) -> bool:
    return isinstance(value, (int, float, str, bool, type(None), list, dict))


# --- manual edits on a draft ---------------------------------------------------------------------


def _editable(plan: Plan) -> Plan:
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    if plan.status not in EDITABLE_PLAN_STATUSES:
        raise Conflict(f"the plan is {plan.get_status_display().lower()}; only a draft can be changed")
    return plan


def _current(plan: Plan) -> tuple[Built, opt.Plan]:
    """The plan's problem, rebuilt from today's data, and its stored routes on it."""
    built = building.build_problem(plan.horizon_start, plan.days, now=timezone.now())
    routes = PlanRoute.objects.filter(plan=plan).prefetch_related("visits")
    return built, storage.load(built, storage.stored_sequences(routes), storage.stored_reasons(plan))


def _hh_mm(built: Built, seconds: int) -> str:
    return timezone.localtime(built.to_datetime(seconds)).strftime("%H:%M")


REASON_WORDS = {
    "skill": "{tech} lacks the skill: {detail}",
    "pinned_technician": "the work order is pinned to another technician",
    "fixed_elsewhere": "the work order has started on another route",
    "window": "it cannot start inside its time window",
    "shift_end": "{tech} would be back after the shift end plus the allowed overtime",
    "break": "{tech}'s lunch break would no longer fit in its window",
    "fixed_order": "it cannot go before a job already started",
    "fixed_missing": "a started job would leave the route",
}


def _because(built: Built, shift: opt.Shift, reasons) -> str:
    tech = built.problem.technician(shift.technician).label
    words = []
    for r in reasons:
        text = REASON_WORDS.get(str(r.kind), "{kind} {detail}").format(
            tech=tech, detail=r.detail, kind=r.kind
        )
        if r.job_id and r.kind in ("window",) and r.job_id in built.work_orders:
            text = f"{built.work_orders[r.job_id].number}: {text}"
        if text not in words:
            words.append(text)
    return "; ".join(words[:2]) or "infeasible"


def _insert(built: Built, result: opt.Plan, job_id: str, shift_id: str, position: int | None) -> opt.Plan:
    """The plan with `job_id` moved to `shift_id` (at `position`, or at the cheapest feasible
    place), or a ValidationFailed saying why not."""
    from steward.dispatch.optimiser.schedule import best_insertion, job_reasons, schedule_route

    problem = built.problem
    try:
        shift = problem.shift(shift_id)
    except KeyError:
        raise ValidationFailed.for_field("technician", "no such shift in this plan") from None
    tech = problem.technician(shift.technician).label
    static = job_reasons(problem, shift, problem.job(job_id))
    if static:
        raise ValidationFailed.for_field("technician", _because(built, shift, static))
    routes = {r.shift_id: r for r in result.routes}
    new_routes = dict(routes)
    old = next((r for r in result.routes if any(v.job_id == job_id for v in r.visits)), None)
    if old is not None and old.shift_id != shift_id:
        remaining = [v.job_id for v in old.visits if v.job_id != job_id]
        timed = schedule_route(problem, problem.shift(old.shift_id), remaining)
        if not timed.feasible:
            raise ValidationFailed.for_field("work_order", "its current route cannot be re-timed without it")
        new_routes[old.shift_id] = timed.route
    base = [v.job_id for v in routes[shift_id].visits if v.job_id != job_id] if shift_id in routes else []
    day = f"{built.shift_days[shift_id]:%a %d %b}"
    if position is None:
        probe = opt.Plan(list(new_routes.values()), [])
        found = best_insertion(problem, probe, job_id, shift_ids=[shift_id])
        if found is None:
            # Say why at the cheapest-looking place: the end of the route.
            why = schedule_route(problem, shift, [*base, job_id]).reasons
            raise ValidationFailed.for_field(
                "technician",
                f"{job_id_label(built, job_id)} fits nowhere in {tech}'s route on {day}: {_because(built, shift, why)}",
            )
        timed_route = found.result.route
    else:
        pos = max(len(shift.fixed), min(position, len(base)))
        timed = schedule_route(problem, shift, [*base[:pos], job_id, *base[pos:]])
        if not timed.feasible:
            raise ValidationFailed.for_field(
                "position",
                f"{job_id_label(built, job_id)} does not fit at position {pos + 1} in {tech}'s route on {day}: "
                f"{_because(built, shift, timed.reasons)}",
            )
        timed_route = timed.route
    new_routes[shift_id] = timed_route
    routes_list = [r for r in new_routes.values() if r.visits]
    unplanned = [u for u in result.unplanned if u.job_id != job_id]
    plan = opt.Plan(routes_list, unplanned, 0, result.stats)
    plan.cost = storage.plan_cost(problem, plan)
    return plan


def _remove(built: Built, result: opt.Plan, job_id: str) -> opt.Plan:
    from steward.dispatch.optimiser.schedule import schedule_route

    problem = built.problem
    job = problem.job(job_id)
    if job.required:
        raise ValidationFailed.for_field(
            "work_order", "a started or time-pinned work order cannot be unassigned"
        )
    if job_id not in result.planned_job_ids():
        raise ValidationFailed.for_field("work_order", f"{job_id_label(built, job_id)} is not planned")
    routes = []
    for r in result.routes:
        if any(v.job_id == job_id for v in r.visits):
            ids = [v.job_id for v in r.visits if v.job_id != job_id]
            timed = schedule_route(problem, problem.shift(r.shift_id), ids)
            if not timed.feasible:
                raise ValidationFailed.for_field("work_order", "the route cannot be re-timed without it")
            r = timed.route
        if r.visits:
            routes.append(r)
    unplanned = [u for u in result.unplanned if u.job_id != job_id]
    unplanned.append(
        opt.Unplanned(job_id, storage.unplanned_reason(problem, job), "unassigned by the dispatcher")
    )
    plan = opt.Plan(routes, unplanned, 0, result.stats)
    plan.cost = storage.plan_cost(problem, plan)
    return plan


def job_id_label(built: Built, job_id: str) -> str:
    wo = built.work_orders.get(job_id)
    return wo.number if wo else job_id


def _save_edit(*, actor, plan: Plan, built: Built, result: opt.Plan, kind: str, summary: str, moves=()):
    violations = _validate(built.problem, result)
    if violations:
        raise ValidationFailed.for_field(
            "technician", f"the plan would break: {_describe_violations(violations)}"
        )
    storage.store(plan, built, result)
    PlanChange.objects.create(plan=plan, actor=actor, kind=kind, summary=summary[:300], moves=list(moves))
    audit.record(actor=actor, action=f"plan.{kind}", obj=plan, changes={"summary": [None, summary]})
    return plan


def _job_of(built: Built, work_order: Any) -> str:
    key = job_key(work_order.pk)
    if key not in {j.id for j in built.problem.jobs}:
        raise ValidationFailed.for_field("work_order", "this work order is not open in the plan's horizon")
    return key


def _shift_for(built: Built, technician: Any, day: date | None) -> str:
    tkey = tech_key(technician.pk)
    try:
        tech = built.problem.technician(tkey)
    except KeyError:
        raise ValidationFailed.for_field("technician", "this technician has no shift in the plan") from None
    shifts = [s for s in tech.shifts if day is None or built.shift_days[s.id] == day]
    if not shifts:
        raise ValidationFailed.for_field("day", f"{tech.label} has no shift that day")
    return shifts[0].id


@transaction.atomic
def plan_assign(
    *,
    actor: Any,
    plan: Plan,
    work_order: Any,
    technician: Any,
    day: date | None = None,
    position: int | None = None,
) -> Plan:
    """Put a work order on a technician's route (moving it if it was elsewhere), at `position`
    (0-based) or at the cheapest feasible place. Refused, with the reason, if infeasible."""
    require_planner(actor)
    plan = _editable(plan)
    built, result = _current(plan)
    job_id = _job_of(built, work_order)
    day = day or (plan.horizon_start if plan.days == 1 else None)
    shift_id = _shift_for(built, technician, day)
    before = _where(built, result, job_id)
    updated = _insert(built, result, job_id, shift_id, position)
    after = _where(built, updated, job_id)
    summary = f"{work_order.number}: {before} -> {after}"
    return _save_edit(actor=actor, plan=plan, built=built, result=updated, kind="move", summary=summary)


@transaction.atomic
def plan_unassign(*, actor: Any, plan: Plan, work_order: Any) -> Plan:
    require_planner(actor)
    plan = _editable(plan)
    built, result = _current(plan)
    job_id = _job_of(built, work_order)
    before = _where(built, result, job_id)
    updated = _remove(built, result, job_id)
    return _save_edit(
        actor=actor,
        plan=plan,
        built=built,
        result=updated,
        kind="unassign",
        summary=f"{work_order.number}: {before} -> unplanned",
    )


def _where(built: Built, result: opt.Plan, job_id: str) -> str:
    for r in result.routes:
        for v in r.visits:
            if v.job_id == job_id:
                return f"{built.problem.technician(r.technician).label} {_hh_mm(built, v.start)}"
    return "unplanned"


# --- publish --------------------------------------------------------------------------------------


@transaction.atomic
def plan_publish(*, actor: Any, plan: Plan, at: datetime | None = None) -> Plan:
    """Make the plan the one technicians work to: every planned work order is scheduled on its
    technician at its ETA with the planned travel (field services), every work order the previous
    plan for these days had scheduled but this one does not is unscheduled, and that plan is
    superseded. Started and finished work orders are left as they are. `at`: when (default now)."""
    from steward.field import services as field

    require_planner(actor)
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    if plan.status not in EDITABLE_PLAN_STATUSES:
        raise Conflict(
            f"the plan is {plan.get_status_display().lower()}; only a ready draft can be published"
        )
    last_day = plan.horizon_start + timedelta(days=plan.days - 1)
    visits = list(_visits_of(plan).select_related("route__technician", "work_order"))
    planned_ids = {v.work_order_id for v in visits}
    for v in visits:
        wo = v.work_order
        if wo.status not in ("unscheduled", "scheduled", "dispatched"):
            continue  # started or finished meanwhile: the field owns it now
        field.work_order_schedule(
            actor=actor,
            work_order=wo,
            technician=v.route.technician,
            start=v.start_at,
            end=v.end_at,
            travel_seconds=v.travel_seconds,
            travel_meters=v.travel_meters,
            at=at,
        )
    origin = building.horizon_origin(plan.horizon_start)
    end = building.horizon_origin(last_day + timedelta(days=1))
    from steward.field.models import WorkOrder

    stale = WorkOrder.objects.filter(
        status__in=("scheduled", "dispatched"), scheduled_start__gte=origin, scheduled_start__lt=end
    ).exclude(pk__in=planned_ids)
    for wo in stale:
        field.work_order_unschedule(actor=actor, work_order=wo, at=at)
    previous = Plan.objects.filter(status=PlanStatus.PUBLISHED, horizon_start__lte=last_day).exclude(
        pk=plan.pk
    )
    for old in previous:
        if old.horizon_start + timedelta(days=old.days - 1) >= plan.horizon_start:
            old.status = PlanStatus.SUPERSEDED
            old.save(update_fields=["status", "updated_at"])
            audit.record(actor=actor, action="plan.superseded", obj=old, changes={"by": [None, plan.pk]})
    plan.status = PlanStatus.PUBLISHED
    plan.published_at = at or timezone.now()
    plan.published_by = actor
    plan.save()
    audit.record(actor=actor, action="plan.publish", obj=plan, changes={"status": ["ready", "published"]})
    PlanChange.objects.create(
        plan=plan, actor=actor, kind="publish", summary=f"published: {len(planned_ids)} work orders scheduled"
    )
    return plan


def _visits_of(plan: Plan):
    from steward.dispatch.models import PlanVisit

    return PlanVisit.objects.filter(route__plan=plan).order_by("route_id", "sequence")


# --- urgent re-plan -------------------------------------------------------------------------------


def published_plan_on(day: date) -> Plan | None:
    return (
        Plan.objects.filter(status=PlanStatus.PUBLISHED, horizon_start__lte=day)
        .order_by("-published_at", "-id")
        .filter(horizon_start__gte=day - timedelta(days=building.MAX_DAYS))
        .first()
    )


@transaction.atomic
def replan_urgent(*, actor: Any, work_order: Any, time_limit: int = 5, publish: bool = False) -> Plan:
    """Insert an urgent work order into today's published plan with minimal disruption: started
    jobs stay, technicians start from where they are, and the result is a new plan (ready, or
    published at once with `publish=True`) whose change log says which jobs moved."""
    from steward.dispatch.optimiser.replan import insert_urgent

    require_planner(actor)
    today = timezone.localdate()
    current = published_plan_on(today)
    if current is None:
        raise Conflict("there is no published plan for today to re-plan")
    built = building.build_problem(today, 1, now=timezone.now())
    job_id = _job_of(built, work_order)
    routes = PlanRoute.objects.filter(plan=current, day=today).prefetch_related("visits")
    base = storage.load(built, storage.stored_sequences(routes), storage.stored_reasons(current))
    new_plan, moves = insert_urgent(built.problem, base, job_id, time_limit=time_limit)
    violations = _validate(built.problem, new_plan)
    if violations:
        raise Conflict(f"the re-plan failed validation: {_describe_violations(violations)}")
    plan = Plan(
        horizon_start=today,
        days=1,
        time_limit_seconds=max(1, int(time_limit)),
        status=PlanStatus.READY,
        created_by=actor,
        progress=100,
        optimised_at=timezone.now(),
        inputs=built.inputs,
        engine_stats={"replan_of": current.pk, "urgent": work_order.number},
    )
    create_audited(actor=actor, instance=plan, action="plan.replan_urgent")
    storage.store(plan, built, new_plan)
    described = [_describe_move(built, m) for m in moves if m.job_id != job_id]
    placed = job_id in new_plan.planned_job_ids()
    summary = (
        f"{work_order.number} inserted ({_where(built, new_plan, job_id)}); {len(described)} other job(s) moved"
        if placed
        else f"{work_order.number} could not be inserted; nothing moved"
    )
    PlanChange.objects.create(plan=plan, actor=actor, kind="urgent", summary=summary[:300], moves=described)
    if publish:
        plan_publish(actor=actor, plan=plan)
        plan.refresh_from_db()
    return plan


def _describe_move(built: Built, move: Any) -> dict:
    """A move from replan.insert_urgent as JSON for the change log, with its words:
    "WO-000012: Ana Field 10:00 -> Ben Field 14:30"."""

    def where(shift_id: str | None, start: int | None) -> str:
        if shift_id is None:
            return "unplanned"
        tech = built.problem.technician(built.problem.shift(shift_id).technician).label
        return f"{tech} {_hh_mm(built, start)}" if start is not None else tech

    number = job_id_label(built, move.job_id)
    return {
        "job_id": move.job_id,
        "number": number,
        "kind": move.kind,
        "from_shift": move.from_shift,
        "to_shift": move.to_shift,
        "from_start": move.from_start,
        "to_start": move.to_start,
        "text": f"{where(move.from_shift, move.from_start)} -> {where(move.to_shift, move.to_start)} ({move.kind})",
    }


# --- appointment booking -------------------------------------------------------------------------


def _moment(value: datetime) -> datetime:
    return value if timezone.is_aware(value) else timezone.make_aware(value)
