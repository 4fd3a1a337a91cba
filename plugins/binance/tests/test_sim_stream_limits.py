"""Binance's WebSocket stream limits in the simulator (issue #15): a connection sending
more incoming messages a second than its market allows (Spot 5, futures 10: JSON requests,
PING and PONG frames) is disconnected, as Binance documents; the 301st connection attempt
from one IP within 5 minutes on Spot is refused (HTTP 429, Binance's ``-1003``: the answer
itself is undocumented, see ``aioca_binance_sim.stream_limits``). aioca's client, which
paces itself, never meets either."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest
from binance_ws import until
from sim_streams_helpers import fast_settings

from aioca_binance.streams import market_settings, market_stream
from aioca_binance_sim import BinanceSimulator
from aioca_binance_sim.stream_limits import StreamLimits

TOPICS = {
    "spot": [f"{s}@aggTrade" for s in ("btcusdt", "ethusdt", "bnbusdt")]
    + ["btcusdt@trade", "btcusdt@bookTicker", "btcusdt@depth5", "btcusdt@ticker"],
    "coinm": [
        "btcusd_perp@aggTrade",
        "btcusd_perp@bookTicker",
        "btcusd_perp@depth5",
        "btcusd_perp@ticker",
        "btcusd_perp@miniTicker",
        "btcusd_perp@markPrice",
        "btcusd_perp@kline_1m",
        "btcusd_perp@kline_5m",
        "btcusd_perp@kline_1h",
        "btcusd_perp@kline_4h",
        "btcusd_perp@kline_1d",
        "btcusd_perp@depth10",
    ],
}


def _request(number: int) -> str:
    return json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": number})


@pytest.mark.parametrize(("market", "limit"), [("spot", 5), ("usdm", 10), ("coinm", 10)])
async def test_one_message_over_the_limit_in_a_second_disconnects(market: str, limit: int) -> None:
    async with (
        BinanceSimulator(seed=3) as sim,
        aiohttp.ClientSession() as http,
        http.ws_connect(f"{sim.ws_urls[market]}/stream") as ws,
    ):
        hub = sim.market_streams[market]
        for number in range(limit):
            await ws.send_str(_request(number))
        answers = [await ws.receive_json(timeout=5) for _ in range(limit)]
        assert [a["id"] for a in answers] == list(range(limit))  # up to the limit: served
        await ws.send_str(_request(limit))  # one more within the same second
        closing = await ws.receive(timeout=5)
        assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        assert ws.close_code == 1008
        assert hub.limit_closes == 1


async def test_ping_frames_count_as_incoming_messages() -> None:
    async with (
        BinanceSimulator(seed=3) as sim,
        aiohttp.ClientSession() as http,
        http.ws_connect(f"{sim.ws_urls['spot']}/stream", autoping=False) as ws,
    ):
        for _ in range(5):
            await ws.ping(b"x")
        pongs = [await ws.receive(timeout=5) for _ in range(5)]
        assert {p.type for p in pongs} == {aiohttp.WSMsgType.PONG}  # answered, as Binance does
        await ws.ping(b"x")
        closing = await ws.receive(timeout=5)
        assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        assert ws.close_code == 1008


async def test_a_client_that_spreads_its_messages_stays_connected() -> None:
    async with (
        BinanceSimulator(seed=3) as sim,
        aiohttp.ClientSession() as http,
        http.ws_connect(f"{sim.ws_urls['spot']}/stream") as ws,
    ):
        for burst in range(3):  # 15 messages in 2.4 s, never more than 5 in a second
            for number in range(5):
                await ws.send_str(_request(burst * 5 + number))
            await asyncio.sleep(1.2)
        answers = [await ws.receive_json(timeout=5) for _ in range(15)]
        assert len(answers) == 15
        assert not ws.closed
        assert sim.market_streams["spot"].limit_closes == 0


async def _subscribe_one_by_one(market: str, *, paced: bool) -> int:
    """Subscribe :data:`TOPICS` one a message through aioca's client, paced by its market
    settings or not at all; how many connections the hub cut off meanwhile."""
    topics = TOPICS[market]
    async with BinanceSimulator(seed=3) as sim:
        hub = sim.market_streams[market]
        settings = (
            market_settings(market, topics_per_message=1, heartbeat=None)
            if paced
            else fast_settings(market, topics_per_message=1)
        )
        stream = market_stream(market, topics[0], base_url=sim.ws_urls[market], settings=settings)
        async with stream:
            await until(lambda: bool(hub.connections) and bool(hub.connections[0].topics))
            await stream.subscribe(*topics[1:])
            if paced:
                await until(
                    lambda: sum(len(c.topics) for c in hub.connections) == len(topics),
                    timeout=10,
                )
            else:
                await until(lambda: hub.limit_closes > 0, timeout=10)
        return hub.limit_closes


@pytest.mark.parametrize("market", ["spot", "coinm"])
async def test_aiocas_paced_client_is_never_cut_off_and_an_unpaced_one_is(market: str) -> None:
    """One topic a message: aioca's settings pace them (Spot 4 a second, futures 8), so all
    subscribe on one connection; the same client unpaced sends them at once and is cut off
    (the scenario does reach the limit)."""
    assert await _subscribe_one_by_one(market, paced=True) == 0
    assert await _subscribe_one_by_one(market, paced=False) >= 1


async def test_the_301st_spot_connection_attempt_in_five_minutes_is_refused() -> None:
    async with BinanceSimulator(seed=3) as sim, aiohttp.ClientSession() as http:
        hub = sim.market_streams["spot"]
        url = f"{sim.ws_urls['spot']}/ws/btcusdt@aggTrade"
        for _ in range(300):
            async with http.ws_connect(url):
                pass
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(url)
        assert refused.value.status == 429
        async with http.get(url) as answer:  # the body says why, as Binance's REST does
            assert answer.status == 429
            assert (await answer.json())["code"] == -1003
        assert hub.refused == 2
        # COIN-M states no such limit: its hub still serves, and a window that has passed
        # lets Spot's client in again.
        async with http.ws_connect(f"{sim.ws_urls['coinm']}/ws/btcusd_perp@aggTrade"):
            pass
        hub.limits = StreamLimits(connections=300, connections_window=0.2)
        await asyncio.sleep(0.3)
        async with http.ws_connect(url) as ws:
            assert not ws.closed


async def test_the_spot_websocket_api_enforces_no_limit_the_spec_does_not_document() -> None:
    """The spec's limits (``connection_rules``) are the market-stream hosts'; it documents
    none for the WebSocket API (no request weight, message rate or connection budget),
    so the simulator enforces none there: three times Spot's stream limit of requests and
    PING frames in well under a second are all answered, on a connection that stays
    open, and 301 connection attempts in a row all connect."""
    async with BinanceSimulator(seed=3) as sim, aiohttp.ClientSession() as http:
        spot = sim.market_streams["spot"]
        async with http.ws_connect(sim.ws_api_url, autoping=False) as ws:
            for number in range(15):
                await ws.send_json({"id": number, "method": "userDataStream.unsubscribe"})
                await ws.ping(b"x")
            frames = [await ws.receive(timeout=5) for _ in range(30)]
            assert not ws.closed
        answers = [json.loads(f.data) for f in frames if f.type == aiohttp.WSMsgType.TEXT]
        assert [a["id"] for a in answers] == list(range(15))
        assert {a["status"] for a in answers} == {200}
        assert sum(f.type == aiohttp.WSMsgType.PONG for f in frames) == 15
        for _ in range(301):
            async with http.ws_connect(sim.ws_api_url) as ws:
                assert not ws.closed
        assert (spot.limit_closes, spot.refused) == (0, 0)
