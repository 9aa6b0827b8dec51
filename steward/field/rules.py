"""Pure rules of the field app (no ORM): a technician's working intervals on a date, and the due
dates of a preventive-maintenance plan. Tested with worked examples and hypothesis properties.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

Interval = tuple[datetime, datetime]


@dataclass(frozen=True, slots=True)
class WeeklyShift:
    weekday: int  # 0 = Monday
    start: time
    end: time
    valid_from: date | None = None
    valid_until: date | None = None

    def applies_on(self, day: date) -> bool:
        return (
            day.weekday() == self.weekday
            and (self.valid_from is None or self.valid_from <= day)
            and (self.valid_until is None or day <= self.valid_until)
        )


def local_instant(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of a local wall time. A wall time that does not exist (the hour skipped in
    spring) is read as the same offset as before the gap, i.e. it lands after the gap; a repeated
    one (autumn) is its first occurrence."""
    # fold=0 takes the offset in force before a transition: in a gap that is the earlier
    # (smaller) offset, so the instant falls after the gap; in a repeat, the first occurrence.
    aware = datetime.combine(day, at).replace(tzinfo=tz, fold=0)
    return aware.astimezone(UTC)


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, overlapping or touching intervals joined; empty ones dropped."""
    out: list[Interval] = []
    for start, end in sorted(i for i in intervals if i[0] < i[1]):
        if out and start <= out[-1][1]:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def subtract(intervals: Sequence[Interval], holes: Iterable[Interval]) -> list[Interval]:
    """`intervals` minus every hole (half-open [start, end) arithmetic)."""
    result = merge(intervals)
    for h_start, h_end in merge(holes):
        cut: list[Interval] = []
        for start, end in result:
            if h_end <= start or end <= h_start:
                cut.append((start, end))
                continue
            if start < h_start:
                cut.append((start, h_start))
            if h_end < end:
                cut.append((h_end, end))
        result = cut
    return result


def shifts_on(
    day: date, shifts: Iterable[WeeklyShift], absences: Iterable[Interval], tz_name: str
) -> list[Interval]:
    """The UTC intervals a technician works on a local date: the weekly shifts that apply on that
    date, in the technician's timezone (so a 08:00-16:00 shift is 8 wall-clock hours even on the
    day the clocks change, and 7 or 9 real hours only if it spans the change), minus absences."""
    tz = ZoneInfo(tz_name)
    worked = [
        (local_instant(day, s.start, tz), local_instant(day, s.end, tz)) for s in shifts if s.applies_on(day)
    ]
    return subtract(worked, absences)


def local_day_bounds(day: date, tz_name: str) -> Interval:
    """[local midnight, next local midnight) of a date, in UTC."""
    tz = ZoneInfo(tz_name)
    return local_instant(day, time(0), tz), local_instant(day + timedelta(days=1), time(0), tz)


# --- preventive maintenance ----------------------------------------------------------------------


def add_interval(start: date, count: int, unit: str) -> date:
    """`start` moved on by `count` days/weeks/months. Months keep the day of the month, clamped
    to the month's last day (31 Jan + 1 month = 28/29 Feb)."""
    if unit == "days":
        return start + timedelta(days=count)
    if unit == "weeks":
        return start + timedelta(weeks=count)
    if unit == "months":
        month_index = start.month - 1 + count
        year, month = start.year + month_index // 12, month_index % 12 + 1
        return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))
    raise ValueError(f"interval_unit: unknown unit {unit!r}")


def due_dates(first_due: date, count: int, unit: str, *, after: date | None, until: date) -> list[date]:
    """The plan's due dates strictly after `after` (None: from the first) up to `until`, inclusive.
    The n-th due date is computed from `first_due` (not from the previous one), so monthly dates
    from the 31st come back to the 31st after a short month."""
    if count < 1:
        raise ValueError("interval_count: must be at least 1")
    out = []
    n = 0
    while True:
        due = add_interval(first_due, n * count, unit)
        if due > until:
            return out
        if after is None or due > after:
            out.append(due)
        n += 1


# The longest a unit can be, so a jump ahead by it never passes the date looked for.
_LONGEST_DAYS = {"days": 1, "weeks": 7, "months": 31}


def next_due(first_due: date, count: int, unit: str, *, on_or_after: date) -> date:
    """The plan's first due date on or after `on_or_after` (the dates of `due_dates`): found by
    jumping close to it rather than walking every date since `first_due`."""
    if count < 1:
        raise ValueError("interval_count: must be at least 1")
    if unit not in _LONGEST_DAYS:
        raise ValueError(f"interval_unit: unknown unit {unit!r}")
    n = max(0, (on_or_after - first_due).days // (_LONGEST_DAYS[unit] * count))
    while (due := add_interval(first_due, n * count, unit)) < on_or_after:
        n += 1
    return due


def maintenance_window(due: date, window_days_before: int, tz_name: str) -> Interval:
    """[start of (due - window_days_before), end of the due day) in the site's timezone, in UTC."""
    start, _ = local_day_bounds(due - timedelta(days=window_days_before), tz_name)
    _, end = local_day_bounds(due, tz_name)
    return start, end
