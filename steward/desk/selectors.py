"""Reads of the service desk, scoped by who asks (DESIGN.md, Isolation).

* Staff with a desk role (admin, manager, dispatcher, agent) see every ticket. Technicians see
  none for now: tickets are desk work; their own jobs come with field service (work orders).
* A customer admin sees every ticket of their account; a requester only the tickets they asked
  (``requester = user``).
* Anyone else sees nothing. An object outside the scope is NotFound (404), never Forbidden.
"""

from __future__ import annotations

from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery

from steward.core import access
from steward.desk.models import OPEN_STATUSES, SlaStatus, Ticket, TicketEvent, TicketSla

# Staff roles that work tickets.
DESK_ROLES = ("admin", "manager", "dispatcher", "agent")

QUEUES = ("all", "mine", "my_teams", "unassigned", "breaching_soon")


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


def _resolution_deadline() -> Subquery:
    return Subquery(
        TicketSla.objects.filter(
            ticket=OuterRef("pk"),
            target="resolution",
            status__in=[SlaStatus.RUNNING, SlaStatus.WARNING],
        ).values("deadline")[:1]
    )


def ticket_queue(user: Any, queue: str = "all", *, status: str = "", q: str = "") -> QuerySet[Ticket]:
    """A queue of tickets: "all", "mine" (assigned to me), "my_teams" (my teams' tickets),
    "unassigned" (open, nobody assigned), "breaching_soon" (open, with a running resolution clock,
    nearest deadline first)."""
    qs = tickets_for(user)
    if queue == "mine":
        qs = qs.filter(assignee_id=getattr(user, "pk", None))
    elif queue == "my_teams":
        qs = qs.filter(team__memberships__user_id=getattr(user, "pk", None)).distinct()
    elif queue == "unassigned":
        qs = qs.filter(assignee__isnull=True, status__in=OPEN_STATUSES)
    elif queue == "breaching_soon":
        qs = (
            qs.filter(status__in=OPEN_STATUSES)
            .annotate(resolution_deadline=_resolution_deadline())
            .filter(resolution_deadline__isnull=False)
            .order_by("resolution_deadline", "id")
        )
    elif queue != "all":
        raise ValueError(f"queue must be one of {', '.join(QUEUES)}")
    if status:
        qs = qs.filter(status=status)
    if q:
        qs = qs.filter(subject__icontains=q)
    return qs


def ticket_timeline(user: Any, ticket: Ticket) -> QuerySet[TicketEvent]:
    """The ticket's events in order; customers do not see internal notes."""
    ticket = ticket_get(user, ticket.pk)
    qs = ticket.events.select_related("actor").order_by("at", "id")
    if not access.is_staff(user):
        qs = qs.exclude(type="note")
    return qs


def ticket_slas(ticket: Ticket) -> QuerySet[TicketSla]:
    return TicketSla.objects.filter(ticket=ticket).order_by("target")
