"""Binance API objects sharing one budget through Redis, against the simulator enforcing
its weight window (429, then 418): no 429 from several "processes" (each with a backend
and connection of its own), none after Redis is killed and restarted mid-run, a ban seen
by one stops the others, one clock sync for all, and two egress addresses with a weight
budget each.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from aioca import GatherTask, RetryPolicy, errors
from aioca.limits import EgressPool
from aioca.limits.redis import RedisBackend
from aioca.limits.testing import RedisServer, redis_backends, redis_server
from aioca_binance import BinanceRestApi
from aioca_binance.coinm import (
    CoinMAccountInformation,
    CoinMFetchTicker,
    CoinMOrderBook,
    CoinMServerTime,
)
from aioca_binance_sim import BinanceSimulator

__all__ = ["redis_backends", "redis_server"]

SYMBOL = "BTCUSD_PERP"
WINDOW = 2  # seconds: the simulator's weight window, short so that tests take seconds
LIMIT = 60
NO_RETRY = RetryPolicy(attempts=1)  # a 429 would surface as an error, not be retried


@pytest.fixture
def backends(redis_backends: Callable[..., RedisBackend]) -> Callable[..., RedisBackend]:
    return redis_backends


def mixed_tasks(api: BinanceRestApi, count: int) -> list[Any]:
    kinds = [
        lambda: CoinMFetchTicker(symbol=SYMBOL, api=api),  # weight 1
        lambda: CoinMOrderBook(symbol=SYMBOL, limit=50, api=api),  # weight 2
        lambda: CoinMOrderBook(symbol=SYMBOL, limit=100, api=api),  # weight 5
    ]
    return [kinds[i % len(kinds)]() for i in range(count)]


def live_windows(api: BinanceRestApi, limit: int = LIMIT) -> None:
    api.apply_exchange_info(
        {
            "rateLimits": [
                {
                    "rateLimitType": "REQUEST_WEIGHT",
                    "interval": "SECOND",
                    "intervalNum": WINDOW,
                    "limit": limit,
                }
            ]
        }
    )


async def test_processes_sharing_redis_get_no_429_and_use_the_budget(
    backends: Callable[..., RedisBackend],
) -> None:
    async with BinanceSimulator(weight_limit=LIMIT, weight_seconds=WINDOW) as sim:
        apis = [sim.api(limiter_backend=backends(), retry=NO_RETRY) for _ in range(3)]
        for api in apis:
            live_windows(api)
        tasks = [task for api in apis for task in mixed_tasks(api, 40)]  # 3 x 104 weight
        started = time.monotonic()
        await GatherTask(*tasks).run()
        elapsed = time.monotonic() - started
        for api in apis:
            await api.close()
    total = sum(task.weight for task in tasks)
    assert all(task.exception is None for task in tasks)
    # 315 weight at 60 per 2 s: 6 windows, the first one partly gone when the run starts.
    assert elapsed >= (math.ceil(total / LIMIT) - 2) * WINDOW
    assert elapsed <= (math.ceil(total / LIMIT) + 1.5) * WINDOW


async def test_redis_killed_and_restarted_mid_run_causes_no_429(
    backends: Callable[..., RedisBackend],
) -> None:
    server = RedisServer()
    server.start()
    try:
        async with BinanceSimulator(weight_limit=LIMIT, weight_seconds=WINDOW) as sim:
            made = [
                backends(url=server.url, on_failure="local", degraded_share=0.5, retry_interval=0.2)
                for _ in range(2)
            ]
            apis = [sim.api(limiter_backend=backend, retry=NO_RETRY) for backend in made]
            for api in apis:
                live_windows(api)
            tasks = [task for api in apis for task in mixed_tasks(api, 45)]

            async def outage() -> None:
                await asyncio.sleep(1.0)
                server.kill()
                await asyncio.sleep(2.5)
                server.start()  # empty, as a Redis without persistence restarts

            await asyncio.gather(GatherTask(*tasks).run(), outage())
            degraded_seen = [backend for backend in made if backend._down_since is None]
            for api in apis:
                await api.close()
    finally:
        server.kill()
    failures = [task.exception for task in tasks if task.exception is not None]
    assert failures == []
    assert len(degraded_seen) == 2  # both are back on Redis


async def test_a_ban_seen_by_one_process_stops_the_others_before_they_send(
    backends: Callable[..., RedisBackend],
) -> None:
    async with BinanceSimulator(
        weight_limit=LIMIT, weight_seconds=WINDOW, ban_after=1, ban_seconds=30
    ) as sim:
        one = sim.api(limiter_backend=backends(), retry=NO_RETRY)
        other = sim.api(limiter_backend=backends(), retry=NO_RETRY)
        for api in (one, other):
            await CoinMFetchTicker(symbol=SYMBOL, api=api).run()  # both hold leases
        # The exchange bans the address: another program on it overran the limit.
        now = time.time()
        state = sim.limits.state("127.0.0.1")
        state.banned_until = now + 30
        with pytest.raises(errors.IPBannedError):
            await CoinMFetchTicker(symbol=SYMBOL, api=one).run()
        await asyncio.sleep(0.1)
        used_before = sim.limits.used_weight("127.0.0.1", time.time())
        with pytest.raises(errors.IPBannedError) as caught:
            await CoinMFetchTicker(symbol=SYMBOL, api=other).run()
        assert sim.limits.used_weight("127.0.0.1", time.time()) == used_before  # not sent
        assert caught.value.retry_after is not None
        assert caught.value.retry_after > 25
        for api in (one, other):
            await api.close()


async def test_one_clock_sync_serves_every_process(
    backends: Callable[..., RedisBackend],
) -> None:
    async with BinanceSimulator() as sim:
        sim.faults.clock_skew_ms = 3000
        first = sim.api(limiter_backend=backends())
        second = sim.api(limiter_backend=backends())
        reads: list[str] = []
        for name, api in (("first", first), ("second", second)):
            read = api._read_server_time

            async def counting(url: str, read: Any = read, name: str = name) -> Any:
                reads.append(name)
                return await read(url)

            api._read_server_time = counting  # type: ignore[method-assign]
        await CoinMAccountInformation(api=first).run()  # signed: syncs the clock first
        assert reads == ["first"]
        await CoinMAccountInformation(api=second).run()
        assert reads == ["first"]  # the second process took the shared offset
        assert abs(second.time_offset_ms - first.time_offset_ms) < 30
        assert abs(second.time_offset_ms - 3000) < 100
        for api in (first, second):
            await api.close()


async def test_an_egress_pool_uses_the_weight_budget_of_each_address(
    backends: Callable[..., RedisBackend],
) -> None:
    async with BinanceSimulator(weight_limit=30, weight_seconds=WINDOW) as sim:
        backend = backends()
        pool = EgressPool.over(
            ["127.0.0.1", "127.0.0.2"],
            lambda ip: sim.api(local_address=ip, limiter_backend=backend, retry=NO_RETRY),
        )
        for api in pool:
            live_windows(api, 30)
        await CoinMServerTime(api=pool.apis[0]).run()
        started = time.monotonic()
        tasks = [pool.route(CoinMFetchTicker(symbol=SYMBOL)) for _ in range(50)]
        await GatherTask(*tasks).run()
        elapsed = time.monotonic() - started
        await pool.close()
    assert all(task.exception is None for task in tasks)
    carried = {task.task.api.local_address for task in tasks}
    assert carried == {"127.0.0.1", "127.0.0.2"}  # both addresses carried requests
    assert elapsed < 2 * WINDOW + 1  # 51 weight at 30 per address: two windows at most


PAGE = Path(__file__).resolve().parents[3] / "docs" / "many-processes.md"
README = PAGE.read_text(encoding="utf-8")


async def test_the_readme_example_runs(
    redis_server: RedisServer, capsys: pytest.CaptureFixture[str]
) -> None:
    readme = README
    section = readme.split("# Running many processes", 1)[1]
    block = section.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, Any] = {}
    exec(compile(block, "README.md", "exec"), namespace)
    async with BinanceSimulator() as sim:
        await namespace["main"](redis_server.url, sim.url)
    printed = capsys.readouterr().out
    assert printed.startswith("BTCUSD_PERP ")
    assert "REQUEST_WEIGHT" in printed
