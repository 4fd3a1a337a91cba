"""The Redis limiter against a real redis-server (tests/redis_server.py): shared windows,
atomic charges, leases, reconciliation, shared pauses and bans, shared values, and what
happens when Redis is killed, restarted, slow, or the processes' clocks disagree.

Each "process" here is a :class:`RedisBackend` of its own (its own connections, leases and
event listener); tests/test_limits_processes.py does the same with real processes.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import math
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from aioca import Window
from aioca.errors import IPBannedError
from aioca.limits import Limiter, LimiterUnavailableError, scripts
from aioca.limits.redis import RedisBackend, RedisRateLimiter
from aioca.limits.testing import LatencyProxy, RedisServer, redis_backends, redis_server

__all__ = ["redis_backends", "redis_server"]

HOST = "api.example.test"


@pytest.fixture
def backends(redis_backends: Callable[..., RedisBackend]) -> Callable[..., RedisBackend]:
    return redis_backends


def weight_window(limit: int, seconds: float = 60) -> Window:
    return Window("REQUEST_WEIGHT", limit, seconds, header="X-USED-WEIGHT")


async def run_until_window_start(limiter: RedisRateLimiter, seconds: float, margin: float) -> None:
    """Sleep until ``margin`` seconds after the start of the next window of ``seconds``."""
    await limiter.backend.connect()
    now = limiter.clock()
    await asyncio.sleep((math.floor(now / seconds) + 1) * seconds + margin - now)


def test_the_redis_limiter_has_the_interface_the_request_path_calls() -> None:
    backend = RedisBackend(prefix="interface")
    limiter = backend.limiter(HOST, [weight_window(10)])
    assert isinstance(limiter, Limiter)


def test_bad_options_are_named_together() -> None:
    with pytest.raises(ValueError, match="on_failure") as caught:
        RedisBackend(on_failure="maybe", degraded_share=0, prefix="a:b")  # type: ignore[arg-type]
    message = str(caught.value)
    assert "degraded_share" in message
    assert "prefix" in message


def test_the_password_never_appears_in_the_backend_s_repr() -> None:
    backend = RedisBackend("redis://:hunter2@127.0.0.1:6379/0", prefix="secret")
    assert "hunter2" not in repr(backend)
    assert "hunter2" not in backend.where


async def test_keys_are_laid_out_by_host_address_and_account(
    backends: Callable[..., RedisBackend],
) -> None:
    backend = backends()
    windows = [
        weight_window(100),
        Window("ORDERS", 50, 10, header="X-ORDERS", scope="account"),
    ]
    limiter = backend.limiter(HOST, windows, local_address="10.0.0.7", account="main")
    await limiter.acquire({"REQUEST_WEIGHT": 3, "ORDERS": 1})
    client = backend._connection()
    keys = sorted(key.decode() for key in await client.keys(f"{backend.key_prefix}:*"))
    prefix = backend.key_prefix
    assert f"{prefix}:{HOST}:ip:10.0.0.7:REQUEST_WEIGHT:60000" in keys
    assert f"{prefix}:{HOST}:acct:main:ORDERS:10000" in keys
    used = await client.hget(f"{prefix}:{HOST}:acct:main:ORDERS:10000", "u")
    assert int(used) >= 1


async def test_processes_share_one_budget_and_never_pass_it(
    backends: Callable[..., RedisBackend],
) -> None:
    window = weight_window(40, seconds=1.0)
    limiters = [backends().limiter(HOST, [window]) for _ in range(3)]
    await run_until_window_start(limiters[0], 1.0, 0.3)
    admitted: list[tuple[int, float]] = []

    async def worker(number: int) -> None:
        limiter = limiters[number]
        while True:
            await limiter.acquire({"REQUEST_WEIGHT": 1})
            admitted.append((number, limiter.clock()))
            if len(admitted) >= 100:
                return

    await asyncio.wait_for(asyncio.gather(*(worker(n) for n in range(3))), 10)
    per_window: dict[int, int] = {}
    for _, at in admitted:
        per_window[math.floor(at)] = per_window.get(math.floor(at), 0) + 1
    assert max(per_window.values()) <= 40
    assert {number for number, _ in admitted} == {0, 1, 2}  # every process was served


async def test_most_requests_are_served_from_a_lease_without_a_round_trip(
    backends: Callable[..., RedisBackend],
) -> None:
    backend = backends()
    calls = 0
    run = backend.run

    async def counting(*args: Any) -> Any:
        nonlocal calls
        calls += 1
        return await run(*args)

    backend.run = counting  # type: ignore[method-assign]
    limiter = backend.limiter(HOST, [weight_window(100_000)])
    await backend.connect()
    calls = 0
    for _ in range(1000):
        if not limiter.try_acquire({"REQUEST_WEIGHT": 2}):
            await limiter.acquire({"REQUEST_WEIGHT": 2})
    assert calls <= 20


async def test_a_lease_is_given_back_when_the_process_goes_idle(
    backends: Callable[..., RedisBackend],
) -> None:
    backend = backends(lease_idle=0.05)
    limiter = backend.limiter(HOST, [weight_window(1000)])
    await limiter.acquire({"REQUEST_WEIGHT": 1})
    leased = limiter._leases["REQUEST_WEIGHT"].units
    assert leased > 0
    client = backend._connection()
    key = limiter._keys["REQUEST_WEIGHT"]
    assert int(await client.hget(key, "u")) == 1 + leased
    await asyncio.sleep(0.2)
    await limiter.drain()
    assert int(await client.hget(key, "u")) == 1


async def test_a_window_full_in_redis_makes_every_process_wait_for_the_next(
    backends: Callable[..., RedisBackend],
) -> None:
    window = weight_window(10, seconds=0.5)
    first, second = (backends(lease_cap=0, safety=0.1).limiter(HOST, [window]) for _ in range(2))
    await run_until_window_start(first, 0.5, 0.12)  # clear of both margins
    for _ in range(10):
        await first.acquire({"REQUEST_WEIGHT": 1})
    before = second.clock()
    assert before % 0.5 < 0.4, "the window was filled before its closing margin"
    await second.acquire({"REQUEST_WEIGHT": 1})
    after = second.clock()
    assert math.floor(after / 0.5) == math.floor(before / 0.5) + 1


async def test_requests_sent_just_before_a_boundary_count_in_the_next_window_too(
    backends: Callable[..., RedisBackend],
) -> None:
    """A request sent in the margin before a boundary may reach the exchange in the next
    window: Redis charges it there too, so every process finds one unit less there."""
    window = weight_window(100, seconds=3.0)  # long enough for 98 round trips when busy
    first = backends(safety=0.3).limiter(HOST, [window])
    second = backends(safety=0.3, lease_cap=0).limiter(HOST, [window])
    await run_until_window_start(first, 3.0, 2.8)  # in the last 0.3 s of a window
    for _ in range(3):
        await first.acquire({"REQUEST_WEIGHT": 1})
    assert first._leases["REQUEST_WEIGHT"].units == 0, "no lease in the closing margin"
    await run_until_window_start(second, 3.0, 0.35)  # the next window, past its margin
    for _ in range(97):
        await asyncio.wait_for(second.acquire({"REQUEST_WEIGHT": 1}), 0.2)
    client = second.backend._connection()
    assert int(await client.hget(second._keys["REQUEST_WEIGHT"], "u")) == 100
    with pytest.raises(TimeoutError):  # the 98th waits for the window after
        await asyncio.wait_for(second.acquire({"REQUEST_WEIGHT": 1}), 0.2)


@pytest.mark.parametrize("lease_idle", [10.0, 0.25], ids=["lease-held", "lease-given-back"])
async def test_an_exchange_counting_requests_on_arrival_never_sees_a_window_overrun(
    backends: Callable[..., RedisBackend], lease_idle: float
) -> None:
    """The over-admission once seen across processes (26 against 25), reproduced without
    relying on load: a process leases budget mid-window and still holds some when the
    closing margin begins; its next request, admitted just before the boundary, reaches
    the exchange just after it (a delay shorter than ``safety``, injected); another
    process then fills the next window. Counted as the exchange counts (on arrival), that
    window must hold no more than its limit, and be filled to it. (Before the two-sided
    margin the exchange counted 21 against 20 either way: with the lease still held, which
    lasted until the boundary, or given back when idle, the request then charged to the
    closing window only.)"""
    seconds, limit, safety, delay = 2.0, 20, 0.5, 0.45
    window = weight_window(limit, seconds)
    leasing = backends(
        safety=safety, lease_fraction=1.0, lease_cap=0.5, lease_idle=lease_idle
    ).limiter(HOST, [window])
    other = backends(safety=safety, lease_cap=0).limiter(HOST, [window])
    arrivals: list[float] = []  # when the exchange receives each admitted request

    await run_until_window_start(leasing, seconds, 0.6)  # clear of both margins
    await leasing.acquire({"REQUEST_WEIGHT": 1})
    arrivals.append(leasing.clock())
    assert leasing._leases["REQUEST_WEIGHT"].units > 1, "it holds a lease"
    await asyncio.sleep(seconds - 0.6 - safety + 0.1)  # into the closing margin
    boundary = (math.floor(leasing.clock() / seconds) + 1) * seconds
    assert boundary - delay < leasing.clock() < boundary, "in the closing margin"
    await leasing.acquire({"REQUEST_WEIGHT": 1})
    arrivals.append(leasing.clock() + delay)  # sent before the boundary, arrives after it
    assert arrivals[-1] >= boundary

    await run_until_window_start(other, seconds, safety + 0.1)  # the next window, past its margin
    while True:
        try:
            await asyncio.wait_for(other.acquire({"REQUEST_WEIGHT": 1}), 0.3)
        except TimeoutError:
            break
        arrivals.append(other.clock())
    counted = Counter(math.floor(at / seconds) for at in arrivals)
    assert counted[round(boundary / seconds)] == limit, sorted(counted.items())


async def test_usage_headers_raise_the_shared_count(backends: Callable[..., RedisBackend]) -> None:
    window = weight_window(100, seconds=2.0)
    one, two = (backends(lease_cap=0).limiter(HOST, [window]) for _ in range(2))
    await run_until_window_start(one, 2.0, 0.3)
    await one.acquire({"REQUEST_WEIGHT": 1})
    sent_at = one.clock()
    one.observe({"X-USED-WEIGHT": "95"}, sent_at=sent_at)  # another program spent 94
    await one.drain()
    started = two.clock()
    for _ in range(5):
        await two.acquire({"REQUEST_WEIGHT": 1})
    assert math.floor(two.clock() / 2.0) == math.floor(started / 2.0)  # 95 + 5 = 100 fits
    assert not two.try_acquire({"REQUEST_WEIGHT": 1})
    used = {s.name: s.used for s in two.status()}
    assert used["REQUEST_WEIGHT"] == 100


async def test_usage_headers_cost_a_round_trip_at_most_every_reconcile_interval(
    backends: Callable[..., RedisBackend],
) -> None:
    backend = backends(reconcile_interval=10.0)
    limiter = backend.limiter(HOST, [weight_window(10_000, seconds=60)])
    await limiter.acquire({"REQUEST_WEIGHT": 1})
    if limiter.clock() % 60 > 59:  # keep clear of the next window's margin
        await asyncio.sleep(1.5)
        await limiter.acquire({"REQUEST_WEIGHT": 1})
    scripts_run: list[int] = []
    run = backend.run

    async def counting(script: str, keys: Any, args: Any) -> Any:
        if script == scripts.OBSERVE:
            scripts_run.append(len(keys))
        return await run(script, keys, args)

    backend.run = counting  # type: ignore[method-assign]
    for used in range(1500, 1600):  # others spend: every count is above our lease's 501
        limiter.observe({"X-USED-WEIGHT": str(used)}, sent_at=limiter.clock())
    await limiter.drain()
    assert len(scripts_run) == 1  # the first; the others wait for the interval
    backend.reconcile_interval = 0.0
    limiter.observe({"X-USED-WEIGHT": "1700"}, sent_at=limiter.clock())
    await limiter.drain()
    assert len(scripts_run) == 2  # the highest count since, in one round trip
    client = backend._connection()
    assert int(await client.hget(limiter._keys["REQUEST_WEIGHT"], "u")) == 1700


async def test_a_ban_seen_by_one_process_stops_the_others_within_100_ms(
    backends: Callable[..., RedisBackend],
) -> None:
    window = weight_window(100_000)
    one, two = (backends().limiter(HOST, [window]) for _ in range(2))
    for limiter in (one, two):
        await limiter.acquire({"REQUEST_WEIGHT": 1})  # both hold leases now
    assert two.try_acquire({"REQUEST_WEIGHT": 1})
    await asyncio.sleep(0.05)  # the listeners are subscribed
    started = time.monotonic()
    one.ban(one.clock() + 30, "IP banned until later")
    while two.try_acquire({"REQUEST_WEIGHT": 1}):  # noqa: ASYNC110 - polling is the measure
        await asyncio.sleep(0.001)
    assert time.monotonic() - started < 0.1
    with pytest.raises(IPBannedError, match="IP banned until later") as caught:
        await two.acquire({"REQUEST_WEIGHT": 1})
    assert caught.value.retry_after is not None
    assert 29 < caught.value.retry_after <= 30.1


async def test_the_event_listener_waits_long_yet_close_stops_it_at_once(
    backends: Callable[..., RedisBackend],
) -> None:
    """The listener of an idle process wakes rarely (each wake-up costs CPU in every
    process), and close() does not wait for it: it is woken on the backend's own channel.
    A ban still reaches a listening process at once (the ban test above)."""
    from aioca.limits import redis as redis_limits

    assert redis_limits._LISTEN_WAIT >= 1.0
    backend = backends()
    limiter = backend.limiter(HOST, [weight_window(100, seconds=1)])
    await limiter.acquire({"REQUEST_WEIGHT": 1})
    await asyncio.sleep(0.3)  # the listener is subscribed and waiting
    listener = backend._listener
    assert listener is not None
    assert not listener.done()
    started = time.monotonic()
    await backend.close()
    assert listener.done()
    assert time.monotonic() - started < 0.5 * redis_limits._LISTEN_WAIT


@pytest.mark.parametrize("failure", ["killed", "stalled"])
async def test_close_is_prompt_when_redis_is_gone_whatever_the_retry_interval(
    failure: str, backends: Callable[..., RedisBackend]
) -> None:
    """A listener that lost Redis waits ``retry_interval`` before it reconnects; close()
    ends that wait at once (killed), and does not wait on a listener reading from a Redis
    that no longer answers (stalled) for more than its own calls' ``timeout``."""
    from aioca.limits import redis as redis_limits

    server = RedisServer()
    server.start()
    try:
        backend = backends(url=server.url, retry_interval=30, timeout=0.5)
        limiter = backend.limiter(HOST, [weight_window(100, seconds=1)])
        await limiter.acquire({"REQUEST_WEIGHT": 1})
        await asyncio.sleep(0.3)  # the listener is subscribed and waiting
        listener = backend._listener
        assert listener is not None
        if failure == "killed":
            server.kill()
        else:
            server.pause()
        await asyncio.sleep(0.3)  # a killed Redis: the listener is waiting to reconnect
        assert not listener.done()
        started = time.monotonic()
        await backend.close()
        took = time.monotonic() - started
        assert listener.done()
        # Killed: refused at once. Stalled: the leaving call waits its timeout (0.5 s), the
        # listener's wake-up and end a grace each, not the wake-up's own timeout (0.75 s).
        assert took < (0.3 if failure == "killed" else 0.5 + 3 * redis_limits._CLOSE_GRACE), took
    finally:
        if failure == "stalled":
            server.resume()
        server.kill()


async def test_a_ban_reaches_a_process_that_starts_later(
    backends: Callable[..., RedisBackend],
) -> None:
    window = weight_window(1000)
    one = backends().limiter(HOST, [window])
    await one.acquire({"REQUEST_WEIGHT": 1})
    one.ban(one.clock() + 20, "banned")
    await one.drain()
    late = backends().limiter(HOST, [window])
    with pytest.raises(IPBannedError):
        await late.acquire({"REQUEST_WEIGHT": 1})


async def test_a_ban_cuts_short_a_process_waiting_for_its_window(
    backends: Callable[..., RedisBackend],
) -> None:
    window = weight_window(2, seconds=30)
    one, two = (backends(lease_cap=0).limiter(HOST, [window]) for _ in range(2))
    await one.acquire({"REQUEST_WEIGHT": 2})
    waiting = asyncio.ensure_future(two.acquire({"REQUEST_WEIGHT": 1}))
    await asyncio.sleep(0.1)
    assert not waiting.done()
    one.ban(one.clock() + 60, "banned")
    with pytest.raises(IPBannedError):
        await asyncio.wait_for(waiting, 1)


async def test_a_pause_after_a_429_holds_every_process(
    backends: Callable[..., RedisBackend],
) -> None:
    window = weight_window(100_000)
    one, two = (backends().limiter(HOST, [window]) for _ in range(2))
    for limiter in (one, two):
        await limiter.acquire({"REQUEST_WEIGHT": 1})
    await asyncio.sleep(0.05)
    one.pause(0.4)
    await one.drain()
    await asyncio.sleep(0.02)
    started = time.monotonic()
    await two.acquire({"REQUEST_WEIGHT": 1})
    assert 0.25 < time.monotonic() - started < 1.0


async def test_windows_count_on_one_clock_whatever_the_processes_clocks_say(
    backends: Callable[..., RedisBackend],
) -> None:
    window = weight_window(20, seconds=1.0)
    ahead, behind = backends(lease_cap=0), backends(lease_cap=0)
    ahead.local_time = lambda: time.time() + 3.3
    behind.local_time = lambda: time.time() - 2.7
    limiters = [ahead.limiter(HOST, [window]), behind.limiter(HOST, [window])]
    for limiter in limiters:
        await limiter.backend.connect()
    # Both estimate the same shared clock, within a few milliseconds.
    assert abs(limiters[0].clock() - limiters[1].clock()) < 0.02
    await run_until_window_start(limiters[0], 1.0, 0.3)
    admitted: list[float] = []

    async def worker(limiter: RedisRateLimiter) -> None:
        while len(admitted) < 50:
            await limiter.acquire({"REQUEST_WEIGHT": 1})
            admitted.append(time.time())  # the true clock (Redis's, here)

    await asyncio.wait_for(asyncio.gather(*(worker(x) for x in limiters)), 10)
    per_window: dict[int, int] = {}
    for at in admitted:
        per_window[math.floor(at)] = per_window.get(math.floor(at), 0) + 1
    assert max(per_window.values()) <= 20


async def test_a_clock_offset_shared_by_one_process_serves_all_whatever_their_skew(
    backends: Callable[..., RedisBackend],
) -> None:
    syncing, other = backends(), backends()
    syncing.local_time = lambda: time.time() + 5.0
    # The syncing process measured the exchange 1.5 s ahead of the true time: 3.5 s
    # behind its own clock.
    await syncing.share_clock_offset(HOST, -3.5, ttl=10)
    offset = await other.clock_offset(HOST)
    assert offset is not None
    assert abs(offset - 1.5) < 0.02
    limiter = other.limiter(HOST, [weight_window(10)])
    await limiter.acquire({"REQUEST_WEIGHT": 1})
    assert abs(limiter.clock() - (time.time() + 1.5)) < 0.02


async def test_shared_values_expire(backends: Callable[..., RedisBackend]) -> None:
    one, two = backends(), backends()
    await one.set_value("exchangeInfo:api.example.test", '{"rateLimits": []}', ttl=0.2)
    assert await two.get_value("exchangeInfo:api.example.test") == '{"rateLimits": []}'
    await asyncio.sleep(0.3)
    assert await two.get_value("exchangeInfo:api.example.test") is None


async def test_live_windows_set_in_one_process_reach_the_others(
    backends: Callable[..., RedisBackend],
) -> None:
    one, two = (backends().limiter(HOST, [weight_window(2400)]) for _ in range(2))
    for limiter in (one, two):
        await limiter.acquire({"REQUEST_WEIGHT": 1})
    await asyncio.sleep(0.05)
    live = [weight_window(6000), Window("ORDERS", 50, 10, scope="account")]
    one.set_windows(live)
    await one.drain()
    for _ in range(100):
        if two.windows == tuple(live):
            break
        await asyncio.sleep(0.01)
    assert two.windows == tuple(live)
    assert await one.backend.shared_windows(HOST) == live


async def test_a_process_that_starts_later_uses_the_live_windows_already_shared(
    backends: Callable[..., RedisBackend],
) -> None:
    first = backends().limiter(HOST, [weight_window(2400)])
    await first.acquire({"REQUEST_WEIGHT": 1})
    live = [weight_window(6000), Window("ORDERS", 50, 10, scope="account")]
    first.set_windows(live)
    await first.drain()
    later = backends().limiter(HOST, [weight_window(2400)])  # the published defaults
    await later.acquire({"REQUEST_WEIGHT": 1})
    assert later.windows == tuple(live)


# --- failures --------------------------------------------------------------------------------


async def test_fail_closed_raises_a_clear_error_when_redis_is_gone() -> None:
    port_nobody_listens_on = RedisServer().port
    backend = RedisBackend(f"redis://127.0.0.1:{port_nobody_listens_on}/0", prefix="gone")
    try:
        limiter = backend.limiter(HOST, [weight_window(10)])
        with pytest.raises(LimiterUnavailableError, match="not sent"):
            await limiter.acquire({"REQUEST_WEIGHT": 1})
    finally:
        await backend.close()


async def test_slow_redis_counts_as_unreachable(
    redis_server: RedisServer, backends: Callable[..., RedisBackend]
) -> None:
    async with LatencyProxy(redis_server.port) as proxy:
        backend = backends(url=proxy.url, timeout=0.1)
        limiter = backend.limiter(HOST, [weight_window(100, seconds=1)])
        await limiter.acquire({"REQUEST_WEIGHT": 1})  # fast enough
        limiter._leases["REQUEST_WEIGHT"].units = 0
        proxy.delay = 0.3
        started = time.monotonic()
        with pytest.raises(LimiterUnavailableError):
            await limiter.acquire({"REQUEST_WEIGHT": 1})
        assert time.monotonic() - started < 0.5
        await backend.close()


async def test_slow_redis_within_its_timeout_still_shares_the_budget(
    redis_server: RedisServer, backends: Callable[..., RedisBackend]
) -> None:
    """Latency below ``timeout`` slows admissions down (a round trip each time a lease runs
    out) but changes nothing else: no error, no local mode, every unit counted in Redis."""
    async with LatencyProxy(redis_server.port, delay=0.02) as proxy:
        slow = backends(url=proxy.url, timeout=0.3, lease_cap=0).limiter(
            HOST, [weight_window(30, seconds=60)]
        )
        fast = backends().limiter(HOST, [weight_window(30, seconds=60)])
        await slow.backend.connect()
        started = time.monotonic()
        for _ in range(5):
            await slow.acquire({"REQUEST_WEIGHT": 2})
        assert time.monotonic() - started >= 5 * 2 * 0.02  # one round trip each: no lease
        assert not slow.degraded
        assert not slow.backend.down
        for _ in range(20):
            await asyncio.wait_for(fast.acquire({"REQUEST_WEIGHT": 1}), 0.5)
        with pytest.raises(TimeoutError):  # 10 + 20 of 30: the slow process's units count
            await asyncio.wait_for(fast.acquire({"REQUEST_WEIGHT": 1}), 0.3)
        await slow.backend.close()


async def test_degraded_mode_goes_on_with_a_share_of_the_budget_and_recovers(
    caplog: pytest.LogCaptureFixture, backends: Callable[..., RedisBackend]
) -> None:
    server = RedisServer()
    server.start()
    try:
        backend = backends(
            url=server.url, on_failure="local", degraded_share=0.25, retry_interval=0.1
        )
        limiter = backend.limiter(HOST, [weight_window(40, seconds=2)])
        await limiter.acquire({"REQUEST_WEIGHT": 1})
        server.kill()
        limiter._leases["REQUEST_WEIGHT"].units = 0  # the lease is spent
        with caplog.at_level(logging.WARNING, logger="aioca.limits"):
            # What others spent in the window under way is unknown: the next one...
            outage_window = math.floor(limiter.clock() / 2)
            await asyncio.wait_for(limiter.acquire({"REQUEST_WEIGHT": 1}), 3)
            window = math.floor(limiter.clock() / 2)
            assert window == outage_window + 1
            for _ in range(9):  # ... and 25 % of 40 in it
                await asyncio.wait_for(limiter.acquire({"REQUEST_WEIGHT": 1}), 0.5)
        assert math.floor(limiter.clock() / 2) == window
        assert limiter.degraded
        assert "local limiter holding 25%" in caplog.text
        assert not limiter.try_acquire({"REQUEST_WEIGHT": 1})
        limiter.ban(limiter.clock() + 60, "banned during the outage")
        server.start()  # empty: it forgot every count and ban
        await asyncio.sleep(0.15)
        with pytest.raises(IPBannedError):
            await limiter.acquire({"REQUEST_WEIGHT": 1})
        assert not limiter.degraded
        # What was spent meanwhile (and the ban) was written back for the others.
        other = backends(url=server.url).limiter(HOST, [weight_window(40, seconds=2)])
        with pytest.raises(IPBannedError, match="during the outage"):
            await other.acquire({"REQUEST_WEIGHT": 1})
        # Redis forgot the counts of the window under way: it is marked spent.
        client = other.backend._connection()
        key = other._keys["REQUEST_WEIGHT"]
        assert int(await client.hget(key, "u")) == 40
        assert int(await client.hget(key, "i")) == math.floor(other.clock() / 2)
    finally:
        server.kill()


async def test_fail_closed_recovers_when_redis_returns(
    backends: Callable[..., RedisBackend],
) -> None:
    server = RedisServer()
    server.start()
    try:
        backend = backends(url=server.url, retry_interval=0.1)
        limiter = backend.limiter(HOST, [weight_window(40, seconds=1)])
        await limiter.acquire({"REQUEST_WEIGHT": 1})
        limiter._leases["REQUEST_WEIGHT"].units = 0
        server.kill()
        for _ in range(3):  # every request fails at once, none is let through
            with pytest.raises(LimiterUnavailableError):
                await asyncio.wait_for(limiter.acquire({"REQUEST_WEIGHT": 1}), 1)
        server.start()
        await asyncio.sleep(0.15)
        await asyncio.wait_for(limiter.acquire({"REQUEST_WEIGHT": 1}), 2.5)
        assert not backend.down
        assert backend.restarts == 1
    finally:
        server.kill()


async def lease_sizes(limiter: RedisRateLimiter, requests: int) -> list[int]:
    """The size of each lease ``limiter`` takes while admitting ``requests`` of weight 1."""
    sizes = []
    for _ in range(requests):
        before = limiter._leases["REQUEST_WEIGHT"].units
        await limiter.acquire({"REQUEST_WEIGHT": 1})
        after = limiter._leases["REQUEST_WEIGHT"].units
        if after > before:  # a round trip: the old lease was used up, a new one taken
            sizes.append(after)  # the request was charged beside the lease, not from it
    return sizes


async def test_leases_grow_while_a_process_uses_them_up(
    backends: Callable[..., RedisBackend],
) -> None:
    """A busy process's lease doubles each time it is used up within the window, up to
    ``lease_growth`` times ``lease_cap`` (and never more than the fraction of the room):
    fewer round trips for the same weight. With ``lease_growth=1`` it stays fixed."""
    window = weight_window(1000, seconds=4)
    growing = backends(lease_growth=4).limiter(HOST, [window])
    fixed = backends(lease_growth=1).limiter(HOST, [weight_window(1000, seconds=4)])
    fixed.host = "fixed.example.test"  # its own counter: the two do not share a budget
    fixed.hold_key = fixed.hold_key.replace(HOST, fixed.host)
    fixed.offset_key = fixed.offset_key.replace(HOST, fixed.host)
    fixed._keys = {name: key.replace(HOST, fixed.host) for name, key in fixed._keys.items()}
    await run_until_window_start(growing, 4, 0.3)
    # 5 % of 1000 = 50, then 100, then 200 (the cap of 4 x 5 %), then 200 again
    # (each round trip charges the request beside the lease: 51, 101, 201 ... requests)
    assert await lease_sizes(growing, 51 + 101 + 201 + 201 + 1) == [50, 100, 200, 200, 200]
    assert (await lease_sizes(fixed, 50 * 4 + 5)) == [50] * 5


async def test_a_refusal_sets_a_grown_lease_back(backends: Callable[..., RedisBackend]) -> None:
    """When the window is full (a request must wait), the lease size starts over: the next
    window's first lease is the smallest, so a process that grew its lease does not take a
    large block of a window others are waiting for."""
    seconds = 2.0
    window = weight_window(400, seconds=seconds)
    limiter = backends(safety=0.1, lease_growth=4).limiter(HOST, [window])
    await run_until_window_start(limiter, seconds, 0.15)
    assert await lease_sizes(limiter, 21 + 41 + 1) == [20, 40, 80]
    assert limiter._leases["REQUEST_WEIGHT"].growth == 4
    other = backends(safety=0.1, lease_cap=0).limiter(HOST, [window])
    while other.try_acquire({"REQUEST_WEIGHT": 1}) or await _fits(other):
        pass  # the other process fills the rest of the window
    limiter._leases["REQUEST_WEIGHT"].units = 0
    await limiter.acquire({"REQUEST_WEIGHT": 1})  # refused, waits for the next window
    assert limiter._leases["REQUEST_WEIGHT"].growth == 1
    assert limiter._leases["REQUEST_WEIGHT"].units == 20  # 5 % of 400 again


async def _fits(limiter: RedisRateLimiter) -> bool:
    try:
        await asyncio.wait_for(limiter.acquire({"REQUEST_WEIGHT": 1}), 0.05)
    except TimeoutError:
        return False
    return True


async def test_an_expired_shared_clock_offset_is_announced_and_moves_the_clock(
    backends: Callable[..., RedisBackend], caplog: pytest.LogCaptureFixture
) -> None:
    """The shared offset lives for the sync interval; once gone, the scripts count on
    Redis's own clock. The limiter says so (a warning) and moves its clock with them,
    rather than silently jumping by the offset."""
    backend = backends()
    await backend.share_clock_offset(HOST, 2.0, ttl=0.3)
    limiter = backend.limiter(HOST, [weight_window(1000)])
    await limiter.acquire({"REQUEST_WEIGHT": 1})
    assert abs(limiter.clock() - (time.time() + 2.0)) < 0.05
    await asyncio.sleep(0.7)  # the key (kept twice the interval) expires in Redis
    with caplog.at_level(logging.WARNING, logger="aioca.limits.redis"):
        for _ in range(3):
            await limiter.acquire({"REQUEST_WEIGHT": 100})
    assert abs(limiter.clock() - time.time()) < 0.05
    expired = [r for r in caplog.records if "expired" in r.getMessage()]
    assert len(expired) == 1  # announced once, not on every request
    assert HOST in expired[0].getMessage()


async def test_scripts_are_loaded_again_when_redis_has_forgotten_them(
    backends: Callable[..., RedisBackend],
) -> None:
    # Scripts run by digest (EVALSHA); a Redis that lost them (restarted, SCRIPT FLUSH)
    # answers NOSCRIPT, and the backend loads the script and runs it in the same call.
    backend = backends()
    limiter = backend.limiter(HOST, [weight_window(100)])
    await limiter.acquire({"REQUEST_WEIGHT": 3})
    client = backend._connection()
    await client.script_flush()
    digest = hashlib.sha1(scripts.TAKE.encode()).hexdigest()
    assert await client.script_exists(digest) == [False]
    await limiter.give_back()  # GIVE_BACK, then TAKE: both forgotten
    assert limiter.try_acquire({"REQUEST_WEIGHT": 1}) is False  # no lease left: ask Redis
    await limiter.acquire({"REQUEST_WEIGHT": 4})
    assert await client.script_exists(digest) == [True]
    assert not backend.down
    assert not limiter.degraded


async def test_a_shared_clock_offset_is_refreshed_by_one_process_before_it_expires(
    backends: Callable[..., RedisBackend],
) -> None:
    """Shared for twice the sync interval: once older than one interval, the first process
    due claims the refresh (it is told "none shared" and measures), the others keep the
    old offset, and nobody falls back to Redis's unsynced clock."""
    syncing, one, two = backends(), backends(), backends()
    await syncing.share_clock_offset(HOST, 2.0, ttl=0.5)
    young = [await b.clock_offset(HOST) for b in (syncing, one, two)]
    assert all(o is not None and abs(o - 2.0) < 0.05 for o in young)
    await asyncio.sleep(0.6)  # older than the interval, not yet expired
    answers = [await b.clock_offset(HOST) for b in (one, two, syncing)]
    assert answers[0] is None  # the first one due resyncs
    assert all(o is not None and abs(o - 2.0) < 0.05 for o in answers[1:])
    await one.share_clock_offset(HOST, 3.0, ttl=0.5)  # what it measured
    left = await one._connection().pttl(f"{one.key_prefix}:{HOST}:offset")
    assert left > 800  # kept two intervals again
    refreshed = [await b.clock_offset(HOST) for b in (two, syncing)]
    assert all(o is not None and abs(o - 3.0) < 0.05 for o in refreshed)
    await asyncio.sleep(0.6)  # one interval later, the next refresh goes to one process
    again = [await b.clock_offset(HOST) for b in (two, syncing, one)]
    assert again[0] is None
    assert all(o is not None and abs(o - 3.0) < 0.05 for o in again[1:])


async def test_a_ban_or_pause_already_shared_is_not_written_again(
    backends: Callable[..., RedisBackend],
) -> None:
    """Every request refused during a ban reports the ban to its limiter again; only a
    longer one (or one that could not be shared yet) costs a round trip and an event."""
    one, other = backends(), backends()
    limiter = one.limiter(HOST, [weight_window(100)])
    watcher = other.limiter(HOST, [weight_window(100)])
    await limiter.acquire({"REQUEST_WEIGHT": 1})
    await watcher.acquire({"REQUEST_WEIGHT": 1})
    holds: list[list[Any]] = []
    run = one.run

    async def counted(script: str, keys: Any, args: Any) -> Any:
        if script == scripts.HOLD:
            holds.append(list(args))
        return await run(script, keys, args)

    one.run = counted  # type: ignore[method-assign]
    until = limiter.clock() + 5
    for _ in range(20):
        limiter.ban(until, "banned")
    await asyncio.sleep(0.1)
    assert [h[0] for h in holds] == ["ban"]
    assert watcher.banned_until is not None  # the others learnt it
    limiter.ban(until + 2, "banned longer")
    for _ in range(5):
        limiter.pause(1.0)
    await asyncio.sleep(0.1)
    assert [h[0] for h in holds] == ["ban", "ban", "pause"]
    assert watcher.banned_until is not None
    assert watcher.banned_until > until + 1
    # The other process learnt the ban over Redis: its own refusals do not re-share it.
    other_holds: list[Any] = []
    other_run = other.run

    async def other_counted(script: str, keys: Any, args: Any) -> Any:
        if script == scripts.HOLD:
            other_holds.append(args)
        return await other_run(script, keys, args)

    other.run = other_counted  # type: ignore[method-assign]
    assert watcher.banned_until is not None
    watcher.ban(watcher.banned_until, "banned longer")
    await asyncio.sleep(0.05)
    assert other_holds == []


async def _served_at(limiter: RedisRateLimiter, cost: int) -> float:
    """Acquire ``cost`` and return the shared clock when it was admitted."""
    await limiter.acquire({"REQUEST_WEIGHT": cost})
    return limiter.clock()


async def test_a_lease_returned_when_its_holder_goes_idle_serves_a_process_refused_in_the_window(
    backends: Callable[..., RedisBackend],
) -> None:
    """One process leases the whole room; another, refused (the window is full in Redis),
    would sleep to the next window. When the first goes idle its lease goes back, and the
    refused one is woken and served in the same window, instead of the units dying with
    it."""
    seconds = 3.0
    window = weight_window(20, seconds)
    holder = backends(safety=0.2, lease_fraction=1.0, lease_cap=1.0, lease_idle=0.3).limiter(
        HOST, [window]
    )
    waiting = backends(safety=0.2, lease_cap=0).limiter(HOST, [window])
    await run_until_window_start(holder, seconds, 0.3)  # clear of both margins
    await holder.acquire({"REQUEST_WEIGHT": 1})
    assert holder._leases["REQUEST_WEIGHT"].units == 19, "the whole room leased"
    started = waiting.clock()
    served = await asyncio.wait_for(_served_at(waiting, 5), seconds)
    assert math.floor(served / seconds) == math.floor(started / seconds), "in the same window"
    assert served - started < 1.0  # the holder's idle time (0.3 s) and two round trips
    client = waiting.backend._connection()
    assert int(await client.hget(waiting._keys["REQUEST_WEIGHT"], "u")) == 1 + 5


async def test_a_busy_process_returns_its_lease_before_the_window_closes(
    backends: Callable[..., RedisBackend],
) -> None:
    """A process that never stays idle for ``lease_idle`` still gives back what is left of
    its lease shortly before the lease ends (the window's closing margin) when no request
    of its own waits: a process refused in that window is served in it, before the margin
    (where a request is charged to the next window too)."""
    seconds, safety = 2.0, 0.2
    window = weight_window(20, seconds)
    holder = backends(safety=safety, lease_fraction=1.0, lease_cap=1.0, lease_idle=100).limiter(
        HOST, [window]
    )
    waiting = backends(safety=safety, lease_cap=0).limiter(HOST, [window])
    await run_until_window_start(holder, seconds, 0.3)
    await holder.acquire({"REQUEST_WEIGHT": 1})
    started = waiting.clock()
    served = await asyncio.wait_for(_served_at(waiting, 2), seconds)
    assert math.floor(served / seconds) == math.floor(started / seconds), "in the same window"
    end = (math.floor(started / seconds) + 1) * seconds
    # Returned 0.1 s before the lease's end (the margin, at end - safety).
    assert end - safety - 0.3 < served < end - safety, (served % seconds, end % seconds)
    assert holder._leases["REQUEST_WEIGHT"].units == 0
    # Once per window: a lease taken after that return is kept (no return per request).
    calls: list[str] = []
    run = holder.backend.run

    async def counting(script: str, keys: Any, args: Any) -> Any:
        calls.append("GIVE_BACK" if script == scripts.GIVE_BACK else "other")
        return await run(script, keys, args)

    holder.backend.run = counting  # type: ignore[method-assign]
    await holder.acquire({"REQUEST_WEIGHT": 1})
    await asyncio.sleep(0.05)
    assert "GIVE_BACK" not in calls


async def _two_waiting_behind_a_lease(
    backends: Callable[..., RedisBackend], seconds: float, *, lease_idle: float
) -> tuple[RedisRateLimiter, RedisRateLimiter]:
    """Two limiters without leases of their own, on a window of 10 in which another
    process, early in the window, spent 8 and leased the last 2 (given back after
    ``lease_idle`` seconds idle): whatever they ask waits for that room or the next
    window."""
    window = weight_window(10, seconds)
    holder = backends(safety=0.2, lease_fraction=1.0, lease_cap=0.2, lease_idle=lease_idle).limiter(
        HOST, [window]
    )
    first, second = (backends(safety=0.2, lease_cap=0).limiter(HOST, [window]) for _ in range(2))
    await run_until_window_start(holder, seconds, 0.3)
    await holder.acquire({"REQUEST_WEIGHT": 8})
    assert holder._leases["REQUEST_WEIGHT"].units == 2, "the rest of the room leased"
    return first, second


async def test_processes_refused_for_want_of_room_are_woken_in_the_order_they_asked(
    backends: Callable[..., RedisBackend],
) -> None:
    """Two processes refused one after the other for a full window; units come back for
    only one of them: the first to have asked is woken and served in the window, the
    other waits for the next window."""
    seconds = 3.0
    first, second = await _two_waiting_behind_a_lease(backends, seconds, lease_idle=0.4)
    started = first.clock()
    first_served = asyncio.ensure_future(_served_at(first, 2))
    await asyncio.sleep(0.05)  # refused and queued first
    second_served = asyncio.ensure_future(_served_at(second, 2))
    served = await asyncio.wait_for(first_served, seconds)
    assert math.floor(served / seconds) == math.floor(started / seconds), "in the same window"
    await asyncio.sleep(0.2)
    assert not second_served.done(), "no room was returned for the second"
    later = await asyncio.wait_for(second_served, 2 * seconds)
    assert math.floor(later / seconds) == math.floor(started / seconds) + 1


async def test_a_queued_request_cancelled_leaves_the_queue_so_a_returned_lease_wakes_the_next(
    backends: Callable[..., RedisBackend],
) -> None:
    """Two processes refused one after the other for a full window; the first one's request
    is cancelled while it waits. The units that come back (room for one) wake the second in
    the same window, not the first, which is gone (a wake spent on it would leave the
    second asleep to the next window)."""
    seconds = 3.0
    first, second = await _two_waiting_behind_a_lease(backends, seconds, lease_idle=0.6)
    started = first.clock()
    gone = asyncio.ensure_future(_served_at(first, 2))
    await asyncio.sleep(0.05)  # refused and queued first
    second_served = asyncio.ensure_future(_served_at(second, 2))
    await asyncio.sleep(0.05)
    client = first.backend._connection()
    key = first._keys["REQUEST_WEIGHT"]
    queue = (await client.hget(key, "q")).decode()
    assert queue.index(first.backend.id) < queue.index(second.backend.id), queue
    gone.cancel()
    with pytest.raises(asyncio.CancelledError):
        await gone
    await asyncio.sleep(0.05)
    queue = (await client.hget(key, "q")).decode()
    assert first.backend.id not in queue, "out of the queue at once"
    assert second.backend.id in queue
    served = await asyncio.wait_for(second_served, seconds)
    assert math.floor(served / seconds) == math.floor(started / seconds), "in the same window"
    assert int(await client.hget(key, "u")) == 8 + 2


async def test_a_process_leaving_the_queue_passes_on_room_it_was_woken_for(
    backends: Callable[..., RedisBackend],
) -> None:
    """Woken (taken out of the queue) just before its request was given up, a process
    leaving passes the room on: LEAVE wakes the queued ones the room covers."""
    backend = backends()
    client = backend._connection()
    seconds, now = 3600, await client.time()
    index = now[0] // seconds
    key, offset, channel = f"{backend.prefix}:leave-test", f"{backend.prefix}:no-offset", "ch"
    await client.hset(key, mapping={"i": index, "u": 8, "qi": index, "q": "later:2"})
    pubsub = client.pubsub()
    await pubsub.subscribe(channel)
    await backend.run(scripts.LEAVE, [offset, key], [0, "gone", channel, 10, seconds * 1000])
    message = None
    for _ in range(20):
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.1)
        if message is not None:
            break
    await pubsub.aclose()
    assert message is not None, "the room went to nobody"
    assert json.loads(message["data"]) == {"kind": "room", "key": key, "ids": ["later"]}
    assert (await client.hget(key, "q")) == b""


async def test_a_refusal_reports_the_shared_count_so_headers_below_it_cost_no_round_trip(
    backends: Callable[..., RedisBackend],
) -> None:
    """A refused process learns the shared count: a usage header at or below it (the
    exchange's count of the same requests) is not written to Redis (no OBSERVE)."""
    window = weight_window(10, seconds=60)
    filler = backends(safety=0.2, lease_cap=0).limiter(HOST, [window])
    refused = backends(safety=0.2, lease_cap=0).limiter(HOST, [window])
    await filler.backend.connect()
    if filler.clock() % 60 > 58:  # the window must not roll over during the test
        await asyncio.sleep(2.5)
    await filler.acquire({"REQUEST_WEIGHT": 10})
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(refused.acquire({"REQUEST_WEIGHT": 1}), 0.3)
    assert refused._leases["REQUEST_WEIGHT"].used == 10
    refused.observe({"X-USED-WEIGHT": "10"})
    assert not refused._reconciling
    assert not refused._reconcile_busy
