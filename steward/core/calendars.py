"""Business calendars: working hours, holidays and exact business-time arithmetic.

Definition
----------
A :class:`BusinessCalendar` is an IANA timezone, working intervals per weekday
(half-open wall-clock ``[start, end)``; several per day so lunch breaks are
expressible; ``end`` may be ``"24:00"``) and holidays (local dates).

*Business time* is real elapsed time during which the local wall clock is inside a
working interval of a local date that is not a holiday.  For a local date ``D`` and
an interval ``[s, e)`` the business instants are exactly::

    {t : wall(t).date() == D and s <= wall(t).time() < e}

where ``wall(t)`` is the instant ``t`` read on a clock in the calendar's timezone.
A 24/7 calendar (``"always": true``) counts all real time and has no holidays.

DST conventions
---------------
They are consequences of the definition, not special cases:

* clocks go back: the repeated wall times happen twice, so an interval spanning the
  repeated hour holds one more real hour and a 00:00-24:00 day holds 25 hours;
* clocks go forward: wall times in the gap never happen and contribute nothing, so
  a 00:00-24:00 day holds 23 hours;
* an interval ending inside the repeated hour yields two disjoint real spans.

Example, Europe/Berlin on 2026-10-25 (03:00 CEST becomes 02:00 CET at 01:00Z)::

    interval 00:00-02:30   00:00 CEST .. 02:30 CEST   22:00Z .. 00:30Z   2h30
                           02:00 CET  .. 02:30 CET    01:00Z .. 01:30Z   0h30
                                                                         ----
                                                                         3h00

and on 2026-03-29 (02:00 CET becomes 03:00 CEST at 01:00Z) the interval 01:00-04:00
is 01:00-02:00 CET plus 03:00-04:00 CEST: 2h, contiguous in real time.

Arithmetic
----------
``add_business_time(start, d, cal)`` is the instant at which exactly ``d`` of
business time has passed since ``start`` (counting from the next opening if
``start`` is outside working time); landing exactly on the end of a working span
returns that end, not the next opening.  ``business_time_between(a, b, cal)`` is the
business time in ``[a, b)`` (negated if ``b < a``).  Inputs must be aware datetimes;
results are aware datetimes in the calendar's timezone.

Implementation notes
--------------------
Everything is integer microseconds since the Unix epoch (UTC); no floats.  Real time
is cut into fixed 7-day UTC blocks.  For each block the sorted UTC business spans it
contains and their prefix sums are computed once and cached on the calendar, so an
addition is a couple of bisects plus one integer step per week crossed (whole weeks
are skipped using each block's exact total, which already reflects holidays and
DST).  A block's spans are derived per constant-UTC-offset segment: within a
segment ``wall = utc + offset`` is monotonic, so each working interval of each local
date maps to one UTC span clipped to the segment.  Offset transitions are located to
the second (the resolution of tz data) by sampling the offset every 12 hours and
bisecting; this assumes no zone changes its offset twice within 12 hours (the closest
pair in tz data since 1900 is about 4 days apart).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "WEEKDAYS",
    "BusinessCalendar",
    "CalendarSpecError",
    "add_business_time",
    "business_time_between",
]

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_US_PER_S = 1_000_000
_MINUTE_US = 60 * _US_PER_S
_DAY_US = 86_400 * _US_PER_S
_MINUTES_PER_DAY = 24 * 60
_BLOCK_US = 7 * _DAY_US  # granularity of the span cache
# Offset sampling step when looking for transitions.  Exact as long as a zone never changes
# its offset twice within one step: in tz data since 1900 the closest pair of changes is
# about 4 days apart (Africa/Freetown, 1939), typical ones months apart.
_SAMPLE_S = 12 * 3600
_CACHE_MAX_BLOCKS = 8192  # ~157 years of blocks per calendar before the cache is reset
_ONE_US = timedelta(microseconds=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_EPOCH_WEEKDAY = 3  # 1970-01-01 was a Thursday (date.weekday() == 3)
# Blocks must stay well inside datetime's range so offset sampling cannot overflow.
_MIN_US = (datetime.min.replace(tzinfo=UTC) - _EPOCH) // _ONE_US + 2 * _DAY_US
_MAX_US = (datetime.max.replace(tzinfo=UTC) - _EPOCH) // _ONE_US - 2 * _DAY_US
_TIME_RE = re.compile(r"([0-9]{2}):([0-9]{2})")
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_SPEC_KEYS = ("timezone", "always", "hours", "holidays")

Interval = tuple[int, int]  # [start, end) in minutes after local midnight, end <= 1440
Week = tuple[tuple[Interval, ...], ...]  # seven days, Monday first
_EMPTY_WEEK: Week = ((),) * 7

# A block: span starts, span ends, cumulative business time at the end of each span
# (counted from the block start) and the block's total business time.
_Block = tuple[list[int], list[int], list[int], int]


class CalendarSpecError(ValueError):
    """An invalid calendar specification; the message starts with the offending field."""


# --------------------------------------------------------------------------- the value


@dataclass(frozen=True)
class BusinessCalendar:
    """An immutable, hashable business calendar.

    ``hours`` holds seven tuples (Monday first) of sorted, disjoint ``(start, end)``
    minute pairs; touching intervals are merged.  Prefer :meth:`from_spec`.
    """

    timezone: str
    hours: Week = _EMPTY_WEEK
    holidays: frozenset[date] = frozenset()
    always: bool = False
    _engine: _Engine = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        tz = _load_zone(self.timezone)
        if not isinstance(self.always, bool):
            raise CalendarSpecError("always: must be true or false")
        if not isinstance(self.hours, Sequence) or len(self.hours) != 7:
            raise CalendarSpecError("hours: expected seven weekdays, Monday first")
        week = tuple(_normalise_day(WEEKDAYS[i], day) for i, day in enumerate(self.hours))
        holidays = frozenset(_coerce_holiday(d, f"holidays[{i}]") for i, d in enumerate(self.holidays))
        if self.always:
            if any(week):
                raise CalendarSpecError("hours: must be empty for an always-open (24/7) calendar")
            if holidays:
                raise CalendarSpecError("holidays: must be empty for an always-open (24/7) calendar")
        elif not any(week):
            raise CalendarSpecError(
                "hours: no working interval on any weekday (use always: true for a 24/7 calendar)"
            )
        object.__setattr__(self, "hours", week)
        object.__setattr__(self, "holidays", holidays)
        object.__setattr__(self, "_engine", _Engine(tz, week, holidays, self.always))

    # -- construction / serialisation

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> BusinessCalendar:
        """Build a calendar from its JSON form; raise :class:`CalendarSpecError` naming the field.

        ``{"timezone": "Europe/Berlin", "hours": {"mon": [["08:00", "12:00"], ["13:00", "17:00"]]},
        "holidays": ["2026-12-25"]}`` or ``{"timezone": "UTC", "always": true, "hours": {}}``.
        """
        if not isinstance(spec, Mapping):
            raise CalendarSpecError("spec: expected an object")
        for key in spec:
            if key not in _SPEC_KEYS:
                raise CalendarSpecError(f"{key}: unknown key (expected one of {', '.join(_SPEC_KEYS)})")
        if "timezone" not in spec:
            raise CalendarSpecError("timezone: required")
        always = spec.get("always", False)
        if not isinstance(always, bool):
            raise CalendarSpecError("always: must be true or false")

        hours_spec = spec.get("hours", {})
        if not isinstance(hours_spec, Mapping):
            raise CalendarSpecError("hours: expected an object mapping weekdays (mon..sun) to intervals")
        week: list[list[Interval]] = [[] for _ in WEEKDAYS]
        for day, intervals in hours_spec.items():
            if day not in WEEKDAYS:
                raise CalendarSpecError(
                    f"hours.{day}: unknown weekday (expected one of {', '.join(WEEKDAYS)})"
                )
            if isinstance(intervals, str) or not isinstance(intervals, Sequence):
                raise CalendarSpecError(f"hours.{day}: expected a list of [start, end] pairs")
            for i, pair in enumerate(intervals):
                where = f"hours.{day}[{i}]"
                if isinstance(pair, str) or not isinstance(pair, Sequence) or len(pair) != 2:
                    raise CalendarSpecError(f"{where}: expected a [start, end] pair of HH:MM strings")
                start = _parse_hhmm(pair[0], allow_24=False)
                if start is None:
                    raise CalendarSpecError(
                        f"{where}: bad start time {pair[0]!r} (expected HH:MM, 00:00-23:59)"
                    )
                end = _parse_hhmm(pair[1], allow_24=True)
                if end is None:
                    raise CalendarSpecError(
                        f"{where}: bad end time {pair[1]!r} (expected HH:MM, 00:00-24:00)"
                    )
                week[WEEKDAYS.index(day)].append((start, end))

        holidays_spec = spec.get("holidays", [])
        if isinstance(holidays_spec, str) or not isinstance(holidays_spec, Sequence):
            raise CalendarSpecError("holidays: expected a list of YYYY-MM-DD dates")
        holidays = [_coerce_holiday(d, f"holidays[{i}]") for i, d in enumerate(holidays_spec)]

        return cls(
            timezone=spec["timezone"],
            hours=tuple(tuple(day) for day in week),
            holidays=frozenset(holidays),
            always=always,
        )

    def to_spec(self) -> dict[str, Any]:
        """The normalised JSON-able form; ``from_spec(c.to_spec()) == c``."""
        return {
            "timezone": self.timezone,
            "always": self.always,
            "hours": {
                WEEKDAYS[i]: [[_format_minutes(s), _format_minutes(e)] for s, e in day]
                for i, day in enumerate(self.hours)
                if day
            },
            "holidays": sorted(d.isoformat() for d in self.holidays),
        }

    def with_holidays(self, dates: Iterable[date | str]) -> BusinessCalendar:
        """A copy with extra holidays (``date`` objects or ``YYYY-MM-DD`` strings)."""
        extra = frozenset(_coerce_holiday(d, f"holidays[{i}]") for i, d in enumerate(dates))
        return replace(self, holidays=self.holidays | extra)

    # -- queries

    @property
    def tzinfo(self) -> ZoneInfo:
        return self._engine.tz

    def is_business_time(self, at: datetime) -> bool:
        """Whether the instant ``at`` is inside working time."""
        t = _to_us(at, "at")
        return True if self.always else self._engine.is_business(t)

    def next_business_instant(self, at: datetime) -> datetime:
        """``at`` itself (in the calendar's timezone) if inside working time, else the next opening."""
        t = _to_us(at, "at")
        engine = self._engine
        return _from_us(t if self.always else engine.next_instant(t), engine.tz)


# --------------------------------------------------------------------------- arithmetic


def add_business_time(start: datetime, duration: timedelta, calendar: BusinessCalendar) -> datetime:
    """The instant at which exactly ``duration`` of business time has passed since ``start``.

    A start outside working time counts from the next opening; a result landing exactly
    on the end of a working span is that end.  ``duration == 0`` returns ``start``
    unchanged (not moved to the next opening); a negative duration raises ``ValueError``.
    """
    t = _to_us(start, "start")
    d = _duration_us(duration)
    if d < 0:
        raise ValueError(f"duration must not be negative, got {duration}")
    if d == 0:
        return start
    if t + d > _MAX_US:  # business time never outruns real time, so the result would be later still
        raise OverflowError("add_business_time result is beyond the supported date range")
    engine = calendar._engine
    return _from_us(t + d if engine.always else engine.add(t, d), engine.tz)


def business_time_between(start: datetime, end: datetime, calendar: BusinessCalendar) -> timedelta:
    """Business time in ``[start, end)``; ``-business_time_between(end, start)`` if ``end < start``."""
    a = _to_us(start, "start")
    b = _to_us(end, "end")
    sign = 1
    if b < a:
        a, b, sign = b, a, -1
    engine = calendar._engine
    elapsed = b - a if engine.always else engine.between(a, b)
    return timedelta(microseconds=sign * elapsed)


# --------------------------------------------------------------------------- the engine


class _Engine:
    """Integer-microsecond machinery behind one calendar, with its per-block span cache."""

    __slots__ = ("_blocks", "_holidays", "_week", "always", "tz")

    def __init__(self, tz: ZoneInfo, week: Week, holidays: frozenset[date], always: bool) -> None:
        self.tz = tz
        self.always = always
        self._week = tuple(tuple((s * _MINUTE_US, e * _MINUTE_US) for s, e in day) for day in week)
        self._holidays = frozenset(d.toordinal() - _EPOCH_ORDINAL for d in holidays)
        self._blocks: dict[int, _Block] = {}

    # -- hot path

    def add(self, t: int, d: int) -> int:
        n = t // _BLOCK_US
        _starts, ends, cum, total = block = self._block(n)
        need = _elapsed(block, t) + d  # target, as business time since the block start
        while need > total:  # skip whole blocks by their exact totals
            need -= total
            n += 1
            _starts, ends, cum, total = self._block(n)
        # First span whose cumulative end reaches the target; need == cum[k] lands on ends[k].
        k = bisect_left(cum, need)
        return ends[k] - (cum[k] - need)

    def between(self, a: int, b: int) -> int:
        na, nb = a // _BLOCK_US, b // _BLOCK_US
        first = self._block(na)
        if na == nb:
            return _elapsed(first, b) - _elapsed(first, a)
        total = first[3] - _elapsed(first, a)
        for n in range(na + 1, nb):
            total += self._block(n)[3]
        return total + _elapsed(self._block(nb), b)

    def is_business(self, t: int) -> bool:
        starts, ends, _cum, _total = self._block(t // _BLOCK_US)
        i = bisect_right(starts, t) - 1
        return i >= 0 and t < ends[i]

    def next_instant(self, t: int) -> int:
        n = t // _BLOCK_US
        starts, ends, _cum, _total = self._block(n)
        i = bisect_right(ends, t)  # first span ending after t
        while i == len(ends):
            n += 1
            starts, ends, _cum, _total = self._block(n)
            i = 0
        return max(t, starts[i])

    # -- block construction

    def _block(self, n: int) -> _Block:
        block = self._blocks.get(n)
        if block is None:
            if len(self._blocks) >= _CACHE_MAX_BLOCKS:
                self._blocks.clear()
            block = self._blocks[n] = self._compute_block(n)
        return block

    def _compute_block(self, n: int) -> _Block:
        u0 = n * _BLOCK_US
        u1 = u0 + _BLOCK_US
        if u0 < _MIN_US or u1 > _MAX_US:
            raise OverflowError("business time arithmetic left the supported date range")
        spans: list[tuple[int, int]] = []
        for a, b, offset in self._segments(u0, u1):
            # Within [a, b) the wall clock reads utc + offset, as microseconds since 1970-01-01
            # 00:00 wall time, so every local date touched is a range of day numbers.
            for day in range((a + offset) // _DAY_US, (b + offset - 1) // _DAY_US + 1):
                if day in self._holidays:
                    continue
                midnight = day * _DAY_US - offset  # the UTC instant the wall clock would read 00:00
                for s, e in self._week[(day + _EPOCH_WEEKDAY) % 7]:
                    lo = max(a, midnight + s)
                    hi = min(b, midnight + e)
                    if lo < hi:
                        spans.append((lo, hi))
        spans.sort()
        starts: list[int] = []
        ends: list[int] = []
        cum: list[int] = []
        total = 0
        for lo, hi in spans:
            if ends and lo <= ends[-1]:  # touching (e.g. across midnight or a DST jump): merge
                if hi > ends[-1]:
                    total += hi - ends[-1]
                    ends[-1] = hi
                    cum[-1] = total
                continue
            starts.append(lo)
            ends.append(hi)
            total += hi - lo
            cum.append(total)
        return starts, ends, cum, total

    def _segments(self, u0: int, u1: int) -> list[tuple[int, int, int]]:
        """Split ``[u0, u1)`` (whole seconds) into ``(start, end, offset)`` of constant UTC offset."""
        s1 = u1 // _US_PER_S
        seg_start = lo = u0 // _US_PER_S
        off_lo = self._offset(lo)
        segments: list[tuple[int, int, int]] = []
        while lo < s1:
            hi = min(lo + _SAMPLE_S, s1)
            if self._offset(hi) == off_lo:
                lo = hi
                continue
            # Bisect for the first second in (lo, hi] whose offset differs; tz data
            # transitions happen at whole seconds, so this is the exact instant.
            a, b = lo, hi
            while b - a > 1:
                mid = (a + b) // 2
                if self._offset(mid) == off_lo:
                    a = mid
                else:
                    b = mid
            if b >= s1:  # the change happens exactly at the block end
                break
            segments.append((seg_start * _US_PER_S, b * _US_PER_S, off_lo))
            seg_start = lo = b
            off_lo = self._offset(b)
        segments.append((seg_start * _US_PER_S, u1, off_lo))
        return segments

    def _offset(self, second: int) -> int:
        """UTC offset in microseconds at the given second since the epoch."""
        offset = (_EPOCH + timedelta(seconds=second)).astimezone(self.tz).utcoffset()
        assert offset is not None  # a ZoneInfo always has one
        return offset // _ONE_US


def _elapsed(block: _Block, t: int) -> int:
    """Business time from the block start to ``t`` (which lies in the block)."""
    starts, ends, cum, _total = block
    i = bisect_right(starts, t)
    if not i:
        return 0
    end = ends[i - 1]
    return cum[i - 1] - (end - t) if t < end else cum[i - 1]


# --------------------------------------------------------------------------- helpers


def _to_us(value: datetime, name: str) -> int:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value!r}")
    return (value - _EPOCH) // _ONE_US


def _from_us(us: int, tz: ZoneInfo) -> datetime:
    # astimezone goes through fromutc, which sets fold=1 on the repeated hour.
    return (_EPOCH + timedelta(microseconds=us)).astimezone(tz)


def _duration_us(duration: timedelta) -> int:
    if not isinstance(duration, timedelta):
        raise TypeError(f"duration must be a timedelta, got {type(duration).__name__}")
    return duration // _ONE_US


def _load_zone(name: object) -> ZoneInfo:
    if not isinstance(name, str) or not name:
        raise CalendarSpecError(f"timezone: expected an IANA timezone name, got {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise CalendarSpecError(f"timezone: unknown timezone {name!r}") from None


def _parse_hhmm(text: object, *, allow_24: bool) -> int | None:
    """Minutes after midnight for ``"HH:MM"``, or None if malformed/out of range."""
    if not isinstance(text, str):
        return None
    match = _TIME_RE.fullmatch(text)
    if match is None:
        return None
    hh, mm = int(match[1]), int(match[2])
    if allow_24 and hh == 24 and mm == 0:
        return _MINUTES_PER_DAY
    if hh > 23 or mm > 59:
        return None
    return hh * 60 + mm


def _format_minutes(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _normalise_day(day: str, intervals: object) -> tuple[Interval, ...]:
    """Validate one weekday's intervals, sort them and merge touching ones."""
    if isinstance(intervals, str) or not isinstance(intervals, Sequence):
        raise CalendarSpecError(f"hours.{day}: expected a list of (start, end) pairs")
    items: list[tuple[int, int, int]] = []
    for i, pair in enumerate(intervals):
        where = f"hours.{day}[{i}]"
        if isinstance(pair, str) or not isinstance(pair, Sequence) or len(pair) != 2:
            raise CalendarSpecError(f"{where}: expected a (start, end) pair")
        start, end = pair
        if not _is_int(start) or not 0 <= start < _MINUTES_PER_DAY:
            raise CalendarSpecError(f"{where}: start must be 00:00-23:59, got {start!r}")
        if not _is_int(end) or not 0 <= end <= _MINUTES_PER_DAY:
            raise CalendarSpecError(f"{where}: end must be 00:00-24:00, got {end!r}")
        if end <= start:
            raise CalendarSpecError(
                f"{where}: end {_format_minutes(end)} is not after start {_format_minutes(start)}"
            )
        items.append((start, end, i))
    items.sort()
    merged: list[Interval] = []
    last_index = -1  # original index of the interval that set merged[-1]'s end
    for start, end, i in items:
        if merged and start < merged[-1][1]:
            prev_start, prev_end = merged[-1]
            raise CalendarSpecError(
                f"hours.{day}[{i}]: {_format_minutes(start)}-{_format_minutes(end)} overlaps "
                f"hours.{day}[{last_index}] ({_format_minutes(prev_start)}-{_format_minutes(prev_end)})"
            )
        if merged and start == merged[-1][1]:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
        last_index = i
    return tuple(merged)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _coerce_holiday(value: object, where: str) -> date:
    if isinstance(value, datetime):
        raise CalendarSpecError(f"{where}: expected a date, got a datetime {value!r}")
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _DATE_RE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise CalendarSpecError(f"{where}: bad date {value!r} (expected YYYY-MM-DD)")
