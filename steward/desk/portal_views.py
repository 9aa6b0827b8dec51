"""The customer portal: thin pages over desk.selectors and desk.services.

Who may use it: customer users only. A requester sees the tickets they asked; a customer admin
every ticket of their account (the selectors decide). Another account's ticket, or a colleague's
for a requester, is a 404 on every page and action, and nothing changes. Staff are refused with a
403 on every portal page: they work tickets in the desk, where they see internal notes and SLA
clocks the portal must never show.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from steward.core import access
from steward.core.errors import DomainError, Forbidden
from steward.core.views_kit import apply_domain_error, id_or_none, paginate, render_list
from steward.desk import conversation, selectors, services
from steward.desk.attachments import NewAttachment
from steward.desk.models import Status
from steward.desk.portal_forms import ReplyForm, RequestForm

HOME_OPEN_LIMIT = 10
HOME_DONE_LIMIT = 5


def customer_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed-in customer users only (anonymous: sign in; anyone else: 403)."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not access.is_customer(request.user):
            raise Forbidden("the customer portal is for customer users; staff work tickets in the desk")
        return view(request, *args, **kwargs)

    return wrapped


def _message(exc: DomainError) -> str:
    """A service's error for a flash message: the field's message, without the field's name."""
    for field_messages in exc.fields.values():
        if field_messages:
            return field_messages[0]
    return exc.message


def _attachments(uploads: list[Any]) -> list[NewAttachment]:
    """The form's files for the services (an oversize one is refused before it is read)."""
    return [NewAttachment.from_upload(upload) for upload in uploads]


# --- home and list -------------------------------------------------------------------------------


@customer_page
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    open_requests = selectors.portal_requests(user, status="open")
    done = selectors.recently_done(user, now=timezone.now())
    context = {
        "open_requests": open_requests[:HOME_OPEN_LIMIT],
        "open_count": open_requests.count(),
        "recently_done": [(t, selectors.reopen_until(t)) for t in done[:HOME_DONE_LIMIT]],
    }
    return render(request, "portal/home.html", context)


@customer_page
def request_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    status = request.GET.get("status", "")
    status = status if status in ("open", "done") else ""
    q = request.GET.get("q", "").strip()[:200]
    requester = id_or_none(request.GET.get("requester")) if user.is_customer_admin else None
    qs = selectors.portal_requests(user, status=status, q=q, requester=requester)
    context = {
        "status": status,
        "q": q,
        "requester": requester,
        "requesters": selectors.portal_requesters(user) if user.is_customer_admin else [],
        "list_id": "request-list",
        **paginate(request, qs),
    }
    return render_list(
        request, page="portal/request_list.html", partial="portal/_request_rows.html", context=context
    )


# --- a new request -------------------------------------------------------------------------------


def _initial(request: HttpRequest) -> dict[str, Any]:
    """Prefill from links: ?service=<id> (from the catalogue), ?type=complaint, ?subject=..."""
    initial: dict[str, Any] = {}
    service = id_or_none(request.GET.get("service"))
    if service is not None:
        initial["service"] = service
        initial["type"] = "service_request"
    if request.GET.get("type") in dict(RequestForm.base_fields["type"].choices):
        initial["type"] = request.GET["type"]
    if request.GET.get("subject"):
        initial["subject"] = request.GET["subject"][:200]
    return initial


@customer_page
def request_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    if request.method == "POST":
        form = RequestForm(request.POST, request.FILES, user=user)
        if form.is_valid():
            data = dict(form.cleaned_data)
            uploads = data.pop("file")
            try:
                ticket = services.ticket_create_with_attachments(
                    actor=user, account=user.customer_account, attachments=_attachments(uploads), **data
                )
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, f"Thank you: we have your request {ticket.number}.")
                return redirect("portal:request_detail", pk=ticket.pk)
    else:
        form = RequestForm(initial=_initial(request), user=user)
    return render(request, "portal/request_form.html", {"form": form})


# --- one request ---------------------------------------------------------------------------------


def _detail(request: HttpRequest, ticket: Any, reply_form: ReplyForm) -> HttpResponse:
    user = request.user
    entries = conversation.build(
        ticket=ticket,
        events=selectors.ticket_timeline(user, ticket),
        messages=selectors.ticket_messages(user, ticket),
        attachments=selectors.ticket_attachments(user, ticket).select_related("uploaded_by"),
        viewer_id=user.pk,
    )
    reopen_until = selectors.reopen_until(ticket)
    done = ticket.status in (Status.RESOLVED, Status.CLOSED)
    merged_into = None
    if ticket.merged_into_id is not None:
        merged_into = selectors.tickets_for(user).filter(pk=ticket.merged_into_id).first()
    context = {
        "ticket": ticket,
        "entries": entries,
        "reply_form": reply_form,
        "done": done,
        "merged": ticket.merged_into_id is not None,
        "merged_into": merged_into,
        "reopen_until": reopen_until,
        "can_reopen": done and reopen_until is not None and timezone.now() <= reopen_until,
        "can_reply": not done or (reopen_until is not None and timezone.now() <= reopen_until),
        "reopen_days": settings.STEWARD_REOPEN_WINDOW_DAYS,
        "follow_up_url": f"{reverse('portal:request_create')}?{_follow_up_query(ticket)}",
    }
    return render(request, "portal/request_detail.html", context)


def _follow_up_query(ticket: Any) -> str:
    params = {"subject": f"Follow-up to {ticket.number}: {ticket.subject}"[:200]}
    if ticket.service_id is not None:
        params["service"] = ticket.service_id
    return urlencode(params)


@customer_page
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = selectors.ticket_get(request.user, pk)
    return _detail(request, ticket, ReplyForm())


def _post_only(request: HttpRequest) -> HttpResponse | None:
    return None if request.method == "POST" else HttpResponseNotAllowed(["POST"])


@customer_page
def request_reply(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = selectors.ticket_get(request.user, pk)
    if refused := _post_only(request):
        return refused
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.ticket_reply(
                ticket=ticket,
                actor=request.user,
                body=form.cleaned_data["body"],
                attachments=_attachments(form.cleaned_data["file"]),
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, "Your reply was sent.")
            return redirect(reverse("portal:request_detail", args=[ticket.pk]) + "#latest")
    ticket.refresh_from_db()
    return _detail(request, ticket, form)


def _change_status(request: HttpRequest, pk: int, status: str) -> HttpResponse:
    ticket = selectors.ticket_get(request.user, pk)
    if refused := _post_only(request):
        return refused
    before = ticket.status
    try:
        services.ticket_change_status(ticket=ticket, actor=request.user, status=status)
    except DomainError as exc:
        messages.error(request, _message(exc))
    else:
        messages.success(request, _DONE_MESSAGES[(before in (Status.RESOLVED, Status.CLOSED), status)])
    return redirect("portal:request_detail", pk=ticket.pk)


# (was it resolved or closed before?, the new status) -> what the customer is told
_DONE_MESSAGES = {
    (False, Status.CLOSED): "You withdrew this request; it is closed.",
    (True, Status.CLOSED): "Closed. Thank you for confirming that it is solved.",
    (True, Status.OPEN): "Reopened: we will look at it again.",
}


@customer_page
def request_close(request: HttpRequest, pk: int) -> HttpResponse:
    """Close it: "this is solved" (a resolved request) or "withdraw" (an open one)."""
    return _change_status(request, pk, Status.CLOSED)


@customer_page
def request_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    """Open a resolved or closed request again, within the reopen window."""
    return _change_status(request, pk, Status.OPEN)
