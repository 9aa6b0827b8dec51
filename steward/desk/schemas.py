"""Request and response shapes of the service desk API (/api/v1/desk/)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.urls import reverse
from ninja import Schema
from pydantic import AfterValidator, Field

from steward.core import access
from steward.core.api_kit import Id
from steward.desk import selectors
from steward.desk.models import (
    Channel,
    Level,
    LinkKind,
    Priority,
    SlaStatus,
    SlaTargetKind,
    Status,
    TicketType,
)
from steward.desk.selectors import ORDERINGS, QUEUES, STATUS_GROUPS


def _no_nul(value: str) -> str:
    # PostgreSQL text cannot hold NUL; refusing it here keeps it a 422 rather than a database error.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


Text = Annotated[str, AfterValidator(_no_nul)]


def _internal(context: Any) -> bool:
    """Whether the caller sees the desk's internal working (tags, links, override reasons):
    staff do, customer users do not (as in `desk.selectors.ticket_timeline`)."""
    request = (context or {}).get("request")
    return request is not None and access.is_staff(request.user)


def _name(user: Any) -> str | None:
    return user.full_name if user is not None else None


# --- tickets -------------------------------------------------------------------------------------


class TicketOut(Schema):
    """A ticket as it appears in a queue."""

    id: int
    number: str = Field(description="the human reference, e.g. T-000123")
    subject: str
    type: TicketType
    channel: Channel
    status: Status
    priority: Priority
    impact: Level
    urgency: Level
    account_id: Id
    account_name: str
    requester_id: Id | None = Field(description="the customer user who asked, if they have a login")
    contact_id: Id | None
    service_id: Id | None
    service_name: str | None
    team_id: Id | None
    team_name: str | None
    assignee_id: Id | None
    assignee_name: str | None
    merged_into_id: Id | None = Field(description="the ticket this duplicate was merged into")
    sla_next_deadline: dt.datetime | None = Field(
        description="the nearest deadline among the SLA targets still running"
    )
    sla_state: str = Field(
        description="the worst state of the current SLA cycles: breached, warning, running, paused, "
        "met; empty when no SLA governs the ticket"
    )
    first_contact_resolution: bool
    tags: list[str] = Field(description="staff only: always empty for customer users")
    created_at: dt.datetime
    updated_at: dt.datetime
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None

    @staticmethod
    def resolve_account_name(obj) -> str:
        return obj.account.name

    @staticmethod
    def resolve_service_name(obj) -> str | None:
        return obj.service.name if obj.service_id is not None else None

    @staticmethod
    def resolve_team_name(obj) -> str | None:
        return obj.team.name if obj.team_id is not None else None

    @staticmethod
    def resolve_assignee_name(obj) -> str | None:
        return _name(obj.assignee) if obj.assignee_id is not None else None

    @staticmethod
    def resolve_tags(obj, context) -> list[str]:
        if not _internal(context):
            return []
        return sorted(t.name for t in obj.tags.all())


class SlaOut(Schema):
    """The stored state of one SLA target (what the replay of the ticket's history reported)."""

    target: SlaTargetKind
    status: SlaStatus
    deadline: dt.datetime | None = Field(
        description="when the target falls due; while paused, the deadline if the clock resumed now"
    )
    warning_at: dt.datetime | None = Field(description="when the running cycle reaches its warning share")
    met_at: dt.datetime | None
    breached_at: dt.datetime | None
    elapsed_business_seconds: float = Field(description="business time spent in this cycle")
    paused_business_seconds: float = Field(description="business time the cycle spent paused")
    cycle_opened_at: dt.datetime = Field(description="when this cycle (e.g. of next response) opened")


class LinkedTicketOut(Schema):
    relation: str = Field(description='the link in words from this ticket\'s side, e.g. "duplicate of"')
    ticket_id: Id
    number: str
    subject: str
    status: Status


class TicketCounts(Schema):
    messages: int = Field(description="messages the caller sees (customers: no internal notes)")
    attachments: int
    events: int = Field(description="timeline entries the caller sees")


class TicketDetailOut(TicketOut):
    """A ticket with its description, SLA clocks, links and counts."""

    description: str
    priority_override_reason: str = Field(description="staff only: empty for customer users")
    site_id: Id | None
    asset_id: Id | None
    sla_policy_id: Id | None
    sla_policy_name: str | None
    slas: list[SlaOut]
    links: list[LinkedTicketOut] = Field(description="staff only: empty for customer users")
    counts: TicketCounts

    @staticmethod
    def resolve_priority_override_reason(obj, context) -> str:
        return obj.priority_override_reason if _internal(context) else ""

    @staticmethod
    def resolve_sla_policy_name(obj) -> str | None:
        return obj.sla_policy.name if obj.sla_policy_id is not None else None

    @staticmethod
    def resolve_slas(obj) -> list:
        return list(selectors.ticket_slas(obj))

    @staticmethod
    def resolve_links(obj, context) -> list[dict[str, Any]]:
        if not _internal(context):
            return []
        return [
            {
                "relation": relation,
                "ticket_id": other.pk,
                "number": other.number,
                "subject": other.subject,
                "status": other.status,
            }
            for relation, other in selectors.ticket_links(context["request"].user, obj)
        ]

    @staticmethod
    def resolve_counts(obj, context) -> dict[str, int]:
        user = context["request"].user
        return {
            "messages": selectors.ticket_messages(user, obj).count(),
            "attachments": selectors.ticket_attachments(user, obj).count(),
            "events": selectors.ticket_timeline(user, obj).count(),
        }


class TicketIn(Schema):
    account_id: Id | None = Field(
        None, description="the customer account; a customer user may leave it out (their own account)"
    )
    subject: Text = Field(min_length=1, max_length=200)
    description: Text = Field("", max_length=100_000)
    type: TicketType = TicketType.INCIDENT
    channel: Channel | None = Field(
        None,
        description='how the request arrived; default "api" for token callers, else "phone" for staff '
        'and "portal" for customers (customers: portal or api only)',
    )
    impact: Level = Level.MEDIUM
    urgency: Level = Level.MEDIUM
    priority: Priority | None = Field(
        None, description="staff only: override the impact x urgency matrix (needs a reason)"
    )
    priority_override_reason: Text = Field("", max_length=300)
    service_id: Id | None = None
    contact_id: Id | None = Field(None, description="the customer contact who asked (staff)")
    site_id: Id | None = None
    asset_id: Id | None = None
    team_id: Id | None = Field(None, description="staff only; defaults to the service's team")
    assignee_id: Id | None = Field(None, description="staff only; else the team's routing may pick one")


class TicketFilters(Schema):
    """The queue, its filters and the order (each optional; the same as the agent's queue page)."""

    view_id: Id | None = Field(
        None, description="start from one of your saved views; parameters given here override it"
    )
    queue: Text | None = Field(None, max_length=20, description=f"one of {', '.join(QUEUES)} (default all)")
    status: Text | None = Field(
        None,
        max_length=20,
        description=f"a status ({', '.join(Status.values)}) or a group ({', '.join(STATUS_GROUPS)})",
    )
    priority: Text | None = Field(None, max_length=10, description=", ".join(Priority.values))
    type: Text | None = Field(None, max_length=20, description=", ".join(TicketType.values))
    channel: Text | None = Field(None, max_length=10, description=", ".join(Channel.values))
    team: Text | None = Field(None, max_length=20, description='a team id, or "none"')
    assignee: Text | None = Field(None, max_length=20, description='a user id, or "none"')
    account: Text | None = Field(None, max_length=20, description="a customer account id")
    service: Text | None = Field(None, max_length=20, description="a service id")
    tag: Text | None = Field(None, max_length=50, description="a tag name")
    sla: Text | None = Field(None, max_length=10, description=", ".join(SlaStatus.values))
    q: Text | None = Field(None, max_length=200, description="text in the subject, or a number like T-000123")
    order: Text | None = Field(None, max_length=10, description=", ".join(ORDERINGS))


# --- timeline, messages, attachments -------------------------------------------------------------


class EventOut(Schema):
    id: int
    at: dt.datetime
    type: str = Field(description="created, status, priority, agent_reply, customer_reply, note, ...")
    actor_id: Id | None
    actor_name: str | None
    data: dict[str, Any] = Field(description="what the event recorded (depends on the type)")

    @staticmethod
    def resolve_actor_name(obj) -> str | None:
        return _name(obj.actor)


class AttachmentOut(Schema):
    id: int
    ticket_id: Id
    message_id: Id | None
    filename: str = Field(description="the sanitised name the file is downloaded as")
    content_type: str = Field(description="derived from the name's extension, never from the uploader")
    size: int
    sha256: str
    is_public: bool = Field(description="customers see it (it is not on an internal note)")
    uploaded_by_id: Id | None
    created_at: dt.datetime
    url: str = Field(description="where a signed-in browser downloads it")
    api_url: str = Field(description="where a program downloads it with its token")

    @staticmethod
    def resolve_url(obj, context) -> str:
        return _absolute(context, reverse("desk:attachment_download", args=[obj.pk]))

    @staticmethod
    def resolve_api_url(obj, context) -> str:
        return _absolute(context, reverse("api:desk_attachment_download", args=[obj.pk]))


def _absolute(context: Any, path: str) -> str:
    request = (context or {}).get("request")
    return request.build_absolute_uri(path) if request is not None else path


class MessageOut(Schema):
    id: int
    ticket_id: Id
    body: str
    is_public: bool = Field(description="a reply the customer sees; false for an internal note")
    from_customer: bool
    author_id: Id | None
    author_name: str | None
    contact_id: Id | None = Field(description="the customer contact who wrote it (e.g. by mail)")
    via: str = Field(description="how it arrived: web, email, api, phone")
    created_at: dt.datetime
    attachments: list[AttachmentOut]

    @staticmethod
    def resolve_author_name(obj) -> str | None:
        if obj.author_id is not None:
            return _name(obj.author)
        return obj.contact.full_name if obj.contact_id is not None else None

    @staticmethod
    def resolve_attachments(obj) -> list:
        return list(obj.attachments.all())


class ReplyIn(Schema):
    body: Text = Field(min_length=1, max_length=100_000)
    public: bool = Field(
        True, description="false makes it an internal note (staff only); customers always reply publicly"
    )


class NoteIn(Schema):
    body: Text = Field(min_length=1, max_length=100_000)


# --- changes -------------------------------------------------------------------------------------


class AssignPatch(Schema):
    """Only the fields present change; null clears one."""

    team_id: Id | None = Field(None, description="the team; null for none")
    assignee_id: Id | None = Field(None, description="the assignee (a member of the team); null for none")


class StatusIn(Schema):
    status: Status = Field(
        description="staff: any allowed move; customers: closed (withdraw or accept) or open (reopen "
        "within the reopen window)"
    )


class PriorityIn(Schema):
    priority: Priority
    reason: Text = Field(min_length=1, max_length=300, description="why the priority changes (required)")


class TagsIn(Schema):
    tags: list[Annotated[Text, Field(max_length=100)]] = Field(
        max_length=100, description="the whole set (normalised: lower case, words joined by hyphens)"
    )


class TagsOut(Schema):
    tags: list[str]


class LinkIn(Schema):
    ticket_id: Id = Field(description="the other ticket")
    kind: LinkKind = Field(LinkKind.RELATED, description="this ticket is <kind> the other")


class MergeIn(Schema):
    into_id: Id = Field(description="the surviving ticket (same customer account)")


class BulkIn(Schema):
    """One action on many tickets, all or nothing. The values the action needs: assign → team_id
    and/or assignee_id (only those present change); status → status; priority → priority and
    reason; tags → add_tags."""

    ticket_ids: list[Id] = Field(min_length=1, max_length=500)
    action: str = Field(max_length=10, description="assign, status, priority or tags")
    team_id: Id | None = None
    assignee_id: Id | None = None
    status: Status | None = None
    priority: Priority | None = None
    reason: Text = Field("", max_length=300)
    add_tags: list[Annotated[Text, Field(max_length=100)]] = Field(default_factory=list, max_length=20)


class BulkOut(Schema):
    updated: int = Field(description="how many tickets the action changed")


# --- saved views ---------------------------------------------------------------------------------


class SavedViewFilters(Schema):
    """The queue filters a view keeps (see the ticket list for their values)."""

    model_config = {"extra": "forbid"}

    status: Text | None = Field(None, max_length=20)
    priority: Text | None = Field(None, max_length=10)
    type: Text | None = Field(None, max_length=20)
    channel: Text | None = Field(None, max_length=10)
    team: Text | None = Field(None, max_length=20)
    assignee: Text | None = Field(None, max_length=20)
    account: Text | None = Field(None, max_length=20)
    service: Text | None = Field(None, max_length=20)
    tag: Text | None = Field(None, max_length=50)
    sla: Text | None = Field(None, max_length=10)
    q: Text | None = Field(None, max_length=200)


class SavedViewIn(Schema):
    name: Text = Field(min_length=1, max_length=80)
    queue: Text = Field("all", max_length=20, description=", ".join(QUEUES))
    order: Text = Field("", max_length=10, description=", ".join(ORDERINGS))
    filters: SavedViewFilters = Field(default_factory=SavedViewFilters)


class SavedViewOut(Schema):
    id: int
    name: str
    queue: str
    filters: dict[str, Any] = Field(description="{name: value}; an order is kept under 'order'")
    created_at: dt.datetime
