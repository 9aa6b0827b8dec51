"""Account pages: sign-in, profile with API tokens, teams, and user administration."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from steward.accounts import selectors, services
from steward.accounts.models import CustomerRole, Role, User
from steward.core import access
from steward.core.errors import DomainError
from steward.core.models import Calendar
from steward.core.selectors import history_for
from steward.core.views_kit import apply_domain_error, paginate, render_list

login = auth_views.LoginView.as_view(redirect_authenticated_user=True)
logout = auth_views.LogoutView.as_view()


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="what the token is for, e.g. 'monitoring script'")
    expires_in_days = forms.IntegerField(
        min_value=1, max_value=3650, required=False, help_text="empty: never"
    )


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    created_token = None
    form = TokenForm()
    if request.method == "POST":
        form = TokenForm(request.POST)
        if form.is_valid():
            try:
                _token, created_token = services.token_create(actor=request.user, **form.cleaned_data)
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                form = TokenForm()
    context = {"form": form, "tokens": selectors.tokens_of(request.user), "created_token": created_token}
    return render(request, "accounts/profile.html", context)


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = selectors.token_get(request.user, pk)
    services.token_revoke(actor=request.user, token=token)
    messages.success(request, f"Token “{token.name}” revoked.")
    return redirect("accounts:profile")


# --- teams ---------------------------------------------------------------------------------------


class TeamForm(forms.Form):
    name = forms.CharField(max_length=100)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    email = forms.EmailField(required=False, help_text="inbound address for this queue")
    calendar = forms.ModelChoiceField(Calendar.objects.all(), required=False)
    members = forms.ModelMultipleChoiceField(
        User.objects.filter(customer_account__isnull=True, is_active=True),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 10}),
    )


@login_required
def team_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    context = {"q": q, "list_id": "team-list", **paginate(request, selectors.team_list(request.user, q=q))}
    context["can_edit"] = request.user.has_role(*access.TEAM_EDITORS)
    return render_list(
        request, page="accounts/team_list.html", partial="accounts/_team_rows.html", context=context
    )


@login_required
def team_detail(request: HttpRequest, pk: int) -> HttpResponse:
    team = selectors.team_get(request.user, pk)
    context = {
        "team": team,
        "memberships": team.memberships.select_related("user").order_by("-is_lead", "user__full_name"),
        "history": history_for(request.user, team),
        "can_edit": request.user.has_role(*access.TEAM_EDITORS),
    }
    return render(request, "accounts/team_detail.html", context)


@login_required
def team_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    team = selectors.team_get(request.user, pk) if pk else None
    access.require_role(request.user, *access.TEAM_EDITORS)
    if request.method == "POST":
        form = TeamForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            members = list(data.pop("members"))
            try:
                if team is None:
                    team = services.team_create(actor=request.user, members=members, **data)
                else:
                    leads = [m.user for m in team.memberships.filter(is_lead=True).select_related("user")]
                    services.team_update(actor=request.user, team=team, members=members, leads=leads, **data)
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, f"Team “{team.name}” saved.")
                return redirect("accounts:team_detail", pk=team.pk)
    else:
        initial = {}
        if team is not None:
            initial = {
                "name": team.name,
                "description": team.description,
                "email": team.email,
                "calendar": team.calendar_id,
                "members": [m.user_id for m in team.memberships.all()],
            }
        form = TeamForm(initial=initial)
    return render(request, "accounts/team_form.html", {"form": form, "team": team})


# --- users (admin) -------------------------------------------------------------------------------


class UserCreateForm(forms.Form):
    email = forms.EmailField()
    full_name = forms.CharField(max_length=150)
    phone = forms.CharField(max_length=40, required=False)
    password = forms.CharField(
        widget=forms.PasswordInput, required=False, help_text="empty: the user cannot sign in yet"
    )
    roles = forms.MultipleChoiceField(
        choices=Role.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    customer_account = forms.IntegerField(
        required=False, label="Customer account id", help_text="for customer users only"
    )
    customer_role = forms.ChoiceField(choices=[("", "—"), *CustomerRole.choices], required=False)


class UserEditForm(forms.Form):
    full_name = forms.CharField(max_length=150)
    phone = forms.CharField(max_length=40, required=False)
    is_active = forms.BooleanField(required=False)
    roles = forms.MultipleChoiceField(
        choices=Role.choices, required=False, widget=forms.CheckboxSelectMultiple
    )


@login_required
def user_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    role = request.GET.get("role", "")
    kind = request.GET.get("kind", "")
    qs = selectors.user_list(request.user, q=q, role=role, kind=kind)
    context = {
        "q": q,
        "role": role,
        "kind": kind,
        "roles": Role.choices,
        "list_id": "user-list",
        **paginate(request, qs),
    }
    return render_list(
        request, page="accounts/user_list.html", partial="accounts/_user_rows.html", context=context
    )


@login_required
def user_create(request: HttpRequest) -> HttpResponse:
    access.require_role(request.user, *access.USER_ADMINS)
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        account = None
        if data["customer_account"]:
            from steward.customers.models import CustomerAccount

            account = CustomerAccount.objects.filter(pk=data["customer_account"]).first()
            if account is None:
                form.add_error("customer_account", "no such customer account")
        if not form.errors:
            try:
                user = services.user_create(
                    actor=request.user,
                    email=data["email"],
                    full_name=data["full_name"],
                    phone=data["phone"],
                    password=data["password"] or None,
                    roles=data["roles"],
                    customer_account=account,
                    customer_role=data["customer_role"],
                )
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, f"User {user.email} created.")
                return redirect("accounts:user_edit", pk=user.pk)
    return render(request, "accounts/user_form.html", {"form": form, "target": None})


@login_required
def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    target = selectors.user_get(request.user, pk)
    if request.method == "POST":
        form = UserEditForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            roles = data.pop("roles") if not target.is_customer else None
            try:
                services.user_update(actor=request.user, user=target, roles=roles, **data)
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, f"User {target.email} saved.")
                return redirect("accounts:user_edit", pk=target.pk)
    else:
        form = UserEditForm(
            initial={
                "full_name": target.full_name,
                "phone": target.phone,
                "is_active": target.is_active,
                "roles": sorted(target.roles),
            }
        )
    if target.is_customer:
        del form.fields["roles"]
    return render(
        request,
        "accounts/user_form.html",
        {"form": form, "target": target, "history": history_for(request.user, target)},
    )
