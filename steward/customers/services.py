"""Writes to the customer directory. Each is one transaction with its audit event."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from steward.core import access, audit
from steward.core.errors import ValidationFailed
from steward.core.services import create_audited, full_clean, update_audited
from steward.customers.models import Asset, Contact, CustomerAccount, Site

ACCOUNT_FIELDS = ("name", "tier", "contract_ref", "email_domain", "notes", "is_active")
CONTACT_FIELDS = ("full_name", "email", "phone", "job_title", "is_primary")
SITE_FIELDS = (
    "name", "address", "postcode", "city", "country", "latitude", "longitude", "timezone", "access_notes",
)  # fmt: skip
ASSET_FIELDS = (
    "site", "model", "manufacturer", "serial_number", "install_date", "warranty_end", "status", "notes",
)  # fmt: skip


def _check_site_belongs(site: Site | None, account: CustomerAccount) -> None:
    if site is not None and site.account_id != account.pk:
        raise ValidationFailed.for_field("site", "the site belongs to another customer account")


@transaction.atomic
def account_create(*, actor: Any, actor_label: str = "", **fields: Any) -> CustomerAccount:
    access.require_role(actor, *access.DIRECTORY_EDITORS)
    _reject_unknown(fields, ACCOUNT_FIELDS)
    account = CustomerAccount(**fields)
    return create_audited(
        actor=actor,
        instance=account,
        action="customer_account.create",
        actor_label=actor_label,
        is_account=True,
    )


@transaction.atomic
def account_update(*, actor: Any, account: CustomerAccount, **changes: Any) -> CustomerAccount:
    access.require_role(actor, *access.DIRECTORY_EDITORS)
    return update_audited(
        actor=actor,
        instance=account,
        changes=changes,
        allowed=ACCOUNT_FIELDS,
        action="customer_account.update",
        account_id=account.pk,
    )


@transaction.atomic
def contact_create(*, actor: Any, account: CustomerAccount, **fields: Any) -> Contact:
    access.require_role(actor, *access.DIRECTORY_EDITORS)
    _reject_unknown(fields, CONTACT_FIELDS)
    contact = Contact(account=account, **fields)
    if contact.email:
        contact.email = contact.email.lower()
    return create_audited(actor=actor, instance=contact, action="contact.create", account_id=account.pk)


@transaction.atomic
def contact_update(*, actor: Any, contact: Contact, **changes: Any) -> Contact:
    access.require_role(actor, *access.DIRECTORY_EDITORS)
    if changes.get("email"):
        changes["email"] = changes["email"].lower()
    return update_audited(
        actor=actor,
        instance=contact,
        changes=changes,
        allowed=CONTACT_FIELDS,
        action="contact.update",
        account_id=contact.account_id,
    )


@transaction.atomic
def contact_link_user(*, actor: Any, contact: Contact, user) -> Contact:
    """Tie a customer user's login to their contact record (same account only)."""
    access.require_role(actor, *access.DIRECTORY_EDITORS)
    if user is not None and user.customer_account_id != contact.account_id:
        raise ValidationFailed.for_field("user", "the user belongs to another customer account")
    old = contact.user_id
    contact.user = user
    full_clean(contact)
    contact.save(update_fields=["user", "updated_at"])
    audit.record(
        actor=actor,
        action="contact.link_user",
        obj=contact,
        changes={"user": [old, user.pk if user else None]},
        account_id=contact.account_id,
    )
    return contact


@transaction.atomic
def site_create(*, actor: Any, account: CustomerAccount, actor_label: str = "", **fields: Any) -> Site:
    access.require_role(actor, *access.DIRECTORY_EDITORS)
    _reject_unknown(fields, SITE_FIELDS)
    site = Site(account=account, **fields)
    return create_audited(
        actor=actor, instance=site, action="site.create", account_id=account.pk, actor_label=actor_label
    )


@transaction.atomic
def site_update(*, actor: Any, site: Site, **changes: Any) -> Site:
    access.require_role(actor, *access.DIRECTORY_EDITORS)
    return update_audited(
        actor=actor,
        instance=site,
        changes=changes,
        allowed=SITE_FIELDS,
        action="site.update",
        account_id=site.account_id,
    )


@transaction.atomic
def asset_create(*, actor: Any, account: CustomerAccount, actor_label: str = "", **fields: Any) -> Asset:
    access.require_role(actor, *access.DIRECTORY_EDITORS)
    _reject_unknown(fields, ASSET_FIELDS)
    asset = Asset(account=account, **fields)
    _check_site_belongs(fields.get("site"), account)
    return create_audited(
        actor=actor, instance=asset, action="asset.create", account_id=account.pk, actor_label=actor_label
    )


@transaction.atomic
def asset_update(*, actor: Any, asset: Asset, **changes: Any) -> Asset:
    access.require_role(actor, *access.DIRECTORY_EDITORS)
    if "site" in changes:
        _check_site_belongs(changes["site"], asset.account)
    return update_audited(
        actor=actor,
        instance=asset,
        changes=changes,
        allowed=ASSET_FIELDS,
        action="asset.update",
        account_id=asset.account_id,
    )


def _reject_unknown(fields: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise ValidationFailed.for_field(unknown[0], "unknown field")


@transaction.atomic
def contact_create_from_mail(
    *, account: CustomerAccount, email: str, full_name: str = "", user: Any = None, reason: str
) -> Contact:
    """A contact the mail intake creates (no signed-in actor): for an unknown sender whose domain is
    the account's mail domain, or for a customer user who has no contact record yet. The caller
    has established the account; `reason` goes into the audit record."""
    email = email.strip().lower()
    if user is not None and user.customer_account_id != account.pk:
        raise ValidationFailed.for_field("user", "the user belongs to another customer account")
    name = (full_name or "").strip() or (user.full_name if user is not None else "") or email.split("@")[0]
    contact = Contact(account=account, email=email, full_name=name[:150], user=user)
    return create_audited(
        actor=None,
        instance=contact,
        action="contact.create",
        account_id=account.pk,
        actor_label=f"mail intake: {reason}"[:200],
    )
