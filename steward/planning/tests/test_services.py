"""Desk planning runs, the nightly job and what-if scenarios, on a small ticket history."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from steward.core.errors import Forbidden, ValidationFailed
from steward.core.models import AuditEvent
from steward.planning import services, tasks
from steward.planning.models import AgentShift, PlanningRun, StaffingRequirement
from steward.planning.tests.conftest import PLAN_DATE
from steward.testing import factories as f

pytestmark = [pytest.mark.django_db, pytest.mark.filterwarnings("ignore::FutureWarning")]


def at(hour: int, day_offset: int = 0) -> datetime:
    return datetime.combine(PLAN_DATE + timedelta(days=day_offset), time(hour), tzinfo=UTC)


def test_manager_plans_the_desk_and_the_run_keeps_its_inputs(world, desk_history):
    # Two agents rostered 09:00-17:00 on the first planned day.
    for role in ("agent", "manager"):
        AgentShift.objects.create(agent=world.users[role], team=desk_history, starts_at=at(9), ends_at=at(17))
    run = services.plan_desk(
        actor=world.users["manager"], plan_date=PLAN_DATE, parameters={"service_level": 0.9}, now=at(6)
    )
    assert run.status == "done" and run.trigger == "on_demand"
    assert (
        run.parameters["service_level"] == 0.9 and run.parameters["channels"]["phone"]["rule"] == "erlang_a"
    )
    hourly = run.series.filter(granularity="hourly")
    assert {(s.team_id, s.channel) for s in hourly} == {
        (desk_history.pk, "phone"),
        (desk_history.pk, "email"),
    }
    assert all(s.points.count() == 336 for s in hourly)
    assert all(s.points.count() == 91 for s in run.series.filter(granularity="daily"))
    for series in hourly:  # the backtest's verdict is stored with the series
        assert series.mase is not None and series.coverage_80 is not None
        assert series.fallback == (series.model == "SeasonalNaive")
    phone = StaffingRequirement.objects.filter(run=run, channel="phone")
    assert phone.count() == 336
    ten = phone.get(interval_start=at(10))
    night = phone.get(interval_start=at(3))
    weekend = phone.get(interval_start=at(10, day_offset=5))
    assert ten.arrivals == pytest.approx(5, abs=1.5) and ten.required >= 2
    assert night.required == 0 and weekend.required == 0
    assert ten.rostered == 2 and phone.get(interval_start=at(17)).rostered == 0
    assert ten.expected_service_level is not None
    assert run.summary["series"] == 2 and run.summary["required_hours"] > 0
    assert AuditEvent.objects.filter(action="planning.run", object_id=str(run.pk)).exists()


def test_only_managers_and_admins_plan(world, desk_history):
    for role in ("agent", "dispatcher", "technician", "customer_a_admin"):
        with pytest.raises(Forbidden):
            services.plan_desk(actor=world.users[role], plan_date=PLAN_DATE)
    assert not PlanningRun.objects.exists()


def test_bad_parameters_name_the_field(world, desk_history):
    with pytest.raises(ValidationFailed) as caught:
        services.plan_desk(actor=world.users["admin"], plan_date=PLAN_DATE, parameters={"shrinkage": 1.5})
    assert "shrinkage" in caught.value.fields
    with pytest.raises(ValidationFailed) as caught:
        services.plan_desk(actor=world.users["admin"], plan_date=PLAN_DATE, parameters={"colour": "red"})
    assert "colour" in caught.value.fields


@pytest.mark.parametrize(
    ("parameters", "field"),
    [
        ({"history_days": "lots"}, "history_days"),
        ({"history_days": 10**9}, "history_days"),
        ({"history_days": 7}, "history_days"),
        ({"service_level": "high"}, "service_level"),
        ({"max_occupancy": True}, "max_occupancy"),
        ({"interval_seconds": 900}, "interval_seconds"),
        ({"channels": []}, "channels"),
        ({"channels": {"phone": 3}}, "channels"),
        ({"channels": {"phone": {"rule": "guess"}}}, "channels"),
        ({"channels": {"phone": {"aht_seconds": -5}}}, "channels"),
        ({"channels": {"phone": {"aht_seconds": "slow"}}}, "channels.phone.aht_seconds"),
    ],
)
def test_every_bad_desk_parameter_names_its_field(world, desk_history, parameters, field):
    with pytest.raises(ValidationFailed) as caught:
        services.plan_desk(actor=world.users["admin"], plan_date=PLAN_DATE, parameters=parameters)
    assert field in caught.value.fields
    assert not PlanningRun.objects.exists()


@pytest.mark.parametrize("plan_date", [date(664, 12, 11), date(1999, 12, 31), date(9999, 1, 1)])
def test_a_plan_date_out_of_reach_is_refused(world, plan_date):
    for plan in (services.plan_desk, services.plan_field):
        with pytest.raises(ValidationFailed) as caught:
            plan(actor=world.users["admin"], plan_date=plan_date)
        assert "plan_date" in caught.value.fields
    assert not PlanningRun.objects.exists()


def test_without_history_nothing_is_planned(world):
    with pytest.raises(ValidationFailed, match="enough ticket history"):
        services.plan_desk(actor=world.users["admin"], plan_date=PLAN_DATE)
    assert not PlanningRun.objects.exists()


def test_nightly_plan_runs_once_per_date(world, desk_history):
    assert tasks.run_nightly_plan(now=at(1)) is None  # before 02:00: not yet
    first = tasks.run_nightly_plan(now=at(3))
    assert first is not None and first.trigger == "nightly" and first.created_by is None
    assert tasks.run_nightly_plan(now=at(4)) is None
    assert PlanningRun.objects.filter(trigger="nightly").count() == 1
    # a second worker that missed the existence check loses on the unique constraint, quietly
    assert services.plan_nightly(now=at(5)) is None
    assert PlanningRun.objects.filter(trigger="nightly").count() == 1


def test_a_nightly_plan_that_cannot_be_made_is_not_retried_every_tick(world):
    assert tasks.run_nightly_plan(now=at(3)) is None  # no ticket history at all
    failed = PlanningRun.objects.get(trigger="nightly")
    assert failed.status == "failed" and "enough ticket history" in failed.error
    assert tasks.run_nightly_plan(now=at(4)) is None
    assert PlanningRun.objects.count() == 1


def test_what_if_side_by_side_with_the_baseline_and_simulated(world, desk_history):
    base = services.plan_desk(actor=world.users["manager"], plan_date=PLAN_DATE, now=at(6))
    scenario = services.scenario_create(
        actor=world.users["manager"], base_run=base, changes={"arrivals_factor": 3.0, "headcount_delta": 1}
    )
    baseline, what_if = scenario.summary["baseline"], scenario.summary["scenario"]
    assert scenario.kind == "scenario" and scenario.base_run == base
    assert what_if["required_hours"] > baseline["required_hours"]
    assert what_if["rostered_hours"] == baseline["rostered_hours"] + 2 * 336  # one more head, two queues
    simulated = what_if["simulation"]
    assert simulated["channel"] == "phone" and simulated["offered"] > 0
    # Staffed as the formula asked, the simulated desk lands near the formula's service level.
    assert simulated["simulated_service_level"] == pytest.approx(simulated["formula_service_level"], abs=0.12)
    with pytest.raises(ValidationFailed) as caught:
        services.scenario_create(actor=world.users["manager"], base_run=base, changes={"arrivals_factor": -1})
    assert "arrivals_factor" in caught.value.fields
    with pytest.raises(Forbidden):
        services.scenario_create(actor=world.users["agent"], base_run=base, changes={})


# --- the desk roster -------------------------------------------------------------------------------


def _on(hour: int) -> datetime:
    return datetime(2026, 3, 2, hour, tzinfo=UTC)


def test_a_manager_rosters_a_member_agent_and_it_is_audited(world):
    from steward.accounts.models import TeamMembership

    team = f.TeamFactory(name="Roster")
    agent = world.users["agent"]
    TeamMembership.objects.create(team=team, user=agent)
    shift = services.agent_shift_create(
        actor=world.users["manager"], agent=agent, team=team, starts_at=_on(8), ends_at=_on(16)
    )
    assert AgentShift.objects.get() == shift
    assert AuditEvent.objects.filter(action="agent_shift.create", object_id=str(shift.pk)).exists()
    with pytest.raises(ValidationFailed) as caught:  # overlapping the first
        services.agent_shift_create(
            actor=world.users["manager"], agent=agent, team=team, starts_at=_on(15), ends_at=_on(20)
        )
    assert "starts_at" in caught.value.fields
    services.agent_shift_create(  # touching is not overlapping
        actor=world.users["manager"], agent=agent, team=team, starts_at=_on(16), ends_at=_on(20)
    )
    services.agent_shift_delete(actor=world.users["admin"], shift=shift)
    assert AgentShift.objects.count() == 1
    assert AuditEvent.objects.filter(action="agent_shift.delete").count() == 1


@pytest.mark.parametrize(
    ("who", "member", "hours", "field"),
    [
        ("technician", True, (8, 16), "agent"),  # not a desk agent
        ("agent", False, (8, 16), "team"),  # not in the team
        ("agent", True, (16, 8), "ends_at"),
        ("agent", True, (0, 17), "ends_at"),  # 17 hours
    ],
)
def test_a_bad_shift_names_its_field_and_nothing_is_written(world, who, member, hours, field):
    from steward.accounts.models import TeamMembership

    team = f.TeamFactory(name="Roster")
    if member:
        TeamMembership.objects.create(team=team, user=world.users[who])
    with pytest.raises(ValidationFailed) as caught:
        services.agent_shift_create(
            actor=world.users["manager"],
            agent=world.users[who],
            team=team,
            starts_at=_on(hours[0]),
            ends_at=_on(hours[1]),
        )
    assert field in caught.value.fields
    assert not AgentShift.objects.exists()


def test_only_managers_and_admins_roster(world):
    team = f.TeamFactory(name="Roster")
    for role in ("agent", "dispatcher", "technician", "customer_a_admin"):
        with pytest.raises(Forbidden):
            services.agent_shift_create(
                actor=world.users[role],
                agent=world.users["agent"],
                team=team,
                starts_at=_on(8),
                ends_at=_on(9),
            )
    assert not AgentShift.objects.exists()
