"""RateLimiter: clock-aligned windows, fair (FIFO) admission, cancellation, several windows,
the exchange's usage headers, 429 pauses and 418 bans, live window changes.

Time is a :class:`FakeClock` the limiter reads (``clock=``) and waits on (``sleep=``): a
wait moves that clock instead of sleeping, so every test is instant and deterministic. In
the default *auto* mode a sleeper moves the clock by the delay it asked for; in *held* mode
sleepers stay pending until the test calls :meth:`FakeClock.advance`, which lets a test
count the requests still waiting after each step. ``safety=0`` so the windows start
exactly on the clock's boundaries. One test at the end uses the real clock.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections import Counter
from collections.abc import Mapping

import pytest
from multidict import CIMultiDict

from aioca.errors import IPBannedError
from aioca.ratelimit import RateLimiter, Window, WindowStatus
from aioca.testing import FakeClock, settle


@pytest.fixture
def clock(aioca_clock: FakeClock) -> FakeClock:
    return aioca_clock


@pytest.fixture
def held(clock: FakeClock) -> FakeClock:
    """The fake clock in held mode: sleepers wait for :meth:`FakeClock.advance`."""
    clock.held = True
    return clock


W = Window("W", 10, 60)


def limiter(clock: FakeClock, *windows: Window) -> RateLimiter:
    return RateLimiter(windows or [W], clock=clock, sleep=clock.sleep, safety=0)


def used(limiter: RateLimiter) -> dict[str, int]:
    return {status.name: status.used for status in limiter.status()}


def admit(
    limiter: RateLimiter, name: str, costs: Mapping[str, int], admitted: list[str]
) -> asyncio.Task[None]:
    """A task that acquires ``costs`` and then records ``name`` as admitted."""

    async def run() -> None:
        await limiter.acquire(costs)
        admitted.append(name)

    return asyncio.create_task(run(), name=name)


def pending(tasks: list[asyncio.Task[None]]) -> int:
    return sum(not task.done() for task in tasks)


# --- Window -----------------------------------------------------------------------------------


@pytest.mark.parametrize("limit", [0, -1])
def test_window_with_non_positive_limit_is_rejected(limit: int) -> None:
    with pytest.raises(ValueError, match="positive"):
        Window("W", limit, 60)


@pytest.mark.parametrize("seconds", [0, -0.5])
def test_window_with_non_positive_length_is_rejected(seconds: float) -> None:
    with pytest.raises(ValueError, match="positive"):
        Window("W", 10, seconds)


# --- admission within the budget --------------------------------------------------------------


async def test_costs_within_the_budget_are_admitted_without_waiting(clock: FakeClock) -> None:
    clock.now = 125.0
    lim = limiter(clock)

    await lim.acquire({"W": 3})
    await lim.acquire({"W": 4})

    assert clock.sleeps == []
    assert used(lim) == {"W": 7}


async def test_a_cost_that_exactly_fills_the_window_is_admitted(clock: FakeClock) -> None:
    lim = limiter(clock)

    await lim.acquire({"W": 4})
    await lim.acquire({"W": 6})

    assert clock.sleeps == []
    assert used(lim) == {"W": 10}


async def test_status_reports_used_limit_and_seconds_until_reset(clock: FakeClock) -> None:
    clock.now = 125.0
    lim = limiter(clock, Window("W", 10, 60), Window("S", 5, 10))

    await lim.acquire({"W": 3, "S": 2})

    assert list(lim.status()) == [WindowStatus("W", 3, 10, 55.0), WindowStatus("S", 2, 5, 5.0)]


async def test_status_shows_a_fresh_window_once_the_clock_passes_the_boundary(
    clock: FakeClock,
) -> None:
    clock.now = 125.0
    lim = limiter(clock)
    await lim.acquire({"W": 3})

    clock.now = 180.0

    assert list(lim.status()) == [WindowStatus("W", 0, 10, 60.0)]


async def test_repr_shows_usage_and_queue(clock: FakeClock) -> None:
    lim = limiter(clock)
    await lim.acquire({"W": 3})

    assert repr(lim) == "<RateLimiter W=3/10 waiting=0>"


# --- waiting for the next window --------------------------------------------------------------


async def test_request_that_does_not_fit_waits_for_the_next_clock_aligned_window(
    clock: FakeClock,
) -> None:
    clock.now = 125.0
    lim = limiter(clock)
    await lim.acquire({"W": 8})

    await lim.acquire({"W": 5})

    assert clock.sleeps == [55.0]
    assert clock.now == 180.0
    assert list(lim.status()) == [WindowStatus("W", 5, 10, 60.0)]


async def test_waiting_request_stays_pending_until_the_boundary(held: FakeClock) -> None:
    held.now = 125.0
    lim = limiter(held)
    await lim.acquire({"W": 8})
    admitted: list[str] = []

    task = admit(lim, "late", {"W": 5}, admitted)
    await settle()
    assert (pending([task]), lim.waiting) == (1, 1)

    await held.advance(54.0)
    assert (pending([task]), lim.waiting) == (1, 1)

    await held.advance(1.0)
    assert (pending([task]), lim.waiting) == (0, 0)
    assert admitted == ["late"]
    assert used(lim) == {"W": 5}


async def test_safety_margin_keeps_the_old_window_a_little_past_the_boundary(
    clock: FakeClock,
) -> None:
    clock.now = 125.0
    lim = RateLimiter([W], clock=clock, sleep=clock.sleep, safety=0.25)
    await lim.acquire({"W": 10})

    await lim.acquire({"W": 1})

    assert clock.now == pytest.approx(180.25)


async def test_safety_margin_charges_a_request_sent_just_before_a_boundary_to_the_next_window(
    clock: FakeClock,
) -> None:
    """A request sent 0.1 s before the boundary may reach the exchange in the next window:
    it counts there too, so the next window admits one request less."""
    clock.now = 179.9
    lim = RateLimiter([W], clock=clock, sleep=clock.sleep, safety=0.25)
    await lim.acquire({"W": 1})
    clock.now = 180.5  # past the next window's own margin

    for _ in range(9):
        assert lim.try_acquire({"W": 1})
    assert not lim.try_acquire({"W": 1})
    assert used(lim) == {"W": 10}


async def test_new_live_windows_keep_what_was_charged_to_the_next_window(
    clock: FakeClock,
) -> None:
    clock.now = 179.9
    lim = RateLimiter([W], clock=clock, sleep=clock.sleep, safety=0.25)
    await lim.acquire({"W": 10})  # all of it also counts in the next window
    lim.set_windows([Window("W", 10, 60)])  # the exchange's live limits, the same
    clock.now = 180.5

    assert not lim.try_acquire({"W": 1})


def test_no_window_is_overrun_whichever_way_the_exchange_clock_is_off_by_up_to_safety() -> None:
    """The guarantee of ``safety``: over a random walk of admissions, each request counted
    in every window it could land in if the exchange's clock (or the request's arrival)
    were off by up to ``safety`` either way, no window ever holds more than its limit."""
    rng = random.Random(20261205)
    seconds, limit, safety = 1.0, 10, 0.2
    now = [500.0]
    lim = RateLimiter([Window("W", limit, seconds)], clock=lambda: now[0], safety=safety)
    counted: Counter[int] = Counter()
    admitted = 0
    for _ in range(20_000):
        now[0] += rng.choice([0.0, 0.003, 0.02, 0.07, 0.3])
        cost = rng.randint(1, 3)
        if lim.try_acquire({"W": cost}):
            admitted += 1
            first = math.floor((now[0] - safety) / seconds)
            last = math.floor((now[0] + safety) / seconds)
            for index in range(first, last + 1):
                counted[index] += cost
    assert admitted > 2_000, "the walk must admit often enough to fill windows"
    assert max(counted.values()) <= limit
    assert max(counted.values()) == limit, "and windows are filled to the limit"


# --- fairness ---------------------------------------------------------------------------------


async def test_waiters_are_admitted_in_arrival_order_without_overtaking(held: FakeClock) -> None:
    lim = limiter(held)
    await lim.acquire({"W": 8})
    admitted: list[str] = []

    big = admit(lim, "big", {"W": 5}, admitted)
    await settle()
    # Each of these would fit in the 2 units left, but a bigger request asked first.
    small = [admit(lim, f"small{i}", {"W": 1}, admitted) for i in range(2)]
    await settle()

    assert admitted == []
    assert (pending([big, *small]), lim.waiting) == (3, 3)
    assert used(lim) == {"W": 8}

    await held.advance(60.0)

    assert admitted == ["big", "small0", "small1"]
    assert (pending([big, *small]), lim.waiting) == (0, 0)
    assert used(lim) == {"W": 7}


async def test_a_later_request_that_fits_queues_behind_the_waiters(clock: FakeClock) -> None:
    lim = limiter(clock)
    await lim.acquire({"W": 9})
    admitted: list[str] = []

    tasks = [admit(lim, name, {"W": cost}, admitted) for name, cost in [("a", 6), ("b", 5)]]
    tasks.append(admit(lim, "c", {"W": 1}, admitted))
    async with asyncio.timeout(5):  # a lost wake-up fails here instead of hanging
        await asyncio.gather(*tasks)

    # a fills the next window to 6, b does not fit (11) and waits another; c stays behind b.
    assert admitted == ["a", "b", "c"]
    assert clock.sleeps == [60.0, 60.0]
    assert used(lim) == {"W": 6}


# --- cancellation -----------------------------------------------------------------------------


async def test_cancelled_waiter_leaves_the_queue_uncharged(held: FakeClock) -> None:
    lim = limiter(held)
    await lim.acquire({"W": 10})
    admitted: list[str] = []
    first = admit(lim, "first", {"W": 5}, admitted)
    middle = admit(lim, "middle", {"W": 3}, admitted)
    last = admit(lim, "last", {"W": 2}, admitted)
    await settle()
    assert lim.waiting == 3

    middle.cancel()
    await settle()

    assert middle.cancelled()
    assert lim.waiting == 2
    assert pending([first, last]) == 2

    await held.advance(60.0)

    assert admitted == ["first", "last"]
    assert lim.waiting == 0
    assert used(lim) == {"W": 7}


async def test_cancelling_the_waiter_at_the_head_lets_the_next_one_proceed(
    held: FakeClock,
) -> None:
    lim = limiter(held)
    await lim.acquire({"W": 10})
    admitted: list[str] = []
    head = admit(lim, "head", {"W": 5}, admitted)
    await settle()
    nxt = admit(lim, "next", {"W": 3}, admitted)
    await settle()
    assert held.sleeps == [60.0]  # only the head sleeps; the next waits for its turn

    head.cancel()
    await settle()

    assert head.cancelled()
    assert lim.waiting == 1
    assert not nxt.done()

    await held.advance(60.0)

    assert admitted == ["next"]
    assert lim.waiting == 0
    assert used(lim) == {"W": 3}


async def test_cancelled_waiter_is_not_charged_when_the_window_has_room_again(
    clock: FakeClock,
) -> None:
    lim = limiter(clock)
    await lim.acquire({"W": 10})
    admitted: list[str] = []
    first = admit(lim, "first", {"W": 4}, admitted)
    second = admit(lim, "second", {"W": 4}, admitted)
    second.cancel()

    async with asyncio.timeout(5):
        await asyncio.gather(first, second, return_exceptions=True)

    assert second.cancelled()
    assert admitted == ["first"]
    assert used(lim) == {"W": 4}


# --- several windows --------------------------------------------------------------------------


@pytest.mark.parametrize("minute_first", [False, True], ids=["ten-s-first", "minute-first"])
async def test_request_charging_two_windows_waits_for_the_later_boundary(
    clock: FakeClock, minute_first: bool
) -> None:
    clock.now = 5.0
    windows = [Window("TEN_S", 10, 10), Window("MINUTE", 10, 60)]
    lim = limiter(clock, *(reversed(windows) if minute_first else windows))
    await lim.acquire({"TEN_S": 10, "MINUTE": 10})

    await lim.acquire({"TEN_S": 1, "MINUTE": 1})

    assert clock.sleeps == [55.0]  # not 5: the minute window is the later one to reset
    assert clock.now == 60.0
    assert used(lim) == {"TEN_S": 1, "MINUTE": 1}


async def test_a_pause_and_a_full_window_wait_for_the_later_of_the_two(clock: FakeClock) -> None:
    clock.now = 5.0
    lim = limiter(clock, Window("TEN_S", 10, 10))
    await lim.acquire({"TEN_S": 10})
    lim.pause(20.0)

    await lim.acquire({"TEN_S": 1})

    assert clock.sleeps == [20.0]


async def test_request_waits_only_for_the_windows_it_does_not_fit(clock: FakeClock) -> None:
    clock.now = 5.0
    lim = limiter(clock, Window("TEN_S", 10, 10), Window("MINUTE", 100, 60))
    await lim.acquire({"TEN_S": 10, "MINUTE": 10})

    await lim.acquire({"TEN_S": 1, "MINUTE": 1})

    assert clock.sleeps == [5.0]
    assert used(lim) == {"TEN_S": 1, "MINUTE": 11}


async def test_window_names_the_limiter_does_not_have_are_ignored(clock: FakeClock) -> None:
    lim = limiter(clock)

    await lim.acquire({"W": 1, "ORDERS": 1_000_000})

    assert clock.sleeps == []
    assert used(lim) == {"W": 1}


async def test_zero_cost_charges_nothing_and_never_waits(clock: FakeClock) -> None:
    lim = limiter(clock)
    await lim.acquire({"W": 10})

    await lim.acquire({"W": 0})
    await lim.acquire({})

    assert clock.sleeps == []
    assert used(lim) == {"W": 10}


async def test_cost_larger_than_the_window_raises_value_error(clock: FakeClock) -> None:
    lim = limiter(clock, Window("W", 10, 60), Window("S", 100, 10))

    with pytest.raises(ValueError, match="never fit"):
        async with asyncio.timeout(1):  # rather than wait forever for room
            await lim.acquire({"S": 5, "W": 11})

    assert clock.sleeps == []
    assert used(lim) == {"W": 0, "S": 0}
    assert lim.waiting == 0


# --- the exchange's usage headers -------------------------------------------------------------


H = Window("W", 10, 60, header="X-Used-W")


async def test_observe_raises_used_to_the_exchange_count(clock: FakeClock) -> None:
    lim = limiter(clock, H)
    await lim.acquire({"W": 3})

    lim.observe({"X-Used-W": "7"})

    assert used(lim) == {"W": 7}


async def test_observe_ignores_a_count_lower_than_ours(clock: FakeClock) -> None:
    lim = limiter(clock, H)
    await lim.acquire({"W": 5})

    lim.observe({"X-Used-W": "2"})

    assert used(lim) == {"W": 5}


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-Used-W": "lots"}, {"X-Used-W": ""}, {"X-Used-W": "7.5"}, {"X-Other": "9"}],
    ids=["missing", "word", "empty", "decimal", "other-header"],
)
async def test_observe_ignores_garbage_and_missing_headers(
    clock: FakeClock, headers: dict[str, str]
) -> None:
    lim = limiter(clock, H)
    await lim.acquire({"W": 3})

    lim.observe(headers)

    assert used(lim) == {"W": 3}


async def test_observe_reconciles_only_windows_that_name_a_header(clock: FakeClock) -> None:
    lim = limiter(clock, H, Window("PLAIN", 10, 60))

    lim.observe({"X-Used-W": "4", "PLAIN": "9"})

    assert used(lim) == {"W": 4, "PLAIN": 0}


async def test_observe_reads_aiohttp_headers_case_insensitively(clock: FakeClock) -> None:
    lim = limiter(clock, H)

    lim.observe(CIMultiDict({"x-used-w": "6"}))

    assert used(lim) == {"W": 6}


async def test_observed_usage_makes_the_next_request_wait(clock: FakeClock) -> None:
    clock.now = 30.0
    lim = limiter(clock, H)
    lim.observe({"X-Used-W": "9"})

    await lim.acquire({"W": 2})

    assert clock.sleeps == [30.0]
    assert used(lim) == {"W": 2}


# --- pause (HTTP 429) -------------------------------------------------------------------------


async def test_pause_holds_requests_until_it_ends(held: FakeClock) -> None:
    held.now = 100.0
    lim = limiter(held)
    lim.pause(5.0)
    admitted: list[str] = []

    tasks = [admit(lim, name, {"W": 1}, admitted) for name in ("a", "b")]
    await settle()
    assert (pending(tasks), lim.waiting) == (2, 2)

    await held.advance(4.0)
    assert pending(tasks) == 2

    await held.advance(1.0)
    assert pending(tasks) == 0
    assert admitted == ["a", "b"]
    assert used(lim) == {"W": 2}


async def test_paused_request_waits_exactly_until_the_pause_ends(clock: FakeClock) -> None:
    clock.now = 100.0
    lim = limiter(clock)
    lim.pause(5.0)

    await lim.acquire({"W": 1})

    assert clock.sleeps == [5.0]
    assert clock.now == 105.0


async def test_a_shorter_pause_never_cuts_a_longer_one(clock: FakeClock) -> None:
    clock.now = 100.0
    lim = limiter(clock)
    lim.pause(10.0)
    lim.pause(2.0)

    await lim.acquire({"W": 1})

    assert clock.now == 110.0


async def test_requests_after_the_pause_pass_at_once(clock: FakeClock) -> None:
    clock.now = 100.0
    lim = limiter(clock)
    lim.pause(5.0)
    clock.now = 105.0

    await lim.acquire({"W": 1})

    assert clock.sleeps == []


# --- ban (HTTP 418) ---------------------------------------------------------------------------


async def test_banned_limiter_refuses_requests_with_the_time_the_ban_lifts(
    clock: FakeClock,
) -> None:
    clock.now = 100.0
    lim = limiter(clock)
    lim.ban(200.0, "way too many requests")

    with pytest.raises(IPBannedError) as exc_info:
        await lim.acquire({"W": 1})

    error = exc_info.value
    assert error.until == 200.0
    assert error.retry_after == pytest.approx(100.0)
    assert "way too many requests" in str(error)
    assert clock.sleeps == []
    assert used(lim) == {"W": 0}


async def test_banned_limiter_refuses_requests_that_charge_nothing(clock: FakeClock) -> None:
    lim = limiter(clock)
    lim.ban(50.0)

    with pytest.raises(IPBannedError):
        await lim.acquire({})


async def test_banned_until_is_the_end_of_the_ban_while_it_lasts(clock: FakeClock) -> None:
    clock.now = 100.0
    lim = limiter(clock)
    assert lim.banned_until is None

    lim.ban(200.0)
    assert lim.banned_until == 200.0

    clock.now = 200.0
    assert lim.banned_until is None


async def test_a_shorter_ban_never_cuts_a_longer_one(clock: FakeClock) -> None:
    lim = limiter(clock)
    lim.ban(300.0)
    lim.ban(200.0)

    assert lim.banned_until == 300.0


async def test_requests_pass_again_once_the_ban_is_over(clock: FakeClock) -> None:
    clock.now = 100.0
    lim = limiter(clock)
    lim.ban(200.0)
    with pytest.raises(IPBannedError):
        await lim.acquire({"W": 1})

    clock.now = 200.0
    await lim.acquire({"W": 1})

    assert used(lim) == {"W": 1}


async def test_queued_waiters_fail_on_a_ban_instead_of_waiting_it_out(held: FakeClock) -> None:
    lim = limiter(held)
    await lim.acquire({"W": 10})
    admitted: list[str] = []
    tasks = [admit(lim, name, {"W": 1}, admitted) for name in ("a", "b", "c")]
    await settle()
    assert lim.waiting == 3

    lim.ban(1_000.0)
    await held.advance(60.0)  # the head's window wait ends: it must not start another

    assert pending(tasks) == 0
    assert lim.waiting == 0
    for task in tasks:
        error = task.exception()
        assert isinstance(error, IPBannedError)
        assert error.until == 1_000.0
    assert admitted == []
    assert held.sleeps == [60.0]
    assert used(lim) == {"W": 0}


async def test_a_ban_fails_a_waiter_sleeping_for_its_window_at_once(held: FakeClock) -> None:
    # Regression: ban() used not to wake a waiter sleeping for its window, so it (and
    # every request queued behind it) only failed once that window ended.
    lim = limiter(held)
    await lim.acquire({"W": 10})
    admitted: list[str] = []
    tasks = [admit(lim, name, {"W": 1}, admitted) for name in ("a", "b")]
    await settle()

    lim.ban(1_000.0)
    await settle()

    try:
        assert pending(tasks) == 0
        assert all(isinstance(task.exception(), IPBannedError) for task in tasks)
        assert lim.waiting == 0
        assert admitted == []
        assert held.now == 0.0  # no time passed
        assert held.sleeps == [60.0]  # only the head ever slept
    finally:
        await held.advance(60.0)  # if the ban did not wake the sleeper, do not hang
        async with asyncio.timeout(5):
            await asyncio.gather(*tasks, return_exceptions=True)


# --- changing the windows ---------------------------------------------------------------------


async def test_set_windows_keeps_usage_and_applies_the_new_limit(clock: FakeClock) -> None:
    clock.now = 125.0
    lim = limiter(clock)
    await lim.acquire({"W": 8})

    lim.set_windows([Window("W", 20, 60)])

    assert list(lim.status()) == [WindowStatus("W", 8, 20, 55.0)]
    await lim.acquire({"W": 12})
    assert clock.sleeps == []
    assert used(lim) == {"W": 20}


async def test_set_windows_with_a_lower_limit_makes_requests_wait(clock: FakeClock) -> None:
    clock.now = 125.0
    lim = limiter(clock)
    await lim.acquire({"W": 6})

    lim.set_windows([Window("W", 5, 60)])
    await lim.acquire({"W": 1})

    assert clock.sleeps == [55.0]


async def test_set_windows_starts_afresh_a_window_whose_length_changed(clock: FakeClock) -> None:
    lim = limiter(clock)
    await lim.acquire({"W": 8})

    lim.set_windows([Window("W", 10, 30)])

    assert used(lim) == {"W": 0}


async def test_set_windows_adds_and_drops_windows(clock: FakeClock) -> None:
    lim = limiter(clock)
    await lim.acquire({"W": 8})
    orders = Window("ORDERS", 5, 10)

    lim.set_windows([orders])

    assert lim.windows == (orders,)
    await lim.acquire({"W": 100, "ORDERS": 2})  # "W" is no longer a budget
    assert used(lim) == {"ORDERS": 2}


# --- a burst over a fake timeline -------------------------------------------------------------


async def run_burst(
    lim: RateLimiter, clock: FakeClock, requests: list[dict[str, int]]
) -> tuple[list[int], dict[str, Counter[int]]]:
    """Run ``requests`` concurrently. Returns the order of admission and, per window name,
    the units admitted into each window index (counted at the moment of admission)."""
    admitted: list[int] = []
    per_window: dict[str, Counter[int]] = {w.name: Counter() for w in lim.windows}
    seconds = {w.name: w.seconds for w in lim.windows}

    async def one(number: int, costs: dict[str, int]) -> None:
        await lim.acquire(costs)
        admitted.append(number)
        for name, cost in costs.items():
            per_window[name][math.floor(clock.now / seconds[name])] += cost

    async with asyncio.timeout(5):
        await asyncio.gather(*(one(n, costs) for n, costs in enumerate(requests)))
    return admitted, per_window


async def test_burst_never_overfills_a_window_and_uses_the_budget_fully(
    clock: FakeClock,
) -> None:
    clock.now = 7.0
    limit, max_cost = 50, 7
    lim = limiter(clock, Window("W", limit, 10))
    draw = random.Random(1234)
    requests = [{"W": draw.randint(1, max_cost)} for _ in range(1_000)]

    admitted, per_window = await run_burst(lim, clock, requests)

    assert admitted == list(range(1_000))  # first come, first served
    counts = per_window["W"]
    assert sum(counts.values()) == sum(r["W"] for r in requests)
    assert max(counts.values()) <= limit
    indexes = sorted(counts)
    assert indexes == list(range(indexes[0], indexes[-1] + 1))  # no window left unused
    for index in indexes[:-1]:
        # A window closes only when the next request does not fit in what is left.
        assert counts[index] > limit - max_cost
    assert lim.waiting == 0


async def test_burst_over_two_windows_never_overfills_either(clock: FakeClock) -> None:
    clock.now = 3.0
    lim = limiter(clock, Window("WEIGHT", 60, 10), Window("ORDERS", 25, 60))
    draw = random.Random(99)
    requests = [
        {"WEIGHT": draw.randint(1, 10), "ORDERS": draw.choice([0, 1, 1, 2])} for _ in range(1_000)
    ]

    admitted, per_window = await run_burst(lim, clock, requests)

    assert admitted == list(range(1_000))
    assert max(per_window["WEIGHT"].values()) <= 60
    assert max(per_window["ORDERS"].values()) <= 25
    assert sum(per_window["ORDERS"].values()) == sum(r["ORDERS"] for r in requests)


# --- float boundaries -------------------------------------------------------------------------


async def test_fractional_window_is_not_overfilled_at_its_boundary(clock: FakeClock) -> None:
    # Regression: at a clock reading of exactly 4.3, floor(4.3 / 0.1) is 42, the window
    # that had just ended; the wait came out as 0 and every request at that instant was
    # charged to the old counter (7 of a limit of 1 here).
    clock.now = 4.25
    lim = limiter(clock, Window("W", 1, 0.1))
    await lim.acquire({"W": 1})
    await lim.acquire({"W": 1})  # waits for the boundary, where the clock now stands

    for _ in range(5):
        await lim.acquire({"W": 1})

    assert max(status.used for status in lim.status()) <= 1


# --- real time --------------------------------------------------------------------------------


async def test_real_clock_third_request_waits_for_the_next_window() -> None:
    seconds = 0.2
    lim = RateLimiter([Window("W", 2, seconds)], safety=0)
    # Start just after a boundary so that the first two land in the same window.
    await asyncio.sleep(seconds - time.time() % seconds + 0.01)
    started = time.time()

    await lim.acquire({"W": 1})
    await lim.acquire({"W": 1})
    first_window = math.floor(started / seconds)
    third = asyncio.create_task(lim.acquire({"W": 1}))
    await asyncio.sleep(0)
    assert not third.done()
    assert lim.waiting == 1

    async with asyncio.timeout(1):
        await third
    admitted_at = time.time()

    assert math.floor(admitted_at / seconds) > first_window
    assert admitted_at - started < 0.3
    assert lim.status()[0].used == 1


def test_try_acquire_charges_only_what_fits_now() -> None:
    limiter = RateLimiter([Window("W", 10, 60)], clock=lambda: 1_000.0, safety=0)
    assert limiter.try_acquire({"W": 6}) is True
    assert limiter.try_acquire({"W": 6}) is False, "4 left: it must wait, uncharged"
    assert [status.used for status in limiter.status()] == [6]
    assert limiter.try_acquire({"W": 4}) is True
    assert [status.used for status in limiter.status()] == [10]


def test_reads_headers_only_when_a_window_names_one() -> None:
    assert not RateLimiter([Window("W", 10, 60)]).reads_headers
    assert RateLimiter([Window("W", 10, 60, header="X-Used")]).reads_headers


# --- the admission fast path -----------------------------------------------------------------


async def test_a_limiter_without_windows_admits_at_once_but_honours_a_pause(
    clock: FakeClock,
) -> None:
    lim = RateLimiter([], clock=clock, sleep=clock.sleep, safety=0)
    assert lim.try_acquire({"W": 1_000_000})  # nothing counts this unit
    lim.pause(3.0)
    assert not lim.try_acquire({"W": 1})
    await clock.advance(3.0)
    assert lim.try_acquire({"W": 1})


async def test_a_limiter_without_windows_still_refuses_during_a_ban(clock: FakeClock) -> None:
    lim = RateLimiter([], clock=clock, sleep=clock.sleep, safety=0)
    lim.ban(clock() + 60, "banned until later")
    with pytest.raises(IPBannedError, match="banned until later"):
        lim.try_acquire({})
    await clock.advance(60.0)
    assert lim.try_acquire({})


async def test_try_acquire_reads_the_clock_once(clock: FakeClock) -> None:
    readings: list[float] = []

    def counting_clock() -> float:
        readings.append(clock())
        return readings[-1]

    lim = RateLimiter([W], clock=counting_clock, safety=0)
    assert lim.try_acquire({"W": 3})
    assert len(readings) == 1
    assert used(lim) == {"W": 3}


def test_reads_headers_follows_the_windows() -> None:
    lim = RateLimiter([Window("A", 5, 1)])
    assert not lim.reads_headers
    lim.set_windows([Window("A", 5, 1), Window("B", 5, 1, header="X-USED-B")])
    assert lim.reads_headers
    lim.set_windows([])
    assert not lim.reads_headers


async def test_set_windows_keeps_the_safety_margin_of_the_window_before(clock: FakeClock) -> None:
    clock.now = 125.0
    lim = RateLimiter([W], clock=clock, sleep=clock.sleep, safety=0.25)
    await lim.acquire({"W": 10})
    clock.now = 180.1  # a new window, but the exchange may still be counting the full one
    assert lim.status()[0].used == 0  # the counter has moved to the new window

    lim.set_windows([W])
    await lim.acquire({"W": 1})

    assert clock.now == pytest.approx(180.25)


def counts(limiter: RateLimiter) -> list[tuple[int, int, int, int]]:
    """Each window's index and its counts: used, charged to the window before, to the next."""
    return [(c.index, c.used, c.previous, c.following) for c in limiter._counted]


def test_try_acquire_decides_and_charges_as_the_waiting_path_would() -> None:
    """The fast path is a hand-inlined copy of the waiting path's check and charge: over a
    long random walk, with a safety margin and windows of two lengths on one unit, it must
    admit exactly when the waiting path would not wait, and leave the same counts."""
    rng = random.Random(20261204)
    now = [1_000.0]
    windows = [Window("W", 10, 1), Window("W3", 25, 3, unit="W"), Window("O", 3, 2)]
    fast = RateLimiter(windows, clock=lambda: now[0], safety=0.3)
    slow = RateLimiter(windows, clock=lambda: now[0], safety=0.3)
    admitted = 0
    for _ in range(5_000):
        now[0] += rng.choice([0.0, 0.01, 0.05, 0.2, 0.7])
        costs = {"W": rng.randint(0, 4), "O": rng.choice([0, 0, 1])}
        fits = slow._delay(costs) == 0
        if fits:
            slow._charge(costs)
        assert fast.try_acquire(costs) is fits, (now[0], costs)
        assert fast.status() == slow.status()
        # What is charged to the margins too (a refusal by a later window takes back
        # what the fast path charged to the earlier ones).
        assert counts(fast) == counts(slow), (now[0], costs)
        admitted += fits
    assert 500 < admitted < 4_500, "the walk must exercise both answers"
