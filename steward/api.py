"""The HTTP API under /api/v1/: one NinjaAPI, one router per app, one error shape."""

from __future__ import annotations

from django.http import Http404, HttpRequest, JsonResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from steward.core.api_kit import AUTH, error_payload
from steward.core.errors import DomainError

api = NinjaAPI(
    title="Steward API",
    version="1",
    description="Service operations management. Authenticate with `Authorization: Bearer <token>` "
    "(create tokens on your profile page) or with the browser session.",
    auth=AUTH,
    urls_namespace="api",
)


def _field_name(loc: list) -> str:
    # ninja locations look like ["body", "payload", "name"], ["query", "limit"] or ["file", "file"]:
    # drop the source and the body parameter's name, keep the path inside the body ("filters.q").
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "form", "file", "header", "cookie"):
        parts = parts[1:]
    if len(parts) > 1 and parts[0] == "payload":
        parts = parts[1:]
    return ".".join(parts) or "body"


@api.exception_handler(NinjaValidationError)
def _validation(request: HttpRequest, exc: NinjaValidationError):
    fields: dict[str, list[str]] = {}
    for err in exc.errors:
        fields.setdefault(_field_name(list(err.get("loc", []))), []).append(str(err.get("msg", "invalid")))
    first_name, first_msgs = next(iter(fields.items()), ("body", ["invalid"]))
    return api.create_response(
        request, error_payload("validation_error", f"{first_name}: {first_msgs[0]}", fields), status=422
    )


@api.exception_handler(DomainError)
def _domain(request: HttpRequest, exc: DomainError):
    return api.create_response(request, error_payload(exc.code, exc.message, exc.fields), status=exc.status)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError):
    return api.create_response(
        request, error_payload("unauthorized", "authentication required: a token or a session"), status=401
    )


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404):
    return api.create_response(request, error_payload("not_found", "not found"), status=404)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError):
    code = {400: "bad_request", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}.get(
        exc.status_code, "error"
    )
    return api.create_response(request, error_payload(code, str(exc)), status=exc.status_code)


def api_not_found(request: HttpRequest) -> JsonResponse:
    return JsonResponse(error_payload("not_found", f"no API endpoint at {request.path}"), status=404)


def _register_routers() -> None:
    from steward.accounts.api import router as accounts_router
    from steward.analytics.api import router as analytics_router
    from steward.catalog.api import router as catalog_router
    from steward.core.api import router as core_router
    from steward.customers.api import router as customers_router
    from steward.desk.api import router as desk_router
    from steward.dispatch.api import router as dispatch_router
    from steward.field.api import router as field_router
    from steward.planning.api import router as planning_router
    from steward.quality.api import router as quality_router

    api.add_router("/", core_router)
    api.add_router("/", accounts_router)
    api.add_router("/customers", customers_router)
    api.add_router("/catalog", catalog_router)
    api.add_router("/quality", quality_router)
    api.add_router("/desk", desk_router)
    api.add_router("/dispatch", dispatch_router)
    api.add_router("/field", field_router)
    api.add_router("/planning", planning_router)
    api.add_router("/", analytics_router)


_register_routers()
