"""What the field capacity page shows, pure (no ORM): a field run's requirement rows (skill, day,
forecast jobs, technicians required, technicians rostered) turned into the skill x day heat map,
the daily totals, the largest shortfalls and the jobs the roster cannot reach (the SLA risk)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from steward.planning import charts, staffing

HEAT_DAYS = 28  # the heat map shows four weeks at a time
WORST = 10


@dataclass(frozen=True)
class Cell:
    skill: str
    day: date
    jobs: float
    required: int
    rostered: int
    jobs_at_risk: float  # forecast jobs beyond what the rostered technicians can do that day

    @property
    def gap(self) -> int:
        """Rostered minus required: negative is a shortfall."""
        return self.rostered - self.required

    @property
    def colour(self) -> str:
        return charts.heat_colour(self.gap, self.required)


@dataclass(frozen=True)
class Day:
    day: date
    jobs: float
    required: int
    rostered: int
    jobs_at_risk: float
    short_skills: int

    @property
    def gap(self) -> int:
        return self.rostered - self.required

    @property
    def colour(self) -> str:
        return charts.heat_colour(self.gap, self.required)


@dataclass(frozen=True)
class HeatWindow:
    first_week: int  # 1-based
    days: list[date]
    rows: list[tuple[str, list[Cell | None]]]  # a skill and its cells, None where it has no row
    totals: list[Day]
    pages: list[tuple[int, int]]  # (first week, last week) of every window, 1-based
    months: list[tuple[date, int]]  # the first day of each month shown and how many days it spans


@dataclass(frozen=True)
class FieldCapacity:
    skills: list[str]
    days: list[Day]
    cells: dict[tuple[str, date], Cell]
    worst: list[Cell]
    required_days: int  # technician-days over the horizon
    rostered_days: int
    short_cells: int  # skill-days with fewer rostered than required
    surplus_cells: int
    jobs: float
    jobs_at_risk: float

    def heat_window(self, first_week: int = 1, *, span: int = HEAT_DAYS) -> HeatWindow:
        """`span` days from the start of week `first_week` (1-based), clamped to the horizon."""
        weeks = max((len(self.days) + 6) // 7, 1)
        per_page = max(span // 7, 1)
        firsts = list(range(1, weeks + 1, per_page))
        first_week = max(f for f in firsts if f <= max(first_week, 1))
        start = (first_week - 1) * 7
        totals = self.days[start : start + span]
        days = [d.day for d in totals]
        rows = [(skill, [self.cells.get((skill, day)) for day in days]) for skill in self.skills]
        pages = [(f, min(f + per_page - 1, weeks)) for f in firsts]
        months: list[tuple[date, int]] = []
        for day in days:
            if months and (months[-1][0].year, months[-1][0].month) == (day.year, day.month):
                months[-1] = (months[-1][0], months[-1][1] + 1)
            else:
                months.append((day, 1))
        return HeatWindow(
            first_week=first_week, days=days, rows=rows, totals=totals, pages=pages, months=months
        )


def field_capacity(
    rows: Iterable[tuple[str, date, float, int, int]],
    *,
    mean_job_hours: Mapping[str, float],
    travel_hours_per_job: float,
    productive_hours_per_shift: float,
    shrinkage: float,
    worst: int = WORST,
) -> FieldCapacity:
    """Rows are (skill, day, forecast jobs, required, rostered), one per skill and day."""
    cells: dict[tuple[str, date], Cell] = {}
    for skill, day, jobs, required, rostered in rows:
        hours = mean_job_hours.get(skill)
        at_risk = (
            staffing.field_jobs_beyond_roster(
                jobs=jobs,
                rostered=rostered,
                mean_job_hours=hours,
                travel_hours_per_job=travel_hours_per_job,
                productive_hours_per_shift=productive_hours_per_shift,
                shrinkage=shrinkage,
            )
            if hours
            else 0.0
        )
        cells[(skill, day)] = Cell(skill, day, jobs, required, rostered, at_risk)
    skills = sorted({skill for skill, _ in cells})
    days = []
    for day in sorted({day for _, day in cells}):
        of_day = [cells[(skill, day)] for skill in skills if (skill, day) in cells]
        days.append(
            Day(
                day=day,
                jobs=sum(c.jobs for c in of_day),
                required=sum(c.required for c in of_day),
                rostered=sum(c.rostered for c in of_day),
                jobs_at_risk=sum(c.jobs_at_risk for c in of_day),
                short_skills=sum(1 for c in of_day if c.gap < 0),
            )
        )
    short = sorted(
        (c for c in cells.values() if c.gap < 0), key=lambda c: (c.gap, -c.jobs_at_risk, c.day, c.skill)
    )
    return FieldCapacity(
        skills=skills,
        days=days,
        cells=cells,
        worst=short[:worst],
        required_days=sum(c.required for c in cells.values()),
        rostered_days=sum(c.rostered for c in cells.values()),
        short_cells=len(short),
        surplus_cells=sum(1 for c in cells.values() if c.gap > 0),
        jobs=sum(c.jobs for c in cells.values()),
        jobs_at_risk=sum(c.jobs_at_risk for c in cells.values()),
    )
