"""Stored calendars: specs validated through the pure module, iCalendar holiday import, the
business-time endpoint, and their audit trail."""

from __future__ import annotations

import pytest

from steward.core.errors import Forbidden, ValidationFailed
from steward.core.ical import holidays_from_ical
from steward.core.models import AuditEvent
from steward.core.services import calendar_create, calendar_import_holidays, calendar_update
from steward.testing import factories as f

pytestmark = pytest.mark.django_db

WEEKDAYS = {d: [["08:00", "12:00"], ["13:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}

ICS = b"""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Steward tests//EN\r
BEGIN:VEVENT\r
UID:xmas@test\r
DTSTAMP:20260101T000000Z\r
DTSTART;VALUE=DATE:20261224\r
DTEND;VALUE=DATE:20261227\r
SUMMARY:Christmas\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:meeting@test\r
DTSTAMP:20260101T000000Z\r
DTSTART:20261210T090000Z\r
DTEND:20261210T100000Z\r
SUMMARY:A timed meeting is not a holiday\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:ny@test\r
DTSTAMP:20260101T000000Z\r
DTSTART;VALUE=DATE:20270101\r
SUMMARY:New Year\r
END:VEVENT\r
END:VCALENDAR\r
"""


def test_ical_all_day_events_become_dates():
    assert holidays_from_ical(ICS) == ["2026-12-24", "2026-12-25", "2026-12-26", "2027-01-01"]


@pytest.mark.parametrize("data", [b"not a calendar", b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"])
def test_ical_rejects_garbage_and_empty(data):
    with pytest.raises(ValueError):
        holidays_from_ical(data)


def test_create_validates_spec_and_audits(world):
    manager = world.users["manager"]
    cal = calendar_create(actor=manager, name="Office", spec={"timezone": "Europe/Berlin", "hours": WEEKDAYS})
    assert AuditEvent.objects.filter(action="calendar.create", object_id=str(cal.pk)).exists()
    with pytest.raises(ValidationFailed) as exc:
        calendar_create(actor=manager, name="Bad", spec={"timezone": "Europe/Nowhere", "hours": WEEKDAYS})
    assert "spec" in exc.value.fields
    with pytest.raises(ValidationFailed):
        calendar_update(
            actor=manager, calendar=cal, spec={"timezone": "UTC", "hours": {"mon": [["10:00", "09:00"]]}}
        )
    cal.refresh_from_db()
    assert cal.spec["timezone"] == "Europe/Berlin"


def test_agents_cannot_edit_calendars(world):
    with pytest.raises(Forbidden):
        calendar_create(
            actor=world.users["agent"], name="X", spec={"timezone": "UTC", "always": True, "hours": {}}
        )


def test_import_holidays_adds_only_new_dates(world):
    cal = f.CalendarFactory(spec={"timezone": "Europe/Berlin", "hours": WEEKDAYS, "holidays": ["2026-12-25"]})
    added = calendar_import_holidays(actor=world.users["admin"], calendar=cal, ical_bytes=ICS)
    assert added == ["2026-12-24", "2026-12-26", "2027-01-01"]
    cal.refresh_from_db()
    assert cal.spec["holidays"] == ["2026-12-24", "2026-12-25", "2026-12-26", "2027-01-01"]
    assert AuditEvent.objects.filter(action="calendar.import_holidays").count() == 1


def test_business_time_endpoint_counts_only_working_hours(world, client_for):
    cal = f.CalendarFactory(spec={"timezone": "Europe/Berlin", "hours": WEEKDAYS, "holidays": []})
    client = client_for(world.users["agent"])
    # Friday 16:00 to Monday 09:00 Berlin: one hour on Friday, one on Monday.
    response = client.get(
        f"/api/v1/calendars/{cal.pk}/business-time",
        {"start": "2026-11-27T16:00:00+01:00", "end": "2026-11-30T09:00:00+01:00"},
    )
    assert response.status_code == 200, response.content
    assert response.json()["business_seconds"] == 7200
    naive = client.get(
        f"/api/v1/calendars/{cal.pk}/business-time",
        {"start": "2026-11-27T16:00:00", "end": "2026-11-30T09:00:00"},
    )
    assert naive.status_code == 422 and "start" in naive.json()["error"]["fields"]
    huge = client.get(
        f"/api/v1/calendars/{cal.pk}/business-time",
        {"start": "0001-01-01T00:00:00Z", "end": "9999-01-01T00:00:00Z"},
    )
    assert huge.status_code == 422 and "end" in huge.json()["error"]["fields"]
