"""plan.py and charts.py, pure: heads per interval by channel rule, roster coverage, chart geometry."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from steward.planning import charts, plan, staffing


def test_erlang_c_channel_needs_the_worked_examples_heads_and_reports_the_rosters_service():
    # 200 calls an hour of 180 s at 80/20 is the worked example's 10 Erlangs: 14 on the floor,
    # 20 rostered at 30% shrinkage; 20 rostered heads put 14 on the floor (SL 88.8%).
    needs = plan.staff_intervals(
        arrivals=[200.0, 0.0],
        rostered=[20, 0],
        channel={"rule": plan.ERLANG_C, "aht_seconds": 180, "target_seconds": 20},
        service_level=0.8,
        shrinkage=0.3,
        max_occupancy=1.0,
        interval_seconds=3600,
    )
    assert (needs[0].on_floor, needs[0].required) == (14, 20)
    assert needs[0].expected_service_level == pytest.approx(0.8884, abs=1e-4)
    assert (needs[1].required, needs[1].expected_service_level) == (0, 1.0)


def test_backlog_channel_spreads_work_over_the_sla():
    needs = plan.staff_intervals(
        arrivals=[12.0, 0.0, 0.0, 0.0],
        rostered=[1, 1, 1, 1],
        channel={"rule": plan.BACKLOG, "aht_seconds": 600, "sla_hours": 2},
        service_level=0.8,
        shrinkage=0.0,
        max_occupancy=1.0,
        interval_seconds=3600,
    )
    assert [n.on_floor for n in needs] == [1, 1, 0, 0]
    assert all(n.expected_service_level is None for n in needs)


def test_unknown_rule_is_refused_naming_it():
    with pytest.raises(staffing.StaffingError, match="rule"):
        plan.channel_settings("phone", {"phone": {"rule": "guess"}})


def test_a_shift_counts_only_for_the_hours_it_covers_whole():
    day = datetime(2026, 3, 2)
    starts = [day + timedelta(hours=h) for h in range(24)]
    shifts = [
        (day + timedelta(hours=9), day + timedelta(hours=17)),
        (day + timedelta(hours=9, minutes=30), day + timedelta(hours=12)),
    ]
    heads = plan.heads_per_interval(shifts, starts, 3600)
    assert (
        heads[8] == 0
        and heads[9] == 1
        and heads[10] == 2
        and heads[11] == 2
        and heads[12] == 1
        and heads[17] == 0
    )


def test_band_chart_geometry():
    chart = charts.band_chart(
        ["a", "b", "c"],
        [0, 5, 10],
        [0, 4, 8],
        [0, 6, 12],
        [0, 3, 6],
        [0, 7, 20],
        width=236,
        height=136,
        pad=18,
        label_every=2,
    )
    # y scales to the 95% top (20): the mean's last point is halfway up; x spans the padding.
    assert chart.mean == "18.0,118.0 118.0,93.0 218.0,68.0"
    assert chart.band_95.split()[0] == "18.0,118.0" and chart.band_95.split()[2] == "218.0,18.0"
    assert [label for _, label in chart.x_labels] == ["a", "c"]
    assert charts.heat_colour(-2, 4).startswith("rgba(200") and charts.heat_colour(1, 4).startswith("rgba(40")
    assert charts.heat_colour(0, 0) == "#f4f4f4"
