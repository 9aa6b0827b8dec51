"""`steward bench sla`: its open-ticket histories go through the bulk builder with exactly the clocks
the services store, and the command runs in a scratch database it drops again (no timing asserted:
speed is measured by the bench itself)."""

from __future__ import annotations

import io
import json
from datetime import UTC, date

import pytest
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from steward.accounts.models import Team
from steward.core.models import AuditEvent
from steward.demo import generator, sla_bench
from steward.desk.bulk import build_tickets
from steward.desk.clocks import recompute_sla
from steward.desk.models import (
    OPEN_STATUSES,
    Ticket,
    TicketEscalation,
    TicketEvent,
    TicketSla,
    TicketSlaCycle,
)
from steward.desk.sweeper import sweep

NOW = sla_bench.T0.astimezone(UTC)


@pytest.mark.django_db
def test_bench_histories_are_built_as_the_services_store_them():
    generator.load_demo(seed=7, today=date(2026, 3, 10), history=0, accounts=20, agents=4, technicians=4)
    world = generator._history_world(teams={t.name: t for t in Team.objects.all()})
    drafts = sla_bench.open_ticket_drafts(world, tickets=400, now=NOW, seed=7)
    ids = build_tickets(drafts, now=NOW, actor_label="bench")
    assert Ticket.objects.filter(pk__in=ids, status__in=OPEN_STATUSES).count() == 400
    # Clocks overdue at the build instant were claimed then, with their event and audit record.
    breached = TicketSla.objects.filter(ticket_id__in=ids, status="breached")
    assert breached.exists() and not breached.filter(breach_claimed_at__isnull=True).exists()
    assert TicketEvent.objects.filter(type="sla_breached", at=NOW).count() == breached.count()
    assert AuditEvent.objects.filter(action="sla.breached", actor_label="system").count() == breached.count()
    assert (
        TicketSla.objects.filter(status="paused").exists()
        and TicketSla.objects.filter(status="running").exists()
    )
    assert TicketEscalation.objects.filter(due_at__gt=NOW).exists()

    def stored():
        return (
            sorted(TicketSla.objects.values_list(*[
                "ticket_id", "target", "cycle_opened_at", "deadline", "warning_at", "status", "met_at",
                "breached_at", "elapsed_business_seconds", "paused_business_seconds", "warning_claimed_at",
                "breach_claimed_at"])),
            sorted(TicketEscalation.objects.values_list("ticket_id", "level_id", "cycle_opened_at", "due_at",
                                                        "fired_at"), key=str),
            sorted(Ticket.objects.values_list("pk", "sla_next_deadline", "sla_state"), key=str),
            sorted(TicketSlaCycle.objects.values_list("ticket_id", "target", "number", "opened_at", "deadline",
                                                      "status", "met_at", "breached_at"), key=str),
        )  # fmt: skip

    before = stored()
    assert TicketSlaCycle.objects.filter(ticket_id__in=ids, status="breached").exists()
    with transaction.atomic():
        for ticket in Ticket.objects.all():
            assert recompute_sla(ticket=ticket, now=NOW) == {"warnings": [], "breaches": []}
    assert stored() == before
    assert sweep(NOW) == {"warnings": 0, "breaches": 0, "skipped": 0}


@pytest.mark.django_db(transaction=True)
def test_bench_command_reports_and_drops_its_scratch_database():
    conn = connections[DEFAULT_DB_ALIAS]
    name_before = conn.settings_dict["NAME"]
    out = io.StringIO()
    call_command("bench", "sla", tickets=150, json=True, stdout=out, stderr=io.StringIO())
    result = json.loads(out.getvalue())
    figures = result["figures"]
    assert result["bench"] == "sla" and figures["tickets"] == 150
    assert figures["build"]["open_tickets"] == 150 and figures["build"]["seconds"] > 0
    for key in ("sweep_tick", "sweep_backlog", "replay", "build"):
        assert figures[key]["peak_rss_mb"] > 0
    assert figures["sweep_tick"]["ticks"] == len(figures["sweep_tick"]["per_tick"])
    backlog = figures["sweep_backlog"]
    assert backlog["recorded"]["breaches"] == backlog["due"]["breaches"]
    assert backlog["recorded"]["escalations"] == backlog["due"]["escalations"]
    assert figures["replay"]["histories"] == 150
    assert figures["replay"]["replay_us"]["median"] <= figures["replay"]["replay_us"]["p95"]
    # Back on the database it started with, which the bench did not touch.
    assert conn.settings_dict["NAME"] == name_before
    assert not Ticket.objects.exists()
    if conn.vendor == "postgresql":
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [figures["database"]["name"]])
            assert cursor.fetchone() is None


def test_bench_refuses_a_non_positive_ticket_count():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--tickets must be positive"):
        call_command("bench", "sla", tickets=0, stdout=io.StringIO())
