"""Field planning: jobs per skill per day forecast, technicians needed against those rostered."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from steward.core.errors import Forbidden
from steward.field.models import Absence, ShiftPattern, Technician, WorkOrder
from steward.planning import services
from steward.planning.tests.conftest import PLAN_DATE
from steward.testing import factories as f

pytestmark = [pytest.mark.django_db, pytest.mark.filterwarnings("ignore::FutureWarning")]


def test_technicians_needed_per_skill_and_day_against_the_roster(world, field_history):
    run = services.plan_field(
        actor=world.users["manager"],
        plan_date=PLAN_DATE,
        parameters={"travel_hours_per_job": 0.5, "productive_hours_per_shift": 6, "shrinkage": 0.0},
    )
    assert run.kind == "field" and run.status == "done"
    assert run.parameters["mean_job_hours"] == {"hvac": 1.5}
    series = run.series.get(area="")  # the skill's series; the site's district has its own
    assert series.skill == "hvac" and series.points.count() == 91
    monday = run.requirements.get(interval_start=datetime.combine(PLAN_DATE, time(0), tzinfo=UTC))
    saturday = run.requirements.get(
        interval_start=datetime.combine(PLAN_DATE + timedelta(days=5), time(0), tzinfo=UTC)
    )
    tuesday = run.requirements.get(
        interval_start=datetime.combine(PLAN_DATE + timedelta(days=1), time(0), tzinfo=UTC)
    )
    # ~6 jobs x (1.5 h + 0.5 h travel) = 12 h over 6 productive hours -> 2 technicians
    assert monday.arrivals == pytest.approx(6, abs=1) and monday.required == 2
    assert monday.rostered == 1 and tuesday.rostered == 2  # the absence is subtracted
    assert saturday.required == 0 and saturday.rostered == 0
    assert run.summary["short_days"] >= 1


def test_field_planning_is_for_planners(world, field_history):
    with pytest.raises(Forbidden):
        services.plan_field(actor=world.users["dispatcher"], plan_date=PLAN_DATE)


def test_travel_per_job_comes_from_the_dispatch_plans_history(world, field_history):
    """Without planned legs the parameter's default is used, and the run says so; with the
    published plans' legs (45 minutes each here) their mean is used; a caller's value wins."""
    run = services.plan_field(actor=world.users["manager"], plan_date=PLAN_DATE)
    assert run.parameters["travel_source"] == "parameter"
    assert run.parameters["travel_hours_per_job"] == services.FIELD_DEFAULTS["travel_hours_per_job"]
    planned = WorkOrder.objects.order_by("id")[:30]
    for i, wo in enumerate(planned):
        wo.scheduled_start = wo.created_at + timedelta(days=1)
        wo.planned_travel_seconds = 2400 if i % 2 else 3000  # mean 2700 s = 0.75 h
        wo.save(update_fields=["scheduled_start", "planned_travel_seconds"])
    run = services.plan_field(actor=world.users["manager"], plan_date=PLAN_DATE)
    assert run.parameters["travel_hours_per_job"] == 0.75
    assert run.parameters["travel_source"] == "dispatch plans: mean of 30 planned legs"
    more_travel = services.plan_field(
        actor=world.users["manager"], plan_date=PLAN_DATE, parameters={"travel_hours_per_job": 2.0}
    )
    assert more_travel.parameters["travel_source"] == "parameter"
    # more travel per job needs at least as many technicians on every day
    need = dict(run.requirements.values_list("interval_start", "required"))
    for start, required in more_travel.requirements.values_list("interval_start", "required"):
        assert required >= need[start]
    assert sum(more_travel.requirements.values_list("required", flat=True)) > sum(need.values())


def test_who_is_on_shift_reads_each_technicians_own_timezone_validity_and_absences(world):
    from datetime import date

    from steward.planning import history

    day = date(2026, 3, 3)  # a Tuesday

    def tech(tz="Europe/Berlin", **pattern):
        user = f.staff_user("technician")
        t = Technician.objects.create(user=user, home_latitude=52.5, home_longitude=13.4, timezone=tz)
        ShiftPattern.objects.create(technician=t, weekday=1, start=time(8), end=time(16), **pattern)
        return t

    def away(t, start_utc: int, end_utc: int):
        Absence.objects.create(
            technician=t,
            starts_at=datetime.combine(day, time(start_utc), tzinfo=UTC),
            ends_at=datetime.combine(day, time(end_utc), tzinfo=UTC),
        )

    new_york = tech("America/New_York")  # 08:00-16:00 there is 13:00-21:00 UTC
    away(new_york, 2, 10)  # the night before their shift: they work
    berlin_morning_off = tech()  # 07:00-15:00 UTC
    away(berlin_morning_off, 7, 9)  # two of eight hours off: still rostered
    berlin_most_off = tech()
    away(berlin_most_off, 7, 12)  # five of eight hours off: not
    expired = tech(valid_until=day - timedelta(days=1))
    inactive = tech()
    inactive.is_active = False
    inactive.save()
    on = history.technicians_on_shift(days=[day, day + timedelta(days=1)])
    assert on[day] == {new_york.pk, berlin_morning_off.pk}
    assert on[day + timedelta(days=1)] == set()  # Wednesday: no pattern
    assert expired.pk not in on[day] and berlin_most_off.pk not in on[day]


def test_field_work_is_also_forecast_by_area_and_shown_where_it_will_be(world, field_history, client_for):
    from steward.customers.models import Site
    from steward.planning import history
    from steward.planning.models import ForecastSeries

    Site.objects.filter(pk=world.site_a.pk).update(postcode="10115", city="Berlin")
    neukolln = f.SiteFactory(account=world.account_a, name="Neukölln depot", postcode="12043", city="Berlin")
    # two thirds of the jobs move to the 12... district, each 60 minutes there
    moved = WorkOrder.objects.order_by("id").values_list("pk", flat=True)
    WorkOrder.objects.filter(pk__in=[pk for i, pk in enumerate(moved) if i % 3]).update(
        site=neukolln, duration_minutes=60
    )
    start = datetime.combine(PLAN_DATE - timedelta(days=56), time(0), tzinfo=UTC)
    end = datetime.combine(PLAN_DATE, time(0), tzinfo=UTC)
    series, hours = history.field_work_by_area(start=start, end=end)
    total = WorkOrder.objects.count()  # 40 weekdays x 6 jobs
    assert total == 240
    assert series["12…"].sum() == 160 and series["10…"].sum() == 80
    assert hours == {"12…": 1.0, "10…": 1.5}

    run = services.plan_field(actor=world.users["manager"], plan_date=PLAN_DATE)
    areas = {s.area: s for s in ForecastSeries.objects.filter(run=run).exclude(area="")}
    assert set(areas) == {"10…", "12…"} and run.summary["areas"] == 2
    assert run.parameters["mean_job_hours_by_area"] == {"10…": 1.5, "12…": 1.0}
    week = sum(p.mean for p in areas["12…"].points.order_by("interval_start")[:7])
    assert 15 <= week <= 25  # 4 jobs a weekday there
    page = client_for(world.users["manager"]).get(f"/planning/field/?run={run.pk}")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Where the work will be" in text and "12…" in text and "10…" in text
