"""The simulator's USDⓈ-M streams, consumed by the client's stream code: market streams on
Binance's ``/public`` and ``/market`` routes, typed; payloads shaped as Binance documents
them; a local order book identical to the simulator's own book through a drop and a
skipped update; the account's events through the USDⓈ-M listen key."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from binance_ws import until
from book_follow import follow_book, orders_mid_second, simulated_book
from sim_helpers import FakeClock, FastClock
from sim_streams_helpers import (
    documented_events,
    documented_streams,
    fast_settings,
    next_event,
    publish_and_read,
    published,
    shape,
    subscribed,
    topics_of,
)

from aioca.stream import Gap, GapReason
from aioca_binance.streams import futures_user_stream
from aioca_binance.streams import usdm as models
from aioca_binance.usdm import UsdmNewOrder
from aioca_binance_sim import BinanceSimulator
from aioca_binance_sim.usdm.feeds import find_usdm_feed

FAST = fast_settings("usdm")
TOPICS = {
    "btcusdt@aggTrade": models.AggregateTrade,
    "btcusdt@depth@100ms": models.DiffBookDepth,
    "btcusdt@depth5": models.PartialBookDepth,
    "btcusdt@bookTicker": models.IndividualSymbolBookTicker,
    "btcusdt@markPrice": models.MarkPrice,
    "btcusdt@kline_1m": models.KlineCandlestick,
    "btcusdt@ticker": models.IndividualSymbolTicker,
    "btcusdt@miniTicker": models.IndividualSymbolMiniTicker,
}


EVENT_DRIVEN = {"!contractInfo"}
"""Served only after a change made on demand: shaped in ``test_sim_streams_arrays.py``."""

BUILT_AS = {"btcusdt@compositeIndex": "defiusdt@compositeIndex"}
"""Documented examples naming a contract that has no such data (BTCUSDT is no composite
index: its stream is quiet), built for the simulator's contract that has it."""


@pytest.mark.parametrize(
    "topic",
    # Liquidations come in some seconds only: shaped in test_sim_streams_liquidations.py.
    [
        t
        for t in documented_streams("usdm")
        if find_usdm_feed(t) is not None and t not in EVENT_DRIVEN and "forceOrder" not in t
    ],
)
def test_every_served_stream_is_shaped_as_binance_documents_it(topic: str) -> None:
    async def build() -> list[Any]:
        async with BinanceSimulator(seed=3) as sim:
            second = sim.now_ms() // 1000
            second -= second % 60  # a second with a trade in it, for aggTrade
            return published(sim, "usdm", BUILT_AS.get(topic, topic), second)

    payloads = asyncio.run(build())
    assert payloads
    expected = shape(documented_streams("usdm")[topic])
    for payload in payloads:
        got = shape(payload)
        # Levels: the documented diff may list none on a side; ours list some.
        if isinstance(got, dict) and got.get("b") and expected.get("b") == []:
            expected["b"] = got["b"]
        if isinstance(got, dict) and got.get("a") and expected.get("a") == []:
            expected["a"] = got["a"]
        assert got == expected


def test_the_served_streams_cover_the_symbol_streams_the_client_models() -> None:
    served = {topic for topic in documented_streams("usdm") if find_usdm_feed(topic) is not None}
    assert {
        "btcusdt@aggTrade",
        "btcusdt@depth@100ms",
        "btcusdt@depth10@100ms",
        "btcusdt@bookTicker",
        "btcusdt@markPrice@1s",
        "btcusdt@kline_1m",
        "btcusdt@ticker",
        "btcusdt@miniTicker",
        "!bookTicker",
        "!miniTicker@arr",
        "!ticker@arr",
        "!markPrice@arr@1s",
        "!assetIndex@arr",
        "!contractInfo",
        "btcusdt_perpetual@continuousKline_1m",
        "btcusdt@rpiDepth@500ms",
        "tradingSession",
        "btcusdt@forceOrder",
        "!forceOrder@arr",
    } <= served


async def test_market_streams_arrive_typed_on_binance_s_routes() -> None:
    clock = FakeClock()
    async with (
        BinanceSimulator(seed=4, clock=clock) as sim,
        subscribed(sim, "usdm", *TOPICS) as (stream, hub),
    ):
        received = await publish_and_read(
            stream, hub, clock, 180, enough=lambda got: len(topics_of(got)) == len(TOPICS)
        )
        # One connection per route, as Binance asks (depth and book ticker: public).
        routes = {c.path: set(c.topics) for c in hub.connections}
    seen: dict[str, Any] = {}
    for message in received:
        seen.setdefault(message.stream, message.data)
    assert sorted(seen) == sorted(TOPICS)
    for topic, model in TOPICS.items():
        assert isinstance(seen[topic], model), topic
    assert seen["btcusdt@aggTrade"].symbol == "BTCUSDT"
    public = {"btcusdt@depth@100ms", "btcusdt@depth5", "btcusdt@bookTicker"}
    assert routes == {"/public/stream": public, "/market/stream": set(TOPICS) - public}


def sim_book(
    sim: BinanceSimulator, symbol: str, update_id: int
) -> tuple[dict[Decimal, Decimal], dict[Decimal, Decimal]]:
    venue = sim.venues["usdm"]
    s = venue.symbols[symbol]
    bids, asks = venue.market.core.book_levels(s.instrument, update_id // 1000)

    def side(levels: dict[int, int]) -> dict[Decimal, Decimal]:
        return {s.ticks_price(tick): s.steps_qty(lots) for tick, lots in levels.items()}

    return side(bids), side(asks)


async def test_the_book_matches_the_simulator_after_every_event_through_gaps() -> None:
    clock = FakeClock()
    async with BinanceSimulator(seed=11, clock=clock) as sim:
        sim.venues["usdm"].market.core.book_depth = 60
        async with simulated_book(sim, "usdm", "BTCUSDT", FAST) as (_, book, hub):
            run = await follow_book(
                book,
                hub,
                clock,
                lambda update: sim_book(sim, "BTCUSDT", update),
                lambda second: second * 1000,
                symbol="BTCUSDT",
                steps=1000,
                drops=(150, 550),
                skips=(300, 700),
            )
    assert run.mismatches == 0
    assert run.checked == len(run.events) > 900
    assert len(run.updates) > 900
    reasons = run.resync_reasons
    assert reasons[0] == "start"
    assert reasons.count("gap") >= 2  # the drops
    assert reasons.count("sequence") >= 2  # the skipped updates (pu did not match)


async def test_the_book_matches_the_simulator_when_own_orders_trade_mid_second() -> None:
    """The account's market orders, placed over REST between two diff publications: the
    local book built from the diffs still equals the simulator's own book after every
    diff (USDⓈ-M's book is not depleted by the account, as Spot's is: nothing to miss)."""
    clock = FakeClock()
    async with BinanceSimulator(seed=12, clock=clock) as sim:
        sim.venues["usdm"].market.core.book_depth = 60
        filled: list[str] = []

        async def place(side: str) -> None:
            placed = await UsdmNewOrder(
                api=api, symbol="BTCUSDT", side=side, type="MARKET", quantity="0.050"
            ).run()
            filled.append(placed["status"])

        async with simulated_book(sim, "usdm", "BTCUSDT", FAST) as (api, book, hub):
            run = await follow_book(
                book,
                hub,
                clock,
                lambda update: sim_book(sim, "BTCUSDT", update),
                lambda second: second * 1000,
                symbol="BTCUSDT",
                steps=120,
                between=orders_mid_second(clock, place),
            )
    assert len(filled) > 15
    assert run.mismatches == 0
    assert run.checked == len(run.events) > 110
    assert run.resync_reasons == ["start"]


async def test_orders_placed_over_rest_arrive_as_typed_events() -> None:
    async with BinanceSimulator(seed=5) as sim, sim.api() as api:
        hub = sim.market_streams["usdm"]
        stream = futures_user_stream(api, "usdm", base_url=sim.ws_urls["usdm"], settings=FAST)
        async with stream:
            await until(lambda: any(c.listen_key for c in hub.connections))
            placed = await UsdmNewOrder(
                api=api, symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.010"
            ).run()
            new = await next_event(stream, models.OrderTradeUpdate)
            trade = await next_event(stream, models.OrderTradeUpdate)
            account = await next_event(stream, models.AccountUpdate)
    assert new.order.execution_type == "NEW"
    assert new.order.order_id == placed["orderId"]
    assert trade.order.execution_type == "TRADE"
    assert trade.order.order_status == "FILLED"
    assert trade.order.last_filled_quantity == Decimal("0.010")
    assert trade.order.commission_asset == "USDT"
    (rest_trade,) = sim.venues["usdm"].engine.user_trades
    assert trade.order.commission == Decimal(rest_trade["commission"])
    position = account.update.positions[0]
    assert position.symbol == "BTCUSDT"
    assert position.position_amount == Decimal("0.010")
    assert account.update.balances[0].asset == "USDT"


async def test_user_data_comes_on_the_private_route_with_the_key_in_the_query() -> None:
    """Binance's USDⓈ-M private route takes the listen key as a query parameter
    (``/private/ws?listenKey=<key>``, where ccxt Pro connects); elsewhere, or with a key
    that is not the account's, a query key opens no user-data connection."""
    async with BinanceSimulator(seed=5) as sim, sim.api() as api, aiohttp.ClientSession() as http:
        hub = sim.market_streams["usdm"]
        key = sim.venues["usdm"].engine.start_stream(sim.now_ms())
        base = sim.ws_urls["usdm"]
        async with (
            http.ws_connect(f"{base}/market/ws?listenKey={key}"),
            http.ws_connect(f"{base}/private/ws?listenKey=not{key}"),
        ):
            await until(lambda: len(hub.connections) == 2)
            assert [c.listen_key for c in hub.connections] == [None, None]
        async with http.ws_connect(f"{base}/private/ws?listenKey={key}") as ws:
            await until(lambda: any(c.listen_key == key for c in hub.connections))
            placed = await UsdmNewOrder(
                api=api, symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.010"
            ).run()
            event = await ws.receive_json(timeout=5)
    assert event["e"] == "ORDER_TRADE_UPDATE"
    assert event["o"]["i"] == placed["orderId"]


async def test_an_expired_listen_key_is_a_session_gap_and_a_new_key() -> None:
    async with BinanceSimulator(seed=5) as sim, sim.api() as api:
        hub = sim.market_streams["usdm"]
        engine = sim.venues["usdm"].engine
        stream = futures_user_stream(api, "usdm", base_url=sim.ws_urls["usdm"], settings=FAST)
        async with stream:
            await until(lambda: any(c.listen_key for c in hub.connections))
            old_key = engine.listen_key
            hub.expire_listen_key()
            gap = await next_event(stream, Gap)
            assert gap.reason is GapReason.SESSION
            await until(lambda: any(c.listen_key for c in hub.connections))
            assert engine.listen_key not in (None, old_key)
            await UsdmNewOrder(
                api=api, symbol="BTCUSDT", side="SELL", type="MARKET", quantity="0.010"
            ).run()
            assert isinstance(
                await next_event(stream, models.OrderTradeUpdate), models.OrderTradeUpdate
            )


async def test_user_events_are_shaped_as_binance_documents_them() -> None:
    documented = documented_events("usdm")
    async with BinanceSimulator(seed=5) as sim, sim.api() as api:
        sent: list[Any] = []
        source = sim.market_streams["usdm"].source
        engine = sim.venues["usdm"].engine
        engine.listeners.append(lambda *event: sent.extend(source.order_events(*event)))
        await UsdmNewOrder(
            api=api, symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.010"
        ).run()
    kinds = {event["e"]: event for event in sent}
    assert set(kinds) == {"ORDER_TRADE_UPDATE", "ACCOUNT_UPDATE"}
    for kind, event in kinds.items():
        expected = shape(documented[kind])
        if kind == "ORDER_TRADE_UPDATE":  # "only for TRAILING_STOP_MARKET orders"
            del expected["o"]["AP"], expected["o"]["cr"]
        assert shape(event) == expected, kind


async def test_each_market_with_streams_has_its_own_url_and_hub() -> None:
    async with BinanceSimulator(seed=1) as sim:
        assert set(sim.ws_urls) == {"spot", "usdm", "coinm"}
        assert sim.ws_urls["coinm"] == sim.ws_url
        assert sim.ws_urls["usdm"] == "ws" + sim.urls["usdm"].removeprefix("http")
        assert sim.market_streams["coinm"] is sim.streams


async def test_binance_official_usdm_sdk_stream_client_reads_typed_streams() -> None:
    import binance_sdk_derivatives_trading_usds_futures as sdk  # the test extra has it
    from binance_common.configuration import ConfigurationWebSocketStreams

    async with BinanceSimulator(seed=3, clock=FastClock(50.0)) as sim:
        hub = sim.market_streams["usdm"]
        client = sdk.DerivativesTradingUsdsFutures(
            config_ws_streams=ConfigurationWebSocketStreams(stream_url=sim.ws_urls["usdm"])
        )
        connection = await client.websocket_streams.create_connection()
        received: list[Any] = []
        try:
            trades = await connection.aggregate_trade_streams(symbol="btcusdt")
            trades.on("message", received.append)
            depth = await connection.diff_book_depth_streams(symbol="btcusdt", update_speed="100ms")
            depth.on("message", received.append)
            for _ in range(250):
                if len({type(item).__name__ for item in received}) == 2:
                    break
                await asyncio.sleep(0.02)
            paths = {c.path for c in hub.connections}
        finally:
            await connection.close_connection(close_session=True)
    kinds = {type(item).__name__: item for item in received}
    assert set(kinds) == {"AggregateTradeStreamsResponse", "DiffBookDepthStreamsResponse"}
    diff = kinds["DiffBookDepthStreamsResponse"]
    assert diff.u - diff.pu == 1000
    assert {"/market/stream", "/public/stream"} <= paths  # the SDK's routes, served


async def test_binance_official_usdm_sdk_reads_user_data_subscribed_by_listen_key() -> None:
    """The official SDK subscribes user data by naming the listen key as a stream on
    ``/private/stream`` and routes each combined payload by its ``stream``: an order
    placed over REST reaches its handler as a typed event."""
    import binance_sdk_derivatives_trading_usds_futures as sdk  # the test extra has it
    from binance_common.configuration import ConfigurationWebSocketStreams

    async with BinanceSimulator(seed=4) as sim, sim.api() as api:
        hub = sim.market_streams["usdm"]
        key = sim.venues["usdm"].engine.start_stream(sim.now_ms())
        client = sdk.DerivativesTradingUsdsFutures(
            config_ws_streams=ConfigurationWebSocketStreams(stream_url=sim.ws_urls["usdm"])
        )
        connection = await client.websocket_streams.create_connection()
        received: list[Any] = []
        try:
            handle = await connection.user_data(listenKey=key)
            handle.on("message", received.append)
            await until(lambda: any(c.listen_key == key for c in hub.connections))
            placed = await UsdmNewOrder(
                api=api, symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.010"
            ).run()
            await until(lambda: len(received) >= 2)
            paths = {c.path for c in hub.connections if c.listen_key == key}
        finally:
            await connection.close_connection(close_session=True)
    assert paths == {"/private/stream"}
    events = [item.actual_instance for item in received]
    orders = [e for e in events if type(e).__name__ == "OrderTradeUpdate"]
    assert orders, [type(e).__name__ for e in events]
    assert orders[0].o.i == placed["orderId"]


async def test_a_listen_key_named_in_streams_opens_user_data_wrapped_as_its_stream() -> None:
    async with BinanceSimulator(seed=6) as sim, sim.api() as api, aiohttp.ClientSession() as http:
        key = sim.venues["usdm"].engine.start_stream(sim.now_ms())
        url = f"{sim.ws_urls['usdm']}/stream?streams={key}/btcusdt@aggTrade"
        async with http.ws_connect(url) as ws:
            placed = await UsdmNewOrder(
                api=api, symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.010"
            ).run()
            user = [await _next_of(ws, key)]
            sim.market_streams["usdm"].expire_listen_key()
            while user[-1]["data"]["e"] != "listenKeyExpired":
                user.append(await _next_of(ws, key))
    assert user[0]["data"]["e"] == "ORDER_TRADE_UPDATE"
    assert user[0]["data"]["o"]["i"] == placed["orderId"]
    assert user[-1]["data"]["listenKey"] == key


async def _next_of(ws: aiohttp.ClientWebSocketResponse, stream: str) -> dict[str, Any]:
    """The next combined payload of ``stream`` (market payloads in between passed over)."""
    for _ in range(500):
        frame = await ws.receive_json(timeout=5)
        if frame["stream"] == stream:
            return frame  # type: ignore[no-any-return]
    raise AssertionError(f"no payload of {stream}")
