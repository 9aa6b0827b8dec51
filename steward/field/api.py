"""Field service endpoints under /api/v1/field/: thin adapters over field.selectors and
field.services. Foreign keys in a body are resolved inside the caller's scope (out of scope:
422 naming the field); objects outside the caller's scope are 404."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Any

from django.http import FileResponse, HttpRequest
from ninja import File, Form, Query, Router, Status, UploadedFile

from steward.core import access
from steward.core.api_kit import ERRORS, Id, Page, PageParams, paginate
from steward.core.errors import NotFound, ValidationFailed
from steward.field import selectors, services
from steward.field.schemas import (
    AbsenceIn,
    AbsenceOut,
    AbsencePatch,
    AvailabilityOut,
    CompleteIn,
    MaintenancePlanIn,
    MaintenancePlanOut,
    PhotoOut,
    PlanPatch,
    ReasonIn,
    ScheduleIn,
    ShiftIn,
    ShiftOut,
    ShiftPatch,
    TechnicianOut,
    WorkOrderEventOut,
    WorkOrderFilters,
    WorkOrderIn,
    WorkOrderMoveIn,
    WorkOrderOut,
    WorkOrderPatch,
)

router = Router(tags=["field"])


def _resolve(getter, user, pk: Any, field: str):
    if pk is None:
        return None
    try:
        return getter(user, pk)
    except NotFound:
        raise ValidationFailed.for_field(field, f"no such object: {pk}") from None


def _site(user, pk):
    from steward.customers.selectors import site_get

    return _resolve(site_get, user, pk, "site_id")


def _asset(user, pk):
    from steward.customers.selectors import asset_get

    return _resolve(asset_get, user, pk, "asset_id")


def _service(user, pk):
    from steward.catalog.selectors import service_get

    return _resolve(service_get, user, pk, "service_id")


def _account(user, pk):
    from steward.customers.selectors import account_get

    return _resolve(account_get, user, pk, "account_id")


# --- technicians ---------------------------------------------------------------------------------


@router.get("/technicians", response={200: Page[TechnicianOut], **ERRORS})
def list_technicians(
    request: HttpRequest, page: Query[PageParams], q: str = "", active: bool | None = None, skill: str = ""
):
    return paginate(selectors.technician_list(request.user, q=q, active=active, skill=skill), page)


@router.get("/technicians/{technician_id}", response={200: TechnicianOut, **ERRORS})
def get_technician(request: HttpRequest, technician_id: Id):
    access.require_staff(request.user)
    return selectors.technician_get(request.user, technician_id)


@router.get("/technicians/{technician_id}/availability", response={200: AvailabilityOut, **ERRORS})
def technician_availability(request: HttpRequest, technician_id: Id, day: dt.date):
    access.require_staff(request.user)
    technician = selectors.technician_get(request.user, technician_id)
    intervals = selectors.technician_shifts_on(technician, day)
    return {
        "technician_id": technician.pk,
        "day": day,
        "intervals": [{"start": a, "end": b} for a, b in intervals],
        "skills": selectors.valid_skills(technician, day),
    }


# --- shifts and absences -------------------------------------------------------------------------


def _technician_for_write(user, pk):
    return _resolve(selectors.technician_get, user, pk, "technician_id")


@router.get("/shifts", response={200: Page[ShiftOut], **ERRORS})
def list_shifts(request: HttpRequest, page: Query[PageParams], technician_id: Id | None = None):
    access.require_staff(request.user)
    qs = selectors.shifts_for(request.user)
    if technician_id is not None:
        qs = qs.filter(technician_id=technician_id)
    return paginate(qs.order_by("technician_id", "weekday", "start", "id"), page)


@router.post("/shifts", response={201: ShiftOut, **ERRORS})
def create_shift(request: HttpRequest, payload: ShiftIn):
    access.require_role(request.user, *services.FIELD_MANAGERS)
    data = payload.dict()
    technician = _technician_for_write(request.user, data.pop("technician_id"))
    return Status(201, services.shift_create(actor=request.user, technician=technician, **data))


@router.get("/shifts/{shift_id}", response={200: ShiftOut, **ERRORS})
def get_shift(request: HttpRequest, shift_id: Id):
    return selectors.shift_get(request.user, shift_id)


@router.patch("/shifts/{shift_id}", response={200: ShiftOut, **ERRORS})
def update_shift(request: HttpRequest, shift_id: Id, payload: ShiftPatch):
    shift = selectors.shift_get(request.user, shift_id)
    return services.shift_update(actor=request.user, shift=shift, **payload.dict(exclude_unset=True))


@router.delete("/shifts/{shift_id}", response={204: None, **ERRORS})
def delete_shift(request: HttpRequest, shift_id: Id):
    services.shift_delete(actor=request.user, shift=selectors.shift_get(request.user, shift_id))
    return Status(204, None)


@router.get("/absences", response={200: Page[AbsenceOut], **ERRORS})
def list_absences(request: HttpRequest, page: Query[PageParams], technician_id: Id | None = None):
    access.require_staff(request.user)
    qs = selectors.absences_for(request.user)
    if technician_id is not None:
        qs = qs.filter(technician_id=technician_id)
    return paginate(qs.order_by("-starts_at", "id"), page)


@router.post("/absences", response={201: AbsenceOut, **ERRORS})
def create_absence(request: HttpRequest, payload: AbsenceIn):
    access.require_role(request.user, *services.FIELD_MANAGERS)
    data = payload.dict()
    technician = _technician_for_write(request.user, data.pop("technician_id"))
    return Status(201, services.absence_create(actor=request.user, technician=technician, **data))


@router.get("/absences/{absence_id}", response={200: AbsenceOut, **ERRORS})
def get_absence(request: HttpRequest, absence_id: Id):
    return selectors.absence_get(request.user, absence_id)


@router.patch("/absences/{absence_id}", response={200: AbsenceOut, **ERRORS})
def update_absence(request: HttpRequest, absence_id: Id, payload: AbsencePatch):
    absence = selectors.absence_get(request.user, absence_id)
    return services.absence_update(actor=request.user, absence=absence, **payload.dict(exclude_unset=True))


@router.delete("/absences/{absence_id}", response={204: None, **ERRORS})
def delete_absence(request: HttpRequest, absence_id: Id):
    services.absence_delete(actor=request.user, absence=selectors.absence_get(request.user, absence_id))
    return Status(204, None)


# --- work orders ---------------------------------------------------------------------------------


@router.get("/work-orders", response={200: Page[WorkOrderOut], **ERRORS})
def list_work_orders(request: HttpRequest, filters: Query[WorkOrderFilters], page: Query[PageParams]):
    values = {k: v for k, v in filters.dict().items() if v not in (None, "")}
    try:
        qs = selectors.work_order_list(request.user, **values)
    except ValueError as exc:
        raise ValidationFailed(str(exc)) from None
    return paginate(qs, page)


def _fk_changes(user, data: dict[str, Any]) -> dict[str, Any]:
    """Body ids to objects, each resolved in the caller's scope."""
    out = dict(data)
    if "site_id" in out:
        out["site"] = _site(user, out.pop("site_id"))
    if "asset_id" in out:
        out["asset"] = _asset(user, out.pop("asset_id"))
    if "service_id" in out:
        out["service"] = _service(user, out.pop("service_id"))
    if "pinned_technician_id" in out:
        out["pinned_technician"] = _technician_for_write(user, out.pop("pinned_technician_id"))
    if out.get("window_kind") is None:
        out.pop("window_kind", None)
    return out


@router.post("/work-orders", response={201: WorkOrderOut, **ERRORS})
def create_work_order(request: HttpRequest, payload: WorkOrderIn):
    from steward.desk.selectors import ticket_get

    access.require_role(request.user, *services.WORK_ORDER_EDITORS)
    data = payload.dict(exclude_unset=True)
    ticket_id = data.pop("ticket_id", None)
    if ticket_id is not None:
        ticket = _resolve(ticket_get, request.user, ticket_id, "ticket_id")
        data.pop("account_id", None)
        overrides = {k: v for k, v in _fk_changes(request.user, data).items() if v is not None}
        wo = services.work_order_create_from_ticket(actor=request.user, ticket=ticket, **overrides)
        return Status(201, wo)
    if data.get("account_id") is None:
        raise ValidationFailed.for_field("account_id", "name the account (or a ticket_id)")
    if not data.get("title"):
        raise ValidationFailed.for_field("title", "this field is required")
    account = _account(request.user, data.pop("account_id"))
    values = _fk_changes(request.user, data)
    if values.get("priority") is None:
        values.pop("priority", None)
    return Status(201, services.work_order_create(actor=request.user, account=account, **values))


@router.get("/work-orders/{work_order_id}", response={200: WorkOrderOut, **ERRORS})
def get_work_order(request: HttpRequest, work_order_id: Id):
    return selectors.work_order_get(request.user, work_order_id)


@router.patch("/work-orders/{work_order_id}", response={200: WorkOrderOut, **ERRORS})
def update_work_order(request: HttpRequest, work_order_id: Id, payload: WorkOrderPatch):
    wo = selectors.work_order_get(request.user, work_order_id)
    access.require_role(request.user, *services.WORK_ORDER_EDITORS)
    changes = _fk_changes(request.user, payload.dict(exclude_unset=True))
    return services.work_order_update(actor=request.user, work_order=wo, **changes)


@router.get("/work-orders/{work_order_id}/events", response={200: list[WorkOrderEventOut], **ERRORS})
def work_order_events(request: HttpRequest, work_order_id: Id):
    wo = selectors.work_order_get(request.user, work_order_id)
    return list(selectors.work_order_events(request.user, wo))


@router.post("/work-orders/{work_order_id}/schedule", response={200: WorkOrderOut, **ERRORS})
def schedule_work_order(request: HttpRequest, work_order_id: Id, payload: ScheduleIn):
    wo = selectors.work_order_get(request.user, work_order_id)
    access.require_role(request.user, *services.DISPATCHERS)
    technician = _technician_for_write(request.user, payload.technician_id)
    return services.work_order_schedule(
        actor=request.user,
        work_order=wo,
        technician=technician,
        start=payload.start,
        end=payload.end,
        travel_seconds=payload.travel_seconds,
        travel_meters=payload.travel_meters,
    )


@router.post("/work-orders/{work_order_id}/unschedule", response={200: WorkOrderOut, **ERRORS})
def unschedule_work_order(request: HttpRequest, work_order_id: Id):
    wo = selectors.work_order_get(request.user, work_order_id)
    return services.work_order_unschedule(actor=request.user, work_order=wo)


def _move(request: HttpRequest, work_order_id: int, to_status: str, payload: WorkOrderMoveIn | None):
    wo = selectors.work_order_get(request.user, work_order_id)
    payload = payload or WorkOrderMoveIn()
    return services.work_order_transition(
        actor=request.user,
        work_order=wo,
        to_status=to_status,
        note=payload.note,
        lat=payload.lat,
        lon=payload.lon,
    )


@router.post("/work-orders/{work_order_id}/dispatch", response={200: WorkOrderOut, **ERRORS})
def dispatch_work_order(request: HttpRequest, work_order_id: Id, payload: WorkOrderMoveIn | None = None):
    return _move(request, work_order_id, "dispatched", payload)


@router.post("/work-orders/{work_order_id}/en-route", response={200: WorkOrderOut, **ERRORS})
def en_route_work_order(request: HttpRequest, work_order_id: Id, payload: WorkOrderMoveIn | None = None):
    return _move(request, work_order_id, "en_route", payload)


@router.post("/work-orders/{work_order_id}/on-site", response={200: WorkOrderOut, **ERRORS})
def on_site_work_order(request: HttpRequest, work_order_id: Id, payload: WorkOrderMoveIn | None = None):
    return _move(request, work_order_id, "on_site", payload)


@router.post("/work-orders/{work_order_id}/complete", response={200: WorkOrderOut, **ERRORS})
def complete_work_order(request: HttpRequest, work_order_id: Id, payload: CompleteIn):
    wo = selectors.work_order_get(request.user, work_order_id)
    signature = None
    if payload.signature_png_base64:
        try:
            signature = base64.b64decode(payload.signature_png_base64, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationFailed.for_field("signature_png_base64", "is not valid base64") from None
    return services.work_order_complete(
        actor=request.user,
        work_order=wo,
        notes=payload.notes,
        signature_png=signature,
        signed_by=payload.signed_by,
        lat=payload.lat,
        lon=payload.lon,
    )


@router.post("/work-orders/{work_order_id}/incomplete", response={200: WorkOrderOut, **ERRORS})
def incomplete_work_order(request: HttpRequest, work_order_id: Id, payload: ReasonIn):
    wo = selectors.work_order_get(request.user, work_order_id)
    return services.work_order_incomplete(
        actor=request.user,
        work_order=wo,
        reason=payload.reason,
        notes=payload.note,
        follow_up=payload.follow_up,
    )


@router.post("/work-orders/{work_order_id}/cancel", response={200: WorkOrderOut, **ERRORS})
def cancel_work_order(request: HttpRequest, work_order_id: Id, payload: ReasonIn):
    wo = selectors.work_order_get(request.user, work_order_id)
    return services.work_order_cancel(actor=request.user, work_order=wo, reason=payload.reason)


@router.get("/work-orders/{work_order_id}/photos", response={200: list[PhotoOut], **ERRORS})
def list_photos(request: HttpRequest, work_order_id: Id):
    wo = selectors.work_order_get(request.user, work_order_id)
    return list(selectors.work_order_photos(request.user, wo))


@router.post("/work-orders/{work_order_id}/photos", response={201: PhotoOut, **ERRORS})
def add_photo(request: HttpRequest, work_order_id: Id, file: File[UploadedFile], caption: Form[str] = ""):
    from django.conf import settings

    wo = selectors.work_order_get(request.user, work_order_id)
    if file.size is not None and file.size > settings.STEWARD_ATTACHMENT_MAX_BYTES:
        raise ValidationFailed.for_field("file", "larger than the attachment limit")
    photo = services.work_order_photo_add(
        actor=request.user, work_order=wo, filename=file.name or "", content=file.read(), caption=caption
    )
    return Status(201, photo)


@router.get("/work-orders/{work_order_id}/photos/{photo_id}/file", response={200: None, **ERRORS})
def download_photo(request: HttpRequest, work_order_id: Id, photo_id: Id):
    wo = selectors.work_order_get(request.user, work_order_id)
    photo = selectors.photo_get(request.user, wo, photo_id)
    return photo_response(photo)


def photo_response(photo) -> FileResponse:
    """A stored photo as a download: its stored type, as an attachment, never sniffed."""
    response = FileResponse(
        photo.file.open("rb"),
        as_attachment=True,
        filename=photo.original_name,
        content_type=photo.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# --- maintenance plans ---------------------------------------------------------------------------


@router.get("/maintenance-plans", response={200: Page[MaintenancePlanOut], **ERRORS})
def list_plans(request: HttpRequest, page: Query[PageParams], account_id: Id | None = None):
    access.require_authenticated(request.user)
    qs = selectors.maintenance_plans_for(request.user)
    if account_id is not None:
        qs = qs.filter(account_id=account_id)
    return paginate(qs.order_by("account__name", "title", "id"), page)


@router.post("/maintenance-plans", response={201: MaintenancePlanOut, **ERRORS})
def create_plan(request: HttpRequest, payload: MaintenancePlanIn):
    access.require_role(request.user, *services.FIELD_MANAGERS)
    data = payload.dict()
    account = _account(request.user, data.pop("account_id"))
    values = _fk_changes(request.user, data)
    return Status(201, services.maintenance_plan_create(actor=request.user, account=account, **values))


@router.get("/maintenance-plans/{plan_id}", response={200: MaintenancePlanOut, **ERRORS})
def get_plan(request: HttpRequest, plan_id: Id):
    return selectors.maintenance_plan_get(request.user, plan_id)


@router.patch("/maintenance-plans/{plan_id}", response={200: MaintenancePlanOut, **ERRORS})
def update_plan(request: HttpRequest, plan_id: Id, payload: PlanPatch):
    plan = selectors.maintenance_plan_get(request.user, plan_id)
    return services.maintenance_plan_update(actor=request.user, plan=plan, **payload.dict(exclude_unset=True))
