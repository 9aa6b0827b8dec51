"""Travel times and distances between places: a provider interface and the offline default.

A provider turns a list of :class:`~.problem.Location` into two square integer matrices,
durations in seconds and distances in metres. The default, :class:`GreatCircleProvider`,
needs no network: the great-circle (haversine) distance times a circuity factor (roads are
not straight: 1.3 is a common figure for built-up areas) over an average speed. A road-network
provider (OSRM, Valhalla, a commercial API) can replace it behind the same interface.

Matrices are cached per problem: the key is the provider's settings plus every location's
coordinates rounded to about a metre, so re-optimising the same day (or re-planning it with one
more job at a known place) does not recompute them; the cache holds a few recent problems only.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from .problem import Location

EARTH_RADIUS_M = 6_371_000.0
COORDINATE_DECIMALS = 5  # 1e-5 degrees is about 1.1 m: finer differences do not change a route


class TravelProvider(Protocol):
    def matrices(self, locations: Sequence[Location]) -> tuple[np.ndarray, np.ndarray]:
        """(durations in seconds, distances in metres), square int64 matrices, zero diagonal."""
        ...


def haversine_metres(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """All-pairs great-circle distance in metres (float), vectorised."""
    phi = np.radians(lat)
    lam = np.radians(lon)
    dphi = phi[:, None] - phi[None, :]
    dlam = lam[:, None] - lam[None, :]
    a = np.sin(dphi / 2) ** 2 + np.cos(phi)[:, None] * np.cos(phi)[None, :] * np.sin(dlam / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


class GreatCircleProvider:
    """Offline travel: great-circle distance x ``circuity`` at ``speed_kmh``."""

    def __init__(self, *, speed_kmh: float = 40.0, circuity: float = 1.3, cache_size: int = 8) -> None:
        if speed_kmh <= 0:
            raise ValueError("speed_kmh must be positive")
        if circuity < 1:
            raise ValueError("circuity must be at least 1 (roads are never shorter than a line)")
        self.speed_kmh = speed_kmh
        self.circuity = circuity
        self._cache: OrderedDict[tuple, tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def settings_key(self) -> tuple:
        return ("great-circle", round(self.speed_kmh, 6), round(self.circuity, 6))

    def matrices(self, locations: Sequence[Location]) -> tuple[np.ndarray, np.ndarray]:
        coords = np.array([(loc.lat, loc.lon) for loc in locations], dtype=float).reshape(-1, 2)
        rounded = np.round(coords, COORDINATE_DECIMALS)
        key = (self.settings_key(), rounded.shape[0], rounded.tobytes())
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                self.hits += 1
                return cached
        result = self._compute(rounded)
        with self._lock:
            self.misses += 1
            self._cache[key] = result
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return result

    def _compute(self, coords: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        road_m = haversine_metres(coords[:, 0], coords[:, 1]) * self.circuity
        distances = np.rint(road_m).astype(np.int64)
        durations = np.rint(road_m / (self.speed_kmh / 3.6)).astype(np.int64)
        np.fill_diagonal(distances, 0)
        np.fill_diagonal(durations, 0)
        # Cached arrays are shared between callers: make accidental edits fail loudly.
        distances.setflags(write=False)
        durations.setflags(write=False)
        return durations, distances


_default: GreatCircleProvider | None = None


def default_provider() -> GreatCircleProvider:
    """The process-wide offline provider (so its cache is shared by every caller)."""
    global _default
    if _default is None:
        _default = GreatCircleProvider()
    return _default
