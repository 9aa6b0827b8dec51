"""A goal's trend and its projection to the end of the period, pure (no ORM).

The period's figure at its end is the period-to-date figure `actual` over the elapsed part
weighted with what the remaining part is expected to bring. The remaining weeks are expected to
continue the recent weekly trend: the least-squares line through the recent weekly values, from
its value at the latest week on, so their average is that value plus half the slope times the
remaining weeks:

    projected = (elapsed * actual + remaining * (latest + slope * remaining / 2)) / (elapsed + remaining)

With fewer than two weekly values there is no slope (0); with no actual there is no projection.
"""

from __future__ import annotations

from collections.abc import Sequence


def least_squares(values: Sequence[float | None]) -> tuple[float, float] | None:
    """(value of the fitted line at the last index, slope per step), ignoring missing values; None
    with no values. With one value the line is flat."""
    points = [(i, v) for i, v in enumerate(values) if v is not None]
    if not points:
        return None
    if len(points) == 1:
        return points[0][1], 0.0
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    sxx = sum((x - mean_x) ** 2 for x, _ in points)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / sxx
    last = len(values) - 1
    return mean_y + slope * (last - mean_x), slope


def project(
    actual: float | None, weekly: Sequence[float | None], elapsed: float, remaining: float
) -> float | None:
    if actual is None:
        return None
    if elapsed < 0 or remaining < 0 or elapsed + remaining == 0:
        raise ValueError("elapsed and remaining must be non-negative and not both zero")
    fit = least_squares(weekly)
    latest, slope = fit if fit is not None else (actual, 0.0)
    future = latest + slope * remaining / 2
    return (elapsed * actual + remaining * future) / (elapsed + remaining)


def meets(value: float | None, comparator: str, target: float) -> bool | None:
    """Whether `value` meets the target ("gte": at least, "lte": at most); None without a value."""
    if value is None:
        return None
    if comparator == "gte":
        return value >= target
    if comparator == "lte":
        return value <= target
    raise ValueError(f"comparator must be gte or lte, got {comparator!r}")
