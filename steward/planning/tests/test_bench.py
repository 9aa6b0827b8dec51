"""`steward bench planning`: the command runs end to end on a few queues and reports its figures."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError


@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_bench_planning_reports_time_accuracy_and_staffing():
    out = io.StringIO()
    # One process: a pool forked from a pytest-xdist worker (which runs threads) can deadlock in
    # the child, and did once in CI; the command's default of one process per core is for a shell.
    call_command("bench", "planning", queues=4, processes=1, json=True, stdout=out, stderr=io.StringIO())
    result = json.loads(out.getvalue())
    figures = result["figures"]
    assert result["bench"] == "planning" and figures["queues"] == 4
    assert set(figures["seconds"]) == {"generate", "forecast", "staffing", "total"}
    assert figures["staffed_intervals"] == 4 * 336
    assert figures["mase_chosen"]["seasonal"] < 1.0  # three of the four are seasonal
    assert 0.0 < figures["coverage"]["80"] <= figures["coverage"]["95"] <= 1.0
    assert sum(figures["models_used"].values()) == 4
    assert result["peak_rss_mb"] > 0


def test_bench_planning_refuses_no_queues():
    with pytest.raises(CommandError, match="--queues must be positive"):
        call_command("bench", "planning", queues=0, stdout=io.StringIO())
    with pytest.raises(CommandError, match="--processes must be positive"):
        call_command("bench", "planning", processes=0, stdout=io.StringIO())
