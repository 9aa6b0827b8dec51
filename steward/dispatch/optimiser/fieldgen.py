"""A seeded, realistic field-service day, for the benchmark and for load tests of the board.

What it models (one day, one metro area of about 60 x 40 km):

* technicians start and end at their own home, spread over the area (more in the suburbs);
  8:00-17:00 shifts, a 30-minute lunch starting between 11:30 and 14:00, up to an hour of
  overtime at 1.5x;
* each holds one to three trades (hvac, electrical, plumbing, refrigeration) and sometimes a
  certificate (f-gas for refrigerant work, gas-safe for gas boilers, high-voltage);
* jobs cluster around the centre and a few suburbs; each needs one trade (and the matching
  certificate for about a fifth of them); 30 to 120 minutes on site; about 60% have a two-hour
  booked slot (the service starts within it); about 30% are P1, a few of those would breach
  their SLA if left (raised a priority level), and a few jobs are pinned to a technician (a booking with
  them);
* there is more work than the technicians can do, so the plan has to choose what to leave.

Travel comes from the product's offline provider (great-circle distance x circuity over a speed).
"""

from __future__ import annotations

import math
import random
from datetime import datetime
from zoneinfo import ZoneInfo

from .problem import Break, Job, Location, Problem, Shift, Technician, TimeWindow, default_penalty

H = 3600
CENTRE = (48.137, 11.575)  # a metro area's centre (Munich)
WIDTH_KM, HEIGHT_KM = 60.0, 40.0
TRADES = ("hvac", "electrical", "plumbing", "refrigeration")
CERTIFICATE_FOR = {"refrigeration": "f-gas", "plumbing": "gas-safe", "electrical": "high-voltage"}
SLOT_STARTS = (8 * H, 10 * H, 12 * H, 13 * H, 15 * H)  # two-hour slots
PRIORITIES = (("P1", 0.30), ("P2", 0.30), ("P3", 0.30), ("P4", 0.10))


def _to_latlon(x_km: float, y_km: float) -> tuple[float, float]:
    lat = CENTRE[0] + y_km / 111.2
    lon = CENTRE[1] + x_km / (111.2 * math.cos(math.radians(CENTRE[0])))
    return lat, lon


def _in_area(rng: random.Random, centre_km: tuple[float, float], spread_km: float) -> tuple[float, float]:
    half_w, half_h = WIDTH_KM / 2, HEIGHT_KM / 2
    x = min(half_w, max(-half_w, rng.gauss(centre_km[0], spread_km)))
    y = min(half_h, max(-half_h, rng.gauss(centre_km[1], spread_km)))
    return x, y


def generate_field_day(
    technicians: int = 60, jobs: int = 800, seed: int = 1, *, provider=None, pinned_share: float = 0.02
) -> Problem:
    if technicians <= 0 or jobs <= 0:
        raise ValueError("technicians and jobs must be positive")
    from .travel import default_provider

    rng = random.Random(seed)
    provider = provider or default_provider()
    # Where work concentrates: the centre and a few suburbs.
    hubs = [((0.0, 0.0), 6.0, 0.45)] + [
        ((rng.uniform(-25, 25), rng.uniform(-16, 16)), rng.uniform(3, 6), 0.55 / 4) for _ in range(4)
    ]
    locations: list[Location] = []

    def place(label: str, x: float, y: float) -> int:
        lat, lon = _to_latlon(x, y)
        locations.append(Location(round(lat, 6), round(lon, 6), label))
        return len(locations) - 1

    lunch = Break(30 * 60, TimeWindow(11 * H + 30 * 60, 14 * H))
    techs: list[Technician] = []
    for k in range(technicians):
        tid = f"tech-{k + 1:03d}"
        x, y = rng.uniform(-WIDTH_KM / 2, WIDTH_KM / 2), rng.uniform(-HEIGHT_KM / 2, HEIGHT_KM / 2)
        home = place(f"home of {tid}", x, y)
        trades = set(rng.sample(TRADES, rng.choices((1, 2, 3), weights=(0.35, 0.45, 0.2))[0]))
        certs = {CERTIFICATE_FOR[t] for t in trades if t in CERTIFICATE_FOR and rng.random() < 0.4}
        shift = Shift(
            id=f"{tid}/0",
            technician=tid,
            day=0,
            start=8 * H,
            end=17 * H,
            start_location=home,
            end_location=home,
            max_overtime=H,
            overtime_cost_factor=1.5,
            break_=lunch,
        )
        techs.append(Technician(tid, frozenset(trades | certs), (shift,), label=f"Technician {k + 1}"))

    job_list: list[Job] = []
    for n in range(jobs):
        centre, spread, _ = rng.choices(hubs, weights=[h[2] for h in hubs])[0]
        x, y = _in_area(rng, centre, spread * 1.5)
        loc = place(f"site {n + 1}", x, y)
        trade = rng.choice(TRADES)
        skills = {trade}
        if trade in CERTIFICATE_FOR and rng.random() < 0.25:
            skills.add(CERTIFICATE_FOR[trade])
        priority = rng.choices([p for p, _ in PRIORITIES], weights=[w for _, w in PRIORITIES])[0]
        at_risk = priority == "P1" and rng.random() < 0.2
        window = None
        if rng.random() < 0.6:
            s = rng.choice(SLOT_STARTS)
            window = TimeWindow(s, s + 2 * H)
        pinned = None
        if rng.random() < pinned_share:
            able = [t.id for t in techs if skills <= t.skills]
            pinned = rng.choice(able) if able else None
        job_list.append(
            Job(
                id=f"job-{n + 1:04d}",
                location=loc,
                duration=rng.choice(range(30 * 60, 120 * 60 + 1, 15 * 60)),
                penalty=default_penalty(priority, sla_at_risk=at_risk),
                skills=frozenset(skills),
                window=window,
                priority=priority,
                pinned_technician=pinned,
            )
        )

    durations, distances = provider.matrices(locations)
    origin = datetime(2026, 11, 24, tzinfo=ZoneInfo("Europe/Berlin"))
    return Problem(
        origin=origin,
        locations=locations,
        durations=durations,
        distances=distances,
        jobs=job_list,
        technicians=techs,
        name=f"field-{technicians}x{jobs}-seed{seed}",
    )
