"""building.py: the database turned into the optimiser's Problem (shifts minus absences, lunch,
skills valid that day, windows, pins, started jobs fixed, penalties)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from steward.accounts.models import UserSkill
from steward.dispatch import building
from steward.dispatch.building import job_key, tech_key
from steward.dispatch.optimiser.problem import default_penalty
from steward.dispatch.tests.plans_world import local, technician, work_order
from steward.field.models import Absence, ShiftPattern

DAY = date(2026, 11, 24)  # a Tuesday
H = 3600


@pytest.fixture
def ana(db):
    return technician("Ana Field", skills=("hvac",))


def test_a_shift_per_day_with_its_lunch_window_and_overtime(ana, world):
    built = building.build_problem(DAY, 2)
    tech = built.problem.technician(tech_key(ana.pk))
    assert [s.id for s in tech.shifts] == [f"tech-{ana.pk}/2026-11-24", f"tech-{ana.pk}/2026-11-25"]
    first, second = tech.shifts
    assert (first.start, first.end) == (8 * H, 17 * H)
    assert (second.start, second.end) == (24 * H + 8 * H, 24 * H + 17 * H)
    assert first.break_.duration == 30 * 60
    assert (first.break_.window.start, first.break_.window.end) == (11 * H + 1800, 14 * H)
    assert first.max_overtime == 3600 and first.overtime_cost_factor == 1.5
    assert first.start_location == first.end_location  # home


def test_an_absence_cuts_the_shift_and_a_gap_over_lunch_replaces_the_break(ana, world):
    Absence.objects.create(technician=ana, starts_at=local(DAY, 12), ends_at=local(DAY, 13))
    shifts = building.build_problem(DAY, 1).problem.technician(tech_key(ana.pk)).shifts
    assert [(s.start, s.end) for s in shifts] == [(8 * H, 12 * H), (13 * H, 17 * H)]
    assert all(s.break_ is None for s in shifts)  # the hour off covers lunch
    assert shifts[0].max_overtime == 0 and shifts[1].max_overtime == 3600  # overtime only at the day's end


def test_a_day_of_leave_leaves_no_shift(ana, world):
    Absence.objects.create(technician=ana, starts_at=local(DAY, 0), ends_at=local(DAY + timedelta(days=1), 0))
    built = building.build_problem(DAY, 1)
    assert tech_key(ana.pk) not in {t.id for t in built.problem.technicians}


def test_shift_patterns_follow_their_validity(ana, world):
    ShiftPattern.objects.filter(technician=ana, weekday=DAY.weekday()).update(
        valid_until=DAY - timedelta(days=1)
    )
    assert not building.build_problem(DAY, 1).problem.technicians


def test_an_expired_certification_is_not_a_skill(ana, world):
    UserSkill.objects.create(user=ana.user, skill="gas", certified_until=DAY - timedelta(days=1))
    UserSkill.objects.create(user=ana.user, skill="electrical", certified_until=DAY)
    skills = building.build_problem(DAY, 1).problem.technician(tech_key(ana.pk)).skills
    assert skills == frozenset({"hvac", "electrical"})


def test_windows_pins_and_penalties(ana, world):
    booked = work_order(
        world.account_a,
        window_kind="booked",
        window_start=local(DAY, 10),
        window_end=local(DAY, 12),
        priority="P2",
    )
    sla = work_order(world.account_a, window_kind="sla", sla_deadline=local(DAY, 15), priority="P1")
    free = work_order(world.account_a, required_skills=["hvac"], pinned_technician=ana)
    pinned = work_order(world.account_a, pinned_start=local(DAY, 9, 30))
    built = building.build_problem(DAY, 1)
    p = built.problem
    b = p.job(job_key(booked.pk))
    assert (b.window.start, b.window.end) == (10 * H, 12 * H) and b.soft_deadline is None
    assert b.penalty == default_penalty("P2")
    s = p.job(job_key(sla.pk))
    assert s.soft_deadline == 15 * H and (s.window.start, s.window.end) == (0, 24 * H)
    assert s.penalty == default_penalty("P1", sla_at_risk=True) and 0 < s.lateness_penalty < s.penalty
    fr = p.job(job_key(free.pk))
    assert fr.window is None and fr.skills == frozenset({"hvac"}) and fr.pinned_technician == tech_key(ana.pk)
    pj = p.job(job_key(pinned.pk))
    assert pj.pinned_start == 9 * H + 1800 and pj.required
    assert built.inputs["jobs"][0]["number"] == booked.number


def test_which_work_orders_the_horizon_serves(ana, world):
    other_day = work_order(
        world.account_a,
        status="scheduled",
        technician=ana,
        scheduled_start=local(DAY + timedelta(days=3), 9),
        scheduled_end=local(DAY + timedelta(days=3), 10),
    )
    today = work_order(
        world.account_a,
        status="scheduled",
        technician=ana,
        scheduled_start=local(DAY, 9),
        scheduled_end=local(DAY, 10),
    )
    past_booking = work_order(
        world.account_a,
        window_kind="booked",
        window_start=local(DAY - timedelta(days=2), 9),
        window_end=local(DAY - timedelta(days=2), 11),
    )
    done = work_order(world.account_a, status="completed")
    open_one = work_order(world.account_a)
    ids = {j.id for j in building.build_problem(DAY, 1).problem.jobs}
    assert job_key(today.pk) in ids and job_key(open_one.pk) in ids
    assert not ids & {job_key(other_day.pk), job_key(past_booking.pk), job_key(done.pk)}


def test_tomorrows_plan_leaves_today_to_todays_plan_and_takes_what_an_earlier_day_left(ana, world):
    later_today = work_order(
        world.account_a, status="scheduled", technician=ana,
        scheduled_start=local(DAY, 15), scheduled_end=local(DAY, 16),
    )  # fmt: skip
    left_yesterday = work_order(
        world.account_a, status="scheduled", technician=ana,
        scheduled_start=local(DAY - timedelta(days=1), 15), scheduled_end=local(DAY - timedelta(days=1), 16),
    )  # fmt: skip
    under_way = work_order(
        world.account_a, status="on_site", technician=ana,
        on_site_at=local(DAY, 9), scheduled_start=local(DAY, 9),
    )  # fmt: skip
    now = local(DAY, 10)
    tomorrow = {j.id for j in building.build_problem(DAY + timedelta(days=1), 1, now=now).problem.jobs}
    assert job_key(left_yesterday.pk) in tomorrow
    assert not tomorrow & {job_key(later_today.pk), job_key(under_way.pk)}
    today = {j.id for j in building.build_problem(DAY, 1, now=now).problem.jobs}
    assert {job_key(later_today.pk), job_key(left_yesterday.pk), job_key(under_way.pk)} <= today


def test_a_started_job_stays_with_its_technician_who_starts_from_its_site(ana, world):
    started = work_order(
        world.account_a,
        lat=52.45,
        lon=13.30,
        status="on_site",
        technician=ana,
        on_site_at=local(DAY, 8, 20),
        scheduled_start=local(DAY, 8, 15),
    )
    built = building.build_problem(DAY, 1)
    shift = built.problem.technician(tech_key(ana.pk)).shifts[0]
    job = built.problem.job(job_key(started.pk))
    assert shift.fixed[0].job_id == job.id and shift.fixed[0].start == 8 * H + 20 * 60
    assert shift.start_location == job.location != shift.end_location
    assert job.required and job.pinned_technician == tech_key(ana.pk)


def test_travel_matrices_are_symmetric_and_cached(ana, world):
    work_order(world.account_a, lat=52.40, lon=13.20)
    work_order(world.account_a, lat=52.60, lon=13.55)
    first = building.build_problem(DAY, 1).problem
    again = building.build_problem(DAY, 1).problem
    assert again.durations is first.durations  # the cache answered
    n = len(first.locations)
    for i in range(n):
        assert first.durations[i][i] == 0
        for j in range(n):
            assert first.durations[i][j] == first.durations[j][i] >= 0
            if i != j:
                assert first.distances[i][j] > 0


def test_planning_today_starts_at_now_and_counts_what_is_left_of_a_started_job(ana, world):
    started = work_order(
        world.account_a,
        lat=52.45,
        lon=13.30,
        status="on_site",
        technician=ana,
        duration_minutes=90,
        on_site_at=local(DAY, 9),
        scheduled_start=local(DAY, 9),
    )
    built = building.build_problem(DAY, 1, now=local(DAY, 10))
    (shift,) = built.problem.technician(tech_key(ana.pk)).shifts
    assert shift.start == 10 * H and shift.fixed[0].start == 10 * H
    assert built.problem.job(job_key(started.pk)).duration == 30 * 60  # 90 minutes from 9:00
    assert not building.build_problem(DAY, 1, now=local(DAY, 18)).problem.technicians  # the day is over
