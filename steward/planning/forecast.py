"""Demand forecasts with measured accuracy, pure (numpy/pandas/statsforecast; no Django).

One call forecasts many series at once (statsforecast fits them in a process pool), so a team x
channel grid or the benchmark's 200 queues cost one pass:

1. Holidays. A holiday's history is replaced by the same hour one season (a week) earlier, so the
   models learn the normal pattern; the future's holiday intervals are then adjusted, either by
   the series' measured holiday factor (actual / normal on past holidays: a multiplicative
   holiday regressor) or by treating the holiday like a Sunday (the forecast of the same hour on
   the nearest Sunday of the horizon). `HOLIDAY_MODES`; the benchmark measures both.
2. Rolling-origin backtest. Every candidate model is refitted at several origins and forecasts
   the same horizon as production; errors are scaled by the in-sample mean absolute error of the
   seasonal naive forecast with the weekly season (MASE), and the share of actuals inside the
   80% and 95% intervals is counted (coverage).
3. Choice. The candidate with the lowest backtest MASE is used for the series, unless it does not
   beat seasonal naive, in which case seasonal naive is used and the result says so (`fallback`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

SEASONAL_NAIVE = "SeasonalNaive"
HOLIDAY_MODES = ("factor", "sunday", "none")
DEFAULT_LEVELS = (80, 95)


class ForecastError(ValueError):
    """Input that cannot be forecast (too short, irregular, negative)."""


@dataclass(frozen=True)
class SeriesSpec:
    """How one granularity is forecast: its frequency, seasons, horizon and backtest."""

    name: str
    freq: str  # pandas/statsforecast frequency: "h" or "D"
    horizon: int  # steps forecast
    season_lengths: tuple[int, ...]  # seasonalities the models capture (day, week)
    weekly_season: int  # the seasonal-naive baseline's season (one week in steps)
    backtest_windows: int  # origins
    backtest_step: int  # steps between origins
    training_steps: int  # the most recent history each fit sees (older history is not used)
    candidates: tuple[str, ...] = ("MSTL", SEASONAL_NAIVE)
    trend_model: str = "ZZN"  # AutoETS spec of MSTL's trend forecaster (no season: MSTL removed them)
    # STL's LOESS evaluated every `jump` points and interpolated between: the weekly season over
    # weeks of hourly data is otherwise most of the fitting time (measured ~10x faster, same fit).
    stl_jump: int = 0

    @property
    def steps_per_day(self) -> int:
        return 24 if self.freq == "h" else 1

    def backtest_span(self, horizon: int | None = None) -> int:
        return (horizon or self.horizon) + (self.backtest_windows - 1) * self.backtest_step


# Hourly, 14 days ahead: daily and weekly seasons, 3 origins a week apart, each fit on the last
# 6 weeks. Measured on the benchmark's queues (see bench.py): 8 weeks and an AutoETS "ZZN" trend
# were ~3x slower for no better MASE (0.78 on the seasonal queues either way); STL with LOESS
# jumps of 24 made the decomposition ~25x faster (0.52 -> 0.02 s a series) at the same MASE.
HOURLY = SeriesSpec(
    name="hourly",
    freq="h",
    horizon=14 * 24,
    season_lengths=(24, 168),
    weekly_season=168,
    backtest_windows=3,
    backtest_step=168,
    training_steps=6 * 168,
    trend_model="ANN",
    stl_jump=24,
)

# Daily, 13 weeks ahead: the weekly season, 3 origins two weeks apart.
DAILY = SeriesSpec(
    name="daily",
    freq="D",
    horizon=13 * 7,
    season_lengths=(7,),
    weekly_season=7,
    backtest_windows=3,
    backtest_step=14,
    training_steps=26 * 7,
    candidates=("AutoETS", "MSTL", SEASONAL_NAIVE),
)


@dataclass(frozen=True)
class Backtest:
    origins: int
    horizon: int
    mase: dict[str, float]  # per candidate, lower is better; the baseline included
    coverage: dict[int, float]  # for the chosen model: share of actuals inside each interval
    seconds: float = 0.0


@dataclass(frozen=True)
class Forecast:
    key: str
    timestamps: pd.DatetimeIndex
    mean: np.ndarray
    lower: dict[int, np.ndarray]
    upper: dict[int, np.ndarray]
    model: str
    fallback: bool  # True when no candidate beat seasonal naive in the backtest
    backtest: Backtest | None
    holiday_factor: float = 1.0
    note: str = ""

    @property
    def mase(self) -> float:
        if self.backtest is None:
            return math.nan
        return self.backtest.mase.get(self.model, math.nan)


@dataclass
class _Prepared:
    frame: pd.DataFrame  # unique_id, ds, y (holiday-cleaned), y_raw, holiday
    factors: dict[str, float] = field(default_factory=dict)
    scales: dict[str, float] = field(default_factory=dict)


def _stl_kwargs(jump: int) -> dict:
    if jump <= 1:
        return {}
    return {"seasonal_jump": jump, "trend_jump": jump * 3, "low_pass_jump": jump}


def _models(spec: SeriesSpec, names: Iterable[str]):
    from statsforecast.models import MSTL, AutoETS, SeasonalNaive

    made = []
    for name in names:
        if name == "MSTL":
            # The trend after removing the seasons is damped/undamped ETS without a season.
            made.append(
                MSTL(
                    season_length=list(spec.season_lengths),
                    trend_forecaster=AutoETS(model=spec.trend_model),
                    stl_kwargs=_stl_kwargs(spec.stl_jump),
                    alias="MSTL",
                )
            )
        elif name == "AutoETS":
            made.append(AutoETS(season_length=spec.season_lengths[0], alias="AutoETS"))
        elif name == SEASONAL_NAIVE:
            made.append(SeasonalNaive(season_length=spec.weekly_season, alias=SEASONAL_NAIVE))
        else:
            raise ForecastError(f"unknown model {name!r}")
    return made


def to_frame(series: Mapping[str, pd.Series]) -> pd.DataFrame:
    """Long frame (unique_id, ds, y) from series indexed by timestamp."""
    parts = []
    for key, values in series.items():
        if len(values) == 0:
            raise ForecastError(f"series {key!r} is empty")
        parts.append(pd.DataFrame({"unique_id": key, "ds": values.index, "y": values.to_numpy(dtype=float)}))
    frame = pd.concat(parts, ignore_index=True)
    if (frame["y"] < 0).any() or frame["y"].isna().any():
        raise ForecastError("series values must be counts: zero or more, no gaps")
    return frame


def _holiday_mask(ds: pd.Series, holidays: Iterable[date]) -> np.ndarray:
    days = pd.to_datetime(sorted(set(holidays)))
    if len(days) == 0:
        return np.zeros(len(ds), dtype=bool)
    return ds.dt.normalize().isin(days).to_numpy()


def _prepare(
    frame: pd.DataFrame, spec: SeriesSpec, holidays: Iterable[date], fit_until: pd.Series
) -> _Prepared:
    """Clean holidays out of history; measure each series' holiday factor and MASE scale.

    `fit_until` (per unique_id) bounds what the factor and the scale may see, so the backtest
    does not learn from the weeks it is scored on.
    """
    frame = frame.sort_values(["unique_id", "ds"], ignore_index=True)
    holiday = _holiday_mask(frame["ds"], holidays)
    week_ago = frame.groupby("unique_id", sort=False)["y"].shift(spec.weekly_season)
    week_ago_holiday = pd.Series(holiday).groupby(frame["unique_id"], sort=False).shift(spec.weekly_season)
    usable = (
        holiday
        & week_ago.notna().to_numpy()
        & ~week_ago_holiday.astype(float).fillna(1.0).to_numpy().astype(bool)
    )
    cleaned = frame["y"].to_numpy().copy()
    cleaned[usable] = week_ago.to_numpy()[usable]
    out = frame.assign(y_raw=frame["y"], y=cleaned, holiday=holiday)

    visible = out["ds"].to_numpy() <= out["unique_id"].map(fit_until).to_numpy()
    seen = out[visible]
    # Holiday factor: what holidays actually brought against the normal they replaced.
    on_holiday = seen[seen["holiday"].to_numpy() & usable[visible]]
    sums = on_holiday.groupby("unique_id")[["y_raw", "y"]].sum()
    factors = {
        key: float(np.clip(row.y_raw / row.y, 0.0, 2.0)) if row.y > 0 else 1.0 for key, row in sums.iterrows()
    }
    # MASE scale: in-sample MAE of the weekly seasonal naive on the raw history (the usual MASE).
    diffs = (seen["y_raw"] - seen.groupby("unique_id", sort=False)["y_raw"].shift(spec.weekly_season)).abs()
    scale = diffs.groupby(seen["unique_id"]).mean()
    scales = {key: float(v) if v and np.isfinite(v) and v > 0 else 1.0 for key, v in scale.items()}
    return _Prepared(frame=out, factors=factors, scales=scales)


def _adjust_holidays(
    result: pd.DataFrame,
    model_columns: Sequence[str],
    holidays: Iterable[date],
    mode: str,
    factors: Mapping[str, float],
) -> pd.DataFrame:
    """Holiday intervals of a forecast frame: scaled by the factor, or copied from a Sunday."""
    if mode == "none":
        return result
    mask = _holiday_mask(result["ds"], holidays)
    if not mask.any():
        return result
    result = result.copy()
    if mode == "factor":
        factor = result["unique_id"].map(factors).fillna(1.0).to_numpy()
        for column in model_columns:
            values = result[column].to_numpy(dtype=float)
            values[mask] = values[mask] * factor[mask]
            result[column] = values
        return result
    # "sunday": the same unique_id (and cutoff, in a backtest), same time of day, nearest Sunday.
    group_keys = ["unique_id"] + (["cutoff"] if "cutoff" in result.columns else [])
    ds = result["ds"]
    sundays = result[(ds.dt.dayofweek == 6).to_numpy() & ~mask]
    lookup = sundays.assign(tod=sundays["ds"].dt.time, day=sundays["ds"].dt.normalize())
    targets = result[mask].assign(
        tod=result.loc[mask, "ds"].dt.time, day=result.loc[mask, "ds"].dt.normalize()
    )
    merged = targets.reset_index().merge(
        lookup[[*group_keys, "tod", "day", *model_columns]], on=[*group_keys, "tod"], suffixes=("", "_sunday")
    )
    if merged.empty:
        return result
    merged["distance"] = (merged["day_sunday"] - merged["day"]).abs()
    nearest = merged.sort_values("distance").drop_duplicates("index").set_index("index")
    for column in model_columns:
        result.loc[nearest.index, column] = nearest[f"{column}_sunday"].to_numpy()
    return result


def _columns(name: str, levels: Sequence[int]) -> list[str]:
    return [name] + [f"{name}-{side}-{level}" for level in levels for side in ("lo", "hi")]


def forecast_many(
    series: Mapping[str, pd.Series],
    *,
    spec: SeriesSpec = HOURLY,
    holidays: Iterable[date] = (),
    holiday_mode: str = "factor",
    levels: Sequence[int] = DEFAULT_LEVELS,
    n_jobs: int = 1,
    backtest: bool = True,
) -> dict[str, Forecast]:
    """Forecast every series `spec.horizon` steps past its end, each with its chosen model.

    Series are regular (one value per `spec.freq` step, no gaps) and end at the same instant.
    """
    import time

    from statsforecast import StatsForecast

    if holiday_mode not in HOLIDAY_MODES:
        raise ForecastError(f"holiday_mode must be one of {HOLIDAY_MODES}, got {holiday_mode!r}")
    holidays = list(holidays)
    levels = sorted(levels)
    frame = to_frame(series)
    lengths = frame.groupby("unique_id").size()
    # Backtest horizon: production's, shortened when the history is short (the demo has months).
    span_needed = spec.backtest_span() + spec.training_steps // 2
    short = int(lengths.min())
    if short < 2 * spec.weekly_season:
        raise ForecastError(f"need at least two weeks of history, got {short} {spec.freq} steps")
    bt_horizon = (
        spec.horizon
        if short >= span_needed
        else max(
            spec.weekly_season,
            (short // 2) // spec.weekly_season * spec.weekly_season
            - (spec.backtest_windows - 1) * spec.backtest_step,
        )
    )
    bt_horizon = max(1, min(bt_horizon, spec.horizon))
    last = frame.groupby("unique_id")["ds"].max()
    step = pd.tseries.frequencies.to_offset(spec.freq)
    first_cutoff = last - step * spec.backtest_span(bt_horizon)
    run_backtest = backtest and short >= bt_horizon + 2 * spec.weekly_season

    # Holidays are cleaned and measured on the whole history (the recent weeks the models see
    # may hold none), then only the most recent weeks go to the models.
    prepared = _prepare(frame, spec, holidays, first_cutoff if run_backtest else last)
    keep = spec.training_steps + spec.backtest_span(bt_horizon)
    prepared.frame = prepared.frame.groupby("unique_id", sort=False).tail(keep).reset_index(drop=True)
    train = prepared.frame[["unique_id", "ds", "y"]]
    names = list(spec.candidates)
    if SEASONAL_NAIVE not in names:
        names.append(SEASONAL_NAIVE)

    mase: dict[str, dict[str, float]] = {}
    coverage: dict[str, dict[str, dict[int, float]]] = {}
    bt_seconds = 0.0
    if run_backtest:
        started = time.perf_counter()
        engine = StatsForecast(models=_models(spec, names), freq=spec.freq, n_jobs=n_jobs)
        cv = engine.cross_validation(
            df=train,
            h=bt_horizon,
            n_windows=spec.backtest_windows,
            step_size=spec.backtest_step,
            level=list(levels),
            refit=True,
        )
        bt_seconds = time.perf_counter() - started
        cv = cv.drop(columns=["y"]).merge(
            prepared.frame[["unique_id", "ds", "y_raw"]], on=["unique_id", "ds"]
        )
        all_columns = [c for name in names for c in _columns(name, levels)]
        cv = _adjust_holidays(cv, all_columns, holidays, holiday_mode, prepared.factors)
        cv[all_columns] = cv[all_columns].clip(lower=0)
        scale = cv["unique_id"].map(prepared.scales).to_numpy()
        errors = pd.DataFrame({"unique_id": cv["unique_id"]})
        for name in names:
            errors[name] = np.abs(cv["y_raw"].to_numpy() - cv[name].to_numpy()) / scale
            for level in levels:
                inside = (cv["y_raw"] >= cv[f"{name}-lo-{level}"]) & (cv["y_raw"] <= cv[f"{name}-hi-{level}"])
                errors[f"{name}@{level}"] = inside.to_numpy(dtype=float)
        means = errors.groupby("unique_id").mean()
        for key, row in means.iterrows():
            mase[key] = {name: float(row[name]) for name in names}
            coverage[key] = {
                name: {level: float(row[f"{name}@{level}"]) for level in levels} for name in names
            }

    # Only the chosen model is refitted for production, per series.
    chosen: dict[str, tuple[str, bool]] = {}
    for key in series:
        scores = mase.get(key)
        if not scores:
            candidate = names[0]
            chosen[key] = (candidate, candidate == SEASONAL_NAIVE)
            continue
        others = [n for n in names if n != SEASONAL_NAIVE]
        best = min(others, key=lambda n: scores[n]) if others else SEASONAL_NAIVE
        if best != SEASONAL_NAIVE and scores[best] < scores[SEASONAL_NAIVE]:
            chosen[key] = (best, False)
        else:
            chosen[key] = (SEASONAL_NAIVE, best != SEASONAL_NAIVE)

    results: dict[str, Forecast] = {}
    by_model: dict[str, list[str]] = {}
    for key, (model, _) in chosen.items():
        by_model.setdefault(model, []).append(key)
    for model, keys in by_model.items():
        subset = (
            train[train["unique_id"].isin(keys)].groupby("unique_id", sort=False).tail(spec.training_steps)
        )
        engine = StatsForecast(models=_models(spec, [model]), freq=spec.freq, n_jobs=n_jobs)
        out = engine.forecast(df=subset, h=spec.horizon, level=list(levels))
        out = _adjust_holidays(out, _columns(model, levels), holidays, holiday_mode, prepared.factors)
        for key, rows in out.groupby("unique_id", sort=False):
            rows = rows.sort_values("ds")
            fallback = chosen[key][1]
            bt = None
            if key in mase:
                bt = Backtest(
                    origins=spec.backtest_windows,
                    horizon=bt_horizon,
                    mase=mase[key],
                    coverage=coverage[key][model],
                    seconds=bt_seconds,
                )
            note = ""
            if fallback:
                best_other = min((n for n in names if n != SEASONAL_NAIVE), key=lambda n: mase[key][n])
                note = (
                    f"{best_other} did not beat seasonal naive in the backtest "
                    f"(MASE {mase[key][best_other]:.3f} vs {mase[key][SEASONAL_NAIVE]:.3f}): seasonal naive is used"
                )
            elif bt is None:
                note = "history too short for a backtest: accuracy unmeasured"
            results[key] = Forecast(
                key=key,
                timestamps=pd.DatetimeIndex(rows["ds"]),
                mean=rows[model].clip(lower=0).to_numpy(),
                lower={lv: rows[f"{model}-lo-{lv}"].clip(lower=0).to_numpy() for lv in levels},
                upper={lv: rows[f"{model}-hi-{lv}"].clip(lower=0).to_numpy() for lv in levels},
                model=model,
                fallback=fallback,
                backtest=bt,
                holiday_factor=prepared.factors.get(key, 1.0),
                note=note,
            )
    return results
