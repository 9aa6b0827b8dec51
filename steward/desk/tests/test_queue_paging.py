"""The agent's queues at scale: pages picked by key (`core.paging.KeyedPages`) are exactly the rows
and order of plain slicing for every queue, order, filter and offset; a deep page costs the same
queries as the first; and the database can read each queue's filter and order off an index
(`steward bench desk` measures the speed on 100,000 tickets; here the plans are checked)."""

from __future__ import annotations

import random
import re
from datetime import timedelta

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from steward.core.paging import KeyedPages
from steward.desk import selectors
from steward.desk.models import Ticket
from steward.testing import factories as f

pytestmark = pytest.mark.django_db

STATUSES = ("new", "open", "pending", "on_hold", "resolved", "closed")


@pytest.fixture
def queues(world):
    """60 tickets over two accounts, the agent's team and none, the agent, a colleague and nobody;
    created and updated within a few hours of each other, so many share an instant and the id
    decides their order; deadlines on some."""
    rng = random.Random(12)
    agent = world.users["agent"]
    team = f.TeamFactory(name="Service desk")
    team.members.add(agent)
    colleague = f.staff_user("agent")
    base = timezone.now().replace(microsecond=0) - timedelta(days=3)
    for i in range(60):
        status = rng.choice(STATUSES)
        done = status in ("resolved", "closed")
        f.TicketFactory(
            account=world.account_a if i % 2 else world.account_b,
            status=status,
            priority=rng.choice(("P1", "P2", "P3", "P4")),
            team=rng.choice((team, None)),
            assignee=rng.choice((agent, colleague, None)),
            created_at=base + timedelta(hours=rng.randrange(6)),
            sla_next_deadline=None
            if done or rng.random() < 0.3
            else base + timedelta(hours=rng.randrange(40)),
            resolved_at=base + timedelta(days=1) if done else None,
            closed_at=base + timedelta(days=2) if status == "closed" else None,
        )
    for pk in Ticket.objects.values_list("pk", flat=True):  # auto_now: set the instants afterwards
        Ticket.objects.filter(pk=pk).update(updated_at=base + timedelta(hours=rng.randrange(4)))
    return world


@pytest.mark.parametrize("queue", selectors.QUEUES)
@pytest.mark.parametrize("order", ["", *selectors.ORDERINGS])
@pytest.mark.parametrize("status", ["", "open", "done"])
def test_keyed_pages_are_the_plain_pages(queues, queue, order, status):
    qs = selectors.ticket_queue(queues.users["agent"], queue, order=order, status=status).prefetch_related(
        "tags"
    )
    keyed = KeyedPages(qs)
    assert keyed.count() == qs.count() == len(keyed)
    assert qs.count() > 0 or (queue, status) in {("unassigned", "done"), ("breaching_soon", "done")}
    for offset in (0, 1, 7, 25, 55, 80):
        assert [t.pk for t in keyed[offset : offset + 10]] == [t.pk for t in qs[offset : offset + 10]]
    # Django's paginator takes it in place of the queryset (the queue page).
    paginator = Paginator(keyed, 10)
    pages = [[t.pk for t in paginator.page(n)] for n in paginator.page_range]
    assert [pk for page in pages for pk in page] == list(qs.values_list("pk", flat=True))


def test_a_keyed_page_joins_only_its_own_rows(queues):
    qs = selectors.ticket_queue(queues.users["agent"], "all")
    with CaptureQueriesContext(connection) as ctx:
        page = KeyedPages(qs)[40:45]
    assert [t.pk for t in page] == [t.pk for t in qs[40:45]]
    assert len(ctx.captured_queries) == 1  # one query: the keys are a subquery
    sql = ctx.captured_queries[0]["sql"]
    outer, _, inner = sql.partition(" IN (SELECT ")
    assert "JOIN" in outer and "LIMIT 5 OFFSET 40" in inner and "JOIN" not in inner.split("LIMIT")[0]


def test_open_queues_filter_on_open_once(queues):
    """ "unassigned" and "breaching soon" are open tickets already; the pages' default "open" filter
    adds nothing (twice the same condition made PostgreSQL expect 1 row for thousands)."""
    agent = queues.users["agent"]
    for queue in ("unassigned", "breaching_soon"):
        with_filter = selectors.ticket_queue(agent, queue, status="open")
        assert str(with_filter.query).count('"status" IN') == 1
        assert list(with_filter) == list(selectors.ticket_queue(agent, queue))
        assert not selectors.ticket_queue(agent, queue, status="done").exists()
        assert set(
            selectors.ticket_queue(agent, queue, status="pending").values_list("status", flat=True)
        ) <= {"pending"}


@pytest.mark.parametrize(
    "url", ["/api/v1/desk/tickets?queue=all", "/api/v1/desk/tickets?queue=my_teams&order=updated"]
)
def test_api_deep_page_costs_what_the_first_costs(queues, client_for, url):
    client = client_for(queues.users["agent"])
    qs = selectors.ticket_queue(
        queues.users["agent"],
        "all" if "all" in url else "my_teams",
        order="updated" if "updated" in url else "",
    )

    def page(offset: int) -> tuple[list[int], int, int]:
        with CaptureQueriesContext(connection) as ctx:
            body = client.get(f"{url}&limit=5&offset={offset}").json()
        assert body["count"] == qs.count() and body["offset"] == offset
        return [item["id"] for item in body["items"]], body["count"], len(ctx.captured_queries)

    first, count, first_queries = page(0)
    deep, _, deep_queries = page(count - 7)
    assert first == [t.pk for t in qs[:5]] and deep == [t.pk for t in qs[count - 7 : count - 2]]
    assert deep_queries == first_queries


# --- the plans: each queue's filter and order can be read off an index ------------------------------


def _plan(qs, *, price_out_sorts: bool = False) -> str:
    """The plan of `qs` as the database would run it, on PostgreSQL with sequential scans (and
    sorts, if asked) priced out, as a test table is too small for its planner to prefer an index
    otherwise: what remains shows whether an index can find the rows, or give them in order."""
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            if price_out_sorts:
                cursor.execute("SET LOCAL enable_sort = off")
                cursor.execute("SET LOCAL enable_incremental_sort = off")
            cursor.execute(f"EXPLAIN {sql}", params)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
        if connection.vendor == "postgresql":
            cursor.execute("RESET enable_seqscan; RESET enable_sort; RESET enable_incremental_sort")
    return plan


def _sorts(plan: str) -> bool:
    return "Sort" in plan or "TEMP B-TREE" in plan


def _ticket_scans(plan: str) -> list[str]:
    """How the plan reads the ticket table: the name of each index it goes through, "full scan" for
    a scan of the whole table."""
    patterns = (
        r"Index (?:Only )?Scan (?:Backward )?using (\w+) on desk_ticket\b",  # PostgreSQL
        r"Bitmap Index Scan on ((?:desk_)?ticket_\w+)",
        r"^\s*(?:SCAN|SEARCH) desk_ticket USING (?:COVERING )?INDEX (\w+)",  # SQLite
    )
    scans = []
    for line in plan.splitlines():
        if re.search(r"Seq Scan on desk_ticket\b", line) or re.match(r"\s*SCAN desk_ticket$", line):
            scans.append("full scan")
        for pattern in patterns:
            if m := re.search(pattern, line):
                scans.append(m.group(1))
    return scans


# (queue, filters, order, index): its keys are read in order off this index, without a sort.
ORDERED = [
    ("all", {}, "", "ticket_created_idx"),
    ("all", {}, "oldest", "ticket_created_idx"),
    ("all", {}, "updated", "ticket_updated_idx"),
]
# (queue, filters, indexes): its rows are found through an index on what it filters by, its own
# column or the open statuses (the open backlog is small, so sorting it is cheap; reading every
# ticket is not).
OPEN = ("desk_ticket_status", "ticket_status_")
FILTERED = [
    ("mine", {"status": "open"}, ("ticket_assignee_status_idx", "desk_ticket_assignee_id", *OPEN)),
    ("my_teams", {"status": "open"}, ("ticket_team_status_idx", "desk_ticket_team_id", *OPEN)),
    ("unassigned", {"status": "open"}, ("ticket_assignee_status_idx", "desk_ticket_assignee_id", *OPEN)),
    ("breaching_soon", {"status": "open"}, ("desk_ticket_sla_next_deadline", *OPEN)),
    ("all", {"status": "open"}, OPEN),
]


@pytest.mark.parametrize(("queue", "filters", "order", "index"), ORDERED)
def test_ordered_queues_read_their_keys_off_an_index(queues, queue, filters, order, index):
    qs = selectors.ticket_queue(queues.users["agent"], queue, order=order, **filters)
    plan = _plan(qs.values("pk")[25:50], price_out_sorts=True)  # a page's keys, as KeyedPages asks
    assert _ticket_scans(plan) == [index] and not _sorts(plan), plan


@pytest.mark.parametrize(("queue", "filters", "indexes"), FILTERED)
def test_filtered_queues_find_their_rows_through_an_index(queues, queue, filters, indexes):
    qs = selectors.ticket_queue(queues.users["agent"], queue, **filters)
    plan = _plan(qs.order_by().values("pk"))  # the rows to count, and to sort for the page
    scans = _ticket_scans(plan)
    assert scans and all(scan.startswith(indexes) for scan in scans), plan
