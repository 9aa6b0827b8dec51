"""Writes of the quality app: surveys.

`survey_schedule` is called by the desk in the transaction that resolves a ticket; the worker
sends due surveys (`survey_send`, claimed by compare-and-set) and the customer answers once
through the signed link (`survey_answer`, where the token is the permission).

A survey whose resolution was undone before it went out (the ticket was reopened, merged, or the
link would already have expired) is *withdrawn*: claimed, never sent (``claimed_at`` set,
``sent_at`` empty), with an audit event saying why. If the ticket is resolved again, that new
resolution has a survey of its own, so the customer is asked once, about the resolution that held.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from steward.core import audit
from steward.core.errors import Conflict, DomainError, ValidationFailed
from steward.quality import links, scores
from steward.quality.models import Survey, SurveyResponse

COMMENT_MAX = 4000


class SurveyAnswered(Conflict):
    """The survey was answered already (the first answer stands)."""

    code = "already_answered"


class SurveyExpired(DomainError):
    """The link's answering window is over."""

    status = 410
    code = "expired"


def survey_schedule(*, ticket: Any, resolved_at: datetime) -> Survey | None:
    """Schedule the CSAT/NPS survey about this resolution (one per resolution), to be sent
    `STEWARD_SURVEY_DELAY_MINUTES` later, to the requester (or the contact). None when there is
    nobody to ask. Runs inside the caller's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("survey_schedule must run inside the resolving transaction")
    requester = ticket.requester if ticket.requester_id is not None else None
    email = (requester.email if requester is not None else "") or (
        ticket.contact.email if ticket.contact_id is not None else ""
    )
    if not email or ticket.merged_into_id is not None:
        return None
    due_at = resolved_at + timedelta(minutes=settings.STEWARD_SURVEY_DELAY_MINUTES)
    survey, _ = Survey.objects.get_or_create(
        ticket=ticket,
        resolved_at=resolved_at,
        defaults={
            "account_id": ticket.account_id,
            "requester": requester,
            "email": email,
            "agent_id": ticket.assignee_id,
            "team_id": ticket.team_id,
            "service_id": ticket.service_id,
            "created_at": resolved_at,
            "due_at": due_at,
            "expires_at": due_at + timedelta(days=settings.STEWARD_SURVEY_EXPIRY_DAYS),
        },
    )
    return survey


# --- sending -------------------------------------------------------------------------------------


def survey_url(survey: Survey, *, csat: int | None = None) -> str:
    """The absolute address of the survey's answer page (with a preselected CSAT score)."""
    token = links.make_token(survey_id=survey.pk, ticket_id=survey.ticket_id)
    url = settings.STEWARD_BASE_URL + reverse("quality:survey_answer", args=[token])
    return f"{url}?csat={csat}" if csat is not None else url


CSAT_WORDS = {1: "very dissatisfied", 2: "dissatisfied", 3: "neutral", 4: "satisfied", 5: "very satisfied"}


def _survey_mail_body(survey: Survey, ticket: Any) -> str:
    name = survey.requester.full_name if survey.requester is not None else ""
    lines = [
        f"Hello{' ' + name if name else ''},",
        "",
        f"your request {ticket.number} “{ticket.subject}” was resolved. How satisfied are you with",
        "how we handled it? Choose a score, then press “Send” on the page that opens:",
        "",
    ]
    for score in range(scores.CSAT_MAX, scores.CSAT_MIN - 1, -1):
        lines.append(f"  {score}, {CSAT_WORDS[score]}: {survey_url(survey, csat=score)}")
    local_expiry = timezone.localtime(survey.expires_at)
    lines += [
        "",
        "Or open the whole survey (two questions and room for a comment):",
        survey_url(survey),
        "",
        f"The link needs no sign-in, can be answered once and works until {local_expiry.day} {local_expiry:%B %Y, %H:%M}.",
        "",
        "Thank you!",
    ]
    return "\n".join(lines) + "\n"


def _reason_not_to_send(survey: Survey, ticket: Any, now: datetime) -> str:
    """Why this survey must not go out any more, or "" if it may."""
    from steward.desk.models import DONE_STATUSES

    if ticket.merged_into_id is not None:
        return "merged"
    if ticket.status not in DONE_STATUSES or ticket.resolved_at != survey.resolved_at:
        return "reopened"
    if now >= survey.expires_at:
        return "expired"
    return ""


def survey_send(*, survey_id: int, now: datetime) -> str:
    """Claim one due survey (``UPDATE … SET claimed_at = now WHERE id = … AND claimed_at IS NULL
    AND due_at <= now``) and, if this caller won the claim, write its mail, mark it sent and record
    the timeline and audit events, in one transaction. Returns "sent", "withdrawn" (the resolution
    it asks about no longer holds, see the module docstring) or "" (another worker claimed it, or
    it is not due). Safe with any number of workers: the row count of the claim decides."""
    from steward.desk import notify
    from steward.desk.models import EventType
    from steward.desk.timeline import add_event

    with transaction.atomic():
        won = Survey.objects.filter(pk=survey_id, claimed_at__isnull=True, due_at__lte=now).update(
            claimed_at=now
        )
        if won != 1:
            return ""
        survey = Survey.objects.select_related("ticket", "requester").get(pk=survey_id)
        ticket = survey.ticket
        reason = _reason_not_to_send(survey, ticket, now)
        if reason:
            audit.record(
                actor=None,
                action="survey.withdraw",
                obj=survey,
                changes={"reason": reason, "resolved_at": survey.resolved_at},
                account_id=survey.account_id,
                actor_label="survey sender",
            )
            return "withdrawn"
        mail = notify.queue_mail(
            ticket=ticket,
            kind="survey",
            to=[survey.email],
            subject=f"[{ticket.number}] How did we do? {ticket.subject}",
            body=_survey_mail_body(survey, ticket),
        )
        Survey.objects.filter(pk=survey_id).update(sent_at=now)
        add_event(ticket, EventType.SURVEY, actor=None, at=now, action="sent", survey=survey.pk)
        audit.record(
            actor=None,
            action="survey.send",
            obj=survey,
            changes={"sent_at": now, "to": survey.email, "mail": mail.pk},
            account_id=survey.account_id,
            actor_label="survey sender",
        )
        return "sent"


# --- answering -----------------------------------------------------------------------------------


def _score(field: str, value: Any, low: int, high: int) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationFailed.for_field(field, f"choose a score from {low} to {high}") from None
    if isinstance(value, bool) or not low <= number <= high or str(number) != str(value).strip():
        raise ValidationFailed.for_field(field, f"choose a score from {low} to {high}")
    return number


@transaction.atomic
def survey_answer(*, token: str, csat: Any = None, nps: Any = None, comment: str = "") -> SurveyResponse:
    """Store the answer given through a survey link. The signed token is the permission: a
    tampered, foreign or unknown token (or one for a survey never sent) is NotFound. The answer
    is refused once the link has expired (SurveyExpired) or when the survey was answered already
    (SurveyAnswered; under a race the one-to-one constraint on the response decides, and the
    loser changes nothing). At least one of CSAT (1-5) and NPS (0-10) is needed. The response
    keeps the ticket's agent, team, service and account as they were at the resolution."""
    from steward.desk.models import EventType
    from steward.desk.timeline import add_event
    from steward.quality.selectors import survey_for_token

    survey = survey_for_token(token)
    now = timezone.now()
    if survey.answered_at is not None:
        raise SurveyAnswered("this survey was answered already; thank you")
    if now >= survey.expires_at:
        raise SurveyExpired("this survey link has expired")
    csat = _score("csat", csat, scores.CSAT_MIN, scores.CSAT_MAX)
    nps = _score("nps", nps, scores.NPS_MIN, scores.NPS_MAX)
    comment = (comment or "").strip()
    if csat is None and nps is None:
        raise ValidationFailed.for_field("csat", "choose a score (or answer the recommendation question)")
    if len(comment) > COMMENT_MAX:
        raise ValidationFailed.for_field("comment", f"at most {COMMENT_MAX} characters")
    response = SurveyResponse(
        survey=survey,
        ticket_id=survey.ticket_id,
        account_id=survey.account_id,
        agent_id=survey.agent_id,
        team_id=survey.team_id,
        service_id=survey.service_id,
        csat=csat,
        nps=nps,
        comment=comment,
        answered_at=now,
    )
    # Uniqueness is left to the database below: a check here could not see a concurrent answer.
    try:
        response.full_clean(validate_unique=False)
    except ValidationError as exc:
        raise ValidationFailed.from_django(exc) from None
    try:
        with transaction.atomic():
            response.save(force_insert=True)
    except IntegrityError:
        # A concurrent answer committed first (its row is visible to this new statement).
        if SurveyResponse.objects.filter(survey_id=survey.pk).exists():
            raise SurveyAnswered("this survey was answered already; thank you") from None
        raise
    Survey.objects.filter(pk=survey.pk).update(answered_at=now)
    add_event(
        survey.ticket,
        EventType.SURVEY,
        actor=None,
        at=now,
        action="answered",
        survey=survey.pk,
        csat=csat,
        nps=nps,
    )
    audit.record(
        actor=None,
        action="survey.answer",
        obj=response,
        changes={"csat": csat, "nps": nps, "comment": comment},
        account_id=survey.account_id,
        actor_label=f"survey link sent to {survey.email}"[:200],
    )
    return response
