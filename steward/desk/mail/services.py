"""Triage: what desk staff do with a mail the intake could not place (an unknown sender, a domain
of several accounts, a message the desk services refused).

* `triage_convert` makes it a ticket: staff pick the customer account and either one of its
  contacts or a new contact (by default the sender, by the name in From). The ticket starts at
  the mail's arrival, so the SLA counts the time it waited in triage; its files are kept as the
  intake keeps them, and the acknowledgement goes to the contact, threaded to the mail.
* `triage_discard` drops it (spam, a misdirected mail), with a reason.

Both claim the mail with a conditional UPDATE on its status (so two agents acting at once cannot
both convert it), check the actor first, and are audited in their transaction.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from steward.accounts import selectors as people
from steward.core import access, audit
from steward.core.errors import ValidationFailed
from steward.customers import selectors as directory
from steward.customers import services as directory_services
from steward.desk import services as desk_services
from steward.desk.mail import intake, outbound
from steward.desk.mail import selectors as mail_selectors
from steward.desk.mail.parse import MailRejected, ParsedMail, parse
from steward.desk.models import InboundMail, InboundStatus, Ticket
from steward.desk.selectors import DESK_ROLES


def _claim(mail: InboundMail, new_status: str) -> None:
    won = InboundMail.objects.filter(pk=mail.pk, status=InboundStatus.TRIAGE).update(status=new_status)
    if won != 1:
        raise ValidationFailed.for_field("mail", "this mail is no longer waiting in triage")


def stored_message(mail: InboundMail) -> ParsedMail:
    """The mail as parsed from its stored raw bytes (empty when they are gone)."""
    from django.conf import settings

    if not mail.raw:
        return ParsedMail(subject=mail.subject, from_address=mail.mail_from)
    with mail.raw.open("rb") as handle:
        raw = handle.read()
    try:
        return parse(raw, max_bytes=max(len(raw), 1), max_parts=settings.STEWARD_MAIL_MAX_PARTS)
    except MailRejected:
        return ParsedMail(subject=mail.subject, from_address=mail.mail_from)


@transaction.atomic
def triage_convert(
    *,
    actor: Any,
    mail: InboundMail,
    account: Any,
    contact: Any = None,
    new_contact_name: str = "",
    new_contact_email: str = "",
) -> Ticket:
    """Make a triage mail a ticket of `account`, for `contact` (one of the account's) or a new
    contact (`new_contact_email`, default the sender; `new_contact_name`, default the name in From).
    Desk staff only."""
    access.require_role(actor, *DESK_ROLES)
    mail = mail_selectors.inbound_get(actor, mail.pk)
    if account is None or not directory.accounts_for(actor).filter(pk=account.pk, is_active=True).exists():
        raise ValidationFailed.for_field("account", "no such customer account")
    if contact is not None and contact.account_id != account.pk:
        raise ValidationFailed.for_field("contact", "the contact belongs to another customer account")
    _claim(mail, InboundStatus.CREATED)
    parsed = stored_message(mail)
    if contact is None:
        email = (new_contact_email or mail.mail_from).strip().lower()
        if not email:
            raise ValidationFailed.for_field("new_contact_email", "give the new contact's address")
        contact = directory.contacts_for(actor).filter(account=account, email__iexact=email).first()
        if contact is None:
            name = new_contact_name.strip() or parsed.from_name or email.split("@")[0]
            contact = directory_services.contact_create(
                actor=actor, account=account, full_name=name[:150], email=email
            )
    recipients = [a.strip() for a in mail.rcpt_to.split(",") if a.strip()] or list(parsed.recipients)
    ticket = desk_services.ticket_create_from_contact(
        contact=contact,
        subject=intake.ticket_subject(parsed.subject or mail.subject),
        description=parsed.body,
        channel="email",
        team=people.team_for_addresses(recipients),
        at=mail.received_at,
    )
    kept, skipped = intake.split_files(parsed)
    now = timezone.now()
    if kept:
        desk_services.ticket_attach_from_contact(ticket=ticket, contact=contact, items=kept, at=now)
    if skipped:
        desk_services.ticket_note_from_system(ticket=ticket, body=intake.skipped_note(skipped), at=now)
    mail.status = InboundStatus.CREATED
    mail.ticket = ticket
    mail.reason = f"converted from triage by {actor}"[:300]
    mail.save(update_fields=["status", "ticket", "reason"])
    audit.record(
        actor=actor,
        action="inbound_mail.convert",
        obj=mail,
        changes={
            "status": [InboundStatus.TRIAGE, InboundStatus.CREATED],
            "ticket": ticket.pk,
            "contact": contact.pk,
        },
        account_id=account.pk,
    )
    outbound.rethread_unsent(ticket)
    return ticket


@transaction.atomic
def triage_discard(*, actor: Any, mail: InboundMail, reason: str = "") -> InboundMail:
    """Drop a triage mail (kept in the mail log as discarded). Desk staff only."""
    access.require_role(actor, *DESK_ROLES)
    mail = mail_selectors.inbound_get(actor, mail.pk)
    _claim(mail, InboundStatus.DISCARDED)
    reason = " ".join((reason or "").split())
    mail.status = InboundStatus.DISCARDED
    mail.reason = (f"discarded by {actor}" + (f": {reason}" if reason else ""))[:300]
    mail.save(update_fields=["status", "reason"])
    audit.record(
        actor=actor,
        action="inbound_mail.discard",
        obj=mail,
        changes={"status": [InboundStatus.TRIAGE, InboundStatus.DISCARDED], "reason": reason},
    )
    return mail
