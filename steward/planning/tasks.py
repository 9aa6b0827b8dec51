"""Background jobs of the planning app: the nightly desk plan."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time

from django.utils import timezone

from steward.core.errors import ValidationFailed
from steward.core.worker import periodic
from steward.planning.models import PlanningRun, RunKind, RunTrigger
from steward.planning.services import plan_nightly

logger = logging.getLogger("steward.planning")

NIGHTLY_AT = time(2, 0)  # UTC: after the day's tickets are in, before the morning's managers


def run_nightly_plan(now: datetime | None = None) -> PlanningRun | None:
    """Plan today once, from NIGHTLY_AT on: cheap (one indexed existence check) on every other
    tick; the unique constraint makes a second worker's attempt a no-op."""
    now = now or timezone.now()
    if now.astimezone(UTC).time() < NIGHTLY_AT:
        return None
    today = now.astimezone(UTC).date()
    if PlanningRun.objects.filter(kind=RunKind.DESK, trigger=RunTrigger.NIGHTLY, plan_date=today).exists():
        return None
    try:
        run = plan_nightly(now=now)
    except ValidationFailed as exc:  # e.g. no history yet: the failed row says why; tomorrow again
        logger.info("nightly plan not made: %s", exc)
        return None
    if run is not None:
        logger.info("nightly plan %s stored: %s", run.pk, run.summary)
    return run


@periodic
def nightly_plan() -> None:
    run_nightly_plan()
