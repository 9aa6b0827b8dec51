"""Background jobs of dispatch: optimising a plan."""

from __future__ import annotations

from django_tasks import task

from steward.dispatch import services


@task()
def optimise_plan(plan_id: int) -> str:
    """Optimise one plan (enqueued on commit by services.plan_create). Idempotent: the plan is
    claimed by compare-and-set, so a retried or duplicated task does nothing."""
    return services.plan_optimise(plan_id=plan_id)
