"""Holidays from an iCalendar (.ics) file: every all-day event's dates (multi-day events expanded)."""

from __future__ import annotations

import datetime as dt

MAX_ICAL_BYTES = 2 * 1024 * 1024
MAX_EVENT_DAYS = 366


def holidays_from_ical(data: bytes) -> list[str]:
    import icalendar

    if len(data) > MAX_ICAL_BYTES:
        raise ValueError(f"file is larger than {MAX_ICAL_BYTES // 1024} KiB")
    try:
        cal = icalendar.Calendar.from_ical(data)
    except Exception as exc:  # icalendar raises plain ValueError and friends on bad input
        raise ValueError(f"not a valid iCalendar file ({exc})") from None
    dates: set[str] = set()
    for event in cal.walk("VEVENT"):
        start_prop = event.get("DTSTART")
        if start_prop is None:
            continue
        start = start_prop.dt
        if isinstance(start, dt.datetime):
            continue  # timed events are appointments, not holidays
        end_prop = event.get("DTEND")
        end = end_prop.dt if end_prop is not None else start + dt.timedelta(days=1)
        if isinstance(end, dt.datetime):
            end = end.date()
        days = (end - start).days
        if days <= 0:
            days = 1
        if days > MAX_EVENT_DAYS:
            raise ValueError(f"event {event.get('SUMMARY', '')!s} spans more than {MAX_EVENT_DAYS} days")
        for offset in range(days):
            dates.add((start + dt.timedelta(days=offset)).isoformat())
    if not dates:
        raise ValueError("the file has no all-day events")
    return sorted(dates)
