"""Background jobs of the analytics app: the weekly dashboard email, and keeping the stored KPI
cells (`cells`) current: every tick the pending history changes are consumed (the cells they may
have altered are dropped), and once a night one worker warms the standard series.

Each due subscription is claimed by compare-and-set on its indexed `next_send_at` (the UPDATE
moves it to next Monday 07:00 only where it still holds the value this worker read), so any
number of workers send it once. The mail is sent after the claim committed; if sending fails, the
claim is put back (again by compare-and-set) and the next tick retries."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone
from django_tasks import task

from steward.analytics.models import DashboardSubscription
from steward.analytics.services import _next_monday_morning
from steward.core.worker import periodic

logger = logging.getLogger("steward.analytics.digest")
DIGEST_KPIS = (
    "sla_compliance_resolution",
    "first_response_business_median",
    "backlog",
    "csat",
    "first_time_fix",
)


def digest(user, now: datetime) -> tuple[str, str, str]:
    """(subject, text, html) of the weekly dashboard, in the user's scope: the goals and the main
    KPIs over the last eight weeks."""
    from steward.analytics import charts, selectors

    last = timezone.localdate(now) - timedelta(days=1)
    first = last - timedelta(weeks=8) + timedelta(days=1)
    goals = [
        selectors.goal_status(user, g, now=now) for g in selectors.goal_list(user).filter(is_active=True)
    ]
    cards = []
    for name in DIGEST_KPIS:
        s = selectors.kpi_series(user, name, first=first, last=last, bucket="week")
        points = s.lines[0].points if s.lines else []
        svg = charts.line_chart(
            [charts.Line(s.kpi.title, [p.value for p in points])],
            [b.label for b in s.buckets],
            unit=s.kpi.unit,
            bucket="week",
            title=s.kpi.title,
        )
        cards.append({"kpi": s.kpi, "points": points, "svg": svg})
    context = {"user": user, "goals": goals, "cards": cards, "first": first, "last": last}
    subject = f"Service performance, week to {last:%d %b %Y}"
    return (
        subject,
        render_to_string("analytics/digest.txt", context),
        render_to_string("analytics/digest.html", context),
    )


def send_due_dashboards(now: datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    counts = {"sent": 0, "skipped": 0, "failed": 0}
    due = DashboardSubscription.objects.filter(next_send_at__lte=now, is_active=True, user__is_active=True)
    for sub in due.select_related("user").order_by("next_send_at", "pk")[:500]:
        following = _next_monday_morning(now)
        won = DashboardSubscription.objects.filter(pk=sub.pk, next_send_at=sub.next_send_at).update(
            next_send_at=following, last_sent_at=now
        )
        if won != 1:
            counts["skipped"] += 1
            continue
        try:
            subject, text, html = digest(sub.user, now)
            mail = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [sub.user.email])
            mail.attach_alternative(html, "text/html")
            mail.send()
        except Exception:  # put the claim back: the next tick retries
            logger.exception("weekly dashboard for user %s could not be sent", sub.user_id)
            DashboardSubscription.objects.filter(pk=sub.pk, next_send_at=following).update(
                next_send_at=sub.next_send_at, last_sent_at=sub.last_sent_at
            )
            counts["failed"] += 1
            continue
        counts["sent"] += 1
    return counts


@periodic
def send_dashboards() -> None:
    """Every worker tick: send the weekly dashboards that fell due (safe with many workers)."""
    send_due_dashboards()


@periodic
def consume_history_changes() -> None:
    """Every worker tick: drop the stored KPI cells that pending history changes may have altered
    (cheap when nothing changed)."""
    from steward.analytics import cells

    cells.consume_changes()


WARM_AT_HOUR = 3  # UTC, after the nightly plan: the morning's dashboards then read stored cells
WARM_WEEKS = 53
WARM_BREAKDOWNS = (None, "team")


def warm_cells(now: datetime | None = None) -> dict[str, int]:
    """Compute (and so store) every available KPI's weekly and monthly series over the last year,
    overall and by team: the series the dashboards and the weekly email open with."""
    from steward.analytics import kpis, series

    now = now or timezone.now()
    last = timezone.localdate(now)
    first = last - timedelta(weeks=WARM_WEEKS)
    counts = {"series": 0}
    for kpi in kpis.KPIS.values():
        if kpi.kind == "unavailable":
            continue
        for bucket in ("week", "month"):
            for by in WARM_BREAKDOWNS:
                if by is not None and by not in kpi.dims:
                    continue
                series.series(kpi=kpi, first=first, last=last, bucket=bucket, by=by)
                counts["series"] += 1
    logging.getLogger("steward.analytics.cells").info("KPI cells warmed: %s series", counts["series"])
    return counts


@task()
def warm_kpi_cells() -> dict[str, int]:
    return warm_cells()


@periodic
def warm_cells_nightly() -> None:
    """Once a day from WARM_AT_HOUR (UTC), one worker (compare-and-set on the state row) enqueues
    the warming, so the ticker itself never spends minutes on it."""
    from steward.analytics import cells

    now = timezone.now()
    if now.astimezone(UTC).hour < WARM_AT_HOUR:
        return
    if cells.claim_warming(now.astimezone(UTC).date()):
        warm_kpi_cells.enqueue()
