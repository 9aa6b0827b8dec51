"""The SLA sweeper: due warnings and breaches are recorded exactly once, even by concurrent sweepers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from steward.core.models import AuditEvent
from steward.core.worker import PERIODIC_JOBS
from steward.desk import services
from steward.desk.models import TicketEvent, TicketSla
from steward.desk.sweeper import sweep
from steward.desk.tasks import sweep_sla
from steward.desk.tests.test_tickets import make_policy, new_ticket
from steward.testing import factories as f
from steward.testing.clock import MON
from steward.testing.concurrency import run_concurrently


@pytest.fixture
def policy(world):
    return make_policy()


def sla(ticket, target) -> TicketSla:
    return TicketSla.objects.get(ticket=ticket, target=target)


def test_sweep_is_registered_as_a_periodic_job():
    assert sweep_sla in PERIODIC_JOBS


def test_nothing_due_nothing_done(world, policy, clock):
    new_ticket(world)
    assert sweep(MON + timedelta(minutes=10)) == {"warnings": 0, "breaches": 0, "skipped": 0}


def test_warning_is_recorded_exactly_once(world, policy, clock):
    ticket = new_ticket(world)
    assert sla(ticket, "first_response").warning_at == MON + timedelta(minutes=48)
    at = MON + timedelta(minutes=50)
    assert sweep(at)["warnings"] == 1
    first = sla(ticket, "first_response")
    assert first.status == "warning" and first.warning_claimed_at == at
    assert sla(ticket, "resolution").status == "running"
    assert sweep(at)["warnings"] == 0
    assert sweep(at + timedelta(minutes=1))["warnings"] == 0
    events = ticket.events.filter(type="sla_warning")
    assert [e.data["target"] for e in events] == ["first_response"]
    assert AuditEvent.objects.filter(action="sla.warning", object_id=str(ticket.pk)).count() == 1


def test_breach_is_recorded_exactly_once(world, policy, clock):
    ticket = new_ticket(world)
    at = MON + timedelta(minutes=61)
    counts = sweep(at)
    assert counts["breaches"] == 1 and counts["warnings"] == 0  # straight to breached: no warning
    first = sla(ticket, "first_response")
    assert first.status == "breached" and first.breached_at == MON + timedelta(minutes=60)
    assert sweep(at)["breaches"] == 0
    assert sweep(at + timedelta(hours=1))["breaches"] == 0
    # A late reply keeps it breached and records nothing more.
    clock.now = at + timedelta(hours=1)
    services.ticket_reply(ticket=ticket, actor=world.users["agent"], body="Sorry for the wait")
    assert sla(ticket, "first_response").status == "breached"
    assert ticket.events.filter(type="sla_breached").count() == 1
    assert AuditEvent.objects.filter(action="sla.breached", object_id=str(ticket.pk)).count() == 1


def test_warning_then_breach(world, policy, clock):
    ticket = new_ticket(world)
    assert sweep(MON + timedelta(minutes=400)) == {"warnings": 1, "breaches": 1, "skipped": 0}
    # First response breached at 60 min; resolution warned at 384 min.
    assert sla(ticket, "first_response").status == "breached"
    assert sla(ticket, "resolution").status == "warning"
    assert sweep(MON + timedelta(minutes=481))["breaches"] == 1
    assert sla(ticket, "resolution").status == "breached"
    assert ticket.events.filter(type="sla_breached").count() == 2
    assert ticket.events.filter(type="sla_warning").count() == 1


def test_paused_clocks_are_not_swept(world, policy, clock):
    ticket = new_ticket(world)
    clock.now = MON + timedelta(minutes=10)
    services.ticket_reply(ticket=ticket, actor=world.users["agent"], body="Please send a photo")
    services.ticket_change_status(ticket=ticket, actor=world.users["agent"], status="pending")
    assert sweep(MON + timedelta(days=2)) == {"warnings": 0, "breaches": 0, "skipped": 0}
    assert sla(ticket, "resolution").status == "paused"


def test_new_next_response_cycle_can_warn_again(world, policy, clock):
    agent, customer = world.users["agent"], world.users["customer_a_requester"]
    ticket = new_ticket(world, actor=customer)
    clock.now = MON + timedelta(minutes=5)
    services.ticket_reply(ticket=ticket, actor=agent, body="Hello")
    clock.now = MON + timedelta(minutes=10)
    services.ticket_reply(ticket=ticket, actor=customer, body="Any news?")
    assert sweep(MON + timedelta(minutes=10 + 100))["warnings"] == 1  # 80% of 120 min
    clock.now = MON + timedelta(minutes=115)
    services.ticket_reply(ticket=ticket, actor=agent, body="Tomorrow")
    clock.now = MON + timedelta(minutes=120)
    services.ticket_reply(ticket=ticket, actor=customer, body="Why tomorrow?")
    row = sla(ticket, "next_response")
    assert row.status == "running" and row.warning_claimed_at is None
    assert sweep(MON + timedelta(minutes=120 + 100))["warnings"] == 1
    assert ticket.events.filter(type="sla_warning", data__target="next_response").count() == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_sweepers_record_each_breach_once(monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: MON)
    account = f.AccountFactory()
    agent = f.staff_user("agent")
    make_policy()
    tickets = [
        services.ticket_create(actor=agent, account=account, subject=f"t{i}", impact="high", urgency="medium")
        for i in range(6)
    ]
    at = MON + timedelta(minutes=61)  # every first response is past its deadline
    results = run_concurrently(lambda: sweep(at), threads=2)
    assert sum(r["breaches"] for r in results) == len(tickets)
    for ticket in tickets:
        assert TicketEvent.objects.filter(ticket=ticket, type="sla_breached").count() == 1
        assert sla(ticket, "first_response").status == "breached"
    assert AuditEvent.objects.filter(action="sla.breached").count() == len(tickets)


def test_a_large_backlog_is_walked_once_in_batches(world, policy, clock, monkeypatch):
    """More due rows than a batch, and one stale row whose claim the replay does not bear out: each
    is visited once (the stale one is released, not retried forever), every real breach recorded."""
    import steward.desk.sweeper as sweeper_module

    monkeypatch.setattr(sweeper_module, "BATCH", 2)
    tickets = [new_ticket(world, subject=f"t{i}") for i in range(5)]
    stale = new_ticket(world, subject="stale")
    clock.advance(minutes=30)
    services.ticket_reply(ticket=stale, actor=world.users["agent"], body="answered")  # first response met
    TicketSla.objects.filter(ticket=stale, target="resolution").update(deadline=MON + timedelta(minutes=1))
    at = MON + timedelta(minutes=61)  # the five first responses are breached; the stale row only looks so
    result = sweep(at)
    assert result == {"warnings": 0, "breaches": 5, "skipped": 1}  # a breach supersedes its warning
    for ticket in tickets:
        assert sla(ticket, "first_response").status == "breached"
    resolution = sla(stale, "resolution")
    assert resolution.status != "breached" and resolution.breach_claimed_at is None
    assert resolution.deadline == MON + timedelta(minutes=480)  # the replay's, restored


def test_every_decided_cycle_is_stored_as_the_ticket_goes(world, policy, clock):
    """`TicketSla` keeps the latest cycle; `TicketSlaCycle` keeps each met or breached one (the
    SLA compliance KPIs count those)."""
    from steward.desk.models import TicketSlaCycle

    ticket = new_ticket(world)
    agent, contact = world.users["agent"], world.contact_a

    def cycles():
        return list(TicketSlaCycle.objects.filter(ticket=ticket).values_list("target", "number", "status"))

    clock.now = MON + timedelta(minutes=20)
    services.ticket_reply(ticket=ticket, actor=agent, body="On it")
    assert cycles() == [("first_response", 1, "met")]
    clock.now = MON + timedelta(minutes=30)
    services.ticket_reply_from_contact(ticket=ticket, contact=contact, body="Still broken")
    clock.now = MON + timedelta(minutes=40)
    services.ticket_reply(ticket=ticket, actor=agent, body="Try now")
    clock.now = MON + timedelta(minutes=50)
    services.ticket_reply_from_contact(ticket=ticket, contact=contact, body="No luck")
    assert cycles() == [("first_response", 1, "met"), ("next_response", 1, "met")]
    assert sla(ticket, "next_response").status == "running"  # the second follow-up: not decided yet
    # Unanswered past its deadline, the sweeper breaches it, and it becomes a cycle of its own.
    assert sweep(MON + timedelta(days=3))["breaches"] >= 1
    assert ("next_response", 2, "breached") in cycles()
    rows = TicketSlaCycle.objects.filter(ticket=ticket).count()
    clock.now = MON + timedelta(days=3, hours=1)
    services.ticket_reply(ticket=ticket, actor=agent, body="Sorry")
    assert TicketSlaCycle.objects.filter(ticket=ticket).count() == rows  # answered late: still the one row


def test_the_migration_backfills_the_cycles_the_clocks_would_store(world, policy, clock):
    import importlib

    from django.apps import apps

    from steward.desk.models import TicketSlaCycle

    migration = importlib.import_module("steward.desk.migrations.0005_sla_cycles")
    ticket = new_ticket(world)
    clock.now = MON + timedelta(minutes=20)
    services.ticket_reply(ticket=ticket, actor=world.users["agent"], body="On it")
    services.ticket_reply_from_contact(ticket=ticket, contact=world.contact_a, body="And?")
    clock.now = MON + timedelta(days=3)  # the backfill replays at the time it runs
    sweep(clock.now)

    def rows():
        return sorted(
            TicketSlaCycle.objects.values_list("ticket_id", "target", "number", "status", "deadline")
        )

    stored = rows()
    assert [r[1:4] for r in stored] == [
        ("first_response", 1, "met"),
        ("next_response", 1, "breached"),
        ("resolution", 1, "breached"),
    ]
    TicketSlaCycle.objects.all().delete()
    migration.backfill_cycles(apps, None)
    assert rows() == stored
