"""Sending the desk's notifications (`OutboundMail` rows written by `desk.notify`).

A row is sent by the task `desk.mail.tasks.send_outbound_mail`, enqueued when the transaction
that wrote it commits, and, should that task be lost or the mail server refuse, by the worker's
periodic `retry_outbound_mail`. Either way a row is first claimed by compare-and-set::

    UPDATE outbound_mail SET claimed_at = now, attempts = attempts + 1
    WHERE id = … AND sent_at IS NULL AND attempts < MAX_ATTEMPTS
      AND (claimed_at IS NULL OR claimed_at < now - retry_delay(attempts))

so any number of workers never send it twice at once. A failed attempt keeps its claim time and
records `last_error`; the row becomes claimable again after `retry_delay(attempts)` (exponential
back-off, at least `CLAIM_TIMEOUT`, so a worker that died mid-send is also retaken), and is given
up after `MAX_ATTEMPTS`. Sent rows get `sent_at` and a "mail_out" event on the ticket's timeline.
Delivery is at least once: a worker that dies after the server accepted the mail and before
`sent_at` is written sends it again after the claim timeout (the same Message-ID lets the
recipient's client fold the two).

Headers (RFC 5322 threading, RFC 3834 automatic responses): Message-ID, In-Reply-To and
References of the ticket's thread, Reply-To with the signed ticket address, our loop header
`X-Steward-Loop` on everything, and ``Auto-Submitted: auto-replied`` (an acknowledgement of a
mail) or ``auto-generated`` (other automatic mail) with ``X-Auto-Response-Suppress: All``; an
agent's reply is written by a person and carries no Auto-Submitted.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from steward.desk.mail.parse import LOOP_HEADER
from steward.desk.models import EventType, InboundMail, OutboundMail
from steward.desk.timeline import add_event

logger = logging.getLogger("steward.desk.mail")

MAX_ATTEMPTS = 8
CLAIM_TIMEOUT = timedelta(minutes=5)
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=6)
THREAD_REFERENCES = 10  # the root and the most recent ones: enough for every client to thread
BATCH = 50


def mail_domain() -> str:
    return settings.STEWARD_MAIL_ADDRESS.rpartition("@")[2] or "steward.localhost"


def retry_delay(attempts: int) -> timedelta:
    """How long after an attempt (the claim) the row may be claimed again: 1, 2, 4, … minutes (at
    most BACKOFF_CAP), never less than the claim timeout."""
    if attempts <= 0:
        return timedelta(0)
    backoff = min(BACKOFF_BASE * 2 ** (attempts - 1), BACKOFF_CAP)
    return max(backoff, CLAIM_TIMEOUT)


def _claimable(now: datetime) -> Q:
    again = Q(claimed_at__isnull=True)
    for attempts in range(1, MAX_ATTEMPTS):
        again |= Q(attempts=attempts, claimed_at__lt=now - retry_delay(attempts))
    return Q(sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS) & again


def claim(mail_id: int, *, now: datetime) -> bool:
    """Take one row for sending (compare-and-set); True if this caller won it."""
    won = OutboundMail.objects.filter(_claimable(now), pk=mail_id).update(
        claimed_at=now, attempts=F("attempts") + 1
    )
    return won == 1


def auto_submitted(row: OutboundMail) -> str:
    if row.kind == "reply":
        return ""
    if row.kind == "ack" and row.ticket_id is not None and row.ticket.channel == "email":
        return "auto-replied"
    return "auto-generated"


def build_message(row: OutboundMail) -> EmailMessage:
    headers = {"Message-ID": row.message_id, LOOP_HEADER: settings.STEWARD_MAIL_ADDRESS}
    if row.in_reply_to:
        headers["In-Reply-To"] = row.in_reply_to
    if row.references:
        headers["References"] = row.references
    auto = auto_submitted(row)
    if auto:
        headers["Auto-Submitted"] = auto
        headers["X-Auto-Response-Suppress"] = "All"
    return EmailMessage(
        subject=row.subject,
        body=row.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=list(row.to),
        reply_to=[row.reply_to] if row.reply_to else None,
        headers=headers,
    )


def send_one(mail_id: int, *, now: datetime | None = None) -> bool:
    """Claim and send one row; True if this call sent it."""
    now = now or timezone.now()
    if not claim(mail_id, now=now):
        return False
    row = OutboundMail.objects.select_related("ticket").get(pk=mail_id)
    try:
        build_message(row).send(fail_silently=False)
    except Exception as exc:  # any failure of the backend is recorded and retried
        error = f"{type(exc).__name__}: {exc}"
        if row.attempts >= MAX_ATTEMPTS:
            error = f"gave up after {row.attempts} attempts; {error}"
        OutboundMail.objects.filter(pk=row.pk, sent_at__isnull=True).update(last_error=error[:500])
        logger.warning("outbound mail %s (attempt %s) failed: %s", row.pk, row.attempts, error)
        return False
    with transaction.atomic():
        sent_at = timezone.now()
        marked = OutboundMail.objects.filter(pk=row.pk, sent_at__isnull=True).update(
            sent_at=sent_at, last_error=""
        )
        if marked and row.ticket_id is not None:
            add_event(
                row.ticket,
                EventType.MAIL_OUT,
                actor=None,
                at=sent_at,
                mail=row.pk,
                kind=row.kind,
                to=list(row.to),
                subject=row.subject,
                message_id=row.message_id,
            )
    return bool(marked)


def send_due(*, now: datetime | None = None, limit: int = BATCH) -> int:
    """Send what is claimable now (new rows whose task was lost, retries due). Returns how many
    this call sent."""
    now = now or timezone.now()
    ids = list(
        OutboundMail.objects.filter(_claimable(now))
        .order_by("created_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(1 for pk in ids if send_one(pk, now=now))


# --- threading ------------------------------------------------------------------------------------


def _thread_ids(ticket: Any, *, before_outbound: int | None = None) -> list[str]:
    """The Message-IDs of the ticket's conversation in time order: the mails the customer sent us
    and the customer mails we wrote (escalations to staff are not part of it)."""
    from steward.desk.notify import CUSTOMER_KINDS

    inbound = (
        InboundMail.objects.filter(ticket=ticket)
        .exclude(message_id="")
        .values_list("received_at", "message_id")
    )
    outbound = OutboundMail.objects.filter(ticket=ticket, kind__in=CUSTOMER_KINDS)
    if before_outbound is not None:
        outbound = outbound.filter(pk__lt=before_outbound)
    rows = [(at, 0, 0, mid) for at, mid in inbound]
    rows += [(at, 1, pk, mid) for at, pk, mid in outbound.values_list("created_at", "pk", "message_id")]
    return list(dict.fromkeys(mid for *_key, mid in sorted(rows)))


def thread_headers(ticket: Any, *, before_outbound: int | None = None) -> tuple[str, str]:
    """(In-Reply-To, References) for the next mail of the ticket's thread: it answers the latest
    message; References holds the root and the most recent ones (RFC 5322 allows trimming)."""
    ids = _thread_ids(ticket, before_outbound=before_outbound)
    if not ids:
        return "", ""
    kept = ids if len(ids) <= THREAD_REFERENCES else [ids[0], *ids[-(THREAD_REFERENCES - 1) :]]
    return ids[-1], " ".join(kept)


def rethread_unsent(ticket: Any) -> None:
    """Recompute the thread headers of the ticket's unsent customer mails (the intake calls this
    once the message that opened the ticket is linked to it, so the acknowledgement answers it)."""
    from steward.desk.notify import CUSTOMER_KINDS

    for row in OutboundMail.objects.filter(
        ticket=ticket, kind__in=CUSTOMER_KINDS, sent_at__isnull=True, claimed_at__isnull=True
    ):
        in_reply_to, references = thread_headers(ticket, before_outbound=row.pk)
        if (in_reply_to, references) != (row.in_reply_to, row.references):
            OutboundMail.objects.filter(pk=row.pk, claimed_at__isnull=True).update(
                in_reply_to=in_reply_to, references=references
            )


def is_our_address(address: str) -> bool:
    """Our support mailbox (or one of its plus-addresses) or the From address we send with."""
    address = (address or "").lower()
    ours = settings.STEWARD_MAIL_ADDRESS
    local, _at, domain = ours.rpartition("@")
    sender = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].lower()
    return address in (ours, sender) or (address.startswith(local + "+") and address.endswith("@" + domain))
