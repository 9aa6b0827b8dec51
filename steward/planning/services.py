"""Planning writes: desk planning runs (on demand and nightly) and what-if scenarios.

The heavy part (forecasting, queueing) is pure and runs before the transaction opens; the run, its
forecasts and requirements are then written in one transaction with the audit event, so a run is
stored whole, with the parameters that made it, or not at all."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from django.db import IntegrityError, transaction
from django.utils import timezone

from steward.core import access, audit
from steward.core.errors import ValidationFailed
from steward.core.services import create_audited
from steward.planning import forecast, history, plan, staffing
from steward.planning.models import (
    AgentShift,
    ForecastPoint,
    ForecastSeries,
    PlanningRun,
    RunKind,
    RunStatus,
    RunTrigger,
    StaffingRequirement,
)
from steward.planning.simulation import Scenario, simulate

PLANNERS = ("manager", "admin")
HISTORY_DAYS = 182
MIN_TICKETS = 50  # a team x channel with fewer tickets in the history window is not forecast


MIN_HISTORY_DAYS = 28
MAX_HISTORY_DAYS = 3 * 366
EARLIEST_PLAN_DATE = date(2000, 1, 1)
PLAN_AHEAD_DAYS = 5 * 366  # a plan further ahead than this is a typo, not a plan
DESK_NUMBERS = ("service_level", "shrinkage", "max_occupancy", "history_days")
CHANNEL_NUMBERS = ("aht_seconds", "sla_hours", "patience_seconds", "target_seconds")


def _number(field: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationFailed.for_field(field, f"{field} must be a number")
    return float(value)


def _plan_date(plan_date: date | None, now: datetime) -> date:
    today = now.astimezone(UTC).date()
    if plan_date is None:
        return today
    if not EARLIEST_PLAN_DATE <= plan_date <= today + timedelta(days=PLAN_AHEAD_DAYS):
        raise ValidationFailed.for_field(
            "plan_date", f"plan_date must be from {EARLIEST_PLAN_DATE} to five years from today"
        )
    return plan_date


def _history_days(value: Any) -> int:
    days = _number("history_days", value)
    if days != int(days) or not MIN_HISTORY_DAYS <= days <= MAX_HISTORY_DAYS:
        raise ValidationFailed.for_field(
            "history_days",
            f"history_days must be a whole number from {MIN_HISTORY_DAYS} to {MAX_HISTORY_DAYS}",
        )
    return int(days)


def _channels(overrides: Any) -> dict:
    if not isinstance(overrides, dict):
        raise ValidationFailed.for_field("channels", "channels must map a channel name to its settings")
    for name, settings in overrides.items():
        if not isinstance(settings, dict):
            raise ValidationFailed.for_field("channels", f"channels.{name} must be an object of settings")
        for key, value in settings.items():
            if key in CHANNEL_NUMBERS and _number(f"channels.{name}.{key}", value) <= 0:
                raise ValidationFailed.for_field("channels", f"channels.{name}.{key} must be positive")
    try:
        return {
            name: plan.channel_settings(name, overrides)
            for name in set(plan.DEFAULT_CHANNELS) | set(overrides)
        }
    except staffing.StaffingError as exc:
        raise ValidationFailed.for_field("channels", str(exc)) from None


def _parameters(parameters: dict | None) -> dict:
    """The desk run's parameters: the defaults with the caller's overrides, every one checked.
    The interval is the forecast's (an hour) and not a parameter: the arrivals are hourly."""
    merged = dict(plan.DEFAULTS) | {"history_days": HISTORY_DAYS, "holiday_mode": "factor", "channels": {}}
    for key, value in (parameters or {}).items():
        if key not in merged or key == "interval_seconds":
            raise ValidationFailed.for_field(key, f"unknown planning parameter {key!r}")
        merged[key] = value
    for field in DESK_NUMBERS:
        _number(field, merged[field])
    merged["history_days"] = _history_days(merged["history_days"])
    merged["channels"] = _channels(merged["channels"])
    for field in ("service_level", "shrinkage"):
        if not 0 <= float(merged[field]) < 1:
            raise ValidationFailed.for_field(field, f"{field} must be a share between 0 and 1")
    if not 0 < float(merged["max_occupancy"]) <= 1:
        raise ValidationFailed.for_field("max_occupancy", "max_occupancy must be in (0, 1]")
    if merged["holiday_mode"] not in forecast.HOLIDAY_MODES:
        raise ValidationFailed.for_field(
            "holiday_mode", f"holiday_mode must be one of {forecast.HOLIDAY_MODES}"
        )
    return merged


def _compute_desk(plan_date: date, params: dict) -> dict:
    """Everything a desk run stores, computed without writing: forecasts and requirements."""
    end = datetime.combine(plan_date, datetime.min.time(), tzinfo=UTC)
    start = end - timedelta(days=int(params["history_days"]))
    arrivals = {
        k: s for k, s in history.desk_arrivals(start=start, end=end).items() if s.sum() >= MIN_TICKETS
    }
    if not arrivals:
        raise ValidationFailed.for_field(
            "plan_date", "no team and channel has enough ticket history to forecast"
        )
    keys = {f"{team}|{channel}": (team, channel) for team, channel in arrivals}
    holidays = history.desk_holidays()
    params["holidays"] = [d.isoformat() for d in holidays if start.date() <= d]
    try:
        hourly = forecast.forecast_many(
            {name: arrivals[pair] for name, pair in keys.items()},
            spec=forecast.HOURLY,
            holidays=holidays,
            holiday_mode=params["holiday_mode"],
        )
        daily = forecast.forecast_many(
            {name: arrivals[pair].resample("D").sum() for name, pair in keys.items()},
            spec=forecast.DAILY,
            holidays=holidays,
            holiday_mode=params["holiday_mode"],
        )
    except forecast.ForecastError as exc:
        raise ValidationFailed.for_field("history_days", str(exc)) from None
    horizon_end = end + timedelta(days=forecast.HOURLY.horizon // 24)
    shifts = history.agent_shifts(start=end, end=horizon_end)
    requirements = []
    for name, result in hourly.items():
        team, channel = keys[name]
        starts = [ts.to_pydatetime() for ts in result.timestamps]
        rostered = plan.heads_per_interval(shifts.get(team, []), starts, params["interval_seconds"])
        needs = plan.staff_intervals(
            arrivals=[float(x) for x in result.mean],
            rostered=rostered,
            channel=params["channels"][channel],
            service_level=float(params["service_level"]),
            shrinkage=float(params["shrinkage"]),
            max_occupancy=float(params["max_occupancy"]),
            interval_seconds=float(params["interval_seconds"]),
        )
        requirements += [(team, channel, start, need) for start, need in zip(starts, needs, strict=True)]
    return {"keys": keys, "hourly": hourly, "daily": daily, "requirements": requirements}


def _series_row(
    run: PlanningRun, result: forecast.Forecast, team, channel, granularity: str
) -> ForecastSeries:
    bt = result.backtest
    return ForecastSeries(
        run=run,
        team_id=team,
        channel=channel,
        granularity=granularity,
        model=result.model,
        fallback=result.fallback,
        mase=None if bt is None else round(result.mase, 4),
        mase_naive=None if bt is None else round(bt.mase[forecast.SEASONAL_NAIVE], 4),
        coverage_80=None if bt is None else round(bt.coverage[80], 4),
        coverage_95=None if bt is None else round(bt.coverage[95], 4),
        note=result.note,
    )


def _points(series: ForecastSeries, result: forecast.Forecast) -> list[ForecastPoint]:
    return [
        ForecastPoint(
            series=series,
            interval_start=_aware(ts),
            mean=float(result.mean[i]),
            lo_80=float(result.lower[80][i]),
            hi_80=float(result.upper[80][i]),
            lo_95=float(result.lower[95][i]),
            hi_95=float(result.upper[95][i]),
        )
        for i, ts in enumerate(result.timestamps)
    ]


def _aware(ts) -> datetime:
    return pd.Timestamp(ts).to_pydatetime().replace(tzinfo=UTC)


def _store_desk(run: PlanningRun, computed: dict) -> dict:
    points = []
    for granularity, results in (("hourly", computed["hourly"]), ("daily", computed["daily"])):
        for name, result in results.items():
            team, channel = computed["keys"][name]
            series = _series_row(run, result, team, channel, granularity)
            series.save()
            points += _points(series, result)
    ForecastPoint.objects.bulk_create(points, batch_size=2000)
    StaffingRequirement.objects.bulk_create(
        [
            StaffingRequirement(
                run=run,
                team_id=team,
                channel=channel,
                interval_start=_aware(start),
                arrivals=round(need.arrivals, 3),
                required=need.required,
                rostered=need.rostered,
                expected_service_level=need.expected_service_level,
            )
            for team, channel, start, need in computed["requirements"]
        ],
        batch_size=2000,
    )
    needs = [need for *_, need in computed["requirements"]]
    hourly = list(computed["hourly"].values())
    return {
        "series": len(hourly),
        "fell_back": sum(1 for r in hourly if r.fallback),
        "mean_mase": _mean([r.mase for r in hourly if r.backtest]),
        "required_hours": sum(n.required for n in needs),
        "rostered_hours": sum(n.rostered for n in needs),
        "short_intervals": sum(1 for n in needs if n.rostered < n.required),
    }


def _mean(values) -> float | None:
    values = [v for v in values if v is not None and np.isfinite(v)]
    return round(float(np.mean(values)), 4) if values else None


def plan_desk(
    *,
    actor: Any,
    plan_date: date | None = None,
    parameters: dict | None = None,
    trigger: str = RunTrigger.ON_DEMAND,
    now: datetime | None = None,
    claimed: PlanningRun | None = None,
) -> PlanningRun:
    """Forecast every team x channel 14 days hourly (and 13 weeks daily), staff each hour, hold it
    against the agents' roster, and store it all with the parameters used. `claimed`: the nightly
    job's row, inserted before the work so that no second worker repeats it."""
    if trigger == RunTrigger.ON_DEMAND:
        access.require_role(actor, *PLANNERS)
    now = now or timezone.now()
    plan_date = _plan_date(plan_date, now)
    params = _parameters(parameters)
    computed = _compute_desk(plan_date, params)
    with transaction.atomic():
        if claimed is not None:
            run = claimed
            run.parameters = params
        else:
            run = PlanningRun(
                kind=RunKind.DESK,
                trigger=trigger,
                plan_date=plan_date,
                parameters=params,
                created_by=actor if getattr(actor, "is_authenticated", False) else None,
                created_at=now,
            )
            run.full_clean()
            run.save(force_insert=True)
        run.summary = _store_desk(run, computed)
        run.status = RunStatus.DONE
        run.finished_at = timezone.now()
        run.save(update_fields=["parameters", "summary", "status", "finished_at"])
        audit.record(
            actor=actor,
            action="planning.run",
            obj=run,
            changes={"kind": run.kind, "trigger": trigger, "plan_date": str(plan_date)},
            actor_label="" if getattr(actor, "is_authenticated", False) else "worker",
        )
    return run


def plan_nightly(*, now: datetime | None = None) -> PlanningRun | None:
    """The worker's nightly desk plan for today, at most once per date however many workers try:
    the first to insert today's nightly row (a partial unique constraint on (kind, plan_date))
    does the work; the others' inserts fail and they return None. A plan that cannot be made
    (no history yet) leaves the row failed with the reason, so it is not retried every tick."""
    now = now or timezone.now()
    today = now.astimezone(UTC).date()
    try:
        with transaction.atomic():
            claimed = PlanningRun.objects.create(
                kind=RunKind.DESK, trigger=RunTrigger.NIGHTLY, plan_date=today, created_at=now
            )
    except IntegrityError:
        return None
    try:
        return plan_desk(actor=None, plan_date=today, trigger=RunTrigger.NIGHTLY, now=now, claimed=claimed)
    except Exception as exc:
        PlanningRun.objects.filter(pk=claimed.pk).update(
            status=RunStatus.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        raise


# --- field work ----------------------------------------------------------------------------------

FIELD_DEFAULTS = {
    "history_days": HISTORY_DAYS,
    # Travel per job, hours: unless the caller sets it, the mean travel leg the published dispatch
    # plans of the history window scheduled (MIN_TRAVEL_JOBS of them at least); this default only
    # when there are none. The run stores which it used.
    "travel_hours_per_job": 0.5,
    "productive_hours_per_shift": 7.0,
    "shrinkage": 0.15,
}
MIN_JOBS = 20
MIN_TRAVEL_JOBS = 20


def plan_field(
    *, actor: Any, plan_date: date | None = None, parameters: dict | None = None, now: datetime | None = None
) -> PlanningRun:
    """Forecast work orders per skill per day for 13 weeks; technicians needed per skill and day
    (jobs x (mean duration + travel) / productive hours, grossed up for shrinkage) against the
    technicians rostered (shift patterns minus absences) who hold the skill."""
    access.require_role(actor, *PLANNERS)
    now = now or timezone.now()
    plan_date = _plan_date(plan_date, now)
    params = dict(FIELD_DEFAULTS)
    for key, value in (parameters or {}).items():
        if key not in params:
            raise ValidationFailed.for_field(key, f"unknown planning parameter {key!r}")
        if _number(key, value) < 0:  # a bool is not a number here either
            raise ValidationFailed.for_field(key, f"{key} must be a number, zero or more")
        params[key] = value
    params["history_days"] = _history_days(params["history_days"])
    if not 0 <= params["shrinkage"] < 1:
        raise ValidationFailed.for_field("shrinkage", "shrinkage must be a share between 0 and 1")
    if params["productive_hours_per_shift"] <= 0:
        raise ValidationFailed.for_field(
            "productive_hours_per_shift", "productive_hours_per_shift must be positive"
        )
    end = datetime.combine(plan_date, datetime.min.time(), tzinfo=UTC)
    start = end - timedelta(days=int(params["history_days"]))
    params["travel_source"] = "parameter"
    if "travel_hours_per_job" not in (parameters or {}):
        travel, legs = history.planned_travel(start=start, end=end)
        if travel is not None and legs >= MIN_TRAVEL_JOBS:
            params["travel_hours_per_job"] = round(travel, 3)
            params["travel_source"] = f"dispatch plans: mean of {legs} planned legs"
    jobs, mean_hours = history.field_jobs(start=start, end=end)
    jobs = {skill: series for skill, series in jobs.items() if series.sum() >= MIN_JOBS}
    if not jobs:
        raise ValidationFailed.for_field("plan_date", "no skill has enough work-order history to forecast")
    by_area, area_hours = history.field_work_by_area(start=start, end=end)
    by_area = {area: series for area, series in by_area.items() if series.sum() >= MIN_JOBS}
    try:
        results = forecast.forecast_many(jobs, spec=forecast.DAILY)
        area_results = forecast.forecast_many(by_area, spec=forecast.DAILY) if by_area else {}
    except forecast.ForecastError as exc:
        raise ValidationFailed.for_field("history_days", str(exc)) from None
    days = [ts.date() for ts in next(iter(results.values())).timestamps]
    on_shift = history.technicians_on_shift(days=days)
    skills_of = history.technician_skills()
    with transaction.atomic():
        run = PlanningRun(
            kind=RunKind.FIELD,
            plan_date=plan_date,
            parameters=params
            | {
                "mean_job_hours": mean_hours,
                "mean_job_hours_by_area": {a: area_hours[a] for a in area_results},
            },
            created_by=actor,
            created_at=now,
        )
        run.full_clean()
        run.save(force_insert=True)
        requirements = []
        for area, result in area_results.items():  # where the work will be: a forecast, not staffed
            series = _series_row(run, result, None, "", "daily")
            series.area = area
            series.save()
            ForecastPoint.objects.bulk_create(_points(series, result))
        for skill, result in results.items():
            series = _series_row(run, result, None, "", "daily")
            series.skill = skill
            series.save()
            ForecastPoint.objects.bulk_create(_points(series, result))
            for i, day in enumerate(days):
                need = staffing.field_requirement(
                    skill=skill,
                    jobs=float(result.mean[i]),
                    mean_job_hours=mean_hours[skill],
                    travel_hours_per_job=float(params["travel_hours_per_job"]),
                    productive_hours_per_shift=float(params["productive_hours_per_shift"]),
                    shrinkage=float(params["shrinkage"]),
                )
                rostered = sum(1 for tech in on_shift.get(day, ()) if skill in skills_of.get(tech, ()))
                requirements.append(
                    StaffingRequirement(
                        run=run,
                        skill=skill,
                        interval_start=_aware(result.timestamps[i]),
                        arrivals=round(need.jobs, 3),
                        required=need.technicians,
                        rostered=rostered,
                    )
                )
        StaffingRequirement.objects.bulk_create(requirements, batch_size=2000)
        run.summary = {
            "skills": len(results),
            "areas": len(area_results),
            "fell_back": sum(1 for r in results.values() if r.fallback),
            "required_technician_days": sum(r.required for r in requirements),
            "rostered_technician_days": sum(r.rostered for r in requirements),
            "short_days": sum(1 for r in requirements if r.rostered < r.required),
        }
        run.status = RunStatus.DONE
        run.finished_at = timezone.now()
        run.save(update_fields=["summary", "status", "finished_at"])
        audit.record(
            actor=actor,
            action="planning.run",
            obj=run,
            changes={"kind": run.kind, "plan_date": str(plan_date)},
        )
    return run


# --- the desk roster ------------------------------------------------------------------------------

ROSTER_EDITORS = ("manager", "admin")
MAX_SHIFT = timedelta(hours=16)


@transaction.atomic
def agent_shift_create(
    *, actor: Any, agent: Any, team: Any, starts_at: datetime, ends_at: datetime
) -> AgentShift:
    """Roster a desk agent on one of their teams' queues. The plan holds these shifts against
    the staff the forecast needs, interval by interval."""
    access.require_role(actor, *ROSTER_EDITORS)
    if not (agent.is_active and agent.is_staff_member and agent.has_role("agent")):
        raise ValidationFailed.for_field("agent", "only an active desk agent can be rostered")
    if not team.memberships.filter(user=agent).exists():
        raise ValidationFailed.for_field("team", f"{agent} is not a member of {team}")
    if ends_at <= starts_at:
        raise ValidationFailed.for_field("ends_at", "a shift ends after it starts")
    if ends_at - starts_at > MAX_SHIFT:
        raise ValidationFailed.for_field("ends_at", "a shift lasts at most 16 hours")
    # Lock the agent's row so two rosterings of the same agent cannot both pass the overlap check.
    type(agent).objects.select_for_update().filter(pk=agent.pk).first()
    if AgentShift.objects.filter(agent=agent, starts_at__lt=ends_at, ends_at__gt=starts_at).exists():
        raise ValidationFailed.for_field("starts_at", f"{agent} is already rostered at that time")
    return create_audited(
        actor=actor,
        instance=AgentShift(agent=agent, team=team, starts_at=starts_at, ends_at=ends_at),
        action="agent_shift.create",
    )


@transaction.atomic
def agent_shift_delete(*, actor: Any, shift: AgentShift) -> None:
    access.require_role(actor, *ROSTER_EDITORS)
    audit.record(
        actor=actor,
        action="agent_shift.delete",
        obj=shift,
        changes={"starts_at": [str(shift.starts_at), None], "ends_at": [str(shift.ends_at), None]},
    )
    shift.delete()


# --- what-if ---------------------------------------------------------------------------------------

SCENARIO_FIELDS = ("arrivals_factor", "aht_factor", "service_level", "headcount_delta", "team_id", "channel")


def scenario_create(*, actor: Any, base_run: PlanningRun, changes: dict) -> PlanningRun:
    """A what-if on a desk run: arrivals x factor, AHT x factor, another service-level target,
    heads added or removed in every interval; side by side with the baseline, and both checked by
    simulating the busiest day of the queue."""
    access.require_role(actor, *PLANNERS)
    unknown = set(changes) - set(SCENARIO_FIELDS)
    if unknown:
        field = sorted(unknown)[0]
        raise ValidationFailed.for_field(field, f"unknown scenario field {field!r}")
    if base_run.kind != RunKind.DESK or base_run.status != RunStatus.DONE:
        raise ValidationFailed.for_field("base_run", "a scenario starts from a finished desk run")
    arrivals_factor = float(changes.get("arrivals_factor", 1.0))
    aht_factor = float(changes.get("aht_factor", 1.0))
    headcount_delta = int(changes.get("headcount_delta", 0))
    service_level = float(changes.get("service_level", base_run.parameters["service_level"]))
    if not 0 < arrivals_factor <= 10:
        raise ValidationFailed.for_field("arrivals_factor", "arrivals_factor must be in (0, 10]")
    if not 0 < aht_factor <= 10:
        raise ValidationFailed.for_field("aht_factor", "aht_factor must be in (0, 10]")
    if not 0 < service_level < 1:
        raise ValidationFailed.for_field("service_level", "service_level must be a share between 0 and 1")

    rows = base_run.requirements.all()
    if "team_id" in changes:
        rows = rows.filter(team_id=changes["team_id"])
    if "channel" in changes:
        rows = rows.filter(channel=changes["channel"])
    rows = list(rows.order_by("team_id", "channel", "interval_start"))
    if not rows:
        raise ValidationFailed.for_field(
            "team_id", "the base run has no requirements for this team and channel"
        )
    params = base_run.parameters
    groups: dict[tuple, list] = {}
    for row in rows:
        groups.setdefault((row.team_id, row.channel), []).append(row)

    def staff(group, channel_params, factor, sl, delta):
        return plan.staff_intervals(
            arrivals=[r.arrivals * factor for r in group],
            rostered=[max(0, r.rostered + delta) for r in group],
            channel=channel_params,
            service_level=sl,
            shrinkage=float(params["shrinkage"]),
            max_occupancy=float(params["max_occupancy"]),
            interval_seconds=float(params["interval_seconds"]),
        )

    sides: dict[str, dict] = {}
    for side, factor, aht, sl, delta in (
        ("baseline", 1.0, 1.0, float(params["service_level"]), 0),
        ("scenario", arrivals_factor, aht_factor, service_level, headcount_delta),
    ):
        required = rostered = 0
        achieved = []
        for (_team, channel), group in groups.items():
            channel_params = dict(params["channels"][channel])
            channel_params["aht_seconds"] = float(channel_params["aht_seconds"]) * aht
            needs = staff(group, channel_params, factor, sl, delta)
            required += sum(n.required for n in needs)
            rostered += sum(n.rostered for n in needs)
            achieved += [
                (n.arrivals, n.expected_service_level) for n in needs if n.expected_service_level is not None
            ]
        weight = sum(a for a, _ in achieved)
        sides[side] = {
            "required_hours": required,
            "rostered_hours": rostered,
            "expected_service_level": round(sum(a * s for a, s in achieved) / weight, 4) if weight else None,
            "simulation": _simulate_busiest_day(groups, params, factor, aht, sl),
        }
    with transaction.atomic():
        run = PlanningRun(
            kind=RunKind.SCENARIO,
            plan_date=base_run.plan_date,
            base_run=base_run,
            parameters={"changes": changes, "base": base_run.pk},
            summary=sides,
            status=RunStatus.DONE,
            created_by=actor,
            finished_at=timezone.now(),
        )
        run.full_clean()
        run.save(force_insert=True)
        audit.record(
            actor=actor,
            action="planning.scenario",
            obj=run,
            changes={"changes": changes, "base_run": base_run.pk},
        )
    return run


def _simulate_busiest_day(
    groups: dict, params: dict, factor: float, aht_factor: float, sl: float
) -> dict | None:
    """The queueing formulas checked by SimPy on the busiest day of the busiest queue answered in
    seconds (Erlang C/A channels): each hour staffed with the agents on the floor the formula
    asked for, so the simulated service level should land near the target."""
    best = None
    for (team, channel), group in groups.items():
        channel_params = params["channels"][channel]
        if channel_params["rule"] == plan.BACKLOG:
            continue
        total = sum(r.arrivals for r in group)
        if best is None or total > best[0]:
            best = (total, team, channel, group)
    if best is None:
        return None
    _, team, channel, group = best
    days: dict = {}
    for row in group:
        days.setdefault(row.interval_start.date(), []).append(row)
    day, hours = max(days.items(), key=lambda item: sum(r.arrivals for r in item[1]))
    channel_params = dict(params["channels"][channel])
    aht = float(channel_params["aht_seconds"]) * aht_factor
    channel_params["aht_seconds"] = aht
    needs = plan.staff_intervals(
        arrivals=[r.arrivals * factor for r in hours],
        rostered=[0] * len(hours),
        channel=channel_params,
        service_level=sl,
        shrinkage=float(params["shrinkage"]),
        max_occupancy=float(params["max_occupancy"]),
        interval_seconds=float(params["interval_seconds"]),
    )
    agents = [max(n.on_floor, 1) for n in needs]
    patience = channel_params.get("patience_seconds") if channel_params["rule"] == plan.ERLANG_A else None
    result = simulate(
        Scenario(
            arrivals=[n.arrivals for n in needs],
            agents=agents,
            interval_seconds=float(params["interval_seconds"]),
            aht_seconds=aht,
            target_seconds=float(channel_params["target_seconds"]),
            patience_seconds=patience,
        ),
        seed=day.toordinal(),
    )
    formula = []
    for need, n in zip(needs, agents, strict=True):
        if channel_params["rule"] == plan.ERLANG_C:
            load = staffing.offered_load(
                arrivals=need.arrivals, aht_seconds=aht, interval_seconds=float(params["interval_seconds"])
            )
            m = staffing.erlang_c_metrics(
                agents=n, load=load, aht_seconds=aht, target_seconds=float(channel_params["target_seconds"])
            )
        else:
            m = staffing.erlang_a_metrics(
                agents=n,
                arrival_rate=need.arrivals / float(params["interval_seconds"]),
                aht_seconds=aht,
                patience_seconds=float(patience),
                target_seconds=float(channel_params["target_seconds"]),
            )
        formula.append((need.arrivals, m.service_level))
    weight = sum(a for a, _ in formula)
    return {
        "team_id": team,
        "channel": channel,
        "day": day.isoformat(),
        "agent_hours": sum(agents),
        "formula_service_level": round(sum(a * s for a, s in formula) / weight, 4) if weight else None,
        "simulated_service_level": round(result.service_level, 4),
        "simulated_asa_seconds": round(result.asa_seconds, 1),
        "simulated_abandonment": round(result.abandonment, 4),
        "offered": result.offered,
    }
