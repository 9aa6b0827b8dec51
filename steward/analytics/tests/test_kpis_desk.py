"""The desk and survey KPIs against values computed by hand on small fixed data sets.

Weekly buckets in Europe/Berlin: W1 starts Monday 2026-03-02 00:00 local = 2026-03-01 23:00 UTC,
W2 on 03-09, W3 on 03-16 (left empty on purpose), W4 on 03-23 (it ends at 03-30 00:00 CEST =
03-29 22:00 UTC, so the week of the clock change holds 167 hours)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from steward.analytics import kpis
from steward.analytics.series import drill, series
from steward.analytics.tests.data import clock, cycle, event, response, ticket, utc
from steward.testing import factories as f

pytestmark = pytest.mark.django_db

W1, W2, W3, W4 = date(2026, 3, 2), date(2026, 3, 9), date(2026, 3, 16), date(2026, 3, 23)


@pytest.fixture(autouse=True)
def _berlin(settings):
    settings.TIME_ZONE = "Europe/Berlin"


def values(kpi_name: str, **kwargs) -> list:
    s = series(kpi=kpis.get(kpi_name), first=W1, last=W4 + timedelta(days=6), bucket="week", **kwargs)
    return [p.value for p in s.lines[0].points]


def counts(kpi_name: str, **kwargs) -> list:
    s = series(kpi=kpis.get(kpi_name), first=W1, last=W4 + timedelta(days=6), bucket="week", **kwargs)
    return [p.counts for p in s.lines[0].points]


def approx(xs):
    return [None if x is None else pytest.approx(x, abs=1e-6) for x in xs]


def test_csat_counts_satisfied_answers_by_local_week_and_ignores_nps_only_answers(world):
    t = ticket(world.account_a, created=utc(2026, 2, 20, 9))
    # 23:30 UTC on Sunday 1 March is 00:30 on Monday 2 March in Berlin: W1, not the week before.
    response(t, at=utc(2026, 3, 1, 23, 30), csat=5)
    response(t, at=utc(2026, 3, 3, 10), csat=4)
    response(t, at=utc(2026, 3, 4, 10), csat=3)
    response(t, at=utc(2026, 3, 4, 11), nps=10)  # no CSAT: not counted in CSAT
    # 22:30 UTC on Sunday 1 March is still Sunday in Berlin: the week before the series.
    response(t, at=utc(2026, 3, 1, 22, 30), csat=1)
    # W4: the Sunday of the clock change, late evening (21:30 UTC = 23:30 CEST) is still W4 ...
    response(t, at=utc(2026, 3, 29, 21, 30), csat=1)
    response(t, at=utc(2026, 3, 25, 9), csat=5)
    # ... and 22:30 UTC is Monday 00:30 CEST: the week after the series.
    response(t, at=utc(2026, 3, 29, 22, 30), csat=1)
    assert values("csat") == approx([200 / 3, None, None, 50.0])
    assert counts("csat")[0] == {"satisfied": 2, "answered": 3}
    assert counts("csat")[1] == {"satisfied": 0, "answered": 0}  # an empty bucket: no data, not 0 %


def test_nps_is_promoters_minus_detractors_in_points(world):
    t = ticket(world.account_a, created=utc(2026, 2, 20, 9))
    for score in (10, 9, 8, 6, 0):
        response(t, at=utc(2026, 3, 3, 12), nps=score)
    for score in (10, 10, 7):
        response(t, at=utc(2026, 3, 10, 12), nps=score)
    response(t, at=utc(2026, 3, 10, 13), csat=2)  # CSAT only: not an NPS answer
    assert values("nps") == approx([0.0, 100 * 2 / 3, None, None])
    assert counts("nps")[1] == {"promoters": 2, "detractors": 0, "answered": 3}


def test_first_contact_resolution_counts_resolved_tickets_not_merged_duplicates(world):
    a = world.account_a
    for fcr in (True, True, True, False):
        ticket(
            a,
            created=utc(2026, 3, 2, 8),
            status="resolved",
            resolved_at=utc(2026, 3, 3, 9),
            first_contact_resolution=fcr,
        )
    ticket(a, created=utc(2026, 3, 2, 8), status="open")  # not resolved
    target = ticket(
        a,
        created=utc(2026, 3, 2, 8),
        status="closed",
        resolved_at=utc(2026, 3, 10, 9),
        closed_at=utc(2026, 3, 10, 9),
    )
    ticket(
        a,
        created=utc(2026, 3, 2, 8),
        status="closed",
        resolved_at=utc(2026, 3, 10, 9),
        closed_at=utc(2026, 3, 10, 9),
        merged_into=target,
        first_contact_resolution=True,
    )
    assert values("first_contact_resolution") == approx([75.0, 0.0, None, None])
    rows = drill(
        kpi=kpis.get("first_contact_resolution"), first=W1, last=W4, bucket="week", at=W1, numerator=True
    )
    assert rows.count() == 3


def test_reopen_rate_counts_tickets_with_a_reopen_in_their_timeline(world):
    a = world.account_a
    reopened = ticket(a, created=utc(2026, 3, 2, 8), status="resolved", resolved_at=utc(2026, 3, 12, 9))
    event(reopened, "status", utc(2026, 3, 3, 9), status="resolved", **{"from": "open"})
    event(reopened, "status", utc(2026, 3, 4, 9), status="open", **{"from": "resolved"})
    event(reopened, "status", utc(2026, 3, 12, 9), status="resolved", **{"from": "open"})
    plain = ticket(a, created=utc(2026, 3, 2, 8), status="resolved", resolved_at=utc(2026, 3, 10, 9))
    event(plain, "status", utc(2026, 3, 10, 9), status="resolved", **{"from": "pending"})
    # Pending -> open is not a reopen.
    event(plain, "status", utc(2026, 3, 5, 9), status="open", **{"from": "pending"})
    assert values("reopen_rate") == approx([None, 50.0, None, None])
    assert counts("reopen_rate")[1] == {"reopened": 1, "resolved": 2}


def test_sla_compliance_is_by_the_week_the_deadline_fell_in(world):
    a = world.account_a
    t = [ticket(a, created=utc(2026, 3, 2, 8)) for _ in range(5)]
    # Met in W1 but due in W2: counts in W2.
    clock(t[0], "resolution", status="met", deadline=utc(2026, 3, 9, 10), met_at=utc(2026, 3, 6, 10))
    clock(
        t[1], "resolution", status="breached", deadline=utc(2026, 3, 9, 12), breached_at=utc(2026, 3, 9, 12)
    )
    clock(t[2], "resolution", status="met", deadline=utc(2026, 3, 4, 12), met_at=utc(2026, 3, 4, 11))
    clock(t[3], "resolution", status="running", deadline=utc(2026, 3, 4, 12))  # not decided: not counted
    clock(t[4], "resolution", status="paused", deadline=utc(2026, 3, 24, 12))
    clock(
        t[4],
        "first_response",
        status="breached",
        deadline=utc(2026, 3, 24, 12),
        breached_at=utc(2026, 3, 24, 12),
    )
    assert values("sla_compliance_resolution") == approx([100.0, 50.0, None, None])
    assert counts("sla_compliance_resolution")[1] == {"met": 1, "breached": 1, "clocks": 2}
    assert values("sla_compliance_first_response") == approx([None, None, None, 0.0])


def test_next_response_compliance_counts_every_cycle_of_a_ticket(world):
    """One ticket, three customer follow-ups: met (due W1), breached (due W2), met (due W2); the
    latest, still running, cycle counts nowhere."""
    t = ticket(world.account_a, created=utc(2026, 3, 2, 8))
    cycle(t, "next_response", status="met", deadline=utc(2026, 3, 3, 12))
    cycle(t, "next_response", status="breached", deadline=utc(2026, 3, 10, 12))
    cycle(t, "next_response", status="met", deadline=utc(2026, 3, 11, 12))
    clock(t, "next_response", status="running", deadline=utc(2026, 3, 12, 12))
    assert values("sla_compliance_next_response") == approx([100.0, 50.0, None, None])
    assert counts("sla_compliance_next_response")[1] == {"met": 1, "breached": 1, "clocks": 2}


def test_first_response_percentiles_interpolate_between_ranks(world):
    """Calendar hours to the first agent reply 1, 2, 3 and 10 (the second reply of a ticket does
    not count): median 2.5; p90 at rank h = 3 * 0.9 = 2.7 -> 3 + 0.7 * (10 - 3) = 7.9. Business
    time is the first-response clock's elapsed time (a pause of 1 hour excluded on the 3-hour one)."""
    a = world.account_a
    created = utc(2026, 3, 2, 8)
    hours_and_business = [(1, 3600), (2, 7200), (3, 7200), (10, None)]
    for hours, business in hours_and_business:
        t = ticket(a, created=created)
        event(t, "agent_reply", created + timedelta(hours=hours))
        event(t, "agent_reply", created + timedelta(hours=hours + 1))  # a later reply: ignored
        if business is not None:
            clock(t, "first_response", status="met", deadline=created + timedelta(hours=24), elapsed=business)
    running = ticket(a, created=created)  # no reply yet: not counted
    clock(running, "first_response", status="running", deadline=created + timedelta(hours=24), elapsed=50)
    assert values("first_response_calendar_median") == approx([2.5, None, None, None])
    assert values("first_response_calendar_p90") == approx([7.9, None, None, None])
    # Business hours 1, 2, 2 (the ticket without an SLA has none): median 2, p90 h = 1.8 -> 2.
    assert values("first_response_business_median") == approx([2.0, None, None, None])
    assert values("first_response_business_p90") == approx([2.0, None, None, None])
    assert counts("first_response_calendar_median")[0] == {"n": 4}
    assert counts("first_response_business_median")[0] == {"n": 3}


def test_resolution_time_of_a_reopened_ticket_runs_to_its_latest_resolution(world):
    a = world.account_a
    # Resolved after 10 hours, reopened, resolved again 48 hours after creation (in W2); business
    # time carries across the reopen: 20 hours.
    reopened = ticket(a, created=utc(2026, 3, 8, 10), status="resolved", resolved_at=utc(2026, 3, 10, 10))
    clock(reopened, "resolution", status="met", deadline=utc(2026, 3, 12, 10), elapsed=20 * 3600)
    quick = ticket(
        a,
        created=utc(2026, 3, 9, 10),
        status="closed",
        resolved_at=utc(2026, 3, 9, 14),
        closed_at=utc(2026, 3, 9, 15),
    )
    clock(quick, "resolution", status="met", deadline=utc(2026, 3, 12, 10), elapsed=4 * 3600)
    assert values("resolution_calendar_median") == approx([None, 26.0, None, None])
    assert values("resolution_calendar_p90") == approx([None, 4 + 0.9 * 44, None, None])
    assert values("resolution_business_median") == approx([None, 12.0, None, None])


def test_backlog_is_open_tickets_at_each_weeks_end(world):
    a = world.account_a
    ticket(a, created=utc(2026, 2, 20, 9))  # open since before the series: 1 at the start
    ticket(a, created=utc(2026, 2, 20, 9), status="resolved", resolved_at=utc(2026, 3, 3, 9))  # leaves in W1
    ticket(a, created=utc(2026, 2, 20, 9), status="resolved", resolved_at=utc(2026, 2, 25, 9))  # gone before
    ticket(a, created=utc(2026, 3, 3, 9))  # W1, still open
    ticket(
        a, created=utc(2026, 3, 10, 9), status="resolved", resolved_at=utc(2026, 3, 10, 12)
    )  # in and out in W2
    ticket(
        a,
        created=utc(2026, 3, 24, 9),
        status="closed",
        resolved_at=utc(2026, 4, 2, 9),
        closed_at=utc(2026, 4, 3, 9),
    )
    # Start: 2 open (the first two). W1: +1 -1 = 2; W2: +1 -1 = 2; W3: 2; W4: +1 = 3.
    assert values("backlog") == [2.0, 2.0, 2.0, 3.0]
    assert counts("backlog")[3] == {"opened": 1, "resolved": 0, "open_at_end": 3}
    rows = drill(kpi=kpis.get("backlog"), first=W1, last=W4, bucket="week", at=W4)
    assert rows.count() == 3


def test_breakdown_by_team_gives_one_line_per_team_with_names(world):
    a = world.account_a
    red, blue = f.TeamFactory(name="Red"), f.TeamFactory(name="Blue")
    for team, fcr in ((red, True), (red, False), (blue, True), (None, False)):
        ticket(
            a,
            created=utc(2026, 3, 2, 8),
            status="resolved",
            resolved_at=utc(2026, 3, 3, 9),
            team=team,
            first_contact_resolution=fcr,
        )
    s = series(kpi=kpis.get("first_contact_resolution"), first=W1, last=W2, bucket="week", by="team")
    by_label = {line.label: [p.value for p in line.points] for line in s.lines}
    assert by_label == {"Blue": [100.0, None], "Red": [50.0, None], "(none)": [0.0, None]}


def test_filters_restrict_to_one_account(world):
    for account, fcr in ((world.account_a, True), (world.account_b, False)):
        ticket(
            account,
            created=utc(2026, 3, 2, 8),
            status="resolved",
            resolved_at=utc(2026, 3, 3, 9),
            first_contact_resolution=fcr,
        )
    assert values("first_contact_resolution", filters={"account": world.account_b.pk})[0] == 0.0


def test_unavailable_kpis_say_why():
    s = series(kpi=kpis.get("billable_ratio"), first=W1, last=W2)
    assert not s.available and "billing" in s.reason
    s = series(kpi=kpis.get("self_service_deflection"), first=W1, last=W2)
    assert not s.available and "knowledge base" in s.reason


def test_every_kpi_is_documented():
    for kpi in kpis.KPIS.values():
        assert kpi.title and kpi.meaning and kpi.formula and kpi.unit and kpi.counts_rows, kpi.name


def test_sql_percentiles_equal_linear_interpolation_on_random_data(world):
    """37 random resolution times in one week: the database's median and p90 equal Python's
    inclusive quantiles (linear interpolation between closest ranks), on either database."""
    import random
    import statistics

    rng = random.Random(5)
    hours = [round(rng.uniform(0.5, 200), 3) for _ in range(37)] + [7.0, 7.0]  # ties too
    for h in hours:
        resolved = utc(2026, 3, 10, 12)
        ticket(
            world.account_a, created=resolved - timedelta(hours=h), status="resolved", resolved_at=resolved
        )
    deciles = statistics.quantiles(hours, n=10, method="inclusive")
    assert values("resolution_calendar_median")[1] == pytest.approx(statistics.median(hours), abs=1e-6)
    assert values("resolution_calendar_p90")[1] == pytest.approx(deciles[8], abs=1e-6)
