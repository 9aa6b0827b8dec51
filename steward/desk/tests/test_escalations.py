"""Escalation levels and auto-close: due instants in business time, each fired exactly once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from steward.accounts.models import TeamMembership
from steward.core.models import AuditEvent
from steward.core.worker import PERIODIC_JOBS
from steward.desk import services
from steward.desk.models import OutboundMail, Ticket, TicketEscalation
from steward.desk.sweeper import sweep_autoclose, sweep_escalations
from steward.desk.tasks import autoclose_resolved, fire_escalations
from steward.desk.tests.test_tickets import BERLIN_HOURS, make_policy, new_ticket, sla
from steward.testing import factories as f
from steward.testing.clock import MON
from steward.testing.concurrency import run_concurrently


def escalation(ticket, offset):
    return TicketEscalation.objects.get(ticket=ticket, level__offset_minutes=offset)


def test_the_jobs_are_registered():
    assert fire_escalations in PERIODIC_JOBS and autoclose_resolved in PERIODIC_JOBS


def test_due_instants_follow_business_time_and_pauses(world, clock):
    """Office hours 09-12, 13-17 Berlin (UTC+1); created Mon 10:00, P2 resolution 480 min: Mon 10-12
    and 13-17 give 6h, Tue 09-11 the rest, deadline Tue 11:00. Level -30 is due when 450 min have
    elapsed (Tue 10:30); level +60 when 540 have (Tue 12:00, the end of the morning span: a breached
    cycle keeps counting)."""
    policy = make_policy(calendar=f.CalendarFactory(spec=BERLIN_HOURS))
    f.EscalationLevelFactory(policy=policy, target="resolution", offset_minutes=-30)
    f.EscalationLevelFactory(policy=policy, target="resolution", offset_minutes=60)
    tue = MON + timedelta(days=1)  # Tue 10:00 Berlin
    ticket = new_ticket(world)
    assert sla(ticket, "resolution").deadline == tue + timedelta(hours=1)
    assert escalation(ticket, -30).due_at == tue + timedelta(minutes=30)
    assert escalation(ticket, 60).due_at == tue + timedelta(hours=2)
    # Pending from Mon 11:00 to 14:00 (11-12 and 13-14: 2h of business time): no due instant while
    # paused ...
    clock.advance(hours=1)
    services.ticket_change_status(ticket=ticket, actor=world.users["agent"], status="pending")
    assert escalation(ticket, -30).due_at is None
    clock.advance(hours=3)
    services.ticket_change_status(ticket=ticket, actor=world.users["agent"], status="open")
    # ... and afterwards everything moves out by 2h of business time, across Tuesday's lunch break.
    assert sla(ticket, "resolution").deadline == tue + timedelta(hours=4)  # Tue 14:00
    assert escalation(ticket, -30).due_at == tue + timedelta(hours=3, minutes=30)  # Tue 13:30
    assert escalation(ticket, 60).due_at == tue + timedelta(hours=5)  # Tue 15:00


def test_levels_fire_once_with_their_actions(world, clock):
    manager = world.users["manager"]
    second_line = f.TeamFactory(name="Second line", email="second@steward.test")
    member = f.staff_user("agent", email="second-agent@steward.test")
    TeamMembership.objects.create(team=second_line, user=member)
    policy = make_policy()  # 24/7, P2 resolution 480 min
    f.EscalationLevelFactory(
        policy=policy,
        target="resolution",
        offset_minutes=-60,
        actions=[{"type": "notify_users", "user_ids": [manager.pk]}, {"type": "raise_priority"}],
    )
    f.EscalationLevelFactory(
        policy=policy,
        target="resolution",
        offset_minutes=30,
        actions=[
            {"type": "reassign_team", "team_id": second_line.pk},
            {"type": "notify_team", "team_id": second_line.pk},
        ],
    )
    ticket = new_ticket(world, assignee=world.users["agent"])
    at = MON + timedelta(hours=7)  # 420 of 480 minutes: the -60 level is due
    assert sweep_escalations(at) == {"escalations": 1, "skipped": 0}
    assert escalation(ticket, -60).fired_at == at
    ticket.refresh_from_db()
    # Raised to P1 (180 min): 420 elapsed already exceed it, so resolution is breached at the change.
    assert ticket.priority == "P1"
    resolution = sla(ticket, "resolution")
    assert resolution.status == "breached" and resolution.breached_at == at
    assert [m.to for m in OutboundMail.objects.filter(kind="escalation")] == [[manager.email]]
    event = ticket.events.get(type="escalation")
    assert event.data["offset_minutes"] == -60 and event.data["actions"] == ["notified 1", "priority P1"]
    # The +30 level is now due at P1's target + 30 = 210 min of elapsed time, already past: fires now.
    assert escalation(ticket, 30).due_at == at
    assert sweep_escalations(at)["escalations"] == 1
    assert sweep_escalations(at + timedelta(hours=5))["escalations"] == 0  # each level once per cycle
    ticket.refresh_from_db()
    assert ticket.team == second_line and ticket.assignee is None  # the old assignee is not a member
    mails = OutboundMail.objects.filter(kind="escalation").order_by("id")
    assert [sorted(m.to) for m in mails] == [[manager.email], sorted([member.email, "second@steward.test"])]
    assert AuditEvent.objects.filter(action="sla.escalation", object_id=str(ticket.pk)).count() == 2


def test_a_met_cycle_cancels_its_unfired_levels(world, clock):
    policy = make_policy()
    f.EscalationLevelFactory(policy=policy, target="first_response", offset_minutes=-10)
    ticket = new_ticket(world)
    assert escalation(ticket, -10).due_at == MON + timedelta(minutes=50)
    clock.advance(minutes=5)
    services.ticket_reply(ticket=ticket, actor=world.users["agent"], body="On it")
    assert escalation(ticket, -10).due_at is None
    assert sweep_escalations(MON + timedelta(hours=2))["escalations"] == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_sweepers_fire_each_level_once(world, clock):
    policy = make_policy()
    f.EscalationLevelFactory(
        policy=policy,
        target="resolution",
        offset_minutes=-60,
        actions=[{"type": "notify_users", "user_ids": [world.users["manager"].pk]}],
    )
    tickets = [new_ticket(world, subject=f"t{i}") for i in range(5)]
    at = MON + timedelta(hours=8)
    results = run_concurrently(lambda: sweep_escalations(at)["escalations"], threads=3)
    assert sum(results) == len(tickets)
    for ticket in tickets:
        assert ticket.events.filter(type="escalation").count() == 1
    assert OutboundMail.objects.filter(kind="escalation").count() == len(tickets)


def test_autoclose_after_the_configured_days(world, clock, settings):
    settings.STEWARD_AUTOCLOSE_DAYS = 7
    make_policy()
    agent = world.users["agent"]
    old, recent = new_ticket(world), new_ticket(world)
    services.ticket_change_status(ticket=old, actor=agent, status="resolved")
    clock.advance(days=3)
    services.ticket_change_status(ticket=recent, actor=agent, status="resolved")
    assert sweep_autoclose(MON + timedelta(days=6, hours=23)) == 0
    assert sweep_autoclose(MON + timedelta(days=7)) == 1
    assert sweep_autoclose(MON + timedelta(days=7)) == 0
    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.status == "closed" and old.closed_at == MON + timedelta(days=7) and recent.status == "resolved"
    assert old.events.last().data == {"status": "closed", "from": "resolved", "reason": "auto-close"}
    assert AuditEvent.objects.filter(action="ticket.autoclose").count() == 1
    assert Ticket.objects.filter(status="closed").count() == 1
