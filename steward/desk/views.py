"""Service desk pages: thin views over desk.selectors and desk.services.

The agent's workspace (desk staff: admin, manager, dispatcher, agent): queues with filters, saved
views and bulk actions; the ticket page with its timeline, SLA clocks and actions; a new ticket;
a team's routing. A ticket outside the caller's scope is a 404 before anything else is looked at;
a customer user who can see the ticket (in the portal) gets 403 here.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from steward.accounts import selectors as people
from steward.catalog import selectors as catalog
from steward.core import access
from steward.core.errors import DomainError, NotFound
from steward.core.paging import KeyedPages
from steward.core.selectors import history_for
from steward.core.views_kit import apply_domain_error, is_htmx, paginate, safe_download
from steward.customers import selectors as customers
from steward.desk import presenters, selectors, services
from steward.desk.attachments import NewAttachment
from steward.desk.forms import (
    BULK_ACTIONS,
    AssignForm,
    BulkForm,
    LinkForm,
    MergeForm,
    PriorityForm,
    ReplyForm,
    RoutingForm,
    SavedViewForm,
    StatusForm,
    TagsForm,
    TicketCreateForm,
)
from steward.desk.models import (
    Channel,
    Level,
    Priority,
    SlaStatus,
    Status,
    TicketSla,
    TicketType,
)
from steward.desk.priority import priority_from_matrix

# The queues, their labels and the key that jumps to each after "g" (desk.js).
QUEUE_TABS = [
    ("mine", "Mine", "m"),
    ("my_teams", "My teams", "t"),
    ("unassigned", "Unassigned", "u"),
    ("breaching_soon", "Breaching soon", "b"),
    ("all", "All", "a"),
]
# "open" and "done" are the selectors' groups of statuses ("open" stands for every open status, so
# the single status Open is not offered on its own).
STATUS_FILTERS = [
    ("open", "Open (any open status)"),
    ("done", "Resolved or closed"),
    ("any", "Any status"),
    *[(value, label) for value, label in Status.choices if value != Status.OPEN],
]
ORDER_LABELS = {
    "newest": "Newest first",
    "oldest": "Oldest first",
    "deadline": "Nearest deadline",
    "priority": "Priority",
    "updated": "Recently updated",
}
ROUTING_EDITORS = ("admin", "manager")
# The ticket page holds several forms: each gets its own element ids (the reply form keeps Django's
# "id_" ones, which desk.js uses).
FORM_IDS = {
    "status_form": "status_%s",
    "priority_form": "priority_%s",
    "assign_form": "assign_%s",
    "tags_form": "tags_%s",
    "link_form": "link_%s",
    "merge_form": "merge_%s",
}


def _require_desk(user: Any) -> None:
    access.require_role(user, *selectors.DESK_ROLES)


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return fallback


# --- queues --------------------------------------------------------------------------------------


def _queue_params(query: Any) -> tuple[dict[str, str], str]:
    """The filters and ordering of a queue page's query string. The status filter is "open"
    unless the page asks for another ("any" for none)."""
    filters = {name: query.get(name, "").strip()[:200] for name in selectors.FILTERS}
    if not filters["status"]:
        filters["status"] = "open"
    elif filters["status"] == "any":
        filters["status"] = ""
    return filters, query.get("order", "").strip()[:20]


def _queue_url(queue: str, filters: dict[str, Any]) -> str:
    """A queue page showing these filters (the inverse of `_queue_params`)."""
    # In a fixed order (a JSON column need not keep its keys' order), so the address is stable.
    names = [n for n in (*selectors.FILTERS, "order") if n != "status"]
    params = {n: filters[n] for n in names if filters.get(n) not in (None, "")}
    status = filters.get("status") or "any"
    if status != "open":
        params["status"] = status
    query = urlencode(params)
    return reverse("desk:queue", args=[queue]) + (f"?{query}" if query else "")


def _account_or_none(user: Any, value: Any) -> Any:
    try:
        return customers.account_get(user, int(value)) if value else None
    except (NotFound, ValueError, TypeError):
        return None


@login_required
def queue(request: HttpRequest, queue: str = "mine") -> HttpResponse:
    """A queue of tickets with filters (live, HTMX), saved views, bulk actions and counts. POSTs
    back to the same address carry a bulk action or "save this view"."""
    user = request.user
    _require_desk(user)
    if queue not in selectors.QUEUES:
        raise Http404("no such queue")
    filters, order = _queue_params(request.GET)
    bulk_form = BulkForm(user=user)
    save_form = SavedViewForm()
    bulk_error = ""
    if request.method == "POST":
        which = request.POST.get("form")
        if which == "bulk":
            bulk_form = BulkForm(request.POST, user=user)
            if bulk_form.is_valid():
                try:
                    count = services.ticket_bulk_update(actor=user, **bulk_form.service_arguments(user))
                except DomainError as exc:
                    bulk_error = exc.message
                else:
                    action = BULK_ACTIONS[bulk_form.cleaned_data["action"]].lower()
                    messages.success(
                        request, f"{action.capitalize()}: {count} ticket{'s' if count != 1 else ''} updated."
                    )
                    return redirect(request.get_full_path())
        elif which == "save_view":
            save_form = SavedViewForm(request.POST)
            if save_form.is_valid():
                saved = {**filters, "order": order}
                try:
                    view = services.saved_view_create(
                        actor=user, name=save_form.cleaned_data["name"], queue=queue, filters=saved
                    )
                except DomainError as exc:
                    apply_domain_error(save_form, exc)
                else:
                    messages.success(request, f"Saved view “{view.name}”.")
                    return redirect(_queue_url(view.queue, view.filters))
        else:
            return HttpResponseBadRequest("unknown form")

    now = timezone.now()
    filter_error = ""
    try:
        qs = selectors.ticket_queue(user, queue, order=order, **filters)
    except ValueError as exc:
        filter_error = str(exc)
        qs = selectors.tickets_for(user).none()
    qs = qs.select_related("contact").prefetch_related(
        "tags", Prefetch("slas", queryset=TicketSla.objects.order_by("target"))
    )
    page = paginate(request, KeyedPages(qs))  # a deep page costs the page, not the rows before it
    rows = [(t, presenters.row_summary(t, now)) for t in page["page_obj"]]
    # After a refused bulk action the same rows stay ticked.
    selected = {int(v) for v in request.POST.getlist("ids") if v.isdigit() and len(v) <= 18}
    context = {
        "queue": queue,
        "queue_label": {q: label for q, label, _ in QUEUE_TABS}[queue],
        "filters": filters,
        "status_value": request.GET.get("status", "").strip() or "open",
        "order": order,
        "rows": rows,
        "selected": selected,
        "filter_error": filter_error,
        "bulk_error": bulk_error,
        "list_id": "ticket-list",
        "now": now,
        **page,
    }
    if is_htmx(request):  # live filtering and paging: the list alone, without the sidebar's queries
        return render(request, "desk/_ticket_rows.html", context)
    counts = selectors.queue_counts(user)
    context.update(
        tabs=[(q, label, key, counts[q]) for q, label, key in QUEUE_TABS],
        breached=counts["breached"],
        warning=counts["warning"],
        saved_views=[(v, _queue_url(v.queue, v.filters)) for v in selectors.saved_views_for(user)],
        bulk_form=bulk_form,
        save_form=save_form,
        choices={
            "status": STATUS_FILTERS,
            "priority": Priority.choices,
            "type": TicketType.choices,
            "channel": Channel.choices,
            "sla": SlaStatus.choices,
            "order": list(ORDER_LABELS.items()),
        },
        # Lists, not querysets: the filters and the bulk bar both show them.
        teams=list(people.team_list(user)),
        people=list(selectors.assignable_staff(user)),
        services=catalog.services_for(user).order_by("name"),
        filter_account=_account_or_none(user, filters["account"]),
    )
    return render(request, "desk/queue.html", context)


@login_required
def saved_view_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    _require_desk(user)
    view = selectors.saved_view_get(user, pk)
    if request.method != "POST":
        return redirect(_queue_url(view.queue, view.filters))
    services.saved_view_delete(actor=user, view=view)
    messages.success(request, f"Deleted the saved view “{view.name}”.")
    return redirect(_safe_next(request, reverse("desk:index")))


# --- the ticket page -----------------------------------------------------------------------------


def _render_ticket(request: HttpRequest, ticket: Any, **bound: Any) -> HttpResponse:
    """The ticket page; forms passed in (bound, with errors) replace the blank ones."""
    user = request.user
    now = timezone.now()
    tags = [t.name for t in ticket.tags.all()]
    allowed = sorted(services.TRANSITIONS.get(ticket.status, ()), key=Status.values.index)
    status_form = StatusForm(initial={"status": ticket.status}, auto_id=FORM_IDS["status_form"])
    status_form.fields["status"].choices = [(s, Status(s).label) for s in [ticket.status, *allowed]]
    context = {
        "ticket": ticket,
        "tags": tags,
        "clocks": presenters.ticket_clocks(ticket, now),
        "timeline": presenters.timeline(user, ticket, tz=timezone.get_current_timezone()),
        "links": selectors.ticket_links(user, ticket),
        "attachments": selectors.ticket_attachments(user, ticket),
        "merged_here": selectors.tickets_for(user).filter(merged_into=ticket).order_by("pk"),
        "reply_form": ReplyForm(),
        "status_form": status_form,
        "priority_form": PriorityForm(
            initial={"priority": ticket.priority}, auto_id=FORM_IDS["priority_form"]
        ),
        "assign_form": AssignForm(
            user=user,
            initial={"team": ticket.team_id, "assignee": ticket.assignee_id},
            auto_id=FORM_IDS["assign_form"],
        ),
        "tags_form": TagsForm(initial={"tags": ", ".join(tags)}, auto_id=FORM_IDS["tags_form"]),
        "link_form": LinkForm(auto_id=FORM_IDS["link_form"]),
        "merge_form": MergeForm(auto_id=FORM_IDS["merge_form"]),
        "history": history_for(user, ticket),
        "now": now,
    }
    for name, form in bound.items():
        if name == "status_form":
            form.fields["status"].choices = status_form.fields["status"].choices
        context[name] = form
    return render(request, "desk/ticket.html", context)


@login_required
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = selectors.ticket_get(request.user, pk)
    _require_desk(request.user)
    return _render_ticket(request, ticket)


def _ticket_action(view: Callable[[HttpRequest, Any], HttpResponse]) -> Callable[..., HttpResponse]:
    """A POST that acts on one ticket: the ticket must be in the caller's scope (404), the caller
    desk staff (403); a GET (a bookmark, a sign-in redirect) goes back to the ticket page."""

    @login_required
    @functools.wraps(view)
    def wrapper(request: HttpRequest, pk: int) -> HttpResponse:
        ticket = selectors.ticket_get(request.user, pk)
        _require_desk(request.user)
        if request.method != "POST":
            return redirect("desk:ticket", pk=ticket.pk)
        return view(request, ticket)

    return wrapper


def _done(request: HttpRequest, ticket: Any, message: str, anchor: str = "") -> HttpResponse:
    messages.success(request, message)
    return redirect(reverse("desk:ticket", args=[ticket.pk]) + anchor)


def _run(form: Any, call: Callable[[], Any]) -> bool:
    """Run a service with a valid form's data; put its error on the form. Whether it succeeded."""
    if not form.is_valid():
        return False
    try:
        call()
    except DomainError as exc:
        apply_domain_error(form, exc)
        return False
    return True


@_ticket_action
def ticket_reply(request: HttpRequest, ticket: Any) -> HttpResponse:
    form = ReplyForm(request.POST, request.FILES)

    def call() -> None:
        data = form.cleaned_data
        files = [NewAttachment.from_upload(upload) for upload in data["file"]]
        services.ticket_reply(
            ticket=ticket,
            actor=request.user,
            body=data["body"],
            public=data["kind"] == "reply",
            attachments=files,
        )

    if _run(form, call):
        note = form.cleaned_data["kind"] == "note"
        return _done(request, ticket, "Internal note added." if note else "Reply sent.", "#timeline-end")
    return _render_ticket(request, ticket, reply_form=form)


@_ticket_action
def ticket_status(request: HttpRequest, ticket: Any) -> HttpResponse:
    form = StatusForm(request.POST, auto_id=FORM_IDS["status_form"])
    form.fields["status"].choices = Status.choices  # the service judges the transition
    if form.is_valid() and form.cleaned_data["status"] == ticket.status:
        return _done(request, ticket, "The status is unchanged.")
    if _run(
        form, lambda: services.ticket_change_status(ticket=ticket, actor=request.user, **form.cleaned_data)
    ):
        return _done(request, ticket, f"Status set to {Status(form.cleaned_data['status']).label}.")
    return _render_ticket(request, ticket, status_form=form)


@_ticket_action
def ticket_priority(request: HttpRequest, ticket: Any) -> HttpResponse:
    form = PriorityForm(request.POST, auto_id=FORM_IDS["priority_form"])
    if _run(
        form, lambda: services.ticket_change_priority(ticket=ticket, actor=request.user, **form.cleaned_data)
    ):
        return _done(request, ticket, f"Priority set to {form.cleaned_data['priority']}.")
    return _render_ticket(request, ticket, priority_form=form)


@_ticket_action
def ticket_assign(request: HttpRequest, ticket: Any) -> HttpResponse:
    form = AssignForm(request.POST, user=request.user, auto_id=FORM_IDS["assign_form"])

    def changed() -> dict[str, Any]:
        # Only what the agent changed goes to the service: a new team alone lets the team's routing
        # choose (and drops an assignee who is not a member).
        data = form.cleaned_data
        return {k: v for k, v in data.items() if (v.pk if v else None) != getattr(ticket, f"{k}_id")}

    if form.is_valid() and not changed():
        return _done(request, ticket, "The assignment is unchanged.")
    if _run(form, lambda: services.ticket_assign(ticket=ticket, actor=request.user, **changed())):
        return _done(request, ticket, "Assignment saved.")
    return _render_ticket(request, ticket, assign_form=form)


@_ticket_action
def ticket_tags(request: HttpRequest, ticket: Any) -> HttpResponse:
    form = TagsForm(request.POST, auto_id=FORM_IDS["tags_form"])
    if _run(
        form,
        lambda: services.ticket_set_tags(ticket=ticket, actor=request.user, tags=form.cleaned_data["tags"]),
    ):
        return _done(request, ticket, "Tags saved.")
    return _render_ticket(request, ticket, tags_form=form)


def _other_ticket(request: HttpRequest, form: Any, field: str) -> Any:
    """The ticket a form names by number, if the caller can see it (else an error on the field)."""
    if not form.is_valid():
        return None
    try:
        return selectors.ticket_get(request.user, form.cleaned_data[field])
    except NotFound:
        form.add_error(field, "no such ticket")
        return None


@_ticket_action
def ticket_link(request: HttpRequest, ticket: Any) -> HttpResponse:
    form = LinkForm(request.POST, auto_id=FORM_IDS["link_form"])
    other = _other_ticket(request, form, "other")
    if other is not None and _run(
        form,
        lambda: services.ticket_link(
            ticket=ticket, actor=request.user, other=other, kind=form.cleaned_data["kind"]
        ),
    ):
        return _done(request, ticket, f"Linked to {other.number}.")
    return _render_ticket(request, ticket, link_form=form)


@_ticket_action
def ticket_unlink(request: HttpRequest, ticket: Any) -> HttpResponse:
    try:
        other = selectors.ticket_get(request.user, request.POST.get("other"))
        services.ticket_unlink(ticket=ticket, actor=request.user, other=other)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("desk:ticket", pk=ticket.pk)
    return _done(request, ticket, f"Removed the link to {other.number}.")


@_ticket_action
def ticket_merge(request: HttpRequest, ticket: Any) -> HttpResponse:
    """Merge in two steps: the form names the surviving ticket; a confirmation page says what will
    happen; only its confirm button merges."""
    form = MergeForm(request.POST, auto_id=FORM_IDS["merge_form"])
    into = _other_ticket(request, form, "into")
    if into is not None and into.pk == ticket.pk:
        form.add_error("into", "a ticket cannot be merged into itself")
        into = None
    if into is None:
        return _render_ticket(request, ticket, merge_form=form)
    if request.POST.get("confirm") != "yes":
        return render(request, "desk/merge_confirm.html", {"ticket": ticket, "into": into})
    if _run(form, lambda: services.ticket_merge(ticket=ticket, actor=request.user, into=into)):
        messages.success(request, f"Merged {ticket.number} into {into.number}.")
        return redirect("desk:ticket", pk=into.pk)
    return _render_ticket(request, ticket, merge_form=form)


@login_required
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    """A ticket's file, for whoever may see it (404 otherwise). Always a download (never rendered
    inline), with nosniff, under its sanitised name and the type derived from that name."""
    attachment = selectors.attachment_get(request.user, pk)
    return safe_download(attachment.file, filename=attachment.filename, content_type=attachment.content_type)


# --- a new ticket --------------------------------------------------------------------------------


@login_required
def ticket_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    _require_desk(user)
    source = request.POST if request.method == "POST" else request.GET
    account = _account_or_none(user, source.get("account"))
    initial = {"account": account.pk} if account else {}
    form = TicketCreateForm(request.POST or None, user=user, account=account, initial=initial)
    created: list[Any] = []

    def call() -> None:
        created.append(services.ticket_create(actor=user, **form.service_arguments()))

    if request.method == "POST" and _run(form, call):
        messages.success(request, f"Opened {created[0].number}.")
        return redirect("desk:ticket", pk=created[0].pk)
    impact = source.get("impact") or Level.MEDIUM
    urgency = source.get("urgency") or Level.MEDIUM
    context = {"form": form, "account": account, "matrix_priority": _matrix(impact, urgency)}
    return render(request, "desk/ticket_form.html", context)


def _matrix(impact: str, urgency: str) -> str:
    try:
        return Priority(priority_from_matrix(impact, urgency)).label
    except ValueError:
        return ""


@login_required
def account_search(request: HttpRequest) -> HttpResponse:
    """The new-ticket page's account autocomplete (HTMX): accounts the caller may see."""
    user = request.user
    _require_desk(user)
    q = request.GET.get("account_q", "").strip()[:100]
    accounts = customers.account_list(user, q=q)[:10] if q else []
    return render(request, "desk/_account_results.html", {"accounts": accounts, "q": q})


@login_required
def account_fields(request: HttpRequest) -> HttpResponse:
    """The chosen account and its contacts, sites and assets (HTMX swaps them into the form)."""
    user = request.user
    _require_desk(user)
    account = customers.account_get(user, request.GET.get("account"))
    form = TicketCreateForm(user=user, account=account, initial={"account": account.pk})
    return render(request, "desk/_account_fields.html", {"form": form, "account": account, "oob": True})


@login_required
def priority_preview(request: HttpRequest) -> HttpResponse:
    """The priority the impact and urgency matrix gives (HTMX, as the agent changes either)."""
    _require_desk(request.user)
    label = _matrix(request.GET.get("impact", ""), request.GET.get("urgency", ""))
    return render(request, "desk/_priority_preview.html", {"matrix_priority": label})


# --- team routing --------------------------------------------------------------------------------


@login_required
def team_routing(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    team = people.team_get(user, pk)
    access.require_role(user, *ROUTING_EDITORS)
    routing = selectors.team_routing_get(team)
    form = RoutingForm(
        request.POST or None, initial={"strategy": routing.strategy, "match_skills": routing.match_skills}
    )
    if request.method == "POST" and _run(
        form, lambda: services.team_routing_set(actor=user, team=team, **form.cleaned_data)
    ):
        messages.success(request, f"Routing of {team.name} saved.")
        return redirect("accounts:team_detail", pk=team.pk)
    return render(request, "desk/team_routing.html", {"form": form, "team": team, "routing": routing})
