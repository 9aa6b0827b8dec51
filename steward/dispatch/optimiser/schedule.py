"""Route timing: when each visit of a given sequence happens on a shift, and whether it can.

Pure Python. Every plan the product shows gets its times from here (the PyVRP adapter only
chooses *which* jobs go on *which* shift in *which* order), so ETAs, overtime and lateness are
computed by one piece of code; the greedy dispatcher, re-planning, booking slots and the
board's manual moves use the insertion helpers at the bottom.

Timing rules (the validator checks the same ones):

* The technician is ready at ``shift.start`` at ``start_location``. Each job starts at
  ``max(ready, window.start)`` (arriving early means waiting) and must start by
  ``window.end``; a ``pinned_start`` or a fixed visit's ``start`` is a window of one instant.
* The route ends when the technician is back at ``end_location`` (``Route.arrive``), at most
  ``shift.end + shift.max_overtime``; anything past ``shift.end`` is overtime.
* A route with at least one visit on a shift with a break takes that break exactly once, in one
  *gap* between consecutive stops (start depot -> first job, job -> job, last job -> end
  depot). In a gap from a stop done at ``prev_end`` to the next stop's service start
  ``next_start`` (``Route.arrive`` for the end depot) the break lies inside
  ``[prev_end, next_start]`` and ``next_start - prev_end >= travel + break.duration``.
  Two ways to take it: drive first and take the break on arrival (in the waiting time before
  the window opens if there is any, so it often costs nothing), or -- when arriving would be
  too late for the break's window -- take it where the technician is and drive afterwards.
  In the first gap only the drive-first way is used (a lunch break at home before the day
  starts is not a lunch break). Of all gaps, the one giving the cheapest route (overtime,
  lateness), then the earliest return, then the least delay to the next visit, is chosen.
* Fixed visits (``Shift.fixed``) must be in the sequence, in their given order, and start
  exactly at their fixed time; a job fixed on another shift cannot be on this one.

Delays only ever push later visits later, never earlier, so a sequence that is infeasible
without the break is infeasible with it; the break only decides among feasible sequences.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from .problem import Job, Plan, Problem, Route, Shift, Visit

INFINITY = float("inf")


class InfeasibilityKind(StrEnum):
    SKILL = "skill"  # the shift's technician lacks a required skill
    PINNED_TECHNICIAN = "pinned_technician"  # the job is pinned to another technician
    FIXED_ELSEWHERE = "fixed_elsewhere"  # the job is fixed on another shift
    FIXED_MISSING = "fixed_missing"  # a fixed visit of this shift is not in the sequence
    FIXED_ORDER = "fixed_order"  # fixed visits out of their given order
    DUPLICATE = "duplicate"  # a job twice in the sequence
    UNKNOWN_JOB = "unknown_job"
    CAPACITY = "capacity"  # total demand above the shift's capacity
    WINDOW = "window"  # the job cannot start inside its window
    SHIFT_END = "shift_end"  # back after shift end + max overtime
    BREAK = "break"  # no gap can take the break inside its window


@dataclass(frozen=True, slots=True)
class Infeasibility:
    kind: InfeasibilityKind
    job_id: str | None = None
    detail: str = ""


@dataclass(slots=True)
class ScheduleResult:
    """The timed route (when feasible) or why the sequence cannot be done on the shift.

    ``cost`` is the route's share of the objective: travel seconds + overtime cost + lateness
    penalties (unplanned penalties belong to the plan, not to a route)."""

    route: Route | None
    reasons: list[Infeasibility] = field(default_factory=list)
    cost: int = 0
    lateness_cost: int = 0
    overtime_cost: int = 0

    @property
    def feasible(self) -> bool:
        return self.route is not None


# --------------------------------------------------------------------------- problem indexes


def _index(problem: Problem) -> _ProblemIndex:
    """Lookups every timing call needs, built once per problem (the problem's job list and
    technicians are not expected to change after it is built; a change in the job count
    rebuilds it)."""
    idx = problem.__dict__.get("_schedule_index")
    if idx is None or idx.job_count != len(problem.jobs):
        idx = problem.__dict__["_schedule_index"] = _ProblemIndex(problem)
    return idx


class _ProblemIndex:
    def __init__(self, problem: Problem) -> None:
        self.job_count = len(problem.jobs)
        # Plain nested lists: indexing a numpy matrix element by element from Python is several
        # times slower, and timing routes is what every engine and the board do most.
        self.durations = _as_lists(problem.durations)
        self.distances = _as_lists(problem.distances)
        self.jobs: dict[str, Job] = {j.id: j for j in problem.jobs}
        self.skills: dict[str, frozenset[str]] = {t.id: t.skills for t in problem.technicians}
        self.shifts: dict[str, Shift] = {}
        self.fixed_on: dict[str, tuple[str, int]] = {}  # job -> (shift id, start)
        for tech in problem.technicians:
            for shift in tech.shifts:
                self.shifts[shift.id] = shift
                for fv in shift.fixed:
                    self.fixed_on[fv.job_id] = (shift.id, fv.start)


def _as_lists(matrix) -> list[list[int]]:
    tolist = getattr(matrix, "tolist", None)
    if tolist is not None:
        return tolist()
    if isinstance(matrix, list) and (not matrix or isinstance(matrix[0], list)):
        return matrix
    return [list(row) for row in matrix]


def overtime_cost(shift: Shift, overtime_seconds: int) -> int:
    return round(overtime_seconds * shift.overtime_cost_factor)


# --------------------------------------------------------------------------- static checks


def static_reasons(problem: Problem, shift: Shift, job_ids: Sequence[str]) -> list[Infeasibility]:
    """Everything wrong with the sequence that does not depend on time."""
    idx = _index(problem)
    reasons: list[Infeasibility] = []
    seen: set[str] = set()
    load = 0
    for job_id in job_ids:
        job = idx.jobs.get(job_id)
        if job is None:
            reasons.append(Infeasibility(InfeasibilityKind.UNKNOWN_JOB, job_id))
            continue
        if job_id in seen:
            reasons.append(Infeasibility(InfeasibilityKind.DUPLICATE, job_id))
        seen.add(job_id)
        reasons.extend(job_reasons(problem, shift, job))
        load += job.demand
    fixed_ids = [fv.job_id for fv in shift.fixed]
    for fid in fixed_ids:
        if fid not in seen:
            reasons.append(Infeasibility(InfeasibilityKind.FIXED_MISSING, fid, f"fixed on {shift.id}"))
    in_sequence = [j for j in job_ids if j in set(fixed_ids)]
    if not reasons and in_sequence != fixed_ids:
        reasons.append(Infeasibility(InfeasibilityKind.FIXED_ORDER, None, f"expected order {fixed_ids}"))
    if shift.capacity is not None and load > shift.capacity:
        reasons.append(
            Infeasibility(InfeasibilityKind.CAPACITY, None, f"load {load} > capacity {shift.capacity}")
        )
    return reasons


def job_reasons(problem: Problem, shift: Shift, job: Job) -> list[Infeasibility]:
    """Why this job can never go on this shift, whatever the sequence (skills, pins, fixed)."""
    idx = _index(problem)
    reasons: list[Infeasibility] = []
    missing = job.skills - idx.skills.get(shift.technician, frozenset())
    if missing:
        reasons.append(
            Infeasibility(InfeasibilityKind.SKILL, job.id, "missing " + ", ".join(sorted(missing)))
        )
    if job.pinned_technician is not None and job.pinned_technician != shift.technician:
        reasons.append(
            Infeasibility(InfeasibilityKind.PINNED_TECHNICIAN, job.id, f"pinned to {job.pinned_technician}")
        )
    fixed = idx.fixed_on.get(job.id)
    if fixed is not None and fixed[0] != shift.id:
        reasons.append(Infeasibility(InfeasibilityKind.FIXED_ELSEWHERE, job.id, f"fixed on {fixed[0]}"))
    if shift.capacity is not None and job.demand > shift.capacity:
        reasons.append(Infeasibility(InfeasibilityKind.CAPACITY, job.id, "demand > capacity"))
    return reasons


def job_window(problem: Problem, job: Job) -> tuple[int, float]:
    """The interval the job's service must start in: a fixed visit's start, else the pinned
    start, else the window, else unbounded."""
    fixed = _index(problem).fixed_on.get(job.id)
    if fixed is not None:
        return fixed[1], fixed[1]
    w = job.effective_window()
    if w is None:
        return -(10**12), INFINITY
    return w.start, w.end


# --------------------------------------------------------------------------- timing


def schedule_route(problem: Problem, shift: Shift, job_ids: Sequence[str]) -> ScheduleResult:
    """Time ``job_ids`` (in this order) on ``shift``; see the module docstring for the rules."""
    reasons = static_reasons(problem, shift, job_ids)
    if reasons:
        return ScheduleResult(None, reasons)
    return _time(problem, shift, list(job_ids))


def _time(problem: Problem, shift: Shift, seq: list[str]) -> ScheduleResult:
    idx = _index(problem)
    dur = idx.durations
    n = len(seq)
    jobs = [idx.jobs[j] for j in seq]
    locs = [shift.start_location] + [j.location for j in jobs] + [shift.end_location]
    # travel[k]: the leg of gap k (from stop k to stop k+1 in `locs`)
    travel = [int(dur[locs[k]][locs[k + 1]]) for k in range(n + 1)]
    windows = [job_window(problem, j) for j in jobs]
    latest_end = shift.end + shift.max_overtime

    # Pass without the break: prev_end[k] is when stop k is done (stop 0 = start depot).
    prev_end = [0] * (n + 1)
    starts = [0] * n
    t = shift.start
    for k in range(n):
        prev_end[k] = t
        arrival = t + travel[k]
        lo, hi = windows[k]
        start = max(arrival, lo)
        if start > hi:
            return ScheduleResult(
                None,
                [
                    Infeasibility(
                        InfeasibilityKind.WINDOW,
                        seq[k],
                        f"earliest start {start} > window end {hi:.0f}",
                    )
                ],
            )
        starts[k] = start
        t = start + jobs[k].duration
    prev_end[n] = t
    arrive = t + travel[n]
    if arrive > latest_end:
        return ScheduleResult(
            None,
            [
                Infeasibility(
                    InfeasibilityKind.SHIFT_END,
                    None,
                    f"back at {arrive} > shift end + max overtime {latest_end}",
                )
            ],
        )

    brk = shift.break_
    break_gap: int | None = None
    break_first = False
    break_start: int | None = None
    if brk is not None and n > 0:
        best = None
        for gap in range(n + 1):
            if prev_end[gap] > brk.window.end:
                break  # later gaps start even later
            option = _with_break_in(problem, shift, jobs, windows, travel, starts, gap)
            if option is None:
                continue
            trial_starts, trial_arrive, bstart, first = option
            cost = _lateness(jobs, trial_starts) + overtime_cost(shift, max(0, trial_arrive - shift.end))
            delay = (trial_starts[gap] - starts[gap]) if gap < n else (trial_arrive - arrive)
            key = (cost, trial_arrive, delay, gap)
            if best is None or key < best[0]:
                best = (key, trial_starts, trial_arrive, bstart, first, gap)
        if best is None:
            return ScheduleResult(
                None,
                [
                    Infeasibility(
                        InfeasibilityKind.BREAK,
                        None,
                        f"no gap takes a {brk.duration}s break starting in "
                        f"[{brk.window.start}, {brk.window.end}]",
                    )
                ],
            )
        _, starts, arrive, break_start, break_first, break_gap = best

    # Build the visits: arrival times follow from the chosen break placement.
    visits: list[Visit] = []
    dist = idx.distances
    travel_total = sum(travel)
    meters = [int(dist[locs[k]][locs[k + 1]]) for k in range(n + 1)]
    late_cost = 0
    t = shift.start
    depart = shift.start
    if n > 0 and break_gap != 0:
        # Leave just in time for the first visit rather than wait on the doorstep.
        depart = max(shift.start, starts[0] - travel[0])
        t = depart
    for k in range(n):
        arrival = break_start + brk.duration + travel[k] if k == break_gap and break_first else t + travel[k]
        job = jobs[k]
        late_by = 0
        if job.soft_deadline is not None and starts[k] > job.soft_deadline:
            late_by = starts[k] - job.soft_deadline
            late_cost += job.lateness_penalty
        visits.append(
            Visit(
                job_id=job.id,
                arrival=arrival,
                start=starts[k],
                end=starts[k] + job.duration,
                travel_seconds=travel[k],
                travel_meters=meters[k],
                late_by=late_by,
            )
        )
        t = starts[k] + job.duration
    overtime = max(0, arrive - shift.end)
    ot_cost = overtime_cost(shift, overtime)
    route = Route(
        shift_id=shift.id,
        technician=shift.technician,
        day=shift.day,
        visits=visits,
        depart=depart,
        arrive=arrive,
        break_start=break_start,
        travel_seconds=travel_total,
        travel_meters=sum(meters),
        overtime_seconds=overtime,
    )
    return ScheduleResult(
        route,
        [],
        cost=travel_total + ot_cost + late_cost,
        lateness_cost=late_cost,
        overtime_cost=ot_cost,
    )


def _with_break_in(problem, shift, jobs, windows, travel, starts, gap):
    """Re-time the route with the break in ``gap``; None if that is infeasible.

    Returns (starts, arrive, break_start, break_first)."""
    brk = shift.break_
    ws, we, bd = brk.window.start, brk.window.end, brk.duration
    n = len(jobs)
    t = shift.start if gap == 0 else starts[gap - 1] + jobs[gap - 1].duration
    # Drive first, break on arrival (in the waiting time, if any).
    s = max(t + travel[gap], ws)
    break_first = False
    if s <= we:
        ready = s + bd
    elif gap > 0 and max(t, ws) <= we:
        # Too late for the window once there: break here, then drive.
        s = max(t, ws)
        break_first = True
        ready = s + bd + travel[gap]
    else:
        return None
    new_starts = list(starts)
    k = gap
    while k < n:
        lo, hi = windows[k]
        start = max(ready, lo)
        if start > hi:
            return None
        if start == starts[k]:
            # The delay has been absorbed by waiting: the rest is as without the break.
            return new_starts, _arrive_from(shift, jobs, travel, starts), s, break_first
        new_starts[k] = start
        ready = start + jobs[k].duration + travel[k + 1]
        k += 1
    arrive = ready
    if arrive > shift.end + shift.max_overtime:
        return None
    return new_starts, arrive, s, break_first


def _arrive_from(shift, jobs, travel, starts) -> int:
    n = len(jobs)
    if n == 0:
        return shift.start + travel[0]
    return starts[-1] + jobs[-1].duration + travel[n]


def _lateness(jobs, starts) -> int:
    total = 0
    for job, start in zip(jobs, starts, strict=True):
        if job.soft_deadline is not None and start > job.soft_deadline:
            total += job.lateness_penalty
    return total


# --------------------------------------------------------------------------- routes and plans


def route_job_ids(route: Route | None) -> list[str]:
    return [] if route is None else [v.job_id for v in route.visits]


def empty_route_cost(problem: Problem, shift: Shift) -> int:
    """What an unused shift costs: nothing (the technician does not drive)."""
    return 0


def route_cost(problem: Problem, shift: Shift, job_ids: Sequence[str]) -> int | None:
    """The route's share of the objective, or None if the sequence is infeasible."""
    if not job_ids:
        return 0
    result = schedule_route(problem, shift, job_ids)
    return result.cost if result.feasible else None


def plan_cost(problem: Problem, plan: Plan) -> int:
    """The objective of a plan, recomputed from its routes' sequences (not from stored
    figures): route costs plus the penalty of every job not planned."""
    total = 0
    planned: set[str] = set()
    idx = _index(problem)
    for route in plan.routes:
        ids = route_job_ids(route)
        planned.update(ids)
        if ids:
            result = schedule_route(problem, idx.shifts[route.shift_id], ids)
            if not result.feasible:
                raise ValueError(f"route {route.shift_id} is infeasible: {result.reasons}")
            total += result.cost
    for job in problem.jobs:
        if job.id not in planned:
            total += job.penalty
    return total


def time_plan(problem: Problem, sequences: dict[str, list[str]]) -> dict[str, ScheduleResult]:
    """Schedule every non-empty sequence (shift id -> job ids)."""
    idx = _index(problem)
    return {sid: schedule_route(problem, idx.shifts[sid], ids) for sid, ids in sequences.items() if ids}


# --------------------------------------------------------------------------- insertion


@dataclass(slots=True)
class Insertion:
    """Putting ``job_id`` at ``position`` of ``shift_id``'s sequence: the new timed route and
    what it adds to the route's cost (travel + overtime + lateness)."""

    shift_id: str
    position: int
    delta_cost: int
    result: ScheduleResult


def insertion_cost(
    problem: Problem, route_or_shift: Route | Shift, job_id: str, position: int
) -> Insertion | None:
    """Insert ``job_id`` before the ``position``-th visit (``len(visits)`` appends); None if the
    route becomes infeasible. A job already in the route is taken out first (a move)."""
    idx = _index(problem)
    if isinstance(route_or_shift, Route):
        shift = idx.shifts[route_or_shift.shift_id]
        base = [j for j in route_job_ids(route_or_shift) if j != job_id]
    else:
        shift = route_or_shift
        base = []
    if not 0 <= position <= len(base):
        raise ValueError(f"position {position} outside 0..{len(base)}")
    base_cost = route_cost(problem, shift, base)
    if base_cost is None:
        return None
    seq = [*base[:position], job_id, *base[position:]]
    result = schedule_route(problem, shift, seq)
    if not result.feasible:
        return None
    return Insertion(shift.id, position, result.cost - base_cost, result)


def best_insertion(
    problem: Problem, plan: Plan, job_id: str, *, shift_ids: Sequence[str] | None = None
) -> Insertion | None:
    """The cheapest feasible place for ``job_id`` over all shifts (or ``shift_ids``), leaving
    every other job where it is in the sequence; None if it fits nowhere.

    If the job is already planned it is considered taken out of its route (so this also
    answers "where would this job best move to")."""
    return Inserter(problem, plan, exclude=job_id).best(job_id, shift_ids=shift_ids)


class Inserter:
    """Cheapest-insertion over a plan that changes as jobs are inserted (greedy, repair,
    booking): keeps each shift's sequence, cost and timing bounds between calls.

    Positions are filtered by two necessary conditions before any full timing: the job can
    start in its window after the previous stop's earliest finish, and the next stop can
    still start by its latest feasible start (both computed without the break, so they only
    ever let too much through). Survivors are timed cheapest extra travel first; since adding
    a job never makes a route's overtime or lateness cheaper, a position whose extra travel
    alone exceeds the best found so far is not timed at all (exact when travel times obey the
    triangle inequality, as the haversine provider's do up to rounding)."""

    def __init__(self, problem: Problem, plan: Plan, *, exclude: str | None = None) -> None:
        self.problem = problem
        self.idx = _index(problem)
        routes = {r.shift_id: r for r in plan.routes}
        self.sequences: dict[str, list[str]] = {
            sid: [j for j in route_job_ids(routes.get(sid)) if j != exclude] for sid in self.idx.shifts
        }
        self._state: dict[str, tuple | None] = {}

    def _shift_state(self, sid: str):
        if sid not in self._state:
            shift = self.idx.shifts[sid]
            base = self.sequences[sid]
            cost = route_cost(self.problem, shift, base)
            if cost is None:
                self._state[sid] = None
            else:
                self._state[sid] = (cost, *_bounds(self.problem, shift, base))
        return self._state[sid]

    def best(self, job_id: str, *, shift_ids: Sequence[str] | None = None) -> Insertion | None:
        problem, idx = self.problem, self.idx
        job = idx.jobs[job_id]
        dur = idx.durations
        lo, hi = job_window(problem, job)
        candidates: list[tuple[int, str, int]] = []
        for sid in shift_ids if shift_ids is not None else list(idx.shifts):
            shift = idx.shifts[sid]
            if job_reasons(problem, shift, job):
                continue
            base = self.sequences[sid]
            if job_id in base:
                continue
            if shift.capacity is not None:
                load = sum(idx.jobs[j].demand for j in base) + job.demand
                if load > shift.capacity:
                    continue
            state = self._shift_state(sid)
            if state is None:
                continue
            _, locs, windows_lo, _durs, earliest_end, latest_start = state
            for pos in range(len(base) + 1):
                a, b = locs[pos], locs[pos + 1]
                to_job = int(dur[a][job.location])
                start = max(earliest_end[pos] + to_job, lo)
                if start > hi:
                    continue
                from_job = int(dur[job.location][b])
                next_start = max(start + job.duration + from_job, windows_lo[pos + 1])
                if next_start > latest_start[pos + 1]:
                    continue
                candidates.append((to_job + from_job - int(dur[a][b]), sid, pos))
        candidates.sort()
        best: Insertion | None = None
        for extra, sid, pos in candidates:
            if best is not None and extra >= best.delta_cost:
                break
            shift = idx.shifts[sid]
            base = self.sequences[sid]
            result = schedule_route(problem, shift, [*base[:pos], job_id, *base[pos:]])
            if not result.feasible:
                continue
            delta = result.cost - self._shift_state(sid)[0]
            if best is None or delta < best.delta_cost:
                best = Insertion(sid, pos, delta, result)
        return best

    def apply(self, insertion: Insertion, job_id: str) -> None:
        base = self.sequences[insertion.shift_id]
        base.insert(insertion.position, job_id)
        self._state.pop(insertion.shift_id, None)

    def routes(self) -> dict[str, list[str]]:
        return {sid: seq for sid, seq in self.sequences.items() if seq}


def _bounds(problem: Problem, shift: Shift, base: list[str]):
    """Per stop of the route (start depot, jobs, end depot): place, window start, duration,
    earliest finish (no break) and latest feasible start (no break)."""
    idx = _index(problem)
    dur = idx.durations
    jobs = [idx.jobs[j] for j in base]
    locs = [shift.start_location] + [j.location for j in jobs] + [shift.end_location]
    windows = [(shift.start, shift.start)] + [job_window(problem, j) for j in jobs]
    windows.append((-(10**12), shift.end + shift.max_overtime))
    durs = [0] + [j.duration for j in jobs] + [0]
    n = len(locs)
    earliest_end = [0] * n
    t = shift.start
    earliest_end[0] = t
    for k in range(1, n - 1):
        t = max(t + int(dur[locs[k - 1]][locs[k]]), windows[k][0]) + durs[k]
        earliest_end[k] = t
    latest_start = [0.0] * n
    latest_start[n - 1] = shift.end + shift.max_overtime
    for k in range(n - 2, 0, -1):
        latest_start[k] = min(windows[k][1], latest_start[k + 1] - int(dur[locs[k]][locs[k + 1]]) - durs[k])
    windows_lo = [w[0] for w in windows]
    return locs, windows_lo, durs, earliest_end, latest_start


def fits_alone(problem: Problem, shift: Shift, job_id: str) -> bool:
    """Whether the job could be done on this shift if it were the shift's only flexible job
    (its fixed visits stay): the test behind "window unreachable"."""
    idx = _index(problem)
    if job_reasons(problem, shift, idx.jobs[job_id]):
        return False
    base = [fv.job_id for fv in shift.fixed if fv.job_id != job_id]
    if job_id in {fv.job_id for fv in shift.fixed}:
        return schedule_route(problem, shift, [fv.job_id for fv in shift.fixed]).feasible
    return any(
        schedule_route(problem, shift, [*base[:pos], job_id, *base[pos:]]).feasible
        for pos in range(len(base) + 1)
    )
