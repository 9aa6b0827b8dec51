"""Dispatch endpoints: plans (create and optimise, read with routes, progress, publish, manual
move, urgent re-plan) for dispatchers, managers and admins; appointment slots (offer, book) for
desk staff and for customers on their own account's work orders (another account's: 404)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Status

from steward.core.api_kit import ERRORS, Id, Page, PageParams, paginate
from steward.core.errors import ValidationFailed
from steward.dispatch import booking, selectors, services
from steward.dispatch.schemas import (
    BookedOut,
    BookIn,
    MoveIn,
    PlanDetailOut,
    PlanIn,
    PlanOut,
    ProgressOut,
    SlotOut,
    UrgentIn,
)

router = Router(tags=["dispatch"])


def _detail(plan) -> dict:
    routes = selectors.plan_routes(plan)
    data = PlanOut.from_orm(plan).dict()
    data["engine_stats"] = plan.engine_stats
    data["routes"] = [
        {
            "shift": r.shift_key,
            "technician_id": r.technician_id,
            "technician": str(r.technician.user),
            "day": r.day,
            "shift_start": r.shift_start,
            "shift_end": r.shift_end,
            "depart_at": r.depart_at,
            "arrive_at": r.arrive_at,
            "break_start": r.break_start,
            "break_minutes": r.break_minutes,
            "travel_seconds": r.travel_seconds,
            "travel_meters": r.travel_meters,
            "overtime_seconds": r.overtime_seconds,
            "visits": [
                {
                    "work_order_id": v.work_order_id,
                    "number": v.work_order.number,
                    "sequence": v.sequence,
                    "arrival_at": v.arrival_at,
                    "start_at": v.start_at,
                    "end_at": v.end_at,
                    "travel_seconds": v.travel_seconds,
                    "travel_meters": v.travel_meters,
                    "late_seconds": v.late_seconds,
                }
                for v in r.visits.all()
            ],
        }
        for r in routes
    ]
    data["unplanned"] = [
        {
            "work_order_id": u.work_order_id,
            "number": u.work_order.number,
            "reason": u.reason,
            "detail": u.detail,
        }
        for u in selectors.plan_unplanned(plan)
    ]
    data["changes"] = [
        {"at": c.at, "kind": c.kind, "summary": c.summary, "moves": c.moves} for c in plan.changes.all()[:50]
    ]
    return data


@router.get("/plans", response={200: Page[PlanOut], **ERRORS}, summary="List plans")
def list_plans(request: HttpRequest, page: Query[PageParams], status: str = ""):
    return paginate(selectors.plan_list(request.user, status=status), page)


@router.post("/plans", response={201: PlanOut, **ERRORS}, summary="Create a plan and optimise it")
def create_plan(request: HttpRequest, payload: PlanIn):
    """The plan is optimised in the background: poll /plans/{id}/progress until it is ready."""
    plan = services.plan_create(
        actor=request.user,
        horizon_start=payload.horizon_start,
        days=payload.days,
        time_limit=payload.time_limit,
        seed=payload.seed,
    )
    return Status(201, plan)


@router.get("/plans/{plan_id}", response={200: PlanDetailOut, **ERRORS}, summary="A plan with its routes")
def get_plan(request: HttpRequest, plan_id: Id):
    return _detail(selectors.plan_get(request.user, plan_id))


@router.get(
    "/plans/{plan_id}/progress", response={200: ProgressOut, **ERRORS}, summary="Optimisation progress"
)
def plan_progress(request: HttpRequest, plan_id: Id):
    return selectors.plan_get(request.user, plan_id)


@router.post("/plans/{plan_id}/publish", response={200: PlanOut, **ERRORS}, summary="Publish a plan")
def publish_plan(request: HttpRequest, plan_id: Id):
    plan = selectors.plan_get(request.user, plan_id)
    return services.plan_publish(actor=request.user, plan=plan)


def _work_order(user, pk: int, field: str):

    try:
        return selectors.work_orders_visible(user).get(pk=pk)
    except Exception:
        raise ValidationFailed.for_field(field, "no such work order") from None


@router.post(
    "/plans/{plan_id}/move", response={200: PlanDetailOut, **ERRORS}, summary="Assign, move or unassign"
)
def move(request: HttpRequest, plan_id: Id, payload: MoveIn):
    """Change a draft by hand: the route is re-timed at once and the change refused (422, with
    the reason) if it would break a constraint."""
    plan = selectors.plan_get(request.user, plan_id)
    wo = _work_order(request.user, payload.work_order_id, "work_order_id")
    if payload.action == "unassign":
        services.plan_unassign(actor=request.user, plan=plan, work_order=wo)
    else:
        if payload.technician_id is None:
            raise ValidationFailed.for_field("technician_id", "choose a technician to assign to")
        from steward.field.models import Technician

        tech = Technician.objects.filter(pk=payload.technician_id).select_related("user").first()
        if tech is None:
            raise ValidationFailed.for_field("technician_id", "no such technician")
        services.plan_assign(
            actor=request.user,
            plan=plan,
            work_order=wo,
            technician=tech,
            day=payload.day,
            position=payload.position,
        )
    plan.refresh_from_db()
    return _detail(plan)


@router.post("/urgent", response={201: PlanDetailOut, **ERRORS}, summary="Insert an urgent job today")
def urgent(request: HttpRequest, payload: UrgentIn):
    """Insert an urgent work order into today's published plan with minimal disruption; the new
    plan's changes say what moved."""
    services.require_planner(request.user)
    wo = _work_order(request.user, payload.work_order_id, "work_order_id")
    plan = services.replan_urgent(
        actor=request.user, work_order=wo, time_limit=payload.time_limit, publish=payload.publish
    )
    return Status(201, _detail(plan))


@router.get(
    "/work-orders/{work_order_id}/slots", response={200: list[SlotOut], **ERRORS}, summary="Visit slots"
)
def slots(request: HttpRequest, work_order_id: Id, days: int = 3):
    if not 1 <= days <= 5:
        raise ValidationFailed.for_field("days", "between 1 and 5")
    wo = selectors.work_order_for_slots(request.user, work_order_id)
    if not wo.is_bookable:
        return []
    return booking.offer_slots(actor=request.user, work_order=wo, days=days)


@router.post("/work-orders/{work_order_id}/book", response={200: BookedOut, **ERRORS}, summary="Book a slot")
def book(request: HttpRequest, work_order_id: Id, payload: BookIn):
    wo = selectors.work_order_for_slots(request.user, work_order_id)
    wo = booking.appointment_book(
        actor=request.user,
        work_order=wo,
        start=payload.start,
        end=payload.end,
        technician_id=payload.technician_id,
    )
    return {
        "work_order_id": wo.pk,
        "number": wo.number,
        "window_kind": wo.window_kind,
        "window_start": wo.window_start,
        "window_end": wo.window_end,
        "pinned_technician_id": wo.pinned_technician_id,
    }
