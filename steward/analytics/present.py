"""What a series, a definition, a control chart and a drill-down row look like outside Python:
the API's JSON, the CSV export, the PDF report and the pages all use these, so they show the same
figures."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from steward.analytics import report_pdf
from steward.analytics.kpis import Kpi
from steward.analytics.series import Series


def definition(kpi: Kpi) -> dict[str, Any]:
    return {
        "name": kpi.name,
        "title": kpi.title,
        "meaning": kpi.meaning,
        "formula": kpi.formula,
        "unit": kpi.unit,
        "higher_is_better": kpi.higher_is_better,
        "rows": kpi.counts_rows,
        "kind": kpi.kind,
        "breakdowns": list(kpi.dims),
        "available": kpi.kind != "unavailable",
        "reason": kpi.unavailable_reason,
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def series(s: Series) -> dict[str, Any]:
    return {
        "kpi": s.kpi.name,
        "title": s.kpi.title,
        "unit": s.kpi.unit,
        "higher_is_better": s.kpi.higher_is_better,
        "bucket": s.bucket,
        "by": s.by,
        "from": s.first,
        "to": s.last,
        "available": s.available,
        "reason": s.reason,
        "lines": [
            {
                "group": line.group,
                "label": line.label,
                "points": [
                    {
                        "bucket": p.bucket,
                        "start": p.start,
                        "end": p.end,
                        "value": _round(p.value),
                        "counts": {k: _round(v) if isinstance(v, float) else v for k, v in p.counts.items()},
                    }
                    for p in line.points
                ],
            }
            for line in s.lines
        ],
    }


def control_chart(chart, s: Series, line_index: int = 0) -> dict[str, Any]:
    buckets = [p.bucket for p in s.lines[line_index].points] if s.lines else []
    return {
        "kind": chart.kind,
        "centre": _round(chart.centre),
        "points": [
            {
                "bucket": b,
                "value": _round(p.value),
                "lcl": _round(p.lcl),
                "ucl": _round(p.ucl),
                "beyond_limits": p.beyond_limits,
                "eight_in_a_row": p.in_run,
            }
            for b, p in zip(buckets, chart.points, strict=True)
        ],
        "moving_range_centre": _round(chart.mr_centre),
        "moving_range_ucl": _round(chart.mr_ucl),
    }


def series_csv(s: Series) -> str:
    out = io.StringIO()
    counts = sorted({k for line in s.lines for p in line.points for k in p.counts})
    writer = csv.writer(out)
    writer.writerow(["kpi", "unit", "bucket_start", "group", "value", *counts])
    for line in s.lines:
        for p in line.points:
            writer.writerow(
                [
                    s.kpi.name,
                    s.kpi.unit,
                    p.bucket.isoformat(),
                    line.label,
                    "" if p.value is None else round(p.value, 4),
                ]
                + [p.counts.get(k, "") for k in counts]
            )
    return out.getvalue()


# The columns a drill-down shows, by the model of its rows.
ROW_COLUMNS: dict[str, tuple[str, ...]] = {
    "ticket": (
        "id",
        "subject",
        "status",
        "priority",
        "channel",
        "account_id",
        "team_id",
        "assignee_id",
        "created_at",
        "resolved_at",
    ),
    "ticketsla": (
        "id",
        "ticket_id",
        "target",
        "status",
        "deadline",
        "met_at",
        "breached_at",
        "elapsed_business_seconds",
    ),
    "ticketevent": ("id", "ticket_id", "type", "at"),
    "surveyresponse": ("id", "ticket_id", "account_id", "agent_id", "team_id", "csat", "nps", "answered_at"),
    "workorder": (
        "id",
        "number",
        "status",
        "technician_id",
        "account_id",
        "asset_id",
        "ticket_id",
        "en_route_at",
        "on_site_at",
        "finished_at",
        "incomplete_reason",
    ),
}


def row_columns(qs) -> tuple[str, ...]:
    return ROW_COLUMNS[qs.model._meta.model_name]


def row_values(qs) -> Iterable[dict[str, Any]]:
    return qs.values(*row_columns(qs))


def rows_csv(qs) -> Iterable[str]:
    """The drill-down as CSV, streamed in chunks (a drill-down may be long)."""
    columns = row_columns(qs)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for row in qs.values_list(*columns).order_by("pk").iterator(chunk_size=2000):
        writer.writerow(row)
        if buffer.tell() > 64_000:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def report_section(s: Series, svg: str) -> report_pdf.Section:
    """A series of one line (a report's account) as a section of the PDF report."""
    points = s.lines[0].points if s.lines else []
    return report_pdf.Section(
        title=s.kpi.title,
        meaning=s.kpi.meaning,
        unit=s.kpi.unit,
        svg=svg if s.available else "",
        periods=[report_pdf.Period(p.bucket, p.value, p.counts) for p in points],
        unavailable="" if s.available else s.reason,
    )
