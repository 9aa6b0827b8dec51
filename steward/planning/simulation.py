"""A discrete-event simulation of the desk (SimPy), to check the queueing formulas on a scenario.

The desk: one FIFO queue; arrivals form a Poisson process whose rate is constant within each
interval (the forecast's arrivals per interval); handling times are exponential with the AHT; the
number of agents on the floor may change from one interval to the next (an agent whose shift ends
finishes the contact in hand, then stops); callers may abandon after an exponential patience.

Figures use the same definitions as staffing.py: service level = answered within the target /
all arrivals (an abandoner counts as not answered in time); ASA = mean time waited by all arrivals
(until answered, or until abandoning); occupancy = busy agent-time / agent-time on the floor.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import simpy


@dataclass(frozen=True)
class Scenario:
    arrivals: Sequence[float]  # expected arrivals in each interval
    agents: Sequence[int]  # agents on the floor in each interval
    interval_seconds: float
    aht_seconds: float
    target_seconds: float
    patience_seconds: float | None = None  # None: nobody abandons (Erlang C)
    warmup_intervals: int = 0  # intervals whose arrivals are simulated but not counted

    def __post_init__(self) -> None:
        if len(self.arrivals) != len(self.agents) or not self.arrivals:
            raise ValueError("arrivals and agents must be non-empty and of the same length")
        if self.interval_seconds <= 0 or self.aht_seconds <= 0 or self.target_seconds < 0:
            raise ValueError("interval_seconds and aht_seconds must be positive, target_seconds not negative")
        if self.patience_seconds is not None and self.patience_seconds <= 0:
            raise ValueError("patience_seconds must be positive")
        if any(a < 0 for a in self.arrivals) or any(n < 0 for n in self.agents):
            raise ValueError("arrivals and agents must not be negative")


@dataclass(frozen=True)
class SimulationResult:
    offered: int
    answered: int
    abandoned: int
    service_level: float
    asa_seconds: float
    abandonment: float
    occupancy: float
    per_interval_service_level: list[float]


class _Caller:
    __slots__ = ("abandoned", "answered", "arrived", "interval", "waited")

    def __init__(self, env: simpy.Environment, arrived: float, interval: int) -> None:
        self.arrived = arrived
        self.interval = interval
        self.answered = env.event()
        self.abandoned = False
        self.waited: float | None = None


def simulate(scenario: Scenario, *, seed: int) -> SimulationResult:
    """Run the scenario once; the same seed gives the same figures."""
    rng = np.random.default_rng(seed)
    env = simpy.Environment()
    queue: simpy.Store = simpy.Store(env)
    callers: list[_Caller] = []
    length = scenario.interval_seconds
    horizon = length * len(scenario.arrivals)
    busy = [0.0]
    floor_time = [0.0]

    def agents_at(t: float) -> int:
        index = min(int(t // length), len(scenario.agents) - 1)
        return scenario.agents[index]

    def next_boundary(t: float) -> float:
        return (math.floor(t / length) + 1) * length

    def caller(record: _Caller):
        queue.put(record)
        if scenario.patience_seconds is None:
            yield record.answered
            return
        patience = env.timeout(rng.exponential(scenario.patience_seconds))
        yield record.answered | patience
        if not record.answered.triggered:
            record.abandoned = True
            record.waited = env.now - record.arrived

    def agent(slot: int):
        while True:
            now = env.now
            if slot >= agents_at(now):
                # Off the floor: wake at the next interval boundary (or never, after the horizon,
                # where the last interval's staffing holds while the queue drains).
                if now >= horizon - length:
                    return
                yield env.timeout(next_boundary(now) - now)
                continue
            shift_end = next_boundary(now) if now < horizon - length else math.inf
            take = queue.get()
            if math.isfinite(shift_end):
                yield take | env.timeout(shift_end - now)
            else:
                yield take
            if not take.triggered:
                take.cancel()
                floor_time[0] += env.now - now
                continue
            floor_time[0] += env.now - now
            record: _Caller = take.value
            if record.abandoned:
                continue
            record.waited = env.now - record.arrived
            record.answered.succeed()
            service = rng.exponential(scenario.aht_seconds)
            busy[0] += service
            floor_time[0] += service
            yield env.timeout(service)

    def arrivals():
        for index, expected in enumerate(scenario.arrivals):
            start = index * length
            count = rng.poisson(expected)
            for at in np.sort(rng.uniform(start, start + length, size=count)):
                if at > env.now:
                    yield env.timeout(at - env.now)
                record = _Caller(env, env.now, index)
                callers.append(record)
                env.process(caller(record))
            if env.now < start + length:
                yield env.timeout(start + length - env.now)

    env.process(arrivals())
    for slot in range(max(scenario.agents)):
        env.process(agent(slot))
    env.run()

    counted = [c for c in callers if c.interval >= scenario.warmup_intervals]
    offered = len(counted)
    answered = [c for c in counted if not c.abandoned and c.waited is not None]
    abandoned = sum(1 for c in counted if c.abandoned)
    in_time = sum(1 for c in answered if c.waited <= scenario.target_seconds)
    waits = [c.waited for c in counted if c.waited is not None]
    per_interval = []
    for index in range(len(scenario.arrivals)):
        group = [c for c in callers if c.interval == index]
        good = sum(
            1
            for c in group
            if not c.abandoned and c.waited is not None and c.waited <= scenario.target_seconds
        )
        per_interval.append(good / len(group) if group else 1.0)
    return SimulationResult(
        offered=offered,
        answered=len(answered),
        abandoned=abandoned,
        service_level=in_time / offered if offered else 1.0,
        asa_seconds=float(np.mean(waits)) if waits else 0.0,
        abandonment=abandoned / offered if offered else 0.0,
        occupancy=busy[0] / floor_time[0] if floor_time[0] else 0.0,
        per_interval_service_level=per_interval,
    )
