"""Reads of the customer directory, scoped by who asks (steward.core.access)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from steward.core import access
from steward.customers.models import Asset, Contact, CustomerAccount, Site


def accounts_for(user: Any) -> QuerySet[CustomerAccount]:
    return access.scope_to_account(CustomerAccount.objects.all(), user, account_field="")


def account_list(
    user: Any, *, q: str = "", tier: str = "", active: bool | None = None
) -> QuerySet[CustomerAccount]:
    qs = accounts_for(user).annotate(
        site_count=Count("sites", distinct=True), asset_count=Count("assets", distinct=True)
    )
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(contract_ref__icontains=q) | Q(email_domain__icontains=q))
    if tier:
        qs = qs.filter(tier=tier)
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs.order_by("name", "id")


def account_get(user: Any, pk: Any) -> CustomerAccount:
    return access.get_or_404(accounts_for(user), pk=pk)


def contacts_for(user: Any) -> QuerySet[Contact]:
    qs = access.scope_to_account(Contact.objects.select_related("account"), user)
    if access.is_customer(user) and not user.is_customer_admin:
        # A requester sees only their own contact record, not their colleagues'.
        qs = qs.filter(user=user)
    return qs


def contact_list(user: Any, *, account_id: int | None = None, q: str = "") -> QuerySet[Contact]:
    qs = contacts_for(user)
    if account_id is not None:
        qs = qs.filter(account_id=account_id)
    if q:
        qs = qs.filter(Q(full_name__icontains=q) | Q(email__icontains=q) | Q(phone__icontains=q))
    return qs.order_by("full_name", "id")


def contact_get(user: Any, pk: Any) -> Contact:
    return access.get_or_404(contacts_for(user), pk=pk)


def sites_for(user: Any) -> QuerySet[Site]:
    return access.scope_to_account(Site.objects.select_related("account"), user)


def site_list(user: Any, *, account_id: int | None = None, q: str = "", city: str = "") -> QuerySet[Site]:
    qs = sites_for(user)
    if account_id is not None:
        qs = qs.filter(account_id=account_id)
    if q:
        qs = qs.filter(
            Q(name__icontains=q) | Q(address__icontains=q) | Q(city__icontains=q) | Q(postcode__icontains=q)
        )
    if city:
        qs = qs.filter(city__iexact=city)
    return qs.order_by("account__name", "name", "id")


def site_get(user: Any, pk: Any) -> Site:
    return access.get_or_404(sites_for(user), pk=pk)


def assets_for(user: Any) -> QuerySet[Asset]:
    return access.scope_to_account(Asset.objects.select_related("account", "site"), user)


def asset_list(
    user: Any,
    *,
    account_id: int | None = None,
    site_id: int | None = None,
    q: str = "",
    status: str = "",
    warranty: str = "",
    today=None,
) -> QuerySet[Asset]:
    qs = assets_for(user)
    if account_id is not None:
        qs = qs.filter(account_id=account_id)
    if site_id is not None:
        qs = qs.filter(site_id=site_id)
    if q:
        qs = qs.filter(Q(model__icontains=q) | Q(serial_number__icontains=q) | Q(manufacturer__icontains=q))
    if status:
        qs = qs.filter(status=status)
    if warranty and today is not None:
        if warranty == "active":
            qs = qs.filter(warranty_end__gte=today)
        elif warranty == "expired":
            qs = qs.filter(warranty_end__lt=today)
    return qs.order_by("account__name", "site__name", "model", "id")


def asset_get(user: Any, pk: Any) -> Asset:
    return access.get_or_404(assets_for(user), pk=pk)


# --- for the mail intake (the system, not a caller: unscoped, by address) ------------------------


def contacts_with_email(email: str) -> QuerySet[Contact]:
    """Contacts of active accounts with this address (case-insensitive), in any account."""
    return Contact.objects.select_related("account", "user").filter(
        email__iexact=email.strip(), account__is_active=True
    )


def accounts_with_mail_domain(domain: str) -> QuerySet[CustomerAccount]:
    """Active accounts whose mail domain is exactly this one (case-insensitive)."""
    domain = domain.strip().lower()
    if not domain:
        return CustomerAccount.objects.none()
    return CustomerAccount.objects.filter(is_active=True, email_domain__iexact=domain)
