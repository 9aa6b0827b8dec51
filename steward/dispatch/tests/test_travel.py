"""The offline travel-time provider: worked figures, matrix properties, caching."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from steward.dispatch.optimiser.problem import Location
from steward.dispatch.optimiser.travel import GreatCircleProvider, haversine_metres


def test_one_degree_of_longitude_on_the_equator():
    # 2 * pi * 6371 km / 360 = 111.195 km; x1.3 road = 144.553 km; at 40 km/h = 13_010 s.
    durations, distances = GreatCircleProvider().matrices([Location(0, 0), Location(0, 1)])
    assert distances[0, 1] == pytest.approx(144_553, abs=2)
    assert durations[0, 1] == pytest.approx(144_553 / (40 / 3.6), abs=1)
    assert distances.dtype == np.int64 and durations.dtype == np.int64


def test_paris_to_london_is_about_344_km_as_the_crow_flies():
    d = haversine_metres(np.array([48.8566, 51.5074]), np.array([2.3522, -0.1278]))
    assert d[0, 1] == pytest.approx(343_500, rel=0.01)


def test_speed_and_circuity_are_settings():
    places = [Location(52.0, 4.0), Location(52.1, 4.1)]
    slow = GreatCircleProvider(speed_kmh=20, circuity=1.0).matrices(places)
    fast = GreatCircleProvider(speed_kmh=40, circuity=1.0).matrices(places)
    assert slow[0][0, 1] == pytest.approx(2 * fast[0][0, 1], abs=1)
    assert slow[1][0, 1] == fast[1][0, 1]
    with pytest.raises(ValueError, match="circuity"):
        GreatCircleProvider(circuity=0.5)


def test_matrices_are_cached_per_set_of_places_and_settings():
    provider = GreatCircleProvider()
    places = [Location(52.0, 4.0), Location(52.1, 4.1)]
    first = provider.matrices(places)
    # A metre-level jitter is the same place.
    again = provider.matrices([Location(52.000001, 4.0), Location(52.1, 4.1)])
    assert again[0] is first[0] and provider.hits == 1
    moved = provider.matrices([Location(52.0, 4.0), Location(52.2, 4.1)])
    assert moved[0] is not first[0] and provider.misses == 2
    with pytest.raises(ValueError):
        first[0][0, 1] = 5  # shared cached arrays are read-only


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.floats(-60, 60), st.floats(-170, 170)), min_size=1, max_size=12, unique=True))
def test_matrices_are_symmetric_with_zero_diagonal_and_triangle_inequality(coords):
    durations, distances = GreatCircleProvider(cache_size=0).matrices([Location(a, b) for a, b in coords])
    n = len(coords)
    assert (np.diag(distances) == 0).all() and (distances == distances.T).all()
    assert (durations == durations.T).all() and (durations >= 0).all()
    # Rounding to whole metres may break the triangle inequality by at most a metre or two.
    for k in range(n):
        assert (distances <= distances[:, [k]] + distances[[k], :] + 2).all()
