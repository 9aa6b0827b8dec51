"""Compute a KPI's time series (and the rows behind any figure) in the database: the one code path
that the pages, the API, the exports, the goals and the scheduled email all call.

Rows are filtered to the series' period with a range on their indexed instant, put in buckets by
comparing that instant with the buckets' UTC bounds (`sqlkit.bucket_index`), grouped by the
breakdown's column and aggregated (`kpis.Kpi.aggregates`, `sqlkit.percentiles`). Only the
aggregated counts come back to Python, where the pure formula turns them into the value. The
caller's scope (`selectors.scope_for`) arrives as a function from a row source to a `Q`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, F, FloatField, IntegerField, Q, QuerySet, Sum, Value
from django.db.models.functions import Cast, Coalesce, ExtractHour, ExtractMinute, ExtractSecond

from steward.analytics import available, cells, formulas
from steward.analytics.buckets import BUCKETS, Bucket, buckets
from steward.analytics.kpis import TICKETS, Kpi, Source, _resolved
from steward.analytics.sqlkit import Seconds, analytic_queries, bucket_index, in_series, percentiles
from steward.core.errors import ValidationFailed

Scope = Callable[[Source], Q]


def everything(source: Source) -> Q:
    """The scope of a caller who sees every row (the stored cells answer only this scope)."""
    return Q()


def org_timezone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


@dataclass(frozen=True, slots=True)
class Point:
    bucket: date
    start: datetime
    end: datetime
    value: float | None
    counts: dict[str, Any]


@dataclass(slots=True)
class Line:
    group: Any  # the breakdown's key (an id, a priority, a channel), None for "all" or "none"
    label: str
    points: list[Point] = field(default_factory=list)


@dataclass(slots=True)
class Series:
    kpi: Kpi
    bucket: str
    by: str | None
    first: date
    last: date
    buckets: list[Bucket]
    lines: list[Line]
    available: bool = True
    reason: str = ""


def _check(kpi: Kpi, bucket: str, by: str | None, filters: dict[str, Any]) -> None:
    if bucket not in BUCKETS:
        raise ValidationFailed.for_field("bucket", f"must be one of {', '.join(BUCKETS)}")
    if by and by not in kpi.dims:
        allowed = ", ".join(kpi.dims) or "none"
        raise ValidationFailed.for_field("by", f"{kpi.name} breaks down by {allowed}, not {by!r}")
    for dim in filters:
        if dim not in kpi.dims:
            raise ValidationFailed.for_field(dim, f"{kpi.name} cannot be filtered by {dim}")


def _filter_q(source: Source, filters: dict[str, Any]) -> Q:
    q = Q()
    for dim, value in filters.items():
        path = source.dims[dim]
        q &= Q(**{f"{path}__isnull": True}) if value is None else Q(**{path: value})
    return q


def _rows(kpi: Kpi, scope: Scope, filters: dict[str, Any]) -> QuerySet:
    source = kpi.source
    return (
        source.rows()
        .annotate(**kpi.annotate())
        .filter(kpi.where())
        .filter(scope(source))
        .filter(_filter_q(source, filters))
    )


def _grouped(qs: QuerySet, when: str, series: list[Bucket], path: str | None) -> QuerySet:
    grp = F(path) if path else Value(0, output_field=IntegerField())
    return (
        qs.filter(in_series(when, series))
        .annotate(bucket=bucket_index(when, series), grp=grp)
        .values("bucket", "grp")
        .order_by()
    )


def series(
    *,
    kpi: Kpi,
    first: date,
    last: date,
    bucket: str = "week",
    by: str | None = None,
    filters: dict[str, Any] | None = None,
    scope: Scope = everything,
    tz: ZoneInfo | None = None,
) -> Series:
    """The KPI per bucket from local date `first` to `last` (inclusive, whole buckets), one line per
    group of the breakdown `by` (or one line), restricted to `filters` ({dimension: key}) and to
    what `scope` lets the caller see. Buckets without rows have the value None and zero counts."""
    filters = dict(filters or {})
    _check(kpi, bucket, by, filters)
    if last < first:
        raise ValidationFailed.for_field("to", "the period ends before it starts")
    try:
        bounds = buckets(first, last, bucket, tz or org_timezone())
    except ValueError as exc:
        raise ValidationFailed.for_field("bucket", str(exc)) from None
    out = Series(kpi=kpi, bucket=bucket, by=by, first=first, last=last, buckets=bounds, lines=[])
    if kpi.kind == "unavailable":
        out.available, out.reason = False, kpi.unavailable_reason
        return out
    with analytic_queries():
        computed = _cells(kpi, bounds, bucket, (tz or org_timezone()).key, by, filters, scope)
        out.lines = _lines(kpi, bounds, by, computed)
    return out


def _compute(
    kpi: Kpi,
    bounds: list[Bucket],
    by: str | None,
    filters: dict[str, Any],
    scope: Scope,
    open_before: dict | None = None,
) -> dict:
    """{(bucket index, group): (value, counts)} computed from the rows. `open_before`: for the
    backlog, the open tickets per group at the first bucket's start when a stored bucket says so."""
    if kpi.kind == "backlog":
        return _backlog(kpi, bounds, by, filters, scope, open_before)
    compute = {
        "ratio": _ratio,
        "percentile": _percentile,
        "backlog": _backlog,
        "utilisation": _utilisation,
        "cost": _cost,
    }[kpi.kind]
    return compute(kpi, bounds, by, filters, scope)


_ALL = object()  # "every group of the stored breakdown"


def _cells(
    kpi: Kpi,
    bounds: list[Bucket],
    bucket: str,
    tz: str,
    by: str | None,
    filters: dict[str, Any],
    scope: Scope,
) -> dict:
    """The cells of the series: closed buckets from the store (`cells`) where it holds them and
    may be trusted, the rest computed live over the span they cover, and stored when closed.

    Stored cells answer the unscoped series (every group of a breakdown, or none), and a series
    filtered on one dimension without a breakdown (one group of the stored breakdown by that
    dimension, which is the same figure), which is also a customer admin's unbroken series."""
    account = getattr(scope, "account_id", None)
    source = kpi.source
    if account is not None and not filters and source.scope.get("account") == source.dims.get("account"):
        # A customer's scope is the filter on their account: the same rows, the same figure.
        scope, filters = everything, {"account": account}
    if scope is not everything or len(filters) > 1 or (filters and by):
        return _compute(kpi, bounds, by, filters, scope)
    stored_by, pick = next(iter(filters.items())) if filters else (by, _ALL)
    snap = cells.snapshot()
    stored = cells.load(kpi, bucket, tz, stored_by, bounds, snap)
    result = {}
    for (index, group), cell in cells.to_cells(bounds, stored).items():
        if pick is _ALL:
            result[(index, group)] = cell
        elif group == pick:
            result[(index, 0)] = cell
    missing = [b for b in bounds if b.label not in stored]
    if missing:
        span = bounds[missing[0].index : missing[-1].index + 1]
        live = _compute(kpi, span, by, filters, scope, _open_before(kpi, bounds, span, result))
        if pick is _ALL:
            cells.store(kpi, bucket, tz, by, span, live, snap)
        for index, group in [key for key in result if span[0].index <= key[0] <= span[-1].index]:
            del result[(index, group)]
        result.update(live)
    return result


def _open_before(kpi: Kpi, bounds: list[Bucket], span: list[Bucket], stored: dict) -> dict | None:
    """The backlog at the start of a live span is the stored backlog at the end of the bucket just
    before it (the same count at the same instant), which spares counting every older ticket."""
    if kpi.kind != "backlog" or span[0].index == 0:
        return None
    # The span starts at the first bucket not stored, so the one before it is stored; it holds a
    # cell for every group that had tickets in the series (a group it lacks had none open).
    before = span[0].index - 1
    return {group: counts["open_at_end"] for (index, group), (_, counts) in stored.items() if index == before}


def _lines(kpi: Kpi, bounds: list[Bucket], by: str | None, cells: dict) -> list[Line]:
    groups = sorted({g for (_, g) in cells}, key=lambda g: (g is None, str(g))) if by else [0]
    labels = group_labels(by, groups) if by else {0: "All"}
    empty = _empty_counts(kpi)
    present = {g for (_, g) in cells}
    lines = []
    for g in groups:
        line = Line(group=None if not by else g, label=labels.get(g, str(g)))
        # A backlog is a level: a group with tickets in the series has none open where it has no
        # cell (a stored bucket computed over a shorter series may lack an idle group's zero).
        missing = (0.0, _NONE_OPEN) if kpi.kind == "backlog" and g in present else (None, empty)
        for b in bounds:
            value, counts = cells.get((b.index, g), missing)
            line.points.append(Point(b.label, b.start, b.end, value, counts))
        lines.append(line)
    return lines


_NONE_OPEN = {"opened": 0, "resolved": 0, "open_at_end": 0}


def _empty_counts(kpi: Kpi) -> dict[str, Any]:
    if kpi.kind == "ratio":
        return dict.fromkeys(kpi.aggregates(), 0)
    if kpi.kind == "percentile":
        return {"n": 0}
    if kpi.kind == "backlog":
        return {"opened": 0, "resolved": 0}
    if kpi.kind == "utilisation":
        return {"job_seconds": 0, "available_seconds": 0, "jobs": 0}
    return {"labour_cost": 0, "jobs": 0, "tickets": 0}


def _ratio(kpi, bounds, by, filters, scope) -> dict:
    path = kpi.source.dims[by] if by else None
    rows = _grouped(_rows(kpi, scope, filters), kpi.when, bounds, path).annotate(**kpi.aggregates())
    cells = {}
    for row in rows:
        counts = {k: (v if v is not None else 0) for k, v in row.items() if k not in ("bucket", "grp")}
        raw = {k: v for k, v in row.items() if k not in ("bucket", "grp")}
        cells[(row["bucket"], row["grp"])] = (kpi.value(raw), counts)
    return cells


def _percentile(kpi, bounds, by, filters, scope) -> dict:
    path = kpi.source.dims[by] if by else None
    qs = (
        _grouped(_rows(kpi, scope, filters), kpi.when, bounds, path)
        .annotate(v=Cast(kpi.measure(), FloatField()))
        .filter(v__isnull=False)
        .values("bucket", "grp", "v")
    )
    k = round(kpi.fraction * 100)
    return {(r["bucket"], r["grp"]): (r[f"p{k}"], {"n": r["n"]}) for r in percentiles(qs, [kpi.fraction])}


def _count_by(qs: QuerySet, when: str, bounds, path) -> dict:
    return {(r["bucket"], r["grp"]): r["n"] for r in _grouped(qs, when, bounds, path).annotate(n=Count("id"))}


def _backlog(kpi, bounds, by, filters, scope, open_before: dict | None = None) -> dict:
    """open(end of bucket i) = open(series start) + Σ_{j ≤ i} (created_j - resolved_j): three
    grouped counts on the indexed creation and resolution times instead of one count per bucket
    (two when `open_before` gives the open tickets at the start)."""
    path = kpi.source.dims[by] if by else None
    base = TICKETS.rows().filter(scope(TICKETS)).filter(_filter_q(TICKETS, filters))
    start = bounds[0].start
    grp = F(path) if path else Value(0, output_field=IntegerField())
    at_start = (
        dict(open_before)
        if open_before is not None
        else {
            r["grp"]: r["n"]
            for r in base.filter(
                Q(created_at__lt=start) & (Q(resolved_at__isnull=True) | Q(resolved_at__gte=start))
            )
            .annotate(grp=grp)
            .values("grp")
            .order_by()
            .annotate(n=Count("id"))
        }
    )
    opened = _count_by(base, "created_at", bounds, path)
    resolved = _count_by(base.filter(resolved_at__isnull=False), "resolved_at", bounds, path)
    groups = set(at_start) | {g for (_, g) in opened} | {g for (_, g) in resolved}
    cells = {}
    for g in groups:
        level = at_start.get(g, 0)
        for b in bounds:
            o, r = opened.get((b.index, g), 0), resolved.get((b.index, g), 0)
            level += o - r
            cells[(b.index, g)] = (float(level), {"opened": o, "resolved": r, "open_at_end": level})
    return cells


def _shift_seconds():
    def of(name):
        return ExtractHour(name) * 3600 + ExtractMinute(name) * 60 + ExtractSecond(name)

    return Sum(of("end") - of("start"))


def _utilisation(kpi, bounds, by, filters, scope) -> dict:
    from steward.field.models import Absence, ShiftPattern, Technician

    roster = Technician.objects.filter(scope(ROSTER))
    if "technician" in filters:
        roster = roster.filter(pk=filters["technician"])
    jobs = _grouped(_rows(kpi, scope, filters), kpi.when, bounds, "technician_id").annotate(
        job_seconds=Sum(Seconds(F("finished_at"), F("en_route_at"))), jobs=Count("id")
    )
    worked = {(r["bucket"], r["grp"]): (r["job_seconds"] or 0.0, r["jobs"]) for r in jobs}
    shifts = (
        ShiftPattern.objects.filter(technician__in=roster)
        .values("technician_id", "weekday", "valid_from", "valid_until")
        .order_by()
        .annotate(seconds=_shift_seconds())
    )
    absences = (
        Absence.objects.filter(
            technician__in=roster, starts_at__lt=bounds[-1].end, ends_at__gt=bounds[0].start
        )
        .values_list("technician_id", "starts_at", "ends_at")
        .order_by()
    )
    tz = ZoneInfo(settings.TIME_ZONE)
    shift_rows = [
        available.Shift(r["technician_id"], r["weekday"], r["seconds"], r["valid_from"], r["valid_until"])
        for r in shifts
    ]
    absence_rows = [available.Away(t, s, e) for t, s, e in absences]
    avail = available.available_seconds(shift_rows, absence_rows, bounds, tz)
    cells: dict = {}
    keys = set(worked) | set(avail)
    for b, tech in keys:
        g = tech if by else 0
        seconds, count = worked.get((b, tech), (0.0, 0))
        prev = cells.get((b, g), (None, {"job_seconds": 0.0, "available_seconds": 0.0, "jobs": 0}))[1]
        counts = {
            "job_seconds": prev["job_seconds"] + seconds,
            "available_seconds": prev["available_seconds"] + avail.get((b, tech), 0.0),
            "jobs": prev["jobs"] + count,
        }
        value = formulas.ratio(counts["job_seconds"], counts["available_seconds"])
        cells[(b, g)] = (None if value is None else 100.0 * value, counts)
    return cells


def _cost(kpi, bounds, by, filters, scope) -> dict:
    path = kpi.source.dims[by] if by else None
    hours = Seconds(F("finished_at"), Coalesce("en_route_at", "on_site_at")) / 3600.0
    jobs = _grouped(_rows(kpi, scope, filters), kpi.when, bounds, path).annotate(
        labour_cost=Sum(hours * Cast("technician__hourly_cost", FloatField())), jobs=Count("id")
    )
    tickets = _count_by(
        TICKETS.rows().filter(_resolved()).filter(scope(TICKETS)).filter(_filter_q(TICKETS, filters)),
        "resolved_at",
        bounds,
        TICKETS.dims[by] if by else None,
    )
    job_cells = {(r["bucket"], r["grp"]): (r["labour_cost"] or 0.0, r["jobs"]) for r in jobs}
    cells = {}
    for key in set(job_cells) | set(tickets):
        cost, count = job_cells.get(key, (0.0, 0))
        handled = count + tickets.get(key, 0)
        counts = {"labour_cost": round(cost, 2), "jobs": count, "tickets": tickets.get(key, 0)}
        cells[key] = (formulas.ratio(cost, handled), counts)
    return cells


def _roster_rows() -> QuerySet:
    from steward.field.models import Technician

    return Technician.objects.all()


ROSTER = Source(
    "technicians",
    _roster_rows,
    {"technician": "id"},
    {"technician": "user_id", "team": "user__memberships__team_id"},
)


# --- labels ---------------------------------------------------------------------------------------


def group_labels(by: str | None, keys: Iterable[Any]) -> dict[Any, str]:
    """Readable names of a breakdown's keys (one query for the ids of a dimension)."""
    keys = [k for k in keys if k is not None]
    labels: dict[Any, str] = {None: "(none)"}
    if by in ("priority", "channel"):
        from steward.catalog.models import Priority
        from steward.desk.models import Channel

        choices = dict((Priority if by == "priority" else Channel).choices)
        labels.update({k: str(choices.get(k, k)) for k in keys})
        return labels
    model = _dimension_model(by)
    if model is not None:
        labels.update({obj.pk: str(obj) for obj in model.objects.filter(pk__in=keys)})
    return labels


def _dimension_model(by: str | None):
    from steward.accounts.models import Team, User
    from steward.catalog.models import Service
    from steward.customers.models import CustomerAccount
    from steward.field.models import Technician

    return {
        "team": Team,
        "agent": User,
        "service": Service,
        "account": CustomerAccount,
        "technician": Technician,
    }.get(by or "")


# --- the rows behind a figure ---------------------------------------------------------------------


def drill(
    *,
    kpi: Kpi,
    first: date,
    last: date,
    bucket: str = "week",
    at: date | None = None,
    by: str | None = None,
    group: Any = None,
    numerator: bool = False,
    filters: dict[str, Any] | None = None,
    scope: Scope = everything,
    tz: ZoneInfo | None = None,
) -> QuerySet:
    """The rows a figure counts: of the bucket starting on local date `at` (or the whole series),
    of breakdown `by`'s `group`, only the numerator's rows if asked (e.g. the satisfied answers)."""
    filters = dict(filters or {})
    if by:
        filters[by] = group
    _check(kpi, bucket, by, filters)
    if kpi.kind == "unavailable":
        raise ValidationFailed.for_field("kpi", kpi.unavailable_reason)
    bounds = buckets(first, last, bucket, tz or org_timezone())
    if at is not None:
        bounds = [b for b in bounds if b.label == at]
        if not bounds:
            raise ValidationFailed.for_field("at", f"{at} does not start a {bucket} of the series")
    if kpi.kind == "backlog":
        end = bounds[-1].end
        return (
            TICKETS.rows()
            .filter(scope(TICKETS))
            .filter(_filter_q(TICKETS, filters))
            .filter(Q(created_at__lt=end) & (Q(resolved_at__isnull=True) | Q(resolved_at__gte=end)))
        )
    qs = _rows(kpi, scope, filters).filter(in_series(kpi.when, bounds))
    if numerator and kpi.numerator is not None:
        qs = qs.filter(kpi.numerator())
    return qs


def age_profile(
    *, scope: Scope = everything, filters: dict[str, Any] | None = None, now: datetime
) -> list[dict[str, Any]]:
    """The open tickets now by age band (counted in the database, one filtered count a band)."""
    from datetime import timedelta

    bands = [
        ("< 1 day", 0, 1),
        ("1-3 days", 1, 3),
        ("3-7 days", 3, 7),
        ("7-30 days", 7, 30),
        ("≥ 30 days", 30, None),
    ]
    aggregates = {}
    for i, (_, low, high) in enumerate(bands):
        q = Q(created_at__lte=now - timedelta(days=low))
        if high is not None:
            q &= Q(created_at__gt=now - timedelta(days=high))
        aggregates[f"b{i}"] = Count("id", filter=q)
    counts = (
        TICKETS.rows()
        .filter(status__in=("new", "open", "pending", "on_hold"))
        .filter(scope(TICKETS))
        .filter(_filter_q(TICKETS, filters or {}))
        .aggregate(**aggregates)
    )
    return [{"band": label, "tickets": counts[f"b{i}"]} for i, (label, _, _) in enumerate(bands)]
