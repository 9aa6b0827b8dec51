"""Sending surveys: one per resolution, claimed by compare-and-set at its due time, mailed with
working one-click links; withdrawn when the resolution it asks about was undone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from steward.core.models import AuditEvent
from steward.core.worker import PERIODIC_JOBS
from steward.desk import services as desk
from steward.desk.models import OutboundMail, TicketEvent
from steward.quality import links
from steward.quality.models import Survey
from steward.quality.services import survey_send
from steward.quality.tasks import send_due_surveys, send_surveys
from steward.quality.tests.conftest import BASE_URL, build_desk, mail_links, open_ticket, resolve
from steward.testing import factories as f
from steward.testing.clock import MON
from steward.testing.concurrency import run_concurrently

pytestmark = pytest.mark.django_db

NOTHING = {"sent": 0, "withdrawn": 0, "skipped": 0, "failed": 0}


def test_sender_is_a_periodic_job():
    assert send_surveys in PERIODIC_JOBS


def test_resolving_schedules_one_survey_due_after_the_delay(world, desk_setup, clock):
    ticket = open_ticket(world, desk_setup)
    resolved_at = clock.advance(hours=2)
    resolve(ticket, desk_setup.agent)
    survey = Survey.objects.get(ticket=ticket)
    assert survey.resolved_at == resolved_at
    assert survey.due_at == resolved_at + timedelta(minutes=60)
    assert survey.expires_at == survey.due_at + timedelta(days=14)
    assert survey.email == desk_setup.requester.email
    assert (survey.agent, survey.team, survey.service) == (
        desk_setup.agent,
        desk_setup.team,
        desk_setup.service,
    )
    assert survey.claimed_at is None and survey.sent_at is None


def test_nothing_is_sent_before_the_due_time(world, desk_setup, clock):
    ticket = open_ticket(world, desk_setup)
    resolve(ticket, desk_setup.agent)
    survey = Survey.objects.get(ticket=ticket)
    assert send_due_surveys(survey.due_at - timedelta(seconds=1)) == NOTHING
    assert not OutboundMail.objects.filter(kind="survey").exists()
    survey.refresh_from_db()
    assert survey.claimed_at is None


def test_a_due_survey_is_mailed_once_with_one_click_links(world, desk_setup, clock):
    ticket = open_ticket(world, desk_setup)
    resolve(ticket, desk_setup.agent)
    survey = Survey.objects.get(ticket=ticket)
    at = survey.due_at + timedelta(seconds=5)
    assert send_due_surveys(at) == {**NOTHING, "sent": 1}
    assert send_due_surveys(at + timedelta(minutes=1)) == NOTHING

    mail = OutboundMail.objects.get(kind="survey")
    assert mail.kind == "survey" and mail.ticket == ticket
    assert mail.to == [desk_setup.requester.email]
    assert ticket.number in mail.subject
    token = links.make_token(survey_id=survey.pk, ticket_id=ticket.pk)
    form_link = f"{BASE_URL}/s/{token}/"
    assert mail_links(mail.body) == [f"{form_link}?csat={n}" for n in (5, 4, 3, 2, 1)] + [form_link]
    # Due 10:00 UTC, open for 14 days: the deadline in Berlin time.
    assert "can be answered once and works until 23 March 2026, 11:00." in mail.body

    survey.refresh_from_db()
    assert survey.claimed_at == at and survey.sent_at == at
    sent = TicketEvent.objects.get(ticket=ticket, type="survey")
    assert sent.data == {"action": "sent", "survey": survey.pk} and sent.actor is None
    audit = AuditEvent.objects.get(action="survey.send")
    assert audit.object_id == str(survey.pk) and audit.account_id == world.account_a.pk
    assert audit.changes["mail"] == mail.pk


def test_a_claimed_survey_is_not_sent_again(world, desk_setup, clock):
    ticket = open_ticket(world, desk_setup)
    resolve(ticket, desk_setup.agent)
    survey = Survey.objects.get(ticket=ticket)
    at = survey.due_at
    assert survey_send(survey_id=survey.pk, now=at) == "sent"
    assert survey_send(survey_id=survey.pk, now=at) == ""
    assert OutboundMail.objects.filter(kind="survey").count() == 1
    # Not due yet: the claim's condition refuses it as well.
    other = open_ticket(world, desk_setup)
    resolve(other, desk_setup.agent)
    later = Survey.objects.get(ticket=other)
    assert survey_send(survey_id=later.pk, now=later.due_at - timedelta(seconds=1)) == ""
    later.refresh_from_db()
    assert later.claimed_at is None


def test_a_survey_of_a_reopened_ticket_is_withdrawn_and_the_next_resolution_asks_once(
    world, desk_setup, clock
):
    """The resolution a survey asks about was undone by the reopen: that survey never goes out.
    Resolving again schedules a survey of its own, so the customer gets exactly one mail."""
    ticket = open_ticket(world, desk_setup)
    resolve(ticket, desk_setup.agent)
    first = Survey.objects.get(ticket=ticket)
    clock.advance(minutes=30)
    desk.ticket_change_status(ticket=ticket, actor=desk_setup.requester, status="open")  # customer reopens
    counts = send_due_surveys(first.due_at)
    assert counts == {**NOTHING, "withdrawn": 1}
    first.refresh_from_db()
    assert first.claimed_at == first.due_at and first.sent_at is None
    withdrawn = AuditEvent.objects.get(action="survey.withdraw")
    assert withdrawn.changes["reason"] == "reopened"
    assert not OutboundMail.objects.filter(kind="survey").exists()
    assert not TicketEvent.objects.filter(ticket=ticket, type="survey").exists()

    clock.advance(hours=3)
    resolve(ticket, desk_setup.agent)
    second = Survey.objects.exclude(pk=first.pk).get(ticket=ticket)
    assert second.resolved_at == clock.now
    assert send_due_surveys(second.due_at) == {**NOTHING, "sent": 1}
    assert OutboundMail.objects.filter(kind="survey").count() == 1
    # The withdrawn survey's link does not work: it was never sent.
    token = links.make_token(survey_id=first.pk, ticket_id=ticket.pk)
    assert Client().get(f"/s/{token}/").status_code == 404


def test_a_closed_ticket_still_gets_its_survey(world, desk_setup, clock):
    """Closing keeps the resolution (only a reopen undoes it)."""
    ticket = open_ticket(world, desk_setup)
    resolve(ticket, desk_setup.agent)
    desk.ticket_change_status(ticket=ticket, actor=desk_setup.agent, status="closed")
    survey = Survey.objects.get(ticket=ticket)
    assert send_due_surveys(survey.due_at)["sent"] == 1


def test_a_survey_not_sent_before_its_expiry_is_withdrawn(world, desk_setup, clock):
    """Workers were down for the whole answering window: a dead link is not worth a mail."""
    ticket = open_ticket(world, desk_setup)
    resolve(ticket, desk_setup.agent)
    survey = Survey.objects.get(ticket=ticket)
    assert send_due_surveys(survey.expires_at)["withdrawn"] == 1
    assert AuditEvent.objects.get(action="survey.withdraw").changes["reason"] == "expired"
    assert not OutboundMail.objects.filter(kind="survey").exists()


def test_merged_ticket_has_no_survey_and_merging_withdraws_a_pending_one(world, desk_setup, clock):
    ticket = open_ticket(world, desk_setup)
    into = open_ticket(world, desk_setup, subject="Chiller (again)")
    resolve(ticket, desk_setup.agent)
    clock.advance(minutes=5)
    desk.ticket_change_status(ticket=ticket, actor=desk_setup.agent, status="open")
    clock.advance(minutes=5)
    resolve(ticket, desk_setup.agent)
    assert Survey.objects.filter(ticket=ticket).count() == 2
    desk.ticket_merge(ticket=ticket, actor=desk_setup.agent, into=into)
    counts = send_due_surveys(clock.now + timedelta(hours=2))
    assert counts == {**NOTHING, "withdrawn": 2}
    reasons = sorted(
        AuditEvent.objects.filter(action="survey.withdraw").values_list("changes__reason", flat=True)
    )
    assert reasons == ["merged", "merged"]


def test_no_survey_without_an_address(world, clock):
    d = build_desk(world)
    ticket = open_ticket(world, d, requester=None)
    resolve(ticket, d.agent)
    assert not Survey.objects.exists()


def test_several_due_surveys_are_sent_in_due_order(world, desk_setup, clock):
    tickets = []
    for i in range(3):
        clock.advance(minutes=1)
        t = open_ticket(world, desk_setup, subject=f"Ticket {i}")
        resolve(t, desk_setup.agent)
        tickets.append(t)
    assert send_due_surveys(clock.now + timedelta(hours=2))["sent"] == 3
    assert [m.ticket_id for m in OutboundMail.objects.filter(kind="survey").order_by("id")] == [
        t.pk for t in tickets
    ]


def test_a_failing_survey_does_not_hold_up_the_others(world, desk_setup, clock, monkeypatch):
    from steward.desk import notify

    first, second = open_ticket(world, desk_setup), open_ticket(world, desk_setup)
    resolve(first, desk_setup.agent)
    clock.advance(minutes=1)
    resolve(second, desk_setup.agent)
    real = notify.queue_mail

    def broken_for_first(*, ticket, **kwargs):
        if ticket.pk == first.pk:
            raise RuntimeError("mail store unavailable")
        return real(ticket=ticket, **kwargs)

    monkeypatch.setattr(notify, "queue_mail", broken_for_first)
    at = clock.now + timedelta(hours=2)
    assert send_due_surveys(at) == {**NOTHING, "sent": 1, "failed": 1}
    # The failed claim rolled back with the rest of its transaction: the next tick retries it.
    assert Survey.objects.get(ticket=first).claimed_at is None
    monkeypatch.setattr(notify, "queue_mail", real)
    assert send_due_surveys(at)["sent"] == 1
    assert OutboundMail.objects.filter(kind="survey").count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_senders_send_each_survey_once(monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: MON)
    account = f.AccountFactory()
    agent = f.staff_user("agent")
    requesters = [f.customer_user(account) for _ in range(5)]
    for i, requester in enumerate(requesters):
        ticket = desk.ticket_create(actor=agent, account=account, subject=f"t{i}", requester=requester)
        desk.ticket_change_status(ticket=ticket, actor=agent, status="resolved")
    at = MON + timedelta(hours=2)
    results = run_concurrently(lambda: send_due_surveys(at), threads=2)
    assert sum(r["sent"] for r in results) == 5
    assert OutboundMail.objects.filter(kind="survey").count() == 5
    assert sorted(m.to[0] for m in OutboundMail.objects.filter(kind="survey")) == sorted(
        r.email for r in requesters
    )
    assert TicketEvent.objects.filter(type="survey").count() == 5
    assert AuditEvent.objects.filter(action="survey.send").count() == 5
