"""Staff pages of the field app: work orders (list with search and filters, detail with history, a
new one by hand), technicians (list, detail with skills and their certification expiry, shifts,
absences), maintenance plans (list, detail with the visits they generated, forms), depots and
vans. Thin: selectors read, services write; HTMX swaps the list fragment; a form a service
refuses comes back with its error next to the field it names, as a 422."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from steward.core import access
from steward.core.errors import DomainError, NotFound
from steward.core.selectors import history_for
from steward.core.views_kit import id_or_none, paginate, render_list, save_form
from steward.field import rules, selectors, services
from steward.field.models import WorkOrderStatus

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _staff_or_403(request: HttpRequest) -> HttpResponse | None:
    if not access.is_staff(request.user):
        return render(request, "403.html", status=403)
    return None


@login_required
def work_order_list(request: HttpRequest) -> HttpResponse:
    refused = _staff_or_403(request)
    if refused:
        return refused
    q = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    if status not in ("", "open", *WorkOrderStatus.values):
        status = ""
    qs = selectors.work_order_list(request.user, q=q, status=status)
    context = {
        **paginate(request, qs),
        "q": q,
        "status": status,
        "statuses": WorkOrderStatus.choices,
        "list_id": "work-order-list",
        "can_create": request.user.has_role(*services.WORK_ORDER_EDITORS),
    }
    return render_list(
        request, page="field/work_order_list.html", partial="field/_work_order_rows.html", context=context
    )


@login_required
def work_order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        work_order = selectors.work_order_get(request.user, pk)
    except NotFound:
        return render(request, "403.html", status=404)
    return render(
        request,
        "field/work_order_detail.html",
        {
            "wo": work_order,
            "events": selectors.work_order_events(request.user, work_order),
            "photos": selectors.work_order_photos(request.user, work_order),
            "follow_ups": work_order.follow_ups.all(),
            "history": history_for(request.user, work_order),
            "show_plan": access.is_staff(request.user) and request.user.has_role(*selectors.WORK_ORDER_STAFF),
        },
    )


@login_required
@require_POST
def work_order_from_ticket(request: HttpRequest, ticket_pk: int) -> HttpResponse:
    """The agent ticket page's "Create work order" action."""
    from steward.desk.selectors import ticket_get

    try:
        ticket = ticket_get(request.user, ticket_pk)
        work_order = services.work_order_create_from_ticket(actor=request.user, ticket=ticket)
    except NotFound:
        return render(request, "403.html", status=404)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("desk:ticket", pk=ticket_pk)
    messages.success(request, f"Work order {work_order.number} created")
    return redirect("field:work_order_detail", pk=work_order.pk)


@login_required
def technician_list(request: HttpRequest) -> HttpResponse:
    refused = _staff_or_403(request)
    if refused:
        return refused
    q = request.GET.get("q", "").strip()
    skill = request.GET.get("skill", "").strip()
    qs = selectors.technician_list(request.user, q=q, skill=skill).prefetch_related("user__skills")
    context = {
        **paginate(request, qs),
        "q": q,
        "skill": skill,
        "list_id": "technician-list",
        "can_edit": selectors.is_field_staff(request.user),
    }
    return render_list(
        request, page="field/technician_list.html", partial="field/_technician_rows.html", context=context
    )


@login_required
def technician_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        access.require_staff(request.user)
        technician = selectors.technician_get(request.user, pk)
    except (NotFound, DomainError):
        return render(request, "403.html", status=404)
    today = selectors.local_today(technician.timezone)
    return render(
        request,
        "field/technician_detail.html",
        {
            "tech": technician,
            "today": today,
            "skills": selectors.skills_with_state(technician, today),
            "shifts": [(DAY_NAMES[s.weekday], s) for s in technician.shifts.order_by("weekday", "start")],
            "absences": technician.absences.order_by("-starts_at")[:20],
            "today_intervals": selectors.technician_shifts_on(technician, today),
            "history": history_for(request.user, technician),
            "can_edit": selectors.is_field_staff(request.user),
        },
    )


# --- technician, shift and absence forms (field staff) -------------------------------------------


def _field_staff_or_403(request: HttpRequest) -> HttpResponse | None:
    if not selectors.is_field_staff(request.user):
        return render(request, "403.html", status=403)
    return None


def _roles_or_403(request: HttpRequest, roles: tuple[str, ...]) -> HttpResponse | None:
    if not (access.is_staff(request.user) and request.user.has_role(*roles)):
        return render(request, "403.html", status=403)
    return None


def _form_page(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    """A form page; a posted form that comes back with errors is a 422 (nothing was saved)."""
    form = context["form"]
    invalid = request.method == "POST" and form.is_bound and bool(form.errors)
    return render(request, template, context, status=422 if invalid else 200)


@login_required
def technician_create(request: HttpRequest) -> HttpResponse:
    from steward.field.forms import NewTechnicianForm

    refused = _field_staff_or_403(request)
    if refused:
        return refused
    form = NewTechnicianForm(request.POST or None)
    if request.method == "POST":
        tech = save_form(form, lambda data: services.technician_create(actor=request.user, **data))
        if tech is not None:
            messages.success(request, f"{tech} is a technician now")
            return redirect("field:technician_detail", pk=tech.pk)
    return _form_page(request, "customers/form.html", {"form": form, "title": "New technician"})


@login_required
def technician_edit(request: HttpRequest, pk: int) -> HttpResponse:
    import copy

    from steward.field.forms import TechnicianForm

    refused = _field_staff_or_403(request)
    if refused:
        return refused
    tech = selectors.technician_get(request.user, pk)
    form = TechnicianForm(request.POST or None, instance=copy.copy(tech))
    if request.method == "POST":
        saved = save_form(
            form, lambda data: services.technician_update(actor=request.user, technician=tech, **data)
        )
        if saved is not None:
            messages.success(request, "Saved")
            return redirect("field:technician_detail", pk=tech.pk)
    return _form_page(request, "customers/form.html", {"form": form, "title": f"Edit {tech}"})


@login_required
def shift_add(request: HttpRequest, pk: int) -> HttpResponse:
    from steward.field.forms import ShiftForm

    refused = _field_staff_or_403(request)
    if refused:
        return refused
    tech = selectors.technician_get(request.user, pk)
    form = ShiftForm(request.POST or None)
    if request.method == "POST" and save_form(
        form, lambda data: services.shift_create(actor=request.user, technician=tech, **data)
    ):
        messages.success(request, "Shift added")
        return redirect("field:technician_detail", pk=tech.pk)
    return _form_page(
        request, "customers/form.html", {"form": form, "title": f"Add a weekly shift for {tech}"}
    )


@login_required
def absence_add(request: HttpRequest, pk: int) -> HttpResponse:
    from steward.field.forms import AbsenceForm

    refused = _field_staff_or_403(request)
    if refused:
        return refused
    tech = selectors.technician_get(request.user, pk)
    form = AbsenceForm(request.POST or None)
    if request.method == "POST" and save_form(
        form, lambda data: services.absence_create(actor=request.user, technician=tech, **data)
    ):
        messages.success(request, "Absence added")
        return redirect("field:technician_detail", pk=tech.pk)
    return _form_page(request, "customers/form.html", {"form": form, "title": f"Add an absence for {tech}"})


@login_required
@require_POST
def shift_delete(request: HttpRequest, pk: int) -> HttpResponse:
    shift = selectors.shift_get(request.user, pk)
    try:
        services.shift_delete(actor=request.user, shift=shift)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("field:technician_detail", pk=shift.technician_id)


@login_required
@require_POST
def absence_delete(request: HttpRequest, pk: int) -> HttpResponse:
    absence = selectors.absence_get(request.user, pk)
    try:
        services.absence_delete(actor=request.user, absence=absence)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("field:technician_detail", pk=absence.technician_id)


# --- a new work order by hand (work order editors) -----------------------------------------------


def _account_or_none(user, value):
    """The account a form is being filled in for (the `account` parameter), if the caller sees it."""
    from steward.customers.selectors import account_get

    try:
        return account_get(user, int(value)) if value else None
    except (NotFound, ValueError, TypeError):
        return None


def _chosen_account(request: HttpRequest):
    source = request.POST if request.method == "POST" else request.GET
    return _account_or_none(request.user, source.get("account"))


@login_required
def work_order_create(request: HttpRequest) -> HttpResponse:
    """A work order opened by hand: pick the account (search), then its site and asset."""
    from steward.field.forms import WorkOrderForm

    refused = _roles_or_403(request, services.WORK_ORDER_EDITORS)
    if refused:
        return refused
    account = _chosen_account(request)
    initial = {"account": account.pk} if account else {}
    form = WorkOrderForm(request.POST or None, user=request.user, account=account, initial=initial)
    if request.method == "POST":
        work_order = save_form(form, lambda data: services.work_order_create(actor=request.user, **data))
        if work_order is not None:
            messages.success(request, f"Work order {work_order.number} created")
            return redirect("field:work_order_detail", pk=work_order.pk)
    context = {"form": form, "account": account, "title": "New work order", "picker_for": "work_order"}
    return _form_page(request, "field/work_order_form.html", context)


# Which form the account search fills in: the page its results reload with ?account=<id>.
ACCOUNT_PICKER_TARGETS = {
    "work_order": ("field:work_order_create", services.WORK_ORDER_EDITORS),
    "maintenance_plan": ("field:maintenance_plan_create", services.FIELD_MANAGERS),
}


@login_required
def account_search(request: HttpRequest) -> HttpResponse:
    """The account autocomplete of the new work order and new plan forms (HTMX): accounts the
    caller sees, each a link that reloads the form's account section for that account."""
    from django.urls import reverse

    from steward.customers.selectors import account_list

    target = ACCOUNT_PICKER_TARGETS.get(request.GET.get("for", "work_order"))
    if target is None:
        return render(request, "403.html", status=404)
    refused = _roles_or_403(request, target[1])
    if refused:
        return refused
    q = request.GET.get("account_q", "").strip()[:100]
    accounts = account_list(request.user, q=q)[:10] if q else []
    return render(
        request,
        "field/_account_results.html",
        {"accounts": accounts, "q": q, "form_url": reverse(target[0])},
    )


# --- maintenance plans ---------------------------------------------------------------------------


@login_required
def maintenance_plan_list(request: HttpRequest) -> HttpResponse:
    refused = _roles_or_403(request, selectors.WORK_ORDER_STAFF)
    if refused:
        return refused
    q = request.GET.get("q", "").strip()
    active_param = request.GET.get("active", "")
    active = {"yes": True, "no": False}.get(active_param)
    qs = selectors.maintenance_plan_list(request.user, q=q, active=active)
    context = {
        **paginate(request, qs),
        "q": q,
        "active": active_param if active is not None else "",
        "list_id": "maintenance-plan-list",
        "can_edit": selectors.is_field_staff(request.user),
    }
    for plan in context["page_obj"]:  # the next due date on the site's calendar
        plan.next_due = rules.next_due(
            plan.first_due,
            plan.interval_count,
            plan.interval_unit,
            on_or_after=selectors.local_today(plan.site.timezone),
        )
    return render_list(
        request,
        page="field/maintenance_plan_list.html",
        partial="field/_maintenance_plan_rows.html",
        context=context,
    )


@login_required
def maintenance_plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The plan, its next due dates, whether a contract makes the due day an SLA deadline, and
    the work orders it generated (paginated: HTMX swaps the list)."""
    from steward.catalog.selectors import contract_policy_ids

    refused = _roles_or_403(request, selectors.WORK_ORDER_STAFF)
    if refused:
        return refused
    plan = selectors.maintenance_plan_get(request.user, pk)
    today = selectors.local_today(plan.site.timezone)
    next_due = rules.next_due(plan.first_due, plan.interval_count, plan.interval_unit, on_or_after=today)
    context = {
        **paginate(request, selectors.maintenance_plan_work_orders(request.user, plan)),
        "plan": plan,
        "list_id": "plan-work-orders",
        "next_due": next_due,
        "window_opens": next_due - timedelta(days=plan.window_days_before),
        "sla_covered": bool(contract_policy_ids(account=plan.account, service=plan.service, on_date=today)),
        "history": history_for(request.user, plan),
        "can_edit": selectors.is_field_staff(request.user),
    }
    return render_list(
        request,
        page="field/maintenance_plan_detail.html",
        partial="field/_work_order_rows.html",
        context=context,
    )


@login_required
def maintenance_plan_create(request: HttpRequest) -> HttpResponse:
    from steward.field.forms import NewMaintenancePlanForm

    refused = _field_staff_or_403(request)
    if refused:
        return refused
    account = _chosen_account(request)
    initial = {"account": account.pk} if account else {}
    form = NewMaintenancePlanForm(request.POST or None, user=request.user, account=account, initial=initial)
    if request.method == "POST":
        plan = save_form(form, lambda data: services.maintenance_plan_create(actor=request.user, **data))
        if plan is not None:
            messages.success(request, f"Maintenance plan “{plan.title}” created")
            return redirect("field:maintenance_plan_detail", pk=plan.pk)
    context = {
        "form": form,
        "account": account,
        "title": "New maintenance plan",
        "picker_for": "maintenance_plan",
    }
    return _form_page(request, "field/maintenance_plan_form.html", context)


@login_required
def maintenance_plan_edit(request: HttpRequest, pk: int) -> HttpResponse:
    import copy

    from steward.field.forms import MaintenancePlanForm

    refused = _field_staff_or_403(request)
    if refused:
        return refused
    plan = selectors.maintenance_plan_get(request.user, pk)
    form = MaintenancePlanForm(
        request.POST or None, user=request.user, account=plan.account, instance=copy.copy(plan)
    )
    if request.method == "POST":
        saved = save_form(
            form, lambda data: services.maintenance_plan_update(actor=request.user, plan=plan, **data)
        )
        if saved is not None:
            messages.success(request, "Saved")
            return redirect("field:maintenance_plan_detail", pk=plan.pk)
    context = {"form": form, "account": plan.account, "plan": plan, "title": f"Edit {plan.title}"}
    return _form_page(request, "field/maintenance_plan_form.html", context)


# --- depots and vans -----------------------------------------------------------------------------


@login_required
def depot_list(request: HttpRequest) -> HttpResponse:
    refused = _staff_or_403(request)
    if refused:
        return refused
    q = request.GET.get("q", "").strip()
    context = {
        **paginate(request, selectors.depot_list(request.user, q=q)),
        "q": q,
        "list_id": "depot-list",
        "can_edit": selectors.is_field_staff(request.user),
    }
    return render_list(
        request, page="field/depot_list.html", partial="field/_depot_rows.html", context=context
    )


@login_required
def depot_create(request: HttpRequest) -> HttpResponse:
    from steward.field.forms import DepotForm

    refused = _field_staff_or_403(request)
    if refused:
        return refused
    form = DepotForm(request.POST or None)
    if request.method == "POST":
        depot = save_form(form, lambda data: services.depot_create(actor=request.user, **data))
        if depot is not None:
            messages.success(request, f"Depot “{depot.name}” created")
            return redirect("field:depot_list")
    return _form_page(request, "customers/form.html", {"form": form, "title": "New depot"})


@login_required
def depot_edit(request: HttpRequest, pk: int) -> HttpResponse:
    import copy

    from steward.field.forms import DepotForm

    refused = _field_staff_or_403(request)
    if refused:
        return refused
    depot = selectors.depot_get(request.user, pk)
    form = DepotForm(request.POST or None, instance=copy.copy(depot))
    if request.method == "POST":
        saved = save_form(form, lambda data: services.depot_update(actor=request.user, depot=depot, **data))
        if saved is not None:
            messages.success(request, f"Depot “{saved.name}” saved")
            return redirect("field:depot_list")
    return _form_page(request, "customers/form.html", {"form": form, "title": f"Edit depot {depot}"})


@login_required
def van_list(request: HttpRequest) -> HttpResponse:
    refused = _staff_or_403(request)
    if refused:
        return refused
    q = request.GET.get("q", "").strip()
    depots = selectors.depots_for(request.user).order_by("name")
    depot = id_or_none(request.GET.get("depot"))
    context = {
        **paginate(request, selectors.van_list(request.user, q=q, depot=depot)),
        "q": q,
        "depot": depot,
        "depots": depots,
        "list_id": "van-list",
        "can_edit": selectors.is_field_staff(request.user),
    }
    return render_list(request, page="field/van_list.html", partial="field/_van_rows.html", context=context)


@login_required
def van_create(request: HttpRequest) -> HttpResponse:
    from steward.field.forms import VanForm

    refused = _field_staff_or_403(request)
    if refused:
        return refused
    form = VanForm(request.POST or None, user=request.user)
    if request.method == "POST":
        van = save_form(form, lambda data: services.van_create(actor=request.user, **data))
        if van is not None:
            messages.success(request, f"Van “{van.name}” created")
            return redirect("field:van_list")
    return _form_page(request, "customers/form.html", {"form": form, "title": "New van"})


@login_required
def van_edit(request: HttpRequest, pk: int) -> HttpResponse:
    import copy

    from steward.field.forms import VanForm

    refused = _field_staff_or_403(request)
    if refused:
        return refused
    van = selectors.van_get(request.user, pk)
    form = VanForm(request.POST or None, user=request.user, instance=copy.copy(van))
    if request.method == "POST":
        saved = save_form(form, lambda data: services.van_update(actor=request.user, van=van, **data))
        if saved is not None:
            messages.success(request, f"Van “{saved.name}” saved")
            return redirect("field:van_list")
    return _form_page(request, "customers/form.html", {"form": form, "title": f"Edit van {van}"})
