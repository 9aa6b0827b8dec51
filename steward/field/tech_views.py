"""The technician's phone view at /tech/: today's jobs in route order, one tap per status change,
notes, photos (the camera), the customer's signature drawn on a canvas, incomplete with a reason.

Thin: every read goes through field.selectors (a technician reaches only their own jobs: any
other is 404), every write through field.services; a refused write shows its message on the job.
"""

from __future__ import annotations

import base64
import binascii

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from steward.core.errors import DomainError, NotFound, ValidationFailed
from steward.field import selectors, services
from steward.field.models import WorkOrderStatus

# The one next step the big button offers, per status (completing needs the signature form).
NEXT_STEP = {
    WorkOrderStatus.SCHEDULED: None,
    WorkOrderStatus.DISPATCHED: (WorkOrderStatus.EN_ROUTE, "Start driving"),
    WorkOrderStatus.EN_ROUTE: (WorkOrderStatus.ON_SITE, "Arrived on site"),
}


def _job(request: HttpRequest, pk: int):
    technician = selectors.technician_of(request.user)
    if technician is None:
        raise NotFound("job not found")
    job = selectors.work_order_get(request.user, pk)
    if job.technician_id != technician.pk:  # field staff who are also technicians: own jobs only here
        raise NotFound("job not found")
    return job


@login_required
def today(request: HttpRequest) -> HttpResponse:
    technician = selectors.technician_of(request.user)
    if technician is None:
        return render(request, "field/tech/not_a_technician.html", status=403)
    day = selectors.local_today(technician.timezone)
    jobs = selectors.technician_day(request.user, day)
    return render(
        request,
        "field/tech/today.html",
        {"technician": technician, "day": day, "jobs": jobs, "tz": technician.timezone},
    )


@login_required
def job(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        work_order = _job(request, pk)
    except NotFound:
        return render(request, "field/tech/not_found.html", status=404)
    technician = selectors.technician_of(request.user)
    return render(
        request,
        "field/tech/job.html",
        {
            "job": work_order,
            "next_step": NEXT_STEP.get(work_order.status),
            "photos": selectors.work_order_photos(request.user, work_order),
            # The technician's own notes (events without a status change), newest first.
            "notes": work_order.events.exclude(note="")
            .filter(from_status=F("to_status"))
            .order_by("-at", "-id")[:10],
            "tz": technician.timezone,
        },
    )


def _act(request: HttpRequest, pk: int, action) -> HttpResponse:
    try:
        work_order = _job(request, pk)
    except NotFound:
        return render(request, "field/tech/not_found.html", status=404)
    try:
        message = action(work_order)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if message:
            messages.success(request, message)
    return redirect("field_tech:job", pk=work_order.pk)


def _where(request: HttpRequest) -> dict:
    return {"lat": request.POST.get("lat") or None, "lon": request.POST.get("lon") or None}


@login_required
@require_POST
def move(request: HttpRequest, pk: int) -> HttpResponse:
    to_status = request.POST.get("to_status", "")

    def run(work_order):
        services.work_order_transition(
            actor=request.user, work_order=work_order, to_status=to_status, **_where(request)
        )
        return f"{work_order.number}: {work_order.get_status_display()}"

    return _act(request, pk, run)


@login_required
@require_POST
def note(request: HttpRequest, pk: int) -> HttpResponse:
    def run(work_order):
        services.work_order_note(actor=request.user, work_order=work_order, note=request.POST.get("note", ""))
        return "Note saved"

    return _act(request, pk, run)


@login_required
@require_POST
def photo(request: HttpRequest, pk: int) -> HttpResponse:
    def run(work_order):
        upload = request.FILES.get("photo")
        if upload is None:
            raise ValidationFailed.for_field("photo", "take or choose a photo")
        services.work_order_photo_add(
            actor=request.user,
            work_order=work_order,
            filename=upload.name or "photo.jpg",
            content=upload.read(),
            caption=request.POST.get("caption", ""),
        )
        return "Photo added"

    return _act(request, pk, run)


def _signature(data_url: str) -> bytes | None:
    """The canvas's PNG from its data URL (empty: no signature)."""
    if not data_url:
        return None
    prefix = "data:image/png;base64,"
    if not data_url.startswith(prefix):
        raise ValidationFailed.for_field("signature", "the signature must be a PNG image")
    try:
        return base64.b64decode(data_url[len(prefix) :], validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed.for_field("signature", "the signature could not be read") from None


@login_required
@require_POST
def complete(request: HttpRequest, pk: int) -> HttpResponse:
    def run(work_order):
        services.work_order_complete(
            actor=request.user,
            work_order=work_order,
            notes=request.POST.get("notes", ""),
            signature_png=_signature(request.POST.get("signature", "")),
            signed_by=request.POST.get("signed_by", ""),
            **_where(request),
        )
        return f"{work_order.number} completed"

    return _act(request, pk, run)


@login_required
@require_POST
def incomplete(request: HttpRequest, pk: int) -> HttpResponse:
    def run(work_order):
        services.work_order_incomplete(
            actor=request.user,
            work_order=work_order,
            reason=request.POST.get("reason", ""),
            notes=request.POST.get("notes", ""),
            follow_up=True,
        )
        return f"{work_order.number} incomplete: a follow-up visit was opened"

    return _act(request, pk, run)


@login_required
def photo_file(request: HttpRequest, pk: int, photo_pk: int) -> HttpResponse:
    from steward.field.api import photo_response

    try:
        work_order = selectors.work_order_get(request.user, pk)
        item = selectors.photo_get(request.user, work_order, photo_pk)
    except NotFound:
        return render(request, "field/tech/not_found.html", status=404)
    return photo_response(item)
