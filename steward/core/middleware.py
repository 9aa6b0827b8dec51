"""Request-wide rules: domain errors raised in page views become Django's 404 and 403 responses;
text the database cannot hold (the NUL character) is refused before any view sees it."""

from __future__ import annotations

import json

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponseBadRequest, JsonResponse

from steward.core.errors import Forbidden, NotFound


class DomainErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        if isinstance(exception, NotFound):
            raise Http404(exception.message)
        if isinstance(exception, Forbidden):
            raise PermissionDenied(exception.message)
        return None


def _nul_path(value: object, path: str = "") -> str | None:
    """The first place in decoded JSON holding a NUL character (in a key or a string), or None."""
    if isinstance(value, str):
        return (path or "body") if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if "\x00" in str(key):
                return where
            found = _nul_path(item, where)
            if found:
                return found
    if isinstance(value, list):
        for i, item in enumerate(value):
            found = _nul_path(item, f"{path}.{i}" if path else str(i))
            if found:
                return found
    return None


class RejectNulCharactersMiddleware:
    """PostgreSQL cannot store or even compare a text holding the NUL character: a query string
    or a JSON body with one would fail deep in the database as a server error (SQLite takes it).
    Such a request is refused up front instead, naming the parameter: 422 with the API's error
    shape under /api/, 400 for a page. (Form fields already refuse NUL through Django's own
    validator; this covers query strings and JSON bodies.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        where = self._nul_in(request)
        if where is None:
            return self.get_response(request)
        message = f"{where}: the NUL character is not allowed in text"
        if request.path.startswith("/api/"):
            from steward.core.api_kit import error_payload

            return JsonResponse(error_payload("validation_error", message, {where: [message]}), status=422)
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")

    @staticmethod
    def _nul_in(request: HttpRequest) -> str | None:
        for key, values in request.GET.lists():
            if "\x00" in key or any("\x00" in v for v in values):
                return key.replace("\x00", "") or "query"
        if request.method in ("POST", "PUT", "PATCH") and request.content_type == "application/json":
            body = request.body
            if b"\\u0000" in body or b"\x00" in body:
                try:
                    return _nul_path(json.loads(body))
                except ValueError:
                    return None  # not JSON: the endpoint's own parser says so
        return None
