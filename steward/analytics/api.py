"""Analytics endpoints: KPI definitions, series (with the counts behind each value), the rows behind
a figure, control charts, Pareto analyses and service goals. Thin: parameters are read by
`params.parse`, everything else is `selectors` and `services`; the JSON comes from `present`, the
same as the pages' and the CSV export's."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router

from steward.analytics import params, present, selectors, services
from steward.analytics.schemas import (
    ControlChartOut,
    GoalIn,
    GoalOut,
    GoalPatch,
    GoalStatusOut,
    KpiOut,
    ParetoBarOut,
    RowsOut,
    RowsParamsIn,
    SeriesOut,
    SeriesParamsIn,
)
from steward.core.api_kit import ERRORS, Id, PageParams
from steward.core.errors import ValidationFailed

router = Router(tags=["analytics"])


def _params(query) -> params.SeriesParams:
    raw = {k: v for k, v in query.dict(by_alias=True).items() if v is not None}
    return params.parse({k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in raw.items()})


@router.get("/kpis/", response={200: list[KpiOut], **ERRORS})
def list_kpis(request: HttpRequest):
    """Every KPI the caller may see, with its formula, unit and the rows it counts."""
    return [present.definition(k) for k in selectors.visible_kpis(request.user)]


def _series(request: HttpRequest, name: str, query) -> tuple:
    p = _params(query)
    s = selectors.kpi_series(
        request.user, name, first=p.first, last=p.last, bucket=p.bucket, by=p.by, filters=p.filters
    )
    return p, s


@router.get("/kpis/{name}", response={200: SeriesOut, **ERRORS})
def kpi_series(request: HttpRequest, name: str, query: Query[SeriesParamsIn]):
    """The KPI per bucket (one line per group of `by`), each value with the counts behind it."""
    return present.series(_series(request, name, query)[1])


@router.get("/kpis/{name}/rows", response={200: RowsOut, **ERRORS})
def kpi_rows(request: HttpRequest, name: str, query: Query[RowsParamsIn], page: Query[PageParams]):
    """The rows behind a figure: a bucket (`at`), a group (`by` + `group`), the numerator's only."""
    p = _params(query)
    kpi, rows = selectors.kpi_rows(
        request.user,
        name,
        first=p.first,
        last=p.last,
        bucket=p.bucket,
        at=p.at,
        by=p.by,
        group=p.group,
        numerator=p.numerator,
        filters=p.filters,
    )
    rows = rows.order_by("pk")
    return {
        "kpi": kpi.name,
        "columns": list(present.row_columns(rows)),
        "items": list(present.row_values(rows)[page.offset : page.offset + page.limit]),
        "count": rows.count(),
        "limit": page.limit,
        "offset": page.offset,
    }


@router.get("/kpis/{name}/control-chart", response={200: ControlChartOut, **ERRORS})
def kpi_control_chart(request: HttpRequest, name: str, query: Query[SeriesParamsIn]):
    """The KPI's control chart (p-chart for a share of counted rows, else XmR), run rules flagged."""
    _, s = _series(request, name, query)
    if not s.available:
        raise ValidationFailed.for_field("name", s.reason)
    if s.by:
        raise ValidationFailed.for_field(
            "by", "a control chart is of one line: filter instead of breaking down"
        )
    return present.control_chart(selectors.control_chart(s), s)


@router.get("/pareto/{analysis}", response={200: list[ParetoBarOut], **ERRORS})
def pareto(request: HttpRequest, analysis: str, query: Query[SeriesParamsIn]):
    """Categories by count, largest first, with the cumulative share and the 80 % cut."""
    p = _params(query)
    return selectors.pareto_bars(request.user, analysis, first=p.first, last=p.last)


def _goal_fields(payload) -> dict:
    from steward.accounts.models import Team
    from steward.catalog.models import Service

    data = payload.dict(exclude_unset=True)
    for name, model in (("team_id", Team), ("service_id", Service)):
        if name in data:
            pk = data.pop(name)
            if pk is None:
                data[name[:-3]] = None
                continue
            obj = model.objects.filter(pk=pk).first()
            if obj is None:
                raise ValidationFailed.for_field(name, "no such object")
            data[name[:-3]] = obj
    return data


@router.get("/goals", response={200: list[GoalOut], **ERRORS})
def list_goals(request: HttpRequest):
    return list(selectors.goal_list(request.user))


@router.post("/goals", response={201: GoalOut, **ERRORS})
def create_goal(request: HttpRequest, payload: GoalIn):
    return 201, services.goal_create(actor=request.user, **_goal_fields(payload))


@router.get("/goals/{goal_id}", response={200: GoalOut, **ERRORS})
def get_goal(request: HttpRequest, goal_id: Id):
    return selectors.goal_get(request.user, goal_id)


@router.patch("/goals/{goal_id}", response={200: GoalOut, **ERRORS})
def update_goal(request: HttpRequest, goal_id: Id, payload: GoalPatch):
    goal = selectors.goal_get(request.user, goal_id)
    return services.goal_update(actor=request.user, goal=goal, **_goal_fields(payload))


@router.delete("/goals/{goal_id}", response={204: None, **ERRORS})
def delete_goal(request: HttpRequest, goal_id: Id):
    goal = selectors.goal_get(request.user, goal_id)
    services.goal_delete(actor=request.user, goal=goal)
    return 204, None


@router.get("/goals/{goal_id}/status", response={200: GoalStatusOut, **ERRORS})
def goal_status(request: HttpRequest, goal_id: Id):
    """Actual, target, trend, projection to the period's end, on or off track."""
    goal = selectors.goal_get(request.user, goal_id)
    status = selectors.goal_status(request.user, goal, now=timezone.now())
    return {**status, "unit": status["kpi"].unit}
