"""Analytics pages: the manager overview, a KPI's page (chart, counts, control chart, drill-down
and CSV), the team / technician / customer-account views, Pareto analyses and the goals. Thin:
parameters come through `params.parse` (so filters stay in the URL), figures through `selectors`
(the same code path as the API), charts from `charts` (SVG)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from steward.analytics import causes, charts, params, present, report_pdf, selectors, services
from steward.analytics.series import Series
from steward.core import access
from steward.core.errors import NotFound, ValidationFailed

OVERVIEW_KPIS = (
    "sla_compliance_resolution",
    "first_response_business_median",
    "backlog",
    "csat",
    "first_contact_resolution",
    "first_time_fix",
    "on_time_arrival",
)
VIEW_KPIS = {
    "team": ("sla_compliance_resolution", "first_response_business_median", "backlog", "csat", "reopen_rate"),
    "technician": (
        "first_time_fix",
        "job_completion_rate",
        "on_time_arrival",
        "travel_time_per_job",
        "utilisation",
    ),
    "account": (
        "sla_compliance_first_response",
        "sla_compliance_resolution",
        "resolution_business_median",
        "csat",
        "first_time_fix",
        "on_time_arrival",
    ),
}


def _bad(exc: ValidationFailed) -> HttpResponse:
    return HttpResponseBadRequest(f"{exc.message}".encode())


def _chart(s: Series) -> str:
    lines = [charts.Line(line.label, [p.value for p in line.points]) for line in s.lines]
    return charts.line_chart(
        lines,
        [b.label for b in s.buckets],
        unit=s.kpi.unit,
        bucket=s.bucket,
        title=f"{s.kpi.title} per {s.bucket}",
    )


def _card(user, name: str, p: params.SeriesParams, filters: dict | None = None) -> dict:
    s = selectors.kpi_series(
        user, name, first=p.first, last=p.last, bucket=p.bucket, filters=filters or p.filters
    )
    latest = (
        next((pt for pt in reversed(s.lines[0].points) if pt.value is not None), None) if s.lines else None
    )
    return {"kpi": s.kpi, "series": s, "svg": _chart(s) if s.available else "", "latest": latest}


@login_required
@require_safe
def overview(request: HttpRequest) -> HttpResponse:
    """The manager's overview: goals, the main KPIs' trends, SLA breaches at risk today, backlog."""
    access.require_staff(request.user)
    try:
        p = params.parse(request.GET)
    except ValidationFailed as exc:
        return _bad(exc)
    now = timezone.now()
    goals = [
        selectors.goal_status(request.user, g, now=now)
        for g in selectors.goal_list(request.user).filter(is_active=True)
    ]
    context = {
        "p": p,
        "qs": urlencode(p.query()),
        "goals": goals,
        "cards": [_card(request.user, name, p) for name in OVERVIEW_KPIS],
        "at_risk": selectors.at_risk_today(request.user, now=now),
        "ages": selectors.backlog_ages(request.user, now=now),
        "buckets": ("day", "week", "month"),
    }
    return render(request, "analytics/overview.html", context)


@login_required
@require_safe
def kpi_detail(request: HttpRequest, name: str) -> HttpResponse:
    try:
        p = params.parse(request.GET)
        s = selectors.kpi_series(
            request.user, name, first=p.first, last=p.last, bucket=p.bucket, by=p.by, filters=p.filters
        )
    except ValidationFailed as exc:
        return _bad(exc)
    chart = None
    if s.available and not s.by:
        cc = selectors.control_chart(s)
        chart = {
            "svg": charts.control_chart(cc, [b.label for b in s.buckets], unit=s.kpi.unit, bucket=s.bucket,
                                        title=f"Control chart ({cc.kind}) of {s.kpi.title}"),
            "kind": cc.kind,
            "centre": cc.centre,
            "signals": [s.buckets[i].label for i in cc.signals],
        }  # fmt: skip
    counts = sorted({k for line in s.lines for pt in line.points for k in pt.counts})
    return render(
        request,
        "analytics/kpi_detail.html",
        {
            "s": s,
            "kpi": s.kpi,
            "p": p,
            "svg": _chart(s) if s.available else "",
            "chart": chart,
            "count_names": counts,
            "dims": s.kpi.dims if access.is_staff(request.user) else selectors.CUSTOMER_DIMENSIONS,
            "qs": urlencode(p.query()),
        },
    )


@login_required
@require_safe
def kpi_csv(request: HttpRequest, name: str) -> HttpResponse:
    try:
        p = params.parse(request.GET)
        s = selectors.kpi_series(
            request.user, name, first=p.first, last=p.last, bucket=p.bucket, by=p.by, filters=p.filters
        )
    except ValidationFailed as exc:
        return _bad(exc)
    response = HttpResponse(present.series_csv(s), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}-{p.first}-{p.last}.csv"'
    return response


def _rows(request: HttpRequest, name: str):
    p = params.parse(request.GET)
    kpi, rows = selectors.kpi_rows(
        request.user, name, first=p.first, last=p.last, bucket=p.bucket, at=p.at, by=p.by,
        group=p.group, numerator=p.numerator, filters=p.filters,
    )  # fmt: skip
    return p, kpi, rows.order_by("pk")


@login_required
@require_safe
def kpi_rows(request: HttpRequest, name: str) -> HttpResponse:
    try:
        p, kpi, rows = _rows(request, name)
    except ValidationFailed as exc:
        return _bad(exc)
    if request.GET.get("format") == "csv":
        response = StreamingHttpResponse(present.rows_csv(rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}-rows.csv"'
        return response
    page = Paginator(present.row_values(rows), 50).get_page(request.GET.get("page"))
    columns = present.row_columns(rows)
    return render(
        request,
        "analytics/kpi_rows.html",
        {
            "kpi": kpi,
            "p": p,
            "page": page,
            "columns": columns,
            "table": [[row[c] for c in columns] for row in page],
            "query": request.GET.urlencode(),
        },
    )


def _view(request: HttpRequest, kind: str, pk: int, subject, filters: dict) -> HttpResponse:
    try:
        p = params.parse(request.GET)
    except ValidationFailed as exc:
        return _bad(exc)
    cards = []
    for name in VIEW_KPIS[kind]:
        try:
            cards.append(_card(request.user, name, p, filters=filters))
        except NotFound:
            continue  # a KPI this caller may not see (e.g. a customer and utilisation)
    return render(
        request,
        "analytics/view.html",
        {
            "kind": kind,
            "pk": pk,
            "subject": subject,
            "cards": cards,
            "p": p,
            "qs": urlencode(p.query()),
            "printable": kind == "account",
        },
    )


@login_required
@require_safe
def team_view(request: HttpRequest, pk: int) -> HttpResponse:
    from steward.accounts.models import Team

    access.require_staff(request.user)
    team = access.get_or_404(Team.objects.all(), pk=pk)
    return _view(request, "team", pk, team, {"team": team.pk})


@login_required
@require_safe
def technician_view(request: HttpRequest, pk: int) -> HttpResponse:
    from steward.field.models import Technician

    access.require_staff(request.user)
    technician = access.get_or_404(Technician.objects.select_related("user"), pk=pk)
    return _view(request, "technician", pk, technician, {"technician": technician.pk})


@login_required
@require_safe
def account_view(request: HttpRequest, pk: int) -> HttpResponse:
    """What a key-account manager shows the customer; a customer admin sees only their own (404)."""
    from steward.customers.models import CustomerAccount

    selectors.require_viewer(request.user)
    account = access.get_or_404(
        access.scope_to_account(CustomerAccount.objects.all(), request.user, account_field=""), pk=pk
    )
    filters = {} if access.is_customer(request.user) else {"account": account.pk}
    return _view(request, "account", pk, account, filters)


@login_required
@require_safe
def account_report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The account view as a PDF the key-account manager sends the customer (same scope, same
    figures; a customer admin may download their own)."""
    from steward.customers.models import CustomerAccount

    selectors.require_viewer(request.user)
    account = access.get_or_404(
        access.scope_to_account(CustomerAccount.objects.all(), request.user, account_field=""), pk=pk
    )
    try:
        p = params.parse(request.GET)
    except ValidationFailed as exc:
        return _bad(exc)
    filters = {} if access.is_customer(request.user) else {"account": account.pk}
    sections = []
    for name in VIEW_KPIS["account"]:
        try:
            card = _card(request.user, name, p, filters=filters)
        except NotFound:
            continue
        sections.append(present.report_section(card["series"], card["svg"]))
    now = timezone.localtime()
    report = report_pdf.Report(
        title=f"{account.name}: service report",
        subtitle=f"{p.first:%d %b %Y} to {p.last:%d %b %Y}, per {p.bucket}. Figures as computed by Steward; "
        "each KPI's formula is in the documentation.",
        generated=f"generated {now:%d %b %Y %H:%M}",
        sections=sections,
    )
    response = HttpResponse(report_pdf.render(report), content_type="application/pdf")
    filename = f"service-report-{account.pk}-{p.first:%Y%m%d}-{p.last:%Y%m%d}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_safe
def pareto(request: HttpRequest, analysis: str) -> HttpResponse:
    try:
        p = params.parse(request.GET)
        bars = selectors.pareto_bars(request.user, analysis, first=p.first, last=p.last)
    except ValidationFailed as exc:
        return _bad(exc)
    title = causes.ANALYSES[analysis]
    return render(
        request,
        "analytics/pareto.html",
        {"bars": bars, "svg": charts.pareto_chart(bars, title=title), "title": title, "p": p,
         "analysis": analysis, "analyses": causes.ANALYSES, "qs": urlencode(p.query())},
    )  # fmt: skip


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def goals(request: HttpRequest) -> HttpResponse:
    from steward.analytics.kpis import KPIS

    error = None
    if request.method == "POST":
        data = {
            "name": request.POST.get("name", ""),
            "kpi": request.POST.get("kpi", ""),
            "comparator": request.POST.get("comparator", "gte"),
            "period": request.POST.get("period", "month"),
        }
        try:
            data["target"] = float(request.POST.get("target", ""))
        except ValueError:
            error = "target: must be a number"
        if error is None:
            try:
                services.goal_create(actor=request.user, **data)
                return redirect(reverse("analytics:goals"))
            except ValidationFailed as exc:
                error = exc.message
    rows = selectors.goal_list(request.user)
    now = timezone.now()
    return render(
        request,
        "analytics/goals.html",
        {
            "statuses": [selectors.goal_status(request.user, g, now=now) for g in rows],
            "kpis": [k for k in KPIS.values() if k.kind != "unavailable"],
            "error": error,
            "can_edit": request.user.has_role(*services.GOAL_EDITORS),
        },
        status=422 if error else 200,
    )


@login_required
@require_POST
def goal_delete(request: HttpRequest, pk: int) -> HttpResponse:
    services.goal_delete(actor=request.user, goal=selectors.goal_get(request.user, pk))
    return redirect(reverse("analytics:goals"))


@login_required
@require_POST
def subscription(request: HttpRequest) -> HttpResponse:
    services.subscription_set(actor=request.user, active=request.POST.get("active") == "1")
    return redirect(reverse("analytics:overview"))
