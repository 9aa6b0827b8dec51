"""Background jobs of the field app: generating preventive-maintenance work orders ahead.

Each plan whose `next_generation_at` has passed is claimed by compare-and-set in
`services.maintenance_generate` (UPDATE ... WHERE next_generation_at <= now), so any number of
workers may run this at once; a (plan, due date) pair has at most one work order (a unique
constraint), so even a replayed generation creates no duplicate.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.utils import timezone

from steward.core.worker import periodic
from steward.field.models import MaintenancePlan
from steward.field.services import maintenance_generate

logger = logging.getLogger("steward.field.maintenance")

BATCH = 100


def generate_due_maintenance(now: datetime | None = None) -> dict[str, int]:
    """Generate the work orders of every plan due at `now`. Returns counts: plans claimed,
    work orders created, plans skipped (another worker claimed them) and failed (rolled back,
    retried next tick)."""
    now = now or timezone.now()
    counts = {"plans": 0, "work_orders": 0, "skipped": 0, "failed": 0}
    seen: set[int] = set()
    while True:
        ids = [
            pk
            for pk in MaintenancePlan.objects.filter(is_active=True, next_generation_at__lte=now)
            .order_by("next_generation_at", "id")
            .values_list("pk", flat=True)[: BATCH + len(seen)]
            if pk not in seen
        ][:BATCH]
        if not ids:
            break
        for pk in ids:
            seen.add(pk)
            try:
                created = maintenance_generate(plan_id=pk, now=now)
            except Exception:  # one broken plan must not hold up the others; its claim rolled back
                logger.exception("maintenance plan %s could not generate; retried next tick", pk)
                counts["failed"] += 1
                continue
            counts["plans"] += 1
            counts["work_orders"] += len(created)
    if counts["work_orders"] or counts["failed"]:
        logger.info("maintenance at %s: %s", now.isoformat(), counts)
    return counts


@periodic
def generate_maintenance() -> None:
    """Every worker tick: generate the maintenance work orders that fell due."""
    generate_due_maintenance()
