"""`steward bench kpi`: it builds the history in a scratch database it drops again and times every
KPI through the series code path; what each KPI answered is reported beside its time (no timing is
asserted: the speed is the bench's own report)."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connections

from steward.analytics import kpis
from steward.desk.models import Ticket


@pytest.mark.django_db(transaction=True)
def test_bench_kpi_times_every_kpi_on_generated_history_and_drops_its_database():
    conn = connections[DEFAULT_DB_ALIAS]
    out = io.StringIO()
    call_command("bench", "kpi", tickets=600, runs=2, json=True, stdout=out, stderr=io.StringIO())
    result = json.loads(out.getvalue())
    figures = result["figures"]
    env = figures["environment"]
    assert result["bench"] == "kpi" and env["vendor"] == conn.vendor
    rows = env["rows"]
    assert rows["tickets"] == 600 and rows["clocks"] == 1200
    assert rows["sla_cycles"] > rows["clocks"] // 2  # the decided clocks and the next-response cycles
    assert 1200 <= rows["events"] <= 2400 and 0 < rows["responses"] < 200 and 20 < rows["work_orders"] < 120
    assert figures["series"]["weeks"] == 52

    reported = figures["kpis"]
    assert set(reported) == set(kpis.KPIS)
    for name, kpi in kpis.KPIS.items():
        r = reported[name]
        if kpi.kind == "unavailable":
            assert r == {"available": False, "reason": kpi.unavailable_reason}
            continue
        assert r["buckets"] == 52 and r["median_seconds"] <= r["max_seconds"], name
        assert r["under_target"] == (r["median_seconds"] < figures["target_seconds"]), name
        assert r["cold_seconds"] > 0 and r["four_weeks_live_seconds"] > 0, name
        assert r["stored_equals_cold"] is True, name
        # Every KPI the history feeds has values.
        assert r["values"] > 0 and r["lines"] >= 1, name
    assert reported["csat"]["by"] == "team" and reported["csat"]["lines"] == 6
    assert reported["utilisation"]["by"] == "technician"
    assert figures["all_under_target"] == all(r.get("under_target", True) for r in reported.values())

    assert not Ticket.objects.exists()
    if conn.vendor == "postgresql":
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [env["name"]])
            assert cursor.fetchone() is None
