"""Reads of the quality app, scoped by who asks (DESIGN.md, Isolation).

Survey responses:

* Staff with a desk role (admin, manager, dispatcher, agent) see every response: they are the
  desk's feedback.
* A customer admin sees the responses of their own account (their organisation's feedback).
* A requester gets 403 for the list and 404 for any one response: what they answered was
  their say about the staff who served them, given without signing in; reading the account's
  feedback is their customer admin's business. Technicians get the same: tickets are desk
  work, their own feedback comes with field service (work orders).

The answer page itself is reached by a signed link, not by a user: `survey_for_token`.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from steward.core import access
from steward.core.errors import Forbidden, NotFound, ValidationFailed
from steward.quality import links, scores
from steward.quality.models import Survey, SurveyResponse

# Who works with the full list of survey responses (the desk's roles, desk.selectors.DESK_ROLES).
SURVEY_STAFF_ROLES = ("admin", "manager", "dispatcher", "agent")


def is_survey_staff(user: Any) -> bool:
    return access.is_staff(user) and user.has_role(*SURVEY_STAFF_ROLES)


def _is_customer_admin(user: Any) -> bool:
    return access.is_customer(user) and user.is_customer_admin


def survey_for_token(token: str) -> Survey:
    """The survey a signed link names. NotFound for a tampered, truncated or foreign token, for an
    unknown survey, and for one that was never sent (withdrawn or not due yet): nobody can
    hold a genuine link to it."""
    try:
        survey_id, ticket_id = links.read_token(token)
    except links.BadToken:
        raise NotFound("survey not found") from None
    survey = (
        Survey.objects.select_related("ticket", "requester")
        .filter(pk=survey_id, ticket_id=ticket_id, sent_at__isnull=False)
        .first()
    )
    if survey is None:
        raise NotFound("survey not found")
    return survey


def survey_link_state(survey: Survey) -> str:
    """ "answered" once answered (whatever the date), else "expired" past its deadline, else "open"."""
    if survey.answered_at is not None:
        return "answered"
    if timezone.now() >= survey.expires_at:
        return "expired"
    return "open"


def survey_response_of(survey: Survey) -> SurveyResponse | None:
    """The answer given through the survey's own link (for its thank-you page)."""
    return SurveyResponse.objects.filter(survey=survey).first()


def responses_for(user: Any) -> QuerySet[SurveyResponse]:
    qs = SurveyResponse.objects.select_related("ticket", "account", "agent", "team", "service")
    if is_survey_staff(user):
        return qs
    if _is_customer_admin(user):
        return qs.filter(account_id=user.customer_account_id)
    return qs.none()


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def response_list(
    user: Any,
    *,
    team_id: int | None = None,
    agent_id: int | None = None,
    service_id: int | None = None,
    account_id: int | None = None,
    csat: int | None = None,
    nps_band: str = "",
    answered_from: date | None = None,
    answered_to: date | None = None,
) -> QuerySet[SurveyResponse]:
    """Survey responses the caller may see, newest first, filtered. Dates are local calendar days,
    both inclusive. Forbidden for callers who may see none (requesters, technicians)."""
    access.require_authenticated(user)
    if not (is_survey_staff(user) or _is_customer_admin(user)):
        raise Forbidden("survey responses are for the desk's staff and customer admins")
    qs = responses_for(user)
    for name, value in (
        ("team_id", team_id),
        ("agent_id", agent_id),
        ("service_id", service_id),
        ("account_id", account_id),
    ):
        if value is not None:
            qs = qs.filter(**{name: value})
    if csat is not None:
        if not scores.CSAT_MIN <= csat <= scores.CSAT_MAX:
            raise ValidationFailed.for_field("csat", f"must be {scores.CSAT_MIN} to {scores.CSAT_MAX}")
        qs = qs.filter(csat=csat)
    if nps_band:
        if nps_band not in scores.NPS_BANDS:
            raise ValidationFailed.for_field("nps_band", f"must be one of {', '.join(scores.NPS_BANDS)}")
        low, high = scores.NPS_BANDS[nps_band]
        qs = qs.filter(nps__gte=low, nps__lte=high)
    if answered_from is not None and answered_to is not None and answered_to < answered_from:
        raise ValidationFailed.for_field("answered_to", "must not be before the start of the range")
    if answered_from is not None:
        qs = qs.filter(answered_at__gte=_day_start(answered_from))
    if answered_to is not None:
        qs = qs.filter(answered_at__lt=_day_start(answered_to + timedelta(days=1)))
    return qs.order_by("-answered_at", "-id")


def response_get(user: Any, pk: Any) -> SurveyResponse:
    return access.get_or_404(responses_for(user), pk=pk)


def response_summary(qs: QuerySet[SurveyResponse]) -> dict[str, Any]:
    """CSAT and NPS of a (filtered, scoped) set of responses: the counts in one SQL aggregate, the
    formula in `quality.scores`."""
    counts = qs.order_by().aggregate(
        responses=Count("id"),
        csat_answered=Count("csat"),
        csat_satisfied=Count("id", filter=Q(csat__gte=scores.CSAT_SATISFIED_MIN)),
        nps_answered=Count("nps"),
        promoters=Count("id", filter=Q(nps__gte=scores.NPS_PROMOTER_MIN)),
        detractors=Count("id", filter=Q(nps__lte=scores.NPS_DETRACTOR_MAX)),
    )
    return {
        **counts,
        "csat_percent": scores.csat_percent_from_counts(
            satisfied=counts["csat_satisfied"], answered=counts["csat_answered"]
        ),
        "nps": scores.nps_from_counts(
            promoters=counts["promoters"], detractors=counts["detractors"], answered=counts["nps_answered"]
        ),
    }


def filter_choices(user: Any) -> dict[str, QuerySet]:
    """What the staff list's filters offer: teams, services, accounts in the caller's scope, and
    the agents who have been rated."""
    from steward.accounts.models import User
    from steward.accounts.selectors import team_list
    from steward.catalog.selectors import services_for
    from steward.customers.selectors import accounts_for

    if not is_survey_staff(user):
        raise Forbidden("the survey list is for the desk's staff")
    rated = responses_for(user).filter(agent__isnull=False).values("agent_id")
    return {
        "teams": team_list(user).order_by("name"),
        "agents": User.objects.filter(pk__in=rated).order_by("full_name", "id"),
        "services": services_for(user).order_by("name"),
        "accounts": accounts_for(user).order_by("name"),
    }
