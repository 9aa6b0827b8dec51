"""Catalog endpoints: thin adapters over catalog.selectors and catalog.services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Status

from steward.catalog import selectors, services
from steward.catalog.models import Priority, TicketType
from steward.catalog.schemas import (
    ContractIn,
    ContractOut,
    ContractPatch,
    PolicyMatchOut,
    ServiceFilters,
    ServiceIn,
    ServiceOut,
    ServicePatch,
    SlaPolicyIn,
    SlaPolicyOut,
    SlaPolicyPatch,
)
from steward.core import access
from steward.core.api_kit import ERRORS, Id, Page, PageParams, paginate
from steward.core.errors import NotFound, ValidationFailed
from steward.core.selectors import calendar_get
from steward.customers.selectors import account_get

router = Router(tags=["catalog"])


def _resolve(getter, user, pk: int, field: str):
    """A foreign key in a request body, resolved inside the caller's scope."""
    try:
        return getter(user, pk)
    except NotFound:
        raise ValidationFailed.for_field(field, f"no such object: {pk}") from None


def _resolve_many(getter, user, ids: list[int], field: str) -> list:
    return [_resolve(getter, user, pk, field) for pk in dict.fromkeys(ids)]


# --- services ------------------------------------------------------------------------------------


@router.get("/services", response={200: Page[ServiceOut], **ERRORS})
def list_services(request: HttpRequest, filters: Query[ServiceFilters], page: Query[PageParams]):
    qs = selectors.service_list(
        request.user,
        q=filters.q,
        category=filters.category,
        active=filters.active,
        field_visit=filters.field_visit,
        portal_visible=filters.portal_visible,
    )
    return paginate(qs, page)


@router.post("/services", response={201: ServiceOut, **ERRORS})
def create_service(request: HttpRequest, payload: ServiceIn):
    data = _service_team(request.user, payload.dict())
    return Status(201, services.service_create(actor=request.user, **data))


@router.get("/services/{service_id}", response={200: ServiceOut, **ERRORS})
def get_service(request: HttpRequest, service_id: Id):
    return selectors.service_get(request.user, service_id)


@router.patch("/services/{service_id}", response={200: ServiceOut, **ERRORS})
def update_service(request: HttpRequest, service_id: Id, payload: ServicePatch):
    service = selectors.service_get(request.user, service_id)
    data = _service_team(request.user, payload.dict(exclude_unset=True))
    return services.service_update(actor=request.user, service=service, **data)


def _service_team(user, data: dict[str, Any]) -> dict[str, Any]:
    """Resolve `team_id` into the team (as the caller sees teams; unknown: 422 naming team_id)."""
    if "team_id" in data:
        team_id = data.pop("team_id")
        data["team"] = None if team_id is None else _team_or_422(user, team_id)
    return data


def _team_or_422(user, team_id: int):
    from steward.accounts.selectors import team_get

    try:
        return team_get(user, team_id)
    except NotFound:
        raise ValidationFailed.for_field("team_id", "no such team") from None


# --- SLA policies --------------------------------------------------------------------------------


def _policy_relations(user, data: dict[str, Any]) -> dict[str, Any]:
    """Resolve the ids of a policy payload into objects, in the caller's scope."""
    if "calendar_id" in data:
        calendar_id = data.pop("calendar_id")
        data["calendar"] = (
            None if calendar_id is None else _resolve(calendar_get, user, calendar_id, "calendar_id")
        )
    if "customer_account_ids" in data:
        ids = data.pop("customer_account_ids")
        data["customer_accounts"] = (
            None if ids is None else _resolve_many(account_get, user, ids, "customer_account_ids")
        )
    if "service_ids" in data:
        ids = data.pop("service_ids")
        data["services"] = (
            None if ids is None else _resolve_many(selectors.service_get, user, ids, "service_ids")
        )
    return data


@router.get("/sla-policies", response={200: Page[SlaPolicyOut], **ERRORS})
def list_policies(request: HttpRequest, page: Query[PageParams], q: str = "", active: bool | None = None):
    return paginate(selectors.policy_list(request.user, q=q, active=active), page)


@router.post("/sla-policies", response={201: SlaPolicyOut, **ERRORS})
def create_policy(request: HttpRequest, payload: SlaPolicyIn):
    """Create a policy with its targets (one row per priority) and escalation levels."""
    access.require_role(request.user, *services.CATALOG_EDITORS)
    data = _policy_relations(request.user, payload.dict())
    policy = services.sla_policy_create(actor=request.user, **data)
    return Status(201, selectors.policy_get(request.user, policy.pk))


@router.get("/sla-policies/{policy_id}", response={200: SlaPolicyOut, **ERRORS})
def get_policy(request: HttpRequest, policy_id: Id):
    return selectors.policy_get(request.user, policy_id)


@router.patch("/sla-policies/{policy_id}", response={200: SlaPolicyOut, **ERRORS})
def update_policy(request: HttpRequest, policy_id: Id, payload: SlaPolicyPatch):
    """Fields given replace the old values; `targets` and `escalations` each replace all their rows."""
    policy = selectors.policy_get(request.user, policy_id)
    access.require_role(request.user, *services.CATALOG_EDITORS)
    data = _policy_relations(request.user, payload.dict(exclude_unset=True))
    services.sla_policy_update(actor=request.user, policy=policy, **data)
    return selectors.policy_get(request.user, policy_id)


@router.get("/policy-match", response={200: PolicyMatchOut, **ERRORS})
def policy_match(
    request: HttpRequest,
    priority: Priority,
    ticket_type: TicketType,
    account_id: Id | None = None,
    service_id: Id | None = None,
    on_date: dt.date | None = None,
):
    """Which SLA policy would govern a ticket with these facts (staff only)."""
    access.require_staff(request.user)
    account = None if account_id is None else _resolve(account_get, request.user, account_id, "account_id")
    service = (
        None
        if service_id is None
        else _resolve(selectors.service_get, request.user, service_id, "service_id")
    )
    policy = selectors.policy_match(
        request.user,
        account=account,
        service=service,
        ticket_type=ticket_type,
        priority=priority,
        on_date=on_date or timezone.localdate(),
    )
    return {"policy_id": policy.pk if policy else None, "policy_name": policy.name if policy else None}


# --- contracts -----------------------------------------------------------------------------------


@router.get("/contracts", response={200: Page[ContractOut], **ERRORS})
def list_contracts(
    request: HttpRequest,
    page: Query[PageParams],
    account_id: Id | None = None,
    policy_id: Id | None = None,
    q: str = "",
    valid_on: dt.date | None = None,
):
    qs = selectors.contract_list(
        request.user, account_id=account_id, policy_id=policy_id, q=q, valid_on=valid_on
    )
    return paginate(qs, page)


@router.post("/contracts", response={201: ContractOut, **ERRORS})
def create_contract(request: HttpRequest, payload: ContractIn):
    access.require_role(request.user, *services.CATALOG_EDITORS)
    data = payload.dict()
    account = _resolve(account_get, request.user, data.pop("account_id"), "account_id")
    data["policy"] = _resolve(selectors.policy_get, request.user, data.pop("policy_id"), "policy_id")
    data["services"] = _resolve_many(
        selectors.service_get, request.user, data.pop("service_ids"), "service_ids"
    )
    contract = services.contract_create(actor=request.user, account=account, **data)
    return Status(201, selectors.contract_get(request.user, contract.pk))


@router.get("/contracts/{contract_id}", response={200: ContractOut, **ERRORS})
def get_contract(request: HttpRequest, contract_id: Id):
    return selectors.contract_get(request.user, contract_id)


@router.patch("/contracts/{contract_id}", response={200: ContractOut, **ERRORS})
def update_contract(request: HttpRequest, contract_id: Id, payload: ContractPatch):
    contract = selectors.contract_get(request.user, contract_id)
    access.require_role(request.user, *services.CATALOG_EDITORS)
    changes = payload.dict(exclude_unset=True)
    if "policy_id" in changes:
        policy_id = changes.pop("policy_id")
        changes["policy"] = (
            None
            if policy_id is None
            else _resolve(selectors.policy_get, request.user, policy_id, "policy_id")
        )
    if "service_ids" in changes:
        ids = changes.pop("service_ids")
        changes["services"] = (
            None if ids is None else _resolve_many(selectors.service_get, request.user, ids, "service_ids")
        )
    services.contract_update(actor=request.user, contract=contract, **changes)
    return selectors.contract_get(request.user, contract_id)
