"""Stored KPI cells of closed periods: a year of weekly figures is read, not recomputed.

A cell set is one bucket of one series (KPI, bucket kind, time zone, breakdown) exactly as
`series` computed it from the rows: every group's value and the counts behind it. Closed buckets
(ended before the computation began) are stored when a series computes them; the open bucket and
any bucket the store cannot vouch for are computed live every time, by the same code.

Exactness rests on one rule: a stored bucket is trusted only while no history change that could
reach it is pending. The services that write what KPIs count (ticket timelines and clocks, survey
answers, work orders, shifts, absences, cost rates) append `core.HistoryChange(since)` in their own
transaction, `since` being the earliest instant whose figures the change can touch (a ticket's
creation, a visit's earliest instant less the 30-day revisit window). So:

- reading trusts only cell sets whose bucket ended before the earliest pending `since` (and before
  now); the rest is computed live;
- `consume_changes` (every worker tick) deletes the cell sets ending after the earliest pending
  `since` and the changes it covered, and bumps the generation;
- a reader stores what it computed only if no consumption happened meanwhile (same generation,
  checked under the state row's lock) and only buckets ending before both its start and the
  earliest change pending then, so a change committed during its computation is never hidden.

A stored set is keyed by a fingerprint of the KPI's definition, so a changed definition is never
answered from old cells.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import F, Max, Min, Q
from django.utils import timezone

from steward.analytics.buckets import Bucket
from steward.analytics.kpis import Kpi
from steward.analytics.models import KpiCellSet, KpiCellState
from steward.core.models import HistoryChange

# Bump when the way `series` computes cells changes without the definitions' text changing.
CELLS_VERSION = 1
STATE_ID = 1

Cells = dict[tuple[int, Any], tuple[float | None, dict[str, Any]]]  # {(bucket index, group): ...}


def definition_key(kpi: Kpi) -> str:
    text = "|".join(
        str(part)
        for part in (CELLS_VERSION, kpi.name, kpi.kind, kpi.formula, kpi.counts_rows, kpi.when, kpi.fraction)
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What a reader may trust, taken before it computes anything."""

    generation: int
    started_at: datetime
    trusted_until: datetime  # buckets ending at or before this are answered from stored cells


def snapshot(now: datetime | None = None) -> Snapshot:
    started = now or timezone.now()
    generation = KpiCellState.objects.filter(pk=STATE_ID).values_list("generation", flat=True).first() or 0
    pending = HistoryChange.objects.aggregate(earliest=Min("since"))["earliest"]
    return Snapshot(generation, started, started if pending is None else min(started, pending))


def _key(kpi: Kpi, bucket: str, tz: str, by: str | None) -> dict[str, Any]:
    return {"kpi": kpi.name, "definition": definition_key(kpi), "bucket": bucket, "tz": tz, "by": by or ""}


def load(
    kpi: Kpi, bucket: str, tz: str, by: str | None, bounds: list[Bucket], snap: Snapshot
) -> dict[date, list]:
    """The stored cell sets of the buckets in `bounds` that `snap` trusts, by bucket label."""
    trusted = [b for b in bounds if b.end <= snap.trusted_until]
    if not trusted:
        return {}
    rows = KpiCellSet.objects.filter(
        **_key(kpi, bucket, tz, by),
        starts_on__gte=trusted[0].label,
        starts_on__lte=trusted[-1].label,
        ends_at__lte=snap.trusted_until,
    ).values_list("starts_on", "cells")
    return dict(rows)


def to_cells(bounds: list[Bucket], stored: dict[date, list]) -> Cells:
    out: Cells = {}
    for b in bounds:
        for group, value, counts in stored.get(b.label, ()):
            out[(b.index, group)] = (value, counts)
    return out


def _plain(value: Any) -> Any:
    """JSON-safe and equal after a round trip (the database may hand back Decimals)."""
    if isinstance(value, int | float | str) or value is None:
        return value
    return float(value)


def store(
    kpi: Kpi, bucket: str, tz: str, by: str | None, bounds: list[Bucket], cells: Cells, snap: Snapshot
) -> int:
    """Store the closed buckets of `bounds` whose cells were computed after `snap` was taken, unless
    the history they came from has been consumed or changed since. Returns how many were stored."""
    with transaction.atomic():
        generation = (
            KpiCellState.objects.select_for_update()
            .filter(pk=STATE_ID)
            .values_list("generation", flat=True)
            .first()
        )
        if (generation or 0) != snap.generation:
            return 0
        pending = HistoryChange.objects.aggregate(earliest=Min("since"))["earliest"]
        limit = snap.started_at if pending is None else min(snap.started_at, pending)
        by_index: dict[int, list] = {}
        for (index, group), (value, counts) in cells.items():
            plain = {k: _plain(v) for k, v in counts.items()}
            by_index.setdefault(index, []).append([group, _plain(value), plain])
        key = _key(kpi, bucket, tz, by)
        rows = [
            KpiCellSet(
                **key,
                starts_on=b.label,
                ends_at=b.end,
                cells=sorted(by_index.get(b.index, []), key=lambda c: (c[0] is None, str(c[0]))),
                computed_at=snap.started_at,
            )
            for b in bounds
            if b.end <= limit
        ]
        KpiCellSet.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    return len(rows)


def consume_changes() -> dict[str, Any]:
    """Forget the stored cells that pending history changes may have altered, then the changes.
    Cheap when nothing changed (one aggregate over an empty table)."""
    with transaction.atomic():
        KpiCellState.objects.select_for_update().filter(pk=STATE_ID).values_list("pk").first()
        seen = HistoryChange.objects.aggregate(earliest=Min("since"), last=Max("id"))
        if seen["last"] is None:
            return {"changes": 0, "cell_sets": 0}
        dropped, _ = KpiCellSet.objects.filter(ends_at__gt=seen["earliest"]).delete()
        # A change committed after the aggregate with a later `since` is covered by the delete
        # above; one with an earlier `since` stays pending for the next tick.
        consumed, _ = HistoryChange.objects.filter(id__lte=seen["last"], since__gte=seen["earliest"]).delete()
        _bump()
    return {"changes": consumed, "cell_sets": dropped, "since": seen["earliest"]}


def _bump() -> None:
    if not KpiCellState.objects.filter(pk=STATE_ID).update(generation=F("generation") + 1):
        KpiCellState.objects.get_or_create(pk=STATE_ID, defaults={"generation": 1})


def claim_warming(day: date) -> bool:
    """Compare-and-set: the one worker that moves `warmed_on` to `day` warms the cache that day.
    One UPDATE a tick; the state row (made by the migration) is recreated only if it is missing."""
    due = Q(warmed_on__isnull=True) | Q(warmed_on__lt=day)
    if KpiCellState.objects.filter(due, pk=STATE_ID).update(warmed_on=day):
        return True
    _, created = KpiCellState.objects.get_or_create(pk=STATE_ID, defaults={"warmed_on": day})
    return created
