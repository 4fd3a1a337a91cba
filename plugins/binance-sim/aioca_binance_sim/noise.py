"""Deterministic noise: every random number of the simulator is a pure function of a key.

The simulator never keeps a random generator's state for market data: a value is
``unit(stream, index)`` where the stream names what is drawn (seed, instrument, channel)
and the index says which one (minute, trade, level). Any time range can thus be answered
in any order, by any process, with the same result, and nothing has to be stored.

The price path is a Brownian motion built by midpoint displacement (Lévy's construction):
the value at a minute that is a multiple of ``2**r`` depends only on the levels at or
above ``r``, so a coarse grid (for daily candles) and a fine one (for one-minute candles)
agree exactly where they meet, and a grid of ``n`` points costs about ``2 n`` hashes.
"""

from __future__ import annotations

import math
import zlib
from functools import lru_cache

__all__ = ["TOP_LEVEL", "path_at", "path_grid", "stream_key", "unit", "value_noise"]

_MASK = 0xFFFFFFFFFFFFFFFF
_GOLDEN = 0x9E3779B97F4A7C15
_LEVEL_STEP = 0xD1B54A32D192ED03
_INDEX_STEP = 0xAEF17502108EF2D9

TOP_LEVEL = 16
"""Minutes between the path's anchor points are ``2**TOP_LEVEL`` (about 45 days); the slow
drift between anchors is value noise, the detail below them a Brownian bridge."""

_SQRT3 = math.sqrt(3.0)


def _mix(x: int) -> int:
    """splitmix64's finaliser: a cheap, well-spread 64-bit hash."""
    x = (x + _GOLDEN) & _MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


def stream_key(seed: int, *names: str) -> int:
    """A 64-bit key for one stream of numbers (``crc32``, not ``hash()``: ``hash`` of a
    string changes with every interpreter run, which would break determinism)."""
    key = _mix(seed & _MASK)
    for name in names:
        key = _mix(key ^ zlib.crc32(name.encode()))
    return key


def unit(stream: int, index: int, level: int = 0) -> float:
    """A uniform number in [0, 1) for ``(stream, level, index)``."""
    return (
        _mix((stream + level * _LEVEL_STEP + index * _INDEX_STEP) & _MASK) / 18446744073709551616.0
    )


def _centred(stream: int, index: int, level: int) -> float:
    """Uniform on [-sqrt(3), sqrt(3)): mean 0, variance 1."""
    return (2.0 * unit(stream, index, level) - 1.0) * _SQRT3


def value_noise(stream: int, position: float, period: float, level: int = 99) -> float:
    """Smooth noise in [-1, 1]: random values every ``period``, linearly interpolated."""
    scaled = position / period
    index = math.floor(scaled)
    fraction = scaled - index
    left = 2.0 * unit(stream, index, level) - 1.0
    right = 2.0 * unit(stream, index + 1, level) - 1.0
    return left + (right - left) * fraction


def _anchor(stream: int, index: int, drift: float) -> float:
    return drift * (2.0 * unit(stream, index, TOP_LEVEL + 1) - 1.0)


def _displacement(stream: int, level: int, index: int, sigma: float) -> float:
    # A Brownian bridge's midpoint over 2**(level+1) minutes has a standard deviation
    # of sigma * sqrt(2**(level+1)) / 2.
    return sigma * math.sqrt(2.0 ** (level + 1)) * 0.5 * _centred(stream, index, level)


@lru_cache(maxsize=65536)
def path_at(stream: int, minute: int, sigma: float, drift: float) -> float:
    """The log-price offset at ``minute`` (minutes since the epoch) of the path ``stream``
    with per-minute volatility ``sigma`` and anchor amplitude ``drift``."""
    span = 1 << TOP_LEVEL
    left_index = minute >> TOP_LEVEL
    left, right = _anchor(stream, left_index, drift), _anchor(stream, left_index + 1, drift)
    start = left_index << TOP_LEVEL
    if minute == start:
        return left
    level = TOP_LEVEL
    while level > 0:
        level -= 1
        half = span >> 1
        middle = start + half
        value = (left + right) * 0.5 + _displacement(stream, level, middle >> level, sigma)
        if minute == middle:
            return value
        if minute < middle:
            right = value
        else:
            left, start = value, middle
        span = half
    raise AssertionError("unreachable: every minute is a midpoint at some level")


def path_grid(
    stream: int, level: int, first: int, last: int, sigma: float, drift: float
) -> list[float]:
    """The path at minutes ``i * 2**level`` for ``i`` in ``first..last`` (inclusive), built
    from the coarser grid above it: about two hashes per point instead of ``TOP_LEVEL``."""
    if last < first:
        return []
    if level >= TOP_LEVEL:
        shift = level - TOP_LEVEL
        return [_anchor(stream, i << shift, drift) for i in range(first, last + 1)]
    if last - first < 4:
        return [path_at(stream, i << level, sigma, drift) for i in range(first, last + 1)]
    parent_first = first >> 1
    parent = path_grid(stream, level + 1, parent_first, (last + 1) >> 1, sigma, drift)
    values = []
    for i in range(first, last + 1):
        half, odd = divmod(i, 2)
        if not odd:
            values.append(parent[half - parent_first])
        else:
            around = parent[half - parent_first] + parent[half + 1 - parent_first]
            values.append(around * 0.5 + _displacement(stream, level, i, sigma))
    return values
