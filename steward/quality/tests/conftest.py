"""Fixtures for the survey tests: a frozen clock and a desk (team, agent, service, SLA policy)
whose tickets are resolved through desk.services, as in production."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest

from steward.desk import services as desk
from steward.testing import factories as f

BASE_URL = "https://desk.example.org"


@pytest.fixture(autouse=True)
def _survey_settings(settings):
    settings.STEWARD_BASE_URL = BASE_URL
    settings.STEWARD_SURVEY_DELAY_MINUTES = 60
    settings.STEWARD_SURVEY_EXPIRY_DAYS = 14


@dataclass
class Desk:
    team: object
    other_team: object
    agent: object
    other_agent: object
    service: object
    requester: object


@pytest.fixture
def desk_setup(world) -> Desk:
    return build_desk(world)


def build_desk(world) -> Desk:
    team = f.TeamFactory(name="HVAC desk")
    other_team = f.TeamFactory(name="Electrical desk")
    agent = world.users["agent"]
    other_agent = f.staff_user("agent", full_name="Olga Other")
    team.members.add(agent, other_agent)
    other_team.members.add(other_agent)
    service = f.ServiceFactory(name="Chiller repair", team=team)
    return Desk(
        team=team,
        other_team=other_team,
        agent=agent,
        other_agent=other_agent,
        service=service,
        requester=world.users["customer_a_requester"],
    )


def open_ticket(world, d: Desk, **kwargs):
    return desk.ticket_create(
        actor=d.agent,
        account=kwargs.pop("account", world.account_a),
        subject=kwargs.pop("subject", "The chiller is down"),
        requester=kwargs.pop("requester", d.requester),
        service=kwargs.pop("service", d.service),
        team=kwargs.pop("team", d.team),
        assignee=kwargs.pop("assignee", d.agent),
        **kwargs,
    )


def resolve(ticket, actor):
    return desk.ticket_change_status(ticket=ticket, actor=actor, status="resolved")


LINK = re.compile(r"https?://\S+")


def mail_links(body: str) -> list[str]:
    return LINK.findall(body)


def local_path(url: str) -> str:
    """The path and query of an absolute link in a mail, for the test client."""
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == BASE_URL, url
    return parts.path + (f"?{parts.query}" if parts.query else "")
