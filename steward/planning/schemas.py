from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ninja import Field, Schema


class RunIn(Schema):
    plan_date: date | None = Field(default=None, description="first day planned (default: today, UTC)")
    parameters: dict[str, Any] = Field(
        default_factory=dict,
        description="overrides: service_level, shrinkage, max_occupancy, history_days, holiday_mode, channels",
    )


class RunOut(Schema):
    id: int
    kind: str
    trigger: str
    plan_date: date
    status: str
    parameters: dict[str, Any]
    summary: dict[str, Any]
    base_run_id: int | None
    created_at: datetime
    finished_at: datetime | None


class ForecastSeriesOut(Schema):
    id: int
    team_id: int | None
    channel: str
    skill: str
    area: str
    granularity: str
    model: str
    fallback: bool
    mase: float | None
    mase_naive: float | None
    coverage_80: float | None
    coverage_95: float | None
    note: str


class ForecastPointOut(Schema):
    interval_start: datetime
    mean: float
    lo_80: float
    hi_80: float
    lo_95: float
    hi_95: float


class SeriesDetailOut(ForecastSeriesOut):
    points: list[ForecastPointOut]

    @staticmethod
    def resolve_points(obj) -> list:
        return list(obj.points.all())


class RequirementOut(Schema):
    interval_start: datetime
    team_id: int | None
    channel: str
    skill: str
    arrivals: float
    required: int
    rostered: int
    gap: int
    expected_service_level: float | None


class RequirementFilters(Schema):
    team_id: int | None = None
    channel: str = ""


class ScenarioIn(Schema):
    arrivals_factor: float = Field(
        default=1.0, gt=0, le=10, description="arrivals x this (a campaign, a season)"
    )
    aht_factor: float = Field(default=1.0, gt=0, le=10, description="handling time x this")
    service_level: float | None = Field(default=None, gt=0, lt=1, description="another service-level target")
    headcount_delta: int = Field(
        default=0, ge=-1000, le=1000, description="heads added (or removed) every interval"
    )
    team_id: int | None = None
    channel: str | None = None
