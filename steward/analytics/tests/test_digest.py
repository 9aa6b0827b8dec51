"""The weekly dashboard email: subscribed through the service, due on Monday 07:00 local time,
claimed by compare-and-set (sent once, whatever the number of workers), put back if sending fails."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail

from steward.analytics import services, tasks
from steward.analytics.models import DashboardSubscription, ServiceGoal
from steward.analytics.tests.data import utc

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _berlin(settings):
    settings.TIME_ZONE = "Europe/Berlin"


def test_subscribe_then_sent_once_on_monday_morning(world, monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: utc(2026, 3, 4, 12))  # a Wednesday
    manager = world.users["manager"]
    ServiceGoal.objects.create(name="CSAT 90", kpi="csat", target=90)
    sub = services.subscription_set(actor=manager, active=True)
    assert sub.next_send_at == utc(2026, 3, 9, 6)  # Monday 07:00 CET
    assert tasks.send_due_dashboards(now=utc(2026, 3, 9, 5, 59)) == {"sent": 0, "skipped": 0, "failed": 0}
    assert tasks.send_due_dashboards(now=utc(2026, 3, 9, 6)) == {"sent": 1, "skipped": 0, "failed": 0}
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [manager.email] and "CSAT 90" in message.body
    assert "<svg" in message.alternatives[0][0]
    # A second worker (or tick) finds nothing due: the claim moved the due time a week on.
    assert tasks.send_due_dashboards(now=utc(2026, 3, 9, 6, 1))["sent"] == 0
    sub.refresh_from_db()
    assert sub.next_send_at == utc(2026, 3, 16, 6) and sub.last_sent_at == utc(2026, 3, 9, 6)


def test_a_lost_claim_is_skipped_and_a_failed_send_is_put_back(world, monkeypatch):
    sub = DashboardSubscription.objects.create(user=world.users["manager"], next_send_at=utc(2026, 3, 9, 6))
    real_update = DashboardSubscription.objects.filter

    def racing_filter(*args, **kwargs):  # another worker claims between our read and our update
        if "next_send_at" in kwargs and "pk" in kwargs:
            DashboardSubscription.objects.all().update(next_send_at=utc(2026, 3, 16, 6))
        return real_update(*args, **kwargs)

    monkeypatch.setattr(DashboardSubscription.objects, "filter", racing_filter)
    assert tasks.send_due_dashboards(now=utc(2026, 3, 9, 7))["skipped"] == 1
    monkeypatch.undo()
    assert len(mail.outbox) == 0

    DashboardSubscription.objects.filter(pk=sub.pk).update(next_send_at=utc(2026, 3, 9, 6))

    def broken(user, now):
        raise OSError("SMTP down")

    monkeypatch.setattr(tasks, "digest", broken)
    assert tasks.send_due_dashboards(now=utc(2026, 3, 9, 7))["failed"] == 1
    sub.refresh_from_db()
    assert sub.next_send_at == utc(2026, 3, 9, 6) and sub.last_sent_at is None  # retried next tick
    monkeypatch.undo()
    assert tasks.send_due_dashboards(now=utc(2026, 3, 9, 7) + timedelta(minutes=1))["sent"] == 1


def test_only_staff_subscribe(world):
    from steward.core.errors import Forbidden

    with pytest.raises(Forbidden):
        services.subscription_set(actor=world.users["customer_a_admin"], active=True)
