"""Customer notifications of desk events, by mail.

Each function is called by a desk service inside its transaction, and writes the `OutboundMail`
rows the change calls for (acknowledgement of a new ticket, an agent's public reply, a status
change the customer should know about). The worker sends them after the commit, claimed by
compare-and-set (`desk.mail.outbound`), so a rolled-back change sends nothing and a crash loses
nothing.

Every mail to a customer is part of the ticket's thread: it carries In-Reply-To and References
built from the ticket's earlier messages (`desk.mail.outbound.thread_headers`), its number in
the subject ("[T-000123] …") and a Reply-To with the ticket's signed token
(`desk.mail.tokens.reply_address`), so the reply comes back to the ticket in any mail client.
Who gets them: the requester's address (the customer user who asked), else the contact's. A
ticket with neither (staff took it by phone and nobody has an address) sends nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from email.utils import make_msgid
from typing import Any

from django.conf import settings
from django.urls import reverse

# The kinds that go to the customer, threaded into the ticket's conversation.
CUSTOMER_KINDS = ("ack", "reply", "status", "survey")

_muted: ContextVar[bool] = ContextVar("steward_notify_muted", default=False)


@contextmanager
def muted() -> Iterator[None]:
    """Write no mail inside this block: for generated history (the demo) and bulk imports, whose
    tickets must not mail anybody. Only the current thread (context) is affected."""
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)


def _customer_address(ticket: Any) -> str:
    """Where the ticket's customer reads mail: the requester's address, else the contact's."""
    if ticket.requester_id is not None and ticket.requester.is_active and ticket.requester.email:
        return ticket.requester.email
    if ticket.contact_id is not None and ticket.contact.email:
        return ticket.contact.email
    return ""


def _customer_name(ticket: Any) -> str:
    if ticket.contact_id is not None and ticket.contact.full_name:
        return ticket.contact.full_name
    if ticket.requester_id is not None:
        return ticket.requester.full_name
    return ""


def _greeting(ticket: Any) -> str:
    name = _customer_name(ticket)
    return f"Hello {name}," if name else "Hello,"


def _footer(ticket: Any) -> str:
    return (
        f"\n\n--\n{ticket.number} · To add to this request, reply to this message "
        f"(keep {ticket.number} in the subject).\n"
    )


def ticket_created(*, ticket: Any) -> None:
    """Acknowledge a new ticket to its requester (when there is an address to write to)."""
    from steward.desk.mail.quoting import REPLY_MARKER

    to = _customer_address(ticket)
    if not to:
        return
    queue_mail(
        ticket=ticket,
        kind="ack",
        to=[to],
        subject=f"[{ticket.number}] {ticket.subject}",
        body=(
            f"{REPLY_MARKER}\n\n{_greeting(ticket)}\n\n"
            f"we have received your request “{ticket.subject}” and filed it as {ticket.number}. "
            "We will get back to you as soon as we can."
            f"{_footer(ticket)}"
        ),
    )


def agent_replied(*, ticket: Any, message: Any) -> None:
    """Send an agent's public reply to the requester (threaded into the ticket's conversation)."""
    from steward.desk.mail.quoting import REPLY_MARKER

    to = _customer_address(ticket)
    if not to or not message.is_public or message.from_customer:
        return
    files = [a.filename for a in message.attachments.all()]
    listed = "\n\nFiles with this reply (in the customer portal): " + ", ".join(files) if files else ""
    author = message.author.full_name if message.author_id is not None else "The service desk"
    queue_mail(
        ticket=ticket,
        kind="reply",
        to=[to],
        subject=f"Re: [{ticket.number}] {ticket.subject}",
        body=f"{REPLY_MARKER}\n\n{message.body}{listed}\n\n{author}{_footer(ticket)}",
    )


def customer_replied(*, ticket: Any, message: Any) -> None:
    """A customer wrote: nothing to the customer; the assignee may be told (later: notifications)."""


def status_changed(*, ticket: Any, old: str, new: str, actor: Any) -> None:
    """Tell the requester their ticket was resolved, reopened or closed. Not when they made the
    change themselves, and not for a duplicate merged into another ticket (that one carries on)."""
    from steward.core import access
    from steward.desk.mail.quoting import REPLY_MARKER
    from steward.desk.models import DONE_STATUSES, Status

    to = _customer_address(ticket)
    if not to or ticket.merged_into_id is not None or access.is_customer(actor):
        return
    if new == Status.RESOLVED and old != Status.RESOLVED:
        what = "Resolved"
        text = (
            f"your request {ticket.number} “{ticket.subject}” has been resolved. If the problem is "
            f"not solved, reply to this message within {settings.STEWARD_REOPEN_WINDOW_DAYS} days "
            "and we will reopen it."
        )
    elif new == Status.CLOSED and old != Status.CLOSED:
        what = "Closed"
        text = (
            f"your request {ticket.number} “{ticket.subject}” is now closed. If you need more help, "
            "reply to this message or write to us."
        )
    elif old in DONE_STATUSES and new not in DONE_STATUSES:
        what = "Reopened"
        text = f"your request {ticket.number} “{ticket.subject}” has been reopened, and we are on it again."
    else:
        return
    queue_mail(
        ticket=ticket,
        kind="status",
        to=[to],
        subject=f"Re: [{ticket.number}] {what}: {ticket.subject}",
        body=f"{REPLY_MARKER}\n\n{_greeting(ticket)}\n\n{text}{_footer(ticket)}",
    )


def escalation_recipients(action: dict) -> list[str]:
    """The addresses an escalation action names: the listed users, or the team's members (and the
    team's own address, if it has one). Inactive users are skipped."""
    from steward.accounts.models import Team, User

    if action["type"] == "notify_users":
        users = User.objects.filter(pk__in=action["user_ids"], is_active=True)
        return sorted({u.email for u in users if u.email})
    team = Team.objects.filter(pk=action["team_id"]).first()
    if team is None:
        return []
    emails = {u.email for u in team.members.filter(is_active=True) if u.email}
    if team.email:
        emails.add(team.email)
    return sorted(emails)


def escalated(*, ticket: Any, target: str, offset_minutes: int, to: list[str]) -> None:
    """Tell staff that a ticket reached an escalation level."""
    if not to:
        return
    when = (
        f"{-offset_minutes} minutes before its {target.replace('_', ' ')} deadline"
        if offset_minutes < 0
        else f"{offset_minutes} minutes past its {target.replace('_', ' ')} deadline"
        if offset_minutes > 0
        else f"at its {target.replace('_', ' ')} deadline"
    )
    queue_mail(
        ticket=ticket,
        kind="escalation",
        to=to,
        subject=f"[{ticket.number}] Escalation: {ticket.subject}",
        body=(
            f"{ticket.number} “{ticket.subject}” ({ticket.account}, {ticket.priority}) is {when}.\n\n"
            f"{settings.STEWARD_BASE_URL}{reverse('desk:ticket', args=[ticket.pk])}\n"
        ),
    )


def queue_mail(*, ticket: Any, kind: str, to: list[str], subject: str, body: str) -> Any:
    """Write one outgoing mail, to be sent by the worker once the transaction commits. A mail to
    the customer (`CUSTOMER_KINDS`) is threaded into the ticket's conversation and carries the
    ticket's signed reply address; one to staff (an escalation) stands alone."""
    from steward.core.jobs import enqueue_on_commit
    from steward.desk.mail import outbound, tokens
    from steward.desk.mail.tasks import send_outbound_mail
    from steward.desk.models import OutboundMail

    if _muted.get():
        return None
    in_reply_to = references = reply_to = ""
    if ticket is not None and kind in CUSTOMER_KINDS:
        in_reply_to, references = outbound.thread_headers(ticket)
        reply_to = tokens.reply_address(ticket.pk)
    row = OutboundMail.objects.create(
        ticket=ticket,
        kind=kind,
        to=list(to),
        subject=" ".join(subject.split())[:300],
        body=body,
        message_id=make_msgid(domain=outbound.mail_domain()),
        in_reply_to=in_reply_to,
        references=references,
        reply_to=reply_to,
    )
    enqueue_on_commit(send_outbound_mail, row.pk)
    return row
