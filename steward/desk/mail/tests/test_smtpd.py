"""`steward smtpd`: real mail sent with smtplib to the running receiver on a free local port."""

from __future__ import annotations

import smtplib
import socket
import threading
import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from steward.desk.mail import intake
from steward.desk.mail.tests.helpers import SUPPORT, customer_mail
from steward.desk.management.commands import smtpd as smtpd_command
from steward.desk.models import InboundMail, Ticket

pytestmark = pytest.mark.django_db(transaction=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listens on {port}")


@pytest.fixture
def server(settings):
    """`steward smtpd` itself, run in a thread on a free port (stopped after the test)."""
    settings.STEWARD_MAIL_MAX_BYTES = 60_000
    port = free_port()
    command = smtpd_command.Command()
    thread = threading.Thread(
        target=call_command, args=(command,), kwargs={"host": "127.0.0.1", "port": port}, daemon=True
    )
    thread.start()
    wait_listening(port)
    yield port
    command.stop.set()
    thread.join(timeout=20)


def crlf(raw: bytes) -> bytes:
    """On the wire every line ends in CRLF (smtplib does not convert bytes)."""
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def send(port: int, raw: bytes, *, rcpt: list[str], sender: str = "anna@alpha.example"):
    raw = crlf(raw)
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.ehlo("client.example")
        return client.sendmail(sender, rcpt, raw)


def test_a_mail_sent_over_smtp_becomes_a_ticket(world, server):
    refused = send(server, customer_mail(sender=world.contact_a.email), rcpt=[SUPPORT])
    assert refused == {}
    row = InboundMail.objects.get()
    assert row.source == "smtp" and row.status == "created" and row.rcpt_to == SUPPORT
    assert Ticket.objects.get().contact == world.contact_a


def test_the_size_limit_is_announced_and_enforced(world, server):
    with smtplib.SMTP("127.0.0.1", server, timeout=30) as client:
        client.ehlo()
        assert client.has_extn("size") and client.esmtp_features["size"] == "60000"
    big = customer_mail(
        sender=world.contact_a.email, files=[("big.bin", b"x" * 70_000, "application/octet-stream")]
    )
    with pytest.raises(smtplib.SMTPSenderRefused) as declared:  # the client declares SIZE= at MAIL FROM
        send(server, big, rcpt=[SUPPORT])
    assert declared.value.smtp_code == 552
    with smtplib.SMTP("127.0.0.1", server, timeout=30) as client:  # one that does not declare it
        client.helo("old.example")
        client.mail("anna@alpha.example")
        client.rcpt(SUPPORT)
        code, _msg = client.data(crlf(big))
    assert code == 552 and not InboundMail.objects.exists()


def test_mail_for_other_domains_is_refused_not_relayed(world, server):
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send(server, customer_mail(sender=world.contact_a.email), rcpt=["victim@elsewhere.example"])
    assert refused.value.recipients["victim@elsewhere.example"][0] == 550
    # one of several recipients outside: only that one is refused
    assert send(
        server, customer_mail(sender=world.contact_a.email), rcpt=[SUPPORT, "x@elsewhere.example"]
    ) == {
        "x@elsewhere.example": (
            550,
            b"5.7.1 Relaying denied: this server accepts mail for its own domains only",
        )
    }
    assert InboundMail.objects.get().rcpt_to == SUPPORT


def test_a_retried_delivery_is_answered_250_and_written_once(world, server):
    raw = customer_mail(sender=world.contact_a.email, message_id="<retry@client.example>")
    assert send(server, raw, rcpt=[SUPPORT]) == {}
    assert send(server, raw, rcpt=[SUPPORT]) == {}
    assert InboundMail.objects.count() == 1 and Ticket.objects.count() == 1


def test_an_intake_failure_answers_451_so_the_sender_retries(world, server, monkeypatch):
    raw = customer_mail(sender=world.contact_a.email, message_id="<crash@client.example>")
    real = intake._process

    def crash(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(intake, "_process", crash)
    with pytest.raises(smtplib.SMTPDataError) as failed:
        send(server, raw, rcpt=[SUPPORT])
    assert failed.value.smtp_code == 451
    assert not InboundMail.objects.exists() and not Ticket.objects.exists()  # nothing half-written
    monkeypatch.setattr(intake, "_process", real)
    assert send(server, raw, rcpt=[SUPPORT]) == {}  # the sender's retry
    assert InboundMail.objects.get().status == "created" and Ticket.objects.count() == 1


def test_a_message_over_the_parts_limit_is_refused_with_the_reason(world, server, settings):
    settings.STEWARD_MAIL_MAX_PARTS = 3
    raw = customer_mail(
        sender=world.contact_a.email, files=[(f"{i}.txt", b"x", "text/plain") for i in range(3)]
    )
    with pytest.raises(smtplib.SMTPDataError) as refused:
        send(server, raw, rcpt=[SUPPORT])
    assert refused.value.smtp_code == 554 and b"more than 3 MIME parts" in refused.value.smtp_error
    assert InboundMail.objects.get().status == "rejected"


def test_the_command_says_clearly_when_it_cannot_listen(settings):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(CommandError, match=f"cannot listen on 127.0.0.1:{port}"):
            call_command("smtpd", host="127.0.0.1", port=port)


def test_a_rejected_message_sent_again_is_refused_again(world, server, settings):
    settings.STEWARD_MAIL_MAX_PARTS = 2
    raw = customer_mail(
        sender=world.contact_a.email, files=[("a.txt", b"x", "text/plain"), ("b.txt", b"y", "text/plain")]
    )
    for _ in range(2):
        with pytest.raises(smtplib.SMTPDataError) as refused:
            send(server, raw, rcpt=[SUPPORT])
        assert refused.value.smtp_code == 554
    assert InboundMail.objects.count() == 1
