"""The customer-account report as a PDF (fpdf2), pure: no ORM, no request. The view gathers the
series through the selectors (the same figures as the page and the API) and hands them here as a
`Report`; this lays them out: a heading, then per KPI its meaning, the latest value, the chart (our
own SVG, embedded as vector graphics) and a table of every period's value with its counts.

Text is set in the vendored DejaVu Sans (its licence beside it in fonts/), so names and units
outside Latin-1 ("≥", "€", "Łódź") print as they are; fpdf2 embeds only the glyphs used.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from fpdf import FPDF

FONTS = Path(__file__).with_name("fonts")
FONT = "DejaVu"
PAGE_WIDTH = 180  # mm inside the A4 margins
TITLES = re.compile(r"<title>.*?</title>", re.DOTALL)  # hover text: meaningless on paper


@dataclass(frozen=True, slots=True)
class Period:
    label: date
    value: float | None
    counts: dict


@dataclass(frozen=True, slots=True)
class Section:
    title: str
    meaning: str
    unit: str
    svg: str = ""
    periods: Sequence[Period] = ()
    unavailable: str = ""  # why there are no figures (e.g. billing does not exist yet)


@dataclass(frozen=True, slots=True)
class Report:
    title: str
    subtitle: str
    generated: str
    sections: Sequence[Section] = field(default_factory=tuple)


def _number(value: float | None) -> str:
    if value is None:
        return "\u2013"  # an en dash: no value
    return f"{value:,.1f}"


def _counts(counts: dict) -> str:
    return ", ".join(
        f"{k.replace('_', ' ')} {_number(v) if isinstance(v, float) else v}" for k, v in counts.items()
    )


class _Pdf(FPDF):
    def __init__(self, report: Report) -> None:
        super().__init__(format="A4")
        self.report = report
        self.add_font(FONT, "", str(FONTS / "DejaVuSans.ttf"))
        self.add_font(FONT, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
        self.set_auto_page_break(auto=True, margin=16)
        self.set_title(report.title)
        self.set_creator("Steward")

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=8)
        self.set_text_color(110)
        self.cell(
            0, 6, f"{self.report.title} · {self.report.generated} · page {self.page_no()}/{{nb}}", align="C"
        )


def _text(pdf: FPDF, height: float, text: str) -> None:
    """A paragraph at the left margin; the next one starts below it."""
    pdf.multi_cell(PAGE_WIDTH, height, text, new_x="LMARGIN", new_y="NEXT")


def render(report: Report) -> bytes:
    pdf = _Pdf(report)
    pdf.add_page()
    pdf.set_font(FONT, "B", 18)
    _text(pdf, 9, report.title)
    pdf.set_font(FONT, size=10)
    pdf.set_text_color(90)
    _text(pdf, 6, report.subtitle)
    pdf.set_text_color(0)
    pdf.ln(4)
    for section in report.sections:
        _section(pdf, section)
    return bytes(pdf.output())


def _section(pdf: FPDF, section: Section) -> None:
    rows = len(section.periods)
    needed = 30 + (70 if section.svg else 0) + min(rows, 6) * 5
    if pdf.get_y() + needed > pdf.h - 20:
        pdf.add_page()
    pdf.set_font(FONT, "B", 13)
    _text(pdf, 7, section.title)
    pdf.set_font(FONT, size=9)
    pdf.set_text_color(90)
    _text(pdf, 5, section.meaning)
    pdf.set_text_color(0)
    if section.unavailable:
        _text(pdf, 6, section.unavailable)
        pdf.ln(4)
        return
    latest = next((p for p in reversed(section.periods) if p.value is not None), None)
    pdf.set_font(FONT, "B", 11)
    _text(
        pdf,
        7,
        f"Latest: {_number(latest.value)} {section.unit} (period from {latest.label:%d %b %Y})"
        if latest
        else "No data in this period",
    )
    if section.svg:
        pdf.image(io.BytesIO(TITLES.sub("", section.svg).encode()), x=pdf.l_margin, w=PAGE_WIDTH)
    pdf.set_font(FONT, size=8)
    with pdf.table(
        col_widths=(28, 26, 126),
        text_align=("LEFT", "RIGHT", "LEFT"),
        line_height=4.5,
        first_row_as_headings=True,
    ) as table:
        table.row(["Period from", section.unit, "Counted"])
        for p in section.periods:
            table.row([f"{p.label:%d %b %Y}", _number(p.value), _counts(p.counts)])
    pdf.ln(6)
