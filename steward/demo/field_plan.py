"""The demo's field service, planned in pure Python (no database): the technicians' skills, bases
and shifts, the work-order history behind six months of field-service tickets (with incomplete
first visits and their follow-ups, so first-time fix means something), and today's and
tomorrow's open work, ready for the dispatcher to optimise.

The loader (`demo.field`) reads the world back from the database, calls `plan_field`, and writes
the result: technicians and shifts through the field services, the history in bulk.
Deterministic: everything is drawn from `random.Random(seed-derived)`.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

TIMEZONE = ZoneInfo("Europe/Berlin")

# Skill families by field team; a technician holds the family's core skills and some extras.
# (skill, needs a certificate)
TEAM_SKILLS: dict[str, tuple[tuple[str, bool], ...]] = {
    "HVAC Field": (("hvac", False), ("refrigeration", False), ("heating", False), ("gas", True),
                   ("heat-pump", False), ("f-gas", True)),
    "Electrical Field": (("electrical", False), ("ups", False), ("fire-safety", True), ("elevator", True)),
    "IT Support": (("it-server", False), ("networking", False), ("printers", False)),
}  # fmt: skip
CORE_SKILLS = {"HVAC Field": 3, "Electrical Field": 2, "IT Support": 3}  # first N of the family always

DEPOTS = (
    ("Depot Nord (Reinickendorf)", "Flohrstraße 21, 13507 Berlin", 52.5880, 13.2870),
    ("Depot Süd (Tempelhof)", "Ordensmeisterstraße 15, 12099 Berlin", 52.4590, 13.3930),
)

INCOMPLETE_REASONS = (
    ("Part not in the van; ordered", 40),
    ("Customer not on site / no access", 20),
    ("Needs a second technician", 12),
    ("Further fault found; quote needed", 18),
    ("Out of time; continue next visit", 10),
)

# Many field-service requests are settled by phone or remotely; these need someone on site.
VISIT_SHARE = 0.4
FIRST_VISIT_INCOMPLETE_SHARE = 0.14
BOOKED_SHARE = 0.55
LATE_ARRIVAL_SHARE = 0.09
SPEED_MPS = 40 / 3.6
CIRCUITY = 1.3


@dataclass(frozen=True)
class TechnicianInfo:
    user_id: int
    teams: tuple[str, ...]


@dataclass(frozen=True)
class FieldTicketInfo:
    id: int
    account_id: int
    site_id: int
    asset_id: int | None
    service_id: int
    subject: str
    skills: tuple[str, ...]
    duration_minutes: int
    priority: str
    created_at: datetime
    resolved_at: datetime | None
    lat: float
    lon: float
    onsite_deadline: datetime | None = None


@dataclass
class TechnicianPlan:
    user_id: int
    skills: list[tuple[str, int, date | None]]  # (skill, level, certified_until)
    starts_from: str  # home or depot
    depot_index: int
    home_lat: float
    home_lon: float
    home_address: str
    hourly_cost: int
    shift: tuple[time, time]
    saturday: bool
    absences: list[tuple[datetime, datetime, str, str]] = field(
        default_factory=list
    )  # (from, to, kind, note)


@dataclass
class VisitPlan:
    """One work order: a past visit (completed or incomplete) or an open one."""

    ticket_id: int | None
    account_id: int
    site_id: int
    asset_id: int | None
    service_id: int | None
    title: str
    skills: tuple[str, ...]
    duration_minutes: int
    priority: str
    created_at: datetime
    status: str
    technician_user_id: int | None = None
    scheduled_start: datetime | None = None
    en_route_at: datetime | None = None
    on_site_at: datetime | None = None
    finished_at: datetime | None = None
    travel_seconds: int | None = None
    travel_meters: int | None = None
    window_kind: str = ""
    window_start: datetime | None = None
    window_end: datetime | None = None
    sla_deadline: datetime | None = None
    incomplete_reason: str = ""
    notes: str = ""
    follow_up_of: int | None = None  # index into the plan's visits


@dataclass
class FieldPlan:
    technicians: list[TechnicianPlan]
    visits: list[VisitPlan]

    def counts(self) -> dict[str, int]:
        done = [v for v in self.visits if v.status in ("completed", "incomplete")]
        return {
            "technicians": len(self.technicians),
            "work_orders": len(self.visits),
            "completed": sum(v.status == "completed" for v in done),
            "incomplete": sum(v.status == "incomplete" for v in done),
            "follow_ups": sum(v.follow_up_of is not None for v in self.visits),
            "open": len(self.visits) - len(done),
        }


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    r = 6_371_000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def plan_technicians(technicians: list[TechnicianInfo], *, seed: int, today: date) -> list[TechnicianPlan]:
    rng = random.Random(f"{seed}:field:technicians")
    plans = []
    for index, tech in enumerate(technicians):
        family = next((t for t in tech.teams if t in TEAM_SKILLS), "HVAC Field")
        pool = TEAM_SKILLS[family]
        core = CORE_SKILLS[family]
        chosen = list(pool[:core]) + [s for s in pool[core:] if rng.random() < 0.6]
        # A second family for a few: the cross-trained people dispatchers love.
        other = [t for t in TEAM_SKILLS if t != family]
        if rng.random() < 0.3:
            chosen.append(TEAM_SKILLS[rng.choice(other)][0])
        skills = []
        for i, (skill, certified) in enumerate(chosen):
            until = None
            if certified:
                until = today + timedelta(days=rng.randint(60, 700))
                if index == 1 and i == len(chosen) - 1:
                    until = today - timedelta(days=12)  # one lapsed certificate: not a skill any more
            skills.append((skill, rng.randint(2, 5), until))
        if "quality" not in {s for s, _, _ in skills} and index % 5 == 0:
            skills.append(("quality", 4, None))
        depot_index = index % len(DEPOTS)
        home_from_depot = DEPOTS[depot_index]
        lat = round(home_from_depot[2] + rng.uniform(-0.09, 0.09), 6)
        lon = round(home_from_depot[3] + rng.uniform(-0.14, 0.14), 6)
        start = time(7, 0) if index % 4 == 0 else time(8, 0)
        end = time(16, 0) if start.hour == 7 else time(17, 0)
        plan = TechnicianPlan(
            user_id=tech.user_id, skills=skills, starts_from="depot" if index % 3 == 2 else "home",
            depot_index=depot_index, home_lat=lat, home_lon=lon,
            home_address=f"Home of technician {index + 1}, Berlin", hourly_cost=rng.choice((42, 45, 48, 52, 58)),
            shift=(start, end), saturday=index % 6 == 1,
        )  # fmt: skip
        plans.append(plan)
    if len(plans) > 2:  # one on leave this week, one in training next week
        monday = today - timedelta(days=today.weekday())
        leave_from = datetime.combine(monday + timedelta(days=3), time(0, 0), TIMEZONE)
        plans[2].absences.append((leave_from, leave_from + timedelta(days=2), "leave", "Annual leave"))
        training = datetime.combine(monday + timedelta(days=8), time(8, 0), TIMEZONE)
        plans[-1].absences.append(
            (training, training + timedelta(hours=9), "training", "F-gas refresher course")
        )
    return plans


def _qualified(techs: list[TechnicianPlan], skills: tuple[str, ...], day: date) -> list[TechnicianPlan]:
    def holds(t: TechnicianPlan) -> bool:
        valid = {s for s, _, until in t.skills if until is None or until >= day}
        return set(skills) <= valid

    found = [t for t in techs if holds(t)]
    if found:
        return found
    # Nobody holds all of them: whoever holds most (history must still show someone went).
    best = max(len(set(skills) & {s for s, _, _ in t.skills}) for t in techs)
    return [t for t in techs if len(set(skills) & {s for s, _, _ in t.skills}) == best]


def _leg(tech: TechnicianPlan, lat: float, lon: float, rng: random.Random) -> tuple[int, int]:
    metres = haversine_m(tech.home_lat, tech.home_lon, lat, lon) * CIRCUITY * rng.uniform(0.4, 0.9)
    metres = max(800, int(metres))
    return int(metres / SPEED_MPS) + 120, metres


def _weighted(rng: random.Random, choices) -> str:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


def _within_day(at: datetime) -> datetime:
    """Move an instant into working hours (08:00-16:30 local), keeping its day when possible."""
    local = at.astimezone(TIMEZONE)
    if local.hour < 8:
        local = local.replace(hour=8, minute=0)
    elif (local.hour >= 16 and local.minute > 30) or local.hour > 16:
        local = (local + timedelta(days=1)).replace(hour=8, minute=15)
    while local.weekday() >= 5:
        local = (local + timedelta(days=1)).replace(hour=8, minute=15)
    return local


def _past_visit(ticket: FieldTicketInfo, tech: TechnicianPlan, arrive: datetime, duration: int,
                rng: random.Random, *, status: str, reason: str = "", follow_up_of: int | None = None,
                created_at: datetime | None = None) -> VisitPlan:  # fmt: skip
    travel_s, travel_m = _leg(tech, ticket.lat, ticket.lon, rng)
    # Nobody sets off before the request (or the visit it follows) exists.
    arrive = max(arrive, (created_at or ticket.created_at) + timedelta(seconds=travel_s + 300))
    en_route = arrive - timedelta(seconds=travel_s)
    on_site_minutes = max(15, int(duration * rng.uniform(0.7, 1.4)))
    finished = arrive + timedelta(minutes=on_site_minutes)
    visit = VisitPlan(
        ticket_id=ticket.id, account_id=ticket.account_id, site_id=ticket.site_id, asset_id=ticket.asset_id,
        service_id=ticket.service_id, title=ticket.subject[:200], skills=ticket.skills,
        duration_minutes=duration, priority=ticket.priority, created_at=created_at or ticket.created_at,
        status=status, technician_user_id=tech.user_id, scheduled_start=arrive.replace(second=0, microsecond=0),
        en_route_at=en_route, on_site_at=arrive, finished_at=finished, travel_seconds=travel_s,
        travel_meters=travel_m, incomplete_reason=reason, follow_up_of=follow_up_of,
        notes="Fault found and fixed; tested with the customer." if status == "completed" else "",
    )  # fmt: skip
    if rng.random() < BOOKED_SHARE:
        slot_start = arrive.astimezone(TIMEZONE).replace(minute=0, second=0, microsecond=0)
        slot_start -= timedelta(hours=slot_start.hour % 2)
        if rng.random() < LATE_ARRIVAL_SHARE:  # arrived after the booked slot
            slot_start -= timedelta(hours=2)
        visit.window_kind, visit.window_start, visit.window_end = (
            "booked",
            slot_start,
            slot_start + timedelta(hours=2),
        )
    elif ticket.onsite_deadline is not None:
        visit.window_kind, visit.sla_deadline = "sla", ticket.onsite_deadline
        visit.window_start, visit.window_end = ticket.created_at, ticket.onsite_deadline
    return visit


def plan_field(technicians: list[TechnicianInfo], tickets: list[FieldTicketInfo], *, seed: int,
               now: datetime, open_limit: int = 120) -> FieldPlan:  # fmt: skip
    """Technicians and the work orders behind `tickets` (field-service tickets of the history, in
    creation order). Resolved tickets get their past visit(s), finishing before the resolution;
    open ones get an unscheduled work order for today or tomorrow (at most `open_limit`)."""
    today = now.astimezone(TIMEZONE).date()
    techs = plan_technicians(technicians, seed=seed, today=today)
    rng = random.Random(f"{seed}:field:history")
    visits: list[VisitPlan] = []
    open_count = 0
    for ticket in tickets:
        duration = ticket.duration_minutes
        if ticket.resolved_at is not None:
            if rng.random() > VISIT_SHARE:
                continue
            span = ticket.resolved_at - ticket.created_at
            day = ticket.created_at.astimezone(TIMEZONE).date()
            tech = rng.choice(_qualified(techs, ticket.skills, day))
            lead = timedelta(minutes=20 + duration * 1.2)
            if span < lead * 2:  # resolved fast: one visit right after it came in
                arrive = ticket.created_at + span * 0.1
                visits.append(_past_visit(ticket, tech, arrive, duration, rng, status="completed"))
                continue
            first_arrival = _within_day(ticket.created_at + span * rng.uniform(0.1, 0.3))
            if first_arrival + lead > ticket.resolved_at:
                first_arrival = ticket.created_at + span * 0.1
            if rng.random() < FIRST_VISIT_INCOMPLETE_SHARE and span > timedelta(days=1):
                first = _past_visit(ticket, tech, first_arrival, duration, rng, status="incomplete",
                                    reason=_weighted(rng, INCOMPLETE_REASONS))  # fmt: skip
                visits.append(first)
                index = len(visits) - 1
                second_arrival = _within_day(ticket.created_at + span * rng.uniform(0.55, 0.8))
                if second_arrival + lead > ticket.resolved_at or second_arrival <= first.finished_at:
                    second_arrival = first.finished_at + (ticket.resolved_at - first.finished_at) * 0.5
                second_tech = (
                    tech if rng.random() < 0.7 else rng.choice(_qualified(techs, ticket.skills, day))
                )
                visits.append(_past_visit(ticket, second_tech, second_arrival, duration, rng, status="completed",
                                          follow_up_of=index, created_at=first.finished_at))  # fmt: skip
            else:
                visits.append(_past_visit(ticket, tech, first_arrival, duration, rng, status="completed"))
        elif open_count < open_limit:
            open_count += 1
            visits.append(_open_visit(ticket, rng, now=now))
    return FieldPlan(technicians=techs, visits=visits)


def _open_visit(ticket: FieldTicketInfo, rng: random.Random, *, now: datetime) -> VisitPlan:
    local_now = now.astimezone(TIMEZONE)
    visit = VisitPlan(
        ticket_id=ticket.id, account_id=ticket.account_id, site_id=ticket.site_id, asset_id=ticket.asset_id,
        service_id=ticket.service_id, title=ticket.subject[:200], skills=ticket.skills,
        duration_minutes=ticket.duration_minutes, priority=ticket.priority, created_at=ticket.created_at,
        status="unscheduled",
    )  # fmt: skip
    if ticket.onsite_deadline is not None and ticket.onsite_deadline > now:
        visit.window_kind, visit.sla_deadline = "sla", ticket.onsite_deadline
        visit.window_start, visit.window_end = now, ticket.onsite_deadline
    elif rng.random() < 0.6:  # a booked two-hour slot today (afternoon) or tomorrow
        day = local_now.date() + timedelta(days=0 if local_now.hour < 11 and rng.random() < 0.4 else 1)
        while day.weekday() >= 5:
            day += timedelta(days=1)
        earliest = 12 if day == local_now.date() else 8
        hour = rng.choice([h for h in (8, 10, 12, 14) if h >= earliest] or [14])
        start = datetime.combine(day, time(hour, 0), TIMEZONE)
        visit.window_kind, visit.window_start, visit.window_end = "booked", start, start + timedelta(hours=2)
    return visit
