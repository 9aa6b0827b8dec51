"""Customer notifications of desk events, by mail.

Each function is called by a desk service inside its transaction, and writes the `OutboundMail`
rows the change calls for (acknowledgement of a new ticket, an agent's public reply, a status
change the customer should know about). The worker sends them after the commit, claimed by
compare-and-set, so a rolled-back change sends nothing and a crash loses nothing.

The bodies here are filled in by the mail work (desk/mail): until then they write nothing.
"""

from __future__ import annotations

from email.utils import make_msgid
from typing import Any

from django.conf import settings


def ticket_created(*, ticket: Any) -> None:
    """Acknowledge a new ticket to its requester."""


def agent_replied(*, ticket: Any, message: Any) -> None:
    """Send an agent's public reply to the requester (threaded into the ticket's conversation)."""


def customer_replied(*, ticket: Any, message: Any) -> None:
    """A customer wrote: nothing to the customer; the assignee may be told (later: notifications)."""


def status_changed(*, ticket: Any, old: str, new: str, actor: Any) -> None:
    """Tell the requester their ticket was resolved, reopened or closed."""


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
            f"{settings.STEWARD_BASE_URL}/desk/tickets/{ticket.pk}/\n"
        ),
    )


def queue_mail(*, ticket: Any, kind: str, to: list[str], subject: str, body: str) -> Any:
    """Write one outgoing mail, to be sent by the worker once the transaction commits."""
    from steward.desk.models import OutboundMail

    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(" >") or "steward.localhost"
    return OutboundMail.objects.create(
        ticket=ticket,
        kind=kind,
        to=list(to),
        subject=subject[:300],
        body=body,
        message_id=make_msgid(domain=domain),
    )
