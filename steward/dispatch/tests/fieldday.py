"""A seeded synthetic field-service day for the engine's tests and measurements (the bench
command has its own generator): technicians from their own homes around a city, 8:00-17:00
shifts with a lunch break, skills, two-hour appointment slots on 60% of jobs, some SLA soft
deadlines and pins, more work than capacity."""

from __future__ import annotations

import random

from steward.dispatch.optimiser.problem import (
    Break,
    Job,
    Location,
    Problem,
    Shift,
    Technician,
    TimeWindow,
    default_penalty,
)
from steward.dispatch.optimiser.travel import GreatCircleProvider

HOUR = 3600
SKILLS = ("electrical", "plumbing", "hvac", "gas", "lifts")


def field_day(
    technicians: int = 12,
    jobs: int = 150,
    *,
    seed: int = 0,
    pins: int = 0,
    lunch: bool = True,
    days: int = 1,
) -> Problem:
    rng = random.Random(seed)
    centre = (52.37, 4.89)

    def place(spread: float) -> Location:
        return Location(centre[0] + rng.gauss(0, spread), centre[1] + rng.gauss(0, spread * 1.6))

    locations: list[Location] = []
    techs: list[Technician] = []
    for t in range(technicians):
        locations.append(place(0.08))
        home = len(locations) - 1
        skills = frozenset(rng.sample(SKILLS, rng.choice((1, 2, 2, 3))))
        shifts = tuple(
            Shift(
                id=f"t{t}/d{d}",
                technician=f"t{t}",
                day=d,
                start=d * 86_400 + 8 * HOUR,
                end=d * 86_400 + 17 * HOUR,
                start_location=home,
                end_location=home,
                max_overtime=HOUR,
                overtime_cost_factor=1.5,
                break_=Break(1800, TimeWindow(d * 86_400 + 12 * HOUR, d * 86_400 + 13 * HOUR + 1800))
                if lunch
                else None,
            )
            for d in range(days)
        )
        techs.append(Technician(f"t{t}", skills, shifts))
    job_list: list[Job] = []
    for k in range(jobs):
        locations.append(place(0.06))
        priority = rng.choices(("P1", "P2", "P3", "P4"), (0.1, 0.2, 0.5, 0.2))[0]
        d = rng.randrange(days)
        window = None
        if rng.random() < 0.6:
            slot = rng.choice((8, 10, 12, 14))
            window = TimeWindow(d * 86_400 + slot * HOUR, d * 86_400 + (slot + 2) * HOUR)
        skills = frozenset(rng.sample(SKILLS, rng.choice((0, 1, 1, 1, 2))))
        soft = None
        lateness = 0
        if window is None and priority in ("P1", "P2") and rng.random() < 0.5:
            soft = d * 86_400 + rng.choice((11, 13, 15)) * HOUR
            lateness = default_penalty(priority) // 2
        job_list.append(
            Job(
                id=f"j{k}",
                location=len(locations) - 1,
                duration=rng.choice((30, 45, 60, 60, 90, 120)) * 60,
                penalty=default_penalty(priority, sla_at_risk=soft is not None),
                skills=skills,
                window=window,
                priority=priority,
                soft_deadline=soft,
                lateness_penalty=lateness,
            )
        )
    for k in rng.sample(range(jobs), pins):
        job = job_list[k]
        able = [t for t in techs if job.skills <= t.skills]
        if able:
            job_list[k] = Job(**{**_fields(job), "pinned_technician": rng.choice(able).id})
    durations, distances = GreatCircleProvider().matrices(locations)
    return Problem(
        origin=None,
        locations=locations,
        durations=durations,
        distances=distances,
        jobs=job_list,
        technicians=techs,
        name=f"field-{technicians}x{jobs}-s{seed}",
    )


def _fields(job: Job) -> dict:
    return {f: getattr(job, f) for f in job.__slots__}
