"""Helpers that keep page views thin: pagination, HTMX partials, domain errors on forms."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render

from steward.core.errors import DomainError


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-Boosted") != "true"


def paginate(request: HttpRequest, qs: QuerySet, *, per_page: int | None = None) -> dict[str, Any]:
    paginator = Paginator(qs, per_page or settings.STEWARD_PAGE_SIZE)
    page_obj = paginator.get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    base = params.urlencode()
    return {"page_obj": page_obj, "querystring_base": f"{base}&" if base else ""}


def render_list(request: HttpRequest, *, page: str, partial: str, context: dict[str, Any]) -> HttpResponse:
    """The whole page, or only the list fragment when HTMX asks for it (live search, paging)."""
    return render(request, partial if is_htmx(request) else page, context)


def id_or_none(value: str | None) -> int | None:
    """A query parameter as a database id, or None when it is absent or not one (a number past
    the 64-bit range would overflow the query rather than match nothing)."""
    try:
        number = int(value or "")
    except ValueError:
        return None
    return number if 1 <= number <= 2**63 - 1 else None


def save_form(form: forms.Form, save: Callable[[dict[str, Any]], Any]) -> Any | None:
    """Run a service with a valid form's data and return what it saved; on a domain error, put
    the message next to the field it names and return None."""
    if not form.is_valid():
        return None
    try:
        return save(form.cleaned_data)
    except DomainError as exc:
        apply_domain_error(form, exc)
        return None


def apply_domain_error(form: forms.Form, exc: DomainError) -> None:
    """Show a service's error next to the field it names, or at the top of the form."""
    placed = False
    for name, messages in exc.fields.items():
        target = name if name in form.fields else None
        for message in messages:
            form.add_error(target, message)
            placed = True
    if not placed:
        form.add_error(None, exc.message)


def staff_page(view: Callable) -> Callable:
    """Pages for staff; customer users and anonymous users are turned away by the selectors."""
    return login_required(view)


def safe_download(file: Any, *, filename: str, content_type: str) -> FileResponse:
    """A stored file as a download, never rendered in our origin: Content-Disposition attachment,
    nosniff, a sandboxing CSP (should a browser render it anyway) and no shared caching. For
    anything users upload or mail in."""
    response = FileResponse(file.open("rb"), as_attachment=True, filename=filename, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
