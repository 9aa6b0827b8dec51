"""`steward bench planning`: forecast many synthetic queues and staff every forecast interval.

The series are made here, seeded: two years of hourly arrivals per queue with a daily and a weekly
pattern, public holidays (a fraction of a normal day's demand), a slow trend and Poisson noise.
Most queues are seasonal like the demo's desk; a share are irregular (a flat level that shifts
at random), where no model should beat seasonal naive by much and some fall back.

Stages timed separately: generating, forecasting (backtest and final fit, both in statsforecast's
process pool over the machine's cores), staffing (Erlang C for every forecast hour of every queue).
No Django, no database: the figures measure the planning core.
"""

from __future__ import annotations

import math
import os
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from steward.planning import staffing
from steward.planning.forecast import HOURLY, forecast_many


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@dataclass(frozen=True)
class SyntheticQueue:
    key: str
    seasonal: bool
    series: pd.Series


def synthetic_holidays(first: date, last: date) -> list[date]:
    """Fixed-date public holidays (New Year, 1 May, Christmas, Boxing Day) and a spring Monday."""
    days = []
    for year in range(first.year, last.year + 1):
        days += [date(year, 1, 1), date(year, 5, 1), date(year, 12, 25), date(year, 12, 26)]
        # a movable spring holiday: the first Monday on or after 14 April
        spring = date(year, 4, 14)
        days.append(spring + timedelta(days=(7 - spring.weekday()) % 7))
    return sorted(d for d in days if first <= d <= last)


# Demand share per hour of an ordinary weekday (office hours with a lunch dip), and per weekday.
_HOURLY_PROFILE = np.array(
    [
        0.1,
        0.05,
        0.05,
        0.05,
        0.1,
        0.2,
        0.5,
        1.0,
        1.7,
        2.0,
        1.9,
        1.7,
        1.3,
        1.6,
        1.8,
        1.7,
        1.5,
        1.1,
        0.8,
        0.6,
        0.4,
        0.3,
        0.2,
        0.15,
    ]
)
_WEEKDAY_PROFILE = np.array([1.15, 1.05, 1.0, 1.0, 0.9, 0.35, 0.2])


def synthetic_queues(
    *, queues: int, days: int, end: date, seed: int, seasonal_share: float = 0.75
) -> list[SyntheticQueue]:
    rng = np.random.default_rng(seed)
    start = end - timedelta(days=days)
    index = pd.date_range(start, periods=days * 24, freq="h")
    hours = index.hour.to_numpy()
    weekdays = index.dayofweek.to_numpy()
    holiday = np.asarray(index.normalize().isin(pd.to_datetime(synthetic_holidays(start, end))))
    elapsed = np.arange(len(index)) / len(index)
    made = []
    for number in range(queues):
        seasonal = number < round(queues * seasonal_share)
        level = rng.uniform(1.0, 40.0)
        if seasonal:
            # Each queue's own shape: the shared profile, slightly warped and shifted.
            shift = int(rng.integers(-1, 2))
            profile = np.roll(_HOURLY_PROFILE, shift) * rng.uniform(0.85, 1.15, 24)
            week = _WEEKDAY_PROFILE * rng.uniform(0.9, 1.1, 7)
            rate = level * profile[hours] * week[weekdays]
            rate *= np.where(holiday, rng.uniform(0.15, 0.4), 1.0)
            rate *= 1.0 + rng.uniform(-0.2, 0.3) * elapsed  # slow growth or decline over the two years
        else:
            # Irregular: a level that jumps at random every few weeks.
            jumps = rng.random(len(index)) < 1 / (24 * 21)
            rate = level * np.exp(np.cumsum(np.where(jumps, rng.normal(0, 0.4, len(index)), 0.0)))
        rate *= rng.lognormal(0.0, 0.1, len(index))  # extra-Poisson noise
        counts = rng.poisson(rate).astype(float)
        made.append(SyntheticQueue(f"queue-{number:03d}", seasonal, pd.Series(counts, index=index)))
    return made


def bench(
    *,
    queues: int = 200,
    days: int = 730,
    seed: int = 7,
    holiday_mode: str = "factor",
    n_jobs: int | None = None,
    progress: Callable[[str], None] = lambda line: None,
) -> dict:
    n_jobs = n_jobs or os.cpu_count() or 1
    timings: dict[str, float] = {}
    cpu_before = _cpu_seconds()

    started = time.perf_counter()
    # The series end in the spring so that the backtest origins meet a holiday (1 May).
    end = date(2026, 5, 11)
    made = synthetic_queues(queues=queues, days=days, end=end, seed=seed)
    holidays = synthetic_holidays(end - timedelta(days=days), end + timedelta(days=30))
    timings["generate"] = time.perf_counter() - started
    progress(f"generated {queues} series of {days * 24} hours in {timings['generate']:.1f} s")

    started = time.perf_counter()
    forecasts = forecast_many(
        {q.key: q.series for q in made},
        spec=HOURLY,
        holidays=holidays,
        holiday_mode=holiday_mode,
        n_jobs=n_jobs,
    )
    timings["forecast"] = time.perf_counter() - started
    progress(f"forecast {len(forecasts)} series in {timings['forecast']:.1f} s")

    started = time.perf_counter()
    intervals = 0
    agents_total = 0
    for forecast in forecasts.values():
        for arrivals in forecast.mean:
            load = staffing.offered_load(arrivals=float(arrivals), aht_seconds=360, interval_seconds=3600)
            on_floor = staffing.agents_on_floor_erlang_c(
                load=load, aht_seconds=360, target_seconds=60, service_level=0.8, max_occupancy=0.85
            )
            agents_total += staffing.with_shrinkage(on_floor, 0.3)
            intervals += 1
    timings["staffing"] = time.perf_counter() - started
    progress(f"staffed {intervals} intervals in {timings['staffing']:.1f} s")

    seasonal_keys = {q.key for q in made if q.seasonal}

    def mean_of(values) -> float:
        values = [v for v in values if not math.isnan(v)]
        return round(float(np.mean(values)), 4) if values else math.nan

    measured = [f for f in forecasts.values() if f.backtest is not None]
    models: dict[str, int] = {}
    for f in forecasts.values():
        models[f.model] = models.get(f.model, 0) + 1
    return {
        "queues": queues,
        # CPU of this process and its (joined) workers: the figure that does not depend on what
        # else the machine is running; wall time does.
        "cpu_seconds": round(_cpu_seconds() - cpu_before, 2),
        "hours_of_history": days * 24,
        "horizon_hours": HOURLY.horizon,
        "backtest_origins": HOURLY.backtest_windows,
        "training_hours": HOURLY.training_steps,
        "holiday_mode": holiday_mode,
        "n_jobs": n_jobs,
        "seconds": {stage: round(value, 2) for stage, value in timings.items()}
        | {"total": round(sum(timings.values()), 2)},
        "mase_chosen": {
            "all": mean_of(f.mase for f in measured),
            "seasonal": mean_of(f.mase for f in measured if f.key in seasonal_keys),
            "irregular": mean_of(f.mase for f in measured if f.key not in seasonal_keys),
        },
        "mase_by_model": {
            name: {
                "seasonal": mean_of(f.backtest.mase[name] for f in measured if f.key in seasonal_keys),
                "irregular": mean_of(f.backtest.mase[name] for f in measured if f.key not in seasonal_keys),
            }
            for name in measured[0].backtest.mase
        }
        if measured
        else {},
        "coverage": {str(level): mean_of(f.backtest.coverage[level] for f in measured) for level in (80, 95)},
        "fell_back": sum(1 for f in forecasts.values() if f.fallback),
        "models_used": models,
        "staffed_intervals": intervals,
        "rostered_agent_hours": agents_total,
    }
