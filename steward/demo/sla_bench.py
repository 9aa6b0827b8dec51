"""`steward bench sla`: how the SLA machinery scales with the number of open tickets.

In a scratch database made and dropped here (a SQLite file in a temporary directory; with
DATABASE_URL set, a PostgreSQL database named after it with a ``_bench_sla`` suffix), it loads the
demo organisation without history (its SLA policies with escalation levels, accounts, teams), then
builds `tickets` OPEN tickets with `desk.bulk.build_tickets` and measures:

* **build**: writing the tickets with their timelines, clocks and escalation rows;
* **sweep, one tick** (the worker's periodic desk jobs: `sweep`, `sweep_escalations`,
  `sweep_autoclose`): the open tickets were created over the four days before the build instant
  T0, a Tuesday 10:07:30 in Berlin, so first responses, next responses, resolutions and escalation
  levels keep falling due while office hours run. State as the worker leaves it at T0 (warnings and
  breaches due by then claimed by the builder, escalation levels due by then fired), the bench runs
  the ticks that follow, one every 15 seconds (the worker's tick): what falls due within one tick
  is the realistic load of one sweep. The median and p95 over `ticks` ticks are reported;
* **sweep, backlog**: one pass after the worker was stopped for `backlog_minutes`, with everything
  due in that time at once, and the cost per item;
* **replay**: `desk.sla.replay` per ticket over the generated histories (median and p95), and the
  full stored-clock computation (`desk.clock_state.clock_state`) per ticket.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from steward.demo.bench_kit import rss_mb as _rss_mb
from steward.demo.bench_kit import scratch_database
from steward.demo.bench_kit import summary as _summary

BERLIN = ZoneInfo("Europe/Berlin")
# A Tuesday in office hours, no holiday near; off the full hour, where the deadlines of everything
# that arrived overnight fall together (08:00 + a whole-hour target), which the backlog pass covers.
T0 = datetime(2026, 3, 10, 10, 7, 30, tzinfo=BERLIN)
TICK = timedelta(seconds=15)  # the worker's tick (STEWARD_WORKER_HEARTBEAT_SECONDS)
OPEN_SPAN = timedelta(days=4)  # the open tickets were created over these days before T0


def open_ticket_drafts(world: Any, *, tickets: int, now: datetime, seed: int) -> list[Any]:
    """`tickets` open tickets created over the `OPEN_SPAN` before `now`: new, answered, waiting
    for the customer (paused) or answered again after the customer's reply."""
    from steward.catalog.matching import TicketFacts, choose_policy
    from steward.desk.bulk import EventDraft, TicketDraft
    from steward.desk.priority import priority_from_matrix

    rng = random.Random(f"{seed}:bench-sla")
    levels = ("high", "medium", "low")
    teams = [t for t in world.teams if t.agent_ids]
    services = [s for s in world.services if s.team_id is not None]
    span = OPEN_SPAN.total_seconds()
    drafts = []
    policy_cache: dict[tuple, Any] = {}
    for _ in range(tickets):
        account = rng.choice(world.accounts)
        contact = rng.choice(account.contacts)
        service = rng.choice(services)
        impact, urgency = rng.choice(levels), rng.choice(levels)
        priority = priority_from_matrix(impact, urgency)
        key = (account.id, account.tier, service.id, priority)
        if key not in policy_cache:
            facts = TicketFacts(account.id, account.tier, service.id, "incident", priority, frozenset())
            policy_cache[key] = choose_policy(world.policy_rules, facts)
        policy_id = policy_cache[key]
        team = next((t for t in teams if t.id == service.team_id), rng.choice(teams))
        agent = rng.choice(team.agent_ids)
        created = (now - timedelta(seconds=rng.uniform(0, span))).replace(microsecond=0)
        policy = world.policies.get(policy_id)
        events = [
            EventDraft(
                at=created,
                type="created",
                data={"priority": priority, "status": "new", "channel": "portal", "policy": policy,
                      "policy_id": policy_id},
            )
        ]  # fmt: skip
        status = "new"
        shape = rng.random()
        t = created
        if shape > 0.3:  # answered
            t = min(now, t + timedelta(minutes=rng.uniform(3, 240)))
            events += [
                EventDraft(t, "agent_reply", {}, agent),
                EventDraft(t, "status", {"status": "open"}, agent),
            ]
            status = "open"
            if shape > 0.6:  # asked the customer
                events.append(EventDraft(t, "status", {"status": "pending"}, agent))
                status = "pending"
                reply = t + timedelta(hours=rng.uniform(0.5, 30))
                if shape > 0.8 and reply < now:  # who answered: a next-response cycle runs
                    events += [
                        EventDraft(reply, "customer_reply", {}),
                        EventDraft(reply, "status", {"status": "open"}),
                    ]
                    status = "open"
        fields = {
            "account_id": account.id, "contact_id": contact.id, "service_id": service.id, "type": "incident",
            "channel": "portal", "impact": impact, "urgency": urgency, "priority": priority, "status": status,
            "team_id": team.id, "assignee_id": agent, "subject": f"Bench ticket {len(drafts) + 1}",
            "sla_policy_id": policy_id, "created_at": created,
        }  # fmt: skip
        drafts.append(TicketDraft(fields=fields, events=events))
    return drafts


def _every(say: Callable[[str], None], done: int, total: int) -> None:
    if done % 20_000 == 0 or done == total:
        say(f"  built {done}/{total}")


def _due_counts(start: datetime, end: datetime) -> dict[str, int]:
    from steward.desk.models import SlaStatus, TicketEscalation, TicketSla

    return {
        "warnings": TicketSla.objects.filter(
            status=SlaStatus.RUNNING,
            warning_at__gt=start,
            warning_at__lte=end,
            warning_claimed_at__isnull=True,
        ).count(),
        "breaches": TicketSla.objects.filter(
            status__in=[SlaStatus.RUNNING, SlaStatus.WARNING],
            deadline__gte=start,
            deadline__lt=end,
            breach_claimed_at__isnull=True,
        ).count(),
        "escalations": TicketEscalation.objects.filter(
            fired_at__isnull=True, due_at__gt=start, due_at__lte=end
        ).count(),
    }


def _tick(at: datetime) -> dict[str, Any]:
    """One worker tick of the desk's periodic jobs at `at`, each timed."""
    from steward.desk.sweeper import sweep, sweep_autoclose, sweep_escalations

    c0, t0 = time.process_time(), time.perf_counter()
    sla = sweep(at)
    t1 = time.perf_counter()
    escalations = sweep_escalations(at)
    t2 = time.perf_counter()
    closed = sweep_autoclose(at)
    t3, c3 = time.perf_counter(), time.process_time()
    return {
        "recorded": {
            "warnings": sla["warnings"],
            "breaches": sla["breaches"],
            "escalations": escalations["escalations"],
            "closed": closed,
        },
        "seconds": {
            "sla": t1 - t0,
            "escalations": t2 - t1,
            "autoclose": t3 - t2,
            "total": t3 - t0,
            "cpu_total": c3 - c0,
        },
    }


def bench(
    *,
    tickets: int = 100_000,
    ticks: int = 7,
    backlog_minutes: int = 60,
    replay_sample: int = 20_000,
    seed: int = 7,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    from django.db.models import F

    from steward.accounts.models import Team
    from steward.demo import generator
    from steward.desk.bulk import build_tickets, escalation_specs_by_policy
    from steward.desk.clock_state import clock_state, replay_input
    from steward.desk.models import OPEN_STATUSES, Ticket, TicketEscalation, TicketSla
    from steward.desk.sla import replay

    say = progress or (lambda line: None)
    now = T0.astimezone(UTC)
    figures: dict[str, Any] = {"tickets": tickets, "t0": T0.isoformat()}
    with scratch_database("bench_sla") as db:
        figures["database"] = db
        say(f"scratch {db['vendor']} database: loading the demo organisation (no history)")
        generator.load_demo(seed=seed, today=date(2026, 3, 10), history=0)
        world = generator._history_world(teams={t.name: t for t in Team.objects.all()})
        specs = escalation_specs_by_policy()

        say(f"generating {tickets} open tickets")
        drafts = open_ticket_drafts(world, tickets=tickets, now=now, seed=seed)
        say("building them with desk.bulk.build_tickets")
        t0, c0 = time.perf_counter(), time.process_time()
        build_tickets(
            drafts, now=now, actor_label="bench", progress=lambda done, total: _every(say, done, total)
        )
        build, build_cpu = time.perf_counter() - t0, time.process_time() - c0
        # The worker kept up until T0: the escalation levels due by then have fired.
        TicketEscalation.objects.filter(fired_at__isnull=True, due_at__lte=now).update(fired_at=F("due_at"))
        figures["build"] = {
            "seconds": round(build, 2),
            "cpu_seconds": round(build_cpu, 2),  # this process only (SQLite's work included; not a server's)
            "tickets_per_second": round(tickets / build),
            "open_tickets": Ticket.objects.filter(status__in=OPEN_STATUSES).count(),
            "ticket_slas": TicketSla.objects.count(),
            "escalation_rows": TicketEscalation.objects.count(),
            "peak_rss_mb": _rss_mb(),
        }
        say(f"built in {build:.1f}s; sweeping {ticks} ticks")

        ticks_out = []
        at = now
        for _ in range(ticks):
            due = _due_counts(at, at + TICK)
            at = at + TICK
            result = _tick(at)
            ticks_out.append({"at": at.isoformat(), "due": due, **result})
        totals = [t["seconds"]["total"] for t in ticks_out]
        due_items = [sum(t["due"].values()) for t in ticks_out]
        figures["sweep_tick"] = {
            "ticks": ticks,
            "tick_seconds": TICK.total_seconds(),
            "due_per_tick": _summary([float(x) for x in due_items], digits=1),
            "seconds": _summary(totals),
            "seconds_sla": _summary([t["seconds"]["sla"] for t in ticks_out]),
            "seconds_escalations": _summary([t["seconds"]["escalations"] for t in ticks_out]),
            "seconds_autoclose": _summary([t["seconds"]["autoclose"] for t in ticks_out]),
            "cpu_seconds": _summary([t["seconds"]["cpu_total"] for t in ticks_out]),
            "per_tick": ticks_out,
            "peak_rss_mb": _rss_mb(),
        }
        say(f"ticks: median {statistics.median(totals):.3f}s; backlog of {backlog_minutes} minutes")

        end = at + timedelta(minutes=backlog_minutes)
        due = _due_counts(at, end)
        result = _tick(end)
        items = max(1, sum(result["recorded"].values()))
        figures["sweep_backlog"] = {
            "minutes": backlog_minutes,
            "due": due,
            **result,
            "ms_per_item": round(result["seconds"]["total"] / items * 1000, 3),
            "cpu_ms_per_item": round(result["seconds"]["cpu_total"] / items * 1000, 3),
            "peak_rss_mb": _rss_mb(),
        }

        say(f"replay over {min(replay_sample, len(drafts))} histories")
        sample = drafts[:replay_sample]
        replay_times, state_times = [], []
        for draft in sample:
            events = replay_input([(e.at, e.type, e.data) for e in draft.events])
            t0 = time.perf_counter()
            replay(events[0]["policy"], events, now)
            t1 = time.perf_counter()
            clock_state(events, now, specs)
            t2 = time.perf_counter()
            replay_times.append(t1 - t0)
            state_times.append(t2 - t1)
        figures["replay"] = {
            "histories": len(sample),
            "events_per_history": round(statistics.mean(len(d.events) for d in sample), 2),
            "replay_us": _summary(replay_times, scale=1e6, digits=1),
            "clock_state_us": _summary(state_times, scale=1e6, digits=1),
            "peak_rss_mb": _rss_mb(),
        }
    return figures
