"""`steward fetchmail` against an IMAP server speaking the protocol on a local socket (the test
double in imapserver.py: LOGIN, SELECT, UID SEARCH/FETCH/STORE, LOGOUT, as imaplib sends them)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from steward.desk.mail import intake
from steward.desk.mail.tests import imapserver
from steward.desk.mail.tests.helpers import customer_mail
from steward.desk.management.commands import fetchmail as fetchmail_command
from steward.desk.models import InboundMail, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def mailbox(settings):
    box = imapserver.Mailbox()
    server, port = imapserver.start(box)
    settings.STEWARD_IMAP_HOST, settings.STEWARD_IMAP_PORT, settings.STEWARD_IMAP_SSL = (
        "127.0.0.1",
        port,
        False,
    )
    settings.STEWARD_IMAP_USER, settings.STEWARD_IMAP_PASSWORD = box.user, box.password
    settings.STEWARD_IMAP_FOLDER = "INBOX"
    yield box
    server.shutdown()
    server.server_close()


@pytest.fixture
def committed_log(mailbox, monkeypatch):
    """Record in the server's log when the intake returned (committed) for each message."""
    real = intake.receive

    def recording(raw, **kwargs):
        row = real(raw, **kwargs)
        mailbox.log.append(f"COMMITTED {row.subject}")
        return row

    monkeypatch.setattr(intake, "receive", recording)
    return mailbox.log


def test_unread_messages_are_taken_in_and_marked_read_after_the_commit(world, mailbox, committed_log, capsys):
    first = mailbox.add(customer_mail(sender=world.contact_a.email, subject="Boiler"))
    old = mailbox.add(customer_mail(sender=world.contact_a.email, subject="Already read"), seen=True)
    second = mailbox.add(customer_mail(sender=world.contact_b.email, subject="Lift"))
    call_command("fetchmail", "--once")
    assert "2 unread, 2 taken in, 0 failed" in capsys.readouterr().out
    assert sorted(Ticket.objects.values_list("subject", flat=True)) == ["Boiler", "Lift"]
    assert all(r.source == "imap" for r in InboundMail.objects.all())
    assert mailbox.seen(first) and mailbox.seen(second)
    assert not any(str(old) in entry for entry in committed_log if entry.startswith("UID FETCH"))
    order = [e for e in committed_log if e.startswith(("UID FETCH", "UID STORE", "COMMITTED"))]
    assert order == [
        f"UID FETCH {first} (BODY.PEEK[])",
        "COMMITTED Boiler",
        f"UID STORE {first} +FLAGS (\\Seen)",
        f"UID FETCH {second} (BODY.PEEK[])",
        "COMMITTED Lift",
        f"UID STORE {second} +FLAGS (\\Seen)",
    ]
    assert (
        committed_log[0] == "CAPABILITY"
        and committed_log[1].startswith("LOGIN")
        and committed_log[-1] == "LOGOUT"
    )


def test_a_message_whose_intake_fails_stays_unread_and_is_fetched_again(world, mailbox, monkeypatch):
    good = mailbox.add(customer_mail(sender=world.contact_a.email, subject="Fine"))
    bad = mailbox.add(customer_mail(sender=world.contact_a.email, subject="Unlucky"))
    real = intake.receive

    def flaky(raw, **kwargs):
        if b"Unlucky" in raw:
            raise RuntimeError("database went away")
        return real(raw, **kwargs)

    monkeypatch.setattr(intake, "receive", flaky)
    with pytest.raises(CommandError, match=r"1 message.*stay unread"):
        call_command("fetchmail", "--once")
    assert mailbox.seen(good) and not mailbox.seen(bad)
    assert list(Ticket.objects.values_list("subject", flat=True)) == ["Fine"]
    monkeypatch.setattr(intake, "receive", real)
    call_command("fetchmail", "--once")
    assert mailbox.seen(bad) and Ticket.objects.count() == 2


def test_a_message_fetched_again_after_a_crash_is_not_a_second_ticket(world, mailbox):
    raw = customer_mail(sender=world.contact_a.email, subject="Once")
    intake.receive(raw, source="smtp")  # taken in before, but never marked read (the crash)
    uid = mailbox.add(raw)
    call_command("fetchmail", "--once")
    assert mailbox.seen(uid) and Ticket.objects.count() == 1 and InboundMail.objects.count() == 1


def test_a_refused_login_is_a_clear_error(mailbox, settings):
    settings.STEWARD_IMAP_PASSWORD = "wrong"
    with pytest.raises(
        CommandError,
        match=r"IMAP login as 'desk@steward.test' at 127\.0\.0\.1:\d+ failed: .*Invalid credentials",
    ):
        call_command("fetchmail", "--once")


def test_a_missing_folder_is_a_clear_error(mailbox, settings):
    settings.STEWARD_IMAP_FOLDER = "Support Inbox"
    with pytest.raises(CommandError, match="cannot open the IMAP folder 'Support Inbox'"):
        call_command("fetchmail", "--once")


def test_an_unreachable_server_exits_non_zero_with_a_message():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens once it is closed
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STEWARD_", "PYTEST"))}
    env.update(
        STEWARD_DEBUG="1", STEWARD_IMAP_HOST="127.0.0.1", STEWARD_IMAP_PORT=str(port), STEWARD_IMAP_SSL="0"
    )
    result = subprocess.run(
        [sys.executable, "-m", "steward.manage", "fetchmail", "--once"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert f"cannot reach the IMAP server 127.0.0.1:{port}" in result.stderr


def test_without_a_host_it_says_so(settings):
    settings.STEWARD_IMAP_HOST = ""
    with pytest.raises(CommandError, match="STEWARD_IMAP_HOST is not set"):
        call_command("fetchmail", "--once")


@pytest.mark.django_db(transaction=True)
def test_interval_mode_keeps_polling_until_stopped(world, mailbox):
    command = fetchmail_command.Command()
    thread = threading.Thread(target=call_command, args=(command,), kwargs={"interval": 1}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while mailbox.log.count("LOGOUT") < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        uid = mailbox.add(customer_mail(sender=world.contact_a.email, subject="Later"))
        while not mailbox.seen(uid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert mailbox.seen(uid) and Ticket.objects.get().subject == "Later"
    finally:
        command.stop.set()
        thread.join(timeout=20)
    assert not thread.is_alive()
