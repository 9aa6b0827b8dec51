"""Races: concurrent creators never share a work order number; concurrent maintenance generators
create each visit once (compare-and-set claim plus the unique plan+due constraint)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from steward.field import services
from steward.field.models import MaintenancePlan, WorkOrder
from steward.field.tasks import generate_due_maintenance
from steward.testing import factories as f
from steward.testing.concurrency import run_concurrently

NOW = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)


@pytest.mark.django_db(transaction=True)
def test_concurrent_creators_get_distinct_sequential_numbers():
    account = f.AccountFactory()
    site = f.SiteFactory(account=account)
    dispatcher = f.staff_user("dispatcher")

    def create_three():
        return [
            services.work_order_create(actor=dispatcher, account=account, site=site, title="x").number
            for _ in range(3)
        ]

    numbers = [n for batch in run_concurrently(create_three, threads=2) for n in batch]
    assert sorted(numbers) == [f"WO-{i:06d}" for i in range(1, 7)]


@pytest.mark.django_db(transaction=True)
def test_concurrent_generators_create_each_visit_once():
    account = f.AccountFactory()
    site = f.SiteFactory(account=account)
    manager = f.staff_user("manager")
    for i in range(4):
        plan = services.maintenance_plan_create(
            actor=manager,
            account=account,
            site=site,
            title=f"Plan {i}",
            interval_count=1,
            interval_unit="weeks",
            first_due=date(2026, 3, 10),
            horizon_days=21,
        )
        MaintenancePlan.objects.filter(pk=plan.pk).update(next_generation_at=NOW)
    results = run_concurrently(lambda: generate_due_maintenance(NOW), threads=2)
    assert sum(r["work_orders"] for r in results) == 4 * 3
    assert WorkOrder.objects.count() == 12
    assert WorkOrder.objects.values("maintenance_plan", "maintenance_due").distinct().count() == 12
