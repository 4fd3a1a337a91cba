"""The connection limiter is a sliding window: no span of its length, wherever it starts,
holds more admissions than the limit (on a fake clock)."""

from __future__ import annotations

import asyncio
import bisect
from collections.abc import Awaitable, Callable

import pytest

from aioca import RateLimiter, Window
from aioca.stream import ConnectionLimiter

LIMIT, SECONDS = 300, 300.0  # Binance's: 300 connection attempts per 5 minutes per IP


class FakeClock:
    """Time that passes only when a waiter sleeps."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 0.0)
        await asyncio.sleep(0)


def most_in_any_span(times: list[float], seconds: float) -> int:
    """The most admissions any closed span ``[t, t + seconds]`` holds, over every start
    ``t`` (the worst span starts at an admission)."""
    return max(bisect.bisect_right(times, start + seconds) - i for i, start in enumerate(times))


async def admission_times(acquire: Callable[[], Awaitable[None]], clock: FakeClock, count: int):
    times = []
    for _ in range(count):
        await acquire()
        times.append(clock.now)
    return times


# 2 s before a clock-aligned 300 s boundary: where an aligned window lets twice through.
BEFORE_A_BOUNDARY = (1_800_000_000 // 300) * 300 + 298.0


async def test_no_span_of_the_window_holds_more_than_the_limit() -> None:
    clock = FakeClock(BEFORE_A_BOUNDARY)
    limiter = ConnectionLimiter(LIMIT, SECONDS, clock=clock, sleep=clock.sleep)
    times = await admission_times(limiter.acquire, clock, 3 * LIMIT + 7)
    assert most_in_any_span(times, SECONDS) == LIMIT
    # Pairwise, which is the same property: attempt i and attempt i + LIMIT are more
    # than a window (plus the margin) apart.
    gaps = [later - earlier for earlier, later in zip(times, times[LIMIT:], strict=False)]
    assert min(gaps) >= SECONDS + limiter.margin
    # And the budget is usable: the first LIMIT go at once, the next one a window later.
    assert times[LIMIT - 1] == BEFORE_A_BOUNDARY
    assert times[LIMIT] == BEFORE_A_BOUNDARY + SECONDS + limiter.margin


async def test_the_check_catches_a_clock_aligned_window() -> None:
    """The property above fails for a clock-aligned budget (what the connection limiter
    used to be): twice the limit within seconds across a boundary."""
    clock = FakeClock(BEFORE_A_BOUNDARY)
    aligned = RateLimiter([Window("CONNECTIONS", LIMIT, SECONDS)], clock=clock, sleep=clock.sleep)

    async def acquire() -> None:
        await aligned.acquire({"CONNECTIONS": 1})

    times = await admission_times(acquire, clock, 2 * LIMIT)
    assert most_in_any_span(times, SECONDS) == 2 * LIMIT
    assert times[-1] - times[0] < 5.0


async def test_attempts_are_admitted_in_the_order_they_asked_and_a_cancelled_one_is_not() -> None:
    clock = FakeClock(1000.0)
    limiter = ConnectionLimiter(2, 10.0, margin=0.0, clock=clock, sleep=clock.sleep)
    assert limiter.try_acquire()
    assert limiter.try_acquire()
    assert not limiter.try_acquire()  # full: nothing changes
    assert limiter.used == 2
    order: list[str] = []

    async def attempt(name: str) -> None:
        await limiter.acquire()
        order.append(name)

    first = asyncio.create_task(attempt("first"))
    cancelled = asyncio.create_task(attempt("cancelled"))
    last = asyncio.create_task(attempt("last"))
    await asyncio.sleep(0)
    assert limiter.waiting == 3
    cancelled.cancel()
    await asyncio.gather(first, last, cancelled, return_exceptions=True)
    assert order == ["first", "last"]
    assert limiter.waiting == 0
    assert limiter.used == 2  # the two admitted a window later, not the cancelled one
    assert clock.now == 1010.0
    assert "2/2 per 10 s" in repr(limiter)
    (window,) = limiter.status()
    assert (window.name, window.used, window.limit) == ("CONNECTIONS", 2, 2)
    assert window.resets_in == 10.0  # the next attempt may go when 1010's are 10 s old


async def test_it_takes_a_rate_limiters_costs_too() -> None:
    """Code written for the clock-aligned limiter (``{"CONNECTIONS": 1}``) reads it."""
    clock = FakeClock(0.0)
    limiter = ConnectionLimiter(1, 5.0, margin=0.0, clock=clock, sleep=clock.sleep)
    assert limiter.try_acquire({"CONNECTIONS": 1})
    assert not limiter.try_acquire({"CONNECTIONS": 1})
    assert limiter.try_acquire({"REQUEST_WEIGHT": 5})  # no attempt: nothing to admit
    await limiter.acquire({"CONNECTIONS": 1})
    assert clock.now == 5.0
    assert limiter.status().windows[0].used == 1
    with pytest.raises(ValueError, match="one connection attempt at a time"):
        limiter.try_acquire({"CONNECTIONS": 2})


def test_a_limiter_is_checked_when_built() -> None:
    for limit, seconds, margin in ((0, 1.0, 0.0), (1, 0.0, 0.0), (1, 1.0, -1.0), (True, 1, 0)):
        with pytest.raises(ValueError, match=r"limit|seconds"):
            ConnectionLimiter(limit, seconds, margin=margin)
