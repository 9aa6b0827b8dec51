"""The product's optimiser engine: our :class:`~.problem.Problem` solved with PyVRP 0.14.

PyVRP chooses which jobs go on which shift in which order; :mod:`.schedule` then times every
route (ETAs, the lunch break, overtime, lateness), so every plan is timed by the same code the
validator's rules describe, whatever the engine.

How each part of the problem is modelled, and why it is sound
-------------------------------------------------------------
* **Shifts** are vehicle types: own start and end depot, ``tw_early = shift.start``,
  ``tw_late = end + max_overtime`` (a hard end). With overtime allowed, also ``start_late =
  shift.start`` (the day starts at the shift start, so PyVRP's route duration is ``arrive -
  shift.start`` and its overtime ``arrive - shift.end``, exactly our definition),
  ``shift_duration = end - start``, ``max_overtime`` and ``unit_overtime_cost`` = the factor.
  Shifts that are interchangeable (same allowed jobs, places, times, break, capacity, no fixed
  visits) share one vehicle type with ``num_available`` > 1, which keeps the benchmark path
  (25 identical Solomon vehicles) exactly PyVRP's own VRPTW model.
* **Cost** is integer: PyVRP's distance matrix holds our travel *seconds* times a scale ``S``
  (1, or 2, 4, 5, 10... so that every overtime factor times ``S`` is an integer); prizes are
  penalties times ``S``; the duration matrix holds plain seconds for the timing.
* **Jobs** are clients: ``required`` for required and fixed jobs, otherwise optional with
  ``prize = penalty`` (leaving one out costs its penalty). The window bounds the start of
  service; a pinned start or a fixed visit is a window of one instant.
* **Soft deadlines**: a job with a soft deadline inside its window becomes two clients in a
  mutually exclusive group: an on-time copy (window cut at the deadline, prize = penalty) and a
  late copy (whole window, prize = penalty - lateness). PyVRP counts the prize of every client
  not visited, so the three outcomes cost, relative to each other, exactly 0 (on time),
  lateness (late) and penalty (dropped) -- the objective's step penalty. A required job's group
  is required, with prizes lateness / 0.
* **Skills, pins to a technician and fixed visits** are allowed-client sets: one PyVRP routing
  profile per *distinct* set (technicians with the same skills share one; a technician with
  pinned or fixed jobs gets its own), in which every arc to or from a client outside the set
  costs ``M`` = more than every prize plus any route's travel together, so using one is never
  better than anything feasible. Memory is profiles x 2 x locations^2 x 8 bytes, reported in
  ``stats`` (``profiles``, ``matrix_bytes``). Every route is re-checked by :mod:`.schedule`,
  which rejects a wrong technician outright, so a forbidden arc can never reach a plan.
* **Lunch breaks** (PyVRP has none) are *reserved*: the break's duration is taken off the
  shift (``tw_late`` and ``shift_duration`` shrink by it), so PyVRP only builds routes that
  leave room for the break in total time. :mod:`.schedule` then places the break inside its
  window in the best gap (in waiting time when possible). When a route still cannot take its
  break (e.g. back-to-back windowed jobs across the whole break window), the route is
  repaired by taking out the job whose removal makes it feasible at the least penalty; taken
  out jobs and every other unplanned job are then offered to the cheapest feasible insertion.
  Sound because no plan leaves here without every route having passed :func:`schedule_route`;
  the reservation only makes that repair rare (it may cost a little overtime headroom when the
  break would have fitted in waiting time, which the insertion pass wins back).
* **Fixed visits** (started or pinned in time and technician) are required clients allowed
  only on their shift's profile, with an exact window, so they stay on their shift at their
  time.

Time limit
----------
``time_limit`` covers the whole call. PyVRP's own ``solve`` starts its clock only when the
search loop begins (PyVRP issue #1193), after computing neighbourhoods and an *exhaustive*
local search of a random initial solution; both grow with the number of profiles (its
``compute_neighbours`` walks every profile's matrix: 1.7-2.7 s for 30 profiles and 860 places
here, against 0.16 s for one), and a random solution is full of forbidden arcs. Here the loop's
stopping criterion is a deadline measured from the moment ``solve`` was called; with several
profiles the neighbourhood is computed once on the shared travel matrix
(:func:`skill_aware_neighbours`, 0.26 s); the start is a priority-first cheapest insertion when
jobs are optional (bounded to a quarter of the time; the better of it and the search's result
is returned), else PyVRP's own random start with one profile (the benchmark path) or required
jobs spread over allowed vehicles with several, each followed by one full descent; and
a share of the time is kept for timing, repair and insertion afterwards. ``stats`` reports
``setup_seconds``, ``search_seconds``, ``iterations``, ``profiles`` and ``matrix_bytes``.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import pyvrp
from pyvrp import (
    Client,
    ClientGroup,
    Depot,
    IteratedLocalSearch,
    IteratedLocalSearchParams,
    PenaltyManager,
    PenaltyParams,
    ProblemData,
    RandomNumberGenerator,
    Solution,
    VehicleType,
)
from pyvrp.constants import MAX_VALUE
from pyvrp.search import (
    OPERATORS,
    LocalSearch,
    NeighbourhoodParams,
    PerturbationManager,
    PerturbationParams,
    compute_neighbours,
)

from .problem import Engine, Job, Plan, Problem, Route, Shift, Unplanned, UnplannedReason
from .schedule import (
    Inserter,
    _index,
    fits_alone,
    job_reasons,
    job_window,
    plan_cost,
    schedule_route,
)

Progress = Callable[[float, int | None], None]


# --------------------------------------------------------------------------- why a job cannot go


def allowed_jobs(
    problem: Problem, jobs: Sequence[Job], shifts: Sequence[Shift], *, pins: bool = True
) -> dict[str, frozenset[int]]:
    """For each shift, the indices (into ``jobs``) of the jobs it may take: skills held, no pin
    to another technician, not fixed on another shift (the rules of ``job_reasons``, computed
    per distinct skill set rather than per job x shift)."""
    idx = _index(problem)
    by_skills: dict[frozenset[str], frozenset[int]] = {}
    pinned_to: dict[str, set[int]] = defaultdict(set)
    fixed_to: dict[str, set[int]] = defaultdict(set)
    too_big: dict[int, set[int]] = defaultdict(set)  # capacity -> jobs over it
    for k, job in enumerate(jobs):
        if job.pinned_technician is not None:
            pinned_to[job.pinned_technician].add(k)
        fixed = idx.fixed_on.get(job.id)
        if fixed is not None:
            fixed_to[fixed[0]].add(k)
    all_pinned = set().union(*pinned_to.values()) if pinned_to else set()
    all_fixed = set().union(*fixed_to.values()) if fixed_to else set()
    out: dict[str, frozenset[int]] = {}
    for shift in shifts:
        skills = idx.skills.get(shift.technician, frozenset())
        if skills not in by_skills:
            by_skills[skills] = frozenset(k for k, j in enumerate(jobs) if j.skills <= skills)
        allowed = set(by_skills[skills])
        if pins:
            allowed -= all_pinned - pinned_to.get(shift.technician, set())
        allowed -= all_fixed - fixed_to.get(shift.id, set())
        if shift.capacity is not None:
            if shift.capacity not in too_big:
                too_big[shift.capacity] = {k for k, j in enumerate(jobs) if j.demand > shift.capacity}
            allowed -= too_big[shift.capacity]
        out[shift.id] = frozenset(allowed)
    return out


def unplannable_reasons(
    problem: Problem, allowed: dict[str, frozenset[int]] | None = None
) -> dict[str, Unplanned]:
    """Jobs no plan can hold, and why: nobody qualified, or no qualified shift reaches the
    window even with the job as its only flexible job."""
    idx = _index(problem)
    shifts = list(idx.shifts.values())
    jobs = list(problem.jobs)
    if allowed is None:
        allowed = allowed_jobs(problem, jobs, shifts)
    shifts_for: dict[int, list[Shift]] = defaultdict(list)
    for shift in shifts:
        for k in allowed[shift.id]:
            shifts_for[k].append(shift)
    techs = {t.id: t for t in problem.technicians}
    out: dict[str, Unplanned] = {}
    for k, job in enumerate(jobs):
        if job.pinned_technician is not None:
            pinned = techs.get(job.pinned_technician)
            if pinned is None:
                detail = f"pinned technician {job.pinned_technician} is not in the problem"
            elif not job.skills <= pinned.skills:
                detail = f"pinned technician {pinned.id} lacks " + ", ".join(
                    sorted(job.skills - pinned.skills)
                )
            else:
                detail = ""
            if detail:
                out[job.id] = Unplanned(job.id, UnplannedReason.NO_QUALIFIED_TECHNICIAN, detail)
                continue
        elif not any(job.skills <= t.skills for t in problem.technicians):
            out[job.id] = Unplanned(
                job.id,
                UnplannedReason.NO_QUALIFIED_TECHNICIAN,
                "nobody holds " + ", ".join(sorted(job.skills)),
            )
            continue
        candidates = shifts_for.get(k, [])
        if not any(fits_alone(problem, s, job.id) for s in candidates):
            out[job.id] = Unplanned(
                job.id,
                UnplannedReason.WINDOW_UNREACHABLE,
                "no qualified shift can reach it inside its window"
                if candidates
                else "no shift of a qualified technician in the horizon",
            )
    return out


# --------------------------------------------------------------------------- the PyVRP model


@dataclass
class PyVRPModel:
    data: ProblemData
    scale: int
    client_job: list[str]  # PyVRP client index -> job id
    type_shifts: list[list[str]]  # vehicle type index -> the shifts it stands for
    num_profiles: int
    matrix_bytes: int
    big_m: int
    # client x profile: may a vehicle of that profile visit the client (for neighbourhoods)
    client_profiles: np.ndarray | None = None
    stats: dict = field(default_factory=dict)


def cost_scale(shifts: Sequence[Shift]) -> int:
    """Smallest integer S such that every overtime factor x S is whole (at most 100)."""
    scale = 1
    for s in shifts:
        if s.max_overtime <= 0:
            continue  # no overtime, no overtime cost
        frac = Fraction(s.overtime_cost_factor).limit_denominator(100)
        scale = math.lcm(scale, frac.denominator)
    return min(scale, 100)


def build_model(
    problem: Problem,
    job_ids: Sequence[str],
    shifts: Sequence[Shift],
    *,
    max_matrix_bytes: int | None = None,
) -> PyVRPModel:
    """The PyVRP data for these jobs on these shifts (see the module docstring).

    Memory safety net: if the profiles would need more than ``max_matrix_bytes``, pins to a
    technician are left out of the profiles (every pinned technician otherwise needs one of
    their own) and enforced afterwards instead: :func:`repair_route` takes a pinned job off a
    wrong technician and the insertion pass puts it only where :mod:`.schedule` allows."""
    idx = _index(problem)
    jobs = [idx.jobs[j] for j in job_ids]
    allowed_by_shift = allowed_jobs(problem, jobs, shifts)
    pins_in_profiles = True
    if max_matrix_bytes is not None:
        n_loc = len({p for s in shifts for p in (s.start_location, s.end_location)}) + len(jobs)
        if len(set(allowed_by_shift.values())) * 16 * n_loc * n_loc > max_matrix_bytes:
            allowed_by_shift = allowed_jobs(problem, jobs, shifts, pins=False)
            pins_in_profiles = False
    scale = cost_scale(shifts)
    durations = np.asarray(problem.durations, dtype=np.int64)

    # Locations: one per distinct depot place, then one per job (own location, so skills can
    # forbid per job even when two jobs share an address).
    depot_places: list[int] = []
    depot_of: dict[int, int] = {}
    for s in shifts:
        for place in (s.start_location, s.end_location):
            if place not in depot_of:
                depot_of[place] = len(depot_places)
                depot_places.append(place)
    num_depots = len(depot_places)
    sources = np.array(depot_places + [j.location for j in jobs], dtype=np.int64)
    base_duration = durations[np.ix_(sources, sources)]
    base_cost = base_duration * scale

    horizon_end = max((s.end + s.max_overtime for s in shifts), default=0) + 1
    total_prize = sum(j.penalty for j in jobs)
    big_m = int(
        min(MAX_VALUE, scale * (total_prize + int(base_duration.max(initial=0) + 1) * (len(jobs) + 2)) + 1)
    )

    load_dims = 1 if any(j.demand for j in jobs) or any(s.capacity is not None for s in shifts) else 0

    # Clients (and soft-deadline groups).
    clients: list[Client] = []
    client_job: list[str] = []
    job_clients: dict[str, list[int]] = defaultdict(list)
    groups: list[ClientGroup] = []
    for k, job in enumerate(jobs):
        loc = num_depots + k
        lo, hi = job_window(problem, job)
        lo = max(0, int(lo))
        hi = horizon_end if hi == math.inf else int(min(hi, horizon_end))
        required = job.required or job.id in idx.fixed_on
        delivery = [job.demand] if load_dims else []
        prize = job.penalty * scale
        deadline = job.soft_deadline
        if (
            deadline is not None
            and job.lateness_penalty > 0
            and lo <= deadline < hi
            and job.id not in idx.fixed_on
        ):
            late = job.lateness_penalty * scale
            group = len(groups)
            on_time_prize, late_prize = (late, 0) if required else (prize, max(0, prize - late))
            members = []
            for tw_late, p, name in ((deadline, on_time_prize, "on-time"), (hi, late_prize, "late")):
                members.append(len(clients))
                job_clients[job.id].append(len(clients))
                clients.append(
                    Client(
                        location=loc,
                        delivery=delivery,
                        service_duration=job.duration,
                        tw_early=lo,
                        tw_late=tw_late,
                        prize=p,
                        required=False,
                        group=group,
                        name=f"{job.id}:{name}",
                    )
                )
                client_job.append(job.id)
            groups.append(ClientGroup(members, required=required, name=job.id))
        else:
            job_clients[job.id].append(len(clients))
            clients.append(
                Client(
                    location=loc,
                    delivery=delivery,
                    service_duration=job.duration,
                    tw_early=lo,
                    tw_late=hi,
                    prize=0 if required else prize,
                    required=required,
                    name=job.id,
                )
            )
            client_job.append(job.id)

    # Profiles: one per distinct set of jobs a shift may do.
    profile_of_key: dict[frozenset[int], int] = {}
    profile_masks: list[np.ndarray | None] = []
    shift_profile: dict[str, int] = {}
    for s in shifts:
        allowed = allowed_by_shift[s.id]
        if allowed not in profile_of_key:
            profile_of_key[allowed] = len(profile_masks)
            if len(allowed) == len(jobs):
                profile_masks.append(None)
            else:
                mask = np.zeros(len(sources), dtype=bool)
                mask[:num_depots] = True
                mask[[num_depots + k for k in allowed]] = True
                profile_masks.append(mask)
        shift_profile[s.id] = profile_of_key[allowed]
    distance_matrices = []
    for mask in profile_masks:
        if mask is None:
            distance_matrices.append(base_cost)
        else:
            m = base_cost.copy()
            m[:, ~mask] = big_m
            m[~mask, :] = big_m
            np.fill_diagonal(m, 0)
            distance_matrices.append(m)
    duration_matrices = [base_duration] * len(profile_masks)
    client_profiles = np.ones((len(clients), len(profile_masks)), dtype=bool)
    for p, mask in enumerate(profile_masks):
        if mask is not None:
            client_profiles[:, p] = mask[[c.location for c in clients]]

    # Vehicle types: interchangeable shifts share one.
    type_of_key: dict[tuple, int] = {}
    type_shifts: list[list[str]] = []
    vehicle_types: list[VehicleType] = []
    for s in shifts:
        brk = s.break_.duration if s.break_ is not None else 0
        key = (
            shift_profile[s.id],
            s.start_location,
            s.end_location,
            s.start,
            s.end,
            s.max_overtime,
            s.overtime_cost_factor,
            s.capacity,
            s.break_,
        )
        if not s.fixed and key in type_of_key:
            t = type_of_key[key]
            type_shifts[t].append(s.id)
            vehicle_types[t] = vehicle_types[t].replace(num_available=len(type_shifts[t]))
            continue
        capacity = []
        if load_dims:
            capacity = [s.capacity if s.capacity is not None else 2**40]
        overtime = {}
        if s.max_overtime > 0:
            # Day starts at shift start, so duration - shift_duration is time past shift end.
            overtime = {
                "start_late": s.start,
                "shift_duration": max(0, s.end - s.start - brk),
                "max_overtime": s.max_overtime,
                "unit_overtime_cost": round(s.overtime_cost_factor * scale),
            }
        # (Without overtime, tw_late alone bounds the day: PyVRP's plain VRPTW vehicle.)
        vehicle_types.append(
            VehicleType(
                num_available=1,
                capacity=capacity,
                start_depot=depot_of[s.start_location],
                end_depot=depot_of[s.end_location],
                tw_early=s.start,
                tw_late=max(s.start, s.end + s.max_overtime - brk),
                unit_distance_cost=1,
                profile=shift_profile[s.id],
                name=s.id,
                **overtime,
            )
        )
        type_shifts.append([s.id])
        if not s.fixed:
            type_of_key[key] = len(vehicle_types) - 1

    locations = [
        pyvrp.Location(float(i), 0.0, name=problem.locations[int(src)].label if problem.locations else "")
        for i, src in enumerate(sources)
    ]
    depots = [Depot(location=d) for d in range(num_depots)]
    data = ProblemData(
        locations=locations,
        clients=clients,
        depots=depots,
        vehicle_types=vehicle_types,
        distance_matrices=distance_matrices,
        duration_matrices=duration_matrices,
        groups=groups,
    )
    n_loc = len(sources)
    return PyVRPModel(
        data=data,
        scale=scale,
        client_job=client_job,
        type_shifts=type_shifts,
        num_profiles=len(profile_masks),
        matrix_bytes=2 * len(profile_masks) * n_loc * n_loc * 8,
        big_m=big_m,
        client_profiles=client_profiles,
        stats={"job_clients": dict(job_clients), "pins_in_profiles": pins_in_profiles},
    )


# --------------------------------------------------------------------------- solving


def skill_aware_neighbours(model: PyVRPModel, num_neighbours: int) -> dict:
    """The granular neighbourhood, computed here rather than by PyVRP when there are several
    profiles: PyVRP's ``compute_neighbours`` works through every profile's full matrix (time
    grows with profiles x locations^2, 1.7 s for 30 profiles and 860 places on this machine),
    and forbidden arcs distort its proximity. Here: Vidal's proximity (travel + 0.2 x waiting +
    time-window violation, symmetrised) on the one shared travel matrix, where two clients no
    single profile may both visit, or two copies of the same job, are never neighbours."""
    data = model.data
    clients = data.clients()
    n = len(clients)
    if n <= 1:
        return {pyvrp.Activity(pyvrp.ActivityType.CLIENT, i): [] for i in range(n)}
    loc = np.array([c.location for c in clients])
    travel = data.duration_matrix(0)[np.ix_(loc, loc)].astype(float)
    early = np.array([c.tw_early for c in clients], dtype=float)
    late = np.array([c.tw_late for c in clients], dtype=float)
    service = np.array([c.service_duration for c in clients], dtype=float)
    wait = np.maximum(0.0, early[None, :] - service[:, None] - travel - late[:, None])
    warp = np.maximum(0.0, early[:, None] + service[:, None] + travel - late[None, :])
    prox = travel + 0.2 * wait + warp
    prox = np.minimum(prox, prox.T)
    masks = model.client_profiles.astype(np.uint8)
    prox[(masks @ masks.T) == 0] = np.inf
    same_location = loc[:, None] == loc[None, :]  # copies of one job share a location
    groups = np.array([-1 if c.group is None else c.group for c in clients])
    prox[(groups[:, None] == groups[None, :]) & (groups[:, None] >= 0) & same_location] = np.inf
    np.fill_diagonal(prox, np.inf)
    k = min(num_neighbours, n - 1)
    nearest = np.argpartition(prox, k - 1, axis=1)[:, :k]
    rows = np.take_along_axis(prox, nearest, axis=1)
    order = np.take_along_axis(nearest, np.argsort(rows, axis=1, kind="stable"), axis=1)
    finite = np.isfinite(np.take_along_axis(prox, order, axis=1))
    acts = [pyvrp.Activity(pyvrp.ActivityType.CLIENT, i) for i in range(n)]
    out = {}
    for i in range(n):
        out[acts[i]] = [acts[j] for j in order[i][finite[i]].tolist()]
    return out


class _Deadline:
    """PyVRP stopping criterion: a wall-clock deadline fixed before set-up began (PyVRP's own
    MaxRuntime starts counting only at the first iteration)."""

    def __init__(self, deadline: float, *, started: float, limit: float, progress, scale: int):
        self.deadline = deadline
        self.started = started
        self.limit = limit
        self.progress = progress
        self.scale = scale
        self.iterations = 0
        self._last_report = 0.0

    def __call__(self, best_cost: float) -> bool:
        now = time.perf_counter()
        self.iterations += 1
        if self.progress is not None and now - self._last_report >= 0.5:
            self._last_report = now
            cost = None if best_cost >= MAX_VALUE or math.isinf(best_cost) else int(best_cost) // self.scale
            self.progress(min(1.0, (now - self.started) / self.limit), cost)
        return now >= self.deadline


def _initial_solution(model: PyVRPModel, rng: RandomNumberGenerator) -> Solution:
    """A cheap start: required clients spread over the vehicles allowed to take them (cheapest
    return trip from the vehicle's start depot); optional clients start unplanned and are
    inserted by the search. Fast however many profiles there are (unlike an exhaustive descent
    from a random solution full of forbidden arcs)."""
    data = model.data
    vts = data.vehicle_types()
    dist = [data.distance_matrix(p) for p in range(data.num_profiles)]
    slots = [(t, i) for t, vt in enumerate(vts) for i in range(vt.num_available)]
    routes: dict[tuple[int, int], list[int]] = defaultdict(list)
    required_groups = {g for g, grp in enumerate(data.groups()) if grp.required}
    seen_groups: set[int] = set()
    for c, client in enumerate(data.clients()):
        must = client.required or (client.group in required_groups and client.group not in seen_groups)
        if not must:
            continue
        if client.group is not None:
            seen_groups.add(client.group)
        loc = client.location
        best = None
        for slot in slots:
            vt = vts[slot[0]]
            d = dist[vt.profile]
            cost = int(d[vt.start_depot, loc]) + int(d[loc, vt.end_depot]) + 10 * len(routes[slot])
            if best is None or cost < best[0]:
                best = (cost, slot)
        routes[best[1]].append(c)
    # Order each route by window start, the natural order for time windows.
    clients = data.clients()
    built = []
    for (t, _), visits in routes.items():
        if visits:
            visits.sort(key=lambda c: clients[c].tw_early)
            built.append(pyvrp.Route(data, visits, t))
    return Solution(data, built)


def solution_from_plan(model: PyVRPModel, problem: Problem, plan: Plan) -> Solution | None:
    """A warm start from an existing plan (re-planning), or None if it does not map."""
    data = model.data
    clients_of = model.stats["job_clients"]
    shift_type = {sid: t for t, sids in enumerate(model.type_shifts) for sid in sids}
    used: dict[int, int] = defaultdict(int)
    routes = []
    clients = data.clients()
    for route in plan.routes:
        t = shift_type.get(route.shift_id)
        if t is None or not route.visits:
            continue
        visits = []
        for v in route.visits:
            options = clients_of.get(v.job_id)
            if not options:
                continue
            # The on-time copy if the visit starts by its deadline, else the late one.
            pick = next((c for c in options if clients[c].tw_late >= v.start), options[-1])
            visits.append(pick)
        if not visits:
            continue
        if used[t] >= data.vehicle_type(t).num_available:
            return None
        used[t] += 1
        routes.append(pyvrp.Route(data, visits, t))
    try:
        return Solution(data, routes)
    except (RuntimeError, ValueError):
        return None


class PyVRPEngine(Engine):
    """The product engine. After the search, time is kept for timing, repair and insertion:
    about 3 ms per optional job (measured: 800 need 2-3 s under load; required jobs are all
    planned already, so a benchmark of required customers keeps almost nothing), at most ``post_share`` of
    the time limit, at least ``min_post_seconds``; the insertion pass stops at the deadline
    anyway, so the reserve only decides how much of it can run."""

    name = "pyvrp"

    def __init__(
        self,
        *,
        post_share: float = 0.1,
        min_post_seconds: float = 0.05,
        num_neighbours: int = 50,
        greedy_share: float = 0.25,
        max_matrix_bytes: int | None = 1 << 30,
    ) -> None:
        self.greedy_share = greedy_share
        self.max_matrix_bytes = max_matrix_bytes
        self.post_share = post_share
        self.min_post_seconds = min_post_seconds
        self.num_neighbours = num_neighbours

    def solve(
        self,
        problem: Problem,
        *,
        time_limit: float,
        seed: int = 0,
        progress: Progress | None = None,
        initial: Plan | None = None,
        max_iterations: int | None = None,
    ) -> Plan:
        started = time.perf_counter()
        deadline = started + time_limit
        idx = _index(problem)
        shifts = list(idx.shifts.values())

        hopeless = unplannable_reasons(problem)
        job_ids = [j.id for j in problem.jobs if j.id not in hopeless]
        stats: dict = {"engine": self.name, "jobs": len(problem.jobs), "shifts": len(shifts)}

        sequences: dict[str, list[str]] = {}
        if job_ids and shifts:
            model = build_model(problem, job_ids, shifts, max_matrix_bytes=self.max_matrix_bytes)
            stats.update(
                profiles=model.num_profiles,
                vehicle_types=model.data.num_vehicle_types,
                clients=model.data.num_clients,
                locations=model.data.num_locations,
                matrix_bytes=model.matrix_bytes,
                cost_scale=model.scale,
                pins_in_profiles=model.stats["pins_in_profiles"],
            )
            optional = sum(1 for j in problem.jobs if not j.required)
            start_plan = initial
            if start_plan is None and optional:
                # Prize-collecting: start from a priority-first cheapest-insertion plan (what a
                # dispatcher would do), bounded to a share of the time. PyVRP's own start
                # inserts optional jobs in no particular order, and on a loaded machine its
                # search may not get out of that basin in time (measured: a greedy start keeps
                # ~35 more P1 jobs on a 60x800 day). The better of the two plans is returned.
                greedy = finish_plan(
                    problem,
                    {},
                    hopeless,
                    deadline=started + self.greedy_share * time_limit,
                    stats={"engine": "greedy-start"},
                )
                start_plan = greedy
                stats["greedy_start_cost"] = greedy.cost
            post = max(
                self.min_post_seconds,
                min(self.post_share * time_limit, 0.003 * optional + 0.0005 * len(problem.jobs)),
            )
            search_deadline = max(time.perf_counter(), deadline - post)
            result, iterations = self._search(
                model,
                problem,
                seed,
                started,
                time_limit,
                search_deadline,
                progress,
                start_plan,
                max_iterations,
                descend=initial is None,  # a greedy start is improved at once; a warm start kept
            )
            stats["setup_seconds"] = round(result["setup"], 3)
            stats["iterations"] = iterations
            stats["search_seconds"] = round(result["search"], 3)
            stats["pyvrp_feasible"] = result["solution"].is_feasible()
            sequences = self._sequences(model, result["solution"])
        else:
            stats.update(profiles=0, setup_seconds=round(time.perf_counter() - started, 3), iterations=0)

        plan = finish_plan(problem, sequences, hopeless, deadline=deadline, stats=stats)
        greedy_cost = stats.get("greedy_start_cost")
        if greedy_cost is not None and greedy_cost < plan.cost:
            # The search ended worse than its start (breaks it could not see): keep the start.
            plan = Plan(routes=greedy.routes, unplanned=greedy.unplanned, cost=greedy.cost)
            plan.stats = {**stats, "kept_greedy_start": True}
        plan.stats["runtime_seconds"] = round(time.perf_counter() - started, 3)
        if progress is not None:
            progress(1.0, plan.cost)
        return plan

    def _search(
        self,
        model,
        problem,
        seed,
        started,
        limit,
        search_deadline,
        progress,
        initial,
        max_iterations,
        descend=False,
    ):
        data = model.data
        rng = RandomNumberGenerator(seed=seed)
        if data.num_profiles > 1:
            neighbours = skill_aware_neighbours(model, self.num_neighbours)
        else:
            neighbours = compute_neighbours(data, NeighbourhoodParams(num_neighbours=self.num_neighbours))
        ls = LocalSearch(data, rng, neighbours, PerturbationManager(PerturbationParams()))
        for op in OPERATORS:
            if op.supports(data):
                ls.add_operator(op(data))
        params = PenaltyParams()
        pm = PenaltyManager(params.midpoint_penalties(data), params)
        init = solution_from_plan(model, problem, initial) if initial is not None else None
        if init is not None and descend:
            init = ls(init, pm.max_cost_evaluator(), exhaustive=True)
        if init is None:
            # One full descent, as PyVRP's own solve does, from a random solution when nothing
            # is forbidden (PyVRP's own path, kept for the benchmarks) and otherwise from the
            # cheap start (a random solution is then full of forbidden arcs: 1.6 s against
            # 0.7 s for 800 jobs and 30 profiles here).
            start = (
                Solution.make_random(data, rng) if data.num_profiles == 1 else _initial_solution(model, rng)
            )
            init = ls(start, pm.max_cost_evaluator(), exhaustive=True)
        setup = time.perf_counter() - started
        stop = _Deadline(search_deadline, started=started, limit=limit, progress=progress, scale=model.scale)
        if max_iterations is not None:
            budget = max_iterations
            base = stop

            def stop(cost, _base=base):
                nonlocal budget
                budget -= 1
                return _base(cost) or budget < 0

        algo = IteratedLocalSearch(data, pm, ls, init, IteratedLocalSearchParams())
        t = time.perf_counter()
        res = algo.run(stop, collect_stats=False)
        return (
            {"solution": res.best, "setup": setup, "search": time.perf_counter() - t},
            res.num_iterations,
        )

    def _sequences(self, model: PyVRPModel, solution: Solution) -> dict[str, list[str]]:
        free = [list(sids) for sids in model.type_shifts]
        out: dict[str, list[str]] = {}
        for route in solution.routes():
            t = route.vehicle_type()
            sid = free[t].pop(0)
            out[sid] = [model.client_job[a.idx] for a in route if a.is_client()]
        return out


# --------------------------------------------------------------------------- from sequences to a plan


def finish_plan(
    problem: Problem,
    sequences: dict[str, list[str]],
    hopeless: dict[str, Unplanned] | None = None,
    *,
    deadline: float | None = None,
    stats: dict | None = None,
    fill: bool = True,
) -> Plan:
    """Time every sequence with :func:`schedule_route`, repair any route that cannot be done
    (break, windows, a forbidden technician), offer every unplanned job to its cheapest
    feasible insertion while it is worth its penalty (unless ``fill`` is off: re-planning must
    not move anyone for a job nobody asked about), and give every unplanned job its reason.
    Shared by every engine built on sequences (PyVRP, re-planning)."""
    idx = _index(problem)
    hopeless = hopeless if hopeless is not None else unplannable_reasons(problem)
    stats = dict(stats or {})
    routes: dict[str, Route] = {}
    repaired: list[str] = []
    for sid, seq in sequences.items():
        if not seq:
            continue
        shift = idx.shifts[sid]
        route, removed = repair_route(problem, shift, seq)
        repaired.extend(removed)
        if route is not None and route.visits:
            routes[sid] = route

    plan = Plan(routes=[routes[s] for s in idx.shifts if s in routes], unplanned=[])
    planned = plan.planned_job_ids()
    waiting = [j for j in problem.jobs if j.id not in planned and j.id not in hopeless]
    if not fill:
        waiting = []
    # Most valuable first (a P1 gets the first pick of the remaining room), and among equals the
    # window that closes first, as a dispatcher would: a job that can go late in the day should
    # not take the slot of one that cannot (measured on the 60x800 day: 2 more P1s planned).
    waiting.sort(key=_insertion_order)
    inserted = 0
    inserter = Inserter(problem, plan)
    by_shift = {r.shift_id: r for r in plan.routes}
    for job in waiting:
        if deadline is not None and time.perf_counter() > deadline:
            break
        ins = inserter.best(job.id)
        if ins is None or (ins.delta_cost >= job.penalty and not job.required):
            continue
        inserter.apply(ins, job.id)
        by_shift[ins.shift_id] = ins.result.route
        inserted += 1
    plan.routes = list(by_shift.values())
    order = {sid: k for k, sid in enumerate(idx.shifts)}
    plan.routes.sort(key=lambda r: order[r.shift_id])
    planned = plan.planned_job_ids()
    unplanned = []
    for job in problem.jobs:
        if job.id in planned:
            continue
        if job.id in hopeless:
            unplanned.append(hopeless[job.id])
        else:
            unplanned.append(
                Unplanned(job.id, UnplannedReason.CAPACITY, "the shifts are full of work worth more")
            )
    plan.unplanned = unplanned
    plan.cost = plan_cost(problem, plan)
    stats.update(repaired=len(repaired), inserted_after=inserted)
    plan.stats = stats
    return plan


def _insertion_order(job) -> tuple:
    window = job.effective_window()
    return (not job.required, -job.penalty, window.end if window is not None else float("inf"), job.id)


def repair_route(problem: Problem, shift: Shift, seq: list[str]) -> tuple[Route | None, list[str]]:
    """The timed route, after losing as little as possible if the sequence cannot be done.

    Each step first tries to move one job to another position of the same route (nothing is
    lost: typically the lunch break then fits), and otherwise takes out the job (never a fixed
    one) whose removal makes the route feasible at the lowest penalty, or failing that the
    lowest-penalty job, and tries again."""
    idx = _index(problem)
    removed: list[str] = []
    seq = list(seq)
    fixed = {fv.job_id for fv in shift.fixed}
    # Jobs this shift may never take go first (a forbidden arc PyVRP was pushed into).
    bad = [j for j in seq if j not in fixed and job_reasons(problem, shift, idx.jobs[j])]
    for j in bad:
        seq.remove(j)
        removed.append(j)
    while True:
        result = schedule_route(problem, shift, seq)
        if result.feasible:
            return result.route, removed
        movable = [j for j in seq if j not in fixed]
        if not movable:
            return None, removed
        moved = None
        for j in movable:
            rest = [x for x in seq if x != j]
            for pos in range(len(rest) + 1):
                trial = [*rest[:pos], j, *rest[pos:]]
                if trial == seq:
                    continue
                r = schedule_route(problem, shift, trial)
                if r.feasible and (moved is None or r.cost < moved[0]):
                    moved = (r.cost, r.route)
        if moved is not None:
            return moved[1], removed
        best = None
        for j in movable:
            r = schedule_route(problem, shift, [x for x in seq if x != j])
            key = (not r.feasible, idx.jobs[j].required, idx.jobs[j].penalty, r.cost)
            if best is None or key < best[0]:
                best = (key, j)
        seq.remove(best[1])
        removed.append(best[1])
