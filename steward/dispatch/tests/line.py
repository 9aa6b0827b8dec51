"""Tiny hand-checkable problems for the optimiser tests: places on a straight road, 10 minutes
(600 s, 10 km) apart, so every travel time can be worked out by hand."""

from __future__ import annotations

from steward.dispatch.optimiser.problem import (
    Break,
    Job,
    Location,
    Problem,
    Shift,
    Technician,
    TimeWindow,
)

HOUR = 3600
LEG = 600


def line_problem(jobs, technicians, places: int = 8) -> Problem:
    return Problem(
        origin=None,
        locations=[Location(0.0, 0.1 * i, f"p{i}") for i in range(places)],
        durations=[[LEG * abs(i - j) for j in range(places)] for i in range(places)],
        distances=[[10_000 * abs(i - j) for j in range(places)] for i in range(places)],
        jobs=list(jobs),
        technicians=list(technicians),
        name="line",
    )


def job(job_id, location, *, duration=HOUR, penalty=7200, window=None, **kw) -> Job:
    return Job(
        id=job_id,
        location=location,
        duration=duration,
        penalty=penalty,
        window=TimeWindow(*window) if window else None,
        **kw,
    )


def shift(
    shift_id="s1",
    technician="t1",
    *,
    start=8 * HOUR,
    end=17 * HOUR,
    home=0,
    max_overtime=0,
    lunch=None,
    **kw,
) -> Shift:
    brk = Break(lunch[2], TimeWindow(lunch[0], lunch[1])) if lunch else None
    return Shift(
        id=shift_id,
        technician=technician,
        day=0,
        start=start,
        end=end,
        start_location=home,
        end_location=home,
        max_overtime=max_overtime,
        break_=brk,
        **kw,
    )


def tech(technician_id="t1", skills=(), shifts=()) -> Technician:
    return Technician(technician_id, frozenset(skills), tuple(shifts))
