"""Tests for steward.core.calendars: worked examples, spec validation and hypothesis properties.

Pure Python: no database, no Django.  Instants are compared in UTC because two aware
datetimes sharing a tzinfo compare by wall clock, ignoring ``fold``.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from steward.core.calendars import (
    WEEKDAYS,
    BusinessCalendar,
    CalendarSpecError,
    add_business_time,
    business_time_between,
)

pytestmark: list[pytest.MarkDecorator] = []  # pure unit tests: no database, no Django

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
H = timedelta(hours=1)
M = timedelta(minutes=1)
WORKDAY = [["08:00", "12:00"], ["13:00", "17:00"]]
WEEKDAYS_ONLY = ("mon", "tue", "wed", "thu", "fri")

PROPS = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


def office(tz: str = "Europe/Berlin", holidays: list[str] | None = None) -> BusinessCalendar:
    return BusinessCalendar.from_spec(
        {"timezone": tz, "hours": dict.fromkeys(WEEKDAYS_ONLY, WORKDAY), "holidays": holidays or []}
    )


def every_day(tz: str, start: str, end: str) -> BusinessCalendar:
    return BusinessCalendar.from_spec({"timezone": tz, "hours": {d: [[start, end]] for d in WEEKDAYS}})


def utc(dt: datetime) -> datetime:
    return dt.astimezone(UTC)


def assert_instant(result: datetime, expected: datetime, calendar: BusinessCalendar) -> None:
    """Same instant, returned in the calendar's timezone, with the expected wall clock and fold."""
    assert utc(result) == utc(expected)
    assert result.tzinfo == calendar.tzinfo
    local = expected.astimezone(calendar.tzinfo)
    assert (result.replace(tzinfo=None), result.fold) == (local.replace(tzinfo=None), local.fold)


# --------------------------------------------------------------------------- worked examples


def test_weekend_skip() -> None:
    cal = office()
    friday = datetime(2026, 1, 9, 16, 0, tzinfo=BERLIN)
    monday = datetime(2026, 1, 12, 9, 0, tzinfo=BERLIN)
    assert_instant(add_business_time(friday, 2 * H, cal), monday, cal)
    assert business_time_between(friday, monday, cal) == 2 * H
    assert business_time_between(monday, friday, cal) == -2 * H


def test_holiday_skip() -> None:
    cal = office(holidays=["2026-12-25"])  # a Friday
    thursday = datetime(2026, 12, 24, 16, 30, tzinfo=BERLIN)
    assert_instant(add_business_time(thursday, H, cal), datetime(2026, 12, 28, 8, 30, tzinfo=BERLIN), cal)
    assert business_time_between(thursday, datetime(2026, 12, 28, 9, tzinfo=BERLIN), cal) == 90 * M
    assert not cal.is_business_time(datetime(2026, 12, 25, 10, tzinfo=BERLIN))
    # Without the holiday the Friday counts.
    assert_instant(
        add_business_time(thursday, H, office()), datetime(2026, 12, 25, 8, 30, tzinfo=BERLIN), cal
    )


def test_lunch_break() -> None:
    cal = office()
    assert_instant(
        add_business_time(datetime(2026, 1, 12, 11, 30, tzinfo=BERLIN), H, cal),
        datetime(2026, 1, 12, 13, 30, tzinfo=BERLIN),
        cal,
    )
    assert (
        business_time_between(
            datetime(2026, 1, 12, 11, tzinfo=BERLIN), datetime(2026, 1, 12, 14, tzinfo=BERLIN), cal
        )
        == 2 * H
    )
    assert not cal.is_business_time(datetime(2026, 1, 12, 12, 30, tzinfo=BERLIN))
    assert cal.is_business_time(datetime(2026, 1, 12, 13, tzinfo=BERLIN))


def test_interval_ending_at_midnight() -> None:
    cal = BusinessCalendar.from_spec(
        {"timezone": "Europe/Berlin", "hours": {d: [["18:00", "24:00"]] for d in WEEKDAYS_ONLY}}
    )
    monday_23 = datetime(2026, 1, 12, 23, tzinfo=BERLIN)
    assert_instant(add_business_time(monday_23, 2 * H, cal), datetime(2026, 1, 13, 19, tzinfo=BERLIN), cal)
    # Landing exactly on 24:00 returns midnight, the end of the span.
    assert_instant(add_business_time(monday_23, H, cal), datetime(2026, 1, 13, 0, tzinfo=BERLIN), cal)
    assert cal.is_business_time(datetime(2026, 1, 12, 23, 59, 59, 999999, tzinfo=BERLIN))
    assert not cal.is_business_time(datetime(2026, 1, 13, 0, tzinfo=BERLIN))
    assert cal.to_spec()["hours"]["mon"] == [["18:00", "24:00"]]


def test_all_day_every_day_calendar_is_real_time_in_utc() -> None:
    cal = every_day("UTC", "00:00", "24:00")
    start = datetime(2026, 3, 1, 12, 34, 56, 789, tzinfo=UTC)
    assert_instant(
        add_business_time(start, timedelta(days=10, microseconds=1), cal),
        start + timedelta(days=10, microseconds=1),
        cal,
    )
    assert business_time_between(start, start + timedelta(days=3), cal) == timedelta(days=3)


def test_berlin_spring_forward() -> None:
    day, next_day = datetime(2026, 3, 29, tzinfo=BERLIN), datetime(2026, 3, 30, tzinfo=BERLIN)
    full = every_day("Europe/Berlin", "00:00", "24:00")
    assert business_time_between(day, next_day, full) == 23 * H
    early = BusinessCalendar.from_spec({"timezone": "Europe/Berlin", "hours": {"sun": [["01:00", "04:00"]]}})
    assert business_time_between(day, next_day, early) == 2 * H
    # 01:00 CET + 1h of business time is 03:00 CEST (02:00-03:00 does not exist).
    assert_instant(add_business_time(day, H, early), datetime(2026, 3, 29, 1, 0, tzinfo=UTC), early)
    assert add_business_time(day, H, early).hour == 3
    assert_instant(add_business_time(day, 2 * H, early), datetime(2026, 3, 29, 4, tzinfo=BERLIN), early)
    # Whole-day calendar: midnight + 3h is 04:00 CEST.
    assert_instant(add_business_time(day, 3 * H, full), datetime(2026, 3, 29, 4, tzinfo=BERLIN), full)


def test_berlin_fall_back() -> None:
    day, next_day = datetime(2026, 10, 25, tzinfo=BERLIN), datetime(2026, 10, 26, tzinfo=BERLIN)
    assert business_time_between(day, next_day, every_day("Europe/Berlin", "00:00", "24:00")) == 25 * H
    early = BusinessCalendar.from_spec({"timezone": "Europe/Berlin", "hours": {"sun": [["01:00", "04:00"]]}})
    assert business_time_between(day, next_day, early) == 4 * H
    # 00:00-02:30: 00:00-02:30 CEST plus the repeated 02:00-02:30 CET.
    night = BusinessCalendar.from_spec({"timezone": "Europe/Berlin", "hours": {"sun": [["00:00", "02:30"]]}})
    assert business_time_between(day, next_day, night) == 3 * H
    first_end = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST
    assert_instant(add_business_time(day, timedelta(hours=2, minutes=30), night), first_end, night)
    second = add_business_time(day, timedelta(hours=2, minutes=45), night)
    assert_instant(second, datetime(2026, 10, 25, 1, 15, tzinfo=UTC), night)
    assert (second.hour, second.minute, second.fold) == (2, 15, 1)  # 02:15 CET, the second time round
    assert not night.is_business_time(datetime(2026, 10, 25, 0, 45, tzinfo=UTC))  # 02:45 CEST
    assert night.is_business_time(datetime(2026, 10, 25, 1, 29, tzinfo=UTC))  # 02:29 CET
    assert not night.is_business_time(datetime(2026, 10, 25, 1, 30, tzinfo=UTC))  # 02:30 CET


def test_new_york_dst() -> None:
    full = every_day("America/New_York", "00:00", "24:00")
    assert (
        business_time_between(
            datetime(2026, 3, 8, tzinfo=NEW_YORK), datetime(2026, 3, 9, tzinfo=NEW_YORK), full
        )
        == 23 * H
    )
    assert (
        business_time_between(
            datetime(2026, 11, 1, tzinfo=NEW_YORK), datetime(2026, 11, 2, tzinfo=NEW_YORK), full
        )
        == 25 * H
    )
    cal = BusinessCalendar.from_spec(
        {"timezone": "America/New_York", "hours": {d: [["09:00", "17:00"]] for d in WEEKDAYS_ONLY}}
    )
    friday = datetime(2026, 3, 6, 16, tzinfo=NEW_YORK)  # EST
    monday = datetime(2026, 3, 9, 10, tzinfo=NEW_YORK)  # EDT
    assert_instant(add_business_time(friday, 2 * H, cal), monday, cal)
    assert utc(add_business_time(friday, 2 * H, cal)) == datetime(2026, 3, 9, 14, tzinfo=UTC)
    assert business_time_between(friday, monday, cal) == 2 * H


def test_lord_howe_half_hour_dst() -> None:
    full = every_day("Australia/Lord_Howe", "00:00", "24:00")
    assert business_time_between(
        datetime(2026, 4, 5, tzinfo=LORD_HOWE), datetime(2026, 4, 6, tzinfo=LORD_HOWE), full
    ) == timedelta(hours=24, minutes=30)
    assert business_time_between(
        datetime(2026, 10, 4, tzinfo=LORD_HOWE), datetime(2026, 10, 5, tzinfo=LORD_HOWE), full
    ) == timedelta(hours=23, minutes=30)


def test_always_open() -> None:
    cal = BusinessCalendar.from_spec({"timezone": "Europe/Berlin", "always": True, "hours": {}})
    assert cal.always
    start = datetime(2026, 3, 29, tzinfo=BERLIN)
    result = add_business_time(start, 24 * H, cal)
    assert_instant(result, datetime(2026, 3, 30, 1, tzinfo=BERLIN), cal)  # 24 real hours over a 23h day
    assert business_time_between(start, datetime(2026, 3, 30, tzinfo=BERLIN), cal) == 23 * H
    assert cal.is_business_time(datetime(2026, 12, 25, 3, tzinfo=BERLIN))
    assert_instant(cal.next_business_instant(start), start, cal)
    assert cal.to_spec() == {"timezone": "Europe/Berlin", "always": True, "hours": {}, "holidays": []}


def test_start_outside_hours() -> None:
    cal = office()
    saturday = datetime(2026, 1, 10, 10, tzinfo=BERLIN)
    monday_8 = datetime(2026, 1, 12, 8, tzinfo=BERLIN)
    assert_instant(cal.next_business_instant(saturday), monday_8, cal)
    assert_instant(add_business_time(saturday, 30 * M, cal), datetime(2026, 1, 12, 8, 30, tzinfo=BERLIN), cal)
    lunch = datetime(2026, 1, 12, 12, 15, tzinfo=BERLIN)
    assert_instant(cal.next_business_instant(lunch), datetime(2026, 1, 12, 13, tzinfo=BERLIN), cal)
    inside = datetime(2026, 1, 12, 9, 17, 3, 5, tzinfo=UTC)
    assert_instant(cal.next_business_instant(inside), inside, cal)
    assert business_time_between(saturday, monday_8, cal) == timedelta(0)


def test_exact_end_of_span_landing() -> None:
    cal = office()
    monday_8 = datetime(2026, 1, 12, 8, tzinfo=BERLIN)
    assert_instant(add_business_time(monday_8, 4 * H, cal), datetime(2026, 1, 12, 12, tzinfo=BERLIN), cal)
    friday_13 = datetime(2026, 1, 16, 13, tzinfo=BERLIN)
    assert_instant(add_business_time(friday_13, 4 * H, cal), datetime(2026, 1, 16, 17, tzinfo=BERLIN), cal)
    # One microsecond more moves past the lunch break / weekend.
    assert_instant(
        add_business_time(monday_8, 4 * H + timedelta(microseconds=1), cal),
        datetime(2026, 1, 12, 13, 0, 0, 1, tzinfo=BERLIN),
        cal,
    )


def test_zero_and_negative_durations() -> None:
    cal = office()
    saturday = datetime(2026, 1, 10, 10, tzinfo=UTC)
    assert add_business_time(saturday, timedelta(0), cal) is saturday
    with pytest.raises(ValueError, match="negative"):
        add_business_time(saturday, -M, cal)


def test_microsecond_exactness() -> None:
    cal = office()
    start = datetime(2026, 1, 12, 11, 59, 59, 999_999, tzinfo=BERLIN)
    result = add_business_time(start, timedelta(microseconds=2), cal)
    assert_instant(result, datetime(2026, 1, 12, 13, 0, 0, 1, tzinfo=BERLIN), cal)
    assert business_time_between(start, result, cal) == timedelta(microseconds=2)


@pytest.mark.parametrize(
    "call",
    [
        lambda cal, naive: add_business_time(naive, H, cal),
        lambda cal, naive: business_time_between(naive, datetime(2026, 1, 1, tzinfo=UTC), cal),
        lambda cal, naive: business_time_between(datetime(2026, 1, 1, tzinfo=UTC), naive, cal),
        lambda cal, naive: cal.is_business_time(naive),
        lambda cal, naive: cal.next_business_instant(naive),
    ],
)
def test_naive_datetime_rejected(call) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        call(office(), datetime(2026, 1, 12, 9))


def test_wrong_types_rejected() -> None:
    with pytest.raises(TypeError):
        add_business_time(datetime(2026, 1, 12, tzinfo=UTC), 60, office())  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        office().is_business_time(date(2026, 1, 12))  # type: ignore[arg-type]


# --------------------------------------------------------------------------- specs


def test_spec_normalisation_and_round_trip() -> None:
    cal = BusinessCalendar.from_spec(
        {
            "timezone": "Europe/Berlin",
            "hours": {
                "tue": [["13:00", "17:00"], ["08:00", "12:00"]],
                "mon": [["08:00", "12:00"], ["12:00", "13:00"]],
            },
            "holidays": ["2026-12-26", "2026-12-25", "2026-12-25"],
        }
    )
    spec = cal.to_spec()
    assert spec == {
        "timezone": "Europe/Berlin",
        "always": False,
        "hours": {"mon": [["08:00", "13:00"]], "tue": [["08:00", "12:00"], ["13:00", "17:00"]]},
        "holidays": ["2026-12-25", "2026-12-26"],
    }
    assert json.loads(json.dumps(spec)) == spec
    assert BusinessCalendar.from_spec(spec) == cal
    assert hash(BusinessCalendar.from_spec(spec)) == hash(cal)
    assert cal.timezone == "Europe/Berlin"
    assert not cal.always


def test_with_holidays() -> None:
    cal = office()
    extended = cal.with_holidays([date(2026, 1, 12), "2026-01-13"])
    assert extended.holidays == {date(2026, 1, 12), date(2026, 1, 13)}
    assert cal.holidays == frozenset()  # the original is unchanged
    friday = datetime(2026, 1, 9, 16, tzinfo=BERLIN)
    assert_instant(
        add_business_time(friday, 2 * H, extended), datetime(2026, 1, 14, 9, tzinfo=BERLIN), extended
    )
    with pytest.raises(CalendarSpecError, match=r"^holidays\[0\]: bad date"):
        cal.with_holidays(["tomorrow"])
    always = BusinessCalendar.from_spec({"timezone": "UTC", "always": True})
    with pytest.raises(CalendarSpecError, match=r"^holidays:"):
        always.with_holidays(["2026-01-01"])


def _spec(**changes: object) -> dict:
    spec: dict = {"timezone": "Europe/Berlin", "hours": {"mon": [["08:00", "12:00"]]}, "holidays": []}
    spec.update(changes)
    return spec


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (_spec(timezone="Mars/Olympus_Mons"), r"^timezone: unknown timezone 'Mars/Olympus_Mons'"),
        (_spec(timezone="../etc/passwd"), r"^timezone: unknown timezone"),
        (_spec(timezone=3), r"^timezone: expected an IANA timezone name"),
        ({"hours": {"mon": [["08:00", "12:00"]]}}, r"^timezone: required"),
        (_spec(hours={"monday": [["08:00", "12:00"]]}), r"^hours\.monday: unknown weekday"),
        (_spec(hours={"mon": [["8:00", "12:00"]]}), r"^hours\.mon\[0\]: bad start time '8:00'"),
        (_spec(hours={"mon": [["24:00", "24:00"]]}), r"^hours\.mon\[0\]: bad start time '24:00'"),
        (_spec(hours={"mon": [["08:00", "12:60"]]}), r"^hours\.mon\[0\]: bad end time '12:60'"),
        (_spec(hours={"mon": [["08:00", "24:01"]]}), r"^hours\.mon\[0\]: bad end time '24:01'"),
        (_spec(hours={"mon": [["08:00", 1200]]}), r"^hours\.mon\[0\]: bad end time 1200"),
        (_spec(hours={"mon": [["08:00"]]}), r"^hours\.mon\[0\]: expected a \[start, end\] pair"),
        (_spec(hours={"mon": "08:00-12:00"}), r"^hours\.mon: expected a list"),
        (
            _spec(hours={"mon": [["08:00", "12:00"], ["13:00", "12:00"]]}),
            r"^hours\.mon\[1\]: end 12:00 is not after start 13:00$",
        ),
        (
            _spec(hours={"tue": [["09:00", "09:00"]]}),
            r"^hours\.tue\[0\]: end 09:00 is not after start 09:00$",
        ),
        (
            _spec(hours={"wed": [["09:00", "00:00"]]}),
            r"^hours\.wed\[0\]: end 00:00 is not after start 09:00$",
        ),
        (
            _spec(hours={"mon": [["13:00", "17:00"], ["08:00", "12:00"], ["11:00", "14:00"]]}),
            r"^hours\.mon\[2\]: 11:00-14:00 overlaps hours\.mon\[1\] \(08:00-12:00\)$",
        ),
        (_spec(hours="mon-fri"), r"^hours: expected an object"),
        (_spec(hours={}), r"^hours: no working interval"),
        (_spec(hours={"sat": []}), r"^hours: no working interval"),
        (_spec(holidays=["2026-02-30"]), r"^holidays\[0\]: bad date '2026-02-30'"),
        (_spec(holidays=["2026-12-25", "25.12.2026"]), r"^holidays\[1\]: bad date '25.12.2026'"),
        (_spec(holidays=["20261225"]), r"^holidays\[0\]: bad date '20261225'"),
        (_spec(holidays="2026-12-25"), r"^holidays: expected a list"),
        (_spec(always="yes"), r"^always: must be true or false"),
        ({"timezone": "UTC", "always": True, "holidays": ["2026-12-25"]}, r"^holidays: must be empty"),
        (
            {"timezone": "UTC", "always": True, "hours": {"mon": [["08:00", "12:00"]]}},
            r"^hours: must be empty",
        ),
        (_spec(colour="blue"), r"^colour: unknown key"),
        ("not a dict", r"^spec: expected an object"),
    ],
)
def test_spec_validation_names_the_field(spec: object, message: str) -> None:
    with pytest.raises(CalendarSpecError, match=message):
        BusinessCalendar.from_spec(spec)  # type: ignore[arg-type]


def test_spec_error_is_a_value_error() -> None:
    assert issubclass(CalendarSpecError, ValueError)


def test_direct_construction_is_validated_and_normalised() -> None:
    week = (((780, 1020), (480, 720), (720, 780)),) + ((),) * 6
    cal = BusinessCalendar("UTC", week)
    assert cal.hours[0] == ((480, 1020),)
    with pytest.raises(CalendarSpecError, match=r"^hours\.sun\[0\]: end 00:00 is not after start 10:00"):
        BusinessCalendar("UTC", ((),) * 6 + (((600, 0),),))


# --------------------------------------------------------------------------- properties

ZONES = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "UTC"]
# DST changes of the zones above (and neighbours of them), as UTC instants.
TRANSITIONS = [
    datetime(2026, 3, 29, 1, tzinfo=UTC),
    datetime(2026, 10, 25, 1, tzinfo=UTC),
    datetime(2026, 3, 8, 7, tzinfo=UTC),
    datetime(2026, 11, 1, 6, tzinfo=UTC),
    datetime(2026, 4, 4, 15, tzinfo=UTC),
    datetime(2026, 10, 3, 15, 30, tzinfo=UTC),
    datetime(2027, 3, 28, 1, tzinfo=UTC),
]
US_PER_DAY = 86_400_000_000
RANGE_START = datetime(2025, 12, 1, tzinfo=UTC)
RANGE_US = 400 * US_PER_DAY
# Interesting wall-clock minutes: DST hours in all three zones, Lord Howe's 01:30-02:30, midnight.
SPECIAL_MINUTES = [0, 60, 90, 120, 150, 180, 240, 480, 720, 780, 1020, 1380, 1440]
DISPLAY_ZONES = [UTC, BERLIN, NEW_YORK, LORD_HOWE, ZoneInfo("Asia/Kolkata")]


@st.composite
def day_hours(draw: st.DrawFn) -> list[list[str]]:
    count = draw(st.integers(0, 3))
    minute = st.one_of(st.sampled_from(SPECIAL_MINUTES), st.integers(0, 1440))
    points = sorted(draw(st.sets(minute, min_size=2 * count, max_size=2 * count)))
    fmt = lambda m: f"{m // 60:02d}:{m % 60:02d}"  # noqa: E731
    return [[fmt(points[2 * i]), fmt(points[2 * i + 1])] for i in range(count)]


@st.composite
def calendars(draw: st.DrawFn, allow_always: bool = True) -> BusinessCalendar:
    tz = draw(st.sampled_from(ZONES))
    if allow_always and draw(st.integers(0, 9)) == 0:
        return BusinessCalendar.from_spec({"timezone": tz, "always": True, "hours": {}})
    kind = draw(st.sampled_from(["office", "random", "weekend"]))
    if kind == "office":
        hours = dict.fromkeys(WEEKDAYS_ONLY, WORKDAY)
    elif kind == "weekend":
        hours = {d: draw(day_hours()) for d in ("sat", "sun")}
    else:
        hours = {d: draw(day_hours()) for d in WEEKDAYS}
    if not any(hours.values()):
        hours["sun"] = [["01:00", "03:00"]]
    holiday_dates = st.one_of(
        st.dates(date(2025, 12, 1), date(2027, 3, 1)),
        st.sampled_from(
            [
                date(2026, 3, 29),
                date(2026, 10, 25),
                date(2026, 3, 8),
                date(2026, 11, 1),
                date(2026, 4, 5),
                date(2026, 10, 4),
            ]
        ),
    )
    holidays = draw(st.lists(holiday_dates, max_size=12))
    return BusinessCalendar.from_spec(
        {"timezone": tz, "hours": hours, "holidays": [d.isoformat() for d in holidays]}
    )


@st.composite
def instants(draw: st.DrawFn) -> datetime:
    if draw(st.booleans()):
        moment = RANGE_START + timedelta(microseconds=draw(st.integers(0, RANGE_US)))
    else:
        near = draw(st.sampled_from(TRANSITIONS))
        moment = near + timedelta(microseconds=draw(st.integers(-3 * US_PER_DAY, 3 * US_PER_DAY)))
        if draw(st.booleans()):  # whole minutes hit span boundaries exactly
            moment = moment.replace(second=0, microsecond=0)
    return moment.astimezone(draw(st.sampled_from(DISPLAY_ZONES)))


durations = st.one_of(
    st.integers(1, 3_600_000_000),
    st.integers(1, 5 * US_PER_DAY),
    st.integers(1, 40).map(lambda h: h * 1_800_000_000),
    st.integers(1, 60 * US_PER_DAY),
).map(lambda us: timedelta(microseconds=us))


def _is_span_end(cal: BusinessCalendar, moment: datetime) -> bool:
    return not cal.is_business_time(moment) and cal.is_business_time(moment - timedelta(microseconds=1))


@PROPS
@given(calendars(), instants(), durations)
def test_add_is_inverse_of_between(cal: BusinessCalendar, start: datetime, duration: timedelta) -> None:
    end = add_business_time(start, duration, cal)
    assert business_time_between(start, end, cal) == duration
    assert utc(end) > utc(start)
    assert end.tzinfo == cal.tzinfo
    assert cal.is_business_time(end) or _is_span_end(cal, end)


@PROPS
@given(calendars(), instants(), durations, durations)
def test_add_is_monotone_and_additive(
    cal: BusinessCalendar, start: datetime, a: timedelta, b: timedelta
) -> None:
    first = add_business_time(start, a, cal)
    both = add_business_time(start, a + b, cal)
    assert utc(add_business_time(first, b, cal)) == utc(both)
    assert utc(first) < utc(both)  # strictly: b > 0 of business time lies between them


@PROPS
@given(calendars(), instants(), instants(), instants())
def test_between_is_additive_and_antisymmetric(
    cal: BusinessCalendar, x: datetime, y: datetime, z: datetime
) -> None:
    a, b, c = sorted([x, y, z], key=utc)
    ab, bc, ac = (
        business_time_between(a, b, cal),
        business_time_between(b, c, cal),
        business_time_between(a, c, cal),
    )
    assert ac == ab + bc
    assert ab >= timedelta(0)
    assert business_time_between(c, a, cal) == -ac
    assert business_time_between(b, b, cal) == timedelta(0)


@PROPS
@given(calendars(), instants(), durations)
def test_start_outside_counts_from_next_opening(cal: BusinessCalendar, start: datetime, d: timedelta) -> None:
    opening = cal.next_business_instant(start)
    assert utc(opening) >= utc(start)
    assert cal.is_business_time(opening)
    assert business_time_between(start, opening, cal) == timedelta(0)
    if cal.is_business_time(start):
        assert utc(opening) == utc(start)
    assert utc(add_business_time(start, d, cal)) == utc(add_business_time(opening, d, cal))


@PROPS
@given(st.sampled_from(ZONES), instants(), durations, instants())
def test_always_open_is_real_time(tz: str, start: datetime, d: timedelta, other: datetime) -> None:
    cal = BusinessCalendar.from_spec({"timezone": tz, "always": True, "hours": {}})
    assert utc(add_business_time(start, d, cal)) == utc(start) + d
    assert business_time_between(start, other, cal) == utc(other) - utc(start)
    assert cal.is_business_time(start)


@PROPS
@given(st.sampled_from(ZONES), instants(), durations, instants())
def test_all_day_every_day_is_real_time(tz: str, start: datetime, d: timedelta, other: datetime) -> None:
    cal = every_day(tz, "00:00", "24:00")
    assert utc(add_business_time(start, d, cal)) == utc(start) + d
    assert business_time_between(start, other, cal) == utc(other) - utc(start)


@PROPS
@given(calendars())
def test_spec_round_trip(cal: BusinessCalendar) -> None:
    spec = json.loads(json.dumps(cal.to_spec()))
    again = BusinessCalendar.from_spec(spec)
    assert again == cal
    assert again.to_spec() == spec


def _reference_is_business(cal: BusinessCalendar, moment: datetime) -> bool:
    """The definition, evaluated directly on the wall clock (independent of the implementation)."""
    if cal.always:
        return True
    local = moment.astimezone(cal.tzinfo)
    if local.date() in cal.holidays:
        return False
    minute = local.hour * 60 + local.minute
    return any(s <= minute < e for s, e in cal.hours[local.weekday()])


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(calendars(allow_always=False), st.sampled_from(TRANSITIONS), st.integers(-2 * 1440, 1440), st.data())
def test_matches_brute_force_minute_scan(cal: BusinessCalendar, near: datetime, shift: int, data) -> None:
    """Scan 2 days minute by minute around a DST change with a direct evaluation of the definition.

    All boundaries (intervals, offsets, transitions) are whole minutes here, so each UTC
    minute is entirely in or out of business time.
    """
    start = near + timedelta(minutes=shift)
    minutes = 2 * 1440
    flags = [_reference_is_business(cal, start + i * M) for i in range(minutes)]
    for i in range(0, minutes, 7):
        assert cal.is_business_time(start + i * M + timedelta(seconds=30)) == flags[i]
    assert business_time_between(start, start + minutes * M, cal) == sum(flags) * M
    business_minutes = [i for i, flag in enumerate(flags) if flag]
    assume(business_minutes)
    # Adding k minutes ends exactly at the end of the k-th business minute.
    for k in data.draw(st.lists(st.integers(1, len(business_minutes)), min_size=1, max_size=5)):
        expected = start + (business_minutes[k - 1] + 1) * M
        assert utc(add_business_time(start, k * M, cal)) == expected
    first = cal.next_business_instant(start)
    assert utc(first) == start + business_minutes[0] * M


def test_sparse_calendar_long_duration() -> None:
    """Half an hour a week (inside the repeated hour on fall-back Sundays): many blocks skipped exactly."""
    cal = BusinessCalendar.from_spec(
        {"timezone": "Europe/Berlin", "hours": {"sun": [["02:00", "02:30"]]}, "holidays": ["2026-11-01"]}
    )
    start = datetime(2026, 1, 1, tzinfo=BERLIN)
    end = add_business_time(start, 40 * H, cal)
    assert business_time_between(start, end, cal) == 40 * H
    # 2026-03-29's interval does not exist; 2026-10-25's happens twice; 2026-11-01 is a holiday.
    assert business_time_between(
        datetime(2026, 3, 28, tzinfo=BERLIN), datetime(2026, 3, 30, tzinfo=BERLIN), cal
    ) == timedelta(0)
    assert (
        business_time_between(
            datetime(2026, 10, 24, tzinfo=BERLIN), datetime(2026, 10, 26, tzinfo=BERLIN), cal
        )
        == H
    )
    assert business_time_between(
        datetime(2026, 10, 31, tzinfo=BERLIN), datetime(2026, 11, 2, tzinfo=BERLIN), cal
    ) == timedelta(0)


def test_fixed_offset_input_timezones_are_accepted() -> None:
    cal = office()
    start = datetime(2026, 1, 12, 7, 0, tzinfo=timezone(timedelta(hours=1)))  # 07:00 Berlin
    assert_instant(add_business_time(start, H, cal), datetime(2026, 1, 12, 9, tzinfo=BERLIN), cal)
