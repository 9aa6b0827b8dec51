"""Customer directory pages: thin views over customers.selectors and customers.services."""

from __future__ import annotations

import copy
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from steward.core import access
from steward.core.errors import DomainError
from steward.core.selectors import history_for
from steward.core.views_kit import apply_domain_error, id_or_none, paginate, render_list, save_form
from steward.customers import csv_import, selectors, services
from steward.customers.forms import AccountForm, AssetForm, ContactForm, ImportForm, SiteForm
from steward.customers.models import AssetStatus, Tier


def _can_edit(user: Any) -> bool:
    return access.is_staff(user) and user.has_role(*access.DIRECTORY_EDITORS)


def _detached(obj: Any) -> Any:
    """A copy for the ModelForm: form validation writes into its instance, and the service must
    see the object as it was to record what changed."""
    return copy.copy(obj) if obj is not None else None


# --- accounts ------------------------------------------------------------------------------------


@login_required
def account_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    tier = request.GET.get("tier", "")
    active = {"yes": True, "no": False}.get(request.GET.get("active", ""))
    qs = selectors.account_list(request.user, q=q, tier=tier if tier in Tier.values else "", active=active)
    context = {
        "q": q,
        "tier": tier,
        "active": request.GET.get("active", ""),
        "tiers": Tier.choices,
        "list_id": "account-list",
        "can_edit": _can_edit(request.user),
        **paginate(request, qs),
    }
    return render_list(
        request, page="customers/account_list.html", partial="customers/_account_rows.html", context=context
    )


@login_required
def account_detail(request: HttpRequest, pk: int) -> HttpResponse:
    account = selectors.account_get(request.user, pk)
    user = request.user
    context = {
        "account": account,
        "contacts": selectors.contact_list(user, account_id=account.pk)[:50],
        "sites": selectors.site_list(user, account_id=account.pk)[:50],
        "site_count": selectors.site_list(user, account_id=account.pk).count(),
        "assets": selectors.asset_list(user, account_id=account.pk)[:20],
        "asset_count": selectors.asset_list(user, account_id=account.pk).count(),
        "history": history_for(user, account),
        "can_edit": _can_edit(user),
        "today": timezone.localdate(),
    }
    return render(request, "customers/account_detail.html", context)


@login_required
def account_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    account = selectors.account_get(request.user, pk) if pk else None
    access.require_role(request.user, *access.DIRECTORY_EDITORS)
    form = AccountForm(request.POST or None, instance=_detached(account))
    if request.method == "POST":

        def save(data):
            if account is None:
                return services.account_create(actor=request.user, **data)
            return services.account_update(actor=request.user, account=account, **data)

        saved = save_form(form, save)
        if saved is not None:
            messages.success(request, f"Account “{saved.name}” saved.")
            return redirect("customers:account_detail", pk=saved.pk)
    return render(
        request,
        "customers/form.html",
        {
            "form": form,
            "title": f"Edit {account}" if account else "New customer account",
            "back": request.GET.get("next", ""),
        },
    )


@login_required
def contact_edit(request: HttpRequest, account_pk: int, pk: int | None = None) -> HttpResponse:
    account = selectors.account_get(request.user, account_pk)
    contact = selectors.contact_get(request.user, pk) if pk else None
    if contact is not None and contact.account_id != account.pk:
        return redirect("customers:contact_edit", account_pk=contact.account_id, pk=contact.pk)
    access.require_role(request.user, *access.DIRECTORY_EDITORS)
    form = ContactForm(request.POST or None, instance=_detached(contact))
    if request.method == "POST":

        def save(data):
            if contact is None:
                return services.contact_create(actor=request.user, account=account, **data)
            return services.contact_update(actor=request.user, contact=contact, **data)

        if save_form(form, save) is not None:
            messages.success(request, "Contact saved.")
            return redirect("customers:account_detail", pk=account.pk)
    title = f"Edit contact {contact}" if contact else f"New contact for {account}"
    return render(request, "customers/form.html", {"form": form, "title": title})


# --- sites ---------------------------------------------------------------------------------------


@login_required
def site_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    account_id = id_or_none(request.GET.get("account"))
    qs = selectors.site_list(request.user, q=q, account_id=account_id)
    context = {"q": q, "account": account_id or "", "list_id": "site-list", **paginate(request, qs)}
    return render_list(
        request, page="customers/site_list.html", partial="customers/_site_rows.html", context=context
    )


@login_required
def site_detail(request: HttpRequest, pk: int) -> HttpResponse:
    site = selectors.site_get(request.user, pk)
    context = {
        "site": site,
        "assets": selectors.asset_list(request.user, site_id=site.pk),
        "history": history_for(request.user, site),
        "can_edit": _can_edit(request.user),
        "today": timezone.localdate(),
    }
    return render(request, "customers/site_detail.html", context)


@login_required
def site_edit(request: HttpRequest, account_pk: int | None = None, pk: int | None = None) -> HttpResponse:
    site = selectors.site_get(request.user, pk) if pk else None
    account = site.account if site else selectors.account_get(request.user, account_pk)
    access.require_role(request.user, *access.DIRECTORY_EDITORS)
    form = SiteForm(request.POST or None, instance=_detached(site))
    if request.method == "POST":

        def save(data):
            if site is None:
                return services.site_create(actor=request.user, account=account, **data)
            return services.site_update(actor=request.user, site=site, **data)

        saved = save_form(form, save)
        if saved is not None:
            messages.success(request, f"Site “{saved.name}” saved.")
            return redirect("customers:site_detail", pk=saved.pk)
    title = f"Edit site {site}" if site else f"New site for {account}"
    return render(request, "customers/form.html", {"form": form, "title": title})


# --- assets --------------------------------------------------------------------------------------


@login_required
def asset_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    warranty = request.GET.get("warranty", "")
    qs = selectors.asset_list(
        request.user,
        q=q,
        status=status if status in AssetStatus.values else "",
        warranty=warranty,
        today=timezone.localdate(),
        account_id=id_or_none(request.GET.get("account")),
        site_id=id_or_none(request.GET.get("site")),
    )
    context = {
        "q": q,
        "status": status,
        "warranty": warranty,
        "statuses": AssetStatus.choices,
        "list_id": "asset-list",
        "today": timezone.localdate(),
        **paginate(request, qs),
    }
    return render_list(
        request, page="customers/asset_list.html", partial="customers/_asset_rows.html", context=context
    )


@login_required
def asset_detail(request: HttpRequest, pk: int) -> HttpResponse:
    asset = selectors.asset_get(request.user, pk)
    context = {
        "asset": asset,
        "history": history_for(request.user, asset),
        "can_edit": _can_edit(request.user),
        "today": timezone.localdate(),
    }
    return render(request, "customers/asset_detail.html", context)


@login_required
def asset_edit(request: HttpRequest, account_pk: int | None = None, pk: int | None = None) -> HttpResponse:
    asset = selectors.asset_get(request.user, pk) if pk else None
    account = asset.account if asset else selectors.account_get(request.user, account_pk)
    access.require_role(request.user, *access.DIRECTORY_EDITORS)
    initial = {}
    if asset is None and request.GET.get("site"):
        initial["site"] = id_or_none(request.GET.get("site"))
    form = AssetForm(request.POST or None, instance=_detached(asset), account=account, initial=initial)
    if request.method == "POST":

        def save(data):
            if asset is None:
                return services.asset_create(actor=request.user, account=account, **data)
            return services.asset_update(actor=request.user, asset=asset, **data)

        saved = save_form(form, save)
        if saved is not None:
            messages.success(request, f"Asset {saved} saved.")
            return redirect("customers:asset_detail", pk=saved.pk)
    title = f"Edit asset {asset}" if asset else f"New asset for {account}"
    return render(request, "customers/form.html", {"form": form, "title": title})


# --- CSV import ----------------------------------------------------------------------------------


@login_required
def import_view(request: HttpRequest) -> HttpResponse:
    access.require_role(request.user, *access.DIRECTORY_EDITORS)
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            report = csv_import.import_csv(
                actor=request.user, kind=data["kind"], data=data["file"].read(), dry_run=data["dry_run"]
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            if not report.errors and not data["dry_run"]:
                messages.success(request, f"Imported {report.created} {data['kind']}.")
                return redirect("customers:account_list")
    return render(
        request, "customers/import.html", {"form": form, "report": report, "columns": csv_import.COLUMNS}
    )
