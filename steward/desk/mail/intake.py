"""The mail intake: every inbound message, from `steward smtpd`, `steward fetchmail` or a test, goes
through `receive`, one transaction per message.

``receive(raw, *, source, rcpt_to=()) -> InboundMail``

1. **Parse** (`desk.mail.parse`). A message over STEWARD_MAIL_MAX_BYTES or STEWARD_MAIL_MAX_PARTS is
   recorded as rejected with the reason (its headers only; the raw bytes of an oversize message
   are not stored).
2. **Deduplicate**, in the transaction that writes the ticket: the InboundMail row is inserted
   first, and its unique Message-ID and unique content hash (`parse.content_hash`) make a second
   copy fail that insert. Two workers racing on one message: the second insert waits for the
   first transaction (PostgreSQL's unique index; SQLite's write lock) and then fails, so the loser
   rolls back having written nothing and returns the winner's row (`was_duplicate` is True).
3. **Ignore machine mail**: our own notification come back (our loop header, or sent from our own
   address) and more than STEWARD_MAIL_LOOP_LIMIT messages from one sender within an hour are
   recorded as "loop"; auto-replies, bounces and list mail (`parse.auto_reason_for`) as
   "auto_reply". Neither makes a ticket or a reply, so no notification can answer them: no loop.
4. **Thread** onto an existing ticket, trying in turn: the In-Reply-To/References ids against the
   Message-IDs of mails we received and sent; a genuine reply token in a recipient address
   (`desk.mail.tokens`); a "[T-000123]" in the subject. Each candidate is followed through merges
   (`selectors.effective_ticket`), and is taken only if the sender belongs to that ticket's
   account: a known contact or customer user of the account, or (for the header and token
   routes) an unknown address at the account's mail domain, who becomes a contact. The subject
   number alone is never enough for an unknown sender. A reply to a resolved or closed ticket past
   the reopen window starts a new ticket linked "related" to it.
5. **Otherwise a new ticket**: from a known contact or customer user (by address, case-insensitive)
   of exactly one account; or from an unknown address whose domain is exactly one account's mail
   domain (a new contact is created, audited); for the team whose address the mail was sent to.
   Anything else waits in triage (status "triage") for staff (`desk.mail.services`).
6. **Attachments** are kept; a file over the attachment limit, of a blocked type, empty, or beyond
   the per-message count is skipped and listed in an internal note on the ticket.

The transaction commits before `receive` returns, so a receiver that acknowledges the message
only afterwards (SMTP 250, IMAP \\Seen) never loses one: a crash before the commit makes the
sender deliver again, and the copy is deduplicated. A message the desk services refuse (a
`DomainError`) goes to triage with the reason instead of being retried forever.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from steward.accounts import selectors as people
from steward.core.errors import DomainError, ValidationFailed
from steward.customers import selectors as directory
from steward.customers import services as directory_services
from steward.desk import attachments as files
from steward.desk import selectors, services
from steward.desk.attachments import NewAttachment
from steward.desk.mail import outbound, tokens
from steward.desk.mail.parse import MailRejected, ParsedMail, parse, parse_headers, subject_ticket_number
from steward.desk.models import DONE_STATUSES, InboundMail, InboundStatus, OutboundMail, Ticket

logger = logging.getLogger("steward.desk.mail")

SOURCES = ("smtp", "imap", "cli", "test")


class _Duplicate(Exception):
    pass


@dataclass
class _Outcome:
    status: str
    reason: str = ""
    ticket: Ticket | None = None
    message: Any = None


def receive(raw: bytes, *, source: str, rcpt_to: Sequence[str] = ()) -> InboundMail:
    """Take one message in (see the module docstring). Returns its InboundMail row, committed."""
    now = timezone.now()
    envelope = [a.strip().strip("<>").lower() for a in rcpt_to if a and a.strip()]
    rejected = ""
    try:
        parsed = parse(
            raw,
            max_bytes=settings.STEWARD_MAIL_MAX_BYTES,
            max_parts=settings.STEWARD_MAIL_MAX_PARTS,
            loop_id=settings.STEWARD_MAIL_ADDRESS,
        )
    except MailRejected as exc:
        parsed, rejected = parse_headers(raw), exc.reason
    for _attempt in range(3):
        existing = _existing(parsed)
        if existing is not None:
            return existing
        try:
            row = _receive_once(parsed, raw, rejected, source=source, envelope=envelope, now=now)
        except _Duplicate:
            continue  # another copy won; the next round returns it (or, had it rolled back, retries)
        break
    else:
        raise RuntimeError("inbound mail: a copy kept appearing and vanishing")  # pragma: no cover
    row.was_duplicate = False
    logger.info("inbound mail %s from %s: %s %s", row.pk, row.mail_from, row.status, row.reason)
    return row


@transaction.atomic
def _receive_once(
    parsed: ParsedMail, raw: bytes, rejected: str, *, source: str, envelope: list[str], now: datetime
) -> InboundMail:
    row = _insert(
        parsed,
        raw,
        source=source,
        envelope=envelope,
        now=now,
        store_raw=len(raw) <= settings.STEWARD_MAIL_MAX_BYTES,
    )
    if rejected:
        outcome = _Outcome(InboundStatus.REJECTED, rejected)
    else:
        outcome = _process_or_triage(row, parsed, envelope=envelope, now=now)
    _finish(row, outcome)
    return row


def _process_or_triage(
    row: InboundMail, parsed: ParsedMail, *, envelope: list[str], now: datetime
) -> _Outcome:
    """Process in a savepoint. A refusal by the desk services is tried once more (a contact another
    worker created meanwhile is then found), then the message goes to triage with the reason."""
    for attempt in (1, 2):
        try:
            with transaction.atomic():
                return _process(row, parsed, envelope=envelope, now=now)
        except DomainError as exc:
            if attempt == 2:
                logger.warning("inbound mail %s could not be processed: %s", row.pk, exc.message)
                return _Outcome(InboundStatus.TRIAGE, f"could not be processed automatically: {exc.message}")
    raise AssertionError("unreachable")  # pragma: no cover


def _existing(parsed: ParsedMail) -> InboundMail | None:
    match = Q(content_hash=parsed.content_hash)
    if parsed.message_id:
        match |= Q(message_id=parsed.message_id)
    row = InboundMail.objects.filter(match).order_by("id").first()
    if row is not None:
        row.was_duplicate = True
    return row


def _insert(
    parsed: ParsedMail, raw: bytes, *, source: str, envelope: list[str], now: datetime, store_raw: bool
) -> InboundMail:
    """Insert the row that claims this message; a copy already stored (or being stored by another
    worker, whose commit this waits for) makes it fail with _Duplicate."""
    row = InboundMail(
        message_id=parsed.message_id,
        content_hash=parsed.content_hash,
        source=source[:10],
        received_at=now,
        mail_from=parsed.from_address[:254],
        rcpt_to=", ".join(envelope or parsed.recipients)[:1000],
        subject=parsed.subject[:300],
        size=min(parsed.size, 2**31 - 1),
        status=InboundStatus.TRIAGE,
    )
    try:
        with transaction.atomic():
            row.save(force_insert=True)
    except IntegrityError:
        raise _Duplicate from None
    if store_raw:
        row.raw.save(f"{row.pk}.eml", ContentFile(raw), save=False)
        InboundMail.objects.filter(pk=row.pk).update(raw=row.raw.name)
    return row


def _finish(row: InboundMail, outcome: _Outcome) -> None:
    row.status = outcome.status
    row.reason = outcome.reason[:300]
    row.ticket = outcome.ticket
    row.ticket_message = outcome.message
    row.save(update_fields=["status", "reason", "ticket", "ticket_message"])
    if outcome.ticket is not None:
        # The acknowledgement was queued before this row named its ticket: let it answer this mail.
        outbound.rethread_unsent(outcome.ticket)


# --- deciding what a message is -------------------------------------------------------------------


def _process(row: InboundMail, parsed: ParsedMail, *, envelope: list[str], now: datetime) -> _Outcome:
    sender = parsed.from_address
    if parsed.loop:
        return _Outcome(InboundStatus.LOOP, "our own notification came back (X-Steward-Loop)")
    if sender and outbound.is_our_address(sender):
        return _Outcome(InboundStatus.LOOP, "sent from our own address")
    if parsed.is_auto:
        return _Outcome(InboundStatus.AUTO_REPLY, parsed.auto_reason)
    if not sender:
        return _Outcome(InboundStatus.REJECTED, "no sender address")
    recent = (
        InboundMail.objects.filter(mail_from=sender, received_at__gt=now - timedelta(hours=1))
        .exclude(pk=row.pk)
        .count()
    )
    if recent >= settings.STEWARD_MAIL_LOOP_LIMIT:
        return _Outcome(
            InboundStatus.LOOP,
            f"more than {settings.STEWARD_MAIL_LOOP_LIMIT} messages from {sender} within an hour",
        )
    recipients = list(dict.fromkeys([*envelope, *parsed.recipients]))
    refused: list[str] = []
    for how, candidate in _thread_candidates(parsed, recipients):
        ticket = selectors.effective_ticket(candidate)
        contact = _contact_in_account(parsed, ticket.account, allow_new=how != "subject")
        if contact is None:
            refused.append(f"{how} names {ticket.number}, but the sender is not of its account")
            continue
        return _append(ticket, contact, parsed, recipients=recipients, how=how, now=now)
    return _new_ticket(parsed, recipients=recipients, now=now, note="; ".join(refused))


def _thread_candidates(parsed: ParsedMail, recipients: list[str]) -> list[tuple[str, Ticket]]:
    """Tickets the message may answer, in the order they are tried."""
    found: list[tuple[str, Ticket]] = []
    ids = list(parsed.thread_ids)
    if ids:
        known: dict[str, int] = {}
        for mid, ticket_id in InboundMail.objects.filter(
            message_id__in=ids, ticket__isnull=False
        ).values_list("message_id", "ticket_id"):
            known.setdefault(mid, ticket_id)
        for mid, ticket_id in OutboundMail.objects.filter(
            message_id__in=ids, ticket__isnull=False
        ).values_list("message_id", "ticket_id"):
            known.setdefault(mid, ticket_id)
        ticket_id = next((known[mid] for mid in ids if mid in known), None)
        if ticket_id is not None:
            found.append(("In-Reply-To/References", Ticket.objects.get(pk=ticket_id)))
    token_id = tokens.ticket_id_from_addresses(recipients)
    if token_id is not None:
        ticket = Ticket.objects.filter(pk=token_id).first()
        if ticket is not None:
            found.append(("the reply address", ticket))
    number = subject_ticket_number(parsed.subject)
    if number is not None:
        ticket = Ticket.objects.filter(pk=number).first()
        if ticket is not None:
            found.append(("subject", ticket))
    return found


def _contact_in_account(parsed: ParsedMail, account: Any, *, allow_new: bool) -> Any:
    """The sender as a contact of this account: an existing contact with the address, a customer
    user of the account (given a contact record if they have none), or, if `allow_new`, a new
    contact when the address is at the account's mail domain. None if the sender is not of the
    account."""
    address = parsed.from_address
    contact = directory.contacts_with_email(address).filter(account=account).order_by("id").first()
    if contact is not None:
        return contact
    user = people.customer_users_with_email(address).filter(customer_account=account).first()
    if user is not None:
        linked = getattr(user, "contact", None)
        if linked is not None and linked.account_id == account.pk:
            return linked
        return directory_services.contact_create_from_mail(
            account=account,
            email=address,
            full_name=user.full_name,
            user=user,
            reason="a customer user wrote without a contact record",
        )
    domain = address.rpartition("@")[2]
    if allow_new and account.email_domain and domain == account.email_domain.strip().lower():
        return directory_services.contact_create_from_mail(
            account=account,
            email=address,
            full_name=parsed.from_name,
            reason=f"new sender at the account's mail domain {domain}",
        )
    return None


def _append(
    ticket: Ticket, contact: Any, parsed: ParsedMail, *, recipients: list[str], how: str, now: datetime
) -> _Outcome:
    if ticket.status in DONE_STATUSES and not services.within_reopen_window(ticket, now):
        outcome = _create(contact, parsed, recipients=recipients, now=now)
        services.ticket_link_from_system(
            ticket=outcome.ticket,
            other=ticket,
            reason=f"mail intake: reply to {ticket.number}, closed past the reopen window",
            at=now,
        )
        outcome.reason = f"reply to {ticket.number} (by {how}) past its reopen window: new ticket"
        return outcome
    kept, skipped = split_files(parsed)
    message = services.ticket_reply_from_contact(
        ticket=ticket,
        contact=contact,
        body=parsed.body or ("(no text; see the attached files)" if kept else "(empty message)"),
        attachments=kept,
        via="email",
        at=now,
    )
    if skipped:
        services.ticket_note_from_system(ticket=ticket, body=skipped_note(skipped), at=now)
    return _Outcome(InboundStatus.APPENDED, f"threaded by {how}", ticket=ticket, message=message)


def _new_ticket(parsed: ParsedMail, *, recipients: list[str], now: datetime, note: str) -> _Outcome:
    address = parsed.from_address
    contacts = list(directory.contacts_with_email(address))
    users = list(people.customer_users_with_email(address))
    accounts = {c.account_id: c.account for c in contacts} | {
        u.customer_account_id: u.customer_account for u in users
    }
    prefix = f"{note}; " if note else ""
    if len(accounts) > 1:
        return _Outcome(InboundStatus.TRIAGE, f"{prefix}the sender is a contact of several accounts")
    if len(accounts) == 1:
        contact = _contact_in_account(parsed, next(iter(accounts.values())), allow_new=False)
    else:
        domain = address.rpartition("@")[2]
        matches = list(directory.accounts_with_mail_domain(domain)[:2])
        if len(matches) != 1:
            why = "unknown sender" if not matches else f"the domain {domain} belongs to several accounts"
            return _Outcome(InboundStatus.TRIAGE, f"{prefix}{why}")
        contact = _contact_in_account(parsed, matches[0], allow_new=True)
    outcome = _create(contact, parsed, recipients=recipients, now=now)
    if note:
        outcome.reason = f"{note}: new ticket instead"
    return outcome


_NUMBER_TAG = re.compile(r"\s*\[T-\d{1,12}\]\s*", re.I)


def ticket_subject(subject: str) -> str:
    """A new ticket's subject from a mail's: without ticket-number tags, never empty."""
    text = " ".join(_NUMBER_TAG.sub(" ", subject or "").split())
    return (text or "(no subject)")[:200]


def _create(contact: Any, parsed: ParsedMail, *, recipients: list[str], now: datetime) -> _Outcome:
    kept, skipped = split_files(parsed)
    ticket = services.ticket_create_from_contact(
        contact=contact,
        subject=ticket_subject(parsed.subject),
        description=parsed.body,
        channel="email",
        team=people.team_for_addresses(recipients),
        at=now,
    )
    if kept:
        services.ticket_attach_from_contact(ticket=ticket, contact=contact, items=kept, at=now)
    if skipped:
        services.ticket_note_from_system(ticket=ticket, body=skipped_note(skipped), at=now)
    return _Outcome(InboundStatus.CREATED, "new ticket", ticket=ticket)


# --- attachments ----------------------------------------------------------------------------------


def split_files(parsed: ParsedMail) -> tuple[list[NewAttachment], list[tuple[str, str]]]:
    """The files to keep, and (name, why) of those skipped: each is checked alone, so one bad file
    does not cost the others."""
    kept: list[NewAttachment] = []
    skipped: list[tuple[str, str]] = []
    for item in parsed.attachments:
        candidate = NewAttachment(
            filename=item.filename, content=item.content, content_type=item.content_type
        )
        name = files.safe_name(item.filename)
        if len(kept) >= files.MAX_FILES_PER_MESSAGE:
            skipped.append((name, f"more than {files.MAX_FILES_PER_MESSAGE} files in one message"))
            continue
        try:
            kept.extend(files.check_all([candidate]))
        except ValidationFailed as exc:
            skipped.append((name, "; ".join(exc.fields.get("file", [exc.message]))))
    return kept, skipped


def skipped_note(skipped: list[tuple[str, str]]) -> str:
    lines = "\n".join(f"- {name}: {why}" for name, why in skipped)
    return f"Files in the customer's mail that were not kept:\n{lines}"
