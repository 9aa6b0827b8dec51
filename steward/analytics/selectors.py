"""Scoped reads of the KPIs: who may see which KPI, which rows it counts for them, and the series,
drill-downs, age profile and cause analyses through that scope.

The role matrix (issue #5): admins, managers and dispatchers see everything; an agent or a
technician sees the rows that are theirs (assigned to them, their jobs) or their teams'; a
customer admin sees their own account's rows of the customer-facing KPIs (not the internal
utilisation and cost), broken down only by service, priority or channel; a requester sees none
(403). A KPI name they may not see is 404, like an unknown one.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db.models import Q, QuerySet

from steward.analytics import kpis
from steward.analytics.kpis import Kpi, Source
from steward.analytics.series import Scope, Series, age_profile, drill, everything, series
from steward.core import access
from steward.core.errors import Forbidden, NotFound, ValidationFailed

ALL_SEEING = ("admin", "manager", "dispatcher")
INTERNAL_KPIS = frozenset({"utilisation", "cost_per_interaction"})
CUSTOMER_DIMENSIONS = ("service", "priority", "channel")


def require_viewer(user: Any) -> None:
    """Staff and customer admins may read KPIs; requesters and anonymous callers may not."""
    access.require_authenticated(user)
    if access.is_staff(user):
        return
    if access.is_customer(user) and user.is_customer_admin:
        return
    raise Forbidden("KPIs are for staff and customer admins")


def sees_everything(user: Any) -> bool:
    return access.is_staff(user) and user.has_role(*ALL_SEEING)


def scope_for(user: Any) -> Scope:
    """A function from a row source to the `Q` of the rows `user` may count."""
    require_viewer(user)
    if sees_everything(user):
        return everything
    if access.is_customer(user):
        account_id = user.customer_account_id

        def customer(source: Source) -> Q:
            path = source.scope.get("account")
            return Q(**{path: account_id}) if path else Q(pk__in=[])

        customer.account_id = account_id  # type: ignore[attr-defined]  # lets series read stored cells
        return customer
    team_ids = list(user.memberships.values_list("team_id", flat=True))

    def own_and_teams(source: Source) -> Q:
        q = Q(pk__in=[])
        if "agent" in source.scope:
            q |= Q(**{source.scope["agent"]: user.pk})
        if "technician" in source.scope:
            q |= Q(**{source.scope["technician"]: user.pk})
        if "team" in source.scope and team_ids:
            q |= Q(**{f"{source.scope['team']}__in": team_ids})
        return q

    return own_and_teams


def visible_kpis(user: Any) -> list[Kpi]:
    require_viewer(user)
    if access.is_customer(user):
        return [k for k in kpis.KPIS.values() if k.name not in INTERNAL_KPIS]
    return list(kpis.KPIS.values())


def kpi_get(user: Any, name: str) -> Kpi:
    for kpi in visible_kpis(user):
        if kpi.name == name:
            return kpi
    raise NotFound(f"no KPI called {name!r}")


def _check_breakdown(user: Any, kpi: Kpi, by: str | None, filters: dict[str, Any]) -> None:
    if access.is_customer(user):
        for dim in ([by] if by else []) + list(filters):
            if dim not in CUSTOMER_DIMENSIONS:
                raise ValidationFailed.for_field(
                    "by" if dim == by else dim,
                    f"a customer's KPIs break down by {', '.join(CUSTOMER_DIMENSIONS)} only",
                )


def kpi_series(
    user: Any,
    name: str,
    *,
    first: date,
    last: date,
    bucket: str = "week",
    by: str | None = None,
    filters: dict[str, Any] | None = None,
) -> Series:
    kpi = kpi_get(user, name)
    filters = {k: v for k, v in (filters or {}).items() if v is not None}
    _check_breakdown(user, kpi, by, filters)
    return series(
        kpi=kpi, first=first, last=last, bucket=bucket, by=by, filters=filters, scope=scope_for(user)
    )


def kpi_rows(
    user: Any,
    name: str,
    *,
    first: date,
    last: date,
    bucket: str = "week",
    at: date | None = None,
    by: str | None = None,
    group: Any = None,
    numerator: bool = False,
    filters: dict[str, Any] | None = None,
) -> tuple[Kpi, QuerySet]:
    kpi = kpi_get(user, name)
    filters = {k: v for k, v in (filters or {}).items() if v is not None}
    _check_breakdown(user, kpi, by, filters)
    rows = drill(
        kpi=kpi,
        first=first,
        last=last,
        bucket=bucket,
        at=at,
        by=by,
        group=group,
        numerator=numerator,
        filters=filters,
        scope=scope_for(user),
    )
    return kpi, rows


def backlog_ages(user: Any, *, now: datetime, filters: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    return age_profile(scope=scope_for(user), filters=filters, now=now)


# --- service goals --------------------------------------------------------------------------------


def goal_list(user: Any) -> QuerySet:
    """Goals are the organisation's: every staff member sees them (their actuals in the caller's
    scope); customers get 403."""
    from steward.analytics.models import ServiceGoal

    access.require_staff(user)
    return ServiceGoal.objects.select_related("team", "service")


def goal_get(user: Any, pk: int):
    """A goal; a customer (or any non-staff caller) is told there is no such goal (404)."""
    from steward.analytics.models import ServiceGoal

    access.require_authenticated(user)
    if not access.is_staff(user):
        raise NotFound("service goal not found")
    return access.get_or_404(ServiceGoal.objects.select_related("team", "service"), pk=pk)


TREND_PERIODS = 6
RECENT_WEEKS = 8


def goal_status(user: Any, goal, *, now: datetime) -> dict[str, Any]:
    """Actual (the period to date), target, trend (the last periods' values), the projection to the
    period's end (`projection.project` on the recent weekly values) and on/off track."""
    from datetime import timedelta

    from steward.analytics import projection
    from steward.analytics.buckets import next_period, period_start
    from steward.analytics.series import org_timezone

    kpi = kpi_get(user, goal.kpi)
    today = now.astimezone(org_timezone()).date()
    start = period_start(today, goal.period)
    end = next_period(start, goal.period)  # exclusive
    trend_start = start
    for _ in range(TREND_PERIODS - 1):
        trend_start = period_start(trend_start - timedelta(days=1), goal.period)
    trend = kpi_series(
        user, goal.kpi, first=trend_start, last=today, bucket=goal.period, filters=goal.filters
    )
    points = trend.lines[0].points if trend.lines else []
    actual = points[-1].value if points else None
    weeks = kpi_series(
        user,
        goal.kpi,
        first=today - timedelta(weeks=RECENT_WEEKS - 1),
        last=today,
        bucket="week",
        filters=goal.filters,
    )
    weekly = [p.value for p in weeks.lines[0].points] if weeks.lines else []
    elapsed = max((today - start).days + 1, 1)
    remaining = max((end - today).days - 1, 0)
    if kpi.kind == "backlog":  # a level, not a share: project the level's trend itself
        fit = projection.least_squares(weekly)
        projected = None if fit is None else fit[0] + fit[1] * remaining / 7
    else:
        projected = projection.project(actual, weekly, elapsed / 7, remaining / 7)
    on_track = projection.meets(projected, goal.comparator, goal.target)
    return {
        "goal": goal,
        "kpi": kpi,
        "period_start": start,
        "period_end": end - timedelta(days=1),
        "actual": actual,
        "actual_counts": points[-1].counts if points else {},
        "trend": [{"period": p.bucket, "value": p.value} for p in points],
        "projected": projected,
        "meets_now": projection.meets(actual, goal.comparator, goal.target),
        "on_track": on_track,
        "status": "no data" if on_track is None else ("on track" if on_track else "off track"),
    }


def pareto_bars(user: Any, analysis: str, *, first: date, last: date):
    from steward.analytics import causes
    from steward.analytics.series import org_timezone

    if analysis not in causes.ANALYSES:
        raise NotFound(f"no analysis called {analysis!r}")
    return causes.analyse(analysis, first=first, last=last, scope=scope_for(user), tz=org_timezone())


def control_chart(s: Series, line_index: int = 0):
    """The control chart that fits the KPI: a p-chart from the counts of a share of counted rows,
    else an individuals (XmR) chart of the values."""
    from steward.analytics import spc

    if not s.lines:
        return spc.individuals([])
    points = s.lines[line_index].points
    kpi = s.kpi
    if kpi.spc == "p" and kpi.spc_counts[0]:
        events_key, size_key = kpi.spc_counts
        return spc.p_chart(
            [p.counts.get(events_key, 0) for p in points], [p.counts.get(size_key, 0) for p in points]
        )
    return spc.individuals([p.value for p in points])


def at_risk_today(user: Any, *, now: datetime, limit: int = 20) -> dict[str, Any]:
    """SLA clocks still running (or in warning) whose deadline falls between now and the end of the
    local day, nearest first; and those already past their deadline but not yet marked breached."""
    from datetime import timedelta

    from steward.analytics.buckets import local_midnight
    from steward.analytics.kpis import CLOCKS
    from steward.analytics.series import org_timezone

    tz = org_timezone()
    end = local_midnight(now.astimezone(tz).date() + timedelta(days=1), tz)
    clocks = CLOCKS.rows().filter(scope_for(user)(CLOCKS)).filter(status__in=("running", "warning"))
    due = clocks.filter(deadline__gte=now, deadline__lt=end).select_related("ticket").order_by("deadline")
    return {
        "count": due.count(),
        "overdue": clocks.filter(deadline__lt=now).count(),
        "rows": list(due[:limit]),
    }
