"""Stored KPI cells: a series answered from the store equals the series computed from the rows,
after every kind of change the services make; the store is really used; and a reader never stores
what a concurrent change or consumption has made stale."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from django.db.models import Q

from steward.analytics import cells, kpis
from steward.analytics.buckets import buckets
from steward.analytics.models import KpiCellSet
from steward.analytics.series import org_timezone, series
from steward.analytics.tests.data import clock, response, technician, ticket, utc, work_order
from steward.core.models import HistoryChange
from steward.core.services import history_changed
from steward.desk import services as desk
from steward.desk.models import Ticket
from steward.field import services as field
from steward.field.models import ShiftPattern
from steward.testing import factories as f

pytestmark = pytest.mark.django_db

FIRST, LAST = date(2026, 3, 2), date(2026, 4, 26)


@pytest.fixture(autouse=True)
def _berlin(settings):
    settings.TIME_ZONE = "Europe/Berlin"


def _live(source):
    """A scope that admits every row but is not `series.everything`: the store is bypassed."""
    return Q()


def figures(name: str, *, live: bool = False, **kwargs) -> list:
    kwargs.setdefault("first", FIRST)
    kwargs.setdefault("last", LAST)
    kwargs.setdefault("bucket", "week")
    if live:
        kwargs["scope"] = _live
    s = series(kpi=kpis.get(name), **kwargs)
    return [(line.group, [(p.bucket, p.value, p.counts) for p in line.points]) for line in s.lines]


def assert_stored_equals_live(name: str, **kwargs) -> list:
    stored = figures(name, **kwargs)
    assert stored == figures(name, live=True, **kwargs)
    return stored


@pytest.fixture
def desk_world(world):
    north, south = f.TeamFactory(name="North"), f.TeamFactory(name="South")
    tickets = []
    for day, team, fcr in ((3, north, True), (4, north, False), (11, south, True), (18, south, False)):
        created = utc(2026, 3, day, 9)
        t = ticket(
            world.account_a,
            created=created,
            team=team,
            status="resolved",
            resolved_at=created + timedelta(hours=5),
            first_contact_resolution=fcr,
        )
        t.events.filter(type="created").update(data={"status": "new", "priority": "P3"})  # replayable
        clock(t, "resolution", status="met", deadline=created + timedelta(days=1), elapsed=3600)
        response(t, at=created + timedelta(days=1), csat=5 if fcr else 2)
        tickets.append(t)
    return world, north, south, tickets


def test_a_series_stores_its_closed_weeks_and_reads_them_back(desk_world):
    _world, _north, _south, tickets = desk_world
    first = assert_stored_equals_live("first_contact_resolution")
    weeks = len(buckets(FIRST, LAST, "week", org_timezone()))
    assert KpiCellSet.objects.filter(kpi="first_contact_resolution", by="").count() == weeks
    # A row written behind the services' back is not seen: the figure comes from the store.
    Ticket.objects.filter(pk=tickets[3].pk).update(first_contact_resolution=True)
    assert figures("first_contact_resolution") == first
    # Once a change is recorded, the weeks from its instant on are computed from the rows again.
    history_changed(since=tickets[3].created_at)
    after = figures("first_contact_resolution")
    assert after == figures("first_contact_resolution", live=True)
    assert after[0][1][:2] == first[0][1][:2]
    assert (first[0][1][2][1], after[0][1][2][1]) == (0.0, 100.0)


def test_a_reopen_through_the_desk_moves_the_ticket_out_of_its_resolved_week(desk_world):
    world, _north, _south, tickets = desk_world
    before = assert_stored_equals_live("reopen_rate")
    assert before[0][1][0][2] == {"reopened": 0, "resolved": 2}
    desk.ticket_change_status(ticket=tickets[0], actor=world.users["manager"], status="open")
    after = assert_stored_equals_live("reopen_rate")
    assert after[0][1][0][2] == {"reopened": 0, "resolved": 1}


def test_moving_a_ticket_to_another_team_changes_the_stored_breakdown(desk_world):
    world, north, south, tickets = desk_world
    before = assert_stored_equals_live("csat", by="team")
    assert [group for group, _ in before] == [north.pk, south.pk]
    desk.ticket_assign(ticket=tickets[3], actor=world.users["manager"], team=north)
    assert_stored_equals_live("first_contact_resolution", by="team")
    assert_stored_equals_live("sla_compliance_resolution", by="team")


def test_a_series_filtered_on_one_dimension_reads_that_group_of_the_stored_breakdown(desk_world):
    _world, _north, south, _tickets = desk_world
    by_team = assert_stored_equals_live("first_contact_resolution", by="team")
    stored_sets = KpiCellSet.objects.count()
    south_only = figures("first_contact_resolution", filters={"team": south.pk})
    assert KpiCellSet.objects.count() == stored_sets  # answered from the by-team cells
    assert south_only == figures("first_contact_resolution", filters={"team": south.pk}, live=True)
    assert [p[1] for p in south_only[0][1]] == [p[1] for p in dict(by_team)[south.pk]]


@pytest.fixture
def field_world(world):
    a, site, asset = world.account_a, world.site_a, world.asset_a
    tech = technician(hourly_cost=60)
    for weekday in range(5):
        ShiftPattern.objects.create(technician=tech, weekday=weekday, start=time(8), end=time(16))
    done = {"status": "completed", "technician": tech}
    first = work_order(
        a, site, **done, asset=asset, en_route_at=utc(2026, 3, 3, 8, 30), on_site_at=utc(2026, 3, 3, 9),
        finished_at=utc(2026, 3, 3, 10), created_at=utc(2026, 3, 2, 9),
    )  # fmt: skip
    work_order(
        a, site, **done, en_route_at=utc(2026, 3, 17, 8), on_site_at=utc(2026, 3, 17, 9),
        finished_at=utc(2026, 3, 17, 11), created_at=utc(2026, 3, 16, 9),
    )  # fmt: skip
    return world, tech, first


def test_a_visit_scheduled_within_30_days_undoes_a_stored_first_time_fix(field_world):
    world, tech, _first = field_world
    before = assert_stored_equals_live("first_time_fix", bucket="month")
    assert before[0][1][0][2] == {"fixed": 2, "visits": 2}
    manager, dispatcher = world.users["manager"], world.users["dispatcher"]
    again = field.work_order_create(
        actor=manager, account=world.account_a, site=world.site_a, asset=world.asset_a, title="again"
    )
    field.work_order_schedule(actor=dispatcher, work_order=again, technician=tech, start=utc(2026, 3, 20, 9))
    after = assert_stored_equals_live("first_time_fix", bucket="month")
    assert after[0][1][0][2] == {"fixed": 1, "visits": 2}


def test_a_new_cost_rate_and_an_absence_reach_the_stored_cost_and_utilisation(field_world):
    world, tech, _first = field_world
    tech.refresh_from_db()  # the stored coordinates, as a form would edit them
    cost = assert_stored_equals_live("cost_per_interaction", bucket="month")
    use = assert_stored_equals_live("utilisation", bucket="month")
    manager = world.users["manager"]
    field.technician_update(actor=manager, technician=tech, hourly_cost=90)
    field.absence_create(
        actor=manager, technician=tech, starts_at=utc(2026, 3, 4, 8), ends_at=utc(2026, 3, 4, 12)
    )
    assert assert_stored_equals_live("cost_per_interaction", bucket="month") != cost
    assert assert_stored_equals_live("utilisation", bucket="month") != use


def test_the_open_week_is_never_stored(desk_world):
    from django.utils import timezone

    today = timezone.localdate()
    figures("csat", first=today - timedelta(weeks=3), last=today)
    stored = KpiCellSet.objects.filter(kpi="csat").order_by("starts_on")
    assert stored.count() == 3
    assert all(s.ends_at <= timezone.now() for s in stored)


# --- the writers' ordering ----------------------------------------------------------------------


def _march_weeks():
    return buckets(date(2026, 3, 2), date(2026, 3, 29), "week", org_timezone())


def test_consuming_changes_drops_the_cells_after_the_earliest_and_bumps_the_generation(desk_world):
    figures("csat")
    total = KpiCellSet.objects.filter(kpi="csat").count()
    history_changed(since=utc(2026, 3, 20))
    history_changed(since=utc(2026, 4, 10))
    before = cells.snapshot()
    outcome = cells.consume_changes()
    assert outcome["changes"] == 2 and not HistoryChange.objects.exists()
    kept = KpiCellSet.objects.filter(kpi="csat")
    assert 0 < kept.count() < total
    assert all(s.ends_at <= utc(2026, 3, 20) for s in kept)
    assert cells.snapshot().generation == before.generation + 1
    assert cells.consume_changes() == {"changes": 0, "cell_sets": 0}


def test_a_reader_does_not_store_after_a_consumption_it_did_not_see(desk_world):
    kpi = kpis.get("csat")
    snap = cells.snapshot()
    history_changed(since=utc(2026, 1, 1))
    cells.consume_changes()
    assert cells.store(kpi, "week", "Europe/Berlin", None, _march_weeks(), {}, snap) == 0
    assert not KpiCellSet.objects.exists()


def test_a_reader_stores_only_the_buckets_before_a_change_pending_at_store_time(desk_world):
    kpi = kpis.get("csat")
    snap = cells.snapshot()
    history_changed(since=utc(2026, 3, 17))  # committed while the reader computed
    weeks = _march_weeks()
    assert cells.store(kpi, "week", "Europe/Berlin", None, weeks, {}, snap) == 2
    assert sorted(KpiCellSet.objects.values_list("starts_on", flat=True)) == [
        date(2026, 3, 2),
        date(2026, 3, 9),
    ]
    # And while the change is pending, even those are trusted only up to its instant.
    assert cells.snapshot().trusted_until == utc(2026, 3, 17)


def test_a_changed_definition_is_not_answered_from_old_cells(desk_world, monkeypatch):
    figures("csat")
    kpi = kpis.get("csat")
    old = cells.definition_key(kpi)
    monkeypatch.setattr(cells, "CELLS_VERSION", cells.CELLS_VERSION + 1)
    assert cells.definition_key(kpi) != old
    assert cells.load(kpi, "week", "Europe/Berlin", None, _march_weeks(), cells.snapshot()) == {}


def test_a_customer_admins_series_is_their_group_of_the_stored_breakdown_by_account(desk_world):
    from steward.analytics import selectors

    world = desk_world[0]
    admin = world.users["customer_a_admin"]
    assert_stored_equals_live("csat", by="account")
    stored_sets = KpiCellSet.objects.count()
    theirs = selectors.kpi_series(admin, "csat", first=FIRST, last=LAST, bucket="week")
    assert KpiCellSet.objects.count() == stored_sets  # read, not computed again
    live = figures("csat", filters={"account": world.account_a.pk}, live=True)
    assert [(p.value, p.counts) for p in theirs.lines[0].points] == [(v, c) for _, v, c in live[0][1]]
    # Account B's admin, with no answers of their own, sees none of A's.
    other = selectors.kpi_series(
        world.users["customer_b_admin"], "csat", first=FIRST, last=LAST, bucket="week"
    )
    assert all(p.value is None for line in other.lines for p in line.points)


def test_the_backlog_carries_on_from_the_stored_week_before_a_live_span(desk_world):
    world, north, _south, _tickets = desk_world
    open_one = ticket(world.account_a, created=utc(2026, 3, 5, 9), team=north)  # never resolved
    # Weeks stored by a shorter series first, then the whole one: the same figures as the rows give.
    assert_stored_equals_live("backlog", by="team", first=date(2026, 3, 30))
    full = assert_stored_equals_live("backlog", by="team")
    assert dict(full)[north.pk][-1][1] == 1.0  # the open ticket, still open at the end
    # A change from 16 March on: those weeks are live, starting from the stored count of the week before.
    Ticket.objects.filter(pk=open_one.pk).update(status="resolved", resolved_at=utc(2026, 3, 20, 9))
    history_changed(since=utc(2026, 3, 16))
    after = assert_stored_equals_live("backlog", by="team")
    assert dict(after)[north.pk][-1][1] == 0.0


def test_one_worker_claims_the_nightly_warming_of_a_day(db):
    from steward.analytics.models import KpiCellState

    assert cells.claim_warming(date(2026, 11, 23)) is True
    assert cells.claim_warming(date(2026, 11, 23)) is False  # another worker, the same day
    assert cells.claim_warming(date(2026, 11, 24)) is True
    KpiCellState.objects.all().delete()  # a flushed database: the row comes back, claimed
    assert cells.claim_warming(date(2026, 11, 24)) is True
    assert cells.claim_warming(date(2026, 11, 24)) is False
