"""Team routing: the pure choice (worked examples and properties) and the service that applies it."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from steward.accounts.models import TeamMembership, UserSkill
from steward.core.errors import Forbidden, ValidationFailed
from steward.desk import services
from steward.desk.models import TeamRouting
from steward.desk.routing import Candidate, choose_assignee
from steward.desk.tests.test_tickets import make_policy, new_ticket
from steward.testing import factories as f

C3 = Candidate(3, open_tickets=2, skills=frozenset({"hvac"}))
C5 = Candidate(5, open_tickets=0)
C9 = Candidate(9, open_tickets=1, skills=frozenset({"hvac", "electrical"}))
TEAM = [C9, C3, C5]  # order of the input does not matter


# --- the pure rules: the module docstring's worked example ---------------------------------------


def test_round_robin_takes_the_next_id_and_wraps():
    assert choose_assignee("round_robin", TEAM, last_assignee_id=5) == 9
    assert choose_assignee("round_robin", TEAM, last_assignee_id=9) == 3
    assert choose_assignee("round_robin", TEAM) == 3
    assert choose_assignee("round_robin", TEAM, last_assignee_id=4) == 5  # left the team: next one on


def test_least_open_and_skills():
    assert choose_assignee("least_open", TEAM) == 5
    assert choose_assignee("least_open", TEAM, required_skills=frozenset({"hvac"})) == 9
    assert choose_assignee("round_robin", TEAM, required_skills=frozenset({"plumbing"})) is None
    assert choose_assignee("manual", TEAM) is None
    assert choose_assignee("least_open", []) is None
    with pytest.raises(ValueError):
        choose_assignee("lottery", TEAM)


candidates = st.lists(
    st.builds(
        Candidate,
        user_id=st.integers(1, 50),
        open_tickets=st.integers(0, 20),
        skills=st.frozensets(st.sampled_from(["a", "b", "c"])),
    ),
    unique_by=lambda c: c.user_id,
    max_size=8,
)


@given(candidates, st.sampled_from(["round_robin", "least_open"]), st.frozensets(st.sampled_from(["a", "b"])))
def test_the_choice_is_always_an_eligible_candidate(team, strategy, required):
    chosen = choose_assignee(strategy, team, required_skills=required)
    eligible = [c for c in team if required <= c.skills]
    if not eligible:
        assert chosen is None
    else:
        assert chosen in {c.user_id for c in eligible}
        if strategy == "least_open":
            assert next(c for c in eligible if c.user_id == chosen).open_tickets == min(
                c.open_tickets for c in eligible
            )


@given(candidates)
def test_round_robin_visits_everyone_once_per_round(team):
    last = None
    seen = []
    for _ in team:
        last = choose_assignee("round_robin", team, last_assignee_id=last)
        seen.append(last)
    assert sorted(seen) == sorted(c.user_id for c in team)


# --- the service ---------------------------------------------------------------------------------


@pytest.fixture
def desk_team(world):
    team = f.TeamFactory(name="Service Desk")
    agents = [f.staff_user("agent", email=f"agent{i}@steward.test") for i in range(3)]
    for agent in agents:
        TeamMembership.objects.create(team=team, user=agent)
    technician = f.staff_user("technician", email="tech-in-team@steward.test")
    TeamMembership.objects.create(team=team, user=technician)  # not an agent: never routed to
    make_policy()
    return team, sorted(agents, key=lambda a: a.pk)


def test_round_robin_assigns_new_tickets_in_turn(world, desk_team):
    team, agents = desk_team
    services.team_routing_set(actor=world.users["manager"], team=team, strategy="round_robin")
    got = [new_ticket(world, team=team).assignee for _ in range(4)]
    assert got == [agents[0], agents[1], agents[2], agents[0]]
    ticket = new_ticket(world, team=team)
    assign = ticket.events.get(type="assign")
    assert assign.data["rule"] == "round_robin" and assign.data["assignee"] == agents[1].pk


def test_least_open_and_skill_matching(world, desk_team):
    team, agents = desk_team
    services.team_routing_set(actor=world.users["admin"], team=team, strategy="least_open", match_skills=True)
    service = f.ServiceFactory(required_skills=["gas-safe"])
    UserSkill.objects.create(user=agents[1], skill="gas-safe", certified_until=dt.date(2000, 1, 1))  # expired
    UserSkill.objects.create(user=agents[2], skill="gas-safe")
    first = new_ticket(world, team=team, service=service)
    assert first.assignee == agents[2]  # the only one with a valid certification
    second = new_ticket(world, team=team)
    assert second.assignee == agents[0]  # no skill needed: least loaded, lowest id


def test_the_service_team_is_the_default_and_manual_assigns_nobody(world, desk_team):
    team, _ = desk_team
    service = f.ServiceFactory(team=team)
    ticket = new_ticket(world, service=service)
    assert ticket.team == team and ticket.assignee is None
    assert not TeamRouting.objects.exists()


def test_moving_to_a_routed_team_reassigns(world, desk_team):
    team, agents = desk_team
    other = f.TeamFactory(name="Second line")
    services.team_routing_set(actor=world.users["manager"], team=team, strategy="least_open")
    ticket = new_ticket(world, team=other, assignee=None)
    assert ticket.assignee is None
    services.ticket_assign(ticket=ticket, actor=world.users["agent"], team=team)
    ticket.refresh_from_db()
    assert ticket.team == team and ticket.assignee == agents[0]


def test_routing_settings_are_for_admins_and_managers(world, desk_team):
    team, _ = desk_team
    with pytest.raises(Forbidden):
        services.team_routing_set(actor=world.users["agent"], team=team, strategy="round_robin")
    with pytest.raises(ValidationFailed) as err:
        services.team_routing_set(actor=world.users["admin"], team=team, strategy="lottery")
    assert "strategy" in err.value.fields
    assert not TeamRouting.objects.exists()
