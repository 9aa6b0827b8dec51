"""Technicians and their availability: shifts minus absences in the technician's timezone, skills
valid on the date (an expired certification is not a skill), start points; the services that
manage them (field staff only)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from steward.core.errors import Forbidden, ValidationFailed
from steward.field import selectors, services
from steward.field.models import Depot, Technician
from steward.field.tests.helpers import technician
from steward.testing import factories as f

pytestmark = pytest.mark.django_db

TUE = date(2026, 3, 10)


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def test_shifts_on_a_date_minus_absences(world):
    tech = technician()
    services.absence_create(
        actor=world.users["dispatcher"],
        technician=tech,
        kind="training",
        starts_at=utc(2026, 3, 10, 11),
        ends_at=utc(2026, 3, 10, 12),
    )
    assert selectors.technician_shifts_on(tech, TUE) == [
        (utc(2026, 3, 10, 7), utc(2026, 3, 10, 11)),
        (utc(2026, 3, 10, 12), utc(2026, 3, 10, 15)),
    ]
    assert selectors.technician_shifts_on(tech, date(2026, 3, 14)) == []  # Saturday


def test_availability_for_the_optimiser(world):
    berlin = technician(skills=[("hvac", 4, None), ("gas", 3, date(2026, 3, 9))])
    depot = Depot.objects.create(name="Nord", address="Weg 1", latitude="52.6", longitude="13.3")
    lisbon_user = f.staff_user("technician")
    lisbon = technician(lisbon_user, tz="Europe/Lisbon", skills=[("gas", 5, date(2026, 12, 31))])
    Technician.objects.filter(pk=lisbon.pk).update(starts_from="depot", depot=depot)
    services.absence_create(
        actor=world.users["manager"],
        technician=berlin,
        kind="leave",
        starts_at=utc(2026, 3, 10, 0),
        ends_at=utc(2026, 3, 11, 0),
    )
    by_tech = {a.technician.pk: a for a in selectors.technician_availability(TUE)}
    assert by_tech[berlin.pk].intervals == [] and not by_tech[berlin.pk].works
    assert by_tech[berlin.pk].skills == {"hvac": 4}  # gas expired on Monday
    assert by_tech[lisbon.pk].intervals == [
        (utc(2026, 3, 10, 8), utc(2026, 3, 10, 16))
    ]  # Lisbon is UTC in March
    assert by_tech[lisbon.pk].skills == {"gas": 5}
    assert (by_tech[lisbon.pk].start_lat, by_tech[lisbon.pk].start_lon) == (52.6, 13.3)


def test_availability_costs_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    for _ in range(5):
        technician()
    with django_assert_max_num_queries(4):
        assert len(selectors.technician_availability(TUE)) == 5


def test_technician_services_are_for_field_staff(world):
    user = f.staff_user("technician")
    with pytest.raises(Forbidden):
        services.technician_create(actor=world.users["agent"], user=user, home_latitude=52, home_longitude=13)
    with pytest.raises(ValidationFailed) as err:
        services.technician_create(actor=world.users["manager"], user=world.users["agent"])
    assert "user" in err.value.fields
    tech = services.technician_create(
        actor=world.users["manager"], user=user, home_latitude=52, home_longitude=13
    )
    services.technician_update(actor=world.users["dispatcher"], technician=tech, hourly_cost=60)
    tech.refresh_from_db()
    assert tech.hourly_cost == 60


def test_shift_and_absence_validation(world):
    tech = technician(weekdays=())
    with pytest.raises(ValidationFailed) as err:
        services.shift_create(
            actor=world.users["manager"], technician=tech, weekday=1, start=time(16), end=time(8)
        )
    assert "end" in err.value.fields
    with pytest.raises(ValidationFailed) as err:
        services.absence_create(
            actor=world.users["manager"],
            technician=tech,
            starts_at=utc(2026, 3, 10, 12),
            ends_at=utc(2026, 3, 10, 8),
        )
    assert "ends_at" in err.value.fields
    shift = services.shift_create(
        actor=world.users["manager"], technician=tech, weekday=1, start=time(7), end=time(15)
    )
    services.shift_update(actor=world.users["manager"], shift=shift, end=time(13))
    shift.refresh_from_db()
    assert shift.end == time(13)
    with pytest.raises(Forbidden):
        services.shift_update(actor=tech.user, shift=shift, end=time(18))
