"""Catalog pages: thin views over catalog.selectors and catalog.services."""

from __future__ import annotations

import copy
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from steward.catalog import selectors, services
from steward.catalog.forms import ContractForm, ServiceForm, SlaPolicyForm, TargetGridForm
from steward.catalog.models import Priority, TargetKind
from steward.core import access
from steward.core.errors import DomainError
from steward.core.selectors import history_for
from steward.core.views_kit import apply_domain_error, id_or_none, paginate, render_list


def _can_edit(user: Any) -> bool:
    return access.is_staff(user) and user.has_role(*services.CATALOG_EDITORS)


def _detached(obj: Any) -> Any:
    """A copy for the ModelForm, so the service sees the object as it was (to audit the change)."""
    return copy.copy(obj) if obj is not None else None


def _flag(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


# --- services ------------------------------------------------------------------------------------


@login_required
def service_list(request: HttpRequest) -> HttpResponse:
    """The catalogue: every service for staff; the portal-visible ones for customers."""
    user = request.user
    q = request.GET.get("q", "").strip()
    category = request.GET.get("category", "")
    staff = access.is_staff(user)
    qs = selectors.service_list(
        user,
        q=q,
        category=category,
        active=_flag(request.GET.get("active")) if staff else None,
        field_visit=_flag(request.GET.get("field_visit")),
    )
    context = {
        "q": q,
        "category": category,
        "categories": selectors.service_categories(user),
        "active": request.GET.get("active", ""),
        "field_visit": request.GET.get("field_visit", ""),
        "is_staff": staff,
        "can_edit": _can_edit(user),
        "list_id": "service-list",
        **paginate(request, qs),
    }
    return render_list(
        request, page="catalog/service_list.html", partial="catalog/_service_rows.html", context=context
    )


@login_required
def service_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    service = selectors.service_get(user, pk)
    staff = access.is_staff(user)
    context = {
        "service": service,
        "is_staff": staff,
        "policies": selectors.policy_list(user).filter(services=service) if staff else [],
        "history": history_for(user, service),
        "can_edit": _can_edit(user),
    }
    return render(request, "catalog/service_detail.html", context)


@login_required
def service_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    service = selectors.service_get(request.user, pk) if pk else None
    access.require_role(request.user, *services.CATALOG_EDITORS)
    form = ServiceForm(request.POST or None, instance=_detached(service))
    if request.method == "POST" and form.is_valid():
        try:
            if service is None:
                service = services.service_create(actor=request.user, **form.cleaned_data)
            else:
                services.service_update(actor=request.user, service=service, **form.cleaned_data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, f"Service “{service.name}” saved.")
            return redirect("catalog:service_detail", pk=service.pk)
    title = f"Edit {service}" if service else "New service"
    return render(request, "catalog/form.html", {"form": form, "title": title, "tab": "services"})


# --- SLA policies --------------------------------------------------------------------------------


def _target_table(policy) -> list[tuple[str, list[int | None]]]:
    by_priority = {t.priority: t for t in policy.targets.all()}
    return [
        (label, [by_priority[p].minutes(k) if p in by_priority else None for k in TargetKind.values])
        for p, label in Priority.choices
    ]


@login_required
def policy_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    qs = selectors.policy_list(request.user, q=q, active=_flag(request.GET.get("active")))
    context = {
        "q": q,
        "active": request.GET.get("active", ""),
        "can_edit": _can_edit(request.user),
        "list_id": "policy-list",
        **paginate(request, qs),
    }
    context["rows"] = [(p, selectors.policy_conditions(p)) for p in context["page_obj"]]
    return render_list(
        request, page="catalog/policy_list.html", partial="catalog/_policy_rows.html", context=context
    )


@login_required
def policy_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    policy = selectors.policy_get(user, pk)
    context = {
        "policy": policy,
        "conditions": selectors.policy_conditions(policy),
        "is_fallback": selectors.policy_rule(policy).is_fallback,
        "kinds": TargetKind.choices,
        "target_table": _target_table(policy),
        "escalations": selectors.escalation_rows(user, policy),
        "contracts": selectors.contract_list(user, policy_id=policy.pk)[:20],
        "contract_count": selectors.contract_list(user, policy_id=policy.pk).count(),
        "history": history_for(user, policy),
        "can_edit": _can_edit(user),
    }
    return render(request, "catalog/policy_detail.html", context)


def _apply_policy_error(form: forms.Form, grid: forms.Form, exc: DomainError) -> None:
    """Nested errors (`targets.0.resolution_minutes`, `escalations.1.actions`) go to the grid and the
    escalations box; the rest to the field they name."""
    rest: dict[str, list[str]] = {}
    for name, msgs in exc.fields.items():
        root = name.split(".", 1)[0]
        if root == "targets":
            for m in msgs:
                grid.add_error(None, f"{name}: {m}")
        elif root == "escalations" and name != "escalations":
            for m in msgs:
                form.add_error("escalations", f"{name}: {m}")
        else:
            rest[name] = msgs
    if rest or not exc.fields:
        apply_domain_error(form, DomainError(exc.message, fields=rest))


@login_required
def policy_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user = request.user
    policy = selectors.policy_get(user, pk) if pk else None
    access.require_role(user, *services.CATALOG_EDITORS)
    if request.method == "POST":
        form = SlaPolicyForm(request.POST, user=user)
        grid = TargetGridForm(request.POST, prefix="t")
        if form.is_valid() and grid.is_valid():
            data = dict(form.cleaned_data)
            data["targets"] = grid.targets()
            try:
                if policy is None:
                    policy = services.sla_policy_create(actor=user, **data)
                else:
                    services.sla_policy_update(actor=user, policy=policy, **data)
            except DomainError as exc:
                _apply_policy_error(form, grid, exc)
            else:
                messages.success(request, f"SLA policy “{policy.name}” saved.")
                return redirect("catalog:policy_detail", pk=policy.pk)
    else:
        form = SlaPolicyForm(initial=SlaPolicyForm.initial_for(policy), user=user)
        grid = TargetGridForm(initial=TargetGridForm.initial_for(policy), prefix="t")
    context = {
        "form": form,
        "grid": grid,
        "kinds": TargetKind.choices,
        "policy": policy,
        "title": f"Edit {policy}" if policy else "New SLA policy",
    }
    return render(request, "catalog/policy_form.html", context)


# --- contracts -----------------------------------------------------------------------------------


@login_required
def contract_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    account_id = id_or_none(request.GET.get("account"))
    policy_id = id_or_none(request.GET.get("policy"))
    qs = selectors.contract_list(request.user, q=q, account_id=account_id, policy_id=policy_id)
    context = {
        "q": q,
        "account": account_id or "",
        "policy": policy_id or "",
        "can_edit": _can_edit(request.user),
        "is_staff": access.is_staff(request.user),
        "list_id": "contract-list",
        **paginate(request, qs),
    }
    return render_list(
        request, page="catalog/contract_list.html", partial="catalog/_contract_rows.html", context=context
    )


@login_required
def contract_detail(request: HttpRequest, pk: int) -> HttpResponse:
    from django.utils import timezone

    contract = selectors.contract_get(request.user, pk)
    context = {
        "contract": contract,
        "services": list(contract.services.all()),
        "valid_today": contract.is_valid_on(timezone.localdate()),
        "is_staff": access.is_staff(request.user),
        "history": history_for(request.user, contract),
        "can_edit": _can_edit(request.user),
    }
    return render(request, "catalog/contract_detail.html", context)


@login_required
def contract_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user = request.user
    contract = selectors.contract_get(user, pk) if pk else None
    access.require_role(user, *services.CATALOG_EDITORS)
    initial = {}
    if contract is None and request.GET.get("account"):
        initial["account"] = id_or_none(request.GET.get("account"))
    form = ContractForm(request.POST or None, instance=_detached(contract), user=user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        account = data.pop("account")
        try:
            if contract is None:
                contract = services.contract_create(actor=user, account=account, **data)
            else:
                services.contract_update(actor=user, contract=contract, **data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, f"Contract {contract.reference} saved.")
            return redirect("catalog:contract_detail", pk=contract.pk)
    title = f"Edit contract {contract}" if contract else "New contract"
    return render(request, "catalog/form.html", {"form": form, "title": title, "tab": "contracts"})
