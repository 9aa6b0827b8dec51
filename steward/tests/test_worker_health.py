"""Background work end to end: enqueue on commit, the real database worker, idempotency, /healthz."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from steward.accounts.models import User
from steward.accounts.services import user_create
from steward.accounts.tasks import send_welcome
from steward.core.models import WorkerHeartbeat
from steward.testing import factories as f


@pytest.mark.django_db(transaction=True)
def test_welcome_mail_goes_through_the_database_queue_once(client):
    admin = f.staff_user("admin")
    user = user_create(actor=admin, email="new@steward.test", full_name="New Person", roles=["agent"])
    queued = DBTaskResult.objects.filter(task_path__endswith="send_welcome")
    assert queued.count() == 1
    assert mail.outbox == []

    call_command("worker", batch=True, interval=0, verbosity=0)
    # The worker waited for its ticker: nothing of it goes on writing after the command returns.
    assert not [t for t in threading.enumerate() if t.name == "steward-ticker"]

    assert [m.to for m in mail.outbox] == [["new@steward.test"]]
    assert User.objects.get(pk=user.pk).welcomed_at is not None
    assert queued.get().status == "SUCCESSFUL"
    # A duplicate delivery of the same task sends nothing more.
    assert send_welcome.call(user.pk) is False
    assert len(mail.outbox) == 1
    # The worker left a heartbeat, so the service reports healthy.
    assert WorkerHeartbeat.objects.exists()
    response = client.get("/healthz")
    assert response.status_code == 200, response.content
    assert response.json()["checks"]["database"]["ok"] is True


@pytest.mark.django_db(transaction=True)
def test_rolled_back_write_enqueues_nothing():
    from django.db import transaction

    admin = f.staff_user("admin")
    with pytest.raises(RuntimeError), transaction.atomic():
        user_create(actor=admin, email="ghost@steward.test", full_name="Ghost", roles=["agent"])
        raise RuntimeError("abort")
    assert not DBTaskResult.objects.exists()
    assert not User.objects.filter(email="ghost@steward.test").exists()


@pytest.mark.django_db
def test_healthz_is_503_without_a_fresh_worker(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["worker"]["ok"] is False
    old = timezone.now() - timedelta(minutes=10)
    WorkerHeartbeat.objects.create(worker_id="w1", hostname="h", pid=1, started_at=old, last_seen=old)
    assert client.get("/healthz").status_code == 503
    WorkerHeartbeat.objects.filter(worker_id="w1").update(last_seen=timezone.now())
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["checks"]["worker"]["alive"] == 1
