"""The simulator's streams as fast and as complete as Binance documents them (issue #15):
every documented candle interval on every market's kline-like streams, served over a live
connection; futures depth streams at their speed (``@100ms`` ten updates a second,
``@250ms`` / Binance's default four, ``@500ms`` two), one continuous ``U``/``u``/``pu``
chain at every speed that rebuilds the REST depth snapshot."""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any

import aiohttp
import pytest
from binance_ws import until
from depth_follow import DEPTH, apply_levels, follow_depth
from sim_helpers import FakeClock
from sim_streams_helpers import published, rest_get, ws_spec

from aioca_binance_sim import BinanceSimulator

_NAMES = {
    "spot": {"<symbol>": "btcusdt", "<pair>": "btcusdt"},
    "usdm": {"<symbol>": "btcusdt", "<pair>": "btcusdt"},
    "coinm": {"<symbol>": "btcusd_perp", "<pair>": "btcusd"},
}
"""What each market's placeholders become: a symbol and a pair the simulator lists."""

UNSERVED = {("usdm", "<pair>_<contractType>@continuousKline_<interval>", "1s")}
"""Documented but not served, on purpose of a missing model: USDⓈ-M has no 1 s candles
(``/fapi/v1/continuousKlines`` refuses ``1s`` too). The test checks they stay refused, so
whoever adds them updates this."""


def _interval_topics() -> list[tuple[str, str, str, str]]:
    """``(market, pattern, interval, topic)`` of every documented interval of every
    kline-like stream (a stream with an ``interval`` parameter)."""
    cases = []
    for market, entry in ws_spec()["markets"].items():
        for stream in entry["streams"]:
            params = {p["name"]: p for p in stream["params"]}
            if "interval" not in params:
                continue
            for interval in params["interval"]["enum"]:
                topic = stream["stream"].replace("<interval>", interval)
                topic = topic.replace("<contractType>", "perpetual")
                for placeholder, name in _NAMES[market].items():
                    topic = topic.replace(placeholder, name)
                cases.append((market, stream["stream"], interval, topic))
    return cases


CASES = _interval_topics()


def test_the_documented_intervals_are_many() -> None:
    markets = {market for market, *_ in CASES}
    assert markets == {"spot", "usdm", "coinm"}
    assert ("coinm", "btcusd_perp@kline_4h") in {(m, t) for m, _, _, t in CASES}
    assert len(CASES) > 90


@pytest.mark.parametrize(("market", "pattern", "interval", "topic"), CASES)
def test_every_documented_interval_is_served(
    market: str, pattern: str, interval: str, topic: str
) -> None:
    async def build() -> tuple[Any, list[Any]]:
        async with BinanceSimulator(seed=3) as sim:
            found = sim.market_streams[market].source.find(topic)
            if found is None:
                return None, []
            return found, published(sim, market, topic, sim.now_ms() // 1000)

    found, payloads = asyncio.run(build())
    if (market, pattern, interval) in UNSERVED:
        assert found is None
        return
    assert found is not None, topic
    (payload,) = payloads
    candle = payload["k"]
    assert candle["i"] == interval
    assert candle["t"] <= payload["E"] <= candle["T"] + 1


@pytest.mark.parametrize(
    ("market", "topic"),
    [
        ("coinm", "btcusd_perp@kline_4h"),
        ("coinm", "btcusd_perp@kline_1M"),
        ("usdm", "btcusdt@kline_1d"),
    ],
)
async def test_a_long_candle_stream_opens_and_streams(market: str, topic: str) -> None:
    """The reviewer's case: ``/ws/<symbol>@kline_4h`` on COIN-M was refused with HTTP 400."""
    async with (
        BinanceSimulator(seed=3) as sim,
        aiohttp.ClientSession() as http,
        http.ws_connect(f"{sim.ws_urls[market]}/ws/{topic}") as ws,
    ):
        event = await ws.receive_json(timeout=5)
    assert event["e"] == "kline"
    assert event["k"]["i"] == topic.rsplit("_", 1)[1]


# --- depth at its documented speed ------------------------------------------------------


@pytest.mark.parametrize(
    ("market", "suffix", "per_second"),
    [
        ("coinm", "@100ms", 10),
        ("coinm", "@500ms", 2),
        ("coinm", "", 4),  # Binance's default: 250 ms
        ("usdm", "@100ms", 10),
        ("usdm", "@250ms", 4),
        ("usdm", "@500ms", 2),
    ],
)
async def test_a_diff_stream_updates_at_its_speed_and_rebuilds_the_rest_book(
    market: str, suffix: str, per_second: int
) -> None:
    seconds = 5
    run = await follow_depth(market, [suffix], seconds)
    (diffs,) = run["diffs"].values()
    assert seconds * per_second - 1 <= len(diffs) <= seconds * per_second + 1
    assert sum(1 for d in diffs if d["b"] or d["a"]) >= len(diffs) * 0.9  # the book moves
    assert all(d["U"] == d["pu"] + 1 for d in diffs)
    chain = [(later["pu"], earlier["u"]) for earlier, later in itertools.pairwise(diffs)]
    assert all(pu == u for pu, u in chain)
    # Binance's recipe: the snapshot, then every diff from the one spanning its id.
    snapshot, final = run["snapshot"], run["final"]
    last = snapshot["lastUpdateId"]
    bids = dict(map(tuple, snapshot["bids"]))
    asks = dict(map(tuple, snapshot["asks"]))
    following = [d for d in diffs if d["u"] >= last]
    assert following[0]["U"] <= last <= following[0]["u"]
    for diff in following:
        apply_levels(bids, diff["b"])
        apply_levels(asks, diff["a"])
    assert following[-1]["u"] == final["lastUpdateId"]
    assert bids == dict(map(tuple, final["bids"]))
    assert asks == dict(map(tuple, final["asks"]))


@pytest.mark.parametrize("market", ["coinm", "usdm"])
async def test_the_update_ids_are_one_chain_at_every_speed(market: str) -> None:
    """A slower stream's diffs end where some of the 100 ms stream's do, so a client can
    switch speeds (or follow two) with one sequence of ids."""
    suffixes = ["@100ms", "@500ms", ""] + (["@250ms"] if market == "usdm" else [])
    run = await follow_depth(market, suffixes, 3)
    fast, *slow = run["diffs"].values()
    ends = {d["u"] for d in fast}
    for diffs in slow:
        assert diffs
        assert {d["u"] for d in diffs} <= ends
        assert {d["pu"] for d in diffs[1:]} <= ends


@pytest.mark.parametrize("market", ["coinm", "usdm"])
async def test_partial_depth_at_100ms_is_the_book_of_each_moment(market: str) -> None:
    symbol, path = DEPTH[market]
    clock = FakeClock()
    async with BinanceSimulator(seed=9, clock=clock) as sim:
        hub = sim.market_streams[market]
        hub.publish_interval = 3600.0
        if market == "coinm":
            instrument = sim.market.instruments[symbol.upper()]
            book = lambda moment: sim.market.book(instrument, moment, 10)  # noqa: E731
        else:
            venue = sim.venues["usdm"]
            book = lambda moment: venue.market.book(venue.symbols["BTCUSDT"], moment, 10)  # noqa: E731
        url = f"{sim.ws_urls[market]}/ws/{symbol}@depth10@100ms"
        async with aiohttp.ClientSession() as http, http.ws_connect(url) as ws:
            await until(lambda: bool(hub.connections))
            await hub.publish()
            first = await ws.receive_json(timeout=5)
            clock.advance(1.0)
            await hub.publish()
            books = [await ws.receive_json(timeout=5) for _ in range(10)]
            rest = await rest_get(sim, market, path, symbol=symbol.upper(), limit=10)
    assert [b["T"] - first["T"] for b in books] == list(range(100, 1001, 100))
    assert [b["u"] - b["pu"] for b in books] == [1000] * 10
    assert books[0]["pu"] == first["u"]
    assert all((b["b"], b["a"]) == tuple(book(b["T"])) for b in books)
    assert books[-1]["u"] == rest["lastUpdateId"]
    assert (books[-1]["b"], books[-1]["a"]) == (rest["bids"], rest["asks"])


async def test_a_live_100ms_stream_sends_about_ten_a_second() -> None:
    """The running publisher (50 ms passes, real time), not a test publishing."""
    async with BinanceSimulator(seed=3) as sim, aiohttp.ClientSession() as http:
        url = f"{sim.ws_urls['coinm']}/ws/btcusd_perp@depth@100ms"
        async with http.ws_connect(url) as ws:
            await ws.receive_json(timeout=5)
            started = time.monotonic()
            count = 0
            while time.monotonic() - started < 2.0:
                await ws.receive_json(timeout=5)
                count += 1
    assert 15 <= count <= 25
