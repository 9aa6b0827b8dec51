"""`core.bulk_rows.RawTable`: the history builders' raw writer stores what the ORM would have stored
(aware instants, JSON, booleans, defaults) on both databases, takes ids as the table's own inserts
do, and refuses a name that is not a column."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from steward.core.bulk_rows import RawTable
from steward.desk.models import Ticket, TicketEvent
from steward.testing import factories as f

pytestmark = pytest.mark.django_db

AT = datetime(2026, 3, 29, 0, 30, 0, 250_000, tzinfo=UTC)  # the night Berlin's clocks go forward


def test_rows_read_back_as_the_orm_would_have_written_them():
    account = f.AccountFactory()
    tickets, events = RawTable(Ticket), RawTable(TicketEvent)
    first_id, second_id = tickets.reserve_ids(2)
    tickets.insert(
        [
            {
                "id": pk,
                "account_id": account.pk,
                "priority": "P2",
                "subject": f"Ticket {pk}",
                "first_contact_resolution": pk == second_id,
                "created_at": AT + timedelta(hours=i),
            }
            for i, pk in enumerate((first_id, second_id))
        ]
    )
    events.insert(
        [
            {"ticket_id": pk, "at": AT, "type": "created", "data": {"status": "new", "note": "naïve ✓"}}
            for pk in (first_id, second_id)
        ]
    )

    first, second = Ticket.objects.order_by("pk")
    assert (first.pk, second.pk) == (first_id, second_id)
    assert first.created_at == AT and second.created_at == AT + timedelta(hours=1)
    assert (first.first_contact_resolution, second.first_contact_resolution) == (False, True)
    # Defaults the rows left out: the model's, "" for text, NULL where nullable, auto_now set.
    assert (first.status, first.type, first.channel, first.description) == ("new", "incident", "portal", "")
    assert first.resolved_at is None and first.assignee_id is None and first.updated_at is not None
    event = TicketEvent.objects.filter(ticket_id=first_id).get()
    assert event.at == AT and event.data == {"status": "new", "note": "naïve ✓"}
    # The next ticket the application creates gets a fresh id (the ids were taken, not guessed).
    assert Ticket.objects.create(account=account, priority="P3", subject="next").pk > second_id


def test_a_name_that_is_not_a_column_is_refused_before_anything_is_written():
    account = f.AccountFactory()
    good = {"account_id": account.pk, "priority": "P1", "subject": "fine"}
    with pytest.raises(ValueError, match="Ticket has no column colour"):
        RawTable(Ticket).insert([{**good, "id": 1}, {**good, "id": 2, "colour": "red"}])
    assert not Ticket.objects.exists()
