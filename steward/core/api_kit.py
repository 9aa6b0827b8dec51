"""What every app's API module shares: authentication, pagination and the error shape.

One error shape everywhere: {"error": {"code": str, "message": str, "fields": {name: [msg]}}}.
"""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Schema
from ninja.security import APIKeyCookie, HttpBearer
from pydantic import Field

T = TypeVar("T")

# Every object id the API accepts, in a path, a query or a body: positive and within a 64-bit
# signed integer, so an absurd number is a 422 naming the field rather than a database overflow.
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]


class TokenAuth(HttpBearer):
    """`Authorization: Bearer stw_...` for programs."""

    def authenticate(self, request: HttpRequest, token: str):
        from steward.accounts.services import token_authenticate

        user = token_authenticate(token)
        if user is not None:
            request.user = user
            request.steward_via_token = True
        return user


def via_token(request: HttpRequest) -> bool:
    """Whether the caller authenticated with an API token (a program) rather than a session."""
    return getattr(request, "steward_via_token", False)


class SessionAuth(APIKeyCookie):
    """The browser's session cookie; unsafe methods need the CSRF token as usual."""

    param_name = settings.SESSION_COOKIE_NAME

    def authenticate(self, request: HttpRequest, key: str | None):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_active:
            return user
        return None


AUTH = [TokenAuth(), SessionAuth()]


class ErrorBody(Schema):
    code: str
    message: str
    fields: dict[str, list[str]] = {}


class ErrorOut(Schema):
    error: ErrorBody


def error_payload(code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


class PageParams(Schema):
    limit: int = Field(default=25, ge=1, le=settings.STEWARD_API_MAX_LIMIT, description="rows per page")
    offset: int = Field(default=0, ge=0, le=10_000_000, description="rows to skip")


class Page(Schema, Generic[T]):
    items: list[T]
    count: int
    limit: int
    offset: int


def paginate(qs: QuerySet, page: PageParams) -> dict[str, Any]:
    return {
        "items": list(qs[page.offset : page.offset + page.limit]),
        "count": qs.count(),
        "limit": page.limit,
        "offset": page.offset,
    }


ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
