"""Time buckets (day, ISO week, month, quarter, year) in the organisation's timezone, as pure arithmetic.

A bucket is a local calendar period; its bounds are the UTC instants of local midnight at its
start and at the next one, so a day on which the clocks change holds 23 or 25 hours and an
instant belongs to exactly one bucket. The database then buckets rows by comparing the stored
UTC instants with these bounds (`sqlkit.bucket_index`): the same answer on SQLite and PostgreSQL,
and an index range scan instead of a time-zone conversion per row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

BUCKETS = ("day", "week", "month", "quarter", "year")
MAX_BUCKETS = 1500  # about four years of days: a bound on the size of one query's CASE expression


@dataclass(frozen=True, slots=True)
class Bucket:
    index: int
    label: date  # the local date the period starts on (a Monday for a week, the 1st for a month)
    start: datetime  # UTC, inclusive
    end: datetime  # UTC, exclusive


def period_start(day: date, bucket: str) -> date:
    """The first local date of the bucket that holds `day`."""
    if bucket == "day":
        return day
    if bucket == "week":
        return day - timedelta(days=day.weekday())
    if bucket == "month":
        return day.replace(day=1)
    if bucket == "quarter":
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    if bucket == "year":
        return date(day.year, 1, 1)
    raise ValueError(f"bucket must be one of {', '.join(BUCKETS)}, got {bucket!r}")


def next_period(start: date, bucket: str) -> date:
    if bucket == "day":
        return start + timedelta(days=1)
    if bucket == "week":
        return start + timedelta(days=7)
    if bucket == "month":
        return date(start.year + start.month // 12, start.month % 12 + 1, 1)
    if bucket == "quarter":
        month = start.month + 3
        return date(start.year + (month - 1) // 12, (month - 1) % 12 + 1, 1)
    if bucket == "year":
        return date(start.year + 1, 1, 1)
    raise ValueError(f"bucket must be one of {', '.join(BUCKETS)}, got {bucket!r}")


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """The UTC instant of 00:00 local time on `day` (midnight exists in every zone we support; on a
    day whose midnight is skipped, the first instant after the gap)."""
    local = datetime.combine(day, time(0), tzinfo=tz)
    # A wall time in a gap round-trips to a later wall time; either way this is the day's start.
    return local.astimezone(UTC)


def buckets(first: date, last: date, bucket: str, tz: ZoneInfo) -> list[Bucket]:
    """The buckets covering the local dates `first` to `last` inclusive (the first and last
    buckets are whole periods, so a month series starting on the 15th starts on the 1st)."""
    if last < first:
        raise ValueError("the period ends before it starts")
    out: list[Bucket] = []
    day = period_start(first, bucket)
    while day <= last:
        following = next_period(day, bucket)
        out.append(Bucket(len(out), day, local_midnight(day, tz), local_midnight(following, tz)))
        if len(out) > MAX_BUCKETS:
            raise ValueError(f"more than {MAX_BUCKETS} buckets: choose a longer bucket or a shorter period")
        day = following
    return out


def bucket_of(instant: datetime, series: list[Bucket]) -> int | None:
    """The index of the bucket holding `instant` (aware), or None outside the series."""
    for b in series:
        if b.start <= instant < b.end:
            return b.index
    return None
