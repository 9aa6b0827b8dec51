"""Planning reads: managers and admins only. Other staff and customer users get 403 for the
collections and 404 for a single run (its existence is not theirs to know)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import QuerySet

from steward.core import access
from steward.core.errors import Forbidden, NotFound
from steward.planning.models import ForecastSeries, PlanningRun, RunKind, RunStatus, StaffingRequirement
from steward.planning.services import PLANNERS


def is_planner(user: Any) -> bool:
    return access.is_staff(user) and user.has_role(*PLANNERS)


def runs_for(user: Any) -> QuerySet[PlanningRun]:
    access.require_role(user, *PLANNERS)
    return PlanningRun.objects.select_related("created_by")


def run_get(user: Any, pk: Any) -> PlanningRun:
    access.require_authenticated(user)
    if not is_planner(user):
        raise NotFound("planning run not found")
    return access.get_or_404(PlanningRun.objects.all(), pk=pk)


def latest_desk_run(user: Any) -> PlanningRun | None:
    return runs_for(user).filter(kind="desk", status="done").first()


def field_runs_for(user: Any) -> QuerySet[PlanningRun]:
    return runs_for(user).filter(kind=RunKind.FIELD, status=RunStatus.DONE)


def latest_field_run(user: Any) -> PlanningRun | None:
    return field_runs_for(user).first()


def field_run_get(user: Any, pk: Any) -> PlanningRun:
    """A finished field run; a desk or scenario run, or one still running, is not found here."""
    access.require_authenticated(user)
    if not is_planner(user):
        raise NotFound("planning run not found")
    return access.get_or_404(PlanningRun.objects.filter(kind=RunKind.FIELD, status=RunStatus.DONE), pk=pk)


def field_series_of(run: PlanningRun) -> QuerySet[ForecastSeries]:
    """A field run's forecast series, one per skill, by skill."""
    return run.series.exclude(skill="").order_by("skill", "id")


def field_area_series_of(run: PlanningRun) -> QuerySet[ForecastSeries]:
    """A field run's forecast series by area (where the work will be), by area."""
    return run.series.exclude(area="").prefetch_related("points").order_by("area", "id")


def field_series_get(run: PlanningRun, skill: str) -> ForecastSeries:
    series = field_series_of(run).filter(skill=skill).first()
    if series is None:
        raise NotFound("forecast series not found")
    return series


def field_requirement_rows(run: PlanningRun) -> list[tuple[str, date, float, int, int]]:
    """(skill, day, forecast jobs, required, rostered) of a field run, by skill and day."""
    rows = (
        run.requirements.exclude(skill="")
        .order_by("skill", "interval_start", "id")
        .values_list("skill", "interval_start", "arrivals", "required", "rostered")
    )
    return [
        (skill, start.date(), arrivals, required, rostered)
        for skill, start, arrivals, required, rostered in rows
    ]


def series_of(run: PlanningRun, *, granularity: str | None = None) -> QuerySet[ForecastSeries]:
    qs = run.series.select_related("team").order_by("team__name", "channel", "granularity", "id")
    return qs.filter(granularity=granularity) if granularity else qs


def series_get(run: PlanningRun, pk: Any) -> ForecastSeries:
    try:
        return run.series.select_related("team").get(pk=pk)
    except (ForecastSeries.DoesNotExist, ValueError, TypeError):
        raise NotFound("forecast series not found") from None


def requirements_of(
    run: PlanningRun, *, team_id: int | None = None, channel: str = ""
) -> QuerySet[StaffingRequirement]:
    qs = run.requirements.select_related("team").order_by("interval_start", "team__name", "channel", "id")
    if team_id is not None:
        qs = qs.filter(team_id=team_id)
    if channel:
        qs = qs.filter(channel=channel)
    return qs


__all__ = [
    "Forbidden",
    "field_requirement_rows",
    "field_run_get",
    "field_runs_for",
    "field_series_get",
    "field_series_of",
    "is_planner",
    "latest_desk_run",
    "latest_field_run",
    "requirements_of",
    "run_get",
    "runs_for",
    "series_of",
]
