"""Core pages: home, calendars, and the health endpoint."""

from __future__ import annotations

import json

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from steward.core import access, selectors, services
from steward.core.errors import DomainError
from steward.core.models import WorkerHeartbeat
from steward.core.views_kit import apply_domain_error, paginate, render_list


@login_required
def home(request: HttpRequest) -> HttpResponse:
    from steward.customers.selectors import accounts_for, assets_for, sites_for

    user = request.user
    context = {
        "account_count": accounts_for(user).count(),
        "site_count": sites_for(user).count(),
        "asset_count": assets_for(user).count(),
    }
    context["desk_counts"] = _desk_counts(user)
    return render(request, "core/home.html", context)


def _desk_counts(user) -> dict | None:
    """The agent's open queues on the home page (desk staff only)."""
    from steward.desk import selectors as desk

    if not desk.is_desk_staff(user):
        return None
    return desk.queue_counts(user)


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Database reachable and a worker heartbeat fresh: 200; otherwise 503 with what is wrong."""
    checks: dict[str, dict] = {}
    healthy = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = {"ok": True, "vendor": connection.vendor}
    except Exception as exc:  # any driver error means the database is unusable
        checks["database"] = {"ok": False, "error": exc.__class__.__name__}
        healthy = False
    if checks["database"]["ok"]:
        newest = WorkerHeartbeat.objects.order_by("-last_seen").first()
        stale_after = settings.STEWARD_WORKER_STALE_SECONDS
        if newest is None:
            checks["worker"] = {"ok": False, "error": "no worker has ever reported"}
            healthy = False
        else:
            age = (timezone.now() - newest.last_seen).total_seconds()
            alive = WorkerHeartbeat.objects.filter(
                last_seen__gte=timezone.now() - timezone.timedelta(seconds=stale_after)
            ).count()
            ok = age <= stale_after
            checks["worker"] = {"ok": ok, "last_seen_seconds_ago": round(age, 1), "alive": alive}
            healthy = healthy and ok
    else:
        checks["worker"] = {"ok": False, "error": "database unavailable"}
    return JsonResponse(
        {"status": "ok" if healthy else "unhealthy", "checks": checks}, status=200 if healthy else 503
    )


# --- calendars -----------------------------------------------------------------------------------


class CalendarForm(forms.Form):
    name = forms.CharField(max_length=120)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    spec = forms.CharField(
        label="Specification (JSON)",
        widget=forms.Textarea(attrs={"rows": 14, "class": "mono", "spellcheck": "false"}),
        help_text='{"timezone": "Europe/Berlin", "hours": {"mon": [["08:00", "12:00"], ["13:00", "17:00"]]}, '
        '"holidays": ["2026-12-25"]} or {"timezone": "UTC", "always": true, "hours": {}}',
    )

    def clean_spec(self):
        try:
            value = json.loads(self.cleaned_data["spec"])
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(f"not valid JSON: {exc.msg} at line {exc.lineno}") from None
        if not isinstance(value, dict):
            raise forms.ValidationError("must be a JSON object")
        return value


class HolidayImportForm(forms.Form):
    file = forms.FileField(label="iCalendar file (.ics)")


@login_required
def calendar_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    qs = selectors.calendar_list(request.user, q=q)
    context = {"q": q, "list_id": "calendar-list", **paginate(request, qs)}
    context["can_edit"] = request.user.has_role(*access.CALENDAR_EDITORS)
    return render_list(
        request, page="core/calendar_list.html", partial="core/_calendar_rows.html", context=context
    )


@login_required
def calendar_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    calendar = selectors.calendar_get(request.user, pk) if pk else None
    if request.method == "POST":
        form = CalendarForm(request.POST)
        if form.is_valid():
            try:
                if calendar is None:
                    calendar = services.calendar_create(actor=request.user, **form.cleaned_data)
                else:
                    services.calendar_update(actor=request.user, calendar=calendar, **form.cleaned_data)
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, f"Calendar “{calendar.name}” saved.")
                return redirect("core:calendar_detail", pk=calendar.pk)
    else:
        access.require_role(request.user, *access.CALENDAR_EDITORS)
        initial = {
            "spec": json.dumps({"timezone": settings.TIME_ZONE, "hours": {}, "holidays": []}, indent=2)
        }
        if calendar is not None:
            initial = {
                "name": calendar.name,
                "description": calendar.description,
                "spec": json.dumps(calendar.spec, indent=2),
            }
        form = CalendarForm(initial=initial)
    return render(request, "core/calendar_form.html", {"form": form, "calendar": calendar})


@login_required
def calendar_detail(request: HttpRequest, pk: int) -> HttpResponse:
    calendar = selectors.calendar_get(request.user, pk)
    import_form = HolidayImportForm()
    if request.method == "POST":
        import_form = HolidayImportForm(request.POST, request.FILES)
        if import_form.is_valid():
            try:
                added = services.calendar_import_holidays(
                    actor=request.user, calendar=calendar, ical_bytes=import_form.cleaned_data["file"].read()
                )
            except DomainError as exc:
                apply_domain_error(import_form, exc)
            else:
                messages.success(request, f"{len(added)} holiday(s) added.")
                return redirect("core:calendar_detail", pk=calendar.pk)
    spec = calendar.spec
    days = [("mon", "Monday"), ("tue", "Tuesday"), ("wed", "Wednesday"), ("thu", "Thursday"),
            ("fri", "Friday"), ("sat", "Saturday"), ("sun", "Sunday")]  # fmt: skip
    week = [(label, spec.get("hours", {}).get(key, [])) for key, label in days]
    context = {
        "calendar": calendar,
        "week": week,
        "holidays": spec.get("holidays", []),
        "import_form": import_form,
        "can_edit": request.user.has_role(*access.CALENDAR_EDITORS),
        "history": selectors.history_for(request.user, calendar),
    }
    return render(request, "core/calendar_detail.html", context)
