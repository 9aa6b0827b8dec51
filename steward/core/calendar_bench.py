"""Micro-benchmark of :mod:`steward.core.calendars` (the integrator wires :func:`bench` to a CLI).

Times ``calls`` ``add_business_time`` and ``calls`` ``business_time_between`` calls on a
realistic Europe/Berlin calendar (Mon-Fri 08:00-12:00 and 13:00-17:00, German national
holidays 2026-2027) with seeded random starts over 2026 and durations from one minute
to five business days (40 hours).  The calendar is built fresh, so the timings include
filling its span cache.
"""

from __future__ import annotations

import json
import random
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from steward.core.calendars import BusinessCalendar, add_business_time, business_time_between

_WORKDAY = [["08:00", "12:00"], ["13:00", "17:00"]]


def _easter_sunday(year: int) -> date:
    """Gregorian Easter Sunday (Meeus/Jones/Butcher algorithm)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    g = (b - (b + 8) // 25 + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    weekday_shift = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * weekday_shift) // 451
    month, day = divmod(h + weekday_shift - 7 * m + 114, 31)
    return date(year, month, day + 1)


def german_holidays(years: range) -> list[date]:
    """Nationwide public holidays in Germany."""
    days: list[date] = []
    for year in years:
        easter = _easter_sunday(year)
        days += [
            date(year, 1, 1),  # Neujahr
            easter - timedelta(days=2),  # Karfreitag
            easter + timedelta(days=1),  # Ostermontag
            date(year, 5, 1),  # Tag der Arbeit
            easter + timedelta(days=39),  # Christi Himmelfahrt
            easter + timedelta(days=50),  # Pfingstmontag
            date(year, 10, 3),  # Tag der Deutschen Einheit
            date(year, 12, 25),
            date(year, 12, 26),
        ]
    return days


def berlin_calendar() -> BusinessCalendar:
    return BusinessCalendar.from_spec(
        {
            "timezone": "Europe/Berlin",
            "hours": dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), _WORKDAY),
            "holidays": [d.isoformat() for d in german_holidays(range(2026, 2028))],
        }
    )


def bench(calls: int = 100_000, seed: int = 20260101) -> dict[str, float | int]:
    """Time ``calls`` additions and ``calls`` differences; return seconds and microseconds per call."""
    rng = random.Random(seed)
    tz = ZoneInfo("Europe/Berlin")
    year_start = datetime(2025, 12, 31, 23, tzinfo=UTC)  # 2026-01-01 00:00 in Berlin
    year_us = 365 * 86_400_000_000
    starts = [
        (year_start + timedelta(microseconds=rng.randrange(year_us))).astimezone(tz) for _ in range(calls)
    ]
    durations = [
        timedelta(microseconds=rng.randrange(60_000_000, 40 * 3_600_000_000 + 1)) for _ in range(calls)
    ]
    # Ends for business_time_between: one minute to a week of real time after the start.
    ends = [s + timedelta(microseconds=rng.randrange(60_000_000, 7 * 86_400_000_000)) for s in starts]
    calendar = berlin_calendar()

    t0 = time.perf_counter()
    for start, duration in zip(starts, durations, strict=True):
        add_business_time(start, duration, calendar)
    add_seconds = time.perf_counter() - t0

    t0 = time.perf_counter()
    for start, end in zip(starts, ends, strict=True):
        business_time_between(start, end, calendar)
    between_seconds = time.perf_counter() - t0

    return {
        "calls": calls,
        "add_seconds": round(add_seconds, 4),
        "between_seconds": round(between_seconds, 4),
        "per_call_us_add": round(add_seconds / calls * 1e6, 3) if calls else 0.0,
        "per_call_us_between": round(between_seconds / calls * 1e6, 3) if calls else 0.0,
    }


if __name__ == "__main__":
    print(json.dumps(bench(), indent=2))
