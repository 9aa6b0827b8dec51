"""Plan services: create (and enqueue), optimise (claimed once, validated before it is stored,
progress), manual assign/move/unassign with the reason when refused, publish through the field
services, supersede. A small test engine (cheapest insertion by priority, on the optimiser's
own helpers) stands in for PyVRP so these tests are fast and deterministic."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from steward.core.errors import Conflict, Forbidden, ValidationFailed
from steward.dispatch import services, storage
from steward.dispatch.building import build_problem, job_key
from steward.dispatch.models import Plan, PlanRoute, PlanStatus, PlanUnplanned, PlanVisit
from steward.dispatch.optimiser import problem as opt
from steward.dispatch.optimiser.schedule import best_insertion
from steward.dispatch.optimiser.validator import validate
from steward.dispatch.tests.plans_world import local, next_monday, technician, work_order

DAY = next_monday(timezone.localdate())


class InsertionEngine(opt.Engine):
    """Test double: jobs by penalty, each at its cheapest feasible place."""

    name = "test-insertion"

    def __init__(self) -> None:
        self.progress_calls = []

    def solve(self, problem, *, time_limit, seed=0, progress=None):
        plan = opt.Plan([], [])
        for job in sorted(problem.jobs, key=lambda j: (-j.penalty, j.id)):
            found = best_insertion(problem, plan, job.id)
            if found is None:
                plan.unplanned.append(opt.Unplanned(job.id, storage.unplanned_reason(problem, job), "test"))
                continue
            plan.routes = [r for r in plan.routes if r.shift_id != found.shift_id] + [found.result.route]
        if progress:
            progress(1.0, 0)
        plan.cost = storage.plan_cost(problem, plan)
        plan.stats = {"engine": self.name}
        return plan


@pytest.fixture
def crew(world):
    ana = technician("Ana Field", lat=52.52, lon=13.40, skills=("hvac",))
    ben = technician("Ben Field", lat=52.50, lon=13.30, skills=("electrical",))
    a = world.account_a
    jobs = {
        "hvac1": work_order(a, lat=52.53, lon=13.42, required_skills=["hvac"], priority="P1"),
        "hvac2": work_order(a, lat=52.51, lon=13.45, required_skills=["hvac"]),
        "elec": work_order(a, lat=52.49, lon=13.32, required_skills=["electrical"]),
        "any": work_order(a, lat=52.50, lon=13.38),
        "booked": work_order(
            a,
            lat=52.52,
            lon=13.35,
            window_kind="booked",
            window_start=local(DAY, 9),
            window_end=local(DAY, 10),
        ),
        "plumbing": work_order(a, required_skills=["plumbing"]),
    }
    return ana, ben, jobs


def _optimised(actor, engine=None):
    plan = Plan.objects.create(horizon_start=DAY, days=1, status=PlanStatus.OPTIMISING, created_by=actor)
    assert services.plan_optimise(plan_id=plan.pk, engine=engine or InsertionEngine()) == "done"
    plan.refresh_from_db()
    return plan


def _stored_is_valid(plan):
    built = build_problem(plan.horizon_start, plan.days)
    routes = PlanRoute.objects.filter(plan=plan).prefetch_related("visits")
    loaded = storage.load(built, storage.stored_sequences(routes), storage.stored_reasons(plan))
    assert validate(built.problem, loaded) == []
    assert loaded.planned_job_ids() == {
        job_key(v.work_order_id) for v in PlanVisit.objects.filter(route__plan=plan)
    }


@pytest.mark.django_db
def test_plan_create_enqueues_the_optimisation_on_commit(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        plan = services.plan_create(actor=world.users["dispatcher"], horizon_start=DAY, days=2, time_limit=5)
    assert (plan.status, plan.days, plan.time_limit_seconds) == ("optimising", 2, 5)
    assert len(callbacks) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["agent", "technician", "customer_a_admin"])
def test_only_planners_create_plans(world, role):
    with pytest.raises(Forbidden):
        services.plan_create(actor=world.users[role], horizon_start=DAY)
    assert not Plan.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("field", "kwargs"), [("days", {"days": 6}), ("time_limit", {"time_limit": 0})])
def test_plan_create_refuses_bad_input_naming_the_field(world, field, kwargs):
    with pytest.raises(ValidationFailed) as exc:
        services.plan_create(actor=world.users["dispatcher"], horizon_start=DAY, **kwargs)
    assert field in exc.value.fields


@pytest.mark.django_db
def test_optimise_stores_a_valid_plan_with_reasons_and_kpis(crew, world):
    ana, ben, jobs = crew
    plan = _optimised(world.users["dispatcher"])
    assert (plan.status, plan.progress) == ("ready", 100)
    assert plan.jobs_planned == 5 and plan.jobs_unplanned == 1
    unplanned = PlanUnplanned.objects.get(plan=plan)
    assert (unplanned.work_order, unplanned.reason) == (jobs["plumbing"], "no_qualified_technician")
    visits = {v.work_order_id: v for v in PlanVisit.objects.filter(route__plan=plan).select_related("route")}
    assert (
        visits[jobs["hvac1"].pk].route.technician == ana and visits[jobs["elec"].pk].route.technician == ben
    )
    booked = visits[jobs["booked"].pk]
    assert local(DAY, 9) <= booked.start_at <= local(DAY, 10)
    assert plan.travel_seconds == sum(r.travel_seconds for r in plan.routes.all()) > 0
    assert 0 < plan.utilisation < 1
    assert plan.inputs["jobs"] and plan.engine_stats["engine"] == "test-insertion"
    assert PlanRoute.objects.filter(plan=plan).count() == 2  # one per shift, used or not
    _stored_is_valid(plan)
    # A duplicated task finds the plan claimed and does nothing.
    assert services.plan_optimise(plan_id=plan.pk, engine=InsertionEngine()) == "skipped"


@pytest.mark.django_db
def test_a_failing_engine_or_an_invalid_plan_fails_the_plan_with_the_reason(crew, world):
    class Broken(opt.Engine):
        def solve(self, problem, **kw):
            raise RuntimeError("solver exploded")

    class Cheating(opt.Engine):
        def solve(self, problem, **kw):
            return opt.Plan([], [])  # forgets every job

    for engine, text in ((Broken(), "solver exploded"), (Cheating(), "failed validation")):
        plan = Plan.objects.create(horizon_start=DAY, status=PlanStatus.OPTIMISING)
        assert services.plan_optimise(plan_id=plan.pk, engine=engine) == "failed"
        plan.refresh_from_db()
        assert plan.status == "failed" and text in plan.error
        assert not plan.routes.exists()


@pytest.mark.django_db
def test_manual_move_unassign_and_refusals(crew, world):
    ana, ben, jobs = crew
    dispatcher = world.users["dispatcher"]
    plan = _optimised(dispatcher)
    any_visit = PlanVisit.objects.get(route__plan=plan, work_order=jobs["any"])
    target = ben if any_visit.route.technician == ana else ana
    services.plan_assign(actor=dispatcher, plan=plan, work_order=jobs["any"], technician=target, day=DAY)
    assert PlanVisit.objects.get(route__plan=plan, work_order=jobs["any"]).route.technician == target
    assert "moved" not in plan.changes.first().summary and jobs["any"].number in plan.changes.first().summary
    _stored_is_valid(plan)

    with pytest.raises(ValidationFailed) as exc:
        services.plan_assign(actor=dispatcher, plan=plan, work_order=jobs["hvac1"], technician=ben, day=DAY)
    assert "lacks the skill" in exc.value.message and "hvac" in exc.value.message
    # A booked 9-10 job cannot go after a full day of work.
    services.plan_assign(
        actor=dispatcher, plan=plan, work_order=jobs["hvac2"], technician=ana, day=DAY, position=0
    )
    with pytest.raises(ValidationFailed) as exc:
        ana_visits = PlanVisit.objects.filter(route__plan=plan, route__technician=ana).count()
        for _ in range(8):  # pile long jobs in front so the booked one is pushed past 10:00
            extra = work_order(world.account_a, lat=52.6, lon=13.6, duration_minutes=120)
            services.plan_assign(
                actor=dispatcher, plan=plan, work_order=extra, technician=ana, day=DAY, position=0
            )
    assert exc.value.fields and ("window" in exc.value.message or "shift end" in exc.value.message)
    assert PlanVisit.objects.filter(route__plan=plan, route__technician=ana).count() >= ana_visits
    _stored_is_valid(plan)

    services.plan_unassign(actor=dispatcher, plan=plan, work_order=jobs["hvac2"])
    row = PlanUnplanned.objects.get(plan=plan, work_order=jobs["hvac2"])
    assert row.reason == "capacity" and "dispatcher" in row.detail
    _stored_is_valid(plan)


@pytest.mark.django_db
def test_publish_schedules_unschedules_and_supersedes(crew, world):
    _ana, _ben, jobs = crew
    dispatcher = world.users["dispatcher"]
    first = _optimised(dispatcher)
    services.plan_publish(actor=dispatcher, plan=first)
    first.refresh_from_db()
    assert first.status == "published"
    for visit in PlanVisit.objects.filter(route__plan=first).select_related("route", "work_order"):
        wo = visit.work_order
        assert (wo.status, wo.technician_id, wo.scheduled_start) == (
            "scheduled",
            visit.route.technician_id,
            visit.start_at,
        )
        assert wo.planned_travel_seconds == visit.travel_seconds
    with pytest.raises(Conflict):
        services.plan_publish(actor=dispatcher, plan=first)

    second = _optimised(dispatcher)
    services.plan_unassign(actor=dispatcher, plan=second, work_order=jobs["any"])
    services.plan_publish(actor=dispatcher, plan=second)
    first.refresh_from_db()
    jobs["any"].refresh_from_db()
    assert first.status == "superseded"
    assert jobs["any"].status == "unscheduled" and jobs["any"].technician is None


@pytest.mark.django_db
def test_edits_are_refused_once_published_and_for_non_planners(crew, world):
    _ana, _ben, jobs = crew
    plan = _optimised(world.users["dispatcher"])
    with pytest.raises(Forbidden):
        services.plan_unassign(actor=world.users["agent"], plan=plan, work_order=jobs["any"])
    services.plan_publish(actor=world.users["manager"], plan=plan)
    with pytest.raises(Conflict):
        services.plan_unassign(actor=world.users["dispatcher"], plan=plan, work_order=jobs["any"])


@pytest.mark.django_db
def test_progress_is_written_while_the_engine_runs(crew, world):
    seen = []

    class Slow(InsertionEngine):
        def solve(self, problem, *, time_limit, seed=0, progress=None):
            progress(0.5, 12345)
            seen.append(Plan.objects.values_list("progress", "best_cost").get())
            return super().solve(problem, time_limit=time_limit, seed=seed, progress=progress)

    plan = _optimised(world.users["dispatcher"], engine=Slow())
    assert seen == [(50, 12345)] and plan.progress == 100


def test_day_is_a_future_monday():
    assert DAY.weekday() == 0 and timezone.localdate() - timedelta(days=1) < DAY


@pytest.mark.django_db
def test_the_product_engine_plans_a_small_day_validly(crew, world):
    """The real path: PyVRPEngine (no engine passed), 1 second, stored and valid."""
    _ana, _ben, jobs = crew
    plan = Plan.objects.create(horizon_start=DAY, days=2, status=PlanStatus.OPTIMISING, time_limit_seconds=1)
    assert services.plan_optimise(plan_id=plan.pk) == "done", Plan.objects.get().error
    plan.refresh_from_db()
    assert plan.jobs_planned == 5 and plan.jobs_unplanned == 1 and plan.progress == 100
    assert PlanUnplanned.objects.get(plan=plan).work_order == jobs["plumbing"]
    _stored_is_valid(plan)


@pytest.mark.django_db
def test_an_urgent_job_goes_into_todays_published_plan_and_the_moves_are_told(crew, world, monkeypatch):
    ana, _ben, _jobs = crew
    monkeypatch.setattr(timezone, "now", lambda: local(DAY, 10))  # planning on DAY at 10:00
    dispatcher = world.users["dispatcher"]
    published = _optimised(dispatcher)
    services.plan_publish(actor=dispatcher, plan=published)
    urgent = work_order(
        world.account_a,
        lat=52.52,
        lon=13.41,
        required_skills=["hvac"],
        priority="P1",
        window_kind="sla",
        sla_deadline=local(DAY, 13),
    )
    plan = services.replan_urgent(actor=dispatcher, work_order=urgent, time_limit=2)
    assert plan.status == "ready" and plan.pk != published.pk
    visit = PlanVisit.objects.select_related("route").get(route__plan=plan, work_order=urgent)
    assert visit.route.technician == ana and visit.start_at >= local(DAY, 10)
    change = plan.changes.get(kind="urgent")
    assert urgent.number in change.summary and "inserted" in change.summary
    assert all(m["number"].startswith("WO-") and "->" in m["text"] for m in change.moves)
    _stored_is_valid(plan)
    services.plan_publish(actor=dispatcher, plan=plan)
    published.refresh_from_db()
    urgent.refresh_from_db()
    assert published.status == "superseded" and urgent.status == "scheduled"


@pytest.mark.django_db
def test_replan_needs_a_published_plan_today(crew, world):
    _ana, _ben, jobs = crew
    with pytest.raises(Conflict):
        services.replan_urgent(actor=world.users["dispatcher"], work_order=jobs["any"])
