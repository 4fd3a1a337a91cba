"""The simulator's USDⓈ-M continuous-contract klines and RPI depth diffs: typed through
aioca's client, and saying what ``/fapi/v1/continuousKlines`` and ``/fapi/v1/rpiDepth``
answer at the same fake-clock moment. (Their shapes: the documented-shape test of
``test_sim_streams_usdm.py``, which covers every served topic.)"""

from __future__ import annotations

import contextlib
import itertools
from typing import Any

import aiohttp
from binance_ws import until
from sim_helpers import FakeClock

from aioca.stream import Backoff, Gap
from aioca_binance.streams import market_settings, market_stream
from aioca_binance.streams import usdm as models
from aioca_binance_sim import BinanceSimulator
from aioca_binance_sim.usdm.feeds import find_usdm_feed

FAST = market_settings(
    "usdm", heartbeat=None, messages_per_second=None, backoff=Backoff(0.01, 0.02, minimum=0.005)
)
TOPICS = {
    "btcusdt_perpetual@continuousKline_1m": models.ContinuousContractKlineCandlestick,
    "ethusdt_current_quarter@continuousKline_1h": models.ContinuousContractKlineCandlestick,
    "btcusdt@rpiDepth@500ms": models.RpiDiffBookDepth,
}


def test_the_documented_forms_are_served_and_others_are_not() -> None:
    for topic in (
        "btcusdt_perpetual@continuousKline_1M",
        "btcusdt_next_quarter@continuousKline_3d",
        "btcusdt_tradifi_perpetual@continuousKline_1m",
        "btcusdt@rpiDepth@500ms",
    ):
        assert find_usdm_feed(topic) is not None, topic
    for topic in (
        "btcusdt_perp@continuousKline_1m",  # a contract type, not a symbol
        "btcusdt_perpetual@continuousKline_1s",  # not documented for this stream
        "btcusdt@rpiDepth",  # 500ms only
        "btcusdt@rpiDepth@100ms",
    ):
        assert find_usdm_feed(topic) is None, topic


async def test_continuous_klines_and_rpi_depth_arrive_typed_through_the_client() -> None:
    clock = FakeClock()
    async with BinanceSimulator(seed=4, clock=clock) as sim:
        hub = sim.market_streams["usdm"]
        hub.publish_interval = 3600.0  # the test publishes
        stream = market_stream("usdm", *TOPICS, base_url=sim.ws_urls["usdm"], settings=FAST)
        seen: dict[str, list[Any]] = {}
        async with stream:
            await until(lambda: sum(len(c.topics) for c in hub.connections) == len(TOPICS))
            for _ in range(3):
                clock.advance(1.0)
                await hub.publish()
                with contextlib.suppress(TimeoutError):
                    while True:
                        item = await stream.next(0.2)
                        if not isinstance(item, Gap):
                            seen.setdefault(item.stream, []).append(item.data)
            paths = {c.path for c in hub.connections}
    assert sorted(seen) == sorted(TOPICS)
    for topic, model in TOPICS.items():
        assert all(isinstance(data, model) for data in seen[topic]), topic
    perpetual = seen["btcusdt_perpetual@continuousKline_1m"][-1]
    assert (perpetual.pair, perpetual.contract_type) == ("BTCUSDT", "PERPETUAL")
    assert perpetual.kline.interval == "1m"
    quarter = seen["ethusdt_current_quarter@continuousKline_1h"][-1]
    assert (quarter.pair, quarter.contract_type) == ("ETHUSDT", "CURRENT_QUARTER")
    diffs = seen["btcusdt@rpiDepth@500ms"]
    assert len(diffs) >= 2
    for before, after in itertools.pairwise(diffs):
        assert after.previous_final_update_id == before.final_update_id
    assert {"/public/stream", "/market/stream"} <= paths  # the client's routes, served


async def _frames(sim: BinanceSimulator, topics: list[str]) -> dict[str, list[Any]]:
    """Every payload of ``topics`` one publish pass sends now, read raw."""
    hub = sim.market_streams["usdm"]
    hub.publish_interval = 3600.0
    url = f"{sim.ws_urls['usdm']}/stream?streams={'/'.join(topics)}"
    received: dict[str, list[Any]] = {topic: [] for topic in topics}
    async with aiohttp.ClientSession() as http, http.ws_connect(url) as ws:
        await until(lambda: bool(hub.connections))
        await hub.publish()
        with contextlib.suppress(TimeoutError):
            while True:
                frame = await ws.receive_json(timeout=0.5)
                received[frame["stream"]].append(frame["data"])
    return received


async def _rest(sim: BinanceSimulator, path: str, **query: Any) -> Any:
    async with (
        aiohttp.ClientSession() as http,
        http.get(sim.urls["usdm"] + path, params=query) as response,
    ):
        assert response.status == 200, await response.text()
        return await response.json()


def _candle(k: dict[str, Any]) -> list[Any]:
    return [k["t"], k["o"], k["h"], k["l"], k["c"], k["v"], k["T"], k["q"], k["n"], k["V"], k["Q"]]


async def test_continuous_klines_say_what_rest_answers_at_the_same_moment() -> None:
    clock = FakeClock()
    clock.advance(3600 - clock.now % 3600)  # an hour opens now: 1m and 1h candles close
    topics = [
        "btcusdt_perpetual@continuousKline_1m",
        "btcusdt_perpetual@continuousKline_1h",
        "btcusdt_next_quarter@continuousKline_1m",
        "btcusdt_tradifi_perpetual@continuousKline_1m",  # not listed: nothing
    ]
    async with BinanceSimulator(seed=7, clock=clock) as sim:
        now = sim.now_ms()
        got = await _frames(sim, topics)
        assert sim.now_ms() == now
        answers = {
            topic: await _rest(
                sim,
                "/fapi/v1/continuousKlines",
                pair="BTCUSDT",
                contractType=topic.split("@")[0].removeprefix("btcusdt_").upper(),
                interval=topic.rsplit("_", 1)[1],
                limit=2,
            )
            for topic in topics[:3]
        }
        mid = clock.now
        clock.advance(23)  # and mid-candle: one event, the candle so far
        later = await _frames(sim, topics[:1])
        so_far = await _rest(
            sim, "/fapi/v1/continuousKlines", pair="BTCUSDT", contractType="PERPETUAL",
            interval="1m", limit=1,
        )  # fmt: skip
        last_trade = await _rest(sim, "/fapi/v1/aggTrades", symbol="BTCUSDT", limit=1)
    assert got["btcusdt_tradifi_perpetual@continuousKline_1m"] == []
    for topic, rows in answers.items():
        closed, current = got[topic]
        assert [closed["k"]["x"], current["k"]["x"]] == [True, False], topic
        assert [_candle(closed["k"]), _candle(current["k"])] == [row[:11] for row in rows]
        assert current["k"]["t"] == now
        assert closed["k"]["T"] == now - 1
        for k in (closed["k"], current["k"]):  # trade ids: the candle's first and last
            assert k["L"] - k["f"] + 1 == k["n"]
        assert closed["ps"] == current["ps"] == "BTCUSDT"
    assert got["btcusdt_next_quarter@continuousKline_1m"][0]["ct"] == "NEXT_QUARTER"
    *passed, candle = later["btcusdt_perpetual@continuousKline_1m"]
    assert len(passed) == 22  # the hub catches up second by second
    assert candle["E"] == (mid + 23) * 1000
    assert candle["k"]["x"] is False
    assert _candle(candle["k"]) == so_far[0][:11]
    assert candle["k"]["L"] == last_trade[-1]["a"]
    assert candle["k"]["L"] - candle["k"]["f"] + 1 == candle["k"]["n"]


async def test_rpi_depth_diffs_continue_the_rest_rpi_book() -> None:
    """A diff of second ``s`` carries ``u`` = ``/fapi/v1/rpiDepth``'s ``lastUpdateId``
    during ``s``, ``pu`` the one of the second before, and every level it names has the
    quantity the REST book has then (0: gone from the book's 1000 levels)."""
    clock = FakeClock()
    async with BinanceSimulator(seed=8, clock=clock) as sim:
        clock.advance(1.0)
        before = await _rest(sim, "/fapi/v1/rpiDepth", symbol="BTCUSDT", limit=1000)
        clock.advance(1.0)
        got = await _frames(sim, ["btcusdt@rpiDepth@500ms"])
        after = await _rest(sim, "/fapi/v1/rpiDepth", symbol="BTCUSDT", limit=1000)
    (diff,) = got["btcusdt@rpiDepth@500ms"]
    assert diff["u"] == after["lastUpdateId"]
    assert diff["pu"] == before["lastUpdateId"]
    assert diff["b"] or diff["a"]
    for side, levels in (("b", after["bids"]), ("a", after["asks"])):
        book = dict(map(tuple, levels))
        old = dict(map(tuple, before["bids" if side == "b" else "asks"]))
        for price, qty in diff[side]:
            if float(qty) == 0:
                assert price not in book
            else:
                assert book[price] == qty
        # And nothing else changed: the old book plus the diff is the new book.
        updated = {**old, **dict(map(tuple, diff[side]))}
        assert {p: q for p, q in updated.items() if float(q) != 0} == book
