"""Triage: mail the intake could not place, turned into a ticket or discarded by desk staff, over
HTTP (the page and its HTMX parts) and at the service level, with isolation."""

from __future__ import annotations

import pytest

from steward.core.errors import Forbidden, NotFound, ValidationFailed
from steward.core.models import AuditEvent
from steward.customers.models import Contact
from steward.desk.mail import services
from steward.desk.mail.intake import receive
from steward.desk.mail.tests.helpers import customer_mail
from steward.desk.models import Attachment, InboundMail, OutboundMail, Ticket
from steward.testing import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting(world) -> InboundMail:
    raw = customer_mail(
        sender="Greta Gast <greta@newcomer.example>",
        subject="Our boiler leaks",
        body="Water on the floor of the boiler room.",
        message_id="<greta@newcomer.example>",
        files=[("leak.jpg", b"\xff\xd8\xff jpeg", "image/jpeg")],
    )
    row = receive(raw, source="test")
    assert row.status == "triage"
    return row


def test_the_list_shows_what_waits_and_htmx_swaps_only_the_rows(world, waiting, client_for):
    receive(customer_mail(sender=world.contact_a.email, subject="placed by itself"), source="test")
    client = client_for(world.users["agent"])
    page = client.get("/desk/mail/").content.decode()
    assert "Our boiler leaks" in page and "placed by itself" not in page and "<html" in page
    assert "Triage (1)" in page  # the navigation counts what waits
    rows = client.get("/desk/mail/?status=all&q=greta", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in rows and "Our boiler leaks" in rows and "placed by itself" not in rows
    everything = client.get("/desk/mail/?status=all").content.decode()
    assert "placed by itself" in everything
    bad = client.get("/desk/mail/?status=bogus").content.decode()
    assert "status: must be one of" in bad


def test_the_triage_entry_is_for_desk_staff_only(world, client_for):
    assert "Triage" in client_for(world.users["dispatcher"]).get("/").content.decode()
    for who in ("technician", "customer_a_admin"):
        assert "/desk/mail/" not in client_for(world.users[who]).get("/").content.decode()


def test_convert_to_a_ticket_of_a_chosen_contact(world, waiting, client_for):
    client = client_for(world.users["agent"])
    response = client.post(
        f"/desk/mail/{waiting.pk}/",
        {"action": "convert", "account": world.account_a.pk, "contact": world.contact_a.pk},
    )
    assert response.status_code == 302 and response["Location"] == "/desk/mail/"
    waiting.refresh_from_db()
    ticket = waiting.ticket
    assert (
        waiting.status == "created"
        and ticket.account == world.account_a
        and ticket.contact == world.contact_a
    )
    assert (
        ticket.subject == "Our boiler leaks"
        and ticket.description == "Water on the floor of the boiler room."
    )
    assert ticket.created_at == waiting.received_at and ticket.channel == "email"
    assert [a.filename for a in Attachment.objects.filter(ticket=ticket)] == ["leak.jpg"]
    ack = OutboundMail.objects.get(ticket=ticket, kind="ack")
    assert ack.in_reply_to == "<greta@newcomer.example>"
    event = AuditEvent.objects.get(action="inbound_mail.convert")
    assert event.actor == world.users["agent"] and event.changes["ticket"] == ticket.pk


def test_convert_with_a_new_contact_made_from_the_sender(world, waiting, client_for):
    client = client_for(world.users["agent"])
    client.post(f"/desk/mail/{waiting.pk}/", {"action": "convert", "account": world.account_b.pk})
    contact = Contact.objects.get(email="greta@newcomer.example")
    assert contact.account == world.account_b and contact.full_name == "Greta Gast"
    assert Ticket.objects.get().contact == contact
    assert AuditEvent.objects.filter(
        action="contact.create", object_id=str(contact.pk), actor=world.users["agent"]
    ).exists()


def test_the_contact_list_follows_the_chosen_account(world, waiting, client_for):
    part = (
        client_for(world.users["agent"])
        .get(f"/desk/mail/{waiting.pk}/?part=convert&account={world.account_b.pk}", HTTP_HX_REQUEST="true")
        .content.decode()
    )
    assert "<html" not in part and world.contact_b.full_name in part and world.contact_a.full_name not in part


def test_a_contact_of_another_account_is_refused_next_to_the_field(world, waiting, client_for):
    response = client_for(world.users["agent"]).post(
        f"/desk/mail/{waiting.pk}/",
        {"action": "convert", "account": world.account_a.pk, "contact": world.contact_b.pk},
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()  # not among account A's contacts
    with pytest.raises(ValidationFailed) as refused:
        services.triage_convert(
            actor=world.users["agent"], mail=waiting, account=world.account_a, contact=world.contact_b
        )
    assert "contact" in refused.value.fields
    waiting.refresh_from_db()
    assert waiting.status == "triage" and not Ticket.objects.exists()


def test_discard_with_a_reason_audited(world, waiting, client_for):
    response = client_for(world.users["manager"]).post(
        f"/desk/mail/{waiting.pk}/", {"action": "discard", "reason": "spam"}
    )
    assert response.status_code == 302
    waiting.refresh_from_db()
    assert waiting.status == "discarded" and waiting.reason.endswith(": spam") and not Ticket.objects.exists()
    event = AuditEvent.objects.get(action="inbound_mail.discard")
    assert event.actor == world.users["manager"] and event.changes["reason"] == "spam"


def test_a_mail_is_handled_once(world, waiting, client_for):
    services.triage_discard(actor=world.users["agent"], mail=waiting)
    with pytest.raises(ValidationFailed, match="no longer waiting"):
        services.triage_convert(
            actor=world.users["agent"], mail=waiting, account=world.account_a, contact=world.contact_a
        )
    page = client_for(world.users["agent"]).post(
        f"/desk/mail/{waiting.pk}/",
        {"action": "convert", "account": world.account_a.pk, "contact": world.contact_a.pk},
    )
    assert page.status_code == 200 and "no longer waiting in triage" in page.content.decode()
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    "who", ["customer_a_requester", "customer_a_admin", "customer_b_admin", "technician"]
)
def test_only_desk_staff_see_or_act_on_mail(world, waiting, client_for, who):
    client = client_for(world.users[who])
    assert client.get(f"/desk/mail/{waiting.pk}/").status_code == 404
    convert = client.post(f"/desk/mail/{waiting.pk}/", {"action": "convert", "account": world.account_a.pk,
                                                         "contact": world.contact_a.pk})  # fmt: skip
    discard = client.post(f"/desk/mail/{waiting.pk}/", {"action": "discard"})
    assert convert.status_code == 404 and discard.status_code == 404
    assert client.get("/desk/mail/").status_code == 403
    with pytest.raises((Forbidden, NotFound)):
        services.triage_discard(actor=world.users[who], mail=waiting)
    waiting.refresh_from_db()
    assert waiting.status == "triage" and not Ticket.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="inbound_mail.").exists()


def test_the_raw_message_downloads_as_a_file(world, waiting, client_for):
    response = client_for(world.users["agent"]).get(f"/desk/mail/{waiting.pk}/raw/")
    assert response.status_code == 200 and response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")
    assert b"Our boiler leaks" in b"".join(response.streaming_content)


def test_the_detail_page_shows_the_text_files_and_actions(world, waiting, client_for):
    page = client_for(world.users["agent"]).get(f"/desk/mail/{waiting.pk}/").content.decode()
    assert "Water on the floor" in page and "leak.jpg" in page and "Open a ticket" in page
    assert "Greta Gast" in page and "unknown sender" in page
    done = f.InboundMailFactory(status="created", reason="new ticket")
    assert (
        "Open a ticket" not in client_for(world.users["agent"]).get(f"/desk/mail/{done.pk}/").content.decode()
    )
