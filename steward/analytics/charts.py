"""SVG charts from our own data, pure (no ORM, no JavaScript, no library): line charts of KPI series,
the control chart with its centre line and limits, and the Pareto chart (bars, the cumulative share
line, the 80 % cut). Every chart has axes with ticks and the unit, and a <title> on each point so
a hover shows the value. Labels are escaped."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from html import escape

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 64, 56, 16, 44
PALETTE = ("#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#4b5563", "#ca8a04")


@dataclass(frozen=True, slots=True)
class Line:
    label: str
    values: Sequence[float | None]


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high] (1, 2, 2.5 or 5 times a power of ten apart)."""
    if high <= low:
        high = low + 1
    raw = (high - low) / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    start = math.floor(low / step) * step
    ticks = []
    value = start
    while value < high + step * 0.999:
        ticks.append(round(value, 10))
        value += step
    return ticks


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}".rstrip("0").rstrip(".")


def _axes(ticks: list[float], y, x_labels: list[tuple[float, str]], unit: str) -> list[str]:
    out = [
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{HEIGHT - BOTTOM}" stroke="#6b7280"/>',
        f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}" y2="{HEIGHT - BOTTOM}" stroke="#6b7280"/>',
    ]
    for t in ticks:
        out.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(t):.1f}" y2="{y(t):.1f}" stroke="#e5e7eb"/>'
        )
        out.append(
            f'<text x="{LEFT - 6}" y="{y(t) + 4:.1f}" text-anchor="end" font-size="11">{escape(_fmt(t))}</text>'
        )
    for x, label in x_labels:
        out.append(
            f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" font-size="11">{escape(label)}</text>'
        )
    out.append(
        f'<text x="14" y="{(TOP + HEIGHT - BOTTOM) / 2:.0f}" font-size="11" text-anchor="middle" '
        f'transform="rotate(-90 14 {(TOP + HEIGHT - BOTTOM) / 2:.0f})">{escape(unit)}</text>'
    )
    return out


def _svg(body: list[str], title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'class="chart" aria-label="{escape(title)}"><title>{escape(title)}</title>{"".join(body)}</svg>'
    )


def _date_label(d: date, bucket: str) -> str:
    if bucket in ("month", "quarter", "year"):
        return d.strftime("%b %Y")
    return d.strftime("%d %b")


def _x_scale(n: int):
    inner = WIDTH - LEFT - RIGHT
    return lambda i: LEFT + (inner * (i + 0.5) / n if n else 0)


def _x_labels(dates: Sequence[date], bucket: str, x) -> list[tuple[float, str]]:
    step = max(1, math.ceil(len(dates) / 8))
    return [(x(i), _date_label(d, bucket)) for i, d in enumerate(dates) if i % step == 0]


def _y_scale(values: Sequence[float], include_zero: bool = True):
    low = min([*values, 0.0] if include_zero else values) if values else 0.0
    high = max(values) if values else 1.0
    ticks = nice_ticks(low, high)
    lo, hi = ticks[0], ticks[-1]
    span = (hi - lo) or 1.0
    return ticks, (lambda v: HEIGHT - BOTTOM - (HEIGHT - TOP - BOTTOM) * (v - lo) / span)


def line_chart(lines: Sequence[Line], dates: Sequence[date], *, unit: str, bucket: str, title: str) -> str:
    """One polyline per line (gaps where a bucket has no value), with a legend."""
    present = [v for line in lines for v in line.values if v is not None]
    ticks, y = _y_scale(present)
    x = _x_scale(len(dates))
    body = _axes(ticks, y, _x_labels(dates, bucket, x), unit)
    for n, line in enumerate(lines):
        colour = PALETTE[n % len(PALETTE)]
        segment: list[str] = []
        segments: list[list[str]] = []
        for i, v in enumerate(line.values):
            if v is None:
                if segment:
                    segments.append(segment)
                segment = []
                continue
            segment.append(f"{x(i):.1f},{y(v):.1f}")
            body.append(
                f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="2.5" fill="{colour}"><title>'
                f"{escape(line.label)} {escape(_date_label(dates[i], bucket))}: {escape(_fmt(v))} {escape(unit)}"
                "</title></circle>"
            )
        if segment:
            segments.append(segment)
        for seg in segments:
            body.append(
                f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{" ".join(seg)}"/>'
            )
        if len(lines) > 1:
            body.append(
                f'<text x="{WIDTH - RIGHT + 4}" y="{TOP + 12 + 14 * n}" font-size="10" fill="{colour}">'
                f"{escape(line.label[:12])}</text>"
            )
    if not present:
        body.append(
            f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" font-size="13">no data</text>'
        )
    return _svg(body, title)


def control_chart(chart, dates: Sequence[date], *, unit: str, bucket: str, title: str) -> str:
    """The values with the centre line, the (per-point) limits, and signals in red."""
    values = [p.value for p in chart.points]
    limits = [v for p in chart.points for v in (p.lcl, p.ucl) if v is not None]
    present = [v for v in values if v is not None]
    ticks, y = _y_scale(present + limits, include_zero=False)
    x = _x_scale(len(dates))
    body = _axes(ticks, y, _x_labels(dates, bucket, x), unit)
    if chart.centre is not None:
        body.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(chart.centre):.1f}" y2="{y(chart.centre):.1f}" '
            'stroke="#16a34a" stroke-width="1.5"><title>centre line</title></line>'
        )
        body.append(f'<text x="{WIDTH - RIGHT + 4}" y="{y(chart.centre) + 4:.1f}" font-size="10">CL</text>')
    for key, label in (("ucl", "UCL"), ("lcl", "LCL")):
        pts = [
            f"{x(i):.1f},{y(getattr(p, key)):.1f}"
            for i, p in enumerate(chart.points)
            if getattr(p, key) is not None
        ]
        if pts:
            body.append(
                f'<polyline fill="none" stroke="#9ca3af" stroke-dasharray="4 3" points="{" ".join(pts)}"/>'
            )
            last = pts[-1].split(",")
            body.append(
                f'<text x="{WIDTH - RIGHT + 4}" y="{float(last[1]) + 4:.1f}" font-size="10">{label}</text>'
            )
    pts = [f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values) if v is not None]
    if pts:
        body.append(f'<polyline fill="none" stroke="#2563eb" stroke-width="1.5" points="{" ".join(pts)}"/>')
    for i, p in enumerate(chart.points):
        if p.value is None:
            continue
        colour = "#dc2626" if p.signal else "#2563eb"
        why = "beyond the limits" if p.beyond_limits else ("eight in a row on one side" if p.in_run else "")
        body.append(
            f'<circle cx="{x(i):.1f}" cy="{y(p.value):.1f}" r="{4 if p.signal else 2.5}" fill="{colour}">'
            f"<title>{escape(_date_label(dates[i], bucket))}: {escape(_fmt(p.value))} {escape(unit)} {why}</title></circle>"
        )
    return _svg(body, title)


def pareto_chart(bars, *, title: str, unit: str = "count") -> str:
    """Bars largest first (the vital few darker), the cumulative share on the right axis, the 80 % cut."""
    counts = [b.count for b in bars]
    ticks, y = _y_scale([float(c) for c in counts] or [1.0])
    n = len(bars)
    inner = WIDTH - LEFT - RIGHT
    width = inner / max(n, 1)
    x = _x_scale(n)
    labels = [(x(i), b.category[:10]) for i, b in enumerate(bars)] if n <= 12 else []
    body = _axes(ticks, y, labels, unit)

    def y_share(share: float) -> float:
        return HEIGHT - BOTTOM - (HEIGHT - TOP - BOTTOM) * share / 100

    for share in (0, 50, 100):
        body.append(
            f'<text x="{WIDTH - RIGHT + 4}" y="{y_share(share) + 4:.1f}" font-size="10">{share} %</text>'
        )
    for i, b in enumerate(bars):
        top = y(b.count)
        colour = "#1d4ed8" if b.vital else "#93c5fd"
        body.append(
            f'<rect x="{LEFT + i * width + width * 0.1:.1f}" y="{top:.1f}" width="{width * 0.8:.1f}" '
            f'height="{HEIGHT - BOTTOM - top:.1f}" fill="{colour}"><title>{escape(b.category)}: {b.count} '
            f"({b.share:.1f} %, cumulative {b.cumulative:.1f} %)</title></rect>"
        )
    pts = [f"{x(i):.1f},{y_share(b.cumulative):.1f}" for i, b in enumerate(bars)]
    if pts:
        body.append(f'<polyline fill="none" stroke="#dc2626" stroke-width="2" points="{" ".join(pts)}"/>')
    body.append(
        f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y_share(80):.1f}" y2="{y_share(80):.1f}" stroke="#dc2626" '
        'stroke-dasharray="5 4"><title>the 80 % cut</title></line>'
    )
    body.append(
        f'<text x="{WIDTH - RIGHT + 4}" y="{y_share(80) + 4:.1f}" font-size="10" fill="#dc2626">80 %</text>'
    )
    if not bars:
        body.append(
            f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" font-size="13">no data</text>'
        )
    return _svg(body, title)
