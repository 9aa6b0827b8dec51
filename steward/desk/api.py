"""Service desk endpoints (/api/v1/desk/): thin adapters over desk.selectors and desk.services.

Who may do what is the services' and selectors' decision: a ticket outside the caller's scope is
404; a staff-only action on a ticket a customer user can see is 403; a foreign key in a body that
the caller cannot see is a 422 naming the field ("no such ...").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.http import HttpRequest
from ninja import File, Form, Query, Router, Status, UploadedFile

from steward.accounts.selectors import team_get
from steward.catalog.selectors import service_get
from steward.core import access
from steward.core.api_kit import ERRORS, Id, Page, PageParams, paginate, via_token
from steward.core.errors import NotFound, ValidationFailed
from steward.core.paging import KeyedPages
from steward.core.views_kit import safe_download
from steward.customers.selectors import account_get, asset_get, contact_get, site_get
from steward.desk import selectors, services
from steward.desk.attachments import NewAttachment
from steward.desk.models import LinkKind, Ticket
from steward.desk.schemas import (
    AssignPatch,
    AttachmentOut,
    BulkIn,
    BulkOut,
    EventOut,
    LinkedTicketOut,
    LinkIn,
    MergeIn,
    MessageOut,
    NoteIn,
    PriorityIn,
    ReplyIn,
    SavedViewIn,
    SavedViewOut,
    StatusIn,
    TagsIn,
    TagsOut,
    TicketDetailOut,
    TicketFilters,
    TicketIn,
    TicketOut,
)

router = Router(tags=["desk"])

# The services name a ticket's relations by model field; the API by the id in the body.
API_FIELD_NAMES = {
    "account": "account_id",
    "contact": "contact_id",
    "service": "service_id",
    "site": "site_id",
    "asset": "asset_id",
    "team": "team_id",
    "assignee": "assignee_id",
    "other": "ticket_id",
    "into": "into_id",
}

# Ids in a ticket body and how each is resolved inside the caller's scope.
TICKET_RELATIONS = {
    "contact_id": ("contact", contact_get),
    "service_id": ("service", service_get),
    "site_id": ("site", site_get),
    "asset_id": ("asset", asset_get),
    "team_id": ("team", team_get),
    "assignee_id": ("assignee", selectors.assignee_get),
}


def _resolve(getter, user, pk: int, field: str):
    """A foreign key in a request body, resolved inside the caller's scope."""
    try:
        return getter(user, pk)
    except NotFound:
        raise ValidationFailed.for_field(field, f"no such object: {pk}") from None


@contextmanager
def _api_field_names(names: dict[str, str] = API_FIELD_NAMES) -> Iterator[None]:
    """Report a service's validation error under the names the API's caller used."""
    try:
        yield
    except ValidationFailed as exc:
        fields = {names.get(k, k): v for k, v in exc.fields.items()}
        message = exc.message
        for old, new in names.items():
            message = re.sub(rf"(^|: ){re.escape(old)}: ", rf"\g<1>{new}: ", message, count=1)
        raise ValidationFailed(message, fields=fields) from None


def _require_desk_staff(request: HttpRequest) -> None:
    """For actions only desk staff take, checked before the body's ids are resolved, so a customer
    user hears 403 (as the service would say) rather than "no such team"."""
    access.require_role(request.user, *selectors.DESK_ROLES)


def _via(request: HttpRequest) -> str:
    return "api" if via_token(request) else "web"


def _ticket(request: HttpRequest, ticket_id: int) -> Ticket:
    return selectors.ticket_get(request.user, ticket_id)


# --- tickets -------------------------------------------------------------------------------------


@router.get("/tickets", response={200: Page[TicketOut], **ERRORS}, summary="List tickets")
def list_tickets(request: HttpRequest, filters: Query[TicketFilters], page: Query[PageParams]):
    """A queue of the tickets you can see (customer users: their own, or their account's for a
    customer admin), filtered and ordered. A bad queue, filter or order value is a 422 naming it."""
    params = filters.dict(exclude_none=True)
    queue, order, wanted = "all", "", {}
    view_id = params.pop("view_id", None)
    if view_id is not None:
        view = _resolve(selectors.saved_view_get, request.user, view_id, "view_id")
        wanted = dict(view.filters)
        queue, order = view.queue, wanted.pop("order", "")
    queue = params.pop("queue", queue)
    order = params.pop("order", order)
    wanted.update(params)
    try:
        qs = selectors.ticket_queue(request.user, queue, order=order, **wanted)
    except ValueError as exc:
        field, _, message = str(exc).partition(": ")
        raise ValidationFailed.for_field(field, message) from None
    return paginate(KeyedPages(qs.prefetch_related("tags")), page)


@router.post("/tickets", response={201: TicketDetailOut, **ERRORS}, summary="Open a ticket")
def create_ticket(request: HttpRequest, payload: TicketIn):
    """Staff open tickets for any account; a customer user for their own account (channel portal
    or api). The priority follows the impact x urgency matrix unless staff override it with a
    reason; the SLA policy is chosen by the catalog."""
    user = request.user
    data = payload.dict()
    account_id = data.pop("account_id")
    if account_id is None:
        account = user.customer_account if access.is_customer(user) else None
    else:
        account = _resolve(account_get, user, account_id, "account_id")
    for field, (name, getter) in TICKET_RELATIONS.items():
        pk = data.pop(field)
        data[name] = None if pk is None else _resolve(getter, user, pk, field)
    if data["channel"] is None and via_token(request):
        data["channel"] = "api"
    with _api_field_names():
        ticket = services.ticket_create(actor=user, account=account, **data)
    return Status(201, _ticket(request, ticket.pk))


@router.post("/tickets/bulk", response={200: BulkOut, **ERRORS}, summary="Bulk update tickets")
def bulk_update(request: HttpRequest, payload: BulkIn):
    """Apply one action to many tickets in one transaction: if any ticket refuses, none changes
    (the 422 names the ticket and the field)."""
    _require_desk_staff(request)
    data = payload.dict(exclude_unset=True)
    relations: dict[str, Any] = {}
    if "team_id" in data:
        pk = data["team_id"]
        relations["team"] = None if pk is None else _resolve(team_get, request.user, pk, "team_id")
    if "assignee_id" in data:
        pk = data["assignee_id"]
        relations["assignee"] = (
            None if pk is None else _resolve(selectors.assignee_get, request.user, pk, "assignee_id")
        )
    with _api_field_names():
        updated = services.ticket_bulk_update(
            actor=request.user,
            ticket_ids=payload.ticket_ids,
            action=payload.action,
            status=payload.status or "",
            priority=payload.priority or "",
            reason=payload.reason,
            add_tags=payload.add_tags,
            **relations,
        )
    return {"updated": updated}


@router.get("/tickets/{ticket_id}", response={200: TicketDetailOut, **ERRORS}, summary="Get a ticket")
def get_ticket(request: HttpRequest, ticket_id: Id):
    """The ticket with its SLA clocks (one per target), tags, links and counts."""
    return _ticket(request, ticket_id)


@router.get(
    "/tickets/{ticket_id}/timeline", response={200: Page[EventOut], **ERRORS}, summary="Ticket timeline"
)
def ticket_timeline(request: HttpRequest, ticket_id: Id, page: Query[PageParams]):
    """The ticket's events in order. Customer users do not see the desk's internal events (notes,
    assignments, SLA warnings, escalations, tags, links, files on internal notes)."""
    return paginate(selectors.ticket_timeline(request.user, _ticket(request, ticket_id)), page)


@router.get(
    "/tickets/{ticket_id}/messages", response={200: Page[MessageOut], **ERRORS}, summary="Ticket messages"
)
def ticket_messages(request: HttpRequest, ticket_id: Id, page: Query[PageParams]):
    """The conversation in order, with attachments. Customer users do not see internal notes."""
    return paginate(selectors.ticket_messages(request.user, _ticket(request, ticket_id)), page)


def _message_out(request: HttpRequest, ticket: Ticket, message_id: int):
    return selectors.ticket_messages(request.user, ticket).get(pk=message_id)


@router.post(
    "/tickets/{ticket_id}/replies", response={201: MessageOut, **ERRORS}, summary="Reply on a ticket"
)
def reply(request: HttpRequest, ticket_id: Id, payload: ReplyIn):
    """Staff: a public reply (it meets the first or next response target) or, with public=false,
    an internal note. Customer users: a reply (it opens a next-response cycle; on a pending ticket
    it puts it back to open, on a resolved one within the reopen window it reopens it)."""
    ticket = _ticket(request, ticket_id)
    message = services.ticket_reply(
        ticket=ticket, actor=request.user, body=payload.body, public=payload.public, via=_via(request)
    )
    return Status(201, _message_out(request, ticket, message.pk))


@router.post(
    "/tickets/{ticket_id}/notes", response={201: MessageOut, **ERRORS}, summary="Add an internal note"
)
def note(request: HttpRequest, ticket_id: Id, payload: NoteIn):
    """An internal note (staff): never shown to the customer, no effect on the SLA."""
    ticket = _ticket(request, ticket_id)
    message = services.ticket_note(ticket=ticket, actor=request.user, body=payload.body)
    return Status(201, _message_out(request, ticket, message.pk))


@router.patch(
    "/tickets/{ticket_id}/assignment",
    response={200: TicketDetailOut, **ERRORS},
    summary="Assign a ticket",
)
def assign(request: HttpRequest, ticket_id: Id, payload: AssignPatch):
    """Set the team and/or the assignee: only the fields present change, null clears. A new team
    without an assignee lets the team's routing pick one."""
    ticket = _ticket(request, ticket_id)
    _require_desk_staff(request)
    changes = payload.dict(exclude_unset=True)
    relations: dict[str, Any] = {}
    if "team_id" in changes:
        pk = changes["team_id"]
        relations["team"] = None if pk is None else _resolve(team_get, request.user, pk, "team_id")
    if "assignee_id" in changes:
        pk = changes["assignee_id"]
        relations["assignee"] = (
            None if pk is None else _resolve(selectors.assignee_get, request.user, pk, "assignee_id")
        )
    with _api_field_names():
        services.ticket_assign(ticket=ticket, actor=request.user, **relations)
    return _ticket(request, ticket_id)


@router.post(
    "/tickets/{ticket_id}/status", response={200: TicketDetailOut, **ERRORS}, summary="Change the status"
)
def change_status(request: HttpRequest, ticket_id: Id, payload: StatusIn):
    """Staff make any allowed move; customer users close their ticket (withdrawing it, or accepting
    the resolution) or reopen a resolved one within the reopen window."""
    ticket = _ticket(request, ticket_id)
    services.ticket_change_status(ticket=ticket, actor=request.user, status=payload.status)
    return _ticket(request, ticket_id)


@router.post(
    "/tickets/{ticket_id}/priority",
    response={200: TicketDetailOut, **ERRORS},
    summary="Change the priority",
)
def change_priority(request: HttpRequest, ticket_id: Id, payload: PriorityIn):
    """Staff set the priority by hand with a reason. The SLA keeps the business time already spent
    and applies the new priority's targets to it, so the deadlines move."""
    ticket = _ticket(request, ticket_id)
    services.ticket_change_priority(
        ticket=ticket, actor=request.user, priority=payload.priority, reason=payload.reason
    )
    return _ticket(request, ticket_id)


@router.put("/tickets/{ticket_id}/tags", response={200: TagsOut, **ERRORS}, summary="Set the tags")
def set_tags(request: HttpRequest, ticket_id: Id, payload: TagsIn):
    """Replace the ticket's tags with the set given (staff)."""
    ticket = _ticket(request, ticket_id)
    return {"tags": services.ticket_set_tags(ticket=ticket, actor=request.user, tags=payload.tags)}


@router.post(
    "/tickets/{ticket_id}/links", response={201: LinkedTicketOut, **ERRORS}, summary="Link two tickets"
)
def link(request: HttpRequest, ticket_id: Id, payload: LinkIn):
    """This ticket is <kind> the other (staff). Two tickets are linked once."""
    ticket = _ticket(request, ticket_id)
    _require_desk_staff(request)
    other = _resolve(selectors.ticket_get, request.user, payload.ticket_id, "ticket_id")
    with _api_field_names():
        created = services.ticket_link(ticket=ticket, actor=request.user, other=other, kind=payload.kind)
    return Status(
        201,
        {
            "relation": LinkKind(created.kind).label.lower(),
            "ticket_id": other.pk,
            "number": other.number,
            "subject": other.subject,
            "status": other.status,
        },
    )


@router.delete(
    "/tickets/{ticket_id}/links/{other_id}", response={204: None, **ERRORS}, summary="Unlink two tickets"
)
def unlink(request: HttpRequest, ticket_id: Id, other_id: Id):
    """Remove the link between the two tickets, whichever way it points (staff)."""
    ticket = _ticket(request, ticket_id)
    other = _ticket(request, other_id)
    with _api_field_names():
        services.ticket_unlink(ticket=ticket, actor=request.user, other=other)
    return Status(204, None)


@router.post(
    "/tickets/{ticket_id}/merge", response={200: TicketDetailOut, **ERRORS}, summary="Merge a duplicate"
)
def merge(request: HttpRequest, ticket_id: Id, payload: MergeIn):
    """Merge this ticket into another of the same account (staff): this one is closed and linked as
    a duplicate, the surviving ticket (returned) gets an internal note pointing to it."""
    ticket = _ticket(request, ticket_id)
    _require_desk_staff(request)
    into = _resolve(selectors.ticket_get, request.user, payload.into_id, "into_id")
    with _api_field_names():
        survivor = services.ticket_merge(ticket=ticket, actor=request.user, into=into)
    return _ticket(request, survivor.pk)


# --- attachments ---------------------------------------------------------------------------------


@router.get(
    "/tickets/{ticket_id}/attachments",
    response={200: Page[AttachmentOut], **ERRORS},
    summary="List a ticket's files",
)
def list_attachments(request: HttpRequest, ticket_id: Id, page: Query[PageParams]):
    """The ticket's files the caller may see (customer users: not those on internal notes)."""
    return paginate(selectors.ticket_attachments(request.user, _ticket(request, ticket_id)), page)


@router.post(
    "/tickets/{ticket_id}/attachments",
    response={201: list[AttachmentOut], **ERRORS},
    summary="Upload files to a ticket",
)
def upload_attachments(
    request: HttpRequest, ticket_id: Id, file: File[list[UploadedFile]], public: Form[bool] = True
):
    """Multipart upload of one or more files (each under the form field `file`), all or nothing.
    Too large, empty or blocked types are a 422 naming `file`. `public=false` (staff) keeps them
    from the customer; a customer's files are always public."""
    ticket = _ticket(request, ticket_id)
    items = [NewAttachment.from_upload(upload) for upload in file]
    stored = services.attachment_add(ticket=ticket, actor=request.user, items=items, public=public)
    return Status(201, stored)


@router.get(
    "/attachments/{attachment_id}/download",
    response={200: None, **ERRORS},
    url_name="desk_attachment_download",
    summary="Download a file",
    openapi_extra={
        "responses": {
            200: {
                "description": "the file, always as an attachment (with nosniff)",
                "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def download_attachment(request: HttpRequest, attachment_id: Id):
    """The file itself, for a program with a token (a browser may use the page URL in `url`)."""
    attachment = selectors.attachment_get(request.user, attachment_id)
    return safe_download(attachment.file, filename=attachment.filename, content_type=attachment.content_type)


# --- saved views ---------------------------------------------------------------------------------

# A saved view's filter is reported under `filters.<name>`.
_VIEW_FIELD_NAMES = {name: f"filters.{name}" for name in selectors.FILTERS}


@router.get("/saved-views", response={200: Page[SavedViewOut], **ERRORS}, summary="List your saved views")
def list_saved_views(request: HttpRequest, page: Query[PageParams]):
    """Your own saved views (desk staff); use one with `GET /desk/tickets?view_id=...`."""
    return paginate(selectors.saved_views_for(request.user), page)


@router.post("/saved-views", response={201: SavedViewOut, **ERRORS}, summary="Save a view")
def create_saved_view(request: HttpRequest, payload: SavedViewIn):
    """A named queue with filters and an order, for you alone. Filters are checked by running the
    queue once: an unknown value is a 422 naming the filter."""
    filters = payload.filters.dict(exclude_none=True)
    if payload.order:
        filters["order"] = payload.order
    with _api_field_names(_VIEW_FIELD_NAMES):
        view = services.saved_view_create(
            actor=request.user, name=payload.name, queue=payload.queue, filters=filters
        )
    return Status(201, view)


@router.delete("/saved-views/{view_id}", response={204: None, **ERRORS}, summary="Delete a saved view")
def delete_saved_view(request: HttpRequest, view_id: Id):
    """Delete one of your saved views (anyone else's is 404)."""
    view = selectors.saved_view_get(request.user, view_id)
    services.saved_view_delete(actor=request.user, view=view)
    return Status(204, None)
