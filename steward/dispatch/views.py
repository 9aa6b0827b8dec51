"""Dispatch pages: the board (/dispatch/), its HTMX actions (optimise with progress, publish,
assign/unassign/move, urgent re-plan), and appointment slots for agents (an HTMX panel) and for
customers in the portal. Thin: parse, call a selector or a service, render."""

from __future__ import annotations

from datetime import date, datetime

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from steward.core.errors import DomainError, NotFound, ValidationFailed
from steward.core.views_kit import staff_page
from steward.dispatch import board, booking, selectors, services
from steward.dispatch.models import PlanStatus


def _day(request: HttpRequest) -> date:
    raw = request.GET.get("day") or request.POST.get("day") or ""
    try:
        return date.fromisoformat(raw) if raw else timezone.localdate()
    except ValueError:
        return timezone.localdate()


def _board_context(request: HttpRequest, day: date, *, feedback: str = "", feedback_kind: str = "") -> dict:
    plan = selectors.plan_for_day(request.user, day)
    routes = selectors.plan_routes(plan, day) if plan else []
    unplanned = selectors.plan_unplanned(plan) if plan else []
    start, end, ticks = board.axis(routes)
    rows = board.rows(routes, start, end)
    return {
        "day": day,
        "plan": plan,
        "rows": rows,
        "ticks": ticks,
        "unplanned": unplanned,
        "map": board.route_map(routes, unplanned),
        "technicians": [(r.technician_id, r.name) for r in rows],
        "changes": list(plan.changes.all()[:5]) if plan else [],
        "feedback": feedback,
        "feedback_kind": feedback_kind,
        "optimising": plan is not None and plan.status == PlanStatus.OPTIMISING,
    }


@staff_page
@require_GET
def board_page(request: HttpRequest) -> HttpResponse:
    day = _day(request)
    context = _board_context(request, day)
    return render(request, "dispatch/board.html", context)


@staff_page
@require_POST
def plan_create(request: HttpRequest) -> HttpResponse:
    day = _day(request)
    try:
        days = int(request.POST.get("days") or 1)
        limit = int(request.POST.get("time_limit") or 0) or None
    except ValueError:
        days, limit = 0, None
    try:
        services.plan_create(actor=request.user, horizon_start=day, days=days, time_limit=limit)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(f"{reverse('dispatch:board')}?day={day.isoformat()}")


@staff_page
@require_GET
def plan_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress bar, polled by the board while the plan optimises; when it is done, the page
    reloads (HX-Refresh) to show the new routes."""
    plan = selectors.plan_get(request.user, pk)
    response = render(request, "dispatch/_progress.html", {"plan": plan})
    if plan.status != PlanStatus.OPTIMISING:
        response["HX-Refresh"] = "true"
    return response


@staff_page
@require_POST
def plan_publish(request: HttpRequest, pk: int) -> HttpResponse:
    plan = selectors.plan_get(request.user, pk)
    try:
        services.plan_publish(actor=request.user, plan=plan)
        messages.success(request, "Plan published: the technicians' routes are set.")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(f"{reverse('dispatch:board')}?day={_day(request).isoformat()}")


def _work_order_by_number(user, number: str):
    from steward.field.models import WorkOrder

    number = (number or "").strip().upper()
    if not number:
        raise ValidationFailed.for_field("work_order", "enter a work order number")
    wo = selectors.work_orders_visible(user).filter(number=number).first() or WorkOrder.objects.none().first()
    if wo is None:
        raise ValidationFailed.for_field("work_order", f"no work order {number}")
    return wo


@staff_page
@require_POST
def plan_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Assign, move or unassign a work order on a draft; answers the board fragment with the
    outcome (the reason when it is refused)."""
    day = _day(request)
    plan = selectors.plan_get(request.user, pk)
    feedback, kind = "", "success"
    try:
        wo = _work_order_by_number(request.user, request.POST.get("work_order", ""))
        if request.POST.get("action") == "unassign":
            services.plan_unassign(actor=request.user, plan=plan, work_order=wo)
            feedback = f"{wo.number} unassigned."
        else:
            from steward.field.models import Technician

            tech = (
                Technician.objects.filter(pk=request.POST.get("technician") or 0)
                .select_related("user")
                .first()
            )
            if tech is None:
                raise ValidationFailed.for_field("technician", "choose a technician")
            raw_pos = (request.POST.get("position") or "").strip()
            position = int(raw_pos) - 1 if raw_pos.isdigit() and int(raw_pos) > 0 else None
            services.plan_assign(
                actor=request.user, plan=plan, work_order=wo, technician=tech, day=day, position=position
            )
            feedback = f"{wo.number} assigned to {tech.user}."
    except DomainError as exc:
        feedback, kind = exc.message, "error"
    context = _board_context(request, day, feedback=feedback, feedback_kind=kind)
    return render(request, "dispatch/_board.html", context)


@staff_page
@require_POST
def urgent(request: HttpRequest) -> HttpResponse:
    try:
        wo = _work_order_by_number(request.user, request.POST.get("work_order", ""))
        plan = services.replan_urgent(actor=request.user, work_order=wo)
        change = plan.changes.first()
        messages.success(request, change.summary if change else "Re-planned.")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(f"{reverse('dispatch:board')}?day={timezone.localdate().isoformat()}")


# --- appointment slots ------------------------------------------------------------------------------


def _slots_context(request: HttpRequest, pk: int) -> dict:
    wo = selectors.work_order_for_slots(request.user, pk)
    try:
        days = max(1, min(5, int(request.GET.get("days") or 3)))
    except ValueError:
        days = 3
    slots = booking.offer_slots(actor=request.user, work_order=wo, days=days) if wo.is_bookable else []
    return {"work_order": wo, "slots": slots, "days": days}


@staff_page
@require_GET
def slots_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """The "Offer slots" panel on a work order or ticket page (HTMX)."""
    return render(
        request, "dispatch/_slots.html", {**_slots_context(request, pk), "book_url": "dispatch:book"}
    )


def _book(request: HttpRequest, pk: int):
    wo = selectors.work_order_for_slots(request.user, pk)
    try:
        start = datetime.fromisoformat(request.POST.get("start", ""))
        end = datetime.fromisoformat(request.POST.get("end", ""))
    except ValueError:
        raise ValidationFailed.for_field("start", "choose one of the offered slots") from None
    tech = request.POST.get("technician") or None
    return booking.appointment_book(
        actor=request.user,
        work_order=wo,
        start=start,
        end=end,
        technician_id=int(tech) if tech and tech.isdigit() else None,
    )


@staff_page
@require_POST
def book(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        wo = _book(request, pk)
        return render(request, "dispatch/_booked.html", {"work_order": wo})
    except NotFound:
        raise
    except DomainError as exc:
        context = {**_slots_context(request, pk), "error": exc.message, "book_url": "dispatch:book"}
        return render(request, "dispatch/_slots.html", context)


@staff_page
def portal_slots(request: HttpRequest, pk: int) -> HttpResponse:
    """The customer's page to book a visit slot for their field-service work order."""
    error = ""
    booked = None
    if request.method == "POST":
        try:
            booked = _book(request, pk)
        except NotFound:
            raise
        except DomainError as exc:
            error = exc.message
    context = {
        **_slots_context(request, pk),
        "error": error,
        "booked": booked,
        "book_url": "dispatch:portal_slots",
    }
    return render(request, "dispatch/portal_slots.html", context)
