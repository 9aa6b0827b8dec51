"""Preventive maintenance: plans, generation ahead over the horizon (claimed by compare-and-set,
idempotent: never two work orders for one plan and due date), windows and the contract's SLA."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import IntegrityError, transaction

from steward.core.errors import Forbidden, ValidationFailed
from steward.field import services
from steward.field.models import MaintenancePlan, WorkOrder
from steward.field.tasks import generate_due_maintenance
from steward.testing import factories as f

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)  # Monday 10:00 Berlin


def _plan(world, **kw):
    kw.setdefault("title", "Filter change")
    kw.setdefault("interval_count", 2)
    kw.setdefault("interval_unit", "weeks")
    kw.setdefault("first_due", date(2026, 3, 11))
    kw.setdefault("horizon_days", 30)
    kw.setdefault("required_skills", ["hvac"])
    plan = services.maintenance_plan_create(
        actor=world.users["manager"], account=world.account_a, site=world.site_a, **kw
    )
    MaintenancePlan.objects.filter(pk=plan.pk).update(next_generation_at=NOW)
    return plan


def test_generates_each_due_date_within_the_horizon_with_its_window(world):
    plan = _plan(world)
    counts = generate_due_maintenance(NOW)
    assert counts["work_orders"] == 3
    orders = list(WorkOrder.objects.filter(maintenance_plan=plan).order_by("maintenance_due"))
    assert [w.maintenance_due for w in orders] == [date(2026, 3, 11), date(2026, 3, 25), date(2026, 4, 8)]
    first = orders[0]
    assert (first.origin, first.window_kind, first.required_skills) == (
        "maintenance",
        "maintenance",
        ["hvac"],
    )
    # Window: 3 days before the due date (but not before now) to the end of the due day, Berlin.
    assert first.window_start == NOW
    assert first.window_end == datetime(2026, 3, 11, 23, 0, tzinfo=UTC)
    assert orders[1].window_start == datetime(2026, 3, 21, 23, 0, tzinfo=UTC)
    assert first.sla_deadline is None  # no contract
    plan.refresh_from_db()
    assert plan.generated_until == date(2026, 4, 8) and plan.next_generation_at == NOW + timedelta(days=1)


def test_running_again_creates_nothing_and_the_next_day_adds_only_new_dates(world):
    plan = _plan(world)
    generate_due_maintenance(NOW)
    assert generate_due_maintenance(NOW)["work_orders"] == 0  # not due again until tomorrow
    later = NOW + timedelta(days=14)
    assert generate_due_maintenance(later)["work_orders"] == 1  # 2026-04-22 came into the horizon
    assert WorkOrder.objects.filter(maintenance_plan=plan).count() == 4


def test_the_claim_is_compare_and_set(world):
    plan = _plan(world)
    assert len(services.maintenance_generate(plan_id=plan.pk, now=NOW)) == 3
    assert services.maintenance_generate(plan_id=plan.pk, now=NOW) == []  # the second caller loses


def test_a_duplicate_for_the_same_plan_and_date_is_refused_by_the_database(world):
    plan = _plan(world)
    generate_due_maintenance(NOW)
    first = WorkOrder.objects.filter(maintenance_plan=plan).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        WorkOrder.objects.create(
            number="WO-999999",
            account=world.account_a,
            site=world.site_a,
            title="dup",
            maintenance_plan=plan,
            maintenance_due=first.maintenance_due,
        )


def test_contract_gives_the_sla_deadline(world):
    f.ContractFactory(account=world.account_a, valid_from=date(2026, 1, 1), valid_to=date(2026, 12, 31))
    _plan(world)
    generate_due_maintenance(NOW)
    first = WorkOrder.objects.order_by("maintenance_due").first()
    assert first.sla_deadline == first.window_end


def test_inactive_plans_generate_nothing(world):
    plan = _plan(world)
    services.maintenance_plan_update(actor=world.users["manager"], plan=plan, is_active=False)
    assert generate_due_maintenance(NOW + timedelta(days=1))["work_orders"] == 0


def test_plan_rules(world):
    with pytest.raises(ValidationFailed) as err:
        services.maintenance_plan_create(
            actor=world.users["manager"],
            account=world.account_a,
            site=world.site_b,
            title="x",
            interval_count=1,
            interval_unit="months",
            first_due=date(2026, 4, 1),
        )
    assert "site" in err.value.fields
    with pytest.raises(Forbidden):
        services.maintenance_plan_create(
            actor=world.users["agent"],
            account=world.account_a,
            site=world.site_a,
            title="x",
            interval_count=1,
            interval_unit="months",
            first_due=date(2026, 4, 1),
        )
    assert MaintenancePlan.objects.count() == 0
