"""`bench_kit.RowWriter`: the benchmarks' bulk writer stores what the ORM would have stored (aware
instants, JSON, booleans, defaults) on both databases, and leaves the id sequence usable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from steward.demo.bench_kit import RowWriter
from steward.desk.models import Ticket, TicketEvent
from steward.testing import factories as f

pytestmark = pytest.mark.django_db

AT = datetime(2026, 3, 29, 0, 30, 0, 250_000, tzinfo=UTC)  # the night Berlin's clocks go forward


def test_rows_read_back_as_the_orm_would_have_written_them():
    account = f.AccountFactory()
    tickets = RowWriter(
        Ticket, ["id", "account_id", "priority", "subject", "first_contact_resolution", "created_at"]
    )
    events = RowWriter(TicketEvent, ["ticket_id", "at", "type", "data"])
    for pk in (70, 71):
        tickets.add(
            id=pk,
            account_id=account.pk,
            priority="P2",
            subject=f"Ticket {pk}",
            first_contact_resolution=pk == 71,
            created_at=AT + timedelta(hours=pk - 70),
        )
        events.add(ticket_id=pk, at=AT, type="created", data={"status": "new", "note": "naïve ✓"})
    assert len(tickets) == 2
    assert tickets.finish() == 2 and events.finish() == 2 and len(tickets) == 0

    first, second = Ticket.objects.order_by("pk")
    assert (first.pk, second.pk) == (70, 71)
    assert first.created_at == AT and second.created_at == AT + timedelta(hours=1)
    assert (first.first_contact_resolution, second.first_contact_resolution) == (False, True)
    # Defaults the rows left out: the model's, "" for text, NULL where nullable, auto_now set.
    assert (first.status, first.type, first.channel, first.description) == ("new", "incident", "portal", "")
    assert first.resolved_at is None and first.assignee_id is None and first.updated_at is not None
    event = TicketEvent.objects.filter(ticket_id=70).get()
    assert event.at == AT and event.data == {"status": "new", "note": "naïve ✓"}
    # The next ticket the application creates gets a fresh id (the sequence moved past 71).
    assert Ticket.objects.create(account=account, priority="P3", subject="next").pk > 71


def test_unknown_or_missing_columns_are_refused_before_anything_is_written():
    with pytest.raises(ValueError, match="Ticket has no field colour"):
        RowWriter(Ticket, ["id", "colour"])
    writer = RowWriter(Ticket, ["id", "subject"])
    with pytest.raises(ValueError, match="no value for subject"):
        writer.add(id=1)
    with pytest.raises(ValueError, match="priority not among the columns"):
        writer.add(id=1, subject="x", priority="P1")
    assert len(writer) == 0 and writer.flush() == 0
    assert not Ticket.objects.exists()
