from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

from steward.core.api_kit import Id


class KpiOut(Schema):
    name: str
    title: str
    meaning: str
    formula: str
    unit: str
    higher_is_better: bool
    rows: str = Field(description="the rows the KPI counts")
    kind: str
    breakdowns: list[str]
    available: bool
    reason: str


class PointOut(Schema):
    bucket: dt.date = Field(description="the local date the bucket starts on")
    start: dt.datetime
    end: dt.datetime
    value: float | None = Field(description="null when the bucket has nothing to count")
    counts: dict[str, Any] = Field(description="the aggregated counts the value is computed from")


class LineOut(Schema):
    group: Any = Field(description="the breakdown's key (an id, a priority, a channel); null for all or none")
    label: str
    points: list[PointOut]


class SeriesOut(Schema):
    kpi: str
    title: str
    unit: str
    higher_is_better: bool
    bucket: str
    by: str | None
    from_: dt.date = Field(alias="from")
    to: dt.date
    available: bool
    reason: str
    lines: list[LineOut]


class SeriesParamsIn(Schema):
    """The series' period, bucket and breakdown; each dimension is also a filter (e.g. team=3)."""

    from_: dt.date | None = Field(None, alias="from", description="first local date (default: 12 weeks ago)")
    to: dt.date | None = Field(None, description="last local date, inclusive (default: today)")
    bucket: Literal["day", "week", "month", "quarter", "year"] = "week"
    by: Literal["team", "agent", "technician", "service", "account", "priority", "channel"] | None = None
    team: str | None = None
    agent: str | None = None
    technician: str | None = None
    service: str | None = None
    account: str | None = None
    priority: str | None = None
    channel: str | None = None


class RowsParamsIn(SeriesParamsIn):
    at: dt.date | None = Field(
        None, description="the bucket (its first local date); default: the whole series"
    )
    group: str | None = Field(None, description="the breakdown's group (an id, a value, or 'none')")
    numerator: bool = Field(False, description="only the rows of the numerator (e.g. the satisfied answers)")


class RowsOut(Schema):
    kpi: str
    columns: list[str]
    items: list[dict[str, Any]]
    count: int
    limit: int
    offset: int


class ChartPointOut(Schema):
    bucket: dt.date
    value: float | None
    lcl: float | None
    ucl: float | None
    beyond_limits: bool
    eight_in_a_row: bool


class ControlChartOut(Schema):
    kind: Literal["xmr", "p"]
    centre: float | None
    points: list[ChartPointOut]
    moving_range_centre: float | None
    moving_range_ucl: float | None


class ParetoBarOut(Schema):
    category: str
    count: int
    share: float
    cumulative: float
    vital: bool = Field(description="inside the 80 % cut")


class GoalOut(Schema):
    id: int
    name: str
    kpi: str
    comparator: Literal["gte", "lte"]
    target: float
    period: Literal["week", "month", "quarter", "year"]
    team_id: int | None
    service_id: int | None
    is_active: bool


class GoalIn(Schema):
    name: str = Field(min_length=1, max_length=120)
    kpi: str
    comparator: Literal["gte", "lte"] = "gte"
    target: float
    period: Literal["week", "month", "quarter", "year"] = "month"
    team_id: Id | None = None
    service_id: Id | None = None
    is_active: bool = True


class GoalPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=120)
    kpi: str | None = None
    comparator: Literal["gte", "lte"] | None = None
    target: float | None = None
    period: Literal["week", "month", "quarter", "year"] | None = None
    team_id: Id | None = None
    service_id: Id | None = None
    is_active: bool | None = None


class TrendPointOut(Schema):
    period: dt.date
    value: float | None


class GoalStatusOut(Schema):
    goal: GoalOut
    unit: str
    period_start: dt.date
    period_end: dt.date
    actual: float | None
    actual_counts: dict[str, Any]
    trend: list[TrendPointOut]
    projected: float | None
    meets_now: bool | None
    on_track: bool | None
    status: Literal["on track", "off track", "no data"]
