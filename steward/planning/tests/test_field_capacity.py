"""Pure: the field page's numbers (field_capacity), the jobs a roster cannot reach, the round axis
and the required-against-rostered step chart."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from steward.planning import charts, field_capacity, staffing

PROPS = settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
MONDAY = date(2026, 3, 30)


# --- jobs beyond the roster ----------------------------------------------------------------------


def test_jobs_beyond_the_roster_worked_example():
    # 2 technicians x 6 h x (1 - 0.25) = 9 h; a job takes 1.5 h + 0.75 h travel: 4 jobs fit of 10
    common = {"mean_job_hours": 1.5, "travel_hours_per_job": 0.75, "productive_hours_per_shift": 6.0}
    assert staffing.field_jobs_beyond_roster(jobs=10, rostered=2, shrinkage=0.25, **common) == pytest.approx(
        6
    )
    assert staffing.field_jobs_beyond_roster(jobs=4, rostered=2, shrinkage=0.25, **common) == 0.0
    assert staffing.field_jobs_beyond_roster(jobs=3.5, rostered=0, **common) == 3.5
    with pytest.raises(staffing.StaffingError):
        staffing.field_jobs_beyond_roster(jobs=1, rostered=1, shrinkage=1.0, **common)
    with pytest.raises(staffing.StaffingError):
        staffing.field_jobs_beyond_roster(jobs=-1, rostered=1, **common)


@PROPS
@given(
    jobs=st.floats(0, 200),
    job_hours=st.floats(0.1, 8),
    travel=st.floats(0, 3),
    productive=st.floats(1, 12),
    shrinkage=st.floats(0, 0.6),
)
def test_the_required_technicians_leave_no_job_beyond_the_roster(
    jobs, job_hours, travel, productive, shrinkage
):
    """The inverse of field_requirement: its technicians reach every job; fewer leave some over
    when there are jobs to need them, and never more than the jobs themselves."""
    args = {
        "mean_job_hours": job_hours,
        "travel_hours_per_job": travel,
        "productive_hours_per_shift": productive,
        "shrinkage": shrinkage,
    }
    need = staffing.field_requirement(skill="x", jobs=jobs, **args).technicians
    assert staffing.field_jobs_beyond_roster(jobs=jobs, rostered=need, **args) == 0.0
    for rostered in range(need):
        beyond = staffing.field_jobs_beyond_roster(jobs=jobs, rostered=rostered, **args)
        assert 0 <= beyond <= jobs
    if need >= 2:
        on_shift = math.ceil(jobs * (job_hours + travel) / productive - 1e-9)
        # one technician on shift fewer than the work needs leaves jobs over
        short = math.floor((on_shift - 1) / (1 - shrinkage) + 1e-9)
        assert staffing.field_jobs_beyond_roster(jobs=jobs, rostered=short, **args) > 0


# --- the page's numbers --------------------------------------------------------------------------


def _rows(days: int = 35):
    """hvac: 6 jobs, 3 required, 2 rostered (1 on the first day); plumbing: 1 job, 1 required, 2
    rostered; nothing at weekends."""
    for i in range(days):
        day = MONDAY + timedelta(days=i)
        weekday = day.weekday() < 5
        yield ("plumbing", day, 1.0 if weekday else 0.0, int(weekday), 2 * weekday)
        yield ("hvac", day, 6.0 if weekday else 0.0, 3 * weekday, (1 if i == 0 else 2) * weekday)


ASSUMED = {
    "mean_job_hours": {"hvac": 1.5, "plumbing": 2.0},
    "travel_hours_per_job": 0.75,
    "productive_hours_per_shift": 6.0,
    "shrinkage": 0.0,
}


def test_field_capacity_sums_days_and_ranks_shortfalls():
    cap = field_capacity.field_capacity(_rows(), **ASSUMED)
    assert cap.skills == ["hvac", "plumbing"] and len(cap.days) == 35
    first = cap.cells[("hvac", MONDAY)]
    assert (first.required, first.rostered, first.gap) == (3, 1, -2)
    assert first.jobs_at_risk == pytest.approx(6 - 6 / 2.25)  # one technician reaches 2.67 jobs
    assert first.colour == charts.heat_colour(-2, 3)
    monday = cap.days[0]
    assert (monday.required, monday.rostered, monday.gap, monday.short_skills) == (4, 3, -1, 1)
    assert monday.jobs == 7.0 and monday.jobs_at_risk == pytest.approx(first.jobs_at_risk)
    assert (cap.required_days, cap.rostered_days) == (100, 99)
    assert (cap.short_cells, cap.surplus_cells) == (25, 25)
    assert cap.jobs == 175.0 and cap.jobs_at_risk == pytest.approx(6 - 6 / 2.25 + 24 * (6 - 12 / 2.25))
    assert cap.worst[0] is first and len(cap.worst) == field_capacity.WORST
    assert [c.gap for c in cap.worst[1:]] == [-1] * 9 and [c.day for c in cap.worst[1:3]] == [
        MONDAY + timedelta(days=1),
        MONDAY + timedelta(days=2),
    ]


def test_a_skill_without_its_mean_job_hours_risks_no_jobs():
    assumed = ASSUMED | {"mean_job_hours": {}}
    cap = field_capacity.field_capacity(_rows(7), **assumed)
    assert cap.jobs_at_risk == 0 and cap.short_cells == 5


def test_heat_window_pages_by_four_weeks_and_names_the_months():
    cap = field_capacity.field_capacity(_rows(), **ASSUMED)
    window = cap.heat_window()
    assert window.first_week == 1 and window.days[0] == MONDAY and len(window.days) == 28
    assert window.pages == [(1, 4), (5, 5)]
    assert window.months == [(MONDAY, 2), (date(2026, 4, 1), 26)]
    assert [skill for skill, _ in window.rows] == ["hvac", "plumbing"]
    assert window.rows[0][1][0] is cap.cells[("hvac", MONDAY)] and window.totals[0] is cap.days[0]
    last = cap.heat_window(5)
    assert last.days == [MONDAY + timedelta(days=28 + i) for i in range(7)]
    # a week inside a page opens that page; past the end, the last page; before it, the first
    assert cap.heat_window(3).first_week == 1 and cap.heat_window(99).first_week == 5
    assert cap.heat_window(-4).first_week == 1
    thirteen = field_capacity.field_capacity(_rows(91), **ASSUMED).heat_window(13)
    assert thirteen.pages == [(1, 4), (5, 8), (9, 12), (13, 13)]
    assert len(thirteen.days) == 7


def test_heat_window_marks_a_skill_missing_on_a_day():
    rows = [("hvac", MONDAY, 1.0, 1, 1), ("hvac", MONDAY + timedelta(days=1), 1.0, 1, 1)]
    rows.append(("gas", MONDAY + timedelta(days=1), 1.0, 1, 0))
    window = field_capacity.field_capacity(rows, **ASSUMED).heat_window()
    assert dict(window.rows)["gas"][0] is None and dict(window.rows)["gas"][1].gap == -1


def test_an_empty_run_has_an_empty_page():
    cap = field_capacity.field_capacity([], **ASSUMED)
    window = cap.heat_window()
    assert cap.days == [] and cap.worst == [] and window.days == [] and window.pages == [(1, 1)]


# --- axis and chart ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "min_step", "expected"),
    [
        (0, 0, (1.0, 0.2)),
        (0.3, 0, (0.3, 0.1)),
        (5.7, 0, (6.0, 2.0)),
        (20, 0, (20.0, 5.0)),
        (23, 0, (25.0, 5.0)),
        (101, 0, (150.0, 50.0)),
        (0.5, 1, (3.0, 1.0)),
        (7, 1, (8.0, 2.0)),
    ],
)
def test_nice_ceiling_examples(value, min_step, expected):
    assert charts.nice_ceiling(value, min_step=min_step) == expected


@PROPS
@given(value=st.floats(1e-3, 1e7), min_step=st.sampled_from([0, 1]))
def test_nice_ceiling_is_a_round_top_just_above(value, min_step):
    top, step = charts.nice_ceiling(value, min_step=min_step)
    ticks = round(top / step)
    assert top >= value and 3 <= ticks <= 5 and math.isclose(step * ticks, top)
    mantissa = step / 10 ** math.floor(math.log10(step) + 1e-9)
    assert any(math.isclose(mantissa, m) for m in (1, 2, 5)) and step >= min_step
    if value >= 3 * min_step:
        assert top < 2.5 * value  # never more than one rung of headroom


def test_required_rostered_chart_geometry():
    chart = charts.required_rostered_chart(
        ["a", "b", "c", "d"], [2, 3, 1, 3], [2, 1, 1, 0], width=240, height=140, pad=20, label_every=2
    )
    # four slots of 50 px from x=20; y runs 0..3 (one per step) over 100 px from y=120 up to 20
    assert chart.y_max == 3 and [label for _, label in chart.y_labels] == ["0", "1", "2", "3"]
    assert chart.required.split()[:4] == ["20.0,53.3", "70.0,53.3", "70.0,20.0", "120.0,20.0"]
    assert chart.rostered.split()[-2:] == ["170.0,120.0", "220.0,120.0"]
    # two short runs: slot b (3 against 1) and slot d (3 against 0), each a closed outline
    assert chart.shortfalls == [
        "70.0,20.0 120.0,20.0 120.0,86.7 70.0,86.7",
        "170.0,20.0 220.0,20.0 220.0,120.0 170.0,120.0",
    ]
    assert chart.x_labels == [(20.0, "a"), (120.0, "c")]
    with pytest.raises(ValueError):
        charts.required_rostered_chart(["a"], [1, 2], [1, 2])


def test_required_rostered_chart_joins_consecutive_short_days():
    chart = charts.required_rostered_chart(
        ["a", "b", "c"], [2, 2, 0], [1, 0, 0], width=130, height=140, pad=20
    )
    assert len(chart.shortfalls) == 1 and len(chart.shortfalls[0].split()) == 8
    assert charts.required_rostered_chart([], [], []).shortfalls == []


def test_a_small_day_needs_one_technician_not_two():
    """Half a gas job (1.5 h + 0.5 h travel = 1 h of work) over 7 productive hours with 15%
    shrinkage: one technician (1 / 5.95 rounded up), not ceil(ceil(1/7) / 0.85) = 2."""
    need = staffing.field_requirement(
        skill="gas",
        jobs=0.5,
        mean_job_hours=1.5,
        travel_hours_per_job=0.5,
        productive_hours_per_shift=7,
        shrinkage=0.15,
    )
    assert need.technician_hours == 1.0 and need.technicians == 1
    # 12 jobs x 2 h = 24 h over 5.95 h a technician: 4.03 -> 5
    need = staffing.field_requirement(
        skill="gas",
        jobs=12,
        mean_job_hours=1.5,
        travel_hours_per_job=0.5,
        productive_hours_per_shift=7,
        shrinkage=0.15,
    )
    assert need.technicians == 5
