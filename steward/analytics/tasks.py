"""Background jobs of the analytics app: the weekly dashboard email.

Each due subscription is claimed by compare-and-set on its indexed `next_send_at` (the UPDATE
moves it to next Monday 07:00 only where it still holds the value this worker read), so any
number of workers send it once. The mail is sent after the claim committed; if sending fails, the
claim is put back (again by compare-and-set) and the next tick retries."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone

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
