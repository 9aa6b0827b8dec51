"""`steward bench desk`: how fast the agent's queues list on a database of about 100,000 tickets.

In a scratch database made and dropped here (`bench_kit.scratch_database`: a SQLite file in a
temporary directory; with DATABASE_URL set, a PostgreSQL database named after it with a
``_bench_desk`` suffix), it loads the demo organisation with `tickets` tickets of history
(`demo.history` through the desk's bulk builder: months of resolved and closed tickets, a live
backlog of about two thousand open ones across the teams and agents, their SLA clocks, timelines,
messages and surveys). On PostgreSQL the tables are then analysed, as autovacuum would do after
such a load; a SQLite file is left as the application leaves it (never analysed).

Then, signed in as the demo's agent, it requests each of the agent's main queues through Django's
test client: the real URL routing, middleware, token authentication, view, selectors, SQL and JSON
serialisation, in this process, without an HTTP server or socket in front (the time a WSGI server
and the network add is not in the figures). With `DEBUG` off, as in production. Queues
(`QUEUES`): mine, my teams, unassigned, breaching soon and all, each with the "open" status
filter the agent's pages use by default; all tickets unfiltered, newest first, with a deep page (the
middle of that list), and recently updated first. The agent's queue page (/desk/, whole page with counts and sidebar) and its
"all tickets" page are timed the same way with a session.

Requests go round the queues in turn (so a disturbance of the machine touches all of them alike),
`warmup` rounds first and not counted, then `runs` runs of `requests` rounds. For each queue: the
median, p95 and maximum per run and the median of those over the runs, the rows and `count` it
answered, and the SQL queries one request runs with their time (on a separate request, since
counting them costs time).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from steward.demo.bench_kit import rss_mb, scratch_database, summary

DAY = date(2026, 3, 10)  # the demo's load instant is 10:30 in Berlin on this (working) day
TARGET_P95_MS = 150.0
API = "/api/v1/desk/tickets"


@dataclass(frozen=True, slots=True)
class Case:
    name: str
    path: str
    api: bool  # the JSON list API (token); else a page (session)
    what: str


def _cases(deep_offset: int) -> list[Case]:
    return [
        Case("mine", f"{API}?queue=mine&status=open", True, "assigned to me, open, newest first"),
        Case("my_teams", f"{API}?queue=my_teams&status=open", True, "my teams' tickets, open, newest first"),
        Case(
            "unassigned", f"{API}?queue=unassigned&status=open", True, "open, nobody assigned, newest first"
        ),
        Case(
            "breaching_soon",
            f"{API}?queue=breaching_soon&status=open",
            True,
            "open with a running clock, nearest deadline first",
        ),
        Case("all_open", f"{API}?queue=all&status=open", True, "every open ticket, newest first"),
        Case("all", f"{API}?queue=all", True, "every ticket, no filter, newest first"),
        Case(
            "all_deep_page",
            f"{API}?queue=all&offset={deep_offset}",
            True,
            f"every ticket, newest first, the page at offset {deep_offset}",
        ),
        Case(
            "all_updated",
            f"{API}?queue=all&order=updated",
            True,
            "every ticket, recently updated first (the portal's order)",
        ),
        Case("page_desk", "/desk/", False, "the agent's queue page: mine, open (whole page)"),
        Case("page_all", "/desk/queues/all/?status=any", False, "the queue page: all tickets, any status"),
    ]


def _agent(result: Any) -> Any:
    from steward.accounts.models import User

    email = next(login["email"] for login in result.logins if login["role"] == "agent")
    return User.objects.get(email=email)


def _analyse() -> str:
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        return "ANALYZE after the load (what autovacuum does soon after a bulk load)"
    return "none (a SQLite file as the application leaves it: never analysed)"


def _server() -> str:
    from django.db import connection

    if connection.vendor == "postgresql":
        version = connection.pg_version
        return f"PostgreSQL {version // 10000}.{version % 10000}"
    import sqlite3

    return f"SQLite {sqlite3.sqlite_version}"


def _get(client: Any, case: Case) -> Any:
    response = client.get(case.path, secure=True)  # secure: as behind TLS (no redirect to https)
    if response.status_code != 200:
        raise RuntimeError(
            f"{case.name}: {case.path} answered {response.status_code}: {response.content[:300]!r}"
        )
    return response


def _probe(client: Any, case: Case) -> dict[str, Any]:
    """One request with its SQL counted: what the queue answers and what it costs in queries."""
    import json

    from django.db import connection

    sql_seconds: list[float] = []

    def timed(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            sql_seconds.append(time.perf_counter() - started)

    with connection.execute_wrapper(timed):
        response = _get(client, case)
    out: dict[str, Any] = {
        "url": case.path,
        "what": case.what,
        "queries": len(sql_seconds),
        "sql_ms_one_request": round(sum(sql_seconds) * 1000, 2),
    }
    if case.api:
        body = json.loads(response.content)
        out.update(count=body["count"], rows=len(body["items"]), limit=body["limit"], offset=body["offset"])
    else:
        out.update(bytes=len(response.content))
    return out


def bench(
    *,
    tickets: int = 100_000,
    requests: int = 200,
    runs: int = 3,
    warmup: int = 10,
    seed: int = 7,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    from django.conf import settings
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import override_settings

    from steward.accounts.models import TeamMembership
    from steward.accounts.services import token_create
    from steward.demo import generator
    from steward.desk.models import OPEN_STATUSES, Ticket

    say = progress or (lambda line: None)
    figures: dict[str, Any] = {
        "method": (
            "Django test client in this process: URL routing, middleware, token (API) or session (pages) "
            "authentication, the real view, selectors, SQL and serialisation; no HTTP server or socket. "
            "DEBUG off. Requests round-robin over the queues; warm-up rounds not counted."
        ),
        "target_p95_ms": TARGET_P95_MS,
    }
    with scratch_database("bench_desk") as db:
        say(
            f"scratch {db['vendor']} database: loading the demo organisation with {tickets} tickets of history"
        )
        t0 = time.perf_counter()
        result = generator.load_demo(seed=seed, today=DAY, history=tickets, progress=lambda m: say(f"  {m}"))
        load_seconds = time.perf_counter() - t0
        statistics_note = _analyse()
        agent = _agent(result)
        open_tickets = Ticket.objects.filter(status__in=OPEN_STATUSES)
        figures["environment"] = {
            **db,
            "server": _server(),
            "statistics": statistics_note,
            "tickets": Ticket.objects.count(),
            "open_tickets": open_tickets.count(),
            "by_status": dict(
                Ticket.objects.values_list("status").annotate(n=Count("id")).order_by("status")
            ),
            "agents_with_open_tickets": open_tickets.filter(assignee__isnull=False)
            .values("assignee_id")
            .distinct()
            .count(),
            "teams": TeamMembership.objects.values("team_id").distinct().count(),
            "agent": {"id": agent.pk, "teams": TeamMembership.objects.filter(user=agent).count()},
            "load_seconds": round(load_seconds, 1),
            "peak_rss_mb": rss_mb(),
        }

        _token, secret = token_create(actor=agent, name="bench desk")
        api = Client(headers={"authorization": f"Bearer {secret}"})
        pages = Client()
        pages.force_login(agent)

        with override_settings(DEBUG=False, ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"]):
            everything = _probe(api, Case("all", f"{API}?queue=all", True, ""))
            deep_offset = everything["count"] // 2 // everything["limit"] * everything["limit"]
            cases = _cases(deep_offset)
            clients = {case.name: api if case.api else pages for case in cases}
            say(f"probing {len(cases)} queues; {warmup} warm-up rounds")
            probes = {case.name: _probe(clients[case.name], case) for case in cases}
            for _ in range(warmup):
                for case in cases:
                    _get(clients[case.name], case)
            per_run: dict[str, list[dict[str, float]]] = {case.name: [] for case in cases}
            for run in range(runs):
                times: dict[str, list[float]] = {case.name: [] for case in cases}
                for _ in range(requests):
                    for case in cases:
                        client = clients[case.name]
                        started = time.perf_counter()
                        _get(client, case)
                        times[case.name].append(time.perf_counter() - started)
                for name, values in times.items():
                    per_run[name].append(summary(values, scale=1000, digits=2))
                say(
                    f"run {run + 1}/{runs}: "
                    + ", ".join(f"{n} p95 {per_run[n][-1]['p95']:.1f} ms" for n in per_run)
                )

        queues: dict[str, Any] = {}
        for case in cases:
            runs_out = per_run[case.name]
            ms = {
                key: round(statistics.median(r[key] for r in runs_out), 2) for key in ("median", "p95", "max")
            }
            queues[case.name] = {
                **probes[case.name],
                "ms": ms,
                "runs": runs_out,
                "meets_target": ms["p95"] < TARGET_P95_MS,
            }
        figures["requests_per_queue_per_run"] = requests
        figures["runs"] = runs
        figures["warmup_rounds"] = warmup
        figures["queues"] = queues
        figures["all_meet_target"] = all(q["meets_target"] for q in queues.values())
        figures["peak_rss_mb"] = rss_mb()
    return figures
