"""Tickets: services, SLA clocks stored from the replay, and isolation (worked examples)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from steward.catalog.selectors import policy_as_replay_dict
from steward.core.errors import Forbidden, NotFound, ValidationFailed
from steward.core.models import AuditEvent
from steward.desk import selectors, services
from steward.desk.models import Ticket, TicketEvent, TicketMessage, TicketSla
from steward.desk.priority import LEVELS, priority_from_matrix
from steward.desk.sla import replay
from steward.testing import factories as f
from steward.testing.clock import MON

BERLIN_HOURS = {
    "timezone": "Europe/Berlin",
    "hours": {d: [["09:00", "12:00"], ["13:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
    "holidays": ["2026-04-03", "2026-04-06"],
}


def make_policy(calendar=None, **kwargs):
    policy = f.SlaPolicyFactory(calendar=calendar, **kwargs)
    f.SlaTargetFactory(
        policy=policy,
        priority="P1",
        first_response_minutes=30,
        next_response_minutes=60,
        resolution_minutes=180,
    )
    f.SlaTargetFactory(
        policy=policy,
        priority="P2",
        first_response_minutes=60,
        next_response_minutes=120,
        resolution_minutes=480,
    )
    f.SlaTargetFactory(
        policy=policy,
        priority="P3",
        first_response_minutes=240,
        next_response_minutes=480,
        resolution_minutes=1440,
    )
    return policy


@pytest.fixture
def policy(world):
    return make_policy()


def sla(ticket, target) -> TicketSla:
    return TicketSla.objects.get(ticket=ticket, target=target)


def new_ticket(world, actor=None, **kwargs) -> Ticket:
    kwargs.setdefault("impact", "high")
    kwargs.setdefault("urgency", "medium")  # P2
    return services.ticket_create(
        actor=actor or world.users["agent"],
        account=kwargs.pop("account", world.account_a),
        subject=kwargs.pop("subject", "The chiller is down"),
        **kwargs,
    )


def replay_events(ticket):
    return [
        {**e.data, "at": e.at, "type": e.type}
        for e in ticket.events.filter(
            type__in=["created", "status", "priority", "agent_reply", "customer_reply"]
        )
    ]


# --- priority matrix -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "impact,urgency,expected",
    [
        ("high", "high", "P1"),
        ("high", "medium", "P2"),
        ("medium", "high", "P2"),
        ("high", "low", "P3"),
        ("medium", "medium", "P3"),
        ("low", "high", "P3"),
        ("medium", "low", "P4"),
        ("low", "medium", "P4"),
        ("low", "low", "P4"),
    ],
)
def test_priority_matrix(impact, urgency, expected):
    assert priority_from_matrix(impact, urgency) == expected


@given(st.sampled_from(LEVELS), st.sampled_from(LEVELS), st.sampled_from(LEVELS))
def test_priority_matrix_is_symmetric_and_monotone(impact, urgency, lower):
    assert priority_from_matrix(impact, urgency) == priority_from_matrix(urgency, impact)
    if LEVELS.index(lower) >= LEVELS.index(impact):  # a lower (or equal) impact never raises priority
        assert priority_from_matrix(lower, urgency) >= priority_from_matrix(impact, urgency)


def test_priority_matrix_rejects_unknown_levels():
    with pytest.raises(ValueError):
        priority_from_matrix("huge", "low")


# --- create --------------------------------------------------------------------------------------


def test_create_on_a_24x7_policy_stores_the_replayed_clocks(world, policy, clock):
    ticket = new_ticket(world)
    assert ticket.priority == "P2" and ticket.status == "new" and ticket.sla_policy == policy
    assert ticket.number == f"T-{ticket.pk:06d}"
    first, resolution = sla(ticket, "first_response"), sla(ticket, "resolution")
    assert first.deadline == MON + timedelta(minutes=60)
    assert resolution.deadline == MON + timedelta(minutes=480)
    assert first.status == resolution.status == "running"
    # Warning at 80% of the target.
    assert first.warning_at == MON + timedelta(minutes=48)
    assert resolution.warning_at == MON + timedelta(minutes=384)
    assert not TicketSla.objects.filter(ticket=ticket, target="next_response").exists()
    expected = replay(policy_as_replay_dict(policy), replay_events(ticket), MON)
    for target, state in expected.items():
        row = sla(ticket, target)
        assert (row.deadline, row.status, row.elapsed_business_seconds) == (
            state["deadline"],
            state["status"],
            state["elapsed_business_seconds"],
        )
    assert AuditEvent.objects.filter(action="ticket.create", object_id=str(ticket.pk)).count() == 1
    assert list(ticket.events.values_list("type", flat=True)) == ["created"]


def test_create_on_business_hours(world, clock):
    policy = make_policy(calendar=f.CalendarFactory(spec=BERLIN_HOURS))
    clock.now = datetime(2026, 3, 6, 14, 0, tzinfo=UTC)  # Friday 15:00 Berlin
    ticket = new_ticket(world)
    # First response P2, 60 min: Fri 15:00 + 1h = Fri 16:00 Berlin.
    assert sla(ticket, "first_response").deadline == datetime(2026, 3, 6, 15, 0, tzinfo=UTC)
    # Resolution 480 min: Fri 15-17 (2h), Mon 09-12 (3h), 13-16 (3h): Mon 16:00 Berlin.
    assert sla(ticket, "resolution").deadline == datetime(2026, 3, 9, 15, 0, tzinfo=UTC)
    # Warning at 384 min: 2h Fri + 3h Mon morning + 1h24: Mon 14:24 Berlin.
    assert sla(ticket, "resolution").warning_at == datetime(2026, 3, 9, 13, 24, tzinfo=UTC)
    expected = replay(policy_as_replay_dict(policy), replay_events(ticket), clock.now)
    assert {t: s["deadline"] for t, s in expected.items()} == {
        row.target: row.deadline for row in TicketSla.objects.filter(ticket=ticket)
    }


def test_create_with_no_policy_has_no_clocks(world, clock):
    ticket = new_ticket(world)
    assert ticket.sla_policy is None
    assert not TicketSla.objects.filter(ticket=ticket).exists()


def test_priority_override_needs_staff_and_a_reason(world, policy, clock):
    with pytest.raises(ValidationFailed) as exc:
        new_ticket(world, priority="P1")
    assert "priority_override_reason" in exc.value.fields
    ticket = new_ticket(world, priority="P1", priority_override_reason="hospital ward affected")
    assert ticket.priority == "P1"
    assert sla(ticket, "resolution").deadline == MON + timedelta(minutes=180)
    with pytest.raises(ValidationFailed):
        new_ticket(
            world, actor=world.users["customer_a_requester"], priority="P1", priority_override_reason="x"
        )


def test_customer_creates_for_their_own_account_only(world, policy, clock):
    requester = world.users["customer_a_requester"]
    ticket = new_ticket(world, actor=requester)
    assert ticket.requester == requester and ticket.contact == world.contact_a and ticket.channel == "portal"
    before = Ticket.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        new_ticket(world, actor=requester, account=world.account_b)
    assert "account" in exc.value.fields
    assert Ticket.objects.count() == before


def test_technician_cannot_create(world, clock):
    with pytest.raises(Forbidden):
        new_ticket(world, actor=world.users["technician"])


# --- replies and SLA -----------------------------------------------------------------------------


def test_agent_reply_meets_first_response(world, policy, clock):
    ticket = new_ticket(world)
    clock.advance(minutes=30)
    message = services.ticket_reply(ticket=ticket, actor=world.users["agent"], body="On our way.")
    assert message.is_public and not message.from_customer
    first = sla(ticket, "first_response")
    assert first.status == "met" and first.met_at == clock.now
    assert first.elapsed_business_seconds == 1800
    assert first.warning_at is None
    assert sla(ticket, "resolution").status == "running"


def test_customer_reply_opens_next_response(world, policy, clock):
    ticket = new_ticket(world, actor=world.users["customer_a_requester"])
    clock.advance(minutes=10)
    services.ticket_reply(ticket=ticket, actor=world.users["agent"], body="Looking into it.")
    clock.advance(minutes=20)
    message = services.ticket_reply(
        ticket=ticket, actor=world.users["customer_a_requester"], body="Still broken"
    )
    assert message.from_customer
    nxt = sla(ticket, "next_response")
    assert nxt.status == "running" and nxt.deadline == clock.now + timedelta(minutes=120)
    clock.advance(minutes=5)
    services.ticket_reply(ticket=ticket, actor=world.users["agent"], body="Technician booked.")
    assert sla(ticket, "next_response").status == "met"


def test_internal_note_has_no_sla_effect_and_is_staff_only(world, policy, clock):
    ticket = new_ticket(world, actor=world.users["customer_a_requester"])
    clock.advance(minutes=10)
    note = services.ticket_note(ticket=ticket, actor=world.users["agent"], body="Customer is grumpy")
    assert not note.is_public
    assert sla(ticket, "first_response").status == "running"
    # public=False on a staff reply is a note too.
    services.ticket_reply(ticket=ticket, actor=world.users["agent"], body="internal", public=False)
    assert sla(ticket, "first_response").status == "running"
    with pytest.raises(Forbidden):
        services.ticket_note(ticket=ticket, actor=world.users["customer_a_requester"], body="hi")
    timeline = selectors.ticket_timeline(world.users["customer_a_requester"], ticket)
    assert "note" not in set(timeline.values_list("type", flat=True))


def test_pending_pauses_and_moves_the_deadline(world, policy, clock):
    ticket = new_ticket(world)
    clock.advance(hours=1)
    services.ticket_change_status(ticket=ticket, actor=world.users["agent"], status="pending")
    resolution = sla(ticket, "resolution")
    assert resolution.status == "paused" and resolution.warning_at is None
    assert resolution.deadline == MON + timedelta(minutes=480)  # if the clock resumed now
    clock.advance(hours=2)
    services.ticket_change_status(ticket=ticket, actor=world.users["agent"], status="open")
    resolution = sla(ticket, "resolution")
    assert resolution.status == "running"
    assert resolution.paused_business_seconds == 7200
    assert resolution.deadline == MON + timedelta(minutes=480, hours=2)
    assert resolution.warning_at == MON + timedelta(minutes=384, hours=2)


def test_priority_change_moves_the_deadline(world, policy, clock):
    ticket = new_ticket(world)
    clock.advance(hours=1)
    with pytest.raises(ValidationFailed):
        services.ticket_change_priority(ticket=ticket, actor=world.users["agent"], priority="P1", reason=" ")
    services.ticket_change_priority(ticket=ticket, actor=world.users["agent"], priority="P1", reason="VIP")
    ticket.refresh_from_db()
    assert ticket.priority == "P1" and ticket.priority_override_reason == "VIP"
    resolution = sla(ticket, "resolution")
    assert resolution.deadline == MON + timedelta(minutes=180)
    assert resolution.elapsed_business_seconds == 3600
    # First response: 60 min elapsed > P1's 30 min: breached at the change, recorded once.
    first = sla(ticket, "first_response")
    assert first.status == "breached" and first.breached_at == clock.now
    assert ticket.events.filter(type="sla_breached").count() == 1
    expected = replay(policy_as_replay_dict(policy), replay_events(ticket), clock.now)
    assert expected["resolution"]["deadline"] == resolution.deadline


def test_priority_change_can_switch_the_policy(world, policy, clock):
    # A 24/7 policy for P1 tickets, tried before the fallback: 60 min resolution.
    urgent = f.SlaPolicyFactory(order=1, priorities=["P1"])
    f.SlaTargetFactory(policy=urgent, priority="P1", first_response_minutes=15, resolution_minutes=90)
    ticket = new_ticket(world)
    assert ticket.sla_policy == policy
    clock.advance(minutes=10)
    services.ticket_reply(ticket=ticket, actor=world.users["agent"], body="Looking")
    clock.advance(minutes=20)
    services.ticket_change_priority(ticket=ticket, actor=world.users["agent"], priority="P1", reason="outage")
    ticket.refresh_from_db()
    assert ticket.sla_policy == urgent
    assert ticket.events.filter(type="policy", data__policy_id=urgent.pk).count() == 1
    # 30 min already spent; 60 remain under the new policy.
    assert sla(ticket, "resolution").deadline == clock.now + timedelta(minutes=60)
    assert sla(ticket, "first_response").status == "met"  # final outcomes stay
    assert not TicketSla.objects.filter(ticket=ticket, target="next_response").exists()
    assert AuditEvent.objects.filter(action="ticket.sla_policy", object_id=str(ticket.pk)).count() == 1


def test_resolve_meets_resolution_with_first_contact_resolution(world, policy, clock):
    ticket = new_ticket(world)
    clock.advance(minutes=20)
    services.ticket_reply(ticket=ticket, actor=world.users["agent"], body="Reset the breaker, fixed.")
    clock.advance(minutes=5)
    services.ticket_change_status(ticket=ticket, actor=world.users["agent"], status="resolved")
    ticket.refresh_from_db()
    assert ticket.status == "resolved" and ticket.resolved_at == clock.now
    assert ticket.first_contact_resolution is True
    resolution = sla(ticket, "resolution")
    assert resolution.status == "met" and resolution.met_at == clock.now
    clock.advance(minutes=5)
    services.ticket_change_status(ticket=ticket, actor=world.users["agent"], status="closed")
    ticket.refresh_from_db()
    assert ticket.closed_at == clock.now and ticket.first_contact_resolution is True


@pytest.mark.parametrize("history", ["no_reply", "customer_in_between", "two_replies"])
def test_first_contact_resolution_false_cases(world, policy, clock, history):
    ticket = new_ticket(world, actor=world.users["customer_a_requester"])
    agent, customer = world.users["agent"], world.users["customer_a_requester"]
    if history != "no_reply":
        clock.advance(minutes=5)
        services.ticket_reply(ticket=ticket, actor=agent, body="Which unit?")
    if history == "customer_in_between":
        clock.advance(minutes=5)
        services.ticket_reply(ticket=ticket, actor=customer, body="Unit 3")
    if history in ("customer_in_between", "two_replies"):
        clock.advance(minutes=5)
        services.ticket_reply(ticket=ticket, actor=agent, body="Fixed.")
    clock.advance(minutes=5)
    services.ticket_change_status(ticket=ticket, actor=agent, status="resolved")
    ticket.refresh_from_db()
    assert ticket.first_contact_resolution is False


def test_reopen_starts_a_new_resolution_cycle(world, policy, clock):
    agent = world.users["agent"]
    ticket = new_ticket(world)
    clock.advance(minutes=10)
    services.ticket_reply(ticket=ticket, actor=agent, body="Fixed.")
    clock.advance(minutes=50)
    services.ticket_change_status(ticket=ticket, actor=agent, status="resolved")
    clock.advance(hours=5)  # time while resolved does not count
    services.ticket_change_status(ticket=ticket, actor=agent, status="open")
    ticket.refresh_from_db()
    assert ticket.status == "open" and ticket.resolved_at is None and ticket.first_contact_resolution is False
    resolution = sla(ticket, "resolution")
    assert resolution.status == "running"
    assert resolution.elapsed_business_seconds == 3600
    assert resolution.deadline == clock.now + timedelta(minutes=420)
    assert AuditEvent.objects.filter(action="ticket.reopen", object_id=str(ticket.pk)).count() == 1
    # Resolving again: not first-contact any more.
    services.ticket_change_status(ticket=ticket, actor=agent, status="resolved")
    ticket.refresh_from_db()
    assert ticket.first_contact_resolution is False


def test_invalid_transitions_are_refused(world, policy, clock):
    ticket = new_ticket(world)
    with pytest.raises(ValidationFailed):
        services.ticket_change_status(ticket=ticket, actor=world.users["agent"], status="closed")
    with pytest.raises(ValidationFailed):
        services.ticket_change_status(ticket=ticket, actor=world.users["agent"], status="new")
    with pytest.raises(ValidationFailed):
        services.ticket_change_status(ticket=ticket, actor=world.users["agent"], status="bogus")
    ticket.refresh_from_db()
    assert ticket.status == "new"


# --- assignment and queues -----------------------------------------------------------------------


def test_assign_checks_staff_and_team_membership(world, policy, clock):
    agent, dispatcher = world.users["agent"], world.users["dispatcher"]
    team = f.TeamFactory()
    team.memberships.create(user=agent)
    ticket = new_ticket(world)
    with pytest.raises(ValidationFailed):
        services.ticket_assign(ticket=ticket, actor=dispatcher, assignee=world.users["customer_a_admin"])
    with pytest.raises(ValidationFailed):
        services.ticket_assign(ticket=ticket, actor=dispatcher, team=team, assignee=dispatcher)
    services.ticket_assign(ticket=ticket, actor=dispatcher, team=team, assignee=agent)
    ticket.refresh_from_db()
    assert (ticket.team, ticket.assignee) == (team, agent)
    assert ticket.events.filter(type="assign").count() == 1
    assert list(selectors.ticket_queue(agent, "mine")) == [ticket]
    assert list(selectors.ticket_queue(agent, "my_teams")) == [ticket]
    assert list(selectors.ticket_queue(dispatcher, "mine")) == []
    assert list(selectors.ticket_queue(agent, "unassigned")) == []
    services.ticket_assign(ticket=ticket, actor=dispatcher, assignee=None)
    assert list(selectors.ticket_queue(agent, "unassigned")) == [ticket]


def test_breaching_soon_orders_by_the_nearest_running_deadline(world, policy, clock):
    agent = world.users["agent"]
    p3 = new_ticket(world, impact="medium", urgency="medium", subject="slow")  # 1440 min
    p1 = new_ticket(world, impact="high", urgency="high", subject="down")  # 180 min
    p2 = new_ticket(world, subject="broken")  # 480 min
    resolved = new_ticket(world, impact="high", urgency="high", subject="done")
    services.ticket_change_status(ticket=resolved, actor=agent, status="resolved")
    queue = list(selectors.ticket_queue(agent, "breaching_soon"))
    assert queue == [p1, p2, p3]
    assert queue[0].sla_next_deadline == MON + timedelta(minutes=30)  # P1's first response


# --- isolation -----------------------------------------------------------------------------------


def test_isolation(world, policy, clock):
    requester, admin_a, admin_b = (
        world.users["customer_a_requester"],
        world.users["customer_a_admin"],
        world.users["customer_b_admin"],
    )
    own = new_ticket(world, actor=requester, subject="mine")
    colleague = new_ticket(world, actor=admin_a, subject="admin's")
    by_phone = new_ticket(world, subject="phoned in")
    other = new_ticket(world, account=world.account_b, subject="beta")

    assert set(selectors.tickets_for(requester)) == {own}
    assert set(selectors.tickets_for(admin_a)) == {own, colleague, by_phone}
    assert set(selectors.tickets_for(admin_b)) == {other}
    assert set(selectors.tickets_for(world.users["agent"])) == {own, colleague, by_phone, other}
    assert set(selectors.tickets_for(world.users["technician"])) == set()
    bare = f.TicketFactory(account=world.account_b)
    assert not selectors.tickets_for(admin_a).filter(pk=bare.pk).exists()
    assert selectors.ticket_get(admin_b, bare.pk) == bare

    assert selectors.ticket_get(requester, own.pk) == own
    with pytest.raises(NotFound):
        selectors.ticket_get(requester, colleague.pk)
    with pytest.raises(NotFound):
        selectors.ticket_get(admin_b, own.pk)
    with pytest.raises(NotFound):
        selectors.ticket_get(world.users["technician"], own.pk)

    counts = (TicketMessage.objects.count(), TicketEvent.objects.count(), AuditEvent.objects.count())
    with pytest.raises(NotFound):
        services.ticket_reply(ticket=own, actor=admin_b, body="peeking")
    with pytest.raises(NotFound):
        services.ticket_reply(ticket=colleague, actor=requester, body="peeking")
    with pytest.raises(NotFound):
        services.ticket_change_status(ticket=own, actor=admin_b, status="resolved")
    with pytest.raises(NotFound):
        services.ticket_note(ticket=own, actor=world.users["technician"], body="x")
    assert (TicketMessage.objects.count(), TicketEvent.objects.count(), AuditEvent.objects.count()) == counts
    own.refresh_from_db()
    assert own.status == "new"
    # A customer who can see the ticket still cannot work it.
    with pytest.raises(Forbidden):
        services.ticket_change_status(ticket=own, actor=requester, status="resolved")
