"""Reads of the service desk, scoped by who asks (DESIGN.md, Isolation).

* Staff with a desk role (admin, manager, dispatcher, agent) see every ticket. Technicians see
  none for now: tickets are desk work; their own jobs come with field service (work orders).
* A customer admin sees every ticket of their account; a requester only the tickets they asked
  (``requester = user``).
* Anyone else sees nothing. An object outside the scope is NotFound (404), never Forbidden.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, F, QuerySet

from steward.accounts.models import TeamMembership
from steward.core import access
from steward.desk.models import DONE_STATUSES, OPEN_STATUSES, SavedView, Ticket, TicketEvent, TicketSla

# Staff roles that work tickets.
DESK_ROLES = ("admin", "manager", "dispatcher", "agent")

QUEUES = ("all", "mine", "my_teams", "unassigned", "breaching_soon")

# Timeline entries customers do not see: internal notes, the desk's own workings, and files
# attached to internal notes.
STAFF_ONLY_EVENTS = (
    "note",
    "assign",
    "sla_warning",
    "sla_breached",
    "escalation",
    "tags",
    "link",
    "mail_out",
)


def is_desk_staff(user: Any) -> bool:
    return access.is_staff(user) and user.has_role(*DESK_ROLES)


def tickets_for(user: Any) -> QuerySet[Ticket]:
    qs = Ticket.objects.select_related("account", "requester", "team", "assignee", "service")
    if access.is_staff(user):
        return qs if user.has_role(*DESK_ROLES) else qs.none()
    if access.is_customer(user):
        qs = qs.filter(account_id=user.customer_account_id)
        if not user.is_customer_admin:
            qs = qs.filter(requester=user)
        return qs
    return qs.none()


def ticket_get(user: Any, pk: Any) -> Ticket:
    return access.get_or_404(tickets_for(user), pk=pk)


def is_visible(user: Any, ticket: Ticket) -> bool:
    return tickets_for(user).filter(pk=ticket.pk).exists()


# Filters a queue accepts (the agent's list page, saved views and the API share them).
FILTERS = (
    "status",
    "priority",
    "type",
    "channel",
    "team",
    "assignee",
    "account",
    "service",
    "tag",
    "sla",
    "q",
)
# "open" and "done" stand for groups of statuses in the status filter.
STATUS_GROUPS = {"open": OPEN_STATUSES, "done": DONE_STATUSES}
ORDERINGS = {
    "newest": ("-created_at", "-id"),
    "oldest": ("created_at", "id"),
    "deadline": (F("sla_next_deadline").asc(nulls_last=True), "id"),
    "priority": ("priority", "sla_next_deadline", "id"),
    "updated": ("-updated_at", "-id"),
}


def ticket_queue(user: Any, queue: str = "all", *, order: str = "", **filters: Any) -> QuerySet[Ticket]:
    """A queue of tickets, scoped to the caller, with filters.

    Queues: "all"; "mine" (assigned to me); "my_teams" (my teams' tickets); "unassigned" (open,
    nobody assigned); "breaching_soon" (open, with an SLA clock still running, nearest deadline
    first: an index scan on `sla_next_deadline`). Filters (each optional, see FILTERS): status
    (a status, or "open"/"done"), priority, type, channel, team (id, or "none"), assignee (id,
    or "none"), account (id), service (id), tag (name), sla (breached, warning, running, paused,
    met), q (in the subject, or a ticket number such as T-000123). Unknown queues, filters or
    values raise ValueError naming them."""
    if queue not in QUEUES:
        raise ValueError(f"queue: must be one of {', '.join(QUEUES)}")
    unknown = sorted(set(filters) - set(FILTERS))
    if unknown:
        raise ValueError(f"{unknown[0]}: unknown filter")
    qs = tickets_for(user)
    uid = getattr(user, "pk", None)
    default_order = ORDERINGS["newest"]
    if queue == "mine":
        qs = qs.filter(assignee_id=uid)
    elif queue == "my_teams":
        qs = qs.filter(team_id__in=TeamMembership.objects.filter(user_id=uid).values("team_id"))
    elif queue == "unassigned":
        qs = qs.filter(assignee__isnull=True, status__in=OPEN_STATUSES)
    elif queue == "breaching_soon":
        qs = qs.filter(status__in=OPEN_STATUSES, sla_next_deadline__isnull=False)
        default_order = ORDERINGS["deadline"]
    if queue in ("unassigned", "breaching_soon") and filters.get("status") == "open":
        # Already open tickets only: the same condition twice makes PostgreSQL count its
        # selectivity twice (1 row expected for the whole backlog) and plan loops over the backlog.
        filters = {**filters, "status": ""}
    qs = _apply_filters(qs, {k: v for k, v in filters.items() if v not in (None, "")})
    if order and order not in ORDERINGS:
        raise ValueError(f"order: must be one of {', '.join(ORDERINGS)}")
    return qs.order_by(*(ORDERINGS[order] if order else default_order))


def _id_or_none(name: str, value: Any) -> int | None:
    if value == "none":
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected an id or 'none', got {value!r}") from None
    if not 1 <= number <= 2**63 - 1:
        raise ValueError(f"{name}: expected an id or 'none', got {value!r}")
    return number


def _apply_filters(qs: QuerySet[Ticket], filters: dict[str, Any]) -> QuerySet[Ticket]:
    from steward.desk.models import Channel, Priority, SlaStatus, Status, TicketType

    choices = {
        "priority": Priority.values,
        "type": TicketType.values,
        "channel": Channel.values,
        "sla": SlaStatus.values,
    }
    for name, value in filters.items():
        if name in choices and value not in choices[name]:
            raise ValueError(f"{name}: must be one of {', '.join(choices[name])}")
        if name == "status":
            if value in STATUS_GROUPS:
                qs = qs.filter(status__in=STATUS_GROUPS[value])
            elif value in Status.values:
                qs = qs.filter(status=value)
            else:
                raise ValueError(f"status: must be one of {', '.join([*Status.values, *STATUS_GROUPS])}")
        elif name == "priority":
            qs = qs.filter(priority=value)
        elif name == "type":
            qs = qs.filter(type=value)
        elif name == "channel":
            qs = qs.filter(channel=value)
        elif name == "sla":
            qs = qs.filter(sla_state=value)
        elif name in ("team", "assignee", "account", "service"):
            pk = _id_or_none(name, value)
            lookup = {f"{name}__isnull": True} if pk is None else {f"{name}_id": pk}
            qs = qs.filter(**lookup)
        elif name == "tag":
            qs = qs.filter(tags__name=str(value).strip().lower())
        elif name == "q":
            text = str(value).strip()
            number = re.fullmatch(r"(?i)t-?0*(\d{1,18})", text)
            if number:
                qs = qs.filter(pk=int(number.group(1)))
            elif text:
                qs = qs.filter(subject__icontains=text)
    return qs


def ticket_timeline(user: Any, ticket: Ticket) -> QuerySet[TicketEvent]:
    """The ticket's events in order; customers do not see internal notes."""
    ticket = ticket_get(user, ticket.pk)
    qs = ticket.events.select_related("actor").order_by("at", "id")
    if not access.is_staff(user):
        # The files of an internal note are as private as the note: their event names them.
        qs = qs.exclude(type__in=STAFF_ONLY_EVENTS).exclude(type="attachment", data__public=False)
    return qs


def ticket_slas(ticket: Ticket) -> QuerySet[TicketSla]:
    return TicketSla.objects.filter(ticket=ticket).order_by("target")


def open_loads(user_ids: list[int]) -> dict[int, int]:
    """Open tickets assigned to each of these users (for routing by least load)."""
    rows = (
        Ticket.objects.filter(assignee_id__in=user_ids, status__in=OPEN_STATUSES)
        .values("assignee_id")
        .annotate(n=Count("id"))
    )
    return {r["assignee_id"]: r["n"] for r in rows}


def effective_ticket(ticket: Ticket) -> Ticket:
    """The ticket a reply to `ticket` belongs in: itself, or the ticket it was merged into (followed
    to the end of the chain)."""
    seen = {ticket.pk}
    while ticket.merged_into_id is not None and ticket.merged_into_id not in seen:
        seen.add(ticket.merged_into_id)
        ticket = Ticket.objects.get(pk=ticket.merged_into_id)
    return ticket


def saved_views_for(user: Any) -> QuerySet[SavedView]:
    """The caller's own saved views (staff with a desk role)."""
    if not is_desk_staff(user):
        return SavedView.objects.none()
    return SavedView.objects.filter(user=user).order_by("name", "id")


def saved_view_get(user: Any, pk: Any) -> SavedView:
    return access.get_or_404(saved_views_for(user), pk=pk)


def ticket_links(user: Any, ticket: Ticket) -> list[tuple[str, Ticket]]:
    """The tickets linked to this one that the caller can see, each with the link in words from
    this ticket's side ("duplicate of", "has duplicate", "related to", ...)."""
    from steward.desk.models import LinkKind, TicketLink

    visible = tickets_for(user)
    out: list[tuple[str, Ticket]] = []
    inverse = {
        LinkKind.DUPLICATE: "has duplicate",
        LinkKind.CAUSED_BY: "causes",
        LinkKind.RELATED: "related to",
    }
    for link in TicketLink.objects.filter(from_ticket=ticket).select_related("to_ticket"):
        if visible.filter(pk=link.to_ticket_id).exists():
            out.append((LinkKind(link.kind).label.lower(), link.to_ticket))
    for link in TicketLink.objects.filter(to_ticket=ticket).select_related("from_ticket"):
        if visible.filter(pk=link.from_ticket_id).exists():
            out.append((inverse[LinkKind(link.kind)], link.from_ticket))
    return out


def ticket_attachments(user: Any, ticket: Ticket) -> QuerySet:
    """The ticket's attachments the caller may see (customers: not those on internal notes)."""
    ticket = ticket_get(user, ticket.pk)
    qs = ticket.attachments.all().order_by("created_at", "id")
    if not access.is_staff(user):
        qs = qs.filter(is_public=True)
    return qs


def attachment_get(user: Any, pk: Any):
    """One attachment, if the caller may see its ticket (and, for a customer, it is public)."""
    from steward.desk.models import Attachment

    qs = Attachment.objects.filter(ticket__in=tickets_for(user)).select_related("ticket")
    if not access.is_staff(user):
        qs = qs.filter(is_public=True)
    return access.get_or_404(qs, pk=pk)


# --- the customer portal -------------------------------------------------------------------------


def reopen_until(ticket: Ticket) -> datetime | None:
    """Until when the customer may reopen this resolved or closed ticket (by the reopen button or
    by replying): `STEWARD_REOPEN_WINDOW_DAYS` after its resolution. None when it is open, or
    was merged into another ticket (work continues there)."""
    if ticket.status not in DONE_STATUSES or ticket.resolved_at is None or ticket.merged_into_id is not None:
        return None
    return ticket.resolved_at + timedelta(days=settings.STEWARD_REOPEN_WINDOW_DAYS)


def portal_requests(
    user: Any, *, status: str = "", q: str = "", requester: int | None = None
) -> QuerySet[Ticket]:
    """The customer's requests, last updated first: a requester's own, a customer admin's whole
    account (optionally one requester's). status is "open", "done" or "" for both; q matches
    the subject or a number such as T-000123."""
    if status not in ("", *STATUS_GROUPS):
        raise ValueError(f"status: must be one of {', '.join(STATUS_GROUPS)}")
    qs = ticket_queue(user, "all", order="updated", status=status, q=q).select_related("contact")
    if requester is not None:
        qs = qs.filter(requester_id=requester)
    return qs


def portal_requesters(user: Any) -> QuerySet:
    """The people who asked the tickets the caller sees (a customer admin's filter)."""
    from steward.accounts.models import User

    return User.objects.filter(pk__in=tickets_for(user).values("requester_id")).order_by("full_name", "email")


def recently_done(user: Any, *, now: datetime) -> QuerySet[Ticket]:
    """The caller's resolved or closed tickets that may still be reopened (resolved within the
    reopen window, not merged), most recently resolved first."""
    since = now - timedelta(days=settings.STEWARD_REOPEN_WINDOW_DAYS)
    return (
        tickets_for(user)
        .filter(status__in=DONE_STATUSES, resolved_at__gte=since, merged_into__isnull=True)
        .order_by("-resolved_at", "-id")
    )


def ticket_messages(user: Any, ticket: Ticket) -> QuerySet:
    """The ticket's messages in order, each with the attachments the caller may see; customers do
    not see internal notes."""
    from django.db.models import Prefetch

    from steward.desk.models import Attachment, TicketMessage

    ticket = ticket_get(user, ticket.pk)
    files = Attachment.objects.order_by("created_at", "id")
    qs = TicketMessage.objects.filter(ticket=ticket).select_related("author", "contact")
    if not access.is_staff(user):
        qs = qs.filter(is_public=True)
        files = files.filter(is_public=True)
    return qs.prefetch_related(Prefetch("attachments", queryset=files)).order_by("created_at", "id")


def assignee_get(user: Any, pk: Any):
    """A staff member a ticket may be assigned to, as desk staff see them (anyone else: NotFound).
    Whether they are active and in the ticket's team is the assignment service's to judge."""
    from steward.accounts.models import User

    if not is_desk_staff(user):
        return access.get_or_404(User.objects.none(), pk=pk)
    return access.get_or_404(User.objects.filter(customer_account__isnull=True), pk=pk)


# --- the agent's workspace -------------------------------------------------------------------------


def queue_counts(user: Any) -> dict[str, int]:
    """Open tickets in each queue (the default "open" status filter of the queue pages), plus open
    tickets whose SLA state (as the sweeper last stored it) is "breached" or "warning", and both
    together ("at_risk"). One aggregate query over the caller's open tickets."""
    from django.db.models import Q

    if not is_desk_staff(user):
        return dict.fromkeys((*QUEUES, "breached", "warning", "at_risk"), 0)
    my_teams = TeamMembership.objects.filter(user_id=user.pk).values("team_id")
    return (
        tickets_for(user)
        .select_related(None)
        .filter(status__in=OPEN_STATUSES)
        .aggregate(
            all=Count("id"),
            mine=Count("id", filter=Q(assignee_id=user.pk)),
            my_teams=Count("id", filter=Q(team_id__in=my_teams)),
            unassigned=Count("id", filter=Q(assignee__isnull=True)),
            breaching_soon=Count("id", filter=Q(sla_next_deadline__isnull=False)),
            breached=Count("id", filter=Q(sla_state="breached")),
            warning=Count("id", filter=Q(sla_state="warning")),
            at_risk=Count("id", filter=Q(sla_state__in=["warning", "breached"])),
        )
    )


def display_names(
    user: Any, *, user_ids: set[int], team_ids: set[int], policy_ids: set[int]
) -> tuple[dict[int, str], dict[int, str], dict[int, str]]:
    """Names of the staff, teams and SLA policies a ticket's timeline mentions (desk staff only:
    these are the desk's own workings)."""
    from steward.accounts.models import Team, User
    from steward.catalog.models import SlaPolicy

    if not is_desk_staff(user):
        return {}, {}, {}
    users = {
        pk: name or email
        for pk, name, email in User.objects.filter(pk__in=user_ids).values_list("pk", "full_name", "email")
    }
    teams = dict(Team.objects.filter(pk__in=team_ids).values_list("pk", "name"))
    policies = dict(SlaPolicy.objects.filter(pk__in=policy_ids).values_list("pk", "name"))
    return users, teams, policies


def assignable_staff(user: Any) -> QuerySet:
    """The people a ticket can be assigned to: active staff with a desk role (for desk staff)."""
    from steward.accounts.models import User

    if not is_desk_staff(user):
        return User.objects.none()
    return (
        User.objects.filter(is_active=True, customer_account__isnull=True, role_grants__role__in=DESK_ROLES)
        .distinct()
        .order_by("full_name", "email")
    )


def team_routing_get(team: Any):
    """The team's routing settings, or an unsaved default (manual, no skill matching)."""
    from steward.desk.models import TeamRouting

    return TeamRouting.objects.filter(team=team).first() or TeamRouting(team=team)


def onsite_deadline(ticket: Ticket) -> datetime | None:
    """The ticket's on-site arrival deadline: the stored "onsite" SLA clock, or (a ticket whose
    clocks predate the on-site target) the policy's on-site minutes at the ticket's priority on
    the policy's calendar from the ticket's creation. None when the policy gives no on-site target."""
    stored = (
        TicketSla.objects.filter(ticket=ticket, target="onsite").values_list("deadline", flat=True).first()
    )
    if stored is not None:
        return stored
    if ticket.sla_policy_id is None:
        return None
    from steward.catalog.selectors import onsite_minutes
    from steward.core.calendars import BusinessCalendar, add_business_time

    policy = ticket.sla_policy
    minutes = onsite_minutes(policy, ticket.priority)
    if minutes is None:
        return None
    if policy.calendar_id is None:
        return ticket.created_at + timedelta(minutes=minutes)
    calendar = BusinessCalendar.from_spec(policy.calendar.spec)
    return add_business_time(ticket.created_at, timedelta(minutes=minutes), calendar)
