"""CSAT and NPS formulas: worked examples and properties (quality.scores is pure arithmetic)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from steward.quality import scores

csat_answers = st.lists(st.one_of(st.none(), st.integers(1, 5)), max_size=60)
nps_answers = st.lists(st.one_of(st.none(), st.integers(0, 10)), max_size=60)
some_csat = st.lists(st.integers(1, 5), min_size=1, max_size=60)
some_nps = st.lists(st.integers(0, 10), min_size=1, max_size=60)


# --- worked examples -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answers,expected",
    [
        ([5, 4, 3, 1], 50.0),  # two satisfied of four
        ([5, None, 2], 50.0),  # a response without a CSAT score does not count
        ([4], 100.0),
        ([3, 3, 3], 0.0),  # neutral is not satisfied
        ([5, 5, 4, 2, 1, 3], 50.0),
        ([5, 4, 4, 1, 2, 3, 5], 100.0 * 4 / 7),
        ([], None),  # no answers: undefined, not 0
        ([None, None], None),
    ],
)
def test_csat_worked_examples(answers, expected):
    assert scores.csat_percent(answers) == expected


@pytest.mark.parametrize(
    "answers,expected",
    [
        ([10, 9, 8, 7, 6], 20.0),  # 40 % promoters - 20 % detractors
        ([0, 10], 0.0),
        ([6, 6, 6], -100.0),
        ([9, 10], 100.0),
        ([7, 8], 0.0),  # passives only: neither side
        ([10, 10, 10, 7, 0, None], 40.0),  # 3 of 5 promoters, 1 of 5 detractors
        ([10, 9, 9, 6, 5, 3, 8, 7], 0.0),
        ([10, 6, 6], 100.0 * (1 - 2) / 3),
        ([], None),
        ([None], None),
    ],
)
def test_nps_worked_examples(answers, expected):
    assert scores.nps(answers) == expected


@pytest.mark.parametrize(
    "score,band",
    [(0, "detractor"), (6, "detractor"), (7, "passive"), (8, "passive"), (9, "promoter"), (10, "promoter")],
)
def test_nps_bands_at_their_edges(score, band):
    assert scores.nps_band(score) == band


def test_the_bands_partition_the_scale():
    covered = sorted(n for low, high in scores.NPS_BANDS.values() for n in range(low, high + 1))
    assert covered == list(range(0, 11))


@pytest.mark.parametrize("bad", [0, 6, -1, 2.5, "4", True])
def test_csat_refuses_scores_off_the_scale(bad):
    with pytest.raises(ValueError, match="CSAT"):
        scores.csat_percent([5, bad])


@pytest.mark.parametrize("bad", [-1, 11, 9.5, "9", False])
def test_nps_refuses_scores_off_the_scale(bad):
    with pytest.raises(ValueError, match="NPS"):
        scores.nps([bad])


@pytest.mark.parametrize(
    "kwargs",
    [
        {"satisfied": 3, "answered": 2},
        {"satisfied": -1, "answered": 2},
        {"satisfied": 0, "answered": -1},
    ],
)
def test_csat_counts_must_be_consistent(kwargs):
    with pytest.raises(ValueError):
        scores.csat_percent_from_counts(**kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"promoters": 2, "detractors": 2, "answered": 3},
        {"promoters": -1, "detractors": 0, "answered": 3},
        {"promoters": 0, "detractors": -1, "answered": 3},
    ],
)
def test_nps_counts_must_be_consistent(kwargs):
    with pytest.raises(ValueError):
        scores.nps_from_counts(**kwargs)


# --- properties ----------------------------------------------------------------------------------


@given(csat_answers)
def test_csat_is_a_percentage_or_undefined(answers):
    value = scores.csat_percent(answers)
    if all(a is None for a in answers):
        assert value is None
    else:
        assert 0.0 <= value <= 100.0


@given(nps_answers)
def test_nps_is_within_minus_and_plus_100_or_undefined(answers):
    value = scores.nps(answers)
    if all(a is None for a in answers):
        assert value is None
    else:
        assert -100.0 <= value <= 100.0


@given(st.lists(st.integers(9, 10), min_size=1, max_size=40))
def test_all_promoters_is_100(answers):
    assert scores.nps(answers) == 100.0


@given(st.lists(st.integers(0, 6), min_size=1, max_size=40))
def test_all_detractors_is_minus_100(answers):
    assert scores.nps(answers) == -100.0


@given(st.lists(st.integers(4, 5), min_size=1, max_size=40))
def test_all_satisfied_is_100(answers):
    assert scores.csat_percent(answers) == 100.0


@given(some_csat)
def test_adding_a_5_never_lowers_csat(answers):
    assert scores.csat_percent([*answers, 5]) >= scores.csat_percent(answers)


@given(some_csat)
def test_adding_a_1_never_raises_csat(answers):
    assert scores.csat_percent([*answers, 1]) <= scores.csat_percent(answers)


@given(some_nps, st.integers(9, 10))
def test_adding_a_promoter_never_lowers_nps(answers, promoter):
    assert scores.nps([*answers, promoter]) >= scores.nps(answers)


@given(some_nps, st.integers(0, 6))
def test_adding_a_detractor_never_raises_nps(answers, detractor):
    assert scores.nps([*answers, detractor]) <= scores.nps(answers)


@given(some_nps, st.integers(7, 8))
def test_a_passive_pulls_nps_towards_zero(answers, passive):
    before, after = scores.nps(answers), scores.nps([*answers, passive])
    assert abs(after) <= abs(before)
    assert (after > 0) == (before > 0) or after == 0


@given(csat_answers, st.randoms())
def test_csat_ignores_order_and_unanswered(answers, rnd):
    shuffled = list(answers)
    rnd.shuffle(shuffled)
    assert scores.csat_percent(shuffled) == scores.csat_percent([a for a in answers if a is not None])


@given(some_csat, st.integers(2, 5))
def test_csat_is_the_same_for_repeated_sets(answers, times):
    assert scores.csat_percent(answers * times) == pytest.approx(scores.csat_percent(answers))


@given(some_nps)
def test_nps_is_promoter_share_minus_detractor_share(answers):
    n = len(answers)
    promoters = 100 * sum(a >= 9 for a in answers) / n
    detractors = 100 * sum(a <= 6 for a in answers) / n
    assert scores.nps(answers) == pytest.approx(promoters - detractors)
