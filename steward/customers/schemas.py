from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Schema
from pydantic import Field

from steward.core.api_kit import Id
from steward.customers.models import AssetStatus, Tier


class AccountOut(Schema):
    id: int
    name: str
    tier: Tier
    contract_ref: str
    email_domain: str
    notes: str
    is_active: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class AccountIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    tier: Tier = Tier.STANDARD
    contract_ref: str = Field("", max_length=60)
    email_domain: str = Field("", max_length=120)
    notes: str = ""
    is_active: bool = True


class AccountPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    tier: Tier | None = None
    contract_ref: str | None = Field(None, max_length=60)
    email_domain: str | None = Field(None, max_length=120)
    notes: str | None = None
    is_active: bool | None = None


class AccountFilters(Schema):
    q: str = ""
    tier: Tier | None = None
    active: bool | None = None


class ContactOut(Schema):
    id: int
    account_id: Id
    full_name: str
    email: str
    phone: str
    job_title: str
    is_primary: bool


class ContactIn(Schema):
    account_id: Id
    full_name: str = Field(min_length=1, max_length=150)
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=40)
    job_title: str = Field("", max_length=100)
    is_primary: bool = False


class ContactPatch(Schema):
    full_name: str | None = Field(None, min_length=1, max_length=150)
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=40)
    job_title: str | None = Field(None, max_length=100)
    is_primary: bool | None = None


class SiteOut(Schema):
    id: int
    account_id: Id
    name: str
    address: str
    postcode: str
    city: str
    country: str
    latitude: Decimal
    longitude: Decimal
    timezone: str
    access_notes: str


class SiteIn(Schema):
    account_id: Id
    name: str = Field(min_length=1, max_length=200)
    address: str = Field(min_length=1, max_length=250)
    postcode: str = Field("", max_length=20)
    city: str = Field(min_length=1, max_length=100)
    country: str = Field("DE", min_length=2, max_length=2)
    latitude: Decimal = Field(ge=-90, le=90, max_digits=9, decimal_places=6)
    longitude: Decimal = Field(ge=-180, le=180, max_digits=9, decimal_places=6)
    timezone: str = "Europe/Berlin"
    access_notes: str = ""


class SitePatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    address: str | None = Field(None, min_length=1, max_length=250)
    postcode: str | None = Field(None, max_length=20)
    city: str | None = Field(None, min_length=1, max_length=100)
    country: str | None = Field(None, min_length=2, max_length=2)
    latitude: Decimal | None = Field(None, ge=-90, le=90, max_digits=9, decimal_places=6)
    longitude: Decimal | None = Field(None, ge=-180, le=180, max_digits=9, decimal_places=6)
    timezone: str | None = None
    access_notes: str | None = None


class AssetOut(Schema):
    id: int
    account_id: Id
    site_id: Id
    model: str
    manufacturer: str
    serial_number: str
    install_date: dt.date | None
    warranty_end: dt.date | None
    status: AssetStatus
    notes: str


class AssetIn(Schema):
    account_id: Id
    site_id: Id
    model: str = Field(min_length=1, max_length=150)
    manufacturer: str = Field("", max_length=100)
    serial_number: str = Field(min_length=1, max_length=100)
    install_date: dt.date | None = None
    warranty_end: dt.date | None = None
    status: AssetStatus = AssetStatus.IN_SERVICE
    notes: str = ""


class AssetPatch(Schema):
    site_id: Id | None = None
    model: str | None = Field(None, min_length=1, max_length=150)
    manufacturer: str | None = Field(None, max_length=100)
    serial_number: str | None = Field(None, min_length=1, max_length=100)
    install_date: dt.date | None = None
    warranty_end: dt.date | None = None
    status: AssetStatus | None = None
    notes: str | None = None


class ImportRowError(Schema):
    row: int
    field: str
    message: str


class ImportResult(Schema):
    kind: str
    created: int
    errors: list[ImportRowError]
