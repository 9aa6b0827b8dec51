"""Erlang B/C/A, backlog workload and field hours: published examples and properties.

staffing.py is pure arithmetic; the exact-rational reference below (factorials in Fractions, fine
for small n) is the textbook formula the stable recursion must reproduce.
"""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from steward.planning import staffing


def exact_erlang_c(agents: int, load: Fraction) -> Fraction:
    """The textbook closed form: (a^n / n!) (n / (n - a)) / (sum_{k<n} a^k / k! + that)."""
    top = load**agents / math.factorial(agents) * Fraction(agents) / (agents - load)
    return top / (sum(load**k / math.factorial(k) for k in range(agents)) + top)


# --- published examples --------------------------------------------------------------------------


def test_callcentrehelper_worked_example():
    """Call Centre Helper, "Erlang C Formula - Made Simple With an Easy Worked Example": 100 calls in
    30 minutes, AHT 180 s, target 80% answered in 20 s. Traffic 10 Erlangs; 11 agents: P(wait)
    68.21%, SL 39.0% (to one decimal: 38.96%), ASA 122.8 s; 14 agents reach the target (SL 88.84%,
    ASA 7.8 s, occupancy 71.4%); with 30% shrinkage 20 agents are rostered."""
    load = staffing.offered_load(arrivals=100, aht_seconds=180, interval_seconds=1800)
    assert load == pytest.approx(10.0)

    eleven = staffing.erlang_c_metrics(agents=11, load=load, aht_seconds=180, target_seconds=20)
    assert round(eleven.prob_wait, 4) == 0.6821
    assert round(eleven.service_level, 4) == 0.3896
    assert round(eleven.asa_seconds, 1) == 122.8
    assert round(eleven.occupancy, 4) == 0.9091

    fourteen = staffing.erlang_c_metrics(agents=14, load=load, aht_seconds=180, target_seconds=20)
    assert round(fourteen.prob_wait, 4) == 0.1741
    assert round(fourteen.service_level, 4) == 0.8884
    assert round(fourteen.asa_seconds, 1) == 7.8
    assert round(fourteen.occupancy, 3) == 0.714

    on_floor = staffing.agents_on_floor_erlang_c(
        load=load, aht_seconds=180, target_seconds=20, service_level=0.8
    )
    assert on_floor == 14
    assert staffing.with_shrinkage(on_floor, 0.30) == 20


@pytest.mark.parametrize("agents", [1, 2, 5, 11, 14, 30])
@pytest.mark.parametrize("load", [Fraction(1, 2), Fraction(10), Fraction(47, 2)])
def test_erlang_c_equals_the_exact_closed_form(agents, load):
    if load >= agents:
        assert staffing.erlang_c(agents, float(load)) == 1.0
        return
    assert staffing.erlang_c(agents, float(load)) == pytest.approx(
        float(exact_erlang_c(agents, load)), rel=1e-12
    )


@pytest.mark.parametrize(
    "agents,load,blocking",
    [
        # Standard Erlang B table entries (load in Erlangs at the grade of service): the recursion
        # must give the grade back to the table's precision.
        (5, 1.3608, 0.01),
        (10, 4.4612, 0.01),
        (10, 5.0840, 0.02),
        (100, 84.064, 0.01),
    ],
)
def test_erlang_b_reproduces_the_published_table(agents, load, blocking):
    assert staffing.erlang_b(agents, load) == pytest.approx(blocking, abs=5e-7)


def test_hundreds_and_thousands_of_agents_stay_finite():
    # a^n / n! overflows a float from n ~ 170; the recursion does not.
    result = staffing.erlang_c_metrics(agents=1200, load=1150.0, aht_seconds=300, target_seconds=20)
    assert 0.0 < result.prob_wait < 1.0
    assert 0.0 < result.service_level < 1.0
    assert math.isfinite(result.asa_seconds)
    needed = staffing.agents_on_floor_erlang_c(
        load=1150.0, aht_seconds=300, target_seconds=20, service_level=0.8
    )
    assert 1150 < needed < 1250


def test_unstable_queue_and_zero_load():
    over = staffing.erlang_c_metrics(agents=10, load=10.0, aht_seconds=180, target_seconds=20)
    assert (over.prob_wait, over.service_level, over.asa_seconds) == (1.0, 0.0, math.inf)
    idle = staffing.erlang_c_metrics(agents=3, load=0.0, aht_seconds=180, target_seconds=20)
    assert (idle.prob_wait, idle.service_level, idle.asa_seconds) == (0.0, 1.0, 0.0)
    assert (
        staffing.agents_on_floor_erlang_c(load=0.0, aht_seconds=180, target_seconds=20, service_level=0.8)
        == 0
    )


def test_max_occupancy_can_bind_before_the_service_level():
    # 10 Erlangs meet 80/20 with 14 agents (71% busy); a 70% cap needs ceil(10 / 0.7) = 15.
    needed = staffing.agents_on_floor_erlang_c(
        load=10.0, aht_seconds=180, target_seconds=20, service_level=0.8, max_occupancy=0.7
    )
    assert needed == 15


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"load": -1.0}, "load"),
        ({"aht_seconds": 0}, "aht_seconds"),
        ({"service_level": 1.0}, "service_level"),
        ({"max_occupancy": 0.0}, "max_occupancy"),
    ],
)
def test_bad_input_names_the_field(kwargs, field):
    args = {"load": 10.0, "aht_seconds": 180, "target_seconds": 20, "service_level": 0.8} | kwargs
    with pytest.raises(staffing.StaffingError, match=field):
        staffing.agents_on_floor_erlang_c(**args)


def test_shrinkage_rounds_up_and_is_exact_on_round_numbers():
    assert staffing.with_shrinkage(10, 0.2) == 13  # 12.5 -> 13
    assert staffing.with_shrinkage(12, 0.25) == 16  # exactly 16, not 17 from float noise
    assert staffing.with_shrinkage(0, 0.3) == 0
    with pytest.raises(staffing.StaffingError, match="shrinkage"):
        staffing.with_shrinkage(5, 1.0)


# --- Erlang A --------------------------------------------------------------------------------------


def test_erlang_a_tends_to_erlang_c_as_patience_grows():
    c = staffing.erlang_c_metrics(agents=12, load=10.0, aht_seconds=180, target_seconds=20)
    a = staffing.erlang_a_metrics(
        agents=12, arrival_rate=100 / 1800, aht_seconds=180, patience_seconds=1e7, target_seconds=20
    )
    assert a.prob_wait == pytest.approx(c.prob_wait, abs=1e-4)
    assert a.service_level == pytest.approx(c.service_level, abs=1e-4)
    assert a.asa_seconds == pytest.approx(c.asa_seconds, rel=1e-3)
    assert a.abandonment < 1e-4


def test_erlang_a_matches_a_birth_death_chain_solved_independently():
    """P(wait) and P(abandon) of M/M/n+M from its balance equations, solved by numpy's linear
    algebra on a chain truncated at 200 (a different method from the ratio recursion)."""
    import numpy as np

    n, lam, mu, theta, size = 4, 1 / 30, 1 / 100, 1 / 60, 200
    generator = np.zeros((size, size))
    for k in range(size):
        if k + 1 < size:
            generator[k, k + 1] = lam
        if k > 0:
            generator[k, k - 1] = min(k, n) * mu + max(k - n, 0) * theta
        generator[k, k] = -generator[k].sum()
    system = np.vstack([generator.T, np.ones(size)])
    pi = np.linalg.lstsq(system, np.r_[np.zeros(size), 1.0], rcond=None)[0]
    expected_wait = pi[n:].sum()
    expected_abandon = sum(pi[k] * max(k - n, 0) * theta for k in range(size)) / lam

    result = staffing.erlang_a_metrics(
        agents=n, arrival_rate=lam, aht_seconds=100, patience_seconds=60, target_seconds=10
    )
    assert result.prob_wait == pytest.approx(expected_wait, abs=1e-9)
    assert result.abandonment == pytest.approx(expected_abandon, abs=1e-9)


def test_erlang_a_is_stable_when_overloaded():
    # Impatient callers keep an overloaded queue finite: abandonment takes the excess.
    result = staffing.erlang_a_metrics(
        agents=10, arrival_rate=20 / 180, aht_seconds=180, patience_seconds=60, target_seconds=20
    )
    assert 0.4 < result.abandonment < 0.6
    assert result.occupancy < 1.0
    needed = staffing.agents_on_floor_erlang_a(
        arrival_rate=20 / 180, aht_seconds=180, patience_seconds=60, target_seconds=20, service_level=0.8
    )
    check = staffing.erlang_a_metrics(
        agents=needed, arrival_rate=20 / 180, aht_seconds=180, patience_seconds=60, target_seconds=20
    )
    below = staffing.erlang_a_metrics(
        agents=needed - 1, arrival_rate=20 / 180, aht_seconds=180, patience_seconds=60, target_seconds=20
    )
    assert check.service_level >= 0.8 > below.service_level


def test_erlang_a_with_hundreds_of_agents():
    needed = staffing.agents_on_floor_erlang_a(
        arrival_rate=2000 / 3600 * 2,
        aht_seconds=300,
        patience_seconds=120,
        target_seconds=20,
        service_level=0.8,
    )
    c_needed = staffing.agents_on_floor_erlang_c(
        load=2000 / 3600 * 2 * 300, aht_seconds=300, target_seconds=20, service_level=0.8
    )
    assert 300 < needed <= c_needed  # patience never needs more agents than Erlang C


# --- email-like work and field work ------------------------------------------------------------------


def test_backlog_workload_spreads_each_interval_over_its_sla():
    # 12 emails of 10 minutes in the first hour, SLA 2 hours: 1 hour of work in each of two hours.
    assert staffing.agents_for_backlog(
        arrivals=[12, 0, 0], aht_seconds=600, interval_seconds=3600, sla_intervals=2
    ) == [1, 1, 0]
    # at 50% occupancy each agent does half an hour of work per hour
    assert staffing.agents_for_backlog(
        arrivals=[12, 0, 0], aht_seconds=600, interval_seconds=3600, sla_intervals=2, max_occupancy=0.5
    ) == [2, 2, 0]
    with pytest.raises(staffing.StaffingError, match="sla_intervals"):
        staffing.agents_for_backlog(arrivals=[1], aht_seconds=600, interval_seconds=3600, sla_intervals=0)


def test_field_requirement_adds_travel_and_divides_by_productive_hours():
    # 18 jobs x (1.5 h on site + 0.5 h travel) = 36 h; 7 productive hours a shift less 20%
    # shrinkage is 5.6 h a technician: 36 / 5.6 = 6.43 -> 7 rostered.
    need = staffing.field_requirement(
        skill="hvac",
        jobs=18,
        mean_job_hours=1.5,
        travel_hours_per_job=0.5,
        productive_hours_per_shift=7,
        shrinkage=0.2,
    )
    assert (need.work_hours, need.travel_hours, need.technician_hours) == (27.0, 9.0, 36.0)
    assert need.technicians == 7


# --- properties ------------------------------------------------------------------------------------

# A shared, busy machine makes draws slow now and then: timing health checks are not what these test.
PROPS = settings(max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

loads = st.floats(min_value=0.01, max_value=400.0, allow_nan=False)
ahts = st.floats(min_value=10.0, max_value=3600.0)
targets = st.floats(min_value=0.0, max_value=600.0)


@PROPS
@given(load=loads, aht=ahts, target=targets, extra=st.integers(1, 50))
def test_more_agents_never_lower_the_service_level(load, aht, target, extra):
    n = math.floor(load) + 1
    fewer = staffing.erlang_c_metrics(agents=n, load=load, aht_seconds=aht, target_seconds=target)
    more = staffing.erlang_c_metrics(agents=n + extra, load=load, aht_seconds=aht, target_seconds=target)
    assert more.service_level >= fewer.service_level - 1e-12
    assert more.asa_seconds <= fewer.asa_seconds + 1e-9
    assert 0.0 <= more.occupancy < 1.0  # stable queues are never fully busy


@PROPS
@given(load=loads, bump=st.floats(min_value=0.0, max_value=50.0), aht=ahts, sl=st.floats(0.05, 0.99))
def test_required_agents_grow_with_load(load, bump, aht, sl):
    low = staffing.agents_on_floor_erlang_c(load=load, aht_seconds=aht, target_seconds=20, service_level=sl)
    high = staffing.agents_on_floor_erlang_c(
        load=load + bump, aht_seconds=aht, target_seconds=20, service_level=sl
    )
    assert high >= low > load


@PROPS
@given(load=loads, aht=ahts, target=targets, sl=st.floats(0.05, 0.99))
def test_required_agents_are_the_fewest_that_meet_the_target(load, aht, target, sl):
    n = staffing.agents_on_floor_erlang_c(load=load, aht_seconds=aht, target_seconds=target, service_level=sl)
    at = staffing.erlang_c_metrics(agents=n, load=load, aht_seconds=aht, target_seconds=target)
    below = staffing.erlang_c_metrics(agents=n - 1, load=load, aht_seconds=aht, target_seconds=target)
    assert at.service_level >= sl > below.service_level


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    agents=st.integers(1, 40),
    per_hour=st.floats(1.0, 400.0),
    patience=st.floats(5.0, 2000.0),
    extra=st.integers(1, 5),
)
def test_erlang_a_more_agents_never_hurt(agents, per_hour, patience, extra):
    def run(n):
        return staffing.erlang_a_metrics(
            agents=n,
            arrival_rate=per_hour / 3600,
            aht_seconds=300,
            patience_seconds=patience,
            target_seconds=30,
        )

    fewer, more = run(agents), run(agents + extra)
    assert more.service_level >= fewer.service_level - 1e-9
    assert more.abandonment <= fewer.abandonment + 1e-12
    assert 0.0 <= more.abandonment <= 1.0 and 0.0 <= more.service_level <= 1.0
