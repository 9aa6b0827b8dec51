"""Pareto analysis, pure (no ORM): categories sorted by count (largest first, ties by name), each
with its share and the cumulative share, and the "vital few" marked: the categories up to and
including the first at which the cumulative share reaches 80 %. Categories with no count are left
out. The counts come from grouped COUNTs in the database (`steward.analytics.causes`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

CUT = 80.0


@dataclass(frozen=True, slots=True)
class Bar:
    category: str
    count: int
    share: float  # percent of the total
    cumulative: float  # percent, running
    vital: bool  # inside the 80 % cut


def pareto(counts: Iterable[tuple[str, int]], cut: float = CUT) -> list[Bar]:
    merged: dict[str, int] = {}
    for category, count in counts:
        if count < 0:
            raise ValueError(f"a count cannot be negative ({category}: {count})")
        merged[category] = merged.get(category, 0) + count
    items = sorted(((c, n) for c, n in merged.items() if n > 0), key=lambda cn: (-cn[1], cn[0]))
    total = sum(n for _, n in items)
    bars: list[Bar] = []
    running = 0
    reached = False
    for category, count in items:
        running += count
        cumulative = 100.0 * running / total
        bars.append(Bar(category, count, 100.0 * count / total, cumulative, not reached))
        # Integer comparison, so 80 % of the total is reached exactly when it is.
        reached = reached or running * 100 >= cut * total
    return bars
