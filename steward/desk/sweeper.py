"""The SLA sweeper: records warnings and breaches that fall due while nothing happens on a ticket.

Services recompute a ticket's clocks whenever its history changes; the sweeper covers the passing
of time. Each tick it looks up, through the partial indexes on `TicketSla`,

* due warnings: running, ``warning_at <= now``, ``warning_claimed_at IS NULL``;
* due breaches: running or warning, ``deadline < now``, ``breach_claimed_at IS NULL``;
* due escalation levels: ``due_at <= now``, ``fired_at IS NULL`` (their actions run once);
* resolved tickets past the auto-close delay (closed by a conditional UPDATE on the status);

and claims each row by compare-and-set (``UPDATE … SET claimed = now WHERE id = … AND claimed IS
NULL``, acting only when the row count is 1), so any number of sweepers never act twice on a row.
The claim, the recomputed clocks and the "sla_warning"/"sla_breached" event and audit record are
one transaction per row: a failure rolls the claim back and the next tick retries it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from steward.desk.clocks import recompute_sla
from steward.desk.models import SlaStatus, Status, Ticket, TicketEscalation, TicketSla
from steward.desk.services import escalation_fire, ticket_autoclose

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
    ``breaches`` recorded by this call, ``skipped`` rows another sweeper claimed first (or whose
    claim the replay did not bear out).

    The due rows are walked in key order (deadline or warning instant, then id) with a keyset
    cursor, so each is visited once per sweep whatever happens to it, and a large backlog costs
    one indexed query per batch."""
    now = now or timezone.now()
    counts = {"warnings": 0, "breaches": 0, "skipped": 0}
    for event, due, key in (("breach", _due_breaches, "deadline"), ("warning", _due_warnings, "warning_at")):
        after: tuple | None = None
        while True:
            rows = due(now)
            if after is not None:
                rows = rows.filter(Q(**{f"{key}__gt": after[0]}) | Q(**{key: after[0], "id__gt": after[1]}))
            batch = list(rows.values_list(key, "pk", "ticket_id", "target")[:BATCH])
            for instant, row_id, ticket_id, target in batch:
                recorded = _claim_and_recompute(row_id, ticket_id, target, event, now)
                if not recorded["warnings"] and not recorded["breaches"]:
                    counts["skipped"] += 1
                counts["warnings"] += len(recorded["warnings"])
                counts["breaches"] += len(recorded["breaches"])
                after = (instant, row_id)
            if len(batch) < BATCH:
                break
    if counts["warnings"] or counts["breaches"]:
        logger.info("SLA sweep at %s: %s", now.isoformat(), counts)
    return counts


def sweep_escalations(now: datetime | None = None) -> dict[str, int]:
    """Fire the escalation levels due at ``now`` (each claimed by compare-and-set)."""
    now = now or timezone.now()
    counts = {"escalations": 0, "skipped": 0}
    while True:
        ids = list(
            TicketEscalation.objects.filter(fired_at__isnull=True, due_at__lte=now)
            .order_by("due_at", "id")
            .values_list("pk", flat=True)[:BATCH]
        )
        if not ids:
            break
        for pk in ids:
            if escalation_fire(escalation_id=pk, now=now):
                counts["escalations"] += 1
            else:
                counts["skipped"] += 1
        if len(ids) < BATCH:
            break
    if counts["escalations"]:
        logger.info("escalations at %s: %s", now.isoformat(), counts)
    return counts


def sweep_autoclose(now: datetime | None = None) -> int:
    """Close resolved tickets whose resolution is older than STEWARD_AUTOCLOSE_DAYS."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.STEWARD_AUTOCLOSE_DAYS)
    closed = 0
    while True:
        ids = list(
            Ticket.objects.filter(status=Status.RESOLVED, resolved_at__lte=cutoff)
            .order_by("resolved_at", "id")
            .values_list("pk", flat=True)[:BATCH]
        )
        if not ids:
            break
        progress = 0
        for pk in ids:
            if ticket_autoclose(ticket_id=pk, now=now):
                closed += 1
                progress += 1
        if progress == 0 or len(ids) < BATCH:
            break
    return closed
