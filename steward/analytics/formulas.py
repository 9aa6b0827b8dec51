"""The KPI formulas from aggregated counts, as pure arithmetic (no ORM): the database counts and
sums, these functions turn the counts into the figure, so a formula exists once for the UI, the API
and the exports. Every formula returns None when it has nothing to count (an empty bucket is "no
data", never 0)."""

from __future__ import annotations


def percent(part: float, whole: float) -> float | None:
    if whole < 0 or part < 0 or part > whole:
        raise ValueError(f"need 0 <= part <= whole, got {part} of {whole}")
    return None if whole == 0 else 100.0 * part / whole


def mean(total: float | None, count: int, scale: float = 1.0) -> float | None:
    """total / count, divided by `scale` (e.g. 60 for seconds to minutes)."""
    if count < 0:
        raise ValueError("count must not be negative")
    return None if count == 0 or total is None else total / count / scale


def ratio(numerator: float | None, denominator: float) -> float | None:
    return None if not denominator or numerator is None else numerator / denominator
