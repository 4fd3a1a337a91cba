"""Binance's raw stream form (``/ws/<stream>``, bare payloads) next to the combined one
(``/stream``, payloads wrapped with their stream's name), against the simulator, which
serves both from the same publisher: every documented stream it serves, each on a raw
stream of its own, gives the very messages the combined stream of them all gives, typed
alike; the raw form is one topic, refused beyond that before anything is sent."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest
from binance_ws import until
from sim_helpers import FakeClock
from sim_streams_helpers import documented_streams, fast_settings

from aioca.stream import Gap, Stream, SubscriptionError
from aioca_binance.streams import (
    BinanceMarketProtocol,
    Message,
    combined_url,
    market_stream,
    raw_url,
)
from aioca_binance_sim import BinanceSimulator

SECONDS = 20
"""Simulated seconds published: enough for most streams to say something (trades,
candles, depth), not for the rare ones (liquidations), which then agree on nothing."""


def served(sim: BinanceSimulator, market: str) -> list[str]:
    """Binance's example stream of each documented stream that ``market``'s hub serves."""
    source = sim.market_streams[market].source
    return sorted(topic for topic in documented_streams(market) if source.find(topic))


async def drain(stream: Stream[Message], into: list[Message], quiet: float = 0.1) -> None:
    """What ``stream`` receives until nothing more comes for ``quiet`` seconds (no gap
    expected)."""
    with contextlib.suppress(TimeoutError):
        while True:
            item = await stream.next(quiet)
            assert not isinstance(item, Gap), item
            into.append(item)


def by_topic(messages: list[Message]) -> dict[str, list[Any]]:
    grouped: dict[str, list[Any]] = {}
    for message in messages:
        grouped.setdefault(message.stream, []).append(message.data)
    return grouped


@pytest.mark.parametrize(
    ("market", "typed"),
    [("spot", True), ("usdm", True), ("coinm", True), ("usdm", "struct"), ("coinm", False)],
)
async def test_raw_streams_give_the_messages_the_combined_stream_gives(
    market: str, typed: Any
) -> None:
    clock = FakeClock()
    async with BinanceSimulator(seed=7, clock=clock) as sim:
        hub = sim.market_streams[market]
        hub.publish_interval = 3600.0  # the test publishes
        topics = served(sim, market)
        url, settings = sim.ws_urls[market], fast_settings(market)
        combined = market_stream(market, *topics, base_url=url, settings=settings, typed=typed)
        raws = [
            market_stream(
                market, topic, base_url=url, settings=settings, typed=typed, combined=False
            )
            for topic in topics
        ]
        async with contextlib.AsyncExitStack() as stack:
            for stream in [combined, *raws]:
                await stack.enter_async_context(stream)
            await until(lambda: sum(len(c.topics) for c in hub.connections) == 2 * len(topics))
            raw_paths = sorted(c.path for c in hub.connections if not c.combined)
            from_combined: list[Message] = []
            from_raw: list[list[Message]] = [[] for _ in raws]
            for _ in range(SECONDS):
                clock.advance(1.0)
                await hub.publish()
                await asyncio.gather(
                    drain(combined, from_combined),
                    *(drain(raw, got) for raw, got in zip(raws, from_raw, strict=True)),
                )
            # what a busy machine delivered late: the lists are compared whole, per topic
            await asyncio.gather(
                drain(combined, from_combined, 0.5),
                *(drain(raw, got, 0.5) for raw, got in zip(raws, from_raw, strict=True)),
            )
    prefix = "/public" if market == "usdm" else ""
    assert all(
        path.startswith(f"{prefix}/ws/") or path.startswith("/market/ws/") for path in raw_paths
    )
    assert sorted(path.rsplit("/", 1)[1] for path in raw_paths) == topics
    expected = by_topic(from_combined)
    for topic, got in zip(topics, from_raw, strict=True):
        assert {message.stream for message in got} <= {topic}
        assert [message.data for message in got] == expected.get(topic, []), topic
    # most streams said something: the agreement is not one of empty lists
    assert len(expected) >= len(topics) * 2 // 3, sorted(set(topics) - set(expected))
    kinds = {type(data).__name__ for data in expected.values() for data in data}
    assert ("dict" in kinds) is (typed is False)


async def test_the_raw_form_carries_one_stream_and_says_so_before_sending() -> None:
    async with BinanceSimulator(seed=7) as sim:
        url = sim.ws_urls["spot"]
        two = market_stream("spot", "btcusdt@trade", "ethusdt@trade", base_url=url, combined=False)
        with pytest.raises(SubscriptionError, match="one stream, not 2") as refused:
            await two.start()
        await two.aclose()
        assert "combined=True" in str(refused.value)
        stream = market_stream(
            "spot", "btcusdt@trade", base_url=url, settings=fast_settings("spot"), combined=False
        )
        async with stream:
            hub = sim.market_streams["spot"]
            await until(lambda: bool(hub.connections))
            with pytest.raises(SubscriptionError) as again:
                await stream.subscribe("ethusdt@trade", "BTC@trade")
            assert len(again.value.problems) == 2  # every problem named, before sending
            assert "one stream, not 3" in again.value.problems[1]
            assert stream.topics == {"btcusdt@trade"}
            assert [c.path for c in hub.connections] == ["/ws/btcusdt@trade"]


async def test_a_server_shutdown_on_a_raw_connection_rotates_it_without_a_gap() -> None:
    clock = FakeClock()
    async with BinanceSimulator(seed=7, clock=clock) as sim:
        hub = sim.market_streams["coinm"]
        hub.publish_interval = 3600.0  # the test publishes
        stream = market_stream(
            "coinm",
            "btcusd_perp@markPrice@1s",
            base_url=sim.ws_urls["coinm"],
            settings=fast_settings("coinm"),
            combined=False,
        )
        async with stream:
            await until(lambda: len(hub.connections) == 1)
            clock.advance(1.0)
            await hub.publish()
            first = await stream.next(5)
            assert await hub.shutdown(grace=5.0) == 1  # a bare serverShutdown frame
            await until(lambda: len(hub.connections) == 2)  # the successor, at once
            clock.advance(1.0)
            await hub.publish()  # the same message on both: the overlap
            second = await stream.next(5)
            await until(lambda: stream.stats.rotations == 1)
            assert [c.path for c in hub.connections] == ["/ws/btcusd_perp@markPrice@1s"]
            assert isinstance(first, Message)
            assert isinstance(second, Message)
            assert second.data.event_time > first.data.event_time
            assert stream.stats.gaps == 0
            assert stream.stats.duplicates == 1


def test_stream_names_are_matched_whole_and_sent_as_they_read() -> None:
    protocol = BinanceMarketProtocol("spot")
    with pytest.raises(SubscriptionError, match="not a spot market stream"):
        protocol.check_topics(["btcusdt@trade\n"])  # `$` alone would let the newline in
    # a query's "+" reads as a space: the name goes as %2B, the raw form's path keeps it
    url = combined_url("wss://host", ["btcusdt@kline_1m@+08:00", "!miniTicker@arr"])
    assert url == "wss://host/stream?streams=btcusdt@kline_1m@%2B08:00/!miniTicker@arr"
    assert raw_url("wss://host/", "btcusdt@kline_1m@+08:00") == (
        "wss://host/ws/btcusdt@kline_1m@+08:00"
    )
