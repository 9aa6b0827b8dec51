"""The planning problem and the plan: the optimiser's own interface, independent of any solver.

Pure Python, no Django. The product builds a :class:`Problem` from work orders and technicians
(``steward.dispatch.building``), the benchmarks build one from Solomon/VRPLIB files or a
generated field day; every engine (PyVRP adapter, greedy, OR-Tools in the bench) takes a
Problem and returns a :class:`Plan`; the validator checks any Plan against its Problem.

Conventions
-----------
* Time is integer seconds since ``Problem.origin`` (an aware datetime: local midnight of the
  first day of the horizon, in the organisation's timezone). Day ``d`` of the horizon spans
  ``[d * 86400, (d + 1) * 86400)`` only on days without a DST change; shifts carry their own
  absolute seconds, so nothing depends on that.
* Locations are indices into ``Problem.locations``; ``durations[i][j]`` is the travel time in
  seconds and ``distances[i][j]`` the distance in metres from i to j (integers; the matrices
  may be any sequence-of-sequences, e.g. numpy arrays).
* A job's window constrains the *start of service*: ``window.start <= start <= window.end``.
  Arriving early means waiting. A job without a window may start any time in a shift.
* Cost (the objective, integer "cost units"): travel seconds, plus for each job left unplanned
  its ``penalty``, plus overtime seconds times the shift's ``overtime_cost_factor``, plus for a
  job with a soft deadline that starts after it, ``lateness_penalty`` once (a step: late is late).
* A shift is one technician's working day: it starts no earlier than ``start`` at
  ``start_location`` and ends back at ``end_location`` no later than ``end + max_overtime``;
  time past ``end`` is overtime. A break of ``duration`` seconds starts within
  ``[window.start, window.end]`` (the break's window constrains its start) and is taken where
  the technician is (between two jobs, or before the first / after the last).
* ``fixed`` visits are already decided (started or pinned in time): they keep their shift and
  their start time, in the given order, and come first in the route only if started.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

DAY = 86_400


@dataclass(frozen=True, slots=True)
class Location:
    lat: float
    lon: float
    label: str = ""


@dataclass(frozen=True, slots=True)
class TimeWindow:
    start: int
    end: int

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"time window ends ({self.end}) before it starts ({self.start})")

    def contains(self, t: int) -> bool:
        return self.start <= t <= self.end


@dataclass(frozen=True, slots=True)
class Job:
    id: str
    location: int
    duration: int
    penalty: int
    skills: frozenset[str] = frozenset()
    window: TimeWindow | None = None
    priority: str = "P3"
    # Must be planned (a started job, or one the dispatcher pinned): never dropped.
    required: bool = False
    # Only this technician may do it (a pin to a technician, or a booking with them).
    pinned_technician: str | None = None
    # Start exactly here (a pin in time); implies the window [pinned_start, pinned_start].
    pinned_start: int | None = None
    # Soft deadline: starting after it is allowed (within `window`) at `lateness_penalty`.
    soft_deadline: int | None = None
    lateness_penalty: int = 0
    demand: int = 0  # load units, for capacitated benchmark instances (Solomon); 0 in the field

    def effective_window(self) -> TimeWindow | None:
        if self.pinned_start is not None:
            return TimeWindow(self.pinned_start, self.pinned_start)
        return self.window


@dataclass(frozen=True, slots=True)
class Break:
    duration: int
    window: TimeWindow  # the break's start lies in it


@dataclass(frozen=True, slots=True)
class FixedVisit:
    """A job that stays where it is: on this shift, starting at `start` (already started, or
    pinned in time and technician)."""

    job_id: str
    start: int


@dataclass(frozen=True, slots=True)
class Shift:
    id: str  # unique in the problem, e.g. "tech-7/2026-11-24"
    technician: str
    day: int  # index of the day in the horizon (0-based)
    start: int
    end: int
    start_location: int
    end_location: int
    max_overtime: int = 0
    overtime_cost_factor: float = 1.5
    break_: Break | None = None
    capacity: int | None = None  # load units (benchmarks); None = unlimited
    fixed: tuple[FixedVisit, ...] = ()


@dataclass(frozen=True, slots=True)
class Technician:
    id: str
    skills: frozenset[str]
    shifts: tuple[Shift, ...]
    label: str = ""


@dataclass
class Problem:
    origin: datetime | None
    locations: Sequence[Location]
    durations: Sequence[Sequence[int]]
    distances: Sequence[Sequence[int]]
    jobs: Sequence[Job]
    technicians: Sequence[Technician]
    name: str = ""

    def job(self, job_id: str) -> Job:
        return self._jobs_by_id()[job_id]

    def shift(self, shift_id: str) -> Shift:
        for t in self.technicians:
            for s in t.shifts:
                if s.id == shift_id:
                    return s
        raise KeyError(shift_id)

    def technician(self, technician_id: str) -> Technician:
        for t in self.technicians:
            if t.id == technician_id:
                return t
        raise KeyError(technician_id)

    def _jobs_by_id(self) -> dict[str, Job]:
        cache = self.__dict__.get("_job_index")
        if cache is None or len(cache) != len(self.jobs):
            cache = self.__dict__["_job_index"] = {j.id: j for j in self.jobs}
        return cache


class UnplannedReason(StrEnum):
    NO_QUALIFIED_TECHNICIAN = (
        "no_qualified_technician"  # nobody holds the skills (or the pin's tech lacks them)
    )
    WINDOW_UNREACHABLE = "window_unreachable"  # no qualified shift can reach it inside its window, even alone
    CAPACITY = "capacity"  # feasible alone, but the day is full: other work was worth more


@dataclass(frozen=True, slots=True)
class Visit:
    job_id: str
    arrival: int  # when the technician gets there
    start: int  # service start (>= arrival; waiting in between)
    end: int  # start + duration
    travel_seconds: int  # the leg that leads here
    travel_meters: int
    late_by: int = 0  # seconds past the job's soft deadline (0 = on time)


@dataclass(slots=True)
class Route:
    shift_id: str
    technician: str
    day: int
    visits: list[Visit]
    depart: int  # leaves start_location
    arrive: int  # back at end_location
    break_start: int | None = None
    travel_seconds: int = 0
    travel_meters: int = 0
    overtime_seconds: int = 0


@dataclass(frozen=True, slots=True)
class Unplanned:
    job_id: str
    reason: UnplannedReason
    detail: str = ""


@dataclass(slots=True)
class Plan:
    routes: list[Route]
    unplanned: list[Unplanned]
    cost: int = 0
    stats: dict = field(default_factory=dict)  # engine, runtime_seconds, iterations, setup_seconds, ...

    def route_for(self, shift_id: str) -> Route | None:
        return next((r for r in self.routes if r.shift_id == shift_id), None)

    def planned_job_ids(self) -> set[str]:
        return {v.job_id for r in self.routes for v in r.visits}


#: Unplanned-job penalties, in cost units (travel seconds). Each priority is worth
#: PRIORITY_STEP times the next lower one: a job of a level is dropped only when no amount of
#: lower work it could make room for (a 3-hour slot holds at most about six short jobs) would
#: pay for it, so high priorities are dropped last, not traded one for two. A P4 is worth an
#: hour of driving, a P1 216 hours. A job whose SLA would breach if not done in this horizon
#: is raised one level (an at-risk P2 weighs as a P1).
PRIORITY_STEP = 6
PRIORITY_PENALTY = {"P4": 3_600, "P3": 3_600 * 6, "P2": 3_600 * 6**2, "P1": 3_600 * 6**3}


def default_penalty(priority: str, *, sla_at_risk: bool = False) -> int:
    base = PRIORITY_PENALTY.get(priority, PRIORITY_PENALTY["P3"])
    return base * PRIORITY_STEP if sla_at_risk else base


class Engine:
    """What every optimiser engine offers (the PyVRP adapter, greedy, OR-Tools in the bench)."""

    name = "engine"

    def solve(self, problem: Problem, *, time_limit: float, seed: int = 0, progress=None) -> Plan:
        """`progress(fraction_done: float, best_cost: int | None)` is called now and then."""
        raise NotImplementedError
