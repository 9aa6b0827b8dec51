"""The manager's planning pages. Desk: forecast with intervals, backtest accuracy, the staffing
heat map (hour x day: rostered against required), the worst gaps, what-if scenarios, and "plan
now". Field: jobs per skill forecast with intervals, backtest accuracy, technicians required
against rostered (skill x day heat map and daily lines), the largest shortfalls and the jobs the
roster cannot reach, and "plan field now"."""

from __future__ import annotations

from collections import defaultdict

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from steward.core import access
from steward.core.errors import ValidationFailed
from steward.core.views_kit import staff_page
from steward.planning import charts, field_capacity, selectors, services
from steward.planning.forms import ScenarioForm


def _selected_run(request: HttpRequest):
    run_id = request.GET.get("run")
    if run_id:
        return selectors.run_get(request.user, run_id)
    return selectors.latest_desk_run(request.user)


@staff_page
@require_safe
def planning_home(request: HttpRequest) -> HttpResponse:
    access.require_role(request.user, *services.PLANNERS)
    run = _selected_run(request)
    context: dict = {"run": run, "runs": selectors.runs_for(request.user).filter(kind="desk")[:10]}
    if run is not None:
        series = list(selectors.series_of(run))
        context["series"] = series
        hourly = [s for s in series if s.granularity == "hourly"]
        chosen = None
        if request.GET.get("series"):
            chosen = selectors.series_get(run, request.GET["series"])
        elif hourly:
            chosen = hourly[0]
        if chosen is not None:
            points = list(chosen.points.all())
            context["chosen"] = chosen
            context["chart"] = charts.band_chart(
                [p.interval_start.strftime("%a %d") for p in points],
                [p.mean for p in points],
                [p.lo_80 for p in points],
                [p.hi_80 for p in points],
                [p.lo_95 for p in points],
                [p.hi_95 for p in points],
                label_every=24 if chosen.granularity == "hourly" else 7,
            )
        context.update(_heat_map(run))
        context["scenarios"] = list(run.scenarios.order_by("-created_at")[:5])
        context["form"] = ScenarioForm()
    return render(request, "planning/home.html", context)


def _heat_map(run) -> dict:
    """Hour x day, all teams and channels summed: rostered - required per cell, and the worst."""
    cells: dict = defaultdict(lambda: [0, 0])
    for start, required, rostered in run.requirements.values_list("interval_start", "required", "rostered"):
        cell = cells[(start.date(), start.hour)]
        cell[0] += required
        cell[1] += rostered
    days = sorted({day for day, _ in cells})
    grid = []
    for hour in range(24):
        row = []
        for day in days:
            required, rostered = cells.get((day, hour), (0, 0))
            gap = rostered - required
            row.append(
                {
                    "required": required,
                    "rostered": rostered,
                    "gap": gap,
                    "colour": charts.heat_colour(gap, required),
                }
            )
        grid.append((hour, row))
    worst = sorted(
        (
            (rostered - required, day, hour, required, rostered)
            for (day, hour), (required, rostered) in cells.items()
        ),
    )[:10]
    return {"heat_days": days, "heat_grid": grid, "worst_gaps": [w for w in worst if w[0] < 0]}


@staff_page
@require_POST
def plan_now(request: HttpRequest) -> HttpResponse:
    try:
        run = services.plan_desk(actor=request.user)
    except ValidationFailed as exc:
        messages.error(request, exc.message)
        return redirect("planning:home")
    messages.success(request, f"Planned: {run.summary.get('series', 0)} series")
    return redirect(f"/planning/?run={run.pk}")


@staff_page
@require_POST
def scenario_create(request: HttpRequest, run_id: int) -> HttpResponse:
    run = selectors.run_get(request.user, run_id)
    form = ScenarioForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
        return redirect(f"/planning/?run={run.pk}")
    changes = {k: v for k, v in form.cleaned_data.items() if v is not None}
    try:
        services.scenario_create(actor=request.user, base_run=run, changes=changes)
    except ValidationFailed as exc:
        messages.error(request, exc.message)
    return redirect(f"/planning/?run={run.pk}#what-if")


# --- field work ----------------------------------------------------------------------------------

OTHER_RUNS = 10


def _whole(value: str | None, default: int) -> int:
    try:
        return int(value) if value else default
    except ValueError:
        return default


@staff_page
@require_safe
def field_home(request: HttpRequest) -> HttpResponse:
    access.require_role(request.user, *services.PLANNERS)
    run_id = request.GET.get("run")
    run = (
        selectors.field_run_get(request.user, run_id) if run_id else selectors.latest_field_run(request.user)
    )
    context: dict = {"run": run}
    if run is None:
        return render(request, "planning/field.html", context)
    context["runs"] = list(selectors.field_runs_for(request.user).exclude(pk=run.pk)[:OTHER_RUNS])
    params = run.parameters
    series = list(selectors.field_series_of(run))
    chosen = None
    if request.GET.get("skill"):
        chosen = selectors.field_series_get(run, request.GET["skill"])
    elif series:
        chosen = series[0]
    if chosen is not None:
        points = list(chosen.points.all())
        context["chart"] = charts.band_chart(
            [p.interval_start.strftime("%d %b") for p in points],
            [p.mean for p in points],
            [p.lo_80 for p in points],
            [p.hi_80 for p in points],
            [p.lo_95 for p in points],
            [p.hi_95 for p in points],
            label_every=7,
        )
    capacity = field_capacity.field_capacity(
        selectors.field_requirement_rows(run),
        mean_job_hours=params.get("mean_job_hours", {}),
        travel_hours_per_job=float(params.get("travel_hours_per_job", 0)),
        productive_hours_per_shift=float(params.get("productive_hours_per_shift", 1)),
        shrinkage=float(params.get("shrinkage", 0)),
    )
    context.update(
        series=series,
        chosen=chosen,
        capacity=capacity,
        heat=capacity.heat_window(_whole(request.GET.get("weeks"), 1)),
        lines=charts.required_rostered_chart(
            [d.day.strftime("%d %b") for d in capacity.days],
            [d.required for d in capacity.days],
            [d.rostered for d in capacity.days],
        ),
        mean_job_hours=sorted(params.get("mean_job_hours", {}).items()),
        areas=_area_rows(run),
    )
    return render(request, "planning/field.html", context)


def _area_rows(run) -> list[dict]:
    """Per area: forecast jobs and hours of work over the next week and four weeks."""
    hours_per_job = run.parameters.get("mean_job_hours_by_area", {})
    rows = []
    for s in selectors.field_area_series_of(run):
        means = [p.mean for p in s.points.all()]
        per_job = float(hours_per_job.get(s.area, 0.0))
        week, month = sum(means[:7]), sum(means[:28])
        rows.append({"series": s, "jobs_7": week, "hours_7": week * per_job, "jobs_28": month,
                     "hours_28": month * per_job, "hours_per_job": per_job})  # fmt: skip
    return rows


@staff_page
@require_POST
def field_plan_now(request: HttpRequest) -> HttpResponse:
    try:
        run = services.plan_field(actor=request.user)
    except ValidationFailed as exc:
        messages.error(request, f"Field work not planned: {exc.message}")
        return redirect("planning:field")
    skills = run.summary.get("skills", 0)
    messages.success(request, f"Planned field work: {skills} skill{'' if skills == 1 else 's'}")
    return redirect(f"{reverse('planning:field')}?run={run.pk}")
