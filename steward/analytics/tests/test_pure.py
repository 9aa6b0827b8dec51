"""The pure modules: buckets in a timezone, SPC charts and run rules, Pareto, formulas."""

from __future__ import annotations

import itertools
import statistics
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from steward.analytics import formulas
from steward.analytics.buckets import bucket_of, buckets
from steward.analytics.pareto import pareto
from steward.analytics.spc import individuals, p_chart

BERLIN = ZoneInfo("Europe/Berlin")


def test_week_of_the_spring_clock_change_holds_167_hours():
    weeks = buckets(date(2026, 3, 23), date(2026, 3, 29), "week", BERLIN)
    assert len(weeks) == 1
    assert weeks[0].start == datetime(2026, 3, 22, 23, tzinfo=UTC)
    assert weeks[0].end - weeks[0].start == timedelta(hours=167)


def test_autumn_day_holds_25_hours_and_a_month_series_starts_on_the_first():
    (day,) = buckets(date(2026, 10, 25), date(2026, 10, 25), "day", BERLIN)
    assert day.end - day.start == timedelta(hours=25)
    months = buckets(date(2026, 1, 15), date(2026, 3, 2), "month", BERLIN)
    assert [m.label for m in months] == [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    assert months[-1].end == datetime(2026, 3, 31, 22, tzinfo=UTC)  # 1 April 00:00 CEST


def test_a_week_starts_on_monday():
    (week,) = buckets(date(2026, 3, 4), date(2026, 3, 4), "week", BERLIN)
    assert week.label == date(2026, 3, 2)


def test_bucket_edges():
    weeks = buckets(date(2026, 3, 2), date(2026, 3, 15), "week", BERLIN)
    assert bucket_of(datetime(2026, 3, 1, 23, tzinfo=UTC), weeks) == 0  # Monday 00:00 local
    assert bucket_of(datetime(2026, 3, 1, 22, 59, 59, tzinfo=UTC), weeks) is None
    assert bucket_of(datetime(2026, 3, 8, 23, tzinfo=UTC), weeks) == 1


@settings(deadline=None)  # the shared machine's load, not the code, sets the pace
@given(
    st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)),
    st.sampled_from(["day", "week", "month"]),
)
def test_every_instant_is_in_exactly_one_bucket_of_its_local_date(instant, kind):
    local = instant.astimezone(BERLIN).date()
    series = buckets(local - timedelta(days=40), local + timedelta(days=40), kind, BERLIN)
    holding = [b for b in series if b.start <= instant < b.end]
    assert len(holding) == 1
    b = holding[0]
    assert b.label <= local and local < b.end.astimezone(BERLIN).date()


# --- SPC -----------------------------------------------------------------------------------------


def test_individuals_chart_worked_example():
    # x = 10, 12, 11, 13, 30: mean 15.2; MR = 2, 1, 2, 17 -> mean 5.5; limits 15.2 ± 2.6596 * 5.5.
    chart = individuals([10, 12, 11, 13, 30])
    assert chart.centre == pytest.approx(15.2)
    assert chart.mr_centre == pytest.approx(5.5)
    assert chart.points[0].ucl == pytest.approx(15.2 + 3 * 5.5 / 1.128)
    assert chart.points[0].lcl == pytest.approx(15.2 - 3 * 5.5 / 1.128)
    assert chart.mr_ucl == pytest.approx(3.267 * 5.5)
    # UCL = 15.2 + 14.63 = 29.83: the last point (30) is beyond it.
    assert chart.signals == [4]


def test_individuals_flags_a_point_beyond_the_limits():
    values = [10, 11, 10, 11, 10, 11, 10, 11, 10, 25]
    chart = individuals(values)
    assert chart.points[-1].beyond_limits
    assert [i for i, p in enumerate(chart.points) if p.beyond_limits] == [9]


def test_eight_in_a_row_on_one_side_is_flagged_from_the_eighth():
    values = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1]
    chart = individuals(values)
    # centre 9/17 ≈ 0.53: the eight zeros are below (the 8th flagged), the nine ones above.
    runs = [i for i, p in enumerate(chart.points) if p.in_run]
    assert runs == [7, 15, 16]


def test_seven_in_a_row_is_not_a_signal_and_empty_buckets_are_skipped():
    values = [1, 1, 1, 1, 1, 1, 1, -1, None, -1, -1]
    chart = individuals(values)
    assert not any(p.in_run for p in chart.points)
    assert chart.points[8].value is None and chart.points[8].ucl is not None


def test_p_chart_worked_example():
    # 90 of 100, 80 of 100, 45 of 50: p̄ = 215 / 250 = 0.86.
    chart = p_chart([90, 80, 45], [100, 100, 50])
    assert chart.centre == pytest.approx(86.0)
    half_100 = 3 * (0.86 * 0.14 / 100) ** 0.5
    assert chart.points[0].ucl == pytest.approx(100 * (0.86 + half_100))
    assert chart.points[0].lcl == pytest.approx(100 * (0.86 - half_100))
    # Limits widen for the smaller sample.
    assert chart.points[2].ucl - chart.points[2].lcl > chart.points[0].ucl - chart.points[0].lcl
    assert chart.signals == []


def test_p_chart_flags_a_collapse_and_skips_empty_buckets():
    chart = p_chart([95, 94, 96, 0, 95, 40], [100, 100, 100, 0, 100, 100])
    assert chart.points[3].value is None
    assert chart.points[5].beyond_limits


@settings(deadline=None)
@given(st.lists(st.one_of(st.none(), st.floats(-1e6, 1e6)), min_size=1, max_size=40))
def test_individuals_limits_are_symmetric_around_the_mean(values):
    chart = individuals(values)
    present = [v for v in values if v is not None]
    if not present:
        assert chart.centre is None
        return
    assert chart.centre == pytest.approx(statistics.fmean(present), abs=1e-6)
    p = chart.points[0]
    assert p.ucl - chart.centre == pytest.approx(chart.centre - p.lcl, abs=1e-6)


# --- Pareto --------------------------------------------------------------------------------------


def test_pareto_sorts_accumulates_and_cuts_at_80_percent():
    bars = pareto([("printer", 10), ("network", 50), ("login", 25), ("other", 15), ("none", 0)])
    assert [(b.category, b.count) for b in bars] == [
        ("network", 50),
        ("login", 25),
        ("other", 15),
        ("printer", 10),
    ]
    assert [b.cumulative for b in bars] == [50.0, 75.0, 90.0, 100.0]
    # 50 % and 75 % are short of 80 %; the category that crosses it (other, to 90 %) is included.
    assert [b.vital for b in bars] == [True, True, True, False]


def test_pareto_exactly_80_percent_ends_the_vital_few():
    bars = pareto([("a", 80), ("b", 15), ("c", 5)])
    assert [b.vital for b in bars] == [True, False, False]


@settings(deadline=None)
@given(st.lists(st.tuples(st.text(min_size=1, max_size=5), st.integers(0, 1000)), max_size=30))
def test_pareto_properties(items):
    bars = pareto(items)
    if not bars:
        return
    assert bars[-1].cumulative == pytest.approx(100.0)
    assert all(a.count >= b.count for a, b in itertools.pairwise(bars))
    vital = [b for b in bars if b.vital]
    assert vital and bars[: len(vital)] == vital  # a prefix
    assert vital[-1].cumulative >= 80.0 - 1e-9
    if len(vital) > 1:
        assert vital[-2].cumulative < 80.0 + 1e-9


def test_formulas_say_none_for_nothing_to_count():
    assert formulas.percent(0, 0) is None
    assert formulas.mean(None, 0) is None
    assert formulas.mean(90.0, 3, 60.0) == 0.5
    with pytest.raises(ValueError):
        formulas.percent(3, 2)


def test_the_docs_page_states_every_kpis_formula():
    from pathlib import Path

    from steward.analytics.kpis import KPIS

    page = (Path(__file__).resolve().parents[3] / "docs" / "analytics.md").read_text()
    for kpi in KPIS.values():
        assert f"`{kpi.name}`" in page and kpi.formula in page, kpi.name
