"""Query-count baselines: list endpoints and pages cost the same number of queries for 5 rows or
50, so a list never turns into N+1 queries as data grows."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from steward.testing import factories as f

pytestmark = pytest.mark.django_db

URLS = [
    "/api/v1/customers/accounts?limit=100",
    "/api/v1/customers/sites?limit=100",
    "/api/v1/customers/assets?limit=100",
    "/api/v1/customers/contacts?limit=100",
    "/api/v1/users?limit=100",
    "/api/v1/teams?limit=100",
    "/accounts/",
    "/sites/",
    "/assets/",
    "/users/",
    "/teams/",
]


def _grow(n: int) -> None:
    for _ in range(n):
        site = f.SiteFactory()
        f.AssetFactory(site=site, account=site.account)
        f.ContactFactory(account=site.account)
        team = f.TeamFactory()
        team.members.add(f.staff_user("agent", "technician"))


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url", URLS)
def test_list_queries_do_not_grow_with_rows(url, world, client_for):
    client = client_for(world.users["admin"])
    _grow(5)
    small = _queries(client, url)
    _grow(45)
    large = _queries(client, url)
    assert large == small, f"{url}: {small} queries for few rows, {large} for many"
    assert small <= 12, f"{url} takes {small} queries"


# --- the desk's queue list and ticket page --------------------------------------------------------


def _grow_tickets(n: int, agent, team) -> None:
    """Tickets as the desk makes them (with SLA clocks), each with a contact, team, assignee and tag."""
    from steward.desk import services

    for _ in range(n):
        account = f.AccountFactory()
        ticket = services.ticket_create(
            actor=agent,
            account=account,
            subject="Boiler",
            contact=f.ContactFactory(account=account),
            team=team,
            assignee=agent,
        )
        services.ticket_set_tags(ticket=ticket, actor=agent, tags=["boiler", f"t{ticket.pk}"])


@pytest.mark.parametrize(
    "url", ["/desk/queues/all/", "/desk/queues/mine/?order=deadline", "/desk/queues/breaching_soon/"]
)
def test_desk_queue_queries_do_not_grow_with_rows(url, world, client_for):
    policy = f.SlaPolicyFactory()
    f.SlaTargetFactory(policy=policy, priority="P3")
    agent = world.users["agent"]
    team = f.TeamFactory()
    team.members.add(agent)
    client = client_for(agent)
    _grow_tickets(3, agent, team)
    small = _queries(client, url)
    _grow_tickets(30, agent, team)  # more than a page
    large = _queries(client, url)
    assert large == small, f"{url}: {small} queries for few rows, {large} for many"
    assert small <= 20, f"{url} takes {small} queries"
    # The HTMX fragment (live filtering) costs less than the page: no counts, no sidebar.
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, HTTP_HX_REQUEST="true").status_code == 200
    assert len(ctx.captured_queries) < small


def test_ticket_page_queries_do_not_grow_with_its_timeline(world, client_for):
    from steward.desk import services
    from steward.desk.attachments import NewAttachment

    agent = world.users["agent"]
    ticket = services.ticket_create(actor=agent, account=world.account_a, subject="Long story")
    client = client_for(agent)

    def grow(n: int) -> None:
        for i in range(n):
            services.ticket_reply(
                ticket=ticket, actor=agent, body=f"reply {i}", attachments=[NewAttachment(f"f{i}.txt", b"x")]
            )
            services.ticket_note(ticket=ticket, actor=agent, body=f"note {i}")
            services.ticket_assign(ticket=ticket, actor=agent, assignee=agent if i % 2 else None)

    grow(2)
    small = _queries(client, f"/desk/tickets/{ticket.pk}/")
    grow(15)
    large = _queries(client, f"/desk/tickets/{ticket.pk}/")
    assert large == small, f"ticket page: {small} queries for a short timeline, {large} for a long one"
