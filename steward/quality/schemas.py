from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Schema
from pydantic import Field

from steward.core.api_kit import Id
from steward.quality import scores


class SurveyResponseOut(Schema):
    id: int
    survey_id: int
    ticket_id: int
    ticket_number: str
    account_id: int
    agent_id: int | None
    team_id: int | None
    service_id: int | None
    csat: int | None = Field(description="1 (very dissatisfied) to 5 (very satisfied)")
    nps: int | None = Field(description="likelihood to recommend, 0 to 10")
    nps_band: Literal["promoter", "passive", "detractor"] | None
    comment: str
    answered_at: dt.datetime

    @staticmethod
    def resolve_ticket_number(obj) -> str:
        return obj.ticket.number

    @staticmethod
    def resolve_nps_band(obj) -> str | None:
        return scores.nps_band(obj.nps) if obj.nps is not None else None


class SurveyResponseFilters(Schema):
    team_id: Id | None = None
    agent_id: Id | None = None
    service_id: Id | None = None
    account_id: Id | None = None
    csat: int | None = Field(None, ge=scores.CSAT_MIN, le=scores.CSAT_MAX)
    nps_band: Literal["promoter", "passive", "detractor"] | None = None
    answered_from: dt.date | None = Field(None, description="local calendar day, inclusive")
    answered_to: dt.date | None = Field(None, description="local calendar day, inclusive")


class SurveySummaryOut(Schema):
    responses: int
    csat_answered: int
    csat_satisfied: int = Field(description="CSAT answers of 4 or 5")
    csat_percent: float | None = Field(
        description="share of 4 and 5 among CSAT answers; null without answers"
    )
    nps_answered: int
    promoters: int = Field(description="NPS answers of 9 or 10")
    detractors: int = Field(description="NPS answers of 0 to 6")
    nps: float | None = Field(description="percent promoters minus percent detractors; null without answers")
