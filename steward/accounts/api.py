"""Users, teams, tokens and the current user."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Status

from steward.accounts import selectors, services
from steward.accounts.models import User
from steward.accounts.schemas import (
    MeOut,
    TeamIn,
    TeamOut,
    TeamPatch,
    TokenCreated,
    TokenIn,
    TokenOut,
    UserIn,
    UserOut,
    UserPatch,
)
from steward.core import access
from steward.core.api_kit import ERRORS, Id, Page, PageParams, paginate
from steward.core.errors import NotFound, ValidationFailed
from steward.core.selectors import calendar_get

router = Router(tags=["accounts"])


@router.get("/me", response={200: MeOut, **ERRORS})
def me(request: HttpRequest):
    user = request.user
    return {
        "id": user.pk,
        "email": user.email,
        "full_name": user.full_name,
        "roles": sorted(user.roles),
        "customer_account_id": user.customer_account_id,
        "customer_role": user.customer_role,
        "teams": sorted(user.memberships.values_list("team_id", flat=True)),
    }


# --- users (admins) ------------------------------------------------------------------------------


@router.get("/users", response={200: Page[UserOut], **ERRORS})
def list_users(request: HttpRequest, page: Query[PageParams], q: str = "", role: str = "", kind: str = ""):
    return paginate(selectors.user_list(request.user, q=q, role=role, kind=kind), page)


@router.post("/users", response={201: UserOut, **ERRORS})
def create_user(request: HttpRequest, payload: UserIn):
    access.require_role(request.user, *access.USER_ADMINS)
    data = payload.dict()
    account = None
    if data["customer_account_id"] is not None:
        from steward.customers.selectors import account_get

        try:
            account = account_get(request.user, data["customer_account_id"])
        except NotFound:
            raise ValidationFailed.for_field("customer_account_id", "no such customer account") from None
    user = services.user_create(
        actor=request.user,
        email=data["email"],
        full_name=data["full_name"],
        password=data["password"],
        phone=data["phone"],
        roles=data["roles"],
        customer_account=account,
        customer_role=data["customer_role"] or "",
    )
    return Status(201, selectors.user_get(request.user, user.pk))


@router.get("/users/{user_id}", response={200: UserOut, **ERRORS})
def get_user(request: HttpRequest, user_id: Id):
    return selectors.user_get(request.user, user_id)


@router.patch("/users/{user_id}", response={200: UserOut, **ERRORS})
def update_user(request: HttpRequest, user_id: Id, payload: UserPatch):
    target = selectors.user_get(request.user, user_id)
    services.user_update(actor=request.user, user=target, **payload.dict(exclude_unset=True))
    return selectors.user_get(request.user, user_id)


# --- teams ---------------------------------------------------------------------------------------


def _members(ids: list[int]) -> list[User]:
    users = list(User.objects.filter(pk__in=ids, customer_account__isnull=True))
    missing = sorted(set(ids) - {u.pk for u in users})
    if missing:
        raise ValidationFailed.for_field("member_ids", f"no such staff user: {missing[0]}")
    return users


def _calendar(user, calendar_id: Id | None):
    if calendar_id is None:
        return None
    try:
        return calendar_get(user, calendar_id)
    except NotFound:
        raise ValidationFailed.for_field("calendar_id", f"no such calendar: {calendar_id}") from None


@router.get("/teams", response={200: Page[TeamOut], **ERRORS})
def list_teams(request: HttpRequest, page: Query[PageParams], q: str = ""):
    return paginate(selectors.team_list(request.user, q=q).prefetch_related("memberships"), page)


@router.post("/teams", response={201: TeamOut, **ERRORS})
def create_team(request: HttpRequest, payload: TeamIn):
    access.require_role(request.user, *access.TEAM_EDITORS)
    data = payload.dict()
    members = _members(data["member_ids"])
    leads = [u for u in members if u.pk in set(data["lead_ids"])]
    team = services.team_create(
        actor=request.user,
        name=data["name"],
        description=data["description"],
        email=data["email"],
        calendar=_calendar(request.user, data["calendar_id"]),
        members=members,
        leads=leads,
    )
    return Status(201, selectors.team_get(request.user, team.pk))


@router.get("/teams/{team_id}", response={200: TeamOut, **ERRORS})
def get_team(request: HttpRequest, team_id: Id):
    return selectors.team_get(request.user, team_id)


@router.patch("/teams/{team_id}", response={200: TeamOut, **ERRORS})
def update_team(request: HttpRequest, team_id: Id, payload: TeamPatch):
    team = selectors.team_get(request.user, team_id)
    access.require_role(request.user, *access.TEAM_EDITORS)
    changes = payload.dict(exclude_unset=True)
    member_ids = changes.pop("member_ids", None)
    lead_ids = changes.pop("lead_ids", None) or []
    if "calendar_id" in changes:
        changes["calendar"] = _calendar(request.user, changes.pop("calendar_id"))
    if member_ids is not None:
        members = _members(member_ids)
        changes["members"] = members
        changes["leads"] = [u for u in members if u.pk in set(lead_ids)]
    services.team_update(actor=request.user, team=team, **changes)
    return selectors.team_get(request.user, team_id)


# --- API tokens (each user's own) ----------------------------------------------------------------


@router.get("/tokens", response={200: Page[TokenOut], **ERRORS})
def list_tokens(request: HttpRequest, page: Query[PageParams]):
    return paginate(selectors.tokens_of(request.user), page)


@router.post("/tokens", response={201: TokenCreated, **ERRORS})
def create_token(request: HttpRequest, payload: TokenIn):
    token, full = services.token_create(actor=request.user, **payload.dict())
    token.token = full
    return Status(201, token)


@router.post("/tokens/{token_id}/revoke", response={200: TokenOut, **ERRORS})
def revoke_token(request: HttpRequest, token_id: Id):
    token = selectors.token_get(request.user, token_id)
    return services.token_revoke(actor=request.user, token=token)
