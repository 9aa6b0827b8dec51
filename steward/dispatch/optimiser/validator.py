"""An independent checker of a Plan against its Problem: every hard constraint, every reported total.

Deliberately plain code that shares nothing with the engines or with ``schedule.py`` (it must not
import them): a plan is trusted only because this module, written from the problem's definition in
``problem.py`` and not from any solver's, finds nothing wrong with it. Used by the tests and by
every benchmark run.

The physical reading of a route it checks against:

* The technician leaves ``start_location`` at ``route.depart`` (not before ``shift.start``).
* Each leg is driven without stopping, so the leg to a visit occupies
  ``[arrival - travel, arrival]``; it may begin only once the previous visit has ended (or, for
  the first leg, at ``depart``). Waiting happens at a location: before a leg, or on site between
  ``arrival`` and ``start``.
* Service occupies ``[start, start + duration]``. The drive home fits between the last visit's
  end and ``route.arrive`` (the end of the working day: a break taken at the end location after
  driving back counts in it, so it may be later than the drive alone).
* The break (``[break_start, break_start + duration]``) is taken where the technician is, so it
  overlaps no service and no leg, lies inside the shift and starts within its window. A route with
  visits on a shift with a break must say when the break is taken.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from .problem import Plan, Problem, Route, Shift, UnplannedReason


@dataclass(frozen=True, slots=True)
class Violation:
    code: str
    message: str
    shift_id: str | None = None
    job_id: str | None = None


# The codes, one per distinct rule (tests break each rule once and expect exactly its code).
UNKNOWN_SHIFT = "unknown_shift"
DUPLICATE_ROUTE = "duplicate_route"
ROUTE_IDENTITY = "route_identity"  # technician/day of the route differ from its shift's
UNKNOWN_JOB = "unknown_job"
JOB_TWICE = "job_planned_twice"
REQUIRED_UNPLANNED = "required_unplanned"
JOB_MISSING = "job_missing"  # neither planned nor listed as unplanned
PLANNED_AND_UNPLANNED = "planned_and_unplanned"
UNPLANNED_TWICE = "unplanned_twice"
UNPLANNED_REASON = "unplanned_reason"  # no reason, or one the problem contradicts
SKILLS = "skills"
PINNED_TECHNICIAN = "pinned_technician"
PINNED_START = "pinned_start"
WINDOW = "window"
TRAVEL_LEG = "travel_leg"  # the visit's reported leg is not the matrix's
TOO_EARLY = "arrival_too_early"  # arrives before it could have got there
START_BEFORE_ARRIVAL = "start_before_arrival"
SERVICE_TIME = "service_time"
OVERLAP = "overlap"  # a visit starts before the previous one ended
LATENESS = "lateness"  # reported late_by disagrees with the soft deadline
SHIFT_START = "shift_start"
SHIFT_END = "shift_end"  # back later than end + max_overtime
RETURN = "return"  # back before the return leg could have been driven
OVERTIME = "overtime"  # reported overtime disagrees
BREAK_MISSING = "break_missing"
BREAK_UNEXPECTED = "break_unexpected"
BREAK_WINDOW = "break_window"
BREAK_OVERLAP = "break_overlap"
CAPACITY = "capacity"
FIXED_MOVED = "fixed_moved"  # a fixed visit is not on its shift, not at its start or out of order
ROUTE_TRAVEL = "route_travel"  # reported route totals disagree with the legs
COST = "cost"


def _qualified(skills: dict[str, frozenset[str]], job, shift: Shift) -> bool:
    if not job.skills <= skills.get(shift.technician, frozenset()):
        return False
    return job.pinned_technician is None or job.pinned_technician == shift.technician


def _overlaps(a0: int, a1: int, b0: int, b1: int) -> bool:
    # Open intervals: touching end to start is fine.
    return a0 < b1 and b0 < a1


def validate(problem: Problem, plan: Plan) -> list[Violation]:
    """Every violation of a hard constraint or of a reported figure, in a stable order; [] = valid."""
    out: list[Violation] = []
    jobs = {j.id: j for j in problem.jobs}
    shifts: dict[str, Shift] = {s.id: s for t in problem.technicians for s in t.shifts}
    skills = {t.id: t.skills for t in problem.technicians}

    planned = Counter(v.job_id for r in plan.routes for v in r.visits)
    for job_id, n in planned.items():
        if job_id not in jobs:
            out.append(Violation(UNKNOWN_JOB, f"job {job_id!r} is not in the problem", job_id=job_id))
        elif n > 1:
            out.append(Violation(JOB_TWICE, f"job {job_id} is planned {n} times", job_id=job_id))

    unplanned = Counter(u.job_id for u in plan.unplanned)
    for job_id, n in unplanned.items():
        if job_id not in jobs:
            out.append(
                Violation(UNKNOWN_JOB, f"unplanned job {job_id!r} is not in the problem", job_id=job_id)
            )
        elif n > 1:
            out.append(
                Violation(UNPLANNED_TWICE, f"job {job_id} is listed unplanned {n} times", job_id=job_id)
            )
        if job_id in planned:
            out.append(
                Violation(PLANNED_AND_UNPLANNED, f"job {job_id} is both planned and unplanned", job_id=job_id)
            )

    for job in problem.jobs:
        if job.id in planned:
            continue
        if job.required:
            out.append(Violation(REQUIRED_UNPLANNED, f"required job {job.id} is not planned", job_id=job.id))
        if job.id not in unplanned:
            out.append(
                Violation(JOB_MISSING, f"job {job.id} is neither planned nor unplanned", job_id=job.id)
            )

    for u in plan.unplanned:
        job = jobs.get(u.job_id)
        if job is None:
            continue
        if not isinstance(u.reason, UnplannedReason):
            out.append(
                Violation(
                    UNPLANNED_REASON, f"job {u.job_id} has no valid reason ({u.reason!r})", job_id=u.job_id
                )
            )
            continue
        anyone = any(_qualified(skills, job, s) for s in shifts.values())
        if (u.reason == UnplannedReason.NO_QUALIFIED_TECHNICIAN) == anyone:
            truth = "a qualified shift exists" if anyone else "no shift is qualified"
            out.append(
                Violation(
                    UNPLANNED_REASON,
                    f"job {u.job_id} unplanned as {u.reason.value} but {truth}",
                    job_id=u.job_id,
                )
            )

    seen_shifts: set[str] = set()
    for route in plan.routes:
        shift = shifts.get(route.shift_id)
        if shift is None:
            out.append(
                Violation(
                    UNKNOWN_SHIFT, f"route on unknown shift {route.shift_id!r}", shift_id=route.shift_id
                )
            )
            continue
        if route.shift_id in seen_shifts:
            out.append(
                Violation(DUPLICATE_ROUTE, f"two routes on shift {route.shift_id}", shift_id=route.shift_id)
            )
        seen_shifts.add(route.shift_id)
        out.extend(_check_route(problem, jobs, shift, route))

    for shift in shifts.values():
        if not shift.fixed:
            continue
        route = plan.route_for(shift.id)
        positions = {v.job_id: (i, v) for i, v in enumerate(route.visits)} if route else {}
        order = []
        for fv in shift.fixed:
            hit = positions.get(fv.job_id)
            if hit is None:
                out.append(
                    Violation(
                        FIXED_MOVED, f"fixed job {fv.job_id} is not on shift {shift.id}", shift.id, fv.job_id
                    )
                )
            elif hit[1].start != fv.start:
                out.append(
                    Violation(
                        FIXED_MOVED,
                        f"fixed job {fv.job_id} starts at {hit[1].start}, fixed at {fv.start}",
                        shift.id,
                        fv.job_id,
                    )
                )
            else:
                order.append(hit[0])
        if order != sorted(order):
            out.append(Violation(FIXED_MOVED, f"fixed visits on {shift.id} are out of their order", shift.id))

    out.extend(_check_cost(problem, jobs, shifts, plan))
    return out


def _check_route(problem: Problem, jobs, shift: Shift, route: Route) -> list[Violation]:
    out: list[Violation] = []
    sid = shift.id
    durations, distances = problem.durations, problem.distances
    tech_skills = next((t.skills for t in problem.technicians if t.id == shift.technician), frozenset())
    if route.technician != shift.technician or route.day != shift.day:
        out.append(
            Violation(
                ROUTE_IDENTITY,
                f"route says technician {route.technician} day {route.day}, shift is "
                f"{shift.technician} day {shift.day}",
                sid,
            )
        )
    if route.depart < shift.start:
        out.append(Violation(SHIFT_START, f"departs at {route.depart}, shift starts at {shift.start}", sid))

    busy: list[tuple[int, int]] = []  # service and driving intervals, for the break
    here = shift.start_location
    free_from = route.depart  # the earliest the next leg may begin
    prev_end: int | None = None
    travel_s = travel_m = load = 0
    for visit in route.visits:
        job = jobs.get(visit.job_id)
        if job is None:
            continue  # reported as unknown_job already
        jid = job.id
        leg_s, leg_m = int(durations[here][job.location]), int(distances[here][job.location])
        travel_s += leg_s
        travel_m += leg_m
        load += job.demand
        if visit.travel_seconds != leg_s or visit.travel_meters != leg_m:
            out.append(
                Violation(
                    TRAVEL_LEG,
                    f"leg to {jid} reported {visit.travel_seconds} s/{visit.travel_meters} m, "
                    f"matrix says {leg_s} s/{leg_m} m",
                    sid,
                    jid,
                )
            )
        if not job.skills <= tech_skills:
            missing = ", ".join(sorted(job.skills - tech_skills))
            out.append(Violation(SKILLS, f"{shift.technician} lacks {missing} for {jid}", sid, jid))
        if job.pinned_technician is not None and job.pinned_technician != shift.technician:
            out.append(
                Violation(
                    PINNED_TECHNICIAN,
                    f"{jid} is pinned to {job.pinned_technician}, done by {shift.technician}",
                    sid,
                    jid,
                )
            )
        if job.pinned_start is not None and visit.start != job.pinned_start:
            out.append(
                Violation(
                    PINNED_START, f"{jid} starts at {visit.start}, pinned to {job.pinned_start}", sid, jid
                )
            )
        if job.window is not None and not job.window.contains(visit.start):
            out.append(
                Violation(
                    WINDOW,
                    f"{jid} starts at {visit.start}, window [{job.window.start}, {job.window.end}]",
                    sid,
                    jid,
                )
            )
        if prev_end is not None and visit.start < prev_end:
            out.append(
                Violation(
                    OVERLAP,
                    f"{jid} starts at {visit.start}, before the previous visit ends ({prev_end})",
                    sid,
                    jid,
                )
            )
        elif visit.arrival - leg_s < free_from:
            out.append(
                Violation(
                    TOO_EARLY,
                    f"arrives at {jid} at {visit.arrival}, but cannot leave before {free_from} and drives {leg_s} s",
                    sid,
                    jid,
                )
            )
        if visit.start < visit.arrival:
            out.append(
                Violation(
                    START_BEFORE_ARRIVAL,
                    f"{jid} starts at {visit.start}, arrives at {visit.arrival}",
                    sid,
                    jid,
                )
            )
        if visit.end != visit.start + job.duration:
            out.append(
                Violation(
                    SERVICE_TIME,
                    f"{jid} occupies [{visit.start}, {visit.end}], needs {job.duration} s",
                    sid,
                    jid,
                )
            )
        expected_late = max(0, visit.start - job.soft_deadline) if job.soft_deadline is not None else 0
        if visit.late_by != expected_late:
            out.append(
                Violation(LATENESS, f"{jid} reports late_by {visit.late_by}, is {expected_late}", sid, jid)
            )
        busy.append((visit.arrival - leg_s, visit.arrival))
        busy.append((visit.start, max(visit.end, visit.start + job.duration)))
        here = job.location
        free_from = max(visit.end, visit.start + job.duration)
        prev_end = free_from

    back_s, back_m = int(durations[here][shift.end_location]), int(distances[here][shift.end_location])
    travel_s += back_s
    travel_m += back_m
    if route.arrive - back_s < free_from:
        out.append(
            Violation(
                RETURN,
                f"back at {route.arrive}, but cannot leave before {free_from} and drives {back_s} s",
                sid,
            )
        )
    latest = shift.end + shift.max_overtime
    if route.arrive > latest:
        out.append(Violation(SHIFT_END, f"back at {route.arrive}, shift allows until {latest}", sid))
    overtime = max(0, route.arrive - shift.end)
    if route.overtime_seconds != overtime:
        out.append(Violation(OVERTIME, f"reports {route.overtime_seconds} s overtime, is {overtime} s", sid))
    if route.travel_seconds != travel_s or route.travel_meters != travel_m:
        out.append(
            Violation(
                ROUTE_TRAVEL,
                f"reports {route.travel_seconds} s/{route.travel_meters} m of travel, legs add up to "
                f"{travel_s} s/{travel_m} m",
                sid,
            )
        )
    if shift.capacity is not None and load > shift.capacity:
        out.append(Violation(CAPACITY, f"load {load} exceeds capacity {shift.capacity}", sid))

    brk = shift.break_
    if brk is None:
        if route.break_start is not None:
            out.append(Violation(BREAK_UNEXPECTED, "a break on a shift without one", sid))
    elif route.break_start is None:
        if route.visits:
            out.append(Violation(BREAK_MISSING, "the shift's break is not planned", sid))
    else:
        b0, b1 = route.break_start, route.break_start + brk.duration
        if not brk.window.contains(b0) or b0 < shift.start or b1 > latest:
            out.append(
                Violation(
                    BREAK_WINDOW,
                    f"break at {b0} outside its window [{brk.window.start}, {brk.window.end}] or the shift",
                    sid,
                )
            )
        clash = next(((a, b) for a, b in busy if _overlaps(b0, b1, a, b)), None)
        # The drive home is not pinned in time by any reported arrival: the break fits beside it
        # if taken after getting there, or early enough to drive afterwards.
        fits_home_leg = b0 >= free_from + back_s or b1 + back_s <= route.arrive
        if clash is None and _overlaps(b0, b1, free_from, route.arrive) and not fits_home_leg:
            clash = (free_from, route.arrive)
        if clash is not None:
            out.append(
                Violation(
                    BREAK_OVERLAP, f"break [{b0}, {b1}] overlaps work or travel [{clash[0]}, {clash[1]}]", sid
                )
            )
    return out


def _check_cost(problem: Problem, jobs, shifts, plan: Plan) -> list[Violation]:
    """Recompute the objective from the problem (not from the plan's reported figures), so a
    wrong leg or total also shows up here. Overtime cost may be rounded per route by an engine,
    hence a tolerance of one unit per route."""
    total = 0
    for route in plan.routes:
        shift = shifts.get(route.shift_id)
        if shift is None:
            continue
        here = shift.start_location
        for visit in route.visits:
            job = jobs.get(visit.job_id)
            if job is None:
                continue
            total += int(problem.durations[here][job.location])
            here = job.location
            if job.soft_deadline is not None and visit.start > job.soft_deadline:
                total += job.lateness_penalty
        total += int(problem.durations[here][shift.end_location])
        total += round(max(0, route.arrive - shift.end) * shift.overtime_cost_factor)
    planned = plan.planned_job_ids()
    total += sum(j.penalty for j in problem.jobs if j.id not in planned)
    if abs(plan.cost - total) > len(plan.routes):
        return [Violation(COST, f"reports cost {plan.cost}, recomputed {total}")]
    return []
