"""Answering a survey through its signed link: the whole path from resolving a ticket to the
stored response, and every way a link can be refused."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core import signing
from django.db import connection
from django.test import Client

from steward.core.errors import NotFound, ValidationFailed
from steward.core.models import AuditEvent
from steward.desk import services as desk
from steward.desk.models import OutboundMail, TicketEvent
from steward.quality import links, services
from steward.quality.models import Survey, SurveyResponse
from steward.quality.tasks import send_due_surveys
from steward.quality.tests.conftest import local_path, mail_links, open_ticket, resolve
from steward.testing import factories as f
from steward.testing.clock import MON

pytestmark = pytest.mark.django_db


def _writes() -> tuple:
    """Everything an answer would write, to show that a request wrote nothing."""
    return (
        SurveyResponse.objects.count(),
        AuditEvent.objects.count(),
        TicketEvent.objects.count(),
        list(Survey.objects.values_list("answered_at", flat=True)),
    )


def _sent_survey(world, d, clock):
    """Resolve a ticket, let the survey fall due and be swept; return (survey, mail links)."""
    ticket = open_ticket(world, d)
    clock.advance(hours=1)
    resolve(ticket, d.agent)
    survey = Survey.objects.get(ticket=ticket)
    clock.now = survey.due_at
    assert send_due_surveys()["sent"] == 1
    survey.refresh_from_db()
    mail = OutboundMail.objects.get(ticket=ticket, kind="survey")
    return survey, mail_links(mail.body)


def test_end_to_end_resolve_send_open_answer(world, desk_setup, clock):
    d = desk_setup
    survey, links_in_mail = _sent_survey(world, d, clock)
    ticket = survey.ticket
    # After the resolution the ticket moves on (reassigned to another team and agent): the
    # response still belongs to those who resolved it.
    desk.ticket_assign(ticket=ticket, actor=d.agent, team=d.other_team, assignee=d.other_agent)

    clock.advance(hours=3)
    client = Client()  # the customer, not signed in
    four = local_path(links_in_mail[1])
    assert four.endswith("?csat=4")
    before = _writes()
    page = client.get(four)
    assert page.status_code == 200
    html = page.content.decode()
    assert ticket.number in html and "How did we do?" in html
    assert html.count("checked") == 1 and 'value="4" id="id_csat_3" checked' in html
    assert 'name="nps"' in html and 'name="comment"' in html and "csrfmiddlewaretoken" in html
    assert page["Cache-Control"] == "private, no-store" and page["X-Robots-Tag"] == "noindex, nofollow"
    assert page["Referrer-Policy"] == "same-origin"  # the token never leaves the site in a Referer
    assert client.head(four).status_code == 200  # link checkers probe with HEAD
    assert _writes() == before, "opening a link must not write (mail scanners prefetch links)"

    answer = client.post(four, {"csat": "4", "nps": "9", "comment": "  Quick and friendly.  "})
    assert answer.status_code == 302
    assert answer.url == f"/s/{links.make_token(survey_id=survey.pk, ticket_id=ticket.pk)}/thanks/"
    response = SurveyResponse.objects.get()
    assert (response.csat, response.nps, response.comment) == (4, 9, "Quick and friendly.")
    assert response.survey == survey and response.ticket == ticket
    assert (response.agent, response.team, response.service) == (d.agent, d.team, d.service)
    assert response.account == world.account_a
    assert response.answered_at == clock.now
    survey.refresh_from_db()
    assert survey.answered_at == clock.now
    event = TicketEvent.objects.filter(ticket=ticket, type="survey").last()
    assert event.data == {"action": "answered", "survey": survey.pk, "csat": 4, "nps": 9}
    audit = AuditEvent.objects.get(action="survey.answer")
    assert audit.actor is None and survey.email in audit.actor_label
    assert audit.changes == {"csat": 4, "nps": 9, "comment": "Quick and friendly."}

    thanks = client.get(answer.url)
    assert thanks.status_code == 200 and b"Thank you" in thanks.content and b"4 of 5" in thanks.content

    # A second answer (another click in the mail, another device) changes nothing.
    before = _writes()
    again = Client().post(local_path(links_in_mail[4]), {"csat": "1", "nps": "0"})
    assert again.status_code == 409 and b"already answered" in again.content
    assert _writes() == before
    assert SurveyResponse.objects.get().csat == 4
    revisit = Client().get(local_path(links_in_mail[0]))
    assert revisit.status_code == 200 and b"already answered" in revisit.content


def test_the_full_form_link_preselects_nothing_and_takes_nps_alone(world, desk_setup, clock):
    _, links_in_mail = _sent_survey(world, desk_setup, clock)
    form = local_path(links_in_mail[-1])
    assert "checked" not in Client().get(form).content.decode()
    assert Client().post(form, {"nps": "10"}).status_code == 302
    response = SurveyResponse.objects.get()
    assert response.csat is None and response.nps == 10


@pytest.mark.parametrize("query", ["?csat=9", "?csat=0", "?csat=abc", "?csat=", "?csat=4.0"])
def test_an_odd_one_click_score_preselects_nothing(world, desk_setup, clock, query):
    _, links_in_mail = _sent_survey(world, desk_setup, clock)
    page = Client().get(local_path(links_in_mail[-1]) + query)
    assert page.status_code == 200 and "checked" not in page.content.decode()


@pytest.mark.parametrize(
    "data,field,message",
    [
        ({}, "csat", "Choose a score"),
        ({"comment": "no score"}, "csat", "Choose a score"),
        ({"csat": "6"}, "csat", "Select a valid choice"),
        ({"csat": "0"}, "csat", "Select a valid choice"),
        ({"csat": "4", "nps": "11"}, "nps", "Select a valid choice"),
        ({"csat": "4", "nps": "-1"}, "nps", "Select a valid choice"),
        ({"csat": "4", "comment": "x" * 4001}, "comment", "at most 4000 characters"),
    ],
)
def test_invalid_answers_are_shown_at_their_fields_and_store_nothing(
    world, desk_setup, clock, data, field, message
):
    _, links_in_mail = _sent_survey(world, desk_setup, clock)
    before = _writes()
    page = Client().post(local_path(links_in_mail[-1]), data)
    assert page.status_code == 422
    html = page.content.decode()
    assert f'id="id_{field}-error"' in html and message in html
    assert _writes() == before


def test_an_expired_link_is_refused_with_a_clear_page(world, desk_setup, clock):
    survey, links_in_mail = _sent_survey(world, desk_setup, clock)
    clock.now = survey.expires_at - timedelta(seconds=1)
    assert Client().get(local_path(links_in_mail[0])).status_code == 200  # still open
    clock.now = survey.expires_at
    before = _writes()
    page = Client().get(local_path(links_in_mail[0]))
    assert page.status_code == 410 and b"This survey has closed" in page.content
    post = Client().post(local_path(links_in_mail[0]), {"csat": "5"})
    assert post.status_code == 410 and b"This survey has closed" in post.content
    assert _writes() == before
    with pytest.raises(services.SurveyExpired):
        services.survey_answer(
            token=links.make_token(survey_id=survey.pk, ticket_id=survey.ticket_id), csat=5
        )
    assert _writes() == before


def _tampered(token: str) -> str:
    value, _, signature = token.rpartition(":")
    flipped = "A" if signature[-1] != "A" else "B"
    return f"{value}:{signature[:-1]}{flipped}"


def test_tampered_foreign_and_unknown_tokens_are_404(world, desk_setup, clock):
    survey, links_in_mail = _sent_survey(world, desk_setup, clock)
    token = local_path(links_in_mail[-1]).split("/")[2]  # the token as mailed
    assert Client().get(f"/s/{token}/").status_code == 200
    other_ticket = open_ticket(world, desk_setup, subject="Another")
    bad_tokens = [
        _tampered(token),
        token[:-3],
        "not-a-token",
        signing.Signer().sign_object([survey.pk, survey.ticket_id]),  # our key, another purpose
        signing.Signer(salt=links.SALT, key="another-secret-key-of-enough-length").sign_object(
            [survey.pk, survey.ticket_id]
        ),
        links.make_token(survey_id=survey.pk + 1000, ticket_id=survey.ticket_id),  # no such survey
        links.make_token(survey_id=survey.pk, ticket_id=other_ticket.pk),  # survey of another ticket
        signing.Signer(salt=links.SALT).sign_object({"survey": survey.pk}),  # signed, wrong shape
    ]
    before = _writes()
    for bad in bad_tokens:
        assert Client().get(f"/s/{bad}/").status_code == 404, bad
        assert Client().post(f"/s/{bad}/", {"csat": "5"}).status_code == 404, bad
        assert Client().get(f"/s/{bad}/thanks/").status_code == 404, bad
        with pytest.raises(NotFound):
            services.survey_answer(token=bad, csat=5)
    assert _writes() == before


def test_a_link_to_a_survey_not_sent_yet_is_404(world, desk_setup, clock):
    ticket = open_ticket(world, desk_setup)
    resolve(ticket, desk_setup.agent)
    survey = Survey.objects.get(ticket=ticket)
    token = links.make_token(survey_id=survey.pk, ticket_id=ticket.pk)
    assert Client().get(f"/s/{token}/").status_code == 404


def test_the_thanks_page_before_an_answer_leads_to_the_form(world, desk_setup, clock):
    survey, _ = _sent_survey(world, desk_setup, clock)
    token = links.make_token(survey_id=survey.pk, ticket_id=survey.ticket_id)
    page = Client().get(f"/s/{token}/thanks/")
    assert page.status_code == 302 and page.url == f"/s/{token}/"


def test_the_public_form_is_csrf_protected(world, desk_setup, clock):
    _, links_in_mail = _sent_survey(world, desk_setup, clock)
    url = local_path(links_in_mail[-1])
    client = Client(enforce_csrf_checks=True)
    assert client.post(url, {"csat": "5"}).status_code == 403
    assert not SurveyResponse.objects.exists()
    client.get(url)  # sets the CSRF cookie, as a browser opening the link would
    token = client.cookies["csrftoken"].value
    assert client.post(url, {"csat": "5", "csrfmiddlewaretoken": token}).status_code == 302
    assert SurveyResponse.objects.get().csat == 5


def test_the_service_validates_like_the_form(world, desk_setup, clock):
    survey, _ = _sent_survey(world, desk_setup, clock)
    token = links.make_token(survey_id=survey.pk, ticket_id=survey.ticket_id)
    for kwargs, field in [
        ({}, "csat"),
        ({"csat": 6}, "csat"),
        ({"csat": True}, "csat"),
        ({"csat": "4x"}, "csat"),
        ({"nps": 11}, "nps"),
        ({"csat": 3, "comment": "y" * 4001}, "comment"),
    ]:
        with pytest.raises(ValidationFailed) as caught:
            services.survey_answer(token=token, **kwargs)
        assert field in caught.value.fields, kwargs
    assert not SurveyResponse.objects.exists()


def test_the_answer_page_is_usable_without_a_session_for_staff_too(world, desk_setup, clock, client_for):
    """An agent forwarding themselves the link sees the same page; being signed in changes nothing."""
    _, links_in_mail = _sent_survey(world, desk_setup, clock)
    page = client_for(world.users["technician"]).get(local_path(links_in_mail[2]))
    assert page.status_code == 200


def test_the_one_to_one_constraint_decides_when_the_read_was_stale(world, desk_setup, clock):
    """What a concurrent winner looks like to the loser on PostgreSQL: its read saw the survey
    unanswered, but the winner's response is there by the time it inserts. The loser is told the
    survey was answered, and its transaction changes nothing."""
    survey, _ = _sent_survey(world, desk_setup, clock)
    winner = SurveyResponse.objects.create(
        survey=survey, ticket=survey.ticket, account=survey.account, csat=5, answered_at=clock.now
    )
    assert Survey.objects.get(pk=survey.pk).answered_at is None  # the winner has not marked it yet
    before = _writes()
    with pytest.raises(services.SurveyAnswered):
        services.survey_answer(
            token=links.make_token(survey_id=survey.pk, ticket_id=survey.ticket_id), csat=1
        )
    assert _writes() == before
    assert SurveyResponse.objects.get() == winner and winner.csat == 5


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_answers_store_one(monkeypatch):
    """Two submissions at once (a double click, two devices): exactly one is stored; the other is
    told the survey was answered and changes nothing."""
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: MON)
    account = f.AccountFactory()
    agent = f.staff_user("agent")
    requester = f.customer_user(account)
    ticket = desk.ticket_create(actor=agent, account=account, subject="Race", requester=requester)
    desk.ticket_change_status(ticket=ticket, actor=agent, status="resolved")
    survey = Survey.objects.get(ticket=ticket)
    assert send_due_surveys(survey.due_at)["sent"] == 1
    token = links.make_token(survey_id=survey.pk, ticket_id=ticket.pk)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def answer(csat: int) -> None:
        try:
            barrier.wait(timeout=10)
            services.survey_answer(token=token, csat=csat)
            outcomes.append(f"stored {csat}")
        except services.SurveyAnswered:
            outcomes.append("already answered")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=answer, args=(score,)) for score in (2, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert sorted(o.split()[0] for o in outcomes) == ["already", "stored"]
    stored = SurveyResponse.objects.get()
    assert f"stored {stored.csat}" in outcomes
    assert AuditEvent.objects.filter(action="survey.answer").count() == 1
    assert TicketEvent.objects.filter(type="survey", data__action="answered").count() == 1
