"""The SLA sweeper: records warnings and breaches that fall due while nothing happens on a ticket.

Services recompute a ticket's clocks whenever its history changes; the sweeper covers the passing
of time. Each tick it looks up, through the partial indexes on `TicketSla`,

* due warnings: running, ``warning_at <= now``, ``warning_claimed_at IS NULL``;
* due breaches: running or warning, ``deadline < now``, ``breach_claimed_at IS NULL``;

and claims each row by compare-and-set (``UPDATE … SET claimed = now WHERE id = … AND claimed IS
NULL``, acting only when the row count is 1), so any number of sweepers never act twice on a row.
The claim, the recomputed clocks and the "sla_warning"/"sla_breached" event and audit record are
one transaction per row: a failure rolls the claim back and the next tick retries it.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from steward.desk.models import SlaStatus, Ticket, TicketSla
from steward.desk.services import recompute_sla

logger = logging.getLogger("steward.desk.sweeper")

BATCH = 200


def _due_warnings(now: datetime):
    return TicketSla.objects.filter(
        status=SlaStatus.RUNNING, warning_at__lte=now, warning_claimed_at__isnull=True
    ).order_by("warning_at", "id")


def _due_breaches(now: datetime):
    return TicketSla.objects.filter(
        status__in=[SlaStatus.RUNNING, SlaStatus.WARNING], deadline__lt=now, breach_claimed_at__isnull=True
    ).order_by("deadline", "id")


def _claim_and_recompute(row_id: int, ticket_id: int, target: str, event: str, now: datetime) -> dict:
    """Claim one row by compare-and-set; if this sweeper won it, recompute the ticket's clocks
    (which records the event). Returns the recorded targets, empty if another sweeper won."""
    with transaction.atomic():
        if event == "breach":
            won = _due_breaches(now).filter(pk=row_id).update(breach_claimed_at=now)
        else:
            won = _due_warnings(now).filter(pk=row_id).update(warning_claimed_at=now)
        if won != 1:
            return {"warnings": [], "breaches": []}
        ticket = Ticket.objects.get(pk=ticket_id)
        return recompute_sla(ticket=ticket, now=now, claimed={target: event})


def sweep(now: datetime | None = None) -> dict[str, int]:
    """Record the SLA warnings and breaches due at ``now``. Returns counts: ``warnings`` and
    ``breaches`` recorded by this call, ``skipped`` rows another sweeper claimed first."""
    now = now or timezone.now()
    counts = {"warnings": 0, "breaches": 0, "skipped": 0}
    done: set[tuple[int, str]] = set()
    for event, due in (("breach", _due_breaches), ("warning", _due_warnings)):
        while True:
            batch = [
                r
                for r in due(now).values_list("pk", "ticket_id", "target")[: BATCH + len(done)]
                if (r[0], event) not in done
            ][:BATCH]
            if not batch:
                break
            for row_id, ticket_id, target in batch:
                done.add((row_id, event))
                recorded = _claim_and_recompute(row_id, ticket_id, target, event, now)
                if not recorded["warnings"] and not recorded["breaches"]:
                    counts["skipped"] += 1
                counts["warnings"] += len(recorded["warnings"])
                counts["breaches"] += len(recorded["breaches"])
    if counts["warnings"] or counts["breaches"]:
        logger.info("SLA sweep at %s: %s", now.isoformat(), counts)
    return counts
