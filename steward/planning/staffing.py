"""Staffing from demand, pure (no Django): Erlang C, Erlang A, backlog workload and field hours.

Conventions: times are in seconds unless a name says otherwise; an interval's arrivals are a
count over `interval_seconds`; the offered load in Erlangs is arrivals x AHT / interval length.

Numerical stability: nothing here computes a factorial or a power of the load. Erlang B comes
from its recursion B(0) = 1, B(n) = a B(n-1) / (n + a B(n-1)), which stays in [0, 1] for any n,
so hundreds (or thousands) of agents cost a loop of that many float operations and never
overflow. Erlang C follows from Erlang B; Erlang A (M/M/n+M) is solved on its birth-death chain
with the state probabilities built as ratios to the previous state and summed in log-space
safe normalised form, truncated where the tail is negligible.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# Erlang A's chain is truncated when the next state's probability ratio has made the tail
# smaller than this share of the mass so far.
_TAIL_EPSILON = 1e-15
_MAX_AGENTS = 100_000


class StaffingError(ValueError):
    """An input that cannot describe a queue (negative load, non-positive handling time...)."""


def _check_positive(name: str, value: float) -> None:
    if not (value > 0 and math.isfinite(value)):
        raise StaffingError(f"{name} must be a positive number, got {value!r}")


def _check_non_negative(name: str, value: float) -> None:
    if not (value >= 0 and math.isfinite(value)):
        raise StaffingError(f"{name} must be zero or more, got {value!r}")


def _check_share(name: str, value: float, *, allow_zero: bool = True, allow_one: bool = False) -> None:
    low_ok = value >= 0 if allow_zero else value > 0
    high_ok = value <= 1 if allow_one else value < 1
    if not (low_ok and high_ok):
        raise StaffingError(f"{name} must be a share between 0 and 1, got {value!r}")


def offered_load(*, arrivals: float, aht_seconds: float, interval_seconds: float) -> float:
    """Traffic intensity in Erlangs: the agents' worth of work arriving per interval."""
    _check_non_negative("arrivals", arrivals)
    _check_positive("aht_seconds", aht_seconds)
    _check_positive("interval_seconds", interval_seconds)
    return arrivals * aht_seconds / interval_seconds


# --- Erlang B and C -------------------------------------------------------------------------


def erlang_b(agents: int, load: float) -> float:
    """Blocking probability of an M/M/n/n system (Erlang's loss formula), by recursion."""
    if agents < 0:
        raise StaffingError(f"agents must be zero or more, got {agents!r}")
    _check_non_negative("load", load)
    blocking = 1.0
    for n in range(1, agents + 1):
        blocking = load * blocking / (n + load * blocking)
    return blocking


def erlang_c(agents: int, load: float) -> float:
    """Probability that an arrival waits in an M/M/n queue; 1.0 when the queue is unstable."""
    _check_non_negative("load", load)
    if agents <= 0 or load >= agents:
        return 1.0
    if load == 0:
        return 0.0
    blocking = erlang_b(agents, load)
    return agents * blocking / (agents - load * (1.0 - blocking))


@dataclass(frozen=True)
class QueueResult:
    agents: int
    load: float
    prob_wait: float
    service_level: float
    asa_seconds: float  # average speed of answer (mean wait of all arrivals); inf if unstable
    occupancy: float  # share of agents' time busy; capped at 1 when unstable
    abandonment: float = 0.0  # Erlang A only

    @property
    def stable(self) -> bool:
        return self.load < self.agents or (self.abandonment > 0 and self.agents > 0)


def erlang_c_metrics(*, agents: int, load: float, aht_seconds: float, target_seconds: float) -> QueueResult:
    """Erlang C figures for `agents` on `load` Erlangs: P(wait), P(wait <= target), ASA, occupancy."""
    _check_positive("aht_seconds", aht_seconds)
    _check_non_negative("target_seconds", target_seconds)
    prob_wait = erlang_c(agents, load)
    if agents <= 0 or load >= agents:
        return QueueResult(
            agents=agents,
            load=load,
            prob_wait=1.0,
            service_level=0.0 if load > 0 else 1.0,
            asa_seconds=math.inf if load > 0 else 0.0,
            occupancy=1.0 if load > 0 else 0.0,
        )
    spare = agents - load
    service_level = 1.0 - prob_wait * math.exp(-spare * target_seconds / aht_seconds)
    return QueueResult(
        agents=agents,
        load=load,
        prob_wait=prob_wait,
        service_level=service_level,
        asa_seconds=prob_wait * aht_seconds / spare,
        occupancy=load / agents,
    )


def _search_agents(meets, start: int) -> int:
    """Smallest n >= start with meets(n), assuming meets is monotone in n (doubling, then bisection)."""
    low = max(start, 0)
    if meets(low):
        return low
    high = max(low + 1, 1)
    while not meets(high):
        low = high
        high *= 2
        if high > _MAX_AGENTS:
            raise StaffingError("the target needs more than 100,000 agents; check the inputs")
    while high - low > 1:
        mid = (low + high) // 2
        if meets(mid):
            high = mid
        else:
            low = mid
    return high


def agents_on_floor_erlang_c(
    *,
    load: float,
    aht_seconds: float,
    target_seconds: float,
    service_level: float,
    max_occupancy: float = 1.0,
) -> int:
    """Fewest agents on the floor meeting the service-level target and the occupancy cap."""
    _check_share("service_level", service_level, allow_one=False)
    _check_share("max_occupancy", max_occupancy, allow_zero=False, allow_one=True)
    _check_non_negative("load", load)
    _check_positive("aht_seconds", aht_seconds)
    _check_non_negative("target_seconds", target_seconds)
    if load == 0:
        return 0
    # Stability (n > a) and the occupancy cap (a / n <= max) give the first candidate; from there
    # walk up one agent at a time, carrying Erlang B's recursion along, so the whole search costs
    # one pass of the recursion (the answer is rarely more than a few agents above the floor).
    floor = max(math.floor(load) + 1, math.ceil(load / max_occupancy - 1e-12))
    n = floor
    blocking = erlang_b(n, load)
    while True:
        prob_wait = n * blocking / (n - load * (1.0 - blocking))
        achieved = 1.0 - prob_wait * math.exp(-(n - load) * target_seconds / aht_seconds)
        if achieved >= service_level:
            return n
        n += 1
        if n > _MAX_AGENTS:
            raise StaffingError("the target needs more than 100,000 agents; check the inputs")
        blocking = load * blocking / (n + load * blocking)


def with_shrinkage(agents_on_floor: int, shrinkage: float) -> int:
    """Agents to roster so that `agents_on_floor` remain after shrinkage (breaks, training, absence)."""
    _check_share("shrinkage", shrinkage, allow_one=False)
    if agents_on_floor <= 0:
        return 0
    # The epsilon keeps 10 / (1 - 0.2) = 12.000000000000002 from rounding up to 13.
    return math.ceil(agents_on_floor / (1.0 - shrinkage) - 1e-9)


# --- Erlang A (M/M/n+M, Palm) ------------------------------------------------------------------


def erlang_a_metrics(
    *,
    agents: int,
    arrival_rate: float,
    aht_seconds: float,
    patience_seconds: float,
    target_seconds: float,
) -> QueueResult:
    """M/M/n+M with exponential patience: service level, abandonment, ASA, occupancy.

    `arrival_rate` is per second. Solved on the birth-death chain: state k (people in system) has
    death rate min(k, n) mu + max(k - n, 0) theta, so the chain is stable for any n when theta > 0.
    Service level here is the share of all arrivals answered within the target (abandoners count
    as not answered in time). P(answered within t) for a waiting arrival who finds j >= 0 waiting
    ahead: the race of n mu + (m) theta departures; computed from the chain's sojourn mix.
    """
    _check_non_negative("arrival_rate", arrival_rate)
    _check_positive("aht_seconds", aht_seconds)
    _check_positive("patience_seconds", patience_seconds)
    _check_non_negative("target_seconds", target_seconds)
    if agents < 0:
        raise StaffingError(f"agents must be zero or more, got {agents!r}")
    mu = 1.0 / aht_seconds
    theta = 1.0 / patience_seconds
    lam = arrival_rate
    if lam == 0:
        return QueueResult(agents, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0)
    # Unnormalised probabilities as running products of ratios; kept relative to the largest so far
    # by a rescale whenever they grow big, so no overflow for hundreds of agents.
    probs = [1.0]
    k = 0
    total = 1.0
    while True:
        death = min(k + 1, agents) * mu + max(k + 1 - agents, 0) * theta
        nxt = probs[-1] * lam / death
        probs.append(nxt)
        total += nxt
        k += 1
        if total > 1e250:
            probs = [p / total for p in probs]
            total = 1.0
        if k > agents and nxt < _TAIL_EPSILON * total and lam < death:
            break
        if k > agents + 10_000_000:  # pragma: no cover - theta > 0 makes this unreachable
            raise StaffingError("Erlang A chain did not converge")
    probs = [p / total for p in probs]
    # PASTA: an arrival sees the stationary distribution.
    prob_wait = sum(probs[agents:])
    # An arrival finding k >= n in system is at queue position j = k - n (0-based); it is answered
    # once j + 1 departures from the queue head happen via service completions before it abandons.
    # Each step i (i = j .. 0 people ahead) takes rate n mu + (i + 1) theta overall, of which
    # n mu + i theta removes someone ahead (service, or an abandonment ahead) and theta is our own
    # abandonment. P(answered) for position j = prod_{i=0..j} (n mu + i theta) / (n mu + (i+1) theta)
    # = n mu / (n mu + (j+1) theta). Waiting time to answer within t: a sum of exponentials; we
    # compute P(answered within t) by uniformisation-free closed form: with our own patience
    # independent, P(answered by t) = P(reach service by t and before abandoning) computed by
    # conditioning on the phase-type path (hypoexponential with distinct rates).
    n_mu = agents * mu
    busy = sum(min(k, agents) * p for k, p in enumerate(probs))
    if agents == 0:
        return QueueResult(
            agents=0,
            load=lam * aht_seconds,
            prob_wait=1.0,
            service_level=0.0,
            asa_seconds=patience_seconds,
            occupancy=0.0,
            abandonment=1.0,
        )
    waiting = probs[agents:]
    positions = len(waiting)
    within = _answered_within(positions, n_mu, theta, target_seconds)
    answered_in_time = sum(probs[:agents])  # served at once
    abandoned = 0.0
    wait_total = 0.0
    mean_wait = 0.0
    for j, pk in enumerate(waiting):
        # Position j (j people ahead). Stages i = j .. 0 each end at rate n mu + (i + 1) theta,
        # of which n mu + i theta moves us forward and theta is our own abandonment; the
        # product of the forward shares telescopes to n mu / (n mu + (j + 1) theta).
        p_answer = n_mu / (n_mu + (j + 1) * theta)
        abandoned += pk * (1.0 - p_answer)
        answered_in_time += pk * within[j]
        # Mean wait until answered or abandoned, built from position j - 1's by prepending
        # stage j: E_j = 1 / r_j + (forward share of stage j) x E_{j-1}.
        rate = n_mu + (j + 1) * theta
        mean_wait = 1.0 / rate + (n_mu + j * theta) / rate * mean_wait
        wait_total += pk * mean_wait
    return QueueResult(
        agents=agents,
        load=lam * aht_seconds,
        prob_wait=prob_wait,
        service_level=float(min(max(answered_in_time, 0.0), 1.0)),
        asa_seconds=wait_total,
        occupancy=busy / agents,
        abandonment=abandoned,
    )


def _answered_within(positions: int, n_mu: float, theta: float, t: float) -> list[float]:
    """For each queue position j < positions: P(reach an agent within t, before abandoning).

    With i people ahead the queue moves at rate r_i = n mu + i theta; our own patience is an
    independent exponential(theta). Reaching an agent needs the j + 1 stages i = j .. 0 to end
    within t while still patient: P = E[1{S <= t} e^{-theta S}], and since e^{-theta S} splits
    over the stages this is prod(r_i / (r_i + theta)) x P(S' <= t), S' having rates r_i + theta.
    P(S' <= t) for every start j at once, by uniformisation (all terms non-negative, so no
    cancellation, unlike the alternating closed form): u_m[i] = P(done within m uniformised
    events from i ahead), u_{m+1}[i] = (1 - a_i) u_m[i] + a_i u_m[i - 1], u[-1] = 1.
    """
    if positions == 0:
        return []
    if t <= 0:
        return [0.0] * positions
    shifted = np.array([n_mu + (i + 1) * theta for i in range(positions)])
    factor = n_mu / shifted  # the telescoped product of r_i / (r_i + theta)
    big = float(shifted[-1])
    advance = shifted / big
    mean_events = big * t
    done = np.zeros(positions)
    cdf = np.zeros(positions)
    log_weight = -mean_events
    limit = int(mean_events + 12 * math.sqrt(mean_events) + 30)
    for m in range(limit + 1):
        cdf += math.exp(log_weight) * done
        ahead_done = np.concatenate(([1.0], done[:-1]))
        done = (1.0 - advance) * done + advance * ahead_done
        log_weight += math.log(mean_events) - math.log(m + 1)
    return list(np.minimum(factor * cdf, 1.0))


def agents_on_floor_erlang_a(
    *,
    arrival_rate: float,
    aht_seconds: float,
    patience_seconds: float,
    target_seconds: float,
    service_level: float,
    max_abandonment: float | None = None,
    max_occupancy: float = 1.0,
) -> int:
    """Fewest agents meeting the service level (and the abandonment and occupancy caps) in Erlang A."""
    _check_share("service_level", service_level)
    _check_share("max_occupancy", max_occupancy, allow_zero=False, allow_one=True)
    if max_abandonment is not None:
        _check_share("max_abandonment", max_abandonment, allow_one=True)
    if arrival_rate == 0:
        return 0
    load = arrival_rate * aht_seconds
    floor = max(1, math.ceil(load / max_occupancy - 1e-12))

    def meets(n: int) -> bool:
        result = erlang_a_metrics(
            agents=n,
            arrival_rate=arrival_rate,
            aht_seconds=aht_seconds,
            patience_seconds=patience_seconds,
            target_seconds=target_seconds,
        )
        if result.service_level < service_level:
            return False
        return max_abandonment is None or result.abandonment <= max_abandonment

    return _search_agents(meets, floor)


# --- Email-like work: backlog cleared within the SLA ----------------------------------------


def agents_for_backlog(
    *,
    arrivals: list[float],
    aht_seconds: float,
    interval_seconds: float,
    sla_intervals: int,
    max_occupancy: float = 1.0,
) -> list[int]:
    """Agents per interval so that the work arriving in each interval is done within the SLA.

    Deferred work (email, web forms) need not be answered in seconds: work arriving in interval
    i may be done any time before interval i + sla_intervals ends. Spreading each interval's work
    evenly over its SLA window gives a smooth requirement; an agent does interval_seconds x
    max_occupancy of work per interval. The result is rounded up per interval.
    """
    _check_positive("aht_seconds", aht_seconds)
    _check_positive("interval_seconds", interval_seconds)
    _check_share("max_occupancy", max_occupancy, allow_zero=False, allow_one=True)
    if sla_intervals < 1:
        raise StaffingError(f"sla_intervals must be at least 1, got {sla_intervals!r}")
    workload = [0.0] * len(arrivals)  # seconds of work to do in each interval
    for i, count in enumerate(arrivals):
        _check_non_negative("arrivals", count)
        window = range(i, min(i + sla_intervals, len(arrivals)))
        share = count * aht_seconds / len(window)
        for j in window:
            workload[j] += share
    capacity = interval_seconds * max_occupancy
    return [math.ceil(w / capacity - 1e-9) for w in workload]


# --- Field work -----------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldRequirement:
    skill: str
    jobs: float
    work_hours: float
    travel_hours: float
    technician_hours: float
    technicians: int  # on shift, after shrinkage


def field_requirement(
    *,
    skill: str,
    jobs: float,
    mean_job_hours: float,
    travel_hours_per_job: float,
    productive_hours_per_shift: float,
    shrinkage: float = 0.0,
) -> FieldRequirement:
    """Technicians needed for a day's forecast jobs of one skill.

    Hours = jobs x (mean on-site duration + mean travel per job, the latter measured from the
    dispatch plans' history); technicians = hours / (productive hours per shift x (1 -
    shrinkage)), rounded up once. Rounding once matters for the small days: half a job on a
    Saturday needs one technician, where rounding to heads and then grossing the heads up for
    shrinkage would ask for two.
    """
    _check_non_negative("jobs", jobs)
    _check_positive("mean_job_hours", mean_job_hours)
    _check_non_negative("travel_hours_per_job", travel_hours_per_job)
    _check_positive("productive_hours_per_shift", productive_hours_per_shift)
    work = jobs * mean_job_hours
    travel = jobs * travel_hours_per_job
    total = work + travel
    _check_share("shrinkage", shrinkage, allow_one=False)
    per_technician = productive_hours_per_shift * (1.0 - shrinkage)
    return FieldRequirement(
        skill=skill,
        jobs=jobs,
        work_hours=work,
        travel_hours=travel,
        technician_hours=total,
        technicians=math.ceil(total / per_technician - 1e-9),
    )


def field_jobs_beyond_roster(
    *,
    jobs: float,
    rostered: int,
    mean_job_hours: float,
    travel_hours_per_job: float,
    productive_hours_per_shift: float,
    shrinkage: float = 0.0,
) -> float:
    """Of a day's forecast jobs of one skill, how many the rostered technicians cannot reach that
    day: the inverse of `field_requirement`. Each rostered technician gives productive hours x
    (1 - shrinkage) of work, and a job takes its mean duration plus travel. Those jobs wait for a
    later day, so their on-site arrival targets are at risk."""
    _check_non_negative("jobs", jobs)
    _check_non_negative("rostered", rostered)
    _check_positive("mean_job_hours", mean_job_hours)
    _check_non_negative("travel_hours_per_job", travel_hours_per_job)
    _check_positive("productive_hours_per_shift", productive_hours_per_shift)
    _check_share("shrinkage", shrinkage, allow_one=False)
    capacity = (
        rostered * productive_hours_per_shift * (1.0 - shrinkage) / (mean_job_hours + travel_hours_per_job)
    )
    beyond = jobs - capacity
    # The epsilon keeps a roster that exactly meets the requirement from reporting 1e-15 jobs.
    return beyond if beyond > 1e-9 else 0.0
