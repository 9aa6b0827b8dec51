"""Writes to the service desk. Each is one transaction: the permission check, the change, its
timeline event and audit event, and the recomputed SLA clocks (`recompute_sla`).

Who may do what: staff with a desk role (`selectors.DESK_ROLES`) work tickets; a customer user may
open a ticket for their own account and reply on the tickets they can see. A ticket outside the
actor's scope is NotFound, and nothing changes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from steward.catalog import selectors as catalog
from steward.core import access, audit
from steward.core.errors import Forbidden, NotFound, ValidationFailed
from steward.core.services import create_audited, full_clean, update_audited
from steward.customers import selectors as customers
from steward.desk import attachments, notify, routing, selectors
from steward.desk.attachments import NewAttachment
from steward.desk.clocks import recompute_sla
from steward.desk.models import (
    DONE_STATUSES,
    OPEN_STATUSES,
    AssignmentStrategy,
    Attachment,
    EventType,
    Level,
    LinkKind,
    Priority,
    SavedView,
    Status,
    Tag,
    TeamRouting,
    Ticket,
    TicketEscalation,
    TicketLink,
    TicketMessage,
)
from steward.desk.priority import priority_from_matrix
from steward.desk.timeline import add_event
from steward.quality import services as surveys

_UNSET: Any = object()

# Allowed status changes. Leaving resolved/closed for open is a reopen.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset({Status.OPEN, Status.PENDING, Status.ON_HOLD, Status.RESOLVED}),
    Status.OPEN: frozenset({Status.PENDING, Status.ON_HOLD, Status.RESOLVED}),
    Status.PENDING: frozenset({Status.OPEN, Status.ON_HOLD, Status.RESOLVED}),
    Status.ON_HOLD: frozenset({Status.OPEN, Status.PENDING, Status.RESOLVED}),
    Status.RESOLVED: frozenset({Status.CLOSED, Status.OPEN}),
    Status.CLOSED: frozenset({Status.OPEN}),
}
STATUS_FIELDS = ("status", "resolved_at", "closed_at", "first_contact_resolution")
PRIORITY_FIELDS = ("priority", "priority_override_reason")
ASSIGN_FIELDS = ("team", "assignee")


# --- permission helpers --------------------------------------------------------------------------


def _require_desk_staff(actor: Any) -> None:
    access.require_role(actor, *selectors.DESK_ROLES)


def _require_visible(actor: Any, ticket: Ticket) -> None:
    """The ticket must be in the actor's scope (else NotFound, so its existence does not leak)."""
    access.require_authenticated(actor)
    if not selectors.is_visible(actor, ticket):
        raise NotFound("ticket not found")


def _require_text(field: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed.for_field(field, "this field cannot be blank")
    return value.strip()


# --- the timeline --------------------------------------------------------------------------------


_add_event = add_event


# --- create --------------------------------------------------------------------------------------


def _check_staff_assignment(team: Any, assignee: Any) -> None:
    if assignee is not None:
        if not (assignee.is_active and assignee.is_staff_member):
            raise ValidationFailed.for_field("assignee", "the assignee must be an active staff member")
        if team is not None and not team.memberships.filter(user_id=assignee.pk).exists():
            raise ValidationFailed.for_field("assignee", "the assignee is not a member of the team")


@transaction.atomic
def ticket_create(
    *,
    actor: Any,
    account: Any,
    subject: str,
    description: str = "",
    type: str = "incident",
    channel: str | None = None,
    impact: str = Level.MEDIUM,
    urgency: str = Level.MEDIUM,
    priority: str | None = None,
    priority_override_reason: str = "",
    service: Any = None,
    contact: Any = None,
    requester: Any = None,
    team: Any = None,
    assignee: Any = None,
    site: Any = None,
    asset: Any = None,
) -> Ticket:
    """Open a ticket. Staff (desk roles) for any account; a customer user for their own account
    only (as its requester, through the portal). The priority comes from the impact/urgency
    matrix unless staff override it with a reason. The SLA policy is chosen by the catalog; the
    team defaults to the service's, and the team's routing may pick the assignee."""
    access.require_authenticated(actor)
    if access.is_customer(actor):
        if account is None or account.pk != actor.customer_account_id:
            raise ValidationFailed.for_field("account", "no such customer account")
        if priority is not None or team is not None or assignee is not None or priority_override_reason:
            raise ValidationFailed.for_field("priority", "only staff set a priority, team or assignee")
        if requester is not None and requester.pk != actor.pk:
            raise ValidationFailed.for_field("requester", "no such user")
        requester = actor
        contact = customers.contacts_for(actor).filter(user=actor).first()
        channel = channel or "portal"
        if channel not in ("portal", "api"):
            raise ValidationFailed.for_field(
                "channel", "a customer's ticket comes from the portal or the API"
            )
    else:
        _require_desk_staff(actor)
        if account is None:
            raise ValidationFailed.for_field("account", "this field is required")
        if requester is not None and requester.customer_account_id != account.pk:
            raise ValidationFailed.for_field("requester", "the requester belongs to another customer account")
        _check_staff_assignment(team, assignee)
        channel = channel or "phone"
    if service is not None and not catalog.services_for(actor).filter(pk=service.pk).exists():
        raise ValidationFailed.for_field("service", "no such service")
    return _open_ticket(
        actor=actor,
        account=account,
        subject=subject,
        description=description,
        type=type,
        channel=channel,
        impact=impact,
        urgency=urgency,
        priority=priority,
        priority_override_reason=priority_override_reason,
        service=service,
        contact=contact,
        requester=requester,
        team=team,
        assignee=assignee,
        site=site,
        asset=asset,
        via="web" if channel == "portal" else channel,
    )


@transaction.atomic
def ticket_create_from_contact(
    *,
    contact: Any,
    subject: str,
    description: str = "",
    channel: str = "email",
    team: Any = None,
    at: datetime | None = None,
) -> Ticket:
    """A ticket a customer contact raised outside a session (by mail): the system is the actor,
    the contact (and their login, if they have one) the requester. The caller (the mail intake)
    has established who the contact is."""
    requester = contact.user if contact.user_id is not None and contact.user.is_active else None
    return _open_ticket(
        actor=None,
        account=contact.account,
        subject=subject,
        description=description,
        type="incident",
        channel=channel,
        impact=Level.MEDIUM,
        urgency=Level.MEDIUM,
        priority=None,
        priority_override_reason="",
        service=None,
        contact=contact,
        requester=requester,
        team=team,
        assignee=None,
        site=None,
        asset=None,
        via=channel,
        at=at,
    )


def _open_ticket(
    *,
    actor: Any,
    account: Any,
    subject: str,
    description: str,
    type: str,
    channel: str,
    impact: str,
    urgency: str,
    priority: str | None,
    priority_override_reason: str,
    service: Any,
    contact: Any,
    requester: Any,
    team: Any,
    assignee: Any,
    site: Any,
    asset: Any,
    via: str,
    at: datetime | None = None,
) -> Ticket:
    """Everything opening a ticket does once the caller's right to open it is established."""
    now = at or timezone.now()
    if contact is not None and contact.account_id != account.pk:
        raise ValidationFailed.for_field("contact", "the contact belongs to another customer account")
    if site is not None and site.account_id != account.pk:
        raise ValidationFailed.for_field("site", "no such site at this customer account")
    if asset is not None and asset.account_id != account.pk:
        raise ValidationFailed.for_field("asset", "no such asset at this customer account")
    if asset is not None and site is None:
        site = asset.site
    try:
        matrix = priority_from_matrix(impact, urgency)
    except ValueError as exc:
        raise ValidationFailed.for_field("impact", str(exc)) from None
    if priority is None or priority == matrix:
        priority, priority_override_reason = matrix, ""
    elif not priority_override_reason.strip():
        raise ValidationFailed.for_field("priority_override_reason", "a priority override needs a reason")
    if team is None and service is not None:
        team = service.team

    policy = catalog.policy_for_ticket(
        account=account, service=service, ticket_type=type, priority=priority, on_date=timezone.localdate(now)
    )
    ticket = Ticket(
        account=account,
        requester=requester,
        contact=contact,
        service=service,
        site=site,
        asset=asset,
        type=type,
        channel=channel,
        impact=impact,
        urgency=urgency,
        priority=priority,
        priority_override_reason=priority_override_reason.strip(),
        status=Status.NEW,
        team=team,
        assignee=assignee,
        subject=subject.strip() if isinstance(subject, str) else subject,
        description=description,
        sla_policy=policy,
        created_at=now,
    )
    create_audited(
        actor=actor,
        instance=ticket,
        action="ticket.create",
        account_id=account.pk,
        actor_label="" if actor is not None else f"{via} from {contact or requester or 'customer'}"[:200],
    )
    _add_event(
        ticket,
        EventType.CREATED,
        actor=actor,
        at=now,
        priority=priority,
        status=Status.NEW,
        channel=channel,
        policy=catalog.policy_as_replay_dict(policy) if policy is not None else None,
        policy_id=policy.pk if policy is not None else None,
    )
    if ticket.assignee_id is None and ticket.team_id is not None:
        _route(ticket, actor=actor, at=now)
    recompute_sla(ticket=ticket, now=now)
    notify.ticket_created(ticket=ticket)
    return ticket


# --- messages ------------------------------------------------------------------------------------


def _add_message(
    ticket: Ticket,
    *,
    actor: Any,
    body: str,
    public: bool,
    from_customer: bool,
    at: datetime,
    contact: Any = None,
    via: str = "web",
) -> TicketMessage:
    message = TicketMessage(
        ticket=ticket,
        author=actor if getattr(actor, "is_authenticated", False) else None,
        contact=contact,
        body=body,
        is_public=public,
        from_customer=from_customer,
        via=via,
        created_at=at,
    )
    full_clean(message)
    message.save()
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=at)
    return message


@transaction.atomic
def ticket_reply(
    *,
    ticket: Ticket,
    actor: Any,
    body: str,
    public: bool = True,
    attachments: Sequence[NewAttachment] = (),
    via: str = "web",
) -> TicketMessage:
    """A message on the ticket. Staff: a public reply (the SLA's agent reply) or, with
    public=False, an internal note. Customer: a reply (the SLA's customer reply); a customer reply
    on a ticket pending the customer puts it back to open, and one on a resolved ticket within the
    reopen window reopens it."""
    _require_visible(actor, ticket)
    body = _require_text("body", body)
    if not access.is_customer(actor) and not public:
        return _note(ticket=ticket, actor=actor, body=body, attachments=attachments)
    if access.is_customer(actor):
        if not public:
            raise ValidationFailed.for_field("public", "a customer's message is always public")
        _require_reopenable_if_done(ticket)
        return _customer_message(
            ticket=ticket, actor=actor, contact=None, body=body, attachments=attachments, via=via
        )
    _require_desk_staff(actor)
    _require_not_merged(ticket)
    now = timezone.now()
    message = _add_message(ticket, actor=actor, body=body, public=True, from_customer=False, at=now, via=via)
    _attach_all(ticket, message, attachments, actor=actor, public=True, at=now)
    _add_event(ticket, EventType.AGENT_REPLY, actor=actor, at=now, message_id=message.pk)
    audit.record(
        actor=actor,
        action="ticket.reply",
        obj=ticket,
        changes={"message": message.pk, "from_customer": False},
        account_id=ticket.account_id,
    )
    ticket.refresh_from_db()
    if ticket.status == Status.NEW:  # answered: work has started
        _set_status(ticket, actor=actor, status=Status.OPEN, at=now)
    recompute_sla(ticket=ticket, now=now)
    notify.agent_replied(ticket=ticket, message=message)
    return message


@transaction.atomic
def ticket_reply_from_contact(
    *,
    ticket: Ticket,
    contact: Any,
    body: str,
    attachments: Sequence[NewAttachment] = (),
    via: str = "email",
    at: datetime | None = None,
) -> TicketMessage:
    """A customer contact's reply that arrived outside a session (by mail). The caller (the mail
    intake) has matched the contact to the ticket's account."""
    if contact.account_id != ticket.account_id:
        raise NotFound("ticket not found")
    return _customer_message(
        ticket=ticket,
        actor=None,
        contact=contact,
        body=_require_text("body", body),
        attachments=attachments,
        via=via,
        at=at,
    )


def _customer_message(
    *,
    ticket: Ticket,
    actor: Any,
    contact: Any,
    body: str,
    attachments: Sequence[NewAttachment],
    via: str,
    at: datetime | None = None,
) -> TicketMessage:
    _require_not_merged(ticket)
    ticket.refresh_from_db()
    now = at or timezone.now()
    if contact is None and actor is not None:
        contact = customers.contacts_for(actor).filter(user=actor).first()
    message = _add_message(
        ticket, actor=actor, body=body, public=True, from_customer=True, at=now, contact=contact, via=via
    )
    _attach_all(ticket, message, attachments, actor=actor, public=True, at=now)
    _add_event(ticket, EventType.CUSTOMER_REPLY, actor=actor, at=now, message_id=message.pk)
    audit.record(
        actor=actor,
        action="ticket.reply",
        obj=ticket,
        changes={"message": message.pk, "from_customer": True},
        account_id=ticket.account_id,
        actor_label="" if actor is not None else f"{via} from {contact}"[:200],
    )
    reopens = ticket.status in DONE_STATUSES and _within_reopen_window(ticket, now)
    if ticket.status == Status.PENDING or reopens:
        _set_status(ticket, actor=actor, status=Status.OPEN, at=now)
    recompute_sla(ticket=ticket, now=now)
    notify.customer_replied(ticket=ticket, message=message)
    return message


@transaction.atomic
def ticket_note(
    *, ticket: Ticket, actor: Any, body: str, attachments: Sequence[NewAttachment] = ()
) -> TicketMessage:
    """An internal note: staff only, never shown to the customer, no effect on the SLA."""
    _require_visible(actor, ticket)
    return _note(ticket=ticket, actor=actor, body=_require_text("body", body), attachments=attachments)


def _note(
    *, ticket: Ticket, actor: Any, body: str, attachments: Sequence[NewAttachment] = ()
) -> TicketMessage:
    _require_desk_staff(actor)
    now = timezone.now()
    message = _add_message(ticket, actor=actor, body=body, public=False, from_customer=False, at=now)
    _attach_all(ticket, message, attachments, actor=actor, public=False, at=now)
    _add_event(ticket, EventType.NOTE, actor=actor, at=now, message_id=message.pk)
    audit.record(
        actor=actor,
        action="ticket.note",
        obj=ticket,
        changes={"message": message.pk},
        account_id=ticket.account_id,
    )
    recompute_sla(ticket=ticket, now=now)
    return message


# --- attachments ---------------------------------------------------------------------------------


def _attach_all(
    ticket: Ticket,
    message: TicketMessage | None,
    items: Sequence[NewAttachment],
    *,
    actor: Any,
    public: bool,
    at,
) -> list[Attachment]:
    checked = attachments.check_all(items)
    stored = []
    for item in checked:
        stored.append(
            attachments.store(ticket=ticket, message=message, item=item, actor=actor, public=public, at=at)
        )
    if stored:
        _add_event(
            ticket,
            EventType.ATTACHMENT,
            actor=actor,
            at=at,
            attachments=[a.pk for a in stored],
            names=[a.filename for a in stored],
            public=public,
        )
    return stored


@transaction.atomic
def attachment_add(
    *, ticket: Ticket, actor: Any, items: Sequence[NewAttachment], public: bool = True
) -> list[Attachment]:
    """Attach files to a ticket without a message (staff; a customer's files are always public)."""
    _require_visible(actor, ticket)
    if access.is_customer(actor):
        public = True
    else:
        _require_desk_staff(actor)
    if not items:
        raise ValidationFailed.for_field("file", "choose a file to attach")
    now = timezone.now()
    stored = _attach_all(ticket, None, items, actor=actor, public=public, at=now)
    audit.record(
        actor=actor,
        action="ticket.attach",
        obj=ticket,
        changes={"attachments": [a.pk for a in stored]},
        account_id=ticket.account_id,
    )
    return stored


# --- status, priority, assignment ----------------------------------------------------------------


def _first_contact_resolution(ticket: Ticket) -> bool:
    """Exactly one agent (public) reply, no customer reply and no earlier resolution since creation."""
    agent_replies = customer_replies = resolutions = 0
    for kind, data in ticket.events.filter(
        type__in=[EventType.AGENT_REPLY, EventType.CUSTOMER_REPLY, EventType.STATUS]
    ).values_list("type", "data"):
        if kind == EventType.AGENT_REPLY:
            agent_replies += 1
        elif kind == EventType.CUSTOMER_REPLY:
            customer_replies += 1
        elif data.get("status") in DONE_STATUSES and data.get("from") not in DONE_STATUSES:
            resolutions += 1
    return agent_replies == 1 and customer_replies == 0 and resolutions == 0


@transaction.atomic
def ticket_change_status(*, ticket: Ticket, actor: Any, status: str) -> Ticket:
    """Move the ticket along its life: new/open/pending/on_hold, resolved, closed, or back to
    open from resolved/closed (a reopen). Staff may make any allowed move; a customer may close a
    resolved ticket (accepting the resolution) or close one of their open tickets (withdrawing
    it), and reopen one within the reopen window."""
    _require_visible(actor, ticket)
    ticket.refresh_from_db()
    if status not in TRANSITIONS:
        raise ValidationFailed.for_field("status", f"unknown status {status!r}")
    old = ticket.status
    now = timezone.now()
    if access.is_customer(actor):
        if status == Status.CLOSED and old in (*OPEN_STATUSES, Status.RESOLVED):
            if old in OPEN_STATUSES:  # withdrawn by the customer: resolved and closed at once, no survey
                _set_status(
                    ticket, actor=actor, status=Status.RESOLVED, at=now, reason="withdrawn", survey=False
                )
        elif status == Status.OPEN and old in DONE_STATUSES:
            if not _within_reopen_window(ticket, now):
                raise ValidationFailed.for_field(
                    "status",
                    f"this ticket was resolved more than {settings.STEWARD_REOPEN_WINDOW_DAYS} days ago; "
                    "please open a new request",
                )
        else:
            raise Forbidden("a customer may close their ticket or reopen a resolved one, nothing else")
    else:
        _require_desk_staff(actor)
    if status not in TRANSITIONS[ticket.status]:
        raise ValidationFailed.for_field("status", f"a ticket cannot go from {ticket.status} to {status}")
    if ticket.merged_into_id is not None and status not in DONE_STATUSES:
        raise ValidationFailed.for_field(
            "status", "a merged ticket stays closed; work on the ticket it was merged into"
        )
    _set_status(ticket, actor=actor, status=status, at=now)
    recompute_sla(ticket=ticket, now=now)
    return ticket


def _require_reopenable_if_done(ticket: Ticket) -> None:
    """A customer's reply reopens a resolved or closed ticket; past the reopen window (or once the
    ticket was merged) it would land on a ticket nobody works any more, so it is refused."""
    ticket.refresh_from_db()
    done = ticket.status in DONE_STATUSES and ticket.merged_into_id is None  # merged: said elsewhere
    if done and not _within_reopen_window(ticket, timezone.now()):
        raise ValidationFailed.for_field(
            "ticket",
            f"this ticket was resolved more than {settings.STEWARD_REOPEN_WINDOW_DAYS} days ago; "
            "please open a new request",
        )


def _within_reopen_window(ticket: Ticket, now: datetime) -> bool:
    until = selectors.reopen_until(ticket)  # the one statement of the rule, shared with the pages
    return until is not None and now <= until


def _set_status(
    ticket: Ticket, *, actor: Any, status: str, at: datetime, reason: str = "", survey: bool = True
) -> None:
    """The status change itself, with its consequences (resolution time and first-contact
    resolution, the survey on resolving, the customer's notification), its audit and timeline
    event. The caller recomputes the SLA clocks afterwards."""
    old = ticket.status
    changes: dict[str, Any] = {"status": status}
    if status == Status.RESOLVED:
        changes["resolved_at"] = at
        changes["first_contact_resolution"] = _first_contact_resolution(ticket)
    elif status == Status.CLOSED:
        changes["closed_at"] = at
        if ticket.resolved_at is None:
            changes["resolved_at"] = at
    elif old in DONE_STATUSES:  # reopen
        changes.update(resolved_at=None, closed_at=None, first_contact_resolution=False)
    reopen = old in DONE_STATUSES and status not in DONE_STATUSES
    update_audited(
        actor=actor,
        instance=ticket,
        changes=changes,
        allowed=STATUS_FIELDS,
        action="ticket.reopen" if reopen else "ticket.status",
        account_id=ticket.account_id,
    )
    data: dict[str, Any] = {"status": status, "from": old}
    if reason:
        data["reason"] = reason
    _add_event(ticket, EventType.STATUS, actor=actor, at=at, **data)
    if status == Status.RESOLVED and survey:
        surveys.survey_schedule(ticket=ticket, resolved_at=at)
    notify.status_changed(ticket=ticket, old=old, new=status, actor=actor)


@transaction.atomic
def ticket_change_priority(*, ticket: Ticket, actor: Any, priority: str, reason: str) -> Ticket:
    """Set the priority by hand, with the reason. The SLA keeps the business time already spent and
    applies the new priority's targets to it (the deadlines move)."""
    _require_visible(actor, ticket)
    _require_desk_staff(actor)
    if priority not in Priority.values:
        raise ValidationFailed.for_field("priority", f"must be one of {', '.join(Priority.values)}")
    reason = _require_text("reason", reason)
    ticket.refresh_from_db()
    now = timezone.now()
    if _change_priority(ticket, actor=actor, priority=priority, reason=reason, at=now):
        recompute_sla(ticket=ticket, now=now)
    return ticket


def _change_priority(ticket: Ticket, *, actor: Any, priority: str, reason: str, at: datetime) -> bool:
    old = ticket.priority
    if priority == old:
        return False
    update_audited(
        actor=actor,
        instance=ticket,
        changes={"priority": priority, "priority_override_reason": reason},
        allowed=PRIORITY_FIELDS,
        action="ticket.priority",
        account_id=ticket.account_id,
    )
    _add_event(
        ticket, EventType.PRIORITY, actor=actor, at=at, priority=priority, reason=reason, **{"from": old}
    )
    _reselect_policy(ticket, actor=actor, at=at)
    return True


def _reselect_policy(ticket: Ticket, *, actor: Any, at: datetime) -> None:
    """The priority is one of a policy's conditions: if another policy governs the ticket now
    (judged on its creation date), switch to it with a "policy" event, so the business time
    already spent is kept and the deadlines move."""
    policy = catalog.policy_for_ticket(
        account=ticket.account,
        service=ticket.service,
        ticket_type=ticket.type,
        priority=ticket.priority,
        on_date=timezone.localdate(ticket.created_at),
    )
    if (policy.pk if policy is not None else None) == ticket.sla_policy_id:
        return
    update_audited(
        actor=actor,
        instance=ticket,
        changes={"sla_policy": policy},
        allowed=("sla_policy",),
        action="ticket.sla_policy",
        account_id=ticket.account_id,
    )
    _add_event(
        ticket,
        EventType.POLICY,
        actor=actor,
        at=at,
        policy=catalog.policy_as_replay_dict(policy) if policy is not None else None,
        policy_id=policy.pk if policy is not None else None,
    )


@transaction.atomic
def ticket_assign(*, ticket: Ticket, actor: Any, team: Any = _UNSET, assignee: Any = _UNSET) -> Ticket:
    """Set the team and/or the assignee (None clears). The assignee must be staff and, if the
    ticket has a team, one of its members. A new team without an assignee lets the team's routing
    pick one."""
    _require_visible(actor, ticket)
    _require_desk_staff(actor)
    ticket.refresh_from_db()
    changes: dict[str, Any] = {}
    if team is not _UNSET:
        changes["team"] = team
    if assignee is not _UNSET:
        changes["assignee"] = assignee
    # A new team alone keeps the assignee only if they are a member; otherwise they make way below
    # (so they are not checked against the new team here).
    keeps = changes.get("assignee", None if "team" in changes else ticket.assignee)
    _check_staff_assignment(changes.get("team", ticket.team), keeps)
    now = timezone.now()
    team_changed = _assign(ticket, actor=actor, changes=changes, at=now)
    if team_changed and assignee is _UNSET and ticket.team_id is not None and ticket.is_open:
        if ticket.assignee_id is not None and not _is_member(ticket.team_id, ticket.assignee_id):
            _assign(ticket, actor=actor, changes={"assignee": None}, at=now)
        if ticket.assignee_id is None:
            _route(ticket, actor=actor, at=now)
    recompute_sla(ticket=ticket, now=now)
    return ticket


def _is_member(team_id: int, user_id: int) -> bool:
    from steward.accounts.models import TeamMembership

    return TeamMembership.objects.filter(team_id=team_id, user_id=user_id).exists()


def _assign(ticket: Ticket, *, actor: Any, changes: dict[str, Any], at: datetime, rule: str = "") -> bool:
    """Apply team/assignee changes with their audit and timeline event. Returns whether the team
    changed."""
    before = (ticket.team_id, ticket.assignee_id)
    update_audited(
        actor=actor,
        instance=ticket,
        changes=changes,
        allowed=ASSIGN_FIELDS,
        action="ticket.assign",
        account_id=ticket.account_id,
    )
    if (ticket.team_id, ticket.assignee_id) != before:
        data: dict[str, Any] = {"team": ticket.team_id, "assignee": ticket.assignee_id}
        if rule:
            data["rule"] = rule
        _add_event(ticket, EventType.ASSIGN, actor=actor, at=at, **data)
    return ticket.team_id != before[0]


def _route(ticket: Ticket, *, actor: Any, at: datetime) -> None:
    """Let the ticket's team routing choose an assignee (round-robin, least open load, with or
    without the service's required skills). The team's routing row is locked while choosing, so
    two tickets arriving together do not both go to the same "next" agent."""
    from steward.accounts import selectors as people

    routing_row = TeamRouting.objects.select_for_update().filter(team_id=ticket.team_id).first()
    if routing_row is None or routing_row.strategy == AssignmentStrategy.MANUAL:
        return
    required = frozenset(ticket.service.required_skills) if ticket.service_id is not None else frozenset()
    agents = people.team_agents_with_skills(team_id=ticket.team_id, on_date=timezone.localdate(at))
    loads = selectors.open_loads([uid for uid, _ in agents])
    candidates = [
        routing.Candidate(user_id=uid, open_tickets=loads.get(uid, 0), skills=skills)
        for uid, skills in agents
    ]
    chosen = routing.choose_assignee(
        routing_row.strategy,
        candidates,
        required_skills=required if routing_row.match_skills else frozenset(),
        last_assignee_id=routing_row.last_assignee_id,
    )
    if chosen is None:
        return
    from steward.accounts.models import User

    _assign(
        ticket,
        actor=actor,
        changes={"assignee": User.objects.get(pk=chosen)},
        at=at,
        rule=routing_row.strategy,
    )
    TeamRouting.objects.filter(pk=routing_row.pk).update(last_assignee_id=chosen)


@transaction.atomic
def team_routing_set(*, actor: Any, team: Any, strategy: str, match_skills: bool = False) -> TeamRouting:
    """How the team's new tickets are assigned (admins and managers)."""
    access.require_role(actor, "admin", "manager")
    if strategy not in AssignmentStrategy.values:
        raise ValidationFailed.for_field("strategy", f"must be one of {', '.join(AssignmentStrategy.values)}")
    row = TeamRouting.objects.filter(team=team).first()
    if row is None:
        return create_audited(
            actor=actor,
            instance=TeamRouting(team=team, strategy=strategy, match_skills=bool(match_skills)),
            action="team_routing.create",
        )
    return update_audited(
        actor=actor,
        instance=row,
        changes={"strategy": strategy, "match_skills": bool(match_skills)},
        allowed=("strategy", "match_skills"),
        action="team_routing.update",
    )


# --- tags, links, merge --------------------------------------------------------------------------

TAG_MAX = 20


def normalise_tag(raw: str) -> str:
    tag = re.sub(r"[^\w-]+", "-", str(raw).strip().lower()).strip("-")
    return tag[:50]


@transaction.atomic
def ticket_set_tags(*, ticket: Ticket, actor: Any, tags: Sequence[str]) -> list[str]:
    """Replace the ticket's tags (normalised: lower case, words joined by hyphens). Staff only."""
    _require_visible(actor, ticket)
    _require_desk_staff(actor)
    if isinstance(tags, str):
        raise ValidationFailed.for_field("tags", "must be a list of tags")
    wanted = sorted({t for t in (normalise_tag(x) for x in tags) if t})
    if len(wanted) > TAG_MAX:
        raise ValidationFailed.for_field("tags", f"at most {TAG_MAX} tags")
    current = sorted(ticket.tags.values_list("name", flat=True))
    if wanted == current:
        return current
    objects = []
    for name in wanted:
        tag, _ = Tag.objects.get_or_create(name=name)
        objects.append(tag)
    ticket.tags.set(objects)
    added = sorted(set(wanted) - set(current))
    removed = sorted(set(current) - set(wanted))
    now = timezone.now()
    _add_event(ticket, EventType.TAGS, actor=actor, at=now, added=added, removed=removed)
    audit.record(
        actor=actor,
        action="ticket.tags",
        obj=ticket,
        changes={"tags": [current, wanted]},
        account_id=ticket.account_id,
    )
    return wanted


@transaction.atomic
def ticket_link(*, ticket: Ticket, actor: Any, other: Ticket, kind: str = LinkKind.RELATED) -> TicketLink:
    """Link two tickets (staff): `ticket` is <kind> `other`. Both must be visible to the actor."""
    _require_visible(actor, ticket)
    _require_desk_staff(actor)
    if other is None or not selectors.is_visible(actor, other):
        raise ValidationFailed.for_field("other", "no such ticket")
    if kind not in LinkKind.values:
        raise ValidationFailed.for_field("kind", f"must be one of {', '.join(LinkKind.values)}")
    if other.pk == ticket.pk:
        raise ValidationFailed.for_field("other", "a ticket cannot be linked to itself")
    if TicketLink.objects.filter(
        Q(from_ticket=ticket, to_ticket=other) | Q(from_ticket=other, to_ticket=ticket)
    ).exists():
        raise ValidationFailed.for_field("other", "these tickets are already linked")
    now = timezone.now()
    link = create_audited(
        actor=actor,
        instance=TicketLink(from_ticket=ticket, to_ticket=other, kind=kind, created_by=actor, created_at=now),
        action="ticket.link",
        account_id=ticket.account_id,
    )
    _add_event(ticket, EventType.LINK, actor=actor, at=now, kind=kind, other=other.pk, direction="out")
    _add_event(other, EventType.LINK, actor=actor, at=now, kind=kind, other=ticket.pk, direction="in")
    return link


@transaction.atomic
def ticket_unlink(*, ticket: Ticket, actor: Any, other: Ticket) -> None:
    _require_visible(actor, ticket)
    _require_desk_staff(actor)
    if other is None or not selectors.is_visible(actor, other):
        raise ValidationFailed.for_field("other", "no such ticket")
    links = TicketLink.objects.filter(
        Q(from_ticket=ticket, to_ticket=other) | Q(from_ticket=other, to_ticket=ticket)
    )
    if not links.exists():
        raise ValidationFailed.for_field("other", "these tickets are not linked")
    now = timezone.now()
    for link in links:
        audit.record(
            actor=actor,
            action="ticket.unlink",
            obj=ticket,
            changes={"other": other.pk, "kind": link.kind},
            account_id=ticket.account_id,
        )
    links.delete()
    _add_event(ticket, EventType.LINK, actor=actor, at=now, other=other.pk, removed=True)
    _add_event(other, EventType.LINK, actor=actor, at=now, other=ticket.pk, removed=True)


def _require_not_merged(ticket: Ticket) -> None:
    merged_into = Ticket.objects.filter(pk=ticket.pk).values_list("merged_into_id", flat=True).first()
    if merged_into is not None:
        raise ValidationFailed.for_field(
            "ticket", f"this ticket was merged into T-{merged_into:06d}; reply there"
        )


@transaction.atomic
def ticket_merge(*, ticket: Ticket, actor: Any, into: Ticket) -> Ticket:
    """Merge a duplicate into another ticket of the same account (staff). The duplicate is closed
    with `merged_into` set and linked as a duplicate; its conversation stays where it was, and the
    surviving ticket gets an internal note that points to it. Mail replies to the duplicate thread
    into the surviving ticket from then on. Returns the surviving ticket."""
    _require_visible(actor, ticket)
    _require_desk_staff(actor)
    if into is None or not selectors.is_visible(actor, into):
        raise ValidationFailed.for_field("into", "no such ticket")
    ticket.refresh_from_db()
    into.refresh_from_db()
    if into.pk == ticket.pk:
        raise ValidationFailed.for_field("into", "a ticket cannot be merged into itself")
    if into.account_id != ticket.account_id:
        raise ValidationFailed.for_field("into", "only tickets of the same customer account can be merged")
    if ticket.merged_into_id is not None:
        raise ValidationFailed.for_field("ticket", "this ticket is already merged")
    if into.merged_into_id is not None:
        raise ValidationFailed.for_field(
            "into", f"{into.number} was itself merged; merge into T-{into.merged_into_id:06d}"
        )
    now = timezone.now()
    update_audited(
        actor=actor,
        instance=ticket,
        changes={"merged_into": into},
        allowed=("merged_into",),
        action="ticket.merge",
        account_id=ticket.account_id,
    )
    TicketLink.objects.filter(
        Q(from_ticket=ticket, to_ticket=into) | Q(from_ticket=into, to_ticket=ticket)
    ).delete()
    TicketLink.objects.create(
        from_ticket=ticket, to_ticket=into, kind=LinkKind.DUPLICATE, created_by=actor, created_at=now
    )
    _add_event(ticket, EventType.MERGE, actor=actor, at=now, into=into.pk)
    _add_event(into, EventType.MERGE, actor=actor, at=now, merged=ticket.pk)
    if ticket.status not in DONE_STATUSES:
        _set_status(ticket, actor=actor, status=Status.RESOLVED, at=now, reason="merged", survey=False)
    if ticket.status != Status.CLOSED:
        _set_status(ticket, actor=actor, status=Status.CLOSED, at=now, reason="merged", survey=False)
    recompute_sla(ticket=ticket, now=now)
    note = f"Merged {ticket.number} “{ticket.subject}” into this ticket."
    _add_message(into, actor=actor, body=note, public=False, from_customer=False, at=now)
    return into


# --- time-driven work: escalations and auto-close (claimed by compare-and-set) -------------------

PRIORITY_UP = {"P4": "P3", "P3": "P2", "P2": "P1", "P1": "P1"}


def escalation_fire(*, escalation_id: int, now: datetime) -> bool:
    """Claim one due escalation (``UPDATE … SET fired_at = now WHERE id = … AND fired_at IS NULL
    AND due_at <= now``) and, if this caller won it, run its actions, in one transaction. Returns
    whether it ran. Safe with any number of sweepers."""
    with transaction.atomic():
        won = TicketEscalation.objects.filter(
            pk=escalation_id, fired_at__isnull=True, due_at__lte=now
        ).update(fired_at=now)
        if won != 1:
            return False
        row = TicketEscalation.objects.select_related("level", "ticket").get(pk=escalation_id)
        ticket = row.ticket
        level = row.level
        done: list[str] = []
        recompute = False
        for action in level.actions:
            kind = action["type"]
            if kind == "raise_priority" and ticket.is_open:
                new = PRIORITY_UP[ticket.priority]
                if _change_priority(
                    ticket,
                    actor=None,
                    priority=new,
                    reason=f"escalation: {row.target} {level.offset_minutes:+d} min",
                    at=now,
                ):
                    recompute = True
                    done.append(f"priority {new}")
            elif kind == "reassign_team" and ticket.is_open:
                from steward.accounts.models import Team

                team = Team.objects.filter(pk=action["team_id"]).first()
                if team is not None and team.pk != ticket.team_id:
                    changes: dict[str, Any] = {"team": team}
                    if ticket.assignee_id is not None and not _is_member(team.pk, ticket.assignee_id):
                        changes["assignee"] = None
                    _assign(ticket, actor=None, changes=changes, at=now, rule="escalation")
                    if ticket.assignee_id is None:
                        _route(ticket, actor=None, at=now)
                    recompute = True
                    done.append(f"reassigned to {team}")
            elif kind in ("notify_users", "notify_team"):
                recipients = notify.escalation_recipients(action)
                notify.escalated(
                    ticket=ticket, target=row.target, offset_minutes=level.offset_minutes, to=recipients
                )
                done.append(f"notified {len(recipients)}")
        _add_event(
            ticket,
            EventType.ESCALATION,
            actor=None,
            at=now,
            target=row.target,
            offset_minutes=level.offset_minutes,
            level=level.pk,
            actions=done,
        )
        audit.record(
            actor=None,
            action="sla.escalation",
            obj=ticket,
            changes={"target": row.target, "offset_minutes": level.offset_minutes, "actions": done},
            account_id=ticket.account_id,
        )
        if recompute:
            recompute_sla(ticket=ticket, now=now)
        return True


def ticket_autoclose(*, ticket_id: int, now: datetime) -> bool:
    """Close one resolved ticket whose resolution is older than `STEWARD_AUTOCLOSE_DAYS`, claimed
    by a conditional UPDATE on its status (so two workers never both close it). Returns whether
    this call closed it."""
    cutoff = now - timedelta(days=settings.STEWARD_AUTOCLOSE_DAYS)
    with transaction.atomic():
        won = Ticket.objects.filter(pk=ticket_id, status=Status.RESOLVED, resolved_at__lte=cutoff).update(
            status=Status.CLOSED, closed_at=now, updated_at=now
        )
        if won != 1:
            return False
        ticket = Ticket.objects.get(pk=ticket_id)
        _add_event(
            ticket,
            EventType.STATUS,
            actor=None,
            at=now,
            status=Status.CLOSED,
            reason="auto-close",
            **{"from": Status.RESOLVED},
        )
        audit.record(
            actor=None,
            action="ticket.autoclose",
            obj=ticket,
            changes={"status": [Status.RESOLVED, Status.CLOSED]},
            account_id=ticket.account_id,
            actor_label="auto-close",
        )
        recompute_sla(ticket=ticket, now=now)
        notify.status_changed(ticket=ticket, old=Status.RESOLVED, new=Status.CLOSED, actor=None)
        return True


# --- saved views and bulk actions ----------------------------------------------------------------


@transaction.atomic
def saved_view_create(*, actor: Any, name: str, queue: str = "all", filters: dict | None = None) -> SavedView:
    """Save a named queue with filters for the actor (desk staff). Filters are checked by running
    the queue once (unknown names or values are refused, naming the field)."""
    _require_desk_staff(actor)
    filters = {k: v for k, v in (filters or {}).items() if v not in (None, "")}
    order = filters.pop("order", "")
    try:
        selectors.ticket_queue(actor, queue, order=order, **filters).exists()
    except ValueError as exc:
        field, _, message = str(exc).partition(": ")
        raise ValidationFailed.for_field(field if message else "filters", message or str(exc)) from None
    if order:
        filters["order"] = order
    view = SavedView(user=actor, name=_require_text("name", name)[:80], queue=queue, filters=filters)
    if SavedView.objects.filter(user=actor, name=view.name).exists():
        raise ValidationFailed.for_field("name", "you already have a view of this name")
    return create_audited(actor=actor, instance=view, action="saved_view.create")


@transaction.atomic
def saved_view_delete(*, actor: Any, view: SavedView) -> None:
    """Delete one of the actor's own saved views (anyone else's is NotFound)."""
    view = selectors.saved_view_get(actor, view.pk)
    audit.record(actor=actor, action="saved_view.delete", obj=view, changes={"name": [view.name, None]})
    view.delete()


BULK_ACTIONS = ("assign", "status", "priority", "tags")


@transaction.atomic
def ticket_bulk_update(
    *,
    actor: Any,
    ticket_ids: Sequence[int],
    action: str,
    team: Any = _UNSET,
    assignee: Any = _UNSET,
    status: str = "",
    priority: str = "",
    reason: str = "",
    add_tags: Sequence[str] = (),
) -> int:
    """Apply one action to many tickets, all or nothing (one transaction: if any ticket refuses,
    none changes). Every id must be a ticket the actor sees. Returns how many were updated."""
    _require_desk_staff(actor)
    if action not in BULK_ACTIONS:
        raise ValidationFailed.for_field("action", f"must be one of {', '.join(BULK_ACTIONS)}")
    ids = sorted({int(i) for i in ticket_ids})
    if not ids:
        raise ValidationFailed.for_field("ticket_ids", "choose at least one ticket")
    if len(ids) > 500:
        raise ValidationFailed.for_field("ticket_ids", "at most 500 tickets at once")
    tickets = list(selectors.tickets_for(actor).filter(pk__in=ids).order_by("pk"))
    if len(tickets) != len(ids):
        missing = sorted(set(ids) - {t.pk for t in tickets})
        raise ValidationFailed.for_field("ticket_ids", f"no such ticket: {missing[0]}")
    for ticket in tickets:
        try:
            if action == "assign":
                ticket_assign(ticket=ticket, actor=actor, team=team, assignee=assignee)
            elif action == "status":
                if ticket.status != status:
                    ticket_change_status(ticket=ticket, actor=actor, status=status)
            elif action == "priority":
                ticket_change_priority(ticket=ticket, actor=actor, priority=priority, reason=reason)
            else:
                current = list(ticket.tags.values_list("name", flat=True))
                ticket_set_tags(ticket=ticket, actor=actor, tags=[*current, *add_tags])
        except ValidationFailed as exc:
            raise ValidationFailed(f"{ticket.number}: {exc.message}", fields=exc.fields) from None
    return len(tickets)


# --- the customer portal -------------------------------------------------------------------------


@transaction.atomic
def ticket_create_with_attachments(
    *, actor: Any, attachments: Sequence[NewAttachment] = (), **fields: Any
) -> Ticket:
    """Open a ticket (`ticket_create`, with its permission checks) together with the files the
    requester sent with it, all or nothing: a refused file (size, type, count) leaves no ticket.
    The files are stamped with the ticket's creation instant, so they read as part of the request."""
    ticket = ticket_create(actor=actor, **fields)
    if attachments:
        stored = _attach_all(ticket, None, attachments, actor=actor, public=True, at=ticket.created_at)
        audit.record(
            actor=actor,
            action="ticket.attach",
            obj=ticket,
            changes={"attachments": [a.pk for a in stored]},
            account_id=ticket.account_id,
        )
    return ticket


# --- mail intake: writes with no signed-in actor (the intake has established who wrote) ---------


def within_reopen_window(ticket: Ticket, now: datetime) -> bool:
    """A customer's reply now would reopen this resolved or closed ticket (else it starts a new one)."""
    return _within_reopen_window(ticket, now)


@transaction.atomic
def ticket_attach_from_contact(
    *, ticket: Ticket, contact: Any, items: Sequence[NewAttachment], at: datetime | None = None
) -> list[Attachment]:
    """Files a customer contact sent by mail with a new ticket (public, checked like any upload).
    The caller (the mail intake) has matched the contact to the ticket's account."""
    if contact.account_id != ticket.account_id:
        raise NotFound("ticket not found")
    now = at or timezone.now()
    stored = _attach_all(ticket, None, items, actor=None, public=True, at=now)
    if stored:
        audit.record(
            actor=None,
            action="ticket.attach",
            obj=ticket,
            changes={"attachments": [a.pk for a in stored]},
            account_id=ticket.account_id,
            actor_label=f"email from {contact}"[:200],
        )
    return stored


@transaction.atomic
def ticket_note_from_system(*, ticket: Ticket, body: str, at: datetime | None = None) -> TicketMessage:
    """An internal note the system writes (e.g. the mail intake listing files it did not keep)."""
    now = at or timezone.now()
    message = _add_message(
        ticket, actor=None, body=_require_text("body", body), public=False, from_customer=False, at=now
    )
    _add_event(ticket, EventType.NOTE, actor=None, at=now, message_id=message.pk)
    audit.record(
        actor=None,
        action="ticket.note",
        obj=ticket,
        changes={"message": message.pk},
        account_id=ticket.account_id,
        actor_label="system",
    )
    return message


@transaction.atomic
def ticket_link_from_system(
    *, ticket: Ticket, other: Ticket, kind: str = LinkKind.RELATED, reason: str, at: datetime | None = None
) -> TicketLink:
    """A link the system makes (e.g. a new ticket from a reply to a long-closed one), audited with
    its reason."""
    now = at or timezone.now()
    link = create_audited(
        actor=None,
        instance=TicketLink(from_ticket=ticket, to_ticket=other, kind=kind, created_at=now),
        action="ticket.link",
        account_id=ticket.account_id,
        actor_label=reason[:200],
    )
    _add_event(ticket, EventType.LINK, actor=None, at=now, kind=kind, other=other.pk, direction="out")
    _add_event(other, EventType.LINK, actor=None, at=now, kind=kind, other=ticket.pk, direction="in")
    return link


@transaction.atomic
def ticket_record_field_visit(
    *,
    ticket: Ticket,
    actor: Any,
    at: datetime,
    work_order_id: int,
    number: str,
    from_status: str,
    to_status: str,
    note: str = "",
    reason: str = "",
) -> None:
    """A work order of this ticket changed status (the field app calls this in its transaction):
    a "field_visit" entry on the timeline. The first arrival on site of any of the ticket's work
    orders is also an "onsite" event, the SLA replay's input that meets the on-site target, and the
    clocks are recomputed at once."""
    _add_event(
        ticket,
        EventType.FIELD_VISIT,
        actor=actor,
        at=at,
        work_order=work_order_id,
        number=number,
        status=to_status,
        **{"from": from_status},
        note=note[:500],
        reason=reason[:200],
    )
    if to_status == "on_site" and not ticket.events.filter(type=EventType.ONSITE).exists():
        _add_event(ticket, EventType.ONSITE, actor=actor, at=at, work_order=work_order_id, number=number)
        recompute_sla(ticket=ticket, now=max(at, timezone.now()))
