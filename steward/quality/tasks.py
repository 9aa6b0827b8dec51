"""Background jobs of the quality app: sending the surveys that fell due."""

from __future__ import annotations

import logging
from datetime import datetime

from django.utils import timezone

from steward.core.worker import periodic
from steward.quality.models import Survey
from steward.quality.services import survey_send

logger = logging.getLogger("steward.quality.surveys")

BATCH = 200


def send_due_surveys(now: datetime | None = None) -> dict[str, int]:
    """Send every survey due at ``now`` (each claimed by compare-and-set in `survey_send`).
    Returns counts: ``sent``, ``withdrawn``, ``skipped`` (claimed by another worker first) and
    ``failed`` (an error rolled the claim back; the next tick tries again)."""
    now = now or timezone.now()
    counts = {"sent": 0, "withdrawn": 0, "skipped": 0, "failed": 0}
    seen: set[int] = set()
    while True:
        # The partial index on due_at (unclaimed rows only) serves this query.
        ids = [
            pk
            for pk in Survey.objects.filter(claimed_at__isnull=True, due_at__lte=now)
            .order_by("due_at", "id")
            .values_list("pk", flat=True)[: BATCH + len(seen)]
            if pk not in seen
        ][:BATCH]
        if not ids:
            break
        for pk in ids:
            seen.add(pk)
            try:
                outcome = survey_send(survey_id=pk, now=now)
            except Exception:  # one broken survey must not hold up the others; its claim rolled back
                logger.exception("survey %s could not be sent; retried next tick", pk)
                counts["failed"] += 1
                continue
            counts[outcome or "skipped"] += 1
    if counts["sent"] or counts["withdrawn"] or counts["failed"]:
        logger.info("surveys at %s: %s", now.isoformat(), counts)
    return counts


@periodic
def send_surveys() -> None:
    """Every worker tick: send the surveys that fell due (safe with any number of workers)."""
    send_due_surveys()
