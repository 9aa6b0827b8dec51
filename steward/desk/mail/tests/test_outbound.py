"""Outbound mail: what the desk's changes write (desk.notify), the headers that thread it, and the
sending by compare-and-set with back-off. Django's locmem backend, and a real SMTP server
(aiosmtpd) receiving what the SMTP backend sends."""

from __future__ import annotations

import socket
import threading
from datetime import timedelta
from email import policy
from email.parser import BytesParser

import pytest
from aiosmtpd.controller import Controller
from django.core import mail
from django.db import connection
from django.utils import timezone

from steward.desk import services
from steward.desk.mail import outbound, tokens
from steward.desk.mail.intake import receive
from steward.desk.mail.parse import LOOP_HEADER, parse
from steward.desk.mail.tests.helpers import SUPPORT, customer_mail
from steward.desk.models import OutboundMail, TicketEvent

pytestmark = pytest.mark.django_db


class FailingBackend:
    """A mail backend whose server is down."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("Connection refused by smtp.example")


def sent_headers(message) -> dict:
    return {k.lower(): v for k, v in message.message().items()}


@pytest.fixture
def opened(world):
    """A ticket Anna opened by mail, and its acknowledgement (not yet sent)."""
    row = receive(
        customer_mail(sender=world.contact_a.email, message_id="<open@client.example>"), source="test"
    )
    return row.ticket


# --- what is written, and its headers -------------------------------------------------------------


def test_the_acknowledgement_answers_the_customers_mail(world, opened):
    ack = OutboundMail.objects.get(ticket=opened, kind="ack")
    assert outbound.send_one(ack.pk)
    (message,) = mail.outbox
    headers = sent_headers(message)
    assert headers["message-id"] == ack.message_id and ack.message_id.endswith("@steward.test>")
    assert (
        headers["in-reply-to"] == "<open@client.example>" and headers["references"] == "<open@client.example>"
    )
    assert headers["reply-to"] == tokens.reply_address(opened.pk)
    assert headers["subject"] == f"[{opened.number}] The heating is off"
    assert headers[LOOP_HEADER.lower()] == "support@steward.test"
    assert headers["auto-submitted"] == "auto-replied" and headers["x-auto-response-suppress"] == "All"
    assert message.to == [opened.requester.email]
    assert "we have received your request" in message.body


def test_an_agent_reply_threads_after_the_acknowledgement_and_is_not_auto_submitted(world, opened):
    ack = OutboundMail.objects.get(ticket=opened, kind="ack")
    services.ticket_reply(ticket=opened, actor=world.users["agent"], body="We sent a technician.")
    reply = OutboundMail.objects.get(ticket=opened, kind="reply")
    assert reply.in_reply_to == ack.message_id
    assert reply.references == f"<open@client.example> {ack.message_id}"
    assert outbound.send_one(reply.pk)
    headers = sent_headers(mail.outbox[0])
    assert "auto-submitted" not in headers and headers[LOOP_HEADER.lower()] == "support@steward.test"
    assert headers["subject"] == f"Re: [{opened.number}] The heating is off"
    assert "We sent a technician." in mail.outbox[0].body


def test_the_customers_next_mail_is_the_next_link_of_the_thread(world, opened):
    ack = OutboundMail.objects.get(ticket=opened, kind="ack")
    receive(customer_mail(sender=world.contact_a.email, body="Still cold", message_id="<second@client.example>",
                          in_reply_to=ack.message_id), source="test")  # fmt: skip
    services.ticket_reply(ticket=opened, actor=world.users["agent"], body="On our way.")
    reply = OutboundMail.objects.get(ticket=opened, kind="reply")
    assert reply.in_reply_to == "<second@client.example>"
    assert reply.references.split() == ["<open@client.example>", ack.message_id, "<second@client.example>"]


def test_long_threads_keep_the_root_and_the_latest_references(world, opened):
    for i in range(12):
        services.ticket_reply(ticket=opened, actor=world.users["agent"], body=f"update {i}")
    last = OutboundMail.objects.filter(ticket=opened).order_by("-id").first()
    ids = last.references.split()
    assert len(ids) == outbound.THREAD_REFERENCES and ids[0] == "<open@client.example>"


def test_internal_notes_send_nothing(world, opened):
    services.ticket_note(ticket=opened, actor=world.users["agent"], body="customer is grumpy")
    assert not OutboundMail.objects.filter(ticket=opened, kind="reply").exists()


def test_a_phone_ticket_without_an_address_gets_no_acknowledgement(world):
    silent = services.ticket_create(actor=world.users["agent"], account=world.account_b, subject="By phone")
    assert not OutboundMail.objects.filter(ticket=silent).exists()
    known = services.ticket_create(
        actor=world.users["agent"], account=world.account_b, subject="By phone", contact=world.contact_b
    )
    ack = OutboundMail.objects.get(ticket=known)
    assert ack.kind == "ack" and ack.to == [world.contact_b.email] and ack.in_reply_to == ""
    assert outbound.auto_submitted(ack) == "auto-generated"  # not a reply to a mail


def test_status_changes_the_customer_should_know(world, opened):
    agent = world.users["agent"]
    services.ticket_change_status(ticket=opened, actor=agent, status="open")
    services.ticket_change_status(ticket=opened, actor=agent, status="pending")
    assert not OutboundMail.objects.filter(kind="status").exists()  # work in progress: no mail
    services.ticket_change_status(ticket=opened, actor=agent, status="resolved")
    services.ticket_change_status(ticket=opened, actor=agent, status="open")
    services.ticket_change_status(ticket=opened, actor=agent, status="resolved")
    services.ticket_change_status(ticket=opened, actor=agent, status="closed")
    subjects = list(
        OutboundMail.objects.filter(kind="status").order_by("id").values_list("subject", flat=True)
    )
    n = opened.number
    assert subjects == [
        f"Re: [{n}] Resolved: The heating is off",
        f"Re: [{n}] Reopened: The heating is off",
        f"Re: [{n}] Resolved: The heating is off",
        f"Re: [{n}] Closed: The heating is off",
    ]
    status = OutboundMail.objects.filter(kind="status").first()
    assert outbound.auto_submitted(status) == "auto-generated"


def test_no_status_mail_for_what_the_customer_did_or_for_a_merged_duplicate(world):
    requester = world.users["customer_a_requester"]
    ticket = services.ticket_create(actor=requester, account=world.account_a, subject="Printer")
    services.ticket_change_status(ticket=ticket, actor=requester, status="closed")  # withdrawn by them
    assert not OutboundMail.objects.filter(ticket=ticket, kind="status").exists()
    one = services.ticket_create(actor=requester, account=world.account_a, subject="Printer again")
    two = services.ticket_create(actor=requester, account=world.account_a, subject="Printer once more")
    services.ticket_merge(ticket=two, actor=world.users["agent"], into=one)
    assert not OutboundMail.objects.filter(ticket=two, kind="status").exists()


def test_escalations_go_to_staff_outside_the_customer_thread(world, opened):
    from steward.desk import notify

    notify.escalated(ticket=opened, target="resolution", offset_minutes=-30, to=["lead@steward.test"])
    row = OutboundMail.objects.get(kind="escalation")
    assert row.in_reply_to == "" and row.reply_to == ""
    later = OutboundMail.objects.create(ticket=opened, kind="status", to=["x@y.example"], subject="s", body="b",
                                        message_id="<later@steward.test>")  # fmt: skip
    assert row.message_id not in outbound.thread_headers(opened, before_outbound=later.pk + 1)[1]


# --- sending: once, with back-off and a cap -------------------------------------------------------


def test_a_sent_row_is_recorded_on_the_timeline_and_never_sent_again(world, opened):
    ack = OutboundMail.objects.get(ticket=opened, kind="ack")
    assert outbound.send_one(ack.pk)
    assert not outbound.send_one(ack.pk) and outbound.send_due() == 0
    ack.refresh_from_db()
    assert ack.sent_at is not None and ack.attempts == 1 and len(mail.outbox) == 1
    event = TicketEvent.objects.get(ticket=opened, type="mail_out")
    assert event.data["kind"] == "ack" and event.data["message_id"] == ack.message_id


def test_failures_back_off_and_give_up_after_the_cap(world, opened, settings):
    ack = OutboundMail.objects.get(ticket=opened, kind="ack")
    settings.EMAIL_BACKEND = "steward.desk.mail.tests.test_outbound.FailingBackend"
    now = timezone.now()
    assert not outbound.send_one(ack.pk, now=now)
    ack.refresh_from_db()
    assert ack.attempts == 1 and "Connection refused" in ack.last_error and ack.sent_at is None
    assert outbound.send_due(now=now + outbound.retry_delay(1) - timedelta(seconds=1)) == 0
    assert OutboundMail.objects.get(pk=ack.pk).attempts == 1  # not retried before its back-off
    for attempt in range(2, outbound.MAX_ATTEMPTS + 1):
        now += outbound.retry_delay(attempt - 1) + timedelta(seconds=1)
        outbound.send_due(now=now)
        assert OutboundMail.objects.get(pk=ack.pk).attempts == attempt
    ack.refresh_from_db()
    assert ack.last_error.startswith(f"gave up after {outbound.MAX_ATTEMPTS} attempts")
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert outbound.send_due(now=now + timedelta(days=30)) == 0 and not mail.outbox


def test_a_retry_after_a_failure_sends_it(world, opened, settings):
    ack = OutboundMail.objects.get(ticket=opened, kind="ack")
    settings.EMAIL_BACKEND = "steward.desk.mail.tests.test_outbound.FailingBackend"
    now = timezone.now()
    outbound.send_one(ack.pk, now=now)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert outbound.send_due(now=now + outbound.retry_delay(1) + timedelta(seconds=1)) == 1
    ack.refresh_from_db()
    assert ack.sent_at and ack.attempts == 2 and ack.last_error == "" and len(mail.outbox) == 1


def test_a_stale_claim_is_taken_again_after_the_timeout(world, opened):
    ack = OutboundMail.objects.get(ticket=opened, kind="ack")
    now = timezone.now()
    assert outbound.claim(ack.pk, now=now)  # a worker claimed it and died before sending
    assert not outbound.claim(ack.pk, now=now + timedelta(seconds=30))
    assert outbound.send_due(now=now + outbound.CLAIM_TIMEOUT - timedelta(seconds=1)) == 0
    assert outbound.send_due(now=now + outbound.CLAIM_TIMEOUT + timedelta(seconds=1)) == 1


def test_retry_delay_grows_and_is_capped():
    delays = [outbound.retry_delay(n) for n in range(1, 20)]
    assert delays == sorted(delays) and delays[0] >= outbound.CLAIM_TIMEOUT
    assert delays[-1] == outbound.BACKOFF_CAP and outbound.retry_delay(0) == timedelta(0)


def test_the_send_task_is_enqueued_when_the_change_commits(
    world, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        row = receive(customer_mail(sender=world.contact_a.email), source="test")
    assert not mail.outbox  # nothing leaves before the commit
    for callback in callbacks:
        callback()
    assert len(mail.outbox) == 1 and mail.outbox[0].extra_headers["Message-ID"] == (
        OutboundMail.objects.get(ticket=row.ticket).message_id
    )


@pytest.mark.django_db(transaction=True)
def test_two_workers_send_a_row_once(world):
    row = receive(customer_mail(sender=world.contact_a.email), source="test")
    ack = OutboundMail.objects.get(ticket=row.ticket)
    start = threading.Barrier(4)
    won = []

    def worker():
        try:
            start.wait(timeout=20)
            won.append(outbound.send_one(ack.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(won) == [False, False, False, True] and len(mail.outbox) == 1


# --- a real SMTP server ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Collector:
    def __init__(self):
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), envelope.original_content or envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_server(settings):
    collector = Collector()
    port = free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    yield collector
    controller.stop()


def test_the_smtp_backend_delivers_threaded_mail_to_a_real_server(world, opened, smtp_server):
    ack = OutboundMail.objects.get(ticket=opened, kind="ack")
    assert outbound.send_one(ack.pk)
    services.ticket_reply(ticket=opened, actor=world.users["agent"], body="A technician comes at 14:00.")
    reply = OutboundMail.objects.get(ticket=opened, kind="reply")
    assert outbound.send_one(reply.pk)
    (rcpt_ack, raw_ack), (rcpt_reply, raw_reply) = smtp_server.messages
    assert rcpt_ack == rcpt_reply == [opened.requester.email]
    got_ack = BytesParser(policy=policy.default).parsebytes(raw_ack)
    got_reply = BytesParser(policy=policy.default).parsebytes(raw_reply)
    assert got_ack["Message-ID"] == ack.message_id and got_ack["In-Reply-To"] == "<open@client.example>"
    assert got_reply["In-Reply-To"] == ack.message_id
    assert got_reply["References"].split() == ["<open@client.example>", ack.message_id]
    assert got_reply["Reply-To"] == tokens.reply_address(opened.pk)
    assert got_ack["Auto-Submitted"] == "auto-replied" and got_reply["Auto-Submitted"] is None
    assert got_reply[LOOP_HEADER] == "support@steward.test"
    assert "A technician comes at 14:00." in got_reply.get_body().get_content()


def test_round_trip_the_customers_client_answers_what_we_sent(world, opened, smtp_server):
    """The customer's client replies to our mail as received over SMTP (In-Reply-To and To from
    its headers); the reply lands on the ticket, and our own mail, should it come back, is a loop."""
    ack = OutboundMail.objects.get(ticket=opened, kind="ack")
    outbound.send_one(ack.pk)
    _rcpt, raw = smtp_server.messages[0]
    received = parse(raw, max_bytes=10**6, max_parts=10)
    answer = customer_mail(
        sender=world.contact_a.email,
        to=BytesParser(policy=policy.default).parsebytes(raw)["Reply-To"],
        subject="Re: " + received.subject,
        body="Thanks, the heating works.\n\n" + "\n".join("> " + line for line in received.text.splitlines()),
        in_reply_to=received.message_id,
        references=" ".join([*received.references, received.message_id]),
    )
    row = receive(answer, source="smtp", rcpt_to=[tokens.reply_address(opened.pk)])
    assert row.status == "appended" and row.ticket == opened
    assert row.ticket_message.body == "Thanks, the heating works."
    bounced = receive(raw, source="smtp", rcpt_to=[SUPPORT])
    assert bounced.status == "loop"


def test_muted_blocks_write_no_mail(world):
    from steward.desk import notify

    with notify.muted():
        quiet = services.ticket_create(
            actor=world.users["customer_a_requester"], account=world.account_a, subject="Old"
        )
        services.ticket_reply(ticket=quiet, actor=world.users["agent"], body="done long ago")
    assert not OutboundMail.objects.exists()
    loud = services.ticket_create(
        actor=world.users["customer_a_requester"], account=world.account_a, subject="New"
    )
    assert OutboundMail.objects.get().ticket == loud


def test_the_worker_tick_sends_what_its_task_did_not(world, opened):
    """The retry job is registered with the worker's ticker and sends a row whose task was lost."""
    from steward.core.worker import PERIODIC_JOBS
    from steward.desk.mail.tasks import retry_outbound_mail

    assert retry_outbound_mail in PERIODIC_JOBS
    retry_outbound_mail()
    assert len(mail.outbox) == 1 and OutboundMail.objects.get(ticket=opened).sent_at is not None
