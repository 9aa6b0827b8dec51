"""The counts behind the Pareto charts, each one grouped COUNT in the database over a period:
ticket categories (tags), complaint causes (the tags of complaint tickets), the reasons visits were
left incomplete, and SLA breach causes (which target, on which service). `pareto.pareto` sorts
and cuts them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from zoneinfo import ZoneInfo

from django.db.models import Count, Q

from steward.analytics.buckets import local_midnight
from steward.analytics.kpis import CLOCKS, TICKETS, WORK_ORDERS, Source
from steward.analytics.pareto import Bar, pareto

Scope = Callable[[Source], Q]

ANALYSES = {
    "ticket_categories": "Ticket categories (tags of tickets created in the period)",
    "complaint_causes": "Complaint causes (tags of complaint tickets created in the period)",
    "incomplete_reasons": "Why visits were left incomplete (visits finished in the period)",
    "breach_causes": "SLA breaches by target and service (deadlines in the period)",
}


def _range(first: date, last: date, tz: ZoneInfo, field: str) -> Q:
    from datetime import timedelta

    return Q(
        **{
            f"{field}__gte": local_midnight(first, tz),
            f"{field}__lt": local_midnight(last + timedelta(days=1), tz),
        }
    )


def counts(analysis: str, *, first: date, last: date, scope: Scope, tz: ZoneInfo) -> list[tuple[str, int]]:
    if analysis in ("ticket_categories", "complaint_causes"):
        qs = TICKETS.rows().filter(scope(TICKETS)).filter(_range(first, last, tz, "created_at"))
        if analysis == "complaint_causes":
            qs = qs.filter(type="complaint")
        rows = qs.values("tags__name").order_by().annotate(n=Count("id"))
        return [(r["tags__name"] or "(untagged)", r["n"]) for r in rows]
    if analysis == "incomplete_reasons":
        qs = WORK_ORDERS.rows().filter(scope(WORK_ORDERS)).filter(status="incomplete")
        rows = qs.filter(_range(first, last, tz, "finished_at")).values("incomplete_reason").order_by()
        return [(r["incomplete_reason"] or "(no reason given)", r["n"]) for r in rows.annotate(n=Count("id"))]
    if analysis == "breach_causes":
        from steward.desk.models import SlaTargetKind

        labels = dict(SlaTargetKind.choices)
        qs = CLOCKS.rows().filter(scope(CLOCKS)).filter(status="breached")
        rows = (
            qs.filter(_range(first, last, tz, "deadline"))
            .values("target", "ticket__service__name")
            .order_by()
            .annotate(n=Count("id"))
        )
        return [
            (
                f"{labels.get(r['target'], r['target'])} · {r['ticket__service__name'] or '(no service)'}",
                r["n"],
            )
            for r in rows
        ]
    raise ValueError(f"unknown analysis {analysis!r}")


def analyse(analysis: str, *, first: date, last: date, scope: Scope, tz: ZoneInfo) -> list[Bar]:
    return pareto(counts(analysis, first=first, last=last, scope=scope, tz=tz))
