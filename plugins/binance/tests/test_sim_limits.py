"""The simulator's rate limits, as Binance's: IP weight per minute and order counts per
10 s and per minute in the response headers, 429 with ``Retry-After`` past a limit, 418
for a client that keeps going, and aioca's limiter waiting on what the headers say."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from sim_helpers import FakeClock, limit_price

from aioca import RetryPolicy, errors
from aioca_binance.coinm import CoinMExchangeInformation, CoinMNewOrder, CoinMPing
from aioca_binance_sim import BinanceSimulator

MINUTE_START = 1_795_000_020.0  # a whole minute (1_795_000_020 = 29_916_667 * 60)


PATHS = (
    "ping",
    "ping",
    "depth?symbol=BTCUSD_PERP&limit=5",
    "depth?symbol=BTCUSD_PERP&limit=100",
    "ticker/price",
    "ticker/price?symbol=BTCUSD_PERP",
    "klines?symbol=BTCUSD_PERP&interval=1m&limit=1000",
)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(MINUTE_START + 40)  # 20 s before the next minute


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def get(http: aiohttp.ClientSession, url: str) -> tuple[int, Any, Any]:
    async with http.get(url) as response:
        return response.status, response.headers, await response.json(content_type=None)


async def test_weight_header_counts_each_endpoint_weight(
    clock: FakeClock, http: aiohttp.ClientSession
) -> None:
    async with BinanceSimulator(weight_limit=100, clock=clock) as sim:
        used = []
        for path in PATHS:
            status, headers, _ = await get(http, f"{sim.url}/dapi/v1/{path}")
            assert status == 200
            used.append(int(headers["X-MBX-USED-WEIGHT-1M"]))
        # ping 1, 1; depth limit 5 -> 2, limit 100 -> 5; all tickers 2, one 1; 1000 klines 5
        assert used == [1, 2, 4, 9, 11, 12, 17]
        assert "X-MBX-ORDER-COUNT-1M" not in headers
        clock.advance(20)  # a new minute: the window restarts
        status, headers, _ = await get(http, f"{sim.url}/dapi/v1/ping")
        assert headers["X-MBX-USED-WEIGHT-1M"] == "1"


async def test_429_with_retry_after_then_418_when_the_client_keeps_going(
    clock: FakeClock, http: aiohttp.ClientSession
) -> None:
    async with BinanceSimulator(weight_limit=3, clock=clock, ban_after=2, ban_seconds=300) as sim:
        for _ in range(3):
            assert (await get(http, f"{sim.url}/dapi/v1/ping"))[0] == 200
        status, headers, body = await get(http, f"{sim.url}/dapi/v1/ping")
        assert status == 429
        assert headers["Retry-After"] == "20"
        assert body["code"] == -1003
        assert body["msg"].startswith("Too many requests; current limit of IP(127.0.0.1) is 3")
        assert (await get(http, f"{sim.url}/dapi/v1/ping"))[0] == 429
        status, headers, body = await get(http, f"{sim.url}/dapi/v1/ping")
        assert status == 418
        assert headers["Retry-After"] == "300"
        until = int((clock.now + 300) * 1000)
        assert f"IP(127.0.0.1) banned until {until}" in body["msg"]
        clock.advance(60)  # a new minute does not lift a ban
        assert (await get(http, f"{sim.url}/dapi/v1/ping"))[0] == 418
        sim.reset_limits()
        status, headers, _ = await get(http, f"{sim.url}/dapi/v1/ping")
        assert (status, headers["X-MBX-USED-WEIGHT-1M"]) == (200, "1")


async def test_order_counts_are_reported_and_limited(clock: FakeClock) -> None:
    async with (
        BinanceSimulator(order_limit_10s=2, order_limit_1m=3, clock=clock) as sim,
        sim.api(retry=RetryPolicy(attempts=1)) as api,
    ):
        price = limit_price(sim, "BTCUSD_PERP", 0.97)

        def order() -> CoinMNewOrder:
            return CoinMNewOrder(
                symbol="BTCUSD_PERP", side="BUY", type="LIMIT", quantity=1, price=price,
                timeInForce="GTC", api=api,
            )  # fmt: skip

        await order().run()
        await order().run()
        with pytest.raises(errors.RateLimitError) as caught:
            await order().run()
        assert caught.value.code == -1015
        assert caught.value.retry_after == 10 - (clock.now % 10)
        clock.advance(10)  # both clocks: the API's limiter paused for Retry-After
        api.time_offset_ms += 10_000
        await order().run()  # a new 10 s window; the minute still has room for one
        status = {w.name: w.used for w in next(iter(api.rate_limit_status().values()))}
        assert status["ORDERS_10S"] == 1
        assert status["ORDERS"] >= 3  # at least X-MBX-ORDER-COUNT-1M
        with pytest.raises(errors.RateLimitError, match="orders per 1 MINUTE"):
            await order().run()


async def test_aioca_reads_the_limits_and_waits_instead_of_hitting_429(
    clock: FakeClock,
) -> None:
    clock.now = MINUTE_START + 1
    slept: list[float] = []
    apis: list[Any] = []

    class BothClocks:
        """The API's timer: its limiter's wait moves both clocks, the simulator's and the
        API's (whose offset follows the simulator's)."""

        def __call__(self) -> float:
            return time.time()

        async def sleep(self, seconds: float) -> None:
            slept.append(seconds)
            clock.advance(seconds)
            apis[0].time_offset_ms += int(seconds * 1000) + 1

    async with (
        BinanceSimulator(weight_limit=6, clock=clock) as sim,
        sim.api(retry=RetryPolicy(attempts=1), time_sync_interval=None, timer=BothClocks()) as api,
    ):
        apis.append(api)
        api.time_offset_ms = sim.now_ms() - int(time.time() * 1000)
        info = await CoinMExchangeInformation(api=api).run()
        assert info["rateLimits"][0] == {
            "rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6,
        }  # fmt: skip
        for _ in range(9):  # 10 weight in all: 4 over the limit of this minute
            assert await CoinMPing(api=api).run() == {}
    assert slept, "the limiter should have waited for the next minute"
    assert 58 <= sum(slept) <= 61


async def test_429_and_418_become_aioca_errors_with_retry_after(clock: FakeClock) -> None:
    async with (
        BinanceSimulator(weight_limit=1, clock=clock, ban_after=1) as sim,
        sim.api(retry=RetryPolicy(attempts=1), time_sync_interval=None) as api,
    ):
        await CoinMPing(api=api).run()
        with pytest.raises(errors.RateLimitError) as limited:
            await api.request("GET", f"{sim.url}/dapi/v1/ping", idempotent=False)
        assert limited.value.retry_after == 20
        async with sim.api(retry=RetryPolicy(attempts=1), time_sync_interval=None) as fresh:
            with pytest.raises(errors.IPBannedError) as banned:
                await CoinMPing(api=fresh).run()
        assert banned.value.status == 418
        assert banned.value.retry_after == 120
