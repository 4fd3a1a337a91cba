"""OKX's WebSocket limits: 3 connection requests per second per IP, and 480
subscribe/unsubscribe requests per hour per connection (``aioca_okx.streams.limits``)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from okx_ws_helpers import FAST, OkxDialect, ws

from aioca import RateLimiter, Window
from aioca.stream import ConnectionLimiter, SubscriptionError
from aioca_okx.streams import (
    SETTINGS,
    OkxOrderBook,
    connection_limiter,
    okx_settings,
    public_stream,
    subscribe_limiter,
)
from aioca_okx.streams.limits import SUBSCRIBE_UNIT, new_connection_limiter, opening_requests


def most_in_any(times: list[float], span: float) -> int:
    """The most of ``times`` that fall in one rolling interval of ``span`` seconds."""
    return max(sum(1 for other in times if start <= other < start + span) for start in times)


def fake_time(start: float) -> tuple[Callable[[], float], Callable[[float], Awaitable[None]]]:
    now = [start]

    def clock() -> float:
        return now[0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    return clock, sleep


async def attempts_back_to_back(start: float, count: int) -> list[float]:
    """When OKX's connection limiter (on a fake clock starting at ``start``) admits
    ``count`` attempts that each ask as soon as the one before was admitted."""
    clock, sleep = fake_time(start)
    limiter = new_connection_limiter(clock=clock, sleep=sleep)
    times = []
    for _ in range(count):
        await limiter.acquire({"CONNECTIONS": 1})
        times.append(clock())
    return times


@pytest.mark.parametrize("start", [0.0, 0.3, 0.49, 0.74, 0.76, 0.999, 1234.567])
async def test_no_rolling_second_holds_more_than_okx_s_three_attempts(start: float) -> None:
    times = await attempts_back_to_back(start, 40)
    assert most_in_any(times, 1.0) <= 3  # OKX: 3 connection requests per second per IP
    # an attempt that reaches OKX 0.2 s sooner after leaving than the one three before
    # it (network jitter) still does not make a fourth in OKX's second
    assert most_in_any(times, 1.2) <= 3


@pytest.mark.parametrize("start", [0.0, 0.74, 1234.567])
async def test_attempts_back_to_back_go_more_than_two_a_second(start: float) -> None:
    times = await attempts_back_to_back(start, 40)
    assert times[2] - times[0] < 0.5  # a burst of three does not wait for the clock
    assert 39 / (times[-1] - times[0]) > 2.2  # OKX's third attempt a second is used


def test_one_connection_limiter_per_host() -> None:
    public = connection_limiter("wss://ws.okx.com:8443/ws/v5/public")
    assert isinstance(public, ConnectionLimiter)
    assert connection_limiter("wss://ws.okx.com:8443/ws/v5/business") is public
    assert connection_limiter("wss://wspap.okx.com:8443/ws/v5/public") is not public
    assert public_stream("tickers:BTC-USDT").protocol.connection_limiter is public
    assert OkxOrderBook("BTC-USDT").stream.protocol.connection_limiter is public


async def test_connection_attempts_reach_the_server_paced() -> None:
    async with ws.WsFaultServer(OkxDialect()) as server:
        topics = [f"tickers:COIN{number}-USDT" for number in range(5)]
        streams = [public_stream(topic, url=server.url, settings=FAST) for topic in topics]
        try:
            await asyncio.gather(*(stream.start() for stream in streams))
            await server.wait_for_connections(5)
        finally:
            await asyncio.gather(*(stream.aclose() for stream in streams))
        opened = sorted(connection.opened for connection in server.history)
    assert most_in_any(opened, 1.0) <= 3
    assert opened[2] - opened[0] < 0.75  # the first three at once, not 0.5 s apart


async def test_reconnections_are_paced_too() -> None:
    async with ws.WsFaultServer(OkxDialect(), lifetime=0.01) as server:  # each dies at once
        async with public_stream("tickers:BTC-USDT", url=server.url, settings=FAST):
            await server.wait_for_connections(5)
        opened = [connection.opened for connection in server.history]
    assert most_in_any(opened, 1.0) <= 3
    assert opened[2] - opened[0] < 0.75  # reconnecting at once while the second allows


def test_the_subscribe_budget_keeps_every_connection_under_480_an_hour() -> None:
    limiter = subscribe_limiter(SETTINGS)
    assert opening_requests(SETTINGS) == 12  # 240 topics, 20 a request
    assert limiter.windows == (Window(SUBSCRIBE_UNIT, 234, 3600.0),)
    with pytest.raises(ValueError, match="leave nothing"):
        subscribe_limiter(okx_settings(topics_per_message=1, max_topics_per_connection=480))


async def test_no_rolling_hour_holds_more_than_480_requests() -> None:
    clock, sleep = fake_time(1800.0)
    limiter = RateLimiter(subscribe_limiter(SETTINGS).windows, clock=clock, sleep=sleep)
    times = []
    for _ in range(1000):
        await limiter.acquire({SUBSCRIBE_UNIT: 1})
        times.append(clock())
    assert most_in_any(times, 3600.0) + opening_requests(SETTINGS) <= 480


def tiny_budget(limit: int) -> RateLimiter:
    return RateLimiter([Window(SUBSCRIBE_UNIT, limit, 3600.0)])


async def test_a_spent_budget_refuses_before_sending() -> None:
    dialect = OkxDialect()
    async with ws.WsFaultServer(dialect) as server:
        stream = public_stream("tickers:BTC-USDT", url=server.url, settings=FAST,
                               subscribe_limiter=tiny_budget(4), budget_wait=0.1)  # fmt: skip
        async with stream:
            await server.wait_for_subscribers("tickers:BTC-USDT")
            await stream.subscribe("tickers:ETH-USDT")  # 2: with its possible take-back
            await stream.subscribe("tickers:ETH-USDT")  # subscribed already: free
            await stream.subscribe("trades:ETH-USDT")
            with pytest.raises(SubscriptionError, match="480") as caught:
                await stream.subscribe("trades:SOL-USDT", "tickers:SOL-USDT")
            assert "trades:SOL-USDT, tickers:SOL-USDT" in str(caught.value)
            with pytest.raises(SubscriptionError, match="unsubscribe of tickers:ETH-USDT"):
                await stream.unsubscribe("tickers:ETH-USDT")
            sent = [arg["instId"] for request in dialect.requests for arg in request["args"]]
            assert "SOL-USDT" not in sent
            assert [r["op"] for r in dialect.requests] == ["subscribe"] * 3  # opening + 2
            assert stream.topics == {"tickers:BTC-USDT", "tickers:ETH-USDT", "trades:ETH-USDT"}


async def test_the_budget_is_charged_per_request_and_bad_topics_spend_none() -> None:
    async with ws.WsFaultServer(OkxDialect()) as server:
        budget = tiny_budget(100)
        stream = public_stream("tickers:BTC-USDT", url=server.url, settings=FAST,
                               subscribe_limiter=budget)  # fmt: skip
        async with stream:
            await server.wait_for_subscribers("tickers:BTC-USDT")
            with pytest.raises(SubscriptionError):
                await stream.subscribe("nope:BTC-USDT")
            assert budget.status()[0].used == 0
            await stream.subscribe(*(f"trades:COIN{number}-USDT" for number in range(45)))
            # 45 topics, 20 a request, each with the unsubscribe of its possible take-back
            assert budget.status()[0].used == 6
            await stream.unsubscribe("trades:COIN0-USDT", "trades:NEVER-USDT")
            assert budget.status()[0].used == 7
            with pytest.raises(SubscriptionError, match="'trades:NEVER-USDT' is not subscribed"):
                await stream.resubscribe("trades:COIN1-USDT", "trades:NEVER-USDT")
            assert budget.status()[0].used == 7  # refused before anything is charged
            await stream.resubscribe("trades:COIN1-USDT", "trades:COIN2-USDT")
            assert budget.status()[0].used == 9  # an unsubscribe and a subscribe request


async def test_a_refused_subscribe_is_charged_for_the_unsubscribe_that_takes_it_back() -> None:
    """OKX accepts the channels of a request it can and refuses the others; the core then
    takes back what it accepted with an unsubscribe on that connection. That request
    counts in OKX's 480 an hour too: every request sent after the opening is charged
    before it is sent, never after, so the budget is never overdrawn."""
    dialect = OkxDialect(answer_each=True)
    async with ws.WsFaultServer(dialect) as server:
        budget = tiny_budget(100)
        stream = public_stream("tickers:BTC-USDT", url=server.url, settings=FAST,
                               subscribe_limiter=budget)  # fmt: skip
        async with stream:
            await server.wait_for_subscribers("tickers:BTC-USDT")
            server.refuse.add("tickers:NOPE-USDT")
            with pytest.raises(SubscriptionError, match="60018"):
                await stream.subscribe("tickers:ETH-USDT", "tickers:NOPE-USDT")
            ops = [request["op"] for request in dialect.requests]
            assert ops == ["subscribe", "subscribe", "unsubscribe"]  # opening, call, take-back
            assert budget.status()[0].used == len(ops) - 1


async def test_a_budget_that_frees_soon_is_waited_for() -> None:
    clock, _sleep = fake_time(0.9)
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        await _sleep(seconds)

    budget = RateLimiter([Window(SUBSCRIBE_UNIT, 2, 1.0)], clock=clock, sleep=sleep, safety=0)
    async with ws.WsFaultServer(OkxDialect()) as server:
        stream = public_stream("tickers:BTC-USDT", url=server.url, settings=FAST,
                               subscribe_limiter=budget)  # fmt: skip
        async with stream:
            await server.wait_for_subscribers("tickers:BTC-USDT")
            await stream.subscribe("tickers:ETH-USDT")
            await stream.subscribe("tickers:SOL-USDT")  # waits for the next window
            assert slept == [pytest.approx(0.1)]
            assert stream.topics == {"tickers:BTC-USDT", "tickers:ETH-USDT", "tickers:SOL-USDT"}
