from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Schema
from pydantic import AwareDatetime, Field

from steward.catalog.models import Priority
from steward.core.api_kit import Id
from steward.field.models import AbsenceKind, IntervalUnit, StartFrom, WindowKind

Skills = list[str]


class SkillOut(Schema):
    skill: str
    level: int
    certified_until: dt.date | None
    valid: bool


class TechnicianOut(Schema):
    id: int
    user_id: int
    name: str
    email: str
    home_address: str
    home_latitude: Decimal | None
    home_longitude: Decimal | None
    depot_id: int | None
    starts_from: StartFrom
    timezone: str
    hourly_cost: Decimal
    van_id: int | None
    lunch_minutes: int
    lunch_window_start: dt.time
    lunch_window_end: dt.time
    max_overtime_minutes: int
    overtime_cost_factor: Decimal
    is_active: bool
    skills: list[SkillOut] = []

    @staticmethod
    def resolve_name(obj) -> str:
        return obj.user.full_name

    @staticmethod
    def resolve_email(obj) -> str:
        return obj.user.email

    @staticmethod
    def resolve_skills(obj) -> list[dict]:
        from steward.field.selectors import skills_with_state

        return skills_with_state(obj, dt.date.today())


class IntervalOut(Schema):
    start: dt.datetime
    end: dt.datetime


class AvailabilityOut(Schema):
    technician_id: int
    day: dt.date
    intervals: list[IntervalOut]
    skills: dict[str, int]


class ShiftOut(Schema):
    id: int
    technician_id: int
    weekday: int
    start: dt.time
    end: dt.time
    valid_from: dt.date | None
    valid_until: dt.date | None


class ShiftIn(Schema):
    technician_id: Id
    weekday: int = Field(ge=0, le=6, description="0 = Monday")
    start: dt.time
    end: dt.time
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None


class ShiftPatch(Schema):
    weekday: int | None = Field(None, ge=0, le=6)
    start: dt.time | None = None
    end: dt.time | None = None
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None


class AbsenceOut(Schema):
    id: int
    technician_id: int
    kind: AbsenceKind
    starts_at: dt.datetime
    ends_at: dt.datetime
    note: str


class AbsenceIn(Schema):
    technician_id: Id
    kind: AbsenceKind = AbsenceKind.LEAVE
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    note: str = Field("", max_length=200)


class AbsencePatch(Schema):
    kind: AbsenceKind | None = None
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    note: str | None = Field(None, max_length=200)


class WorkOrderOut(Schema):
    id: int
    number: str
    origin: str
    ticket_id: int | None
    maintenance_plan_id: int | None
    maintenance_due: dt.date | None
    follow_up_of_id: int | None
    account_id: int
    site_id: int
    asset_id: int | None
    service_id: int | None
    title: str
    description: str
    required_skills: Skills
    duration_minutes: int
    priority: Priority
    window_kind: str
    window_start: dt.datetime | None
    window_end: dt.datetime | None
    sla_deadline: dt.datetime | None
    pinned_technician_id: int | None
    pinned_start: dt.datetime | None
    status: str
    technician_id: int | None
    scheduled_start: dt.datetime | None
    scheduled_end: dt.datetime | None
    planned_travel_seconds: int | None
    planned_travel_meters: int | None
    scheduled_at: dt.datetime | None
    dispatched_at: dt.datetime | None
    en_route_at: dt.datetime | None
    on_site_at: dt.datetime | None
    finished_at: dt.datetime | None
    completion_notes: str
    incomplete_reason: str
    cancel_reason: str
    signed_by: str
    has_signature: bool
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_has_signature(obj) -> bool:
        return bool(obj.signature)


class WorkOrderIn(Schema):
    account_id: Id | None = Field(None, description="default: the ticket's account")
    ticket_id: Id | None = Field(None, description="create from this field-service ticket")
    site_id: Id | None = None
    asset_id: Id | None = None
    service_id: Id | None = None
    title: str | None = Field(None, min_length=1, max_length=200)
    description: str = ""
    required_skills: Skills | None = None
    duration_minutes: int | None = Field(None, ge=5, le=24 * 60)
    priority: Priority | None = None
    window_kind: WindowKind | None = None
    window_start: AwareDatetime | None = None
    window_end: AwareDatetime | None = None
    pinned_technician_id: Id | None = None
    pinned_start: AwareDatetime | None = None


class WorkOrderPatch(Schema):
    site_id: Id | None = None
    asset_id: Id | None = None
    title: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = None
    required_skills: Skills | None = None
    duration_minutes: int | None = Field(None, ge=5, le=24 * 60)
    priority: Priority | None = None
    window_kind: WindowKind | None = None
    window_start: AwareDatetime | None = None
    window_end: AwareDatetime | None = None
    pinned_technician_id: Id | None = None
    pinned_start: AwareDatetime | None = None


class WorkOrderFilters(Schema):
    status: str = ""
    technician: str = ""
    account: Id | None = None
    priority: Priority | None = None
    origin: str = ""
    ticket: Id | None = None
    q: str = ""
    day: dt.date | None = None


class ScheduleIn(Schema):
    technician_id: Id
    start: AwareDatetime
    end: AwareDatetime | None = None
    travel_seconds: int | None = Field(None, ge=0)
    travel_meters: int | None = Field(None, ge=0)


class WorkOrderMoveIn(Schema):
    note: str = Field("", max_length=4000)
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)


class ReasonIn(Schema):
    reason: str = Field(min_length=1, max_length=200)
    note: str = Field("", max_length=4000)
    follow_up: bool = True


class CompleteIn(Schema):
    notes: str = Field(min_length=1, max_length=10000)
    signature_png_base64: str | None = Field(None, description="the customer's signature, a PNG, base64")
    signed_by: str = Field("", max_length=150)
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)


class WorkOrderEventOut(Schema):
    at: dt.datetime
    actor_id: int | None
    from_status: str
    to_status: str
    note: str


class PhotoOut(Schema):
    id: int
    original_name: str
    content_type: str
    size: int
    caption: str
    uploaded_at: dt.datetime


class MaintenancePlanOut(Schema):
    id: int
    account_id: int
    site_id: int
    asset_id: int | None
    service_id: int | None
    title: str
    interval_count: int
    interval_unit: IntervalUnit
    first_due: dt.date
    horizon_days: int
    duration_minutes: int
    required_skills: Skills
    priority: Priority
    window_days_before: int
    generated_until: dt.date | None
    is_active: bool


class MaintenancePlanIn(Schema):
    account_id: Id
    site_id: Id
    asset_id: Id | None = None
    service_id: Id | None = None
    title: str = Field(min_length=1, max_length=200)
    interval_count: int = Field(ge=1, le=1000)
    interval_unit: IntervalUnit = IntervalUnit.MONTHS
    first_due: dt.date
    horizon_days: int = Field(30, ge=1, le=366)
    duration_minutes: int = Field(60, ge=5, le=24 * 60)
    required_skills: Skills = []
    priority: Priority = Priority.P3
    window_days_before: int = Field(3, ge=0, le=90)
    is_active: bool = True


class PlanPatch(Schema):
    title: str | None = Field(None, min_length=1, max_length=200)
    interval_count: int | None = Field(None, ge=1, le=1000)
    interval_unit: IntervalUnit | None = None
    first_due: dt.date | None = None
    horizon_days: int | None = Field(None, ge=1, le=366)
    duration_minutes: int | None = Field(None, ge=5, le=24 * 60)
    required_skills: Skills | None = None
    priority: Priority | None = None
    window_days_before: int | None = Field(None, ge=0, le=90)
    is_active: bool | None = None
