"""Request and response shapes of the dispatch API (/api/v1/dispatch/)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Schema
from pydantic import Field

from steward.core.api_kit import Id


class PlanIn(Schema):
    horizon_start: dt.date
    days: int = Field(default=1, ge=1, le=5)
    time_limit: int | None = Field(default=None, ge=1, le=3600, description="seconds; default from settings")
    seed: int = Field(default=0, ge=0, le=2**31 - 1)


class PlanOut(Schema):
    id: int
    horizon_start: dt.date
    days: int
    status: str
    time_limit_seconds: int
    progress: int
    best_cost: int | None
    cost: int | None
    travel_seconds: int
    travel_meters: int
    jobs_planned: int
    jobs_unplanned: int
    utilisation: float
    overtime_seconds: int
    lateness_seconds: int
    late_jobs: int
    error: str
    created_at: dt.datetime
    optimised_at: dt.datetime | None
    published_at: dt.datetime | None


class ProgressOut(Schema):
    id: int
    status: str
    progress: int
    best_cost: int | None
    error: str


class VisitOut(Schema):
    work_order_id: int
    number: str
    sequence: int
    arrival_at: dt.datetime
    start_at: dt.datetime
    end_at: dt.datetime
    travel_seconds: int
    travel_meters: int
    late_seconds: int


class RouteOut(Schema):
    shift: str
    technician_id: int
    technician: str
    day: dt.date
    shift_start: dt.datetime
    shift_end: dt.datetime
    depart_at: dt.datetime | None
    arrive_at: dt.datetime | None
    break_start: dt.datetime | None
    break_minutes: int
    travel_seconds: int
    travel_meters: int
    overtime_seconds: int
    visits: list[VisitOut]


class UnplannedOut(Schema):
    work_order_id: int
    number: str
    reason: str
    detail: str


class ChangeOut(Schema):
    at: dt.datetime
    kind: str
    summary: str
    moves: list


class PlanDetailOut(PlanOut):
    routes: list[RouteOut]
    unplanned: list[UnplannedOut]
    changes: list[ChangeOut]
    engine_stats: dict


class MoveIn(Schema):
    work_order_id: Id
    action: Literal["assign", "unassign"] = "assign"
    technician_id: Id | None = None
    day: dt.date | None = None
    position: int | None = Field(default=None, ge=0, le=500, description="0-based; empty: the best place")


class UrgentIn(Schema):
    work_order_id: Id
    publish: bool = False
    time_limit: int = Field(default=5, ge=1, le=120)


class SlotOut(Schema):
    start: dt.datetime
    end: dt.datetime
    technician_id: int | None
    technician_name: str


class BookIn(Schema):
    start: dt.datetime
    end: dt.datetime
    technician_id: Id | None = None


class BookedOut(Schema):
    work_order_id: int
    number: str
    window_kind: str
    window_start: dt.datetime | None
    window_end: dt.datetime | None
    pinned_technician_id: int | None
