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
