"""The simulator's Spot market streams, consumed by the client's stream code: typed, on
Spot's own port; payloads shaped as Binance documents them; a local order book identical
to the simulator's own book through drops and skipped updates (Spot's ``U``/``u`` rule)."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from binance_ws import until
from sim_helpers import FakeClock

from aioca.stream import Backoff, Gap
from aioca_binance.streams import (
    BookUpdate,
    LocalOrderBook,
    Resynced,
    market_settings,
    market_stream,
)
from aioca_binance.streams import spot as models
from aioca_binance_sim import BinanceSimulator
from aioca_binance_sim.spot.feeds import SpotFeeds

SPEC = Path(__file__).resolve().parents[1] / "spec" / "binance-ws-streams.json"
FAST = market_settings(
    "spot", heartbeat=None, messages_per_second=None, backoff=Backoff(0.01, 0.02, minimum=0.005)
)
TOPICS = {
    "btcusdt@trade": models.Trade,
    "btcusdt@aggTrade": models.AggTrade,
    "btcusdt@depth@100ms": models.DiffBookDepth,
    "btcusdt@depth5": models.PartialBookDepth,
    "btcusdt@bookTicker": models.BookTicker,
    "btcusdt@kline_1m": models.Kline,
    "btcusdt@ticker": models.Ticker,
    "btcusdt@miniTicker": models.MiniTicker,
    "btcusdt@avgPrice": models.AvgPrice,
}


def _documented() -> dict[str, Any]:
    streams = json.loads(SPEC.read_text(encoding="utf-8"))["markets"]["spot"]["streams"]
    return {entry["example_stream"]: entry["example_payload"] for entry in streams}


def _served(topic: str) -> bool:
    return SpotFeeds.find(SpotFeeds, topic) is not None  # type: ignore[arg-type]


def _shape(value: Any) -> Any:
    """Keys and value types, recursively (lists by their first item)."""
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    return type(value).__name__


@pytest.mark.parametrize("topic", [t for t in _documented() if _served(t)])
def test_every_served_stream_is_shaped_as_binance_documents_it(topic: str) -> None:
    async def build() -> list[Any]:
        async with BinanceSimulator(seed=3) as sim:
            source = sim.market_streams["spot"].source
            found = source.find(topic)
            assert found is not None
            feed, match = found
            symbol = source.instrument(match.group("symbol").upper())
            second = sim.now_ms() // 1000
            second -= second % 60  # a second with a trade in it
            return source.build(feed, symbol, match, second)

    payloads = asyncio.run(build())
    assert payloads
    for payload in payloads:
        assert _shape(payload) == _shape(_documented()[topic])


def test_the_served_streams_cover_the_symbol_streams_listed() -> None:
    served = {topic for topic in _documented() if _served(topic)}
    assert {
        "btcusdt@trade",
        "btcusdt@aggTrade",
        "btcusdt@depth@100ms",
        "btcusdt@depth10@100ms",
        "btcusdt@bookTicker",
        "btcusdt@kline_1m",
        "btcusdt@ticker",
        "btcusdt@miniTicker",
        "btcusdt@avgPrice",
    } <= served


async def test_market_streams_arrive_typed_on_spot_s_port() -> None:
    clock = FakeClock()
    async with BinanceSimulator(seed=4, clock=clock) as sim:
        hub = sim.market_streams["spot"]
        hub.publish_interval = 3600.0  # the test publishes
        stream = market_stream("spot", *TOPICS, base_url=sim.ws_urls["spot"], settings=FAST)
        seen: dict[str, Any] = {}
        async with stream:
            await until(lambda: sum(len(c.topics) for c in hub.connections) == len(TOPICS))
            for _ in range(180):
                clock.advance(1.0)
                await hub.publish()
                while True:
                    try:
                        item = await stream.next(0.2)
                    except TimeoutError:
                        break
                    if not isinstance(item, Gap):
                        seen.setdefault(item.stream, item.data)
                if len(seen) == len(TOPICS):
                    break
        other = sim.market_streams["usdm"]
        assert not other.connections  # Spot's streams are Spot's hub's
    assert sorted(seen) == sorted(TOPICS)
    for topic, model in TOPICS.items():
        assert isinstance(seen[topic], model), topic
    assert seen["btcusdt@trade"].symbol == "BTCUSDT"
    assert seen["btcusdt@aggTrade"].price > 0


async def test_a_diff_continues_the_rest_snapshot_by_spot_s_rule() -> None:
    clock = FakeClock()
    async with BinanceSimulator(seed=6, clock=clock) as sim, aiohttp.ClientSession() as http:
        source = sim.market_streams["spot"].source
        feed, match = source.find("btcusdt@depth")  # type: ignore[misc]
        spec = source.instrument("BTCUSDT")
        for _ in range(25):
            clock.advance(0.37)
            url = sim.urls["spot"] + "/api/v3/depth?symbol=BTCUSDT&limit=20"
            async with http.get(url) as response:
                snapshot = await response.json()
            second = sim.now_ms() // 1000
            (diff,) = source.build(feed, spec, match, second)
            (following,) = source.build(feed, spec, match, second + 1)
            last = snapshot["lastUpdateId"]
            assert diff["U"] <= last <= diff["u"]  # the snapshot is this second's book
            assert following["U"] == diff["u"] + 1


def sim_book(sim: BinanceSimulator, symbol: str, update_id: int) -> tuple[dict, dict]:
    venue = sim.venues["spot"]
    spec = venue.symbols[symbol]
    bids, asks = venue.tape.book_levels(spec, update_id // 10 * 1000, venue.tape.book_depth)

    def side(levels: list[tuple[int, int]]) -> dict[Decimal, Decimal]:
        return {spec.tick * tick: spec.step * steps for tick, steps in levels}

    return side(bids), side(asks)


async def test_the_book_matches_the_simulator_after_every_event_through_gaps() -> None:
    clock = FakeClock()
    async with BinanceSimulator(seed=11, clock=clock) as sim:
        venue = sim.venues["spot"]
        venue.tape.book_depth = 60
        hub = sim.market_streams["spot"]
        hub.publish_interval = 3600.0
        api = sim.api()
        book = LocalOrderBook(
            "spot", "BTCUSDT", api=api, limit=1000, base_url=sim.ws_urls["spot"], settings=FAST
        )
        checked = mismatches = 0
        events: list[Any] = []
        progressed = asyncio.Event()

        async def reached(target: int) -> bool:
            async with asyncio.timeout(5.0):
                while not (book.synced and book.update_id >= target):
                    await progressed.wait()
                    progressed.clear()
            return True

        async def consume() -> None:
            nonlocal checked, mismatches
            async for event in book:
                events.append(event)
                bids, asks = sim_book(sim, "BTCUSDT", book.update_id)
                checked += 1
                if book.bids != bids or book.asks != asks:
                    mismatches += 1
                progressed.set()

        async with api, book:
            consumer = asyncio.create_task(consume())
            await until(lambda: len(hub.connections) == 1)
            await until(lambda: bool(hub.connections[0].topics))
            for step in range(1000):
                clock.advance(1.0)
                if step % 400 == 150:
                    await hub.drop()
                    await until(lambda: len(hub.connections) == 1)
                if step % 400 == 300:
                    hub.skip_update("BTCUSDT")
                    await hub.publish()
                    continue  # nothing to see until the next diff shows the jump
                await hub.publish()
                assert await reached(int(clock.now) * 10 + 9), step
            consumer.cancel()
            await asyncio.gather(consumer, return_exceptions=True)
    updates = [event for event in events if isinstance(event, BookUpdate)]
    reasons = [e.reason.split(":")[0] for e in events if isinstance(e, Resynced)]
    assert mismatches == 0
    assert checked == len(events) > 900
    assert len(updates) > 900
    assert reasons[0] == "start"
    assert reasons.count("gap") >= 2  # the drops
    assert reasons.count("sequence") >= 2  # the skipped updates (U did not follow u)
