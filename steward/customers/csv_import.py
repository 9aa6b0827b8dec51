"""CSV import of customer accounts, sites and assets: every row valid, or nothing written.

Each row runs through the same service as a form or an API call would (so the same validation
and audit), inside one outer transaction; each row in its own savepoint so that one bad row does
not hide the errors of the next. If any row failed, the outer transaction is rolled back and the
report lists every error by row and column. Rows count from 2 (row 1 is the header).

Columns:
- accounts: name*, tier, contract_ref, email_domain, notes
- sites: account*, name*, address*, postcode, city*, country, latitude*, longitude*, timezone, access_notes
- assets: account*, site*, model*, manufacturer, serial_number*, install_date, warranty_end, status, notes
(`account` is the account's exact name; `site` the site's name within that account.)
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction

from steward.core import access
from steward.core.errors import DomainError, ValidationFailed
from steward.customers import services
from steward.customers.models import CustomerAccount, Site

MAX_ROWS = 20_000

COLUMNS = {
    "accounts": (("name",), ("tier", "contract_ref", "email_domain", "notes")),
    "sites": (
        ("account", "name", "address", "city", "latitude", "longitude"),
        ("postcode", "country", "timezone", "access_notes"),
    ),
    "assets": (
        ("account", "site", "model", "serial_number"),
        ("manufacturer", "install_date", "warranty_end", "status", "notes"),
    ),
}


@dataclass
class RowError:
    row: int
    field: str
    message: str


@dataclass
class ImportReport:
    kind: str
    created: int = 0
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)

    def errors_as_dicts(self) -> list[dict[str, Any]]:
        return [{"row": e.row, "field": e.field, "message": e.message} for e in self.errors]

    def raise_if_invalid(self) -> None:
        if not self.errors:
            return
        fields: dict[str, list[str]] = {}
        for e in self.errors:
            fields.setdefault(f"row {e.row}: {e.field}", []).append(e.message)
        first = self.errors[0]
        raise ValidationFailed(
            f"{len(self.errors)} error(s) in {self.kind} CSV; nothing was imported "
            f"(first: row {first.row}, {first.field}: {first.message})",
            fields=fields,
        )


class _RowInvalid(Exception):
    def __init__(self, field: str, message: str) -> None:
        self.field, self.message = field, message


def _decode(data: bytes) -> str:
    if len(data) > settings.STEWARD_CSV_MAX_BYTES:
        raise ValidationFailed.for_field("file", f"is larger than {settings.STEWARD_CSV_MAX_BYTES} bytes")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationFailed.for_field("file", "is not UTF-8 text")


def _date(value: str, column: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise _RowInvalid(column, f"{value!r} is not a date (YYYY-MM-DD)") from None


def _decimal(value: str, column: str) -> Decimal:
    try:
        return Decimal(value)
    except InvalidOperation:
        raise _RowInvalid(column, f"{value!r} is not a number") from None


def _account(name: str, cache: dict[str, CustomerAccount | None]) -> CustomerAccount:
    if name not in cache:
        cache[name] = CustomerAccount.objects.filter(name=name).first()
    account = cache[name]
    if account is None:
        raise _RowInvalid("account", f"no customer account named {name!r}")
    return account


def _row_kwargs(kind: str, row: dict[str, str], cache: dict) -> dict[str, Any]:
    optional = {k: row[k] for k in COLUMNS[kind][1] if row.get(k)}
    if kind == "accounts":
        return {"name": row["name"], **optional}
    if kind == "sites":
        kwargs = {k: row[k] for k in ("name", "address", "city")}
        kwargs["account"] = _account(row["account"], cache)
        kwargs["latitude"] = _decimal(row["latitude"], "latitude")
        kwargs["longitude"] = _decimal(row["longitude"], "longitude")
        if "country" in optional:
            optional["country"] = optional["country"].upper()
        return {**kwargs, **optional}
    account = _account(row["account"], cache)
    site = Site.objects.filter(account=account, name=row["site"]).first()
    if site is None:
        raise _RowInvalid("site", f"no site named {row['site']!r} for account {account.name!r}")
    kwargs = {"account": account, "site": site, "model": row["model"], "serial_number": row["serial_number"]}
    optional["install_date"] = _date(row.get("install_date", ""), "install_date")
    optional["warranty_end"] = _date(row.get("warranty_end", ""), "warranty_end")
    return {**kwargs, **optional}


_CREATE = {
    "accounts": services.account_create,
    "sites": services.site_create,
    "assets": services.asset_create,
}


def import_csv(*, actor: Any, kind: str, data: bytes, dry_run: bool = False) -> ImportReport:
    if kind not in COLUMNS:
        raise ValidationFailed.for_field("kind", f"must be one of {', '.join(COLUMNS)}")
    access.require_role(actor, *access.DIRECTORY_EDITORS)
    text = _decode(data)
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    required, optional = COLUMNS[kind]
    missing = [c for c in required if c not in header]
    if missing:
        raise ValidationFailed.for_field("file", f"the header lacks the column(s): {', '.join(missing)}")
    unknown = [c for c in header if c and c not in required + optional]
    if unknown:
        raise ValidationFailed.for_field("file", f"unknown column(s): {', '.join(unknown)}")

    report = ImportReport(kind=kind)
    cache: dict[str, CustomerAccount | None] = {}
    with transaction.atomic():
        for number, raw in enumerate(reader, start=2):
            if number - 1 > MAX_ROWS:
                raise ValidationFailed.for_field("file", f"has more than {MAX_ROWS} rows")
            row = {(k or "").strip(): (v or "").strip() for k, v in raw.items() if k is not None}
            if not any(row.values()):
                continue
            report.rows += 1
            try:
                for column in required:
                    if not row.get(column):
                        raise _RowInvalid(column, "is required")
                kwargs = _row_kwargs(kind, row, cache)
                with transaction.atomic():
                    _CREATE[kind](actor=actor, actor_label="csv import", **kwargs)
                report.created += 1
            except _RowInvalid as exc:
                report.errors.append(RowError(number, exc.field, exc.message))
            except DomainError as exc:
                if exc.fields:
                    for name, messages in exc.fields.items():
                        report.errors.extend(RowError(number, name, m) for m in messages)
                else:
                    report.errors.append(RowError(number, "row", exc.message))
        if report.errors or dry_run:
            transaction.set_rollback(True)
            if report.errors:
                report.created = 0
    return report
