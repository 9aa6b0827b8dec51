"""Field data for the dispatch app's tests: technicians with shifts and skills, work orders at
sites around Berlin. Made directly with the ORM (the field services are not under test here)."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from steward.accounts.models import UserSkill
from steward.field.models import ShiftPattern, Technician, WorkOrder
from steward.testing import factories as f

BERLIN = (52.520008, 13.404954)


def technician(
    name: str, *, lat=BERLIN[0], lon=BERLIN[1], skills=(), start=time(8), end=time(17), **kw
) -> Technician:
    user = f.staff_user("technician", full_name=name, email=f"{name.lower().replace(' ', '.')}@steward.test")
    for skill in skills:
        UserSkill.objects.create(user=user, skill=skill)
    tech = Technician.objects.create(
        user=user, home_latitude=Decimal(f"{lat:.6f}"), home_longitude=Decimal(f"{lon:.6f}"), **kw
    )
    ShiftPattern.objects.bulk_create(
        [ShiftPattern(technician=tech, weekday=d, start=start, end=end) for d in range(7)]
    )
    return tech


_numbers = iter(range(1, 10**7))


def work_order(account, *, lat=BERLIN[0], lon=BERLIN[1], site=None, **kw) -> WorkOrder:
    site = site or f.SiteFactory(
        account=account, latitude=Decimal(f"{lat:.6f}"), longitude=Decimal(f"{lon:.6f}")
    )
    n = WorkOrder.objects.count() + 1
    kw.setdefault("title", f"Service visit {n}")
    kw.setdefault("number", f"WO-{n:06d}")
    return WorkOrder.objects.create(account=account, site=site, **kw)


def field_day(account, *, technicians: int, jobs: int, seed: int = 7, skills=("hvac", "electrical")):
    """`technicians` technicians around Berlin and `jobs` unscheduled work orders within ~15 km."""
    rng = random.Random(seed)
    techs = [
        technician(
            f"Tech {seed}-{i:02d}",
            lat=BERLIN[0] + rng.uniform(-0.1, 0.1),
            lon=BERLIN[1] + rng.uniform(-0.15, 0.15),
            skills=skills if i % 3 else skills[:1],
        )
        for i in range(technicians)
    ]
    sites = [
        f.SiteFactory(
            account=account,
            latitude=Decimal(f"{BERLIN[0] + rng.uniform(-0.12, 0.12):.6f}"),
            longitude=Decimal(f"{BERLIN[1] + rng.uniform(-0.18, 0.18):.6f}"),
        )
        for _ in range(max(1, jobs // 2))
    ]
    base = WorkOrder.objects.count()
    wos = [
        WorkOrder(
            account=account,
            site=rng.choice(sites),
            number=f"WO-{base + i + 1:06d}",
            title=f"Visit {base + i + 1}",
            duration_minutes=rng.choice((30, 45, 60, 90)),
            priority=rng.choice(("P1", "P2", "P3", "P3", "P4")),
            required_skills=[rng.choice(skills)] if rng.random() < 0.5 else [],
        )
        for i in range(jobs)
    ]
    WorkOrder.objects.bulk_create(wos)
    return techs, list(WorkOrder.objects.order_by("id")[base:])


def local(day: date, hour: int, minute: int = 0) -> datetime:
    import zoneinfo

    return datetime.combine(day, time(hour, minute), tzinfo=zoneinfo.ZoneInfo("Europe/Berlin"))


def next_monday(today: date) -> date:
    return today + timedelta(days=(7 - today.weekday()) % 7 or 7)


def stored_plan(day: date, techs, wos, *, status="ready", unplanned_every: int = 0):
    """A plan written straight into the tables (no optimiser): the work orders dealt round-robin
    to the technicians, back to back from 08:00 with 15 minutes of travel before each, so the
    board and the API have a plan of any size to show."""
    from steward.dispatch.models import Plan, PlanRoute, PlanUnplanned, PlanVisit

    plan = Plan.objects.create(horizon_start=day, days=1, status=status, progress=100)
    routes = PlanRoute.objects.bulk_create(
        [
            PlanRoute(
                plan=plan,
                shift_key=f"tech-{t.pk}/{day.isoformat()}",
                technician=t,
                day=day,
                shift_start=local(day, 8),
                shift_end=local(day, 17),
                depart_at=local(day, 8),
                arrive_at=local(day, 17, 30),
                break_start=local(day, 12),
                break_minutes=30,
                travel_seconds=3600,
                travel_meters=40000,
                overtime_seconds=1800,
            )
            for t in techs
        ]
    )
    visits, unplanned, clock = [], [], {r.pk: local(day, 8) for r in routes}
    seq = {r.pk: 0 for r in routes}
    for i, wo in enumerate(wos):
        if unplanned_every and i % unplanned_every == 0:
            unplanned.append(PlanUnplanned(plan=plan, work_order=wo, reason="capacity", detail="day full"))
            continue
        r = routes[i % len(routes)]
        arrival = clock[r.pk] + timedelta(minutes=15)
        end = arrival + timedelta(minutes=wo.duration_minutes)
        seq[r.pk] += 1
        visits.append(
            PlanVisit(
                route=r,
                work_order=wo,
                sequence=seq[r.pk],
                arrival_at=arrival,
                start_at=arrival,
                end_at=end,
                travel_seconds=900,
                travel_meters=9000,
            )
        )
        clock[r.pk] = end
    PlanVisit.objects.bulk_create(visits, batch_size=500)
    PlanUnplanned.objects.bulk_create(unplanned, batch_size=500)
    Plan.objects.filter(pk=plan.pk).update(jobs_planned=len(visits), jobs_unplanned=len(unplanned))
    plan.refresh_from_db()
    return plan
