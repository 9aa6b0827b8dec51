"""Two workers taking in the same message at the same moment (an SMTP retry while the first delivery
is still being processed, two IMAP pollers): exactly one ticket, and the loser writes nothing.
Real threads with their own database connections, on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from steward.core.models import AuditEvent
from steward.desk.mail import intake
from steward.desk.mail.tests.helpers import customer_mail
from steward.desk.models import InboundMail, OutboundMail, Ticket, TicketEvent


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "message_id", ["<race@client.example>", ""], ids=["by-message-id", "by-content-hash"]
)
def test_two_workers_racing_on_one_message_make_one_ticket(world, monkeypatch, message_id):
    raw = customer_mail(sender=world.contact_a.email, message_id=message_id)
    both_checked = threading.Barrier(2)
    seen = threading.local()
    real_existing, real_process, real_once = intake._existing, intake._process, intake._receive_once
    duplicates: list[int] = []

    def existing_after_both_checked(parsed):
        if not getattr(seen, "checked", False):
            # Both workers find no copy before either inserts: the unique constraint must decide.
            seen.checked = True
            both_checked.wait(timeout=20)
            return None
        return real_existing(parsed)

    def slow_process(*args, **kwargs):
        time.sleep(0.5)  # the winner holds its transaction open while the loser tries to insert
        return real_process(*args, **kwargs)

    def counting_once(*args, **kwargs):
        try:
            return real_once(*args, **kwargs)
        except intake._Duplicate:
            duplicates.append(1)
            raise

    monkeypatch.setattr(intake, "_existing", existing_after_both_checked)
    monkeypatch.setattr(intake, "_process", slow_process)
    monkeypatch.setattr(intake, "_receive_once", counting_once)
    results, errors = [], []

    def worker():
        try:
            results.append(intake.receive(raw, source="smtp"))
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert sorted(r.was_duplicate for r in results) == [False, True]
    assert len({r.pk for r in results}) == 1 and duplicates == [1]
    assert InboundMail.objects.count() == 1 and Ticket.objects.count() == 1
    ticket = Ticket.objects.get()
    assert TicketEvent.objects.filter(ticket=ticket, type="created").count() == 1
    assert OutboundMail.objects.filter(kind="ack").count() == 1
    assert AuditEvent.objects.filter(action="ticket.create").count() == 1
