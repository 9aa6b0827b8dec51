"""The mail intake, worked examples: who a mail is from, where it lands, what is ignored."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from steward.core.models import AuditEvent
from steward.customers.models import Contact
from steward.desk import services
from steward.desk.mail import tokens
from steward.desk.mail.intake import receive
from steward.desk.mail.parse import LOOP_HEADER
from steward.desk.mail.tests.helpers import SUPPORT, customer_mail
from steward.desk.models import (
    Attachment,
    InboundMail,
    OutboundMail,
    Ticket,
    TicketLink,
    TicketMessage,
)
from steward.testing import factories as f

pytestmark = pytest.mark.django_db


def ack_of(ticket) -> OutboundMail:
    return OutboundMail.objects.get(ticket=ticket, kind="ack")


# --- new mail -------------------------------------------------------------------------------------


def test_mail_from_a_known_contact_opens_a_ticket_and_is_acknowledged_in_its_thread(world):
    contact = world.contact_a
    raw = customer_mail(sender=f"Anna Alpha <{contact.email.upper()}>", message_id="<first@client.example>")
    row = receive(raw, source="test", rcpt_to=[SUPPORT])
    assert row.status == "created" and not row.was_duplicate
    ticket = row.ticket
    assert ticket.account == world.account_a and ticket.contact == contact and ticket.channel == "email"
    assert ticket.requester == contact.user  # the contact's login is the requester
    assert ticket.subject == "The heating is off"
    assert ticket.description == "Room 4 has been cold since this morning."
    assert row.raw.name and row.raw.open("rb").read() == raw
    ack = ack_of(ticket)
    assert ack.to == [contact.user.email]
    assert ack.subject == f"[{ticket.number}] The heating is off"
    assert ack.in_reply_to == "<first@client.example>" and ack.references == "<first@client.example>"
    assert tokens.verified_ticket_id(ack.reply_to) == ticket.pk and ack.reply_to.startswith("support+")


def test_a_customer_user_without_a_contact_record_gets_one(world):
    user = f.customer_user(world.account_b, "requester", email="Carla@Beta.example")
    row = receive(customer_mail(sender="carla@beta.example"), source="test")
    ticket = row.ticket
    assert ticket.account == world.account_b and ticket.requester == user
    assert ticket.contact.user == user and ticket.contact.email == "carla@beta.example"


def test_an_unknown_sender_at_the_accounts_domain_becomes_a_contact_audited(world):
    world.account_a.email_domain = "alpha.example"
    world.account_a.save()
    row = receive(customer_mail(sender="Dora Dee <dora@Alpha.example>"), source="test")
    contact = Contact.objects.get(email="dora@alpha.example")
    assert contact.account == world.account_a and contact.full_name == "Dora Dee"
    assert row.status == "created" and row.ticket.contact == contact
    event = AuditEvent.objects.get(action="contact.create", object_id=str(contact.pk))
    assert (
        event.actor is None and "mail intake" in event.actor_label and event.account_id == world.account_a.pk
    )


def test_an_unknown_sender_waits_in_triage(world):
    row = receive(customer_mail(sender="stranger@nowhere.example"), source="test")
    assert row.status == "triage" and row.ticket is None and row.reason == "unknown sender"
    assert (
        not Ticket.objects.exists() and not Contact.objects.filter(email="stranger@nowhere.example").exists()
    )
    assert not OutboundMail.objects.exists()


def test_a_domain_of_two_accounts_waits_in_triage(world):
    for account in (world.account_a, world.account_b):
        account.email_domain = "shared.example"
        account.save()
    row = receive(customer_mail(sender="x@shared.example"), source="test")
    assert row.status == "triage" and "several accounts" in row.reason


def test_the_team_is_the_one_whose_address_the_mail_went_to(world):
    team = f.TeamFactory(name="Facilities", email="Facilities@steward.test")
    row = receive(customer_mail(sender=world.contact_a.email, to="facilities@steward.test"), source="test")
    assert row.ticket.team == team
    other = receive(customer_mail(sender=world.contact_a.email, subject="to the main address"), source="test")
    assert other.ticket.team is None


def test_ticket_numbers_of_other_tickets_are_kept_out_of_a_new_subject(world):
    row = receive(customer_mail(sender=world.contact_a.email, subject="Re: [T-999999]  "), source="test")
    assert row.ticket.subject == "Re:"


# --- threading ------------------------------------------------------------------------------------


@pytest.fixture
def opened(world):
    """A ticket opened by mail from Anna (account A), with its acknowledgement queued."""
    row = receive(
        customer_mail(sender=world.contact_a.email, message_id="<open@client.example>"), source="test"
    )
    return row.ticket


def test_a_reply_is_threaded_by_in_reply_to_and_its_quote_stripped(world, opened):
    ack = ack_of(opened)
    body = "It works again, thanks!\n\nOn Mon, 9 Mar 2026, Steward <support@steward.test> wrote:\n> We restarted it."
    row = receive(
        customer_mail(
            sender=world.contact_a.email, subject=f"Re: {ack.subject}", body=body, in_reply_to=ack.message_id
        ),
        source="test",
    )
    assert (
        row.status == "appended"
        and row.ticket == opened
        and row.reason == "threaded by In-Reply-To/References"
    )
    message = row.ticket_message
    assert message.body == "It works again, thanks!" and message.from_customer and message.via == "email"
    assert message.contact == world.contact_a and Ticket.objects.count() == 1


def test_a_reply_is_threaded_by_references_alone(world, opened):
    row = receive(
        customer_mail(
            sender=world.contact_a.email,
            subject="no number here",
            references="<unknown@x> <open@client.example>",
        ),
        source="test",
    )
    assert row.status == "appended" and row.ticket == opened


def test_a_reply_is_threaded_by_the_token_in_the_recipient(world, opened):
    address = tokens.reply_address(opened.pk)
    row = receive(customer_mail(sender=world.contact_a.email, subject="new words", to=address), source="test")
    assert row.status == "appended" and row.ticket == opened and row.reason == "threaded by the reply address"
    # the envelope recipient counts too (a client that rewrote To)
    row = receive(
        customer_mail(sender=world.contact_a.email, subject="more"), source="test", rcpt_to=[address]
    )
    assert row.status == "appended" and row.ticket == opened


def test_a_tampered_token_threads_nothing(world, opened):
    good = tokens.reply_address(opened.pk)
    other = Ticket.objects.create(account=world.account_a, subject="other", priority="P3")
    forged = good.replace(f"+{opened.pk}-", f"+{other.pk}-")
    assert tokens.verified_ticket_id(forged) is None
    row = receive(customer_mail(sender=world.contact_a.email, subject="hello", to=forged), source="test")
    assert row.status == "created" and row.ticket not in (opened, other)


def test_a_subject_number_threads_for_a_known_contact_of_the_account(world, opened):
    row = receive(
        customer_mail(sender=world.contact_a.email, subject=f"Re: [{opened.number}] heating"), source="test"
    )
    assert row.status == "appended" and row.ticket == opened and row.reason == "threaded by subject"


def test_a_subject_number_from_an_unknown_sender_is_not_threaded(world, opened):
    row = receive(
        customer_mail(sender="stranger@nowhere.example", subject=f"Re: [{opened.number}] heating"),
        source="test",
    )
    assert row.status == "triage" and row.ticket is None
    assert "subject names" in row.reason and not opened.messages.exists()


def test_a_subject_number_from_the_accounts_domain_but_no_contact_is_not_threaded(world, opened):
    world.account_a.email_domain = "alpha.example"
    world.account_a.save()
    row = receive(
        customer_mail(sender="new@alpha.example", subject=f"[{opened.number}] me too"), source="test"
    )
    assert row.status == "created" and row.ticket != opened and not opened.messages.exists()


def test_a_reply_from_another_account_never_lands_on_the_ticket(world, opened):
    """Bernd (account B) answers Anna's thread with all its headers: a new ticket of B instead."""
    ack = ack_of(opened)
    row = receive(
        customer_mail(
            sender=world.contact_b.email,
            subject=f"Re: [{opened.number}] heating",
            in_reply_to=ack.message_id,
            to=tokens.reply_address(opened.pk),
        ),
        source="test",
    )
    assert row.status == "created" and row.ticket.account == world.account_b
    assert not TicketMessage.objects.filter(ticket=opened).exists()
    assert "not of its account" in row.reason


def test_a_reply_to_a_merged_ticket_lands_on_the_survivor(world, opened):
    survivor = services.ticket_create(
        actor=world.users["agent"], account=world.account_a, subject="the same heating"
    )
    services.ticket_merge(ticket=opened, actor=world.users["agent"], into=survivor)
    row = receive(
        customer_mail(sender=world.contact_a.email, body="Any news?", in_reply_to="<open@client.example>"),
        source="test",
    )
    assert row.status == "appended" and row.ticket == survivor


def test_a_reply_within_the_reopen_window_reopens(world, opened, settings):
    services.ticket_change_status(ticket=opened, actor=world.users["agent"], status="resolved")
    row = receive(
        customer_mail(sender=world.contact_a.email, body="Cold again.", in_reply_to="<open@client.example>"),
        source="test",
    )
    opened.refresh_from_db()
    assert row.status == "appended" and opened.status == "open"


def test_a_reply_to_a_closed_ticket_past_the_window_starts_a_related_one(
    world, opened, settings, monkeypatch
):
    services.ticket_change_status(ticket=opened, actor=world.users["agent"], status="resolved")
    services.ticket_change_status(ticket=opened, actor=world.users["agent"], status="closed")
    later = timezone.now() + timedelta(days=settings.STEWARD_REOPEN_WINDOW_DAYS + 1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    row = receive(
        customer_mail(sender=world.contact_a.email, body="Cold again.", in_reply_to="<open@client.example>"),
        source="test",
    )
    opened.refresh_from_db()
    assert opened.status == "closed" and not opened.messages.filter(from_customer=True).exists()
    assert row.status == "created" and row.ticket != opened and "past its reopen window" in row.reason
    link = TicketLink.objects.get(from_ticket=row.ticket)
    assert link.to_ticket == opened and link.kind == "related"


# --- duplicates, machines and loops --------------------------------------------------------------


def test_duplicate_delivery_is_processed_once(world):
    raw = customer_mail(sender=world.contact_a.email, message_id="<dup@client.example>")
    first = receive(raw, source="imap")
    second = receive(raw, source="smtp")
    assert second.was_duplicate and second.pk == first.pk
    assert InboundMail.objects.count() == 1 and Ticket.objects.count() == 1
    assert OutboundMail.objects.count() == 1


def test_a_copy_without_message_id_by_another_route_is_deduplicated_by_content(world):
    when = timezone.now().replace(microsecond=0)
    raw = customer_mail(sender=world.contact_a.email, message_id="", date=when)
    relayed = b"Received: from relay.example by mx.example; Mon, 9 Mar 2026 10:00:00 +0100\r\n" + raw.replace(
        b"\n", b"\r\n"
    )
    first = receive(raw, source="imap")
    second = receive(relayed, source="smtp")
    assert first.message_id == "" and second.was_duplicate and second.pk == first.pk
    assert Ticket.objects.count() == 1


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-replied"},
        {"Precedence": "bulk"},
        {"X-Autoreply": "yes"},
        {"Return-Path": "<>"},
    ],
)
def test_auto_replies_are_recorded_and_ignored(world, opened, headers):
    ack = ack_of(opened)
    row = receive(
        customer_mail(
            sender=world.contact_a.email, subject="Out of office", in_reply_to=ack.message_id, headers=headers
        ),
        source="test",
    )
    assert row.status == "auto_reply" and row.reason and row.ticket is None
    assert not opened.messages.exists() and OutboundMail.objects.count() == 1  # only the first ack


def test_our_own_mail_coming_back_is_a_loop(world):
    looped = receive(
        customer_mail(sender=world.contact_a.email, headers={LOOP_HEADER: "support@steward.test"}),
        source="test",
    )
    assert looped.status == "loop" and looped.ticket is None
    ours = receive(customer_mail(sender="Steward <support+12-abc@steward.test>"), source="test")
    assert ours.status == "loop" and not Ticket.objects.exists()


def test_the_per_sender_rate_limit_breaks_loops(world, settings):
    settings.STEWARD_MAIL_LOOP_LIMIT = 3
    rows = [
        receive(customer_mail(sender=world.contact_a.email, subject=f"n{i}"), source="test") for i in range(5)
    ]
    assert [r.status for r in rows] == ["created", "created", "created", "loop", "loop"]
    assert "more than 3 messages" in rows[3].reason
    assert Ticket.objects.count() == 3 and OutboundMail.objects.count() == 3
    # another sender is not affected
    assert receive(customer_mail(sender=world.contact_b.email), source="test").status == "created"


def test_oversize_mail_is_rejected_with_the_reason_and_not_stored(world, settings):
    settings.STEWARD_MAIL_MAX_BYTES = 20_000
    raw = customer_mail(
        sender=world.contact_a.email, files=[("big.bin", b"x" * 30_000, "application/octet-stream")]
    )
    row = receive(raw, source="test")
    assert row.status == "rejected" and "larger than the limit" in row.reason
    assert row.mail_from == world.contact_a.email and row.subject == "The heating is off" and not row.raw
    assert not Ticket.objects.exists()
    assert receive(raw, source="test").was_duplicate


def test_too_many_parts_is_rejected(world, settings):
    settings.STEWARD_MAIL_MAX_PARTS = 3
    raw = customer_mail(
        sender=world.contact_a.email, files=[(f"{i}.txt", b"x", "text/plain") for i in range(3)]
    )
    row = receive(raw, source="test")
    assert row.status == "rejected" and "more than 3 MIME parts" in row.reason and not Ticket.objects.exists()


def test_a_mail_without_a_sender_is_rejected(world):
    row = receive(b"Subject: hi\r\nMessage-ID: <nosender@x>\r\n\r\nhello\r\n", source="test")
    assert row.status == "rejected" and row.reason == "no sender address"


# --- attachments ----------------------------------------------------------------------------------


def test_attachments_are_kept_and_refused_ones_listed_in_a_note(world, settings):
    settings.STEWARD_ATTACHMENT_MAX_BYTES = 1024
    raw = customer_mail(
        sender=world.contact_a.email,
        files=[
            ("photo.png", b"\x89PNG" + b"0" * 100, "image/png"),
            ("report.pdf", b"%PDF-1.4 tiny", "application/pdf"),
            ("setup.exe", b"MZ...", "application/octet-stream"),
            ("huge.pdf", b"%PDF" + b"0" * 2000, "application/pdf"),
        ],
    )
    row = receive(raw, source="test")
    ticket = row.ticket
    kept = {a.filename: a for a in Attachment.objects.filter(ticket=ticket)}
    assert set(kept) == {"photo.png", "report.pdf"} and all(a.is_public for a in kept.values())
    assert kept["report.pdf"].file.open("rb").read() == b"%PDF-1.4 tiny"
    note = TicketMessage.objects.get(ticket=ticket, is_public=False)
    assert "setup.exe: files of type .exe are not accepted" in note.body
    assert "huge.pdf" in note.body and "larger than the limit" in note.body


def test_attachments_on_a_reply_go_with_the_message(world, opened):
    raw = customer_mail(
        sender=world.contact_a.email,
        body="",
        in_reply_to="<open@client.example>",
        files=[("log.txt", b"E42", "text/plain")],
    )
    row = receive(raw, source="test")
    assert row.status == "appended"
    assert [a.filename for a in row.ticket_message.attachments.all()] == ["log.txt"]
    assert row.ticket_message.body == "(no text; see the attached files)"
