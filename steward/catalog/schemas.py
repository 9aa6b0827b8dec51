from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Schema
from pydantic import Field

from steward.catalog.models import MAX_TARGET_MINUTES, PauseStatus, Priority, TargetKind, TicketType
from steward.core.api_kit import Id
from steward.customers.models import Tier

Minutes = Annotated[int, Field(ge=1, le=MAX_TARGET_MINUTES)]
Offset = Annotated[int, Field(ge=-MAX_TARGET_MINUTES, le=MAX_TARGET_MINUTES)]
Order = Annotated[int, Field(ge=0, le=2**31 - 1)]
Percent = Annotated[int, Field(ge=1, le=100)]
Skill = Annotated[str, Field(min_length=1, max_length=60)]


# --- services ------------------------------------------------------------------------------------


class ServiceOut(Schema):
    id: int
    name: str
    code: str
    category: str
    description: str
    default_priority: Priority
    needs_field_visit: bool
    required_skills: list[str]
    standard_duration_minutes: int
    portal_visible: bool
    is_active: bool
    team_id: int | None = Field(None, description="the team whose queue receives this service's tickets")
    created_at: dt.datetime
    updated_at: dt.datetime


class ServiceIn(Schema):
    name: str = Field(min_length=1, max_length=150)
    code: str = Field(min_length=1, max_length=50, pattern=r"^[-a-zA-Z0-9_]+$")
    category: str = Field(min_length=1, max_length=100)
    description: str = ""
    default_priority: Priority = Priority.P3
    needs_field_visit: bool = False
    required_skills: list[Skill] = Field(default_factory=list, max_length=50)
    standard_duration_minutes: Minutes = 60
    portal_visible: bool = True
    is_active: bool = True
    team_id: Id | None = Field(None, description="the team whose queue receives this service's tickets")


class ServicePatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=150)
    code: str | None = Field(None, min_length=1, max_length=50, pattern=r"^[-a-zA-Z0-9_]+$")
    category: str | None = Field(None, min_length=1, max_length=100)
    description: str | None = None
    default_priority: Priority | None = None
    needs_field_visit: bool | None = None
    required_skills: list[Skill] | None = Field(None, max_length=50)
    standard_duration_minutes: Minutes | None = None
    portal_visible: bool | None = None
    is_active: bool | None = None
    team_id: Id | None = Field(None, description="the receiving team; null clears it")


class ServiceFilters(Schema):
    q: str = ""
    category: str = ""
    active: bool | None = None
    field_visit: bool | None = None
    portal_visible: bool | None = None


# --- SLA policies --------------------------------------------------------------------------------


class SlaTargetIO(Schema):
    priority: Priority
    first_response_minutes: Minutes | None = None
    next_response_minutes: Minutes | None = None
    resolution_minutes: Minutes | None = None
    onsite_minutes: Minutes | None = None


class NotifyUsers(Schema):
    type: Literal["notify_users"]
    user_ids: list[Id] = Field(min_length=1, max_length=50)


class NotifyTeam(Schema):
    type: Literal["notify_team"]
    team_id: Id


class ReassignTeam(Schema):
    type: Literal["reassign_team"]
    team_id: Id


class RaisePriority(Schema):
    type: Literal["raise_priority"]


Action = Annotated[NotifyUsers | NotifyTeam | ReassignTeam | RaisePriority, Field(discriminator="type")]


class EscalationIO(Schema):
    target: TargetKind
    offset_minutes: Offset = Field(description="relative to the deadline: negative before, positive after")
    actions: list[Action] = Field(min_length=1, max_length=20)


class SlaPolicyOut(Schema):
    id: int
    name: str
    description: str
    order: int
    is_active: bool
    calendar_id: Id | None
    pause_statuses: list[PauseStatus]
    warning_percent: int
    customer_account_ids: list[Id]
    tiers: list[Tier]
    service_ids: list[Id]
    ticket_types: list[TicketType]
    priorities: list[Priority]
    via_contract: bool
    is_fallback: bool
    targets: list[SlaTargetIO]
    escalations: list[EscalationIO]
    updated_at: dt.datetime

    @staticmethod
    def resolve_customer_account_ids(obj) -> list[int]:
        return sorted(a.pk for a in obj.customer_accounts.all())

    @staticmethod
    def resolve_service_ids(obj) -> list[int]:
        return sorted(s.pk for s in obj.services.all())

    @staticmethod
    def resolve_is_fallback(obj) -> bool:
        from steward.catalog.selectors import policy_rule

        return policy_rule(obj).is_fallback

    @staticmethod
    def resolve_targets(obj) -> list:
        return list(obj.targets.all())

    @staticmethod
    def resolve_escalations(obj) -> list:
        return list(obj.escalations.all())


class SlaPolicyIn(Schema):
    name: str = Field(min_length=1, max_length=120)
    description: str = ""
    order: Order
    is_active: bool = True
    calendar_id: Id | None = Field(None, description="business hours; null = 24/7")
    pause_statuses: list[PauseStatus] = Field(default_factory=list, max_length=4)
    warning_percent: Percent = 80
    customer_account_ids: list[Id] = Field(default_factory=list, max_length=1000)
    tiers: list[Tier] = Field(default_factory=list, max_length=4)
    service_ids: list[Id] = Field(default_factory=list, max_length=1000)
    ticket_types: list[TicketType] = Field(default_factory=list, max_length=4)
    priorities: list[Priority] = Field(default_factory=list, max_length=4)
    via_contract: bool = False
    targets: list[SlaTargetIO] = Field(default_factory=list, max_length=4)
    escalations: list[EscalationIO] = Field(default_factory=list, max_length=50)


class SlaPolicyPatch(Schema):
    """Fields given replace the old values; `targets` and `escalations` replace all rows."""

    name: str | None = Field(None, min_length=1, max_length=120)
    description: str | None = None
    order: Order | None = None
    is_active: bool | None = None
    calendar_id: Id | None = None
    pause_statuses: list[PauseStatus] | None = Field(None, max_length=4)
    warning_percent: Percent | None = None
    customer_account_ids: list[Id] | None = Field(None, max_length=1000)
    tiers: list[Tier] | None = Field(None, max_length=4)
    service_ids: list[Id] | None = Field(None, max_length=1000)
    ticket_types: list[TicketType] | None = Field(None, max_length=4)
    priorities: list[Priority] | None = Field(None, max_length=4)
    via_contract: bool | None = None
    targets: list[SlaTargetIO] | None = Field(None, max_length=4)
    escalations: list[EscalationIO] | None = Field(None, max_length=50)


class PolicyMatchOut(Schema):
    policy_id: int | None
    policy_name: str | None


# --- contracts -----------------------------------------------------------------------------------


class ContractOut(Schema):
    id: int
    account_id: Id
    policy_id: Id
    policy_name: str
    service_ids: list[Id]
    reference: str
    valid_from: dt.date
    valid_to: dt.date | None
    notes: str
    updated_at: dt.datetime

    @staticmethod
    def resolve_policy_name(obj) -> str:
        return obj.policy.name

    @staticmethod
    def resolve_service_ids(obj) -> list[int]:
        return sorted(s.pk for s in obj.services.all())


class ContractIn(Schema):
    account_id: Id
    policy_id: Id
    service_ids: list[Id] = Field(default_factory=list, max_length=1000, description="empty = all services")
    reference: str = Field(min_length=1, max_length=60)
    valid_from: dt.date
    valid_to: dt.date | None = None
    notes: str = ""


class ContractPatch(Schema):
    policy_id: Id | None = None
    service_ids: list[Id] | None = Field(None, max_length=1000)
    reference: str | None = Field(None, min_length=1, max_length=60)
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    notes: str | None = None
