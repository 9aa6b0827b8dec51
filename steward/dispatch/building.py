"""From the database to the optimiser's Problem, for a horizon of 1-5 days starting on a date.

This is the only place that knows both the ORM and the optimiser's interface; the optimiser
package itself stays free of Django. What goes in:

* every active technician's shifts on each day: the weekly shift patterns valid that day minus
  absences (a shift an absence cuts in two becomes two shifts), starting and ending at home or at
  the depot, with the lunch break inside its local window, bounded and costed overtime, and the
  skills valid that day (an expired certification is not a skill);
* the open work orders the horizon can serve: unscheduled ones whose window is not over before
  the horizon starts, scheduled or dispatched ones on its days, and started ones (en route, on
  site), which stay fixed on their technician, whose current position is the job's site;
* windows: a booked slot or a maintenance window is hard; an SLA on-site deadline is a soft
  deadline (late is allowed, at a price); no window means any time in the horizon;
* pins: to a technician (only they may do it), in time (the job starts exactly then; with a
  technician too, it is a fixed visit on their shift);
* penalties: `default_penalty(priority, sla_at_risk)`, so a P1, or a job whose SLA breaches in
  the horizon, is dropped last.

Ids in the problem: technician ``tech-<pk>``, job ``wo-<pk>``, shift ``tech-<pk>/<date>[/n]``.
"""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import pairwise

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from steward.dispatch.optimiser.problem import (
    Break,
    FixedVisit,
    Job,
    Location,
    Problem,
    Shift,
    Technician,
    TimeWindow,
    default_penalty,
)
from steward.field.models import (
    OPEN_WORK_ORDER_STATUSES,
    STARTED_WORK_ORDER_STATUSES,
    Absence,
    ShiftPattern,
    WindowKind,
    WorkOrder,
)
from steward.field.models import Technician as TechnicianRow

MAX_DAYS = 5


def tech_key(pk: int) -> str:
    return f"tech-{pk}"


def job_key(pk: int) -> str:
    return f"wo-{pk}"


def pk_of(key: str) -> int:
    """``tech-7`` / ``wo-12`` / ``tech-7/2026-11-24`` -> 7 / 12 / 7."""
    return int(key.split("/")[0].split("-", 1)[1])


@dataclass
class Built:
    """A problem with the rows it was made from, so a plan can be written back."""

    problem: Problem
    horizon_start: date
    days: int
    work_orders: dict[str, WorkOrder]  # job id -> row
    technicians: dict[str, TechnicianRow]  # technician id -> row
    shift_days: dict[str, date]  # shift id -> local date
    inputs: dict = field(default_factory=dict)

    def to_datetime(self, seconds: int | None) -> datetime | None:
        if seconds is None:
            return None
        return self.problem.origin + timedelta(seconds=int(seconds))

    def to_seconds(self, moment: datetime) -> int:
        return int((moment - self.problem.origin).total_seconds())


def horizon_origin(start: date) -> datetime:
    """Local midnight of the first day, in the organisation's timezone: the problem's time zero."""
    return datetime.combine(start, time(0), tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))


# --- technicians and their shifts ---------------------------------------------------------------


def _intervals_minus(base: tuple[datetime, datetime], cuts: list[tuple[datetime, datetime]]):
    """The parts of `base` not covered by any of `cuts`."""
    pieces = [base]
    for cut_start, cut_end in cuts:
        nxt = []
        for s, e in pieces:
            if cut_end <= s or cut_start >= e:
                nxt.append((s, e))
                continue
            if s < cut_start:
                nxt.append((s, cut_start))
            if cut_end < e:
                nxt.append((cut_end, e))
        pieces = nxt
    return pieces


def _local(day: date, clock: time, tz: zoneinfo.ZoneInfo) -> datetime:
    return datetime.combine(day, clock, tzinfo=tz)


def _shift_pieces(tech: TechnicianRow, day: date, patterns, absences):
    tz = zoneinfo.ZoneInfo(tech.timezone)
    pieces = []
    for p in patterns:
        if p.weekday != day.weekday():
            continue
        if (p.valid_from and p.valid_from > day) or (p.valid_until and p.valid_until < day):
            continue
        base = (_local(day, p.start, tz), _local(day, p.end, tz))
        pieces += _intervals_minus(base, [(a.starts_at, a.ends_at) for a in absences])
    # A piece shorter than 15 minutes is no working time worth planning.
    return sorted(p for p in pieces if (p[1] - p[0]).total_seconds() >= 900)


def _lunch_for(tech: TechnicianRow, day: date, pieces) -> int | None:
    """Which piece takes the lunch break: none when the pieces already leave a gap of lunch length
    inside the lunch window (a split shift); else the first piece the break fits in."""
    if not tech.lunch_minutes:
        return None
    tz = zoneinfo.ZoneInfo(tech.timezone)
    w_start, w_end = _local(day, tech.lunch_window_start, tz), _local(day, tech.lunch_window_end, tz)
    need = timedelta(minutes=tech.lunch_minutes)
    for (_, e1), (s2, _) in pairwise(pieces):
        gap_start, gap_end = max(e1, w_start), min(s2, w_end + need)
        if gap_end - gap_start >= need:
            return None
    for i, (s, e) in enumerate(pieces):
        if max(s, w_start) + need <= e and max(s, w_start) <= w_end:
            return i
    return None


def valid_skills(tech: TechnicianRow, day: date) -> frozenset[str]:
    return frozenset(s.skill for s in tech.user.skills.all() if s.is_valid_on(day))


# --- the travel matrix ----------------------------------------------------------------------------

_PROVIDERS: dict[tuple, object] = {}


def travel_provider():
    """The configured travel-time provider: the offline default is great-circle distance times a
    circuity factor, over a speed (STEWARD_TRAVEL_SPEED_KMH, STEWARD_TRAVEL_CIRCUITY_PERCENT).
    One provider per setting, so its matrix cache lives as long as the process."""
    from steward.dispatch.optimiser.travel import GreatCircleProvider

    key = (settings.STEWARD_TRAVEL_SPEED_KMH, settings.STEWARD_TRAVEL_CIRCUITY_PERCENT)
    if key not in _PROVIDERS:
        _PROVIDERS[key] = GreatCircleProvider(speed_kmh=key[0], circuity=key[1] / 100)
    return _PROVIDERS[key]


def travel_matrices(locations: list[Location]):
    """(durations, distances) for the locations, cached per problem by the provider (keyed by
    the coordinates and its settings), so building the same horizon again, as the board's
    manual edits and the slot search do, does not recompute an 800 x 800 matrix."""
    return travel_provider().matrices(locations)


class _Places:
    """Locations by coordinates, deduplicated (many jobs share a site)."""

    def __init__(self) -> None:
        self.locations: list[Location] = []
        self._index: dict[tuple[float, float], int] = {}

    def add(self, lat, lon, label: str) -> int:
        key = (round(float(lat), 6), round(float(lon), 6))
        if key not in self._index:
            self._index[key] = len(self.locations)
            self.locations.append(Location(key[0], key[1], label))
        return self._index[key]


# --- work orders ----------------------------------------------------------------------------------


def open_work_orders(horizon_start: date, days: int, origin: datetime, now: datetime | None = None):
    """The open work orders this horizon can serve (see the module docstring). Without `now`,
    the horizon is taken as the present one."""
    end = origin + timedelta(days=days)
    unscheduled = Q(status="unscheduled") & (Q(window_end__isnull=True) | Q(window_end__gte=origin))
    unscheduled &= Q(window_start__isnull=True) | Q(window_start__lt=end)
    on_days = Q(status__in=("scheduled", "dispatched"), scheduled_start__gte=origin, scheduled_start__lt=end)
    # Scheduled on a day already over but never started: it still needs doing. Not today's: a
    # job later today is today's plan's, and tomorrow's plan must not take it twice.
    today = origin if now is None else horizon_origin(timezone.localdate(now))
    overdue = Q(status__in=("scheduled", "dispatched"), scheduled_start__lt=min(origin, today))
    wanted = unscheduled | on_days | overdue
    if now is None or origin <= now < end:  # jobs under way belong to the plan of the day they are under way
        wanted |= Q(status__in=STARTED_WORK_ORDER_STATUSES)
    return (
        WorkOrder.objects.filter(status__in=OPEN_WORK_ORDER_STATUSES)
        .filter(wanted)
        .select_related("site", "account")
        .order_by("id")
    )


def _job_window(wo: WorkOrder, b_origin: datetime, horizon_seconds: int):
    """(window, soft_deadline) in problem seconds."""

    def sec(dt):
        return int((dt - b_origin).total_seconds())

    if wo.window_kind == WindowKind.SLA or (not wo.window_kind and wo.sla_deadline):
        deadline = wo.sla_deadline or wo.window_end
        start = max(0, sec(wo.window_start)) if wo.window_start else 0
        return TimeWindow(min(start, horizon_seconds), horizon_seconds), (sec(deadline) if deadline else None)
    if wo.window_start or wo.window_end:
        start = sec(wo.window_start) if wo.window_start else 0
        stop = sec(wo.window_end) if wo.window_end else horizon_seconds
        start, stop = max(0, start), min(horizon_seconds, stop)
        if stop < start:  # the window lies outside the horizon: nothing can reach it
            stop = start
        return TimeWindow(start, stop), None
    return None, None


def build_problem(horizon_start: date, days: int = 1, *, now: datetime | None = None) -> Built:
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be 1..{MAX_DAYS}")
    origin = horizon_origin(horizon_start)
    horizon_seconds = int((horizon_origin(horizon_start + timedelta(days=days)) - origin).total_seconds())
    the_days = [horizon_start + timedelta(days=i) for i in range(days)]
    places = _Places()

    techs = list(
        TechnicianRow.objects.filter(is_active=True, user__is_active=True)
        .select_related("user", "depot")
        .prefetch_related("user__skills")
        .order_by("id")
    )
    patterns = defaultdict(list)
    for p in ShiftPattern.objects.filter(technician__in=techs):
        patterns[p.technician_id].append(p)
    absences = defaultdict(list)
    for a in Absence.objects.filter(
        technician__in=techs,
        starts_at__lt=origin + timedelta(days=days + 1),
        ends_at__gt=origin - timedelta(days=1),
    ):
        absences[a.technician_id].append(a)

    work_orders = list(open_work_orders(horizon_start, days, origin, now))
    by_job = {job_key(wo.pk): wo for wo in work_orders}
    started_by_tech: dict[int, list[WorkOrder]] = defaultdict(list)
    for wo in work_orders:
        if wo.status in STARTED_WORK_ORDER_STATUSES and wo.technician_id:
            started_by_tech[wo.technician_id].append(wo)

    def sec(dt: datetime) -> int:
        return int((dt - origin).total_seconds())

    # Jobs first (their sites are locations); fixed visits attach to shifts below.
    jobs: list[Job] = []
    job_location: dict[str, int] = {}
    for wo in work_orders:
        key = job_key(wo.pk)
        loc = places.add(wo.site.latitude, wo.site.longitude, wo.site.name)
        job_location[key] = loc
        window, soft = _job_window(wo, origin, horizon_seconds)
        at_risk = wo.sla_deadline is not None and sec(wo.sla_deadline) < horizon_seconds
        penalty = default_penalty(wo.priority, sla_at_risk=at_risk)
        started = wo.status in STARTED_WORK_ORDER_STATUSES
        pinned_start = (
            sec(wo.pinned_start) if wo.pinned_start and 0 <= sec(wo.pinned_start) < horizon_seconds else None
        )
        pinned_tech = wo.pinned_technician_id or (wo.technician_id if started else None)
        duration = int(wo.duration_minutes) * 60
        if started and wo.on_site_at and now is not None:
            # On site since then: what is left of the job, from now (at least a minute).
            duration = max(60, int((wo.on_site_at - now).total_seconds()) + duration)
        jobs.append(
            Job(
                id=key,
                location=loc,
                duration=duration,
                penalty=penalty,
                skills=frozenset(wo.required_skills or ()),
                window=None if started else window,
                priority=wo.priority,
                required=started or pinned_start is not None,
                pinned_technician=tech_key(pinned_tech) if pinned_tech else None,
                pinned_start=None if started else pinned_start,
                soft_deadline=None if started else soft,
                lateness_penalty=penalty // 2 if soft is not None else 0,
            )
        )

    technicians: list[Technician] = []
    tech_rows: dict[str, TechnicianRow] = {}
    shift_days: dict[str, date] = {}
    now_s = sec(now) if now is not None else None
    for tech in techs:
        tkey = tech_key(tech.pk)
        if tech.starts_from == "depot" and tech.depot:
            home = places.add(tech.depot.latitude, tech.depot.longitude, tech.depot.name)
        elif tech.home_latitude is not None:
            home = places.add(tech.home_latitude, tech.home_longitude, f"{tech.user} home")
        else:
            continue
        shifts: list[Shift] = []
        skill_days = []
        placed_started = False
        for d_index, day in enumerate(the_days):
            pieces = _shift_pieces(tech, day, patterns[tech.pk], absences[tech.pk])
            if not pieces:
                continue
            skill_days.append(day)
            lunch_piece = _lunch_for(tech, day, pieces)
            tz = zoneinfo.ZoneInfo(tech.timezone)
            for n, (s, e) in enumerate(pieces):
                shift_id = f"{tkey}/{day.isoformat()}" + (f"/{n + 1}" if n else "")
                start_s, end_s = sec(s), sec(e)
                if now_s is not None and now_s >= end_s:
                    continue  # this part of the day is over
                if now_s is not None and now_s > start_s:
                    start_s = now_s  # planning today: nobody goes back in time
                start_loc = home
                fixed: list[FixedVisit] = []
                if d_index == 0 and not placed_started and started_by_tech.get(tech.pk):
                    placed_started = True
                    # A started job keeps its technician, whose current position is its site.
                    first = sorted(started_by_tech[tech.pk], key=lambda w: (w.status != "on_site", w.pk))[0]
                    start_loc = job_location[job_key(first.pk)]
                    begun = first.on_site_at or first.en_route_at or first.scheduled_start or s
                    begin_s = max(start_s, min(sec(begun), end_s))
                    if now_s is not None and first.status == "en_route":
                        begin_s = max(begin_s, min(now_s, end_s))
                    fixed.append(FixedVisit(job_key(first.pk), begin_s))
                brk = None
                if lunch_piece == n:
                    w0 = max(start_s, sec(_local(day, tech.lunch_window_start, tz)))
                    w1 = min(end_s, sec(_local(day, tech.lunch_window_end, tz)))
                    if w1 >= w0:  # (a lunch window already over today means lunch was taken)
                        brk = Break(int(tech.lunch_minutes) * 60, TimeWindow(w0, w1))
                shifts.append(
                    Shift(
                        id=shift_id,
                        technician=tkey,
                        day=d_index,
                        start=start_s,
                        end=end_s,
                        start_location=start_loc,
                        end_location=home,
                        max_overtime=int(tech.max_overtime_minutes) * 60 if n == len(pieces) - 1 else 0,
                        overtime_cost_factor=float(tech.overtime_cost_factor),
                        break_=brk,
                        fixed=tuple(fixed),
                    )
                )
                shift_days[shift_id] = day
        if not shifts:
            continue
        # One skill set per technician in the problem: the skills valid on every working day of
        # the horizon (a certification expiring mid-horizon is not counted at all: sound, if
        # cautious; exact for one-day plans).
        skills = frozenset.intersection(*(valid_skills(tech, d) for d in skill_days))
        technicians.append(Technician(id=tkey, skills=skills, shifts=tuple(shifts), label=str(tech.user)))
        tech_rows[tkey] = tech

    # Started jobs whose technician has no shift here stay out (they cannot be moved anyway).
    planned_techs = set(tech_rows)
    fixed_ids = {fv.job_id for t in technicians for s in t.shifts for fv in s.fixed}
    kept = []
    for job in jobs:
        wo = by_job[job.id]
        # A second started job of the same technician (rare) stays, pinned to them.
        if (
            wo.status in STARTED_WORK_ORDER_STATUSES
            and job.id not in fixed_ids
            and job.pinned_technician not in planned_techs
        ):
            continue
        kept.append(job)
    jobs = kept
    by_job = {j.id: by_job[j.id] for j in jobs}

    durations, distances = travel_matrices(places.locations)
    problem = Problem(
        origin=origin,
        locations=places.locations,
        durations=durations,
        distances=distances,
        jobs=jobs,
        technicians=technicians,
        name=f"{horizon_start.isoformat()}+{days}",
    )
    built = Built(problem, horizon_start, days, by_job, tech_rows, shift_days)
    built.inputs = inputs_summary(built)
    return built


def inputs_summary(built: Built) -> dict:
    """What the plan was made from, in JSON: enough to explain any of its decisions later."""
    p = built.problem
    return {
        "origin": p.origin.isoformat(),
        "days": built.days,
        "travel": {
            "provider": "haversine",
            "speed_kmh": settings.STEWARD_TRAVEL_SPEED_KMH,
            "circuity": settings.STEWARD_TRAVEL_CIRCUITY_PERCENT / 100,
        },
        "locations": len(p.locations),
        "technicians": [
            {
                "id": t.id,
                "name": t.label,
                "skills": sorted(t.skills),
                "shifts": [
                    {
                        "id": s.id,
                        "start": s.start,
                        "end": s.end,
                        "max_overtime": s.max_overtime,
                        "break": [s.break_.duration, s.break_.window.start, s.break_.window.end]
                        if s.break_
                        else None,
                        "fixed": [fv.job_id for fv in s.fixed],
                    }
                    for s in t.shifts
                ],
            }
            for t in p.technicians
        ],
        "jobs": [
            {
                "id": j.id,
                "number": built.work_orders[j.id].number,
                "priority": j.priority,
                "duration": j.duration,
                "skills": sorted(j.skills),
                "window": [j.window.start, j.window.end] if j.window else None,
                "soft_deadline": j.soft_deadline,
                "penalty": j.penalty,
                "pinned_technician": j.pinned_technician,
                "pinned_start": j.pinned_start,
                "required": j.required,
            }
            for j in p.jobs
        ],
    }
