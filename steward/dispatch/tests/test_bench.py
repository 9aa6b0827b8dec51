"""`steward bench dispatch` on tiny cases: one Solomon instance at 1 s, a 5-technician field day at
2 s. No speed or gap is asserted (those are the bench's report); what is asserted is that the
figures are those of the plans it wrote and validated."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from steward.dispatch.bench import family, summarise_instances
from steward.dispatch.optimiser.readers import read_best_known

C101 = Path("/work/shared/bench/solomon/C101.txt")
needs_solomon = pytest.mark.skipif(not C101.exists(), reason="benchmark data not present")


def run(**options) -> dict:
    out = io.StringIO()
    call_command("bench", "dispatch", json=True, stdout=out, stderr=io.StringIO(), **options)
    return json.loads(out.getvalue())


@needs_solomon
def test_a_solomon_instance_is_solved_validated_and_written(tmp_path):
    result = run(instances=[str(C101)], time_limit=1, solution_dir=str(tmp_path))
    assert result["wall_seconds"] > 0 and result["peak_rss_mb"] > 0
    figures = result["figures"]
    assert figures["engine"] == "pyvrp" and figures["convention"] == "dimacs"
    (row,) = figures["instances"]
    assert row["instance"] == "C101" and row["family"] == "C1"
    assert row["best_known"] == 827.3
    assert row["valid"] and row["violations"] == 0 and row["unplanned"] == 0
    assert row["gap_pct"] == pytest.approx(100 * (row["cost"] - 827.3) / 827.3, abs=1e-3)
    assert row["cost"] >= 827.3 - 1e-9  # nobody beats the optimum of C101
    written_cost, routes = read_best_known(tmp_path / "C101.sol")
    assert written_cost == pytest.approx(row["cost"])
    assert len(routes) == row["routes"] and sorted(c for r in routes for c in r) == list(range(1, 101))
    assert figures["summary"]["mean_gap_pct"] == row["gap_pct"] and figures["summary"]["all_valid"]
    assert figures["targets"] == {"all_valid": True, "mean_gap_at_most_0_5pct": row["gap_pct"] <= 0.5}


def test_the_field_day_is_solved_by_three_engines_and_compared():
    result = run(suite="field", technicians=5, jobs=30, time_limit=2)
    assert result["wall_seconds"] > 0 and result["peak_rss_mb"] > 0
    figures = result["figures"]
    plans = figures["plans"]
    assert set(plans) == {"pyvrp", "ortools", "greedy"}
    for name, plan in plans.items():
        assert plan["valid"], (name, plan["first_violations"])
        assert plan["planned"] + plan["unplanned"] == 30
        assert sum(plan["unplanned_by_priority"].values()) == plan["unplanned"]
        assert plan["unplanned"] > 0  # 37 hours of work for 45 hours of shifts, plus travel
    ours = plans["pyvrp"]["cost"]
    assert figures["cost_ratios"] == {
        "ortools/ours": round(plans["ortools"]["cost"] / ours, 4),
        "greedy/ours": round(plans["greedy"]["cost"] / ours, 4),
    }
    assert figures["all_valid"] and figures["targets"]["all_valid"]
    assert figures["targets"]["ours_at_least_5pct_cheaper_than_ortools"] == (
        ours <= 0.95 * plans["ortools"]["cost"]
    )
    # the solvers search for their time; the greedy dispatcher may finish within the clock's tick
    assert plans["pyvrp"]["cpu_seconds"] > 0 and plans["ortools"]["cpu_seconds"] > 0
    assert plans["greedy"]["cpu_seconds"] >= 0


def test_bad_options_are_refused_with_the_option_named(tmp_path):
    with pytest.raises(CommandError, match="--time-limit must be positive"):
        run(time_limit=0)
    with pytest.raises(CommandError, match="--technicians must be positive"):
        run(suite="field", technicians=0)
    with pytest.raises(CommandError, match="no such instance file"):
        run(instances=[str(tmp_path / "missing.txt")])


def test_families_and_the_summary():
    assert [family(n) for n in ("C101", "c208", "R110", "RC201", "X-n101-k25")] == [
        "C1",
        "C2",
        "R1",
        "RC2",
        "",
    ]
    rows = [
        {"instance": "C101", "family": "C1", "gap_pct": 0.0, "valid": True, "seconds": 1.0},
        {"instance": "R101", "family": "R1", "gap_pct": 1.0, "valid": True, "seconds": 2.0},
        {"instance": "R201", "family": "R2", "gap_pct": 2.0, "valid": False, "seconds": 3.0},
        {"instance": "mine", "family": "", "gap_pct": None, "valid": True, "seconds": 4.0},
    ]
    s = summarise_instances(rows)
    assert s["mean_gap_pct"] == 1.0
    assert s["mean_gap_pct_by_family"] == {"C": 0.0, "C1": 0.0, "R": 1.5, "R1": 1.0, "R2": 2.0}
    assert s["at_best_known"] == 1 and s["worst"] == {"instance": "R201", "gap_pct": 2.0}
    assert not s["all_valid"] and s["invalid"] == ["R201"]
    assert s["max_seconds"] == 4.0
