"""The pure field rules: shifts on a date (timezones, DST, absences), interval arithmetic,
maintenance due dates and windows. Worked examples and hypothesis properties."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import given
from hypothesis import strategies as st

from steward.field import rules

MON = date(2026, 3, 9)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_a_berlin_shift_in_winter_is_one_hour_behind_utc():
    shift = rules.WeeklyShift(0, time(8), time(16))
    assert rules.shifts_on(MON, [shift], [], "Europe/Berlin") == [(utc(2026, 3, 9, 7), utc(2026, 3, 9, 15))]


def test_shift_only_on_its_weekday_and_validity():
    shift = rules.WeeklyShift(0, time(8), time(16), valid_from=date(2026, 3, 16))
    assert rules.shifts_on(MON, [shift], [], "Europe/Berlin") == []
    assert (
        rules.shifts_on(MON + timedelta(days=1), [rules.WeeklyShift(0, time(8), time(16))], [], "UTC") == []
    )


def test_absence_cuts_the_shift():
    shift = rules.WeeklyShift(0, time(8), time(16))
    doctor = (utc(2026, 3, 9, 9), utc(2026, 3, 9, 10, 30))
    assert rules.shifts_on(MON, [shift], [doctor], "Europe/Berlin") == [
        (utc(2026, 3, 9, 7), utc(2026, 3, 9, 9)),
        (utc(2026, 3, 9, 10, 30), utc(2026, 3, 9, 15)),
    ]
    leave = (utc(2026, 3, 8), utc(2026, 3, 14))
    assert rules.shifts_on(MON, [shift], [leave], "Europe/Berlin") == []


def test_split_shift_and_dst_spring_forward():
    # Sunday 2026-03-29: Berlin goes from UTC+1 to UTC+2 at 02:00 local.
    sunday = date(2026, 3, 29)
    shifts = [rules.WeeklyShift(6, time(1), time(4)), rules.WeeklyShift(6, time(13), time(17))]
    got = rules.shifts_on(sunday, shifts, [], "Europe/Berlin")
    # 01:00 CET = 00:00Z; 04:00 CEST = 02:00Z: two real hours; the afternoon in CEST.
    assert got == [(utc(2026, 3, 29, 0), utc(2026, 3, 29, 2)), (utc(2026, 3, 29, 11), utc(2026, 3, 29, 15))]


def test_a_wall_time_in_the_spring_gap_lands_after_it():
    tz = rules.ZoneInfo("Europe/Berlin")
    assert rules.local_instant(date(2026, 3, 29), time(2, 30), tz) == utc(2026, 3, 29, 1, 30)


def test_day_bounds_on_the_autumn_change_hold_25_hours():
    start, end = rules.local_day_bounds(date(2026, 10, 25), "Europe/Berlin")
    assert end - start == timedelta(hours=25)


moments = st.integers(min_value=0, max_value=48 * 60).map(lambda m: utc(2026, 3, 9) + timedelta(minutes=m))
intervals = st.lists(st.tuples(moments, moments).map(lambda p: (min(p), max(p))), max_size=6)


def _covers(ivs, t):
    return any(a <= t < b for a, b in ivs)


@given(intervals, intervals, moments)
def test_subtract_is_set_difference(base, holes, t):
    result = rules.subtract(base, holes)
    assert _covers(result, t) == (_covers(base, t) and not _covers(holes, t))
    assert all(a < b for a, b in result)
    assert all(
        result[i][1] < result[i + 1][0] or result[i][1] <= result[i + 1][0] for i in range(len(result) - 1)
    )


def test_months_clamp_to_the_month_end_and_come_back():
    dates = rules.due_dates(date(2026, 1, 31), 1, "months", after=None, until=date(2026, 5, 31))
    assert dates == [
        date(2026, 1, 31),
        date(2026, 2, 28),
        date(2026, 3, 31),
        date(2026, 4, 30),
        date(2026, 5, 31),
    ]


def test_due_dates_after_the_last_generated():
    dates = rules.due_dates(date(2026, 3, 2), 2, "weeks", after=date(2026, 3, 16), until=date(2026, 4, 30))
    assert dates == [date(2026, 3, 30), date(2026, 4, 13), date(2026, 4, 27)]


@given(
    st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 1, 1)),
    st.integers(min_value=1, max_value=12),
    st.sampled_from(["days", "weeks", "months"]),
    st.integers(min_value=0, max_value=400),
    st.integers(min_value=0, max_value=400),
)
def test_generating_in_two_steps_equals_one(first, count, unit, a, b):
    """Idempotent generation: dates up to x then after x up to y are exactly the dates up to y."""
    x, y = first + timedelta(days=min(a, b)), first + timedelta(days=max(a, b))
    once = rules.due_dates(first, count, unit, after=None, until=y)
    twice = rules.due_dates(first, count, unit, after=None, until=x) + rules.due_dates(
        first, count, unit, after=x, until=y
    )
    assert once == twice
    assert once == sorted(set(once))


def test_maintenance_window_from_days_before_to_end_of_due_day():
    start, end = rules.maintenance_window(date(2026, 3, 12), 3, "Europe/Berlin")
    assert (start, end) == (utc(2026, 3, 8, 23), utc(2026, 3, 12, 23))


def test_next_due_is_the_first_date_on_or_after_the_day():
    assert rules.next_due(date(2026, 1, 31), 1, "months", on_or_after=date(2026, 2, 1)) == date(2026, 2, 28)
    assert rules.next_due(date(2026, 1, 31), 1, "months", on_or_after=date(2026, 3, 1)) == date(2026, 3, 31)
    assert rules.next_due(date(2026, 3, 9), 2, "weeks", on_or_after=date(2026, 3, 23)) == date(2026, 3, 23)
    assert rules.next_due(date(2026, 3, 9), 2, "weeks", on_or_after=date(2026, 3, 24)) == date(2026, 4, 6)
    assert rules.next_due(date(2026, 5, 1), 3, "days", on_or_after=date(2026, 3, 1)) == date(2026, 5, 1)


@given(
    first=st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31)),
    count=st.integers(1, 24),
    unit=st.sampled_from(["days", "weeks", "months"]),
    offset=st.integers(-400, 4000),
)
def test_next_due_agrees_with_the_due_dates(first, count, unit, offset):
    day = first + timedelta(days=offset)
    expected = rules.due_dates(
        first, count, unit, after=day - timedelta(days=1), until=day + timedelta(days=31 * 24 + 1)
    )[0]
    assert rules.next_due(first, count, unit, on_or_after=day) == expected
