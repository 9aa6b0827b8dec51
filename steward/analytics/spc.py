"""Statistical process control, pure (no ORM): the individuals/moving-range (XmR) chart and the
p-chart, with the centre line, 3-sigma limits and the two standard run rules flagged:

- rule 1: a point beyond a control limit;
- rule 2: eight or more points in a row on the same side of the centre line (a point exactly on
  the centre line ends a run); every point of such a run, from its eighth on, is flagged.

XmR (for a measured KPI such as a resolution time): centre = mean(x); the moving ranges
MR_i = |x_i - x_{i-1}| of consecutive points; sigma = mean(MR) / d2 with d2 = 1.128 for ranges of
two, so the limits are centre ± 2.66 * mean(MR) (3 / 1.128 = 2.6596). The moving-range chart has
centre mean(MR) and upper limit D4 * mean(MR), D4 = 3.267.

p-chart (for a share of counted rows such as CSAT): p̄ = Σ events / Σ rows over all points; each
point i with n_i rows has limits p̄ ± 3 * sqrt(p̄(1 - p̄)/n_i), clipped to [0, 1]. Shares are given and
returned in percent, like the KPIs.

Points without a value (an empty bucket) are skipped by the computation and the run rules, and
reported back as None.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

D2 = 1.128
D4 = 3.267
RUN_LENGTH = 8


@dataclass(frozen=True, slots=True)
class ChartPoint:
    value: float | None
    lcl: float | None
    ucl: float | None
    beyond_limits: bool = False
    in_run: bool = False

    @property
    def signal(self) -> bool:
        return self.beyond_limits or self.in_run


@dataclass(slots=True)
class ControlChart:
    kind: str  # "xmr" or "p"
    centre: float | None
    points: list[ChartPoint]
    mr_centre: float | None = None  # XmR only: the moving-range chart
    mr_ucl: float | None = None
    moving_ranges: list[float | None] = field(default_factory=list)

    @property
    def signals(self) -> list[int]:
        return [i for i, p in enumerate(self.points) if p.signal]


def _runs(values: Sequence[float | None], centre: float) -> list[bool]:
    """Flag the points from the eighth on of every run on one side of the centre."""
    flags = [False] * len(values)
    side, length = 0, 0
    for i, v in enumerate(values):
        if v is None:
            continue  # an empty bucket neither extends nor breaks a run
        s = (v > centre) - (v < centre)
        if s != 0 and s == side:
            length += 1
        else:
            side, length = s, (1 if s != 0 else 0)
        if length >= RUN_LENGTH:
            flags[i] = True
    return flags


def individuals(values: Sequence[float | None]) -> ControlChart:
    xs = [v for v in values if v is not None]
    if not xs:
        return ControlChart("xmr", None, [ChartPoint(v, None, None) for v in values])
    centre = math.fsum(xs) / len(xs)
    ranges: list[float | None] = [None] * len(values)
    previous = None
    for i, v in enumerate(values):
        if v is None:
            continue
        if previous is not None:
            ranges[i] = abs(v - previous)
        previous = v
    mrs = [r for r in ranges if r is not None]
    mr_bar = math.fsum(mrs) / len(mrs) if mrs else 0.0
    half = 3 * mr_bar / D2
    lcl, ucl = centre - half, centre + half
    runs = _runs(values, centre)
    points = [
        ChartPoint(v, lcl, ucl, v is not None and (v > ucl or v < lcl), runs[i]) for i, v in enumerate(values)
    ]
    return ControlChart("xmr", centre, points, mr_bar, D4 * mr_bar, ranges)


def p_chart(events: Sequence[int], sizes: Sequence[int]) -> ControlChart:
    """`events[i]` of `sizes[i]` rows in bucket i (e.g. satisfied answers of all answers)."""
    if len(events) != len(sizes):
        raise ValueError("events and sizes must have the same length")
    if any(n < 0 or not 0 <= e <= n for e, n in zip(events, sizes, strict=True)):
        raise ValueError("need 0 <= events <= size for every point")
    total = sum(sizes)
    if total == 0:
        return ControlChart("p", None, [ChartPoint(None, None, None) for _ in sizes])
    p_bar = sum(events) / total
    shares = [100.0 * e / n if n else None for e, n in zip(events, sizes, strict=True)]
    runs = _runs(shares, 100.0 * p_bar)
    points = []
    for i, (share, n) in enumerate(zip(shares, sizes, strict=True)):
        if share is None:
            points.append(ChartPoint(None, None, None))
            continue
        half = 3 * math.sqrt(p_bar * (1 - p_bar) / n)
        lcl, ucl = 100.0 * max(0.0, p_bar - half), 100.0 * min(1.0, p_bar + half)
        points.append(ChartPoint(share, lcl, ucl, share > ucl or share < lcl, runs[i]))
    return ControlChart("p", 100.0 * p_bar, points)
