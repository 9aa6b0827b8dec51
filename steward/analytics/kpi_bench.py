"""`steward bench kpi`: how long each KPI takes for a 12-month weekly series with one breakdown,
on a scratch database (`demo.bench_kit.scratch_database`) holding `tickets` tickets of history.

The history is bulk-built here, deterministically (seeded), straight into the tables the KPIs read
(`core.bulk_rows.RawTable`: COPY on PostgreSQL, multi-row INSERTs on SQLite; no SLA replay: the KPIs read
stored clocks, so their values only need to be plausible): 13 months of tickets spread over teams, agents, services, accounts, priorities and channels, each with its
timeline (created, the first agent reply, the resolution, a reopen for some), its first-response
and resolution clocks, survey answers for some resolutions, and work orders for a tenth of the
tickets (technicians with shifts, travel, booked windows, follow-up visits). On PostgreSQL the
tables are analysed after the load, as autovacuum would do.

Each KPI is then timed through `analytics.series.series` (the code path of the pages and the API):
once cold (every week from the rows), then `runs` times in the steady state (the closed weeks from
the stored cells, `analytics.cells`, the latest week live), the headline figure being the median
with the slowest beside it, and after a change that reaches four weeks back.
"""

from __future__ import annotations

import math
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import Any

from steward.demo.bench_kit import rss_mb, scratch_database

NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
HISTORY_DAYS = 395
BATCH = 20_000
TARGET_SECONDS = {"postgresql": 1.0, "sqlite": 3.0}
# The breakdown each KPI is timed with (the first its source offers of these).
BREAKDOWN_PREFERENCE = ("team", "technician", "account")


def _world(rng: random.Random) -> dict[str, list[int]]:
    from steward.accounts.models import Team, TeamMembership, User, UserRole
    from steward.catalog.models import Service
    from steward.customers.models import CustomerAccount, Site
    from steward.field.models import ShiftPattern, Technician

    teams = Team.objects.bulk_create([Team(name=f"Team {i}") for i in range(6)])
    agents = User.objects.bulk_create(
        [User(email=f"agent{i}@bench.test", full_name=f"Agent {i}") for i in range(40)]
    )
    UserRole.objects.bulk_create([UserRole(user=u, role="agent") for u in agents])
    TeamMembership.objects.bulk_create(
        [TeamMembership(team=teams[i % 6], user=u) for i, u in enumerate(agents)]
    )
    tech_users = User.objects.bulk_create(
        [User(email=f"tech{i}@bench.test", full_name=f"Technician {i}") for i in range(30)]
    )
    UserRole.objects.bulk_create([UserRole(user=u, role="technician") for u in tech_users])
    techs = Technician.objects.bulk_create(
        [
            Technician(user=u, home_latitude=52.5, home_longitude=13.4, hourly_cost=45 + i)
            for i, u in enumerate(tech_users)
        ]
    )
    ShiftPattern.objects.bulk_create(
        [
            ShiftPattern(technician=t, weekday=d, start=dtime(8), end=dtime(16, 30))
            for t in techs
            for d in range(5)
        ]
    )
    services = Service.objects.bulk_create(
        [Service(name=f"Service {i}", code=f"SVC{i}", team=teams[i % 6]) for i in range(10)]
    )
    accounts = CustomerAccount.objects.bulk_create([CustomerAccount(name=f"Account {i}") for i in range(200)])
    sites = Site.objects.bulk_create(
        [
            Site(account=a, name="HQ", address="Street 1", city="Berlin", latitude=52.5, longitude=13.4)
            for a in accounts
        ]
    )
    return {
        "teams": [t.pk for t in teams],
        "agents": [u.pk for u in agents],
        "techs": [t.pk for t in techs],
        "services": [s.pk for s in services],
        "accounts": [a.pk for a in accounts],
        "sites": [s.pk for s in sites],
    }


def _build(tickets: int, seed: int, say: Callable[[str], None]) -> dict[str, int]:
    from django.db import transaction

    from steward.core.bulk_rows import RawTable
    from steward.desk.models import Ticket, TicketEvent, TicketSla, TicketSlaCycle
    from steward.field.models import WorkOrder
    from steward.quality.models import Survey, SurveyResponse

    rng = random.Random(seed)
    w = _world(rng)
    start = NOW - timedelta(days=HISTORY_DAYS)
    span = (NOW - start).total_seconds()
    site_of = dict(zip(w["accounts"], w["sites"], strict=True))
    # Parents before children: each batch is written table by table, tickets first.
    tables = {
        m: RawTable(m)
        for m in (Ticket, Survey, SurveyResponse, TicketEvent, TicketSla, TicketSlaCycle, WorkOrder)
    }
    pending: dict[type, list[dict[str, Any]]] = {m: [] for m in tables}
    written = dict.fromkeys(tables, 0)

    def add(model: type, **row: Any) -> None:
        pending[model].append(row)

    def clock(**row: Any) -> None:
        """A TicketSla row and, once decided, its cycle (the only one: number 1)."""
        add(TicketSla, **row)
        if row["status"] in ("met", "breached"):
            add(
                TicketSlaCycle, ticket_id=row["ticket_id"], target=row["target"], number=1,
                opened_at=row["cycle_opened_at"], deadline=row["deadline"], status=row["status"],
                met_at=row["met_at"], breached_at=row["breached_at"],
            )  # fmt: skip

    def flush() -> None:
        with transaction.atomic():
            for model, table in tables.items():
                table.insert(pending[model])
                written[model] += len(pending[model])
                pending[model].clear()

    wo_number = 0

    for pk in range(1, tickets + 1):
        created = start + timedelta(seconds=span * pk / (tickets + 1))
        team_i = rng.randrange(6)
        team = w["teams"][team_i]
        agent = w["agents"][team_i + 6 * rng.randrange(6)] if rng.random() < 0.95 else None
        account = rng.choice(w["accounts"])
        first_reply = created + timedelta(hours=rng.lognormvariate(0.5, 1.0))
        resolved = first_reply + timedelta(hours=rng.lognormvariate(2.5, 1.2))
        done = resolved < NOW and rng.random() < 0.97
        status = (
            ("closed" if rng.random() < 0.6 else "resolved")
            if done
            else rng.choice(("new", "open", "pending"))
        )
        add(
            Ticket,
            id=pk,
            account_id=account,
            service_id=rng.choice(w["services"]),
            team_id=team,
            assignee_id=agent,
            priority=rng.choice(("P1", "P2", "P3", "P3", "P4")),
            channel=rng.choice(("portal", "email", "email", "phone", "api")),
            status=status,
            subject=f"Bench ticket {pk}",
            first_contact_resolution=done and rng.random() < 0.35,
            created_at=created,
            resolved_at=resolved if done else None,
            closed_at=resolved + timedelta(days=3) if status == "closed" else None,
        )
        add(TicketEvent, ticket_id=pk, at=created, type="created", data={"status": "new"})
        if first_reply < NOW:
            add(TicketEvent, ticket_id=pk, at=first_reply, type="agent_reply", data={})
        if done:
            if rng.random() < 0.05:
                add(
                    TicketEvent,
                    ticket_id=pk,
                    at=resolved - timedelta(hours=2),
                    type="status",
                    data={"status": "open", "from": "resolved"},
                )
            add(
                TicketEvent, ticket_id=pk, at=resolved, type="status", data={"status": status, "from": "open"}
            )
        fr_deadline = created + timedelta(hours=8)
        fr_met = first_reply <= fr_deadline
        clock(
            ticket_id=pk, target="first_response", cycle_opened_at=created, deadline=fr_deadline,
            status=("met" if fr_met else "breached") if first_reply < NOW else "running",
            met_at=first_reply if fr_met and first_reply < NOW else None,
            breached_at=None if fr_met else fr_deadline,
            elapsed_business_seconds=(first_reply - created).total_seconds() * 0.4,
        )  # fmt: skip
        res_deadline = created + timedelta(hours=72)
        res_met = done and resolved <= res_deadline
        clock(
            ticket_id=pk, target="resolution", cycle_opened_at=created, deadline=res_deadline,
            status=("met" if res_met else "breached") if done or res_deadline < NOW else "running",
            met_at=resolved if res_met else None, breached_at=None if res_met else res_deadline,
            elapsed_business_seconds=((resolved if done else NOW) - created).total_seconds() * 0.35,
        )  # fmt: skip
        # Customer follow-ups: a next-response cycle each, decided once the agent answered.
        if done and rng.random() < 0.3:
            opened = first_reply
            for number in range(1, rng.randint(1, 3) + 1):
                opened += timedelta(hours=rng.uniform(1, 12))
                deadline, answer = opened + timedelta(hours=8), opened + timedelta(hours=rng.uniform(0.2, 12))
                if answer >= NOW:
                    break
                met = answer <= deadline
                add(
                    TicketSlaCycle, ticket_id=pk, target="next_response", number=number, opened_at=opened,
                    deadline=deadline, status="met" if met else "breached", met_at=answer if met else None,
                    breached_at=None if met else deadline,
                )  # fmt: skip
                opened = answer
        if done and rng.random() < 0.15:
            answered = resolved + timedelta(hours=rng.uniform(1, 72))
            if answered < NOW:
                add(
                    Survey, id=pk, ticket_id=pk, resolved_at=resolved, account_id=account, email="r@bench.test",
                    agent_id=agent, team_id=team, due_at=resolved, created_at=resolved, sent_at=resolved,
                    answered_at=answered, expires_at=resolved + timedelta(days=14),
                )  # fmt: skip
                add(
                    SurveyResponse, survey_id=pk, ticket_id=pk, account_id=account, agent_id=agent, team_id=team,
                    csat=rng.choice((1, 2, 3, 4, 4, 5, 5, 5)), nps=rng.randrange(11), answered_at=answered,
                )  # fmt: skip
        if rng.random() < 0.1:
            wo_number += 1
            en_route = created + timedelta(days=rng.uniform(0.5, 5))
            on_site = en_route + timedelta(minutes=rng.uniform(10, 70))
            finished = on_site + timedelta(minutes=rng.uniform(30, 180))
            finished_ok = finished < NOW
            window_start = on_site - timedelta(minutes=rng.uniform(-60, 120))
            add(
                WorkOrder, id=wo_number, number=f"WO-{wo_number:07d}", ticket_id=pk, account_id=account,
                site_id=site_of[account], title="Bench job",
                status=("completed" if rng.random() < 0.88 else "incomplete") if finished_ok else "dispatched",
                technician_id=rng.choice(w["techs"]), en_route_at=en_route if finished_ok else None,
                on_site_at=on_site if finished_ok else None, finished_at=finished if finished_ok else None,
                window_kind="booked", window_start=window_start, window_end=window_start + timedelta(hours=2),
                planned_travel_seconds=int((on_site - en_route).total_seconds()),
                planned_travel_meters=rng.randrange(2_000, 60_000),
                incomplete_reason=rng.choice(("part missing", "no access", "customer away", "")),
                created_at=created,
            )  # fmt: skip
        if len(pending[Ticket]) >= BATCH:
            flush()
            if written[Ticket] % 100_000 == 0:
                say(f"{written[Ticket]} tickets written")
    flush()
    say(f"{written[Ticket]} tickets written")
    return {
        "tickets": written[Ticket],
        "events": written[TicketEvent],
        "clocks": written[TicketSla],
        "sla_cycles": written[TicketSlaCycle],
        "responses": written[SurveyResponse],
        "work_orders": written[WorkOrder],
    }


def _analyse() -> str:
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        return "ANALYZE after the load"
    return "none (a SQLite file as the application leaves it)"


def _timed(call: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    out = call()
    return time.perf_counter() - started, out


def _time_kpi(kpi, by: str | None, first: date, last: date, runs: int, target: float) -> dict[str, Any]:
    """Three figures of one KPI's series:
    - cold: every week computed from the rows (no stored cells yet; this stores them);
    - the steady state (the headline figure, median of `runs`): the weeks read from the stored
      cells and the latest week computed live, as the open week always is;
    - after a change reaching four weeks back (a month-old ticket reopened): those weeks live."""
    from steward.analytics import cells
    from steward.analytics.buckets import buckets
    from steward.analytics.series import org_timezone, series
    from steward.core.services import history_changed

    weeks = buckets(first, last, "week", org_timezone())

    def run(live_weeks: int = 0):
        if live_weeks:
            history_changed(since=weeks[-live_weeks].start)
            cells.consume_changes()
        return series(kpi=kpi, first=first, last=last, bucket="week", by=by)

    def figures_of(s) -> list:
        return [(line.group, [(p.value, p.counts) for p in line.points]) for line in s.lines]

    def same(a: Any, b: Any) -> bool:
        """Equal, floats to 1e-9 relative: a sum of floats over the same rows may differ in its
        last bits with the order the database adds them in (one week alone or among 52)."""
        if isinstance(a, float) or isinstance(b, float):
            return a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
        if isinstance(a, list | tuple) and isinstance(b, list | tuple):
            return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
        if isinstance(a, dict) and isinstance(b, dict):
            return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
        return a == b

    cold, s = _timed(run)
    steady_runs = [_timed(lambda: run(1)) for _ in range(runs)]
    steady = [seconds for seconds, _ in steady_runs]
    four = [_timed(lambda: run(4))[0] for _ in range(runs)]
    points = sum(1 for line in s.lines for p in line.points if p.value is not None)
    median = statistics.median(steady)
    return {
        "by": by,
        "median_seconds": round(median, 3),
        "max_seconds": round(max(steady), 3),
        "cold_seconds": round(cold, 3),
        "four_weeks_live_seconds": round(statistics.median(four), 3),
        "lines": len(s.lines),
        "buckets": len(s.buckets),
        "values": points,
        "under_target": median < target,
        "cold_under_target": cold < target,
        # The stored cells must answer exactly what the rows did.
        "stored_equals_cold": all(same(figures_of(out), figures_of(s)) for _, out in steady_runs),
    }


def bench(
    *, tickets: int = 100_000, runs: int = 3, seed: int = 11, progress: Callable[[str], None] | None = None
) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import override_settings

    from steward.analytics import cells, kpis

    say = progress or (lambda line: None)
    figures: dict[str, Any] = {}
    with scratch_database("bench_kpi") as db, override_settings(TIME_ZONE="Europe/Berlin"):
        say(f"scratch {db['vendor']} database: building {tickets} tickets of history")
        t0 = time.perf_counter()
        counts = _build(tickets, seed, say)
        figures["environment"] = {
            **db,
            "rows": counts,
            "load_seconds": round(time.perf_counter() - t0, 1),
            "statistics": _analyse(),
        }
        last = date(2026, 3, 8)
        first = last - timedelta(weeks=52) + timedelta(days=1)
        target = TARGET_SECONDS.get(connection.vendor, 3.0)
        results = {}
        cells.consume_changes()
        for kpi in kpis.KPIS.values():
            if kpi.kind == "unavailable":
                results[kpi.name] = {"available": False, "reason": kpi.unavailable_reason}
                continue
            by = next((d for d in BREAKDOWN_PREFERENCE if d in kpi.dims), None)
            results[kpi.name] = _time_kpi(kpi, by, first, last, runs, target)
            r = results[kpi.name]
            say(
                f"{kpi.name} by {by}: {r['median_seconds']} s with the latest week live "
                f"(cold {r['cold_seconds']} s, 4 weeks live {r['four_weeks_live_seconds']} s)"
            )
        figures["series"] = {"from": first.isoformat(), "to": last.isoformat(), "bucket": "week", "weeks": 52}
        figures["target_seconds"] = target
        figures["kpis"] = results
        figures["all_under_target"] = all(r.get("under_target", True) for r in results.values())
        figures["all_cold_under_target"] = all(r.get("cold_under_target", True) for r in results.values())
    figures["peak_rss_mb"] = rss_mb()
    return figures
