"""Quality endpoints: survey responses (read-only; answers arrive through the signed link).

Scope (quality.selectors): desk staff see every response, a customer admin their account's;
requesters and technicians get 403 for the lists and 404 for a single response."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router

from steward.core.api_kit import ERRORS, Id, Page, PageParams, paginate
from steward.quality import selectors
from steward.quality.schemas import SurveyResponseFilters, SurveyResponseOut, SurveySummaryOut

router = Router(tags=["quality"])


def _filtered(request: HttpRequest, filters: SurveyResponseFilters):
    return selectors.response_list(
        request.user,
        team_id=filters.team_id,
        agent_id=filters.agent_id,
        service_id=filters.service_id,
        account_id=filters.account_id,
        csat=filters.csat,
        nps_band=filters.nps_band or "",
        answered_from=filters.answered_from,
        answered_to=filters.answered_to,
    )


@router.get("/survey-responses", response={200: Page[SurveyResponseOut], **ERRORS})
def list_survey_responses(
    request: HttpRequest, filters: Query[SurveyResponseFilters], page: Query[PageParams]
):
    """Survey responses, newest first, with filters."""
    return paginate(_filtered(request, filters), page)


@router.get("/survey-responses/summary", response={200: SurveySummaryOut, **ERRORS})
def survey_summary(request: HttpRequest, filters: Query[SurveyResponseFilters]):
    """CSAT and NPS of the responses the same filters select."""
    return selectors.response_summary(_filtered(request, filters))


@router.get("/survey-responses/{response_id}", response={200: SurveyResponseOut, **ERRORS})
def get_survey_response(request: HttpRequest, response_id: Id):
    return selectors.response_get(request.user, response_id)
