"""Planning endpoints: runs (desk plans and what-if scenarios), their forecasts and requirements.
Managers and admins only (planning.selectors)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Status

from steward.core.api_kit import ERRORS, Id, Page, PageParams, paginate
from steward.planning import selectors, services
from steward.planning.schemas import (
    ForecastSeriesOut,
    RequirementFilters,
    RequirementOut,
    RunIn,
    RunOut,
    ScenarioIn,
    SeriesDetailOut,
)

router = Router(tags=["planning"])


@router.get("/runs", response={200: Page[RunOut], **ERRORS})
def list_runs(request: HttpRequest, page: Query[PageParams]):
    """Planning runs, newest first."""
    return paginate(selectors.runs_for(request.user), page)


@router.post("/runs", response={201: RunOut, **ERRORS})
def create_run(request: HttpRequest, body: RunIn):
    """Plan the desk now: forecast, staff, hold against the roster; stored with its parameters."""
    run = services.plan_desk(actor=request.user, plan_date=body.plan_date, parameters=body.parameters)
    return Status(201, run)


@router.get("/runs/{run_id}", response={200: RunOut, **ERRORS})
def get_run(request: HttpRequest, run_id: Id):
    return selectors.run_get(request.user, run_id)


@router.get("/runs/{run_id}/forecasts", response={200: list[ForecastSeriesOut], **ERRORS})
def list_forecasts(request: HttpRequest, run_id: Id):
    """The run's forecast series with their model and backtest accuracy (MASE, coverage)."""
    return list(selectors.series_of(selectors.run_get(request.user, run_id)))


@router.get("/runs/{run_id}/forecasts/{series_id}", response={200: SeriesDetailOut, **ERRORS})
def get_forecast(request: HttpRequest, run_id: Id, series_id: Id):
    """One series with its points and 80%/95% intervals."""
    return selectors.series_get(selectors.run_get(request.user, run_id), series_id)


@router.get("/runs/{run_id}/requirements", response={200: Page[RequirementOut], **ERRORS})
def list_requirements(
    request: HttpRequest, run_id: Id, filters: Query[RequirementFilters], page: Query[PageParams]
):
    """Required against rostered heads per interval (gap = rostered - required)."""
    run = selectors.run_get(request.user, run_id)
    return paginate(selectors.requirements_of(run, team_id=filters.team_id, channel=filters.channel), page)


@router.post("/runs/{run_id}/scenarios", response={201: RunOut, **ERRORS})
def create_scenario(request: HttpRequest, run_id: Id, body: ScenarioIn):
    """A what-if on a desk run, side by side with its baseline, both checked by simulation."""
    run = selectors.run_get(request.user, run_id)
    changes = body.dict(exclude_none=True)
    return Status(201, services.scenario_create(actor=request.user, base_run=run, changes=changes))
