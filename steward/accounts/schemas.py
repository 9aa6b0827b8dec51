from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import Field

from steward.accounts.models import CustomerRole, Role
from steward.core.api_kit import Id


class MeOut(Schema):
    id: int
    email: str
    full_name: str
    roles: list[str]
    customer_account_id: Id | None
    customer_role: str
    teams: list[int]


class UserOut(Schema):
    id: int
    email: str
    full_name: str
    phone: str
    is_active: bool
    roles: list[str]
    customer_account_id: Id | None
    customer_role: str

    @staticmethod
    def resolve_roles(obj) -> list[str]:
        return sorted(g.role for g in obj.role_grants.all())


class UserIn(Schema):
    email: str = Field(min_length=3, max_length=254)
    full_name: str = Field(min_length=1, max_length=150)
    password: str | None = Field(None, max_length=128)
    phone: str = Field("", max_length=40)
    roles: list[Role] = []
    customer_account_id: Id | None = None
    customer_role: CustomerRole | None = None


class UserPatch(Schema):
    full_name: str | None = Field(None, min_length=1, max_length=150)
    phone: str | None = Field(None, max_length=40)
    is_active: bool | None = None
    roles: list[Role] | None = None


class TeamOut(Schema):
    id: int
    name: str
    description: str
    email: str
    calendar_id: Id | None
    member_ids: list[Id]

    @staticmethod
    def resolve_member_ids(obj) -> list[int]:
        return sorted(m.user_id for m in obj.memberships.all())


class TeamIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    description: str = ""
    email: str = Field("", max_length=254)
    calendar_id: Id | None = None
    member_ids: list[Id] = []
    lead_ids: list[Id] = []


class TeamPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=100)
    description: str | None = None
    email: str | None = Field(None, max_length=254)
    calendar_id: Id | None = None
    member_ids: list[Id] | None = None
    lead_ids: list[Id] | None = None


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None


class TokenIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    expires_in_days: int | None = Field(None, ge=1, le=3650)


class TokenCreated(TokenOut):
    token: str = Field(description="the full token; shown only in this response")
