"""Core endpoints: business calendars (with holiday import) and the current user."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import File, Query, Router, Schema, Status, UploadedFile
from pydantic import Field

from steward.core import selectors, services
from steward.core.api_kit import ERRORS, Id, Page, PageParams, paginate

router = Router(tags=["core"])
MAX_SPAN_DAYS = 3660


class CalendarOut(Schema):
    id: int
    name: str
    description: str
    spec: dict[str, Any]
    updated_at: dt.datetime


class CalendarIn(Schema):
    name: str = Field(min_length=1, max_length=120)
    description: str = ""
    spec: dict[str, Any]


class CalendarPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=120)
    description: str | None = None
    spec: dict[str, Any] | None = None


class HolidayImportOut(Schema):
    added: list[str]
    calendar: CalendarOut


class BusinessTimeOut(Schema):
    start: dt.datetime
    end: dt.datetime
    business_seconds: float


@router.get("/calendars", response={200: Page[CalendarOut], **ERRORS})
def list_calendars(request: HttpRequest, page: Query[PageParams], q: str = ""):
    return paginate(selectors.calendar_list(request.user, q=q), page)


@router.post("/calendars", response={201: CalendarOut, **ERRORS})
def create_calendar(request: HttpRequest, payload: CalendarIn):
    return Status(201, services.calendar_create(actor=request.user, **payload.dict()))


@router.get("/calendars/{calendar_id}", response={200: CalendarOut, **ERRORS})
def get_calendar(request: HttpRequest, calendar_id: Id):
    return selectors.calendar_get(request.user, calendar_id)


@router.patch("/calendars/{calendar_id}", response={200: CalendarOut, **ERRORS})
def update_calendar(request: HttpRequest, calendar_id: Id, payload: CalendarPatch):
    calendar = selectors.calendar_get(request.user, calendar_id)
    return services.calendar_update(actor=request.user, calendar=calendar, **payload.dict(exclude_unset=True))


@router.post("/calendars/{calendar_id}/holidays", response={200: HolidayImportOut, **ERRORS})
def import_holidays(request: HttpRequest, calendar_id: Id, file: File[UploadedFile]):
    """Add the all-day events of an iCalendar (.ics) file as holidays."""
    calendar = selectors.calendar_get(request.user, calendar_id)
    added = services.calendar_import_holidays(actor=request.user, calendar=calendar, ical_bytes=file.read())
    return {"added": added, "calendar": calendar}


@router.get("/calendars/{calendar_id}/business-time", response={200: BusinessTimeOut, **ERRORS})
def business_time(request: HttpRequest, calendar_id: Id, start: dt.datetime, end: dt.datetime):
    """Business time between two instants (both with a UTC offset) on this calendar."""
    from steward.core.calendars import business_time_between
    from steward.core.errors import ValidationFailed

    calendar = selectors.calendar_get(request.user, calendar_id)
    for name, value in (("start", start), ("end", end)):
        if value.tzinfo is None:
            raise ValidationFailed.for_field(name, "needs a UTC offset or Z")
    # The arithmetic walks week by week; a bounded span keeps one request from costing seconds.
    if abs(end - start) > dt.timedelta(days=MAX_SPAN_DAYS):
        raise ValidationFailed.for_field("end", f"must be within {MAX_SPAN_DAYS} days of start")
    seconds = business_time_between(start, end, calendar.business_calendar()).total_seconds()
    return {"start": start, "end": end, "business_seconds": seconds}
