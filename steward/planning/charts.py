"""Chart geometry for the planning page, pure: SVG coordinates from numbers (no JS charting)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class BandChart:
    width: int
    height: int
    mean: str  # polyline points
    band_80: str  # polygon points
    band_95: str
    y_max: float
    x_labels: list[tuple[float, str]]  # (x, label) at each day's start
    y_labels: list[tuple[float, str]]


def _fmt(x: float, y: float) -> str:
    return f"{x:.1f},{y:.1f}"


def band_chart(
    labels: Sequence[str],
    mean: Sequence[float],
    lo_80: Sequence[float],
    hi_80: Sequence[float],
    lo_95: Sequence[float],
    hi_95: Sequence[float],
    *,
    width: int = 900,
    height: int = 240,
    pad: int = 36,
    label_every: int = 24,
) -> BandChart:
    """A line with its 80% and 95% bands; x is the interval index, y runs from 0 to a round top at
    or above the 95% band's highest point."""
    n = len(mean)
    y_max, y_step = nice_ceiling(max([*hi_95, *mean, 1.0]))
    inner_w, inner_h = width - 2 * pad, height - 2 * pad

    def x(i: int) -> float:
        return pad + (inner_w * i / max(n - 1, 1))

    def y(v: float) -> float:
        return pad + inner_h * (1 - v / y_max)

    def band(lo: Sequence[float], hi: Sequence[float]) -> str:
        top = [_fmt(x(i), y(hi[i])) for i in range(n)]
        bottom = [_fmt(x(i), y(lo[i])) for i in reversed(range(n))]
        return " ".join(top + bottom)

    return BandChart(
        width=width,
        height=height,
        mean=" ".join(_fmt(x(i), y(v)) for i, v in enumerate(mean)),
        band_80=band(lo_80, hi_80),
        band_95=band(lo_95, hi_95),
        y_max=y_max,
        x_labels=[(x(i), labels[i]) for i in range(0, n, label_every)],
        y_labels=[(y(v), f"{v:g}") for v in _axis(y_max, y_step)],
    )


def heat_colour(gap: int, required: int) -> str:
    """Red for a shortfall, green for a surplus, pale when matched; stronger with the size of the
    gap relative to what is required."""
    if required == 0 and gap == 0:
        return "#f4f4f4"
    share = min(abs(gap) / max(required, 1), 1.0)
    if gap < 0:
        return f"rgba(200, 40, 40, {0.25 + 0.75 * share:.2f})"
    if gap > 0:
        return f"rgba(40, 150, 70, {0.2 + 0.6 * share:.2f})"
    return "#e6f2e6"


@dataclass(frozen=True)
class RequiredRosteredChart:
    """Required and rostered staff per interval as step lines, with the shortfalls shaded."""

    width: int
    height: int
    pad: int
    required: str  # polyline points
    rostered: str
    shortfalls: list[str]  # polygon points, one per run of consecutive short intervals
    y_max: float
    x_labels: list[tuple[float, str]]
    y_labels: list[tuple[float, str]]


def nice_ceiling(value: float, *, min_step: float = 0.0) -> tuple[float, float]:
    """(top, step) of an axis from 0: the lowest top at or above `value` made of 3 to 5 equal
    steps of 1, 2 or 5 times a power of ten (more steps when tops tie), no step below `min_step`.
    An axis for nothing above zero runs to 1."""
    if not value > 0:
        value = 1.0
    exp = math.floor(math.log10(value / 5))
    if min_step > 0:
        exp = max(exp, math.floor(math.log10(min_step)))
    best: tuple[float, float] | None = None
    for e in (exp, exp + 1):
        for factor in (1, 2, 5):
            step = factor * 10.0**e
            if step < min_step:
                continue
            for ticks in (5, 4, 3):
                top = round(step * ticks, 10)
                if top >= value and (best is None or top < best[0]):
                    best = (top, round(step, 10))
    assert best is not None  # 10 ** (exp + 1) x 3 >= value by the choice of exp
    return best


def _axis(top: float, step: float) -> list[float]:
    return [round(step * k, 10) for k in range(round(top / step) + 1)]


def required_rostered_chart(
    labels: Sequence[str],
    required: Sequence[float],
    rostered: Sequence[float],
    *,
    width: int = 900,
    height: int = 220,
    pad: int = 36,
    label_every: int = 7,
) -> RequiredRosteredChart:
    """Each interval i is a slot from x(i) to x(i + 1): a step line holds its value across the
    slot, so a day's figure reads as a level, and where required tops rostered the area between
    them is a shortfall polygon."""
    if not len(labels) == len(required) == len(rostered):
        raise ValueError("labels, required and rostered must be as long as each other")
    n = len(required)
    y_max, y_step = nice_ceiling(max([*required, *rostered, 1]), min_step=1)
    inner_w, inner_h = width - 2 * pad, height - 2 * pad

    def x(i: int) -> float:
        return pad + inner_w * i / max(n, 1)

    def y(v: float) -> float:
        return pad + inner_h * (1 - v / y_max)

    def steps(values: Sequence[float]) -> list[str]:
        return [p for i, v in enumerate(values) for p in (_fmt(x(i), y(v)), _fmt(x(i + 1), y(v)))]

    shortfalls = []
    i = 0
    while i < n:
        if required[i] <= rostered[i]:
            i += 1
            continue
        j = i
        while j < n and required[j] > rostered[j]:
            j += 1
        top = [p for k in range(i, j) for p in (_fmt(x(k), y(required[k])), _fmt(x(k + 1), y(required[k])))]
        bottom = [
            p
            for k in reversed(range(i, j))
            for p in (_fmt(x(k + 1), y(rostered[k])), _fmt(x(k), y(rostered[k])))
        ]
        shortfalls.append(" ".join(top + bottom))
        i = j
    return RequiredRosteredChart(
        width=width,
        height=height,
        pad=pad,
        required=" ".join(steps(required)),
        rostered=" ".join(steps(rostered)),
        shortfalls=shortfalls,
        y_max=y_max,
        x_labels=[(x(i), labels[i]) for i in range(0, n, label_every)],
        y_labels=[(y(v), f"{v:g}") for v in _axis(y_max, y_step)],
    )
