from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from steward.accounts.models import UserSkill
from steward.desk.models import Ticket
from steward.field.models import Absence, ShiftPattern, Technician, WorkOrder
from steward.planning.models import ForecastPoint, ForecastSeries, PlanningRun, StaffingRequirement
from steward.planning.plan import DEFAULT_CHANNELS, DEFAULTS
from steward.testing import factories as f

PLAN_DATE = date(2026, 3, 2)  # a Monday


@pytest.fixture
def desk_history(world):
    """Five weeks of tickets for one team: phone calls in office hours on weekdays (3 an hour,
    5 from 10:00 to 12:00) and an email an hour; no weekend work."""
    team = f.TeamFactory(name="Support")
    start = datetime.combine(PLAN_DATE - timedelta(days=35), datetime.min.time(), tzinfo=UTC)
    tickets = []
    for day in range(35):
        day_start = start + timedelta(days=day)
        if day_start.weekday() >= 5:
            continue
        for hour in range(8, 17):
            calls = 5 if 10 <= hour < 12 else 3
            for i in range(calls):
                tickets.append((day_start + timedelta(hours=hour, minutes=7 + 11 * i), "phone"))
            tickets.append((day_start + timedelta(hours=hour, minutes=30), "email"))
    Ticket.objects.bulk_create(
        [
            f.TicketFactory.build(account=world.account_a, team=team, channel=channel, created_at=at)
            for at, channel in tickets
        ]
    )
    return team


@pytest.fixture
def stored_run(world):
    """A small finished desk run: one phone queue, one day, 20 calls an hour in office hours,
    one head short in each (4 required, 3 rostered)."""
    team = f.TeamFactory(name="Phones")
    run = PlanningRun.objects.create(
        kind="desk",
        plan_date=PLAN_DATE,
        status="done",
        parameters=dict(DEFAULTS) | {"channels": DEFAULT_CHANNELS},
    )
    series = ForecastSeries.objects.create(
        run=run,
        team=team,
        channel="phone",
        model="MSTL",
        mase=0.8,
        mase_naive=1.0,
        coverage_80=0.79,
        coverage_95=0.93,
    )
    start = datetime.combine(PLAN_DATE, datetime.min.time(), tzinfo=UTC)
    for hour in range(24):
        arrivals = 20.0 if 8 <= hour < 18 else 0.0
        ForecastPoint.objects.create(
            series=series,
            interval_start=start + timedelta(hours=hour),
            mean=arrivals,
            lo_80=arrivals * 0.8,
            hi_80=arrivals * 1.2,
            lo_95=arrivals * 0.7,
            hi_95=arrivals * 1.3,
        )
        StaffingRequirement.objects.create(
            run=run,
            team=team,
            channel="phone",
            interval_start=start + timedelta(hours=hour),
            arrivals=arrivals,
            required=4 if arrivals else 0,
            rostered=3 if arrivals else 0,
            expected_service_level=0.6 if arrivals else None,
        )
    return {"run": run.pk, "series": series.pk}


def make_field_history(world, plan_date: date) -> list[Technician]:
    """Eight weeks before `plan_date` of HVAC work: 6 jobs of 90 minutes every weekday; two HVAC
    technicians on weekday shifts, one of them absent on `plan_date`."""
    start = datetime.combine(plan_date - timedelta(days=56), time(0), tzinfo=UTC)
    orders = []
    for day in range(56):
        at = start + timedelta(days=day)
        if at.weekday() >= 5:
            continue
        for job in range(6):
            orders.append(
                WorkOrder(
                    number=f"WO-{day:03d}{job}",
                    account=world.account_a,
                    site=world.site_a,
                    title="Service visit",
                    required_skills=["hvac"],
                    duration_minutes=90,
                    created_at=at + timedelta(hours=8 + job),
                )
            )
    WorkOrder.objects.bulk_create(orders)
    technicians = []
    for _ in range(2):
        user = f.staff_user("technician")
        tech = Technician.objects.create(user=user, home_latitude=52.5, home_longitude=13.4)
        UserSkill.objects.create(user=user, skill="hvac")
        for weekday in range(5):
            ShiftPattern.objects.create(technician=tech, weekday=weekday, start=time(8), end=time(16))
        technicians.append(tech)
    Absence.objects.create(
        technician=technicians[0],
        starts_at=datetime.combine(plan_date, time(0), tzinfo=UTC),
        ends_at=datetime.combine(plan_date, time(23, 59), tzinfo=UTC),
    )
    return technicians


@pytest.fixture
def field_history(world):
    """Eight weeks of HVAC work before PLAN_DATE (see `make_field_history`)."""
    return make_field_history(world, PLAN_DATE)


FIELD_PARAMETERS = {
    "history_days": 182,
    "travel_hours_per_job": 0.75,
    "travel_source": "dispatch plans: mean of 30 planned legs",
    "productive_hours_per_shift": 6.0,
    "shrinkage": 0.0,
    "mean_job_hours": {"hvac": 1.5, "plumbing": 2.0},
}


@pytest.fixture
def stored_field_run(world):
    """A small finished field run of five weeks from PLAN_DATE (a Monday), two skills, weekday
    work only. HVAC: 6 jobs a weekday needing 3 technicians, 2 rostered (1 on the first day);
    plumbing: 1 job needing 1, 2 rostered, its forecast a seasonal-naive fallback."""
    run = PlanningRun.objects.create(
        kind="field", plan_date=PLAN_DATE, status="done", parameters=FIELD_PARAMETERS
    )
    hvac = ForecastSeries.objects.create(
        run=run,
        skill="hvac",
        granularity="daily",
        model="MSTL",
        mase=0.8,
        mase_naive=1.0,
        coverage_80=0.79,
        coverage_95=0.93,
    )
    plumbing = ForecastSeries.objects.create(
        run=run,
        skill="plumbing",
        granularity="daily",
        model="SeasonalNaive",
        fallback=True,
        mase=1.25,
        mase_naive=1.25,
        coverage_80=0.7,
        coverage_95=0.9,
        note="MSTL did not beat seasonal naive",
    )
    start = datetime.combine(PLAN_DATE, datetime.min.time(), tzinfo=UTC)
    for day in range(35):
        at = start + timedelta(days=day)
        weekday = at.weekday() < 5
        for series, jobs, required, rostered in (
            (hvac, 6.0, 3, 1 if day == 0 else 2),
            (plumbing, 1.0, 1, 2),
        ):
            mean = jobs if weekday else 0.0
            ForecastPoint.objects.create(
                series=series,
                interval_start=at,
                mean=mean,
                lo_80=mean * 0.8,
                hi_80=mean * 1.2,
                lo_95=mean * 0.7,
                hi_95=mean * 1.3,
            )
            StaffingRequirement.objects.create(
                run=run,
                skill=series.skill,
                interval_start=at,
                arrivals=mean,
                required=required if weekday else 0,
                rostered=rostered if weekday else 0,
            )
    return {"run": run.pk, "hvac": hvac.pk, "plumbing": plumbing.pk}
