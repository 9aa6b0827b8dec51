"""Customer directory endpoints: thin adapters over customers.selectors and customers.services."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import File, Form, Query, Router, Status, UploadedFile

from steward.core.api_kit import ERRORS, Id, Page, PageParams, paginate
from steward.core.errors import NotFound, ValidationFailed
from steward.customers import csv_import, selectors, services
from steward.customers.schemas import (
    AccountFilters,
    AccountIn,
    AccountOut,
    AccountPatch,
    AssetIn,
    AssetOut,
    AssetPatch,
    ContactIn,
    ContactOut,
    ContactPatch,
    ImportResult,
    SiteIn,
    SiteOut,
    SitePatch,
)

router = Router(tags=["customers"])


def _resolve(getter, user, pk: int, field: str):
    """A foreign key in a request body, resolved inside the caller's scope."""
    try:
        return getter(user, pk)
    except NotFound:
        raise ValidationFailed.for_field(field, f"no such object: {pk}") from None


# --- accounts ------------------------------------------------------------------------------------


@router.get("/accounts", response={200: Page[AccountOut], **ERRORS})
def list_accounts(request: HttpRequest, filters: Query[AccountFilters], page: Query[PageParams]):
    qs = selectors.account_list(request.user, q=filters.q, tier=filters.tier or "", active=filters.active)
    return paginate(qs, page)


@router.post("/accounts", response={201: AccountOut, **ERRORS})
def create_account(request: HttpRequest, payload: AccountIn):
    return Status(201, services.account_create(actor=request.user, **payload.dict()))


@router.get("/accounts/{account_id}", response={200: AccountOut, **ERRORS})
def get_account(request: HttpRequest, account_id: Id):
    return selectors.account_get(request.user, account_id)


@router.patch("/accounts/{account_id}", response={200: AccountOut, **ERRORS})
def update_account(request: HttpRequest, account_id: Id, payload: AccountPatch):
    account = selectors.account_get(request.user, account_id)
    return services.account_update(actor=request.user, account=account, **payload.dict(exclude_unset=True))


# --- contacts ------------------------------------------------------------------------------------


@router.get("/contacts", response={200: Page[ContactOut], **ERRORS})
def list_contacts(request: HttpRequest, page: Query[PageParams], account_id: Id | None = None, q: str = ""):
    return paginate(selectors.contact_list(request.user, account_id=account_id, q=q), page)


@router.post("/contacts", response={201: ContactOut, **ERRORS})
def create_contact(request: HttpRequest, payload: ContactIn):
    data = payload.dict()
    account = _resolve(selectors.account_get, request.user, data.pop("account_id"), "account_id")
    return Status(201, services.contact_create(actor=request.user, account=account, **data))


@router.get("/contacts/{contact_id}", response={200: ContactOut, **ERRORS})
def get_contact(request: HttpRequest, contact_id: Id):
    return selectors.contact_get(request.user, contact_id)


@router.patch("/contacts/{contact_id}", response={200: ContactOut, **ERRORS})
def update_contact(request: HttpRequest, contact_id: Id, payload: ContactPatch):
    contact = selectors.contact_get(request.user, contact_id)
    return services.contact_update(actor=request.user, contact=contact, **payload.dict(exclude_unset=True))


# --- sites ---------------------------------------------------------------------------------------


@router.get("/sites", response={200: Page[SiteOut], **ERRORS})
def list_sites(
    request: HttpRequest, page: Query[PageParams], account_id: Id | None = None, q: str = "", city: str = ""
):
    return paginate(selectors.site_list(request.user, account_id=account_id, q=q, city=city), page)


@router.post("/sites", response={201: SiteOut, **ERRORS})
def create_site(request: HttpRequest, payload: SiteIn):
    data = payload.dict()
    account = _resolve(selectors.account_get, request.user, data.pop("account_id"), "account_id")
    return Status(201, services.site_create(actor=request.user, account=account, **data))


@router.get("/sites/{site_id}", response={200: SiteOut, **ERRORS})
def get_site(request: HttpRequest, site_id: Id):
    return selectors.site_get(request.user, site_id)


@router.patch("/sites/{site_id}", response={200: SiteOut, **ERRORS})
def update_site(request: HttpRequest, site_id: Id, payload: SitePatch):
    site = selectors.site_get(request.user, site_id)
    return services.site_update(actor=request.user, site=site, **payload.dict(exclude_unset=True))


# --- assets --------------------------------------------------------------------------------------


@router.get("/assets", response={200: Page[AssetOut], **ERRORS})
def list_assets(
    request: HttpRequest,
    page: Query[PageParams],
    account_id: Id | None = None,
    site_id: Id | None = None,
    q: str = "",
    status: str = "",
):
    qs = selectors.asset_list(request.user, account_id=account_id, site_id=site_id, q=q, status=status)
    return paginate(qs, page)


@router.post("/assets", response={201: AssetOut, **ERRORS})
def create_asset(request: HttpRequest, payload: AssetIn):
    data = payload.dict()
    account = _resolve(selectors.account_get, request.user, data.pop("account_id"), "account_id")
    data["site"] = _resolve(selectors.site_get, request.user, data.pop("site_id"), "site_id")
    return Status(201, services.asset_create(actor=request.user, account=account, **data))


@router.get("/assets/{asset_id}", response={200: AssetOut, **ERRORS})
def get_asset(request: HttpRequest, asset_id: Id):
    return selectors.asset_get(request.user, asset_id)


@router.patch("/assets/{asset_id}", response={200: AssetOut, **ERRORS})
def update_asset(request: HttpRequest, asset_id: Id, payload: AssetPatch):
    asset = selectors.asset_get(request.user, asset_id)
    changes = payload.dict(exclude_unset=True)
    if "site_id" in changes:
        changes["site"] = _resolve(selectors.site_get, request.user, changes.pop("site_id"), "site_id")
    return services.asset_update(actor=request.user, asset=asset, **changes)


# --- CSV import ----------------------------------------------------------------------------------


@router.post("/import/{kind}", response={200: ImportResult, **ERRORS})
def import_csv(request: HttpRequest, kind: str, file: File[UploadedFile], dry_run: Form[bool] = False):
    """Import accounts, sites or assets from CSV. All rows or none: any invalid row rejects the file
    (422, each error under `fields` as `row N: column`)."""
    report = csv_import.import_csv(actor=request.user, kind=kind, data=file.read(), dry_run=dry_run)
    report.raise_if_invalid()
    return {"kind": kind, "created": report.created, "errors": []}
