"""`steward bench desk`: it times every queue through the real API and pages in a scratch database
it drops again, and reports what each queue answered and what it cost in queries (no timing is
asserted: the speed is the bench's own report)."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DEFAULT_DB_ALIAS, connections

from steward.desk.models import Ticket


@pytest.mark.django_db(transaction=True)
def test_bench_desk_reports_every_queue_and_drops_its_scratch_database():
    conn = connections[DEFAULT_DB_ALIAS]
    name_before = conn.settings_dict["NAME"]
    out = io.StringIO()
    call_command(
        "bench", "desk", tickets=400, requests=3, runs=2, json=True, stdout=out, stderr=io.StringIO()
    )
    result = json.loads(out.getvalue())
    figures = result["figures"]
    env = figures["environment"]
    assert result["bench"] == "desk" and env["vendor"] == conn.vendor
    assert 300 <= env["tickets"] <= 500 and 0 < env["open_tickets"] < env["tickets"]
    assert sum(env["by_status"].values()) == env["tickets"] and env["agents_with_open_tickets"] >= 2
    queues = figures["queues"]
    assert set(queues) == {
        "mine", "my_teams", "unassigned", "breaching_soon", "all_open", "all", "all_deep_page", "all_updated",
        "page_desk", "page_all",
    }  # fmt: skip
    for name, q in queues.items():
        assert len(q["runs"]) == 2 and q["ms"]["median"] <= q["ms"]["max"], name
        assert q["meets_target"] == (q["ms"]["p95"] < figures["target_p95_ms"])
        assert 0 < q["queries"] <= 20, name  # counted on a real request: never N+1
    # What the API answered, as the database holds it.
    assert queues["all"]["count"] == env["tickets"] and queues["all"]["rows"] == queues["all"]["limit"]
    assert queues["all_open"]["count"] == env["open_tickets"]
    deep = queues["all_deep_page"]
    assert (
        deep["offset"] == env["tickets"] // 2 // deep["limit"] * deep["limit"]
        and deep["rows"] == deep["limit"]
    )
    assert queues["unassigned"]["count"] <= env["open_tickets"]
    assert queues["page_desk"]["bytes"] > 0
    assert figures["all_meet_target"] == all(q["meets_target"] for q in queues.values())
    # Back on the database it started with, which the bench did not touch.
    assert conn.settings_dict["NAME"] == name_before
    assert not Ticket.objects.exists()
    if conn.vendor == "postgresql":
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [env["name"]])
            assert cursor.fetchone() is None


@pytest.mark.parametrize("option", ["tickets", "requests", "runs"])
def test_bench_desk_refuses_non_positive_counts(option):
    with pytest.raises(CommandError, match=f"--{option} must be positive"):
        call_command("bench", "desk", **{option: 0}, stdout=io.StringIO())
