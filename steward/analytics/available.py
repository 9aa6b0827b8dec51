"""Available shift time per technician and bucket, from the roster (weekly shift patterns and
absences), as pure calendar arithmetic (no ORM). The roster is a handful of rows per technician,
aggregated by the database first (one row per technician, weekday and validity); the facts the KPI
divides by it (hours on jobs) are summed in SQL.

A local date counts a shift pattern's time when the pattern's weekday matches and the date lies
within its validity; a date touched by any absence of that technician counts nothing (a half-day
absence removes the whole day: absences are recorded as whole days in practice, and the rule keeps
utilisation from exceeding what the roster offered)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from steward.analytics.buckets import Bucket, local_midnight


@dataclass(frozen=True, slots=True)
class Shift:
    technician: int
    weekday: int  # 0 = Monday
    seconds: float  # the pattern's working seconds on such a day
    valid_from: date | None = None
    valid_until: date | None = None


@dataclass(frozen=True, slots=True)
class Away:
    technician: int
    starts_at: datetime
    ends_at: datetime


def _dates(bucket: Bucket, tz: ZoneInfo):
    day = bucket.label
    last = bucket.end.astimezone(tz).date()
    while day < last:
        yield day
        day += timedelta(days=1)


def available_seconds(
    shifts: list[Shift], aways: list[Away], bounds: list[Bucket], tz: ZoneInfo
) -> dict[tuple[int, int], float]:
    """{(bucket index, technician): available seconds} for every technician with a shift."""
    by_weekday: dict[int, list[Shift]] = defaultdict(list)
    for s in shifts:
        by_weekday[s.weekday].append(s)
    away_by_tech: dict[int, list[Away]] = defaultdict(list)
    for a in aways:
        away_by_tech[a.technician].append(a)
    out: dict[tuple[int, int], float] = defaultdict(float)
    for b in bounds:
        for day in _dates(b, tz):
            start, end = local_midnight(day, tz), local_midnight(day + timedelta(days=1), tz)
            for s in by_weekday.get(day.weekday(), ()):
                if (s.valid_from and day < s.valid_from) or (s.valid_until and day > s.valid_until):
                    continue
                out[(b.index, s.technician)] += 0.0
                if any(a.starts_at < end and a.ends_at > start for a in away_by_tech.get(s.technician, ())):
                    continue
                out[(b.index, s.technician)] += float(s.seconds)
    return dict(out)
