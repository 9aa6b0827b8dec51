"""The field KPIs against values computed by hand on one small fixed set of work orders.

Monthly buckets in Europe/Berlin: March 2026 is [02-28 23:00 UTC, 03-31 22:00 UTC) (the clocks go
forward on 29 March), April [03-31 22:00 UTC, 04-30 22:00 UTC), May left empty.

The jobs (technician `tech`, 60 an hour, Monday to Friday 08:00-16:00):
- w1: completed 03-03; en route 08:30, on site 09:00 (window 09:00-11:00), finished 10:00 UTC;
  planned travel 10 km. Nothing follows: a first-time fix.
- w2: completed 03-05 on the asset; en route 11:00, on site 11:20 (window 10:00-11:00: late),
  finished 12:00; planned travel 20 km. w2f, its follow-up, arrives exactly 30 days after w2
  finished (day 30): w2 was not fixed the first time.
- w3: completed 03-10 for ticket tx; on site 08:00, finished 09:00 (no en-route time, no window).
  w3r, another visit for the same ticket, arrives 31 days after w3 finished (day 31): w3 counts
  as fixed.
- w4: incomplete 03-12 ("part missing"); en route 09:00, on site exactly at its window's end 09:40
  (on time: the window is inclusive), finished 10:30.
- w7: completed at 22:30 UTC on 31 March, which is 00:30 on 1 April in Berlin: April.
- a cancelled job and a scheduled one count nowhere.
"""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from steward.analytics import kpis
from steward.analytics.series import drill, series
from steward.analytics.tests.data import technician, ticket, utc, work_order
from steward.field.models import Absence, ShiftPattern

pytestmark = pytest.mark.django_db

MARCH, APRIL, MAY = date(2026, 3, 1), date(2026, 4, 1), date(2026, 5, 1)


@pytest.fixture(autouse=True)
def _berlin(settings):
    settings.TIME_ZONE = "Europe/Berlin"


@pytest.fixture
def jobs(world):
    a, site, asset = world.account_a, world.site_a, world.asset_a
    tech = technician(hourly_cost=60)
    for weekday in range(5):
        ShiftPattern.objects.create(technician=tech, weekday=weekday, start=time(8), end=time(16))
    # Two hours away on Tuesday 10 March: that whole day is not available.
    Absence.objects.create(technician=tech, starts_at=utc(2026, 3, 10, 9), ends_at=utc(2026, 3, 10, 11))
    tx = ticket(a, created=utc(2026, 3, 9, 8))
    done = {"status": "completed", "technician": tech}
    work_order(
        a, site, **done, en_route_at=utc(2026, 3, 3, 8, 30), on_site_at=utc(2026, 3, 3, 9),
        finished_at=utc(2026, 3, 3, 10), window_kind="booked", window_start=utc(2026, 3, 3, 9),
        window_end=utc(2026, 3, 3, 11), planned_travel_meters=10_000,
    )  # fmt: skip
    w2 = work_order(
        a, site, **done, asset=asset, en_route_at=utc(2026, 3, 5, 11), on_site_at=utc(2026, 3, 5, 11, 20),
        finished_at=utc(2026, 3, 5, 12), window_kind="booked", window_start=utc(2026, 3, 5, 10),
        window_end=utc(2026, 3, 5, 11), planned_travel_meters=20_000,
    )  # fmt: skip
    work_order(
        a, site, **done, asset=asset, follow_up_of=w2, origin="follow_up",
        on_site_at=w2.finished_at + timedelta(days=30), finished_at=w2.finished_at + timedelta(days=30, hours=1),
    )  # fmt: skip
    w3 = work_order(
        a, site, **done, ticket=tx, on_site_at=utc(2026, 3, 10, 8), finished_at=utc(2026, 3, 10, 9)
    )
    work_order(
        a, site, **done, ticket=tx, on_site_at=w3.finished_at + timedelta(days=31),
        finished_at=w3.finished_at + timedelta(days=31, hours=1),
    )  # fmt: skip
    work_order(
        a, site, status="incomplete", technician=tech, incomplete_reason="part missing",
        en_route_at=utc(2026, 3, 12, 9), on_site_at=utc(2026, 3, 12, 9, 40), finished_at=utc(2026, 3, 12, 10, 30),
        window_kind="booked", window_start=utc(2026, 3, 12, 9), window_end=utc(2026, 3, 12, 9, 40),
    )  # fmt: skip
    work_order(a, site, **done, on_site_at=utc(2026, 3, 31, 21, 30), finished_at=utc(2026, 3, 31, 22, 30))
    work_order(a, site, status="cancelled", asset=asset, cancel_reason="customer away")
    work_order(a, site, status="scheduled", scheduled_start=utc(2026, 5, 20, 8))
    return tech


def monthly(name: str, **kwargs):
    s = series(kpi=kpis.get(name), first=MARCH, last=date(2026, 5, 31), bucket="month", **kwargs)
    return [p.value for p in s.lines[0].points], [p.counts for p in s.lines[0].points]


def approx(xs):
    return [None if x is None else pytest.approx(x, abs=1e-6) for x in xs]


def test_first_time_fix_day_30_follow_up_counts_day_31_does_not(jobs):
    values, counts = monthly("first_time_fix")
    # March: first visits w1, w2, w3, w4; fixed w1 and w3 (w2 revisited on day 30, w4 incomplete).
    # April: first visits w3r (another visit, not a follow-up) and w7; both fixed. May: no data.
    assert values == approx([50.0, 100.0, None])
    assert counts[0] == {"fixed": 2, "visits": 4}
    failed = drill(kpi=kpis.get("first_time_fix"), first=MARCH, last=MARCH, bucket="month")
    assert failed.count() == 4


def test_repeat_visits_within_30_days(jobs):
    values, counts = monthly("repeat_visit_rate")
    # March: of w1, w2, w3, w4 only w2 had another visit within 30 days. April: w2f, w3r, w7: none.
    assert values == approx([25.0, 0.0, None])
    assert counts[1] == {"revisited": 0, "visits": 3}


def test_job_completion_rate(jobs):
    values, _ = monthly("job_completion_rate")
    assert values == approx([75.0, 100.0, None])


def test_average_travel_time_and_distance(jobs):
    # Travel (en route -> on site) by arrival: w1 30 min, w2 20 min, w4 40 min -> 30 minutes.
    assert monthly("travel_time_per_job")[0] == approx([30.0, None, None])
    # Planned distance of finished jobs: 10 and 20 km -> 15 km.
    assert monthly("travel_distance_per_job")[0] == approx([15.0, None, None])


def test_on_time_arrival_within_the_booked_window_inclusive(jobs):
    values, counts = monthly("on_time_arrival")
    assert values == approx([200 / 3, None, None])
    assert counts[0] == {"on_time": 2, "arrived": 3}


def test_utilisation_is_job_time_over_shift_time_without_absent_days(jobs):
    values, counts = monthly("utilisation")
    # March 2026 has 22 weekdays, one lost to the absence: 21 * 8 h = 168 h available. Job time
    # (en route -> finished): w1 1.5 h, w2 1 h, w4 1.5 h = 4 h (w3 has no en-route time).
    assert counts[0]["available_seconds"] == 168 * 3600
    assert counts[0]["job_seconds"] == pytest.approx(4 * 3600)
    assert values[0] == pytest.approx(100 * 4 / 168)
    # April: 22 weekdays * 8 h, no job with an en-route time.
    assert values[1] == 0.0 and counts[1]["available_seconds"] == 22 * 8 * 3600


def test_cost_per_interaction(jobs, world):
    ticket(world.account_a, created=utc(2026, 3, 2, 8), status="resolved", resolved_at=utc(2026, 3, 20, 9))
    values, counts = monthly("cost_per_interaction")
    # March labour: w1 1.5 h, w2 1 h, w3 1 h (on site -> finished), w4 1.5 h = 5 h * 60 = 300,
    # over 4 jobs + 1 resolved ticket = 60 per interaction.
    assert counts[0] == {"labour_cost": 300.0, "jobs": 4, "tickets": 1}
    assert values[0] == pytest.approx(60.0)


def test_breakdown_by_technician(jobs):
    s = series(kpi=kpis.get("job_completion_rate"), first=MARCH, last=MARCH, bucket="month", by="technician")
    assert [(line.label, line.points[0].value) for line in s.lines] == [(str(jobs), 75.0)]
