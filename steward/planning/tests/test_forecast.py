"""Forecasts: the backtest chooses the model, falls back to seasonal naive when nothing beats it,
and holidays are handled; the result carries intervals, the model and the measured accuracy."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from steward.planning import forecast
from steward.planning.bench import synthetic_holidays, synthetic_queues

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


END = date(2026, 5, 11)
HOLIDAYS = synthetic_holidays(date(2024, 1, 1), date(2026, 12, 31))


@pytest.fixture(scope="module")
def queues():
    # A year of two seasonal queues and two irregular ones (the bench's generator, small): the
    # backtest's weeks hold two holidays, whose factor is learnt from the year before.
    return synthetic_queues(queues=4, days=365, end=END, seed=3, seasonal_share=0.5)


def test_seasonal_series_get_a_model_that_beats_seasonal_naive(queues):
    seasonal = {q.key: q.series for q in queues if q.seasonal}
    results = forecast.forecast_many(seasonal, spec=forecast.HOURLY, holidays=HOLIDAYS)
    for key, result in results.items():
        assert result.model == "MSTL" and not result.fallback
        assert result.backtest.origins == 3 and result.backtest.horizon == 336
        assert result.mase < result.backtest.mase[forecast.SEASONAL_NAIVE]
        assert result.mase < 1.0
        assert len(result.mean) == 336
        assert result.timestamps[0] == seasonal[key].index[-1] + pd.Timedelta(hours=1)
        assert (result.lower[95] <= result.lower[80] + 1e-9).all()
        assert (result.lower[80] <= result.mean + 1e-9).all() and (
            result.mean <= result.upper[80] + 1e-9
        ).all()
        assert (result.upper[80] <= result.upper[95] + 1e-9).all()
        assert (result.lower[95] >= 0).all()  # counts are never negative
        # Intervals cover something like their level in the backtest (three weeks x 2 series is noisy).
        assert 0.6 < result.backtest.coverage[80] <= result.backtest.coverage[95]


def test_falls_back_to_seasonal_naive_when_nothing_beats_it_and_says_so():
    # A week that repeats exactly, hour for hour, with no smooth shape: seasonal naive is perfect.
    rng = np.random.default_rng(0)
    week = rng.integers(0, 30, 168).astype(float)
    index = pd.date_range("2026-01-05", periods=168 * 10, freq="h")
    series = pd.Series(np.tile(week, 10), index=index)
    result = forecast.forecast_many({"repeating": series})["repeating"]
    assert result.fallback is True
    assert result.model == forecast.SEASONAL_NAIVE
    assert "did not beat seasonal naive" in result.note
    assert result.mean[:168] == pytest.approx(week)


def test_future_holidays_are_lowered_by_the_measured_factor_or_like_a_sunday():
    made = synthetic_queues(queues=1, days=400, end=date(2026, 4, 20), seed=5, seasonal_share=1.0)[0]
    holidays = synthetic_holidays(date(2025, 1, 1), date(2026, 6, 1))
    assert date(2026, 5, 1) in holidays  # a Friday in the forecast's two weeks
    by_factor = forecast.forecast_many({"q": made.series}, holidays=holidays, holiday_mode="factor")["q"]
    ignored = forecast.forecast_many({"q": made.series}, holidays=holidays, holiday_mode="none")["q"]
    like_sunday = forecast.forecast_many({"q": made.series}, holidays=holidays, holiday_mode="sunday")["q"]

    day = by_factor.timestamps.normalize() == pd.Timestamp("2026-05-01")
    any_holiday = by_factor.timestamps.normalize().isin(pd.to_datetime(holidays))
    assert 0.05 < by_factor.holiday_factor < 0.6  # the generator drops holidays to 15-40%
    assert by_factor.mean[day].sum() == pytest.approx(ignored.mean[day].sum() * by_factor.holiday_factor)
    sunday = like_sunday.timestamps.normalize() == pd.Timestamp("2026-05-03")
    assert like_sunday.mean[day] == pytest.approx(like_sunday.mean[sunday])
    # ordinary days are untouched by the holiday handling
    assert by_factor.mean[~any_holiday] == pytest.approx(ignored.mean[~any_holiday])


def test_daily_forecast_thirteen_weeks_from_half_a_year(queues):
    daily = queues[0].series.resample("D").sum()
    longer = pd.concat([daily.shift(-7 * 12, freq="D").iloc[:84], daily])  # ~24 weeks of days
    result = forecast.forecast_many({"d": longer}, spec=forecast.DAILY)["d"]
    assert len(result.mean) == 91
    assert (np.diff(result.timestamps) == np.timedelta64(1, "D")).all()
    assert result.backtest is not None and result.backtest.horizon <= 91
    assert result.model in forecast.DAILY.candidates


def test_unusable_input_is_refused():
    index = pd.date_range("2026-01-05", periods=100, freq="h")
    with pytest.raises(forecast.ForecastError, match="two weeks"):
        forecast.forecast_many({"short": pd.Series(1.0, index=index)})
    long_index = pd.date_range("2026-01-05", periods=400, freq="h")
    with pytest.raises(forecast.ForecastError, match="counts"):
        forecast.forecast_many({"negative": pd.Series(-1.0, index=long_index)})
    with pytest.raises(forecast.ForecastError, match="holiday_mode"):
        forecast.forecast_many({"x": pd.Series(1.0, index=long_index)}, holiday_mode="easter")
