"""Turns domain errors raised in page views into Django's 404 and 403 responses."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

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
