"""The simulator's Spot market streams, consumed by the client's stream code: typed, on
Spot's own port; payloads shaped as Binance documents them; a local order book identical
to the simulator's own book through drops and skipped updates (Spot's ``U``/``u`` rule)."""

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
    documented_fields,
    documented_streams,
    fast_settings,
    frames_until_terminated,
    next_event,
    publish_and_read,
    published,
    shape,
    spot_user_data,
    subscribed,
    topics_of,
    user_data_socket,
)

from aioca.stream import Gap, GapReason
from aioca_binance.spot import SpotNewOrder
from aioca_binance.streams import spot as models
from aioca_binance_sim import BinanceSimulator
from aioca_binance_sim.market import BOOK_STEP_MS, book_update_id
from aioca_binance_sim.spot.feeds import SpotFeeds

FAST = fast_settings("spot")
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


def _served(topic: str) -> bool:
    return SpotFeeds.find(SpotFeeds, topic) is not None  # type: ignore[arg-type]


@pytest.mark.parametrize("topic", [t for t in documented_streams("spot") if _served(t)])
def test_every_served_stream_is_shaped_as_binance_documents_it(topic: str) -> None:
    async def build() -> list[Any]:
        async with BinanceSimulator(seed=3) as sim:
            second = sim.now_ms() // 1000
            second -= second % 900  # a second with a trade and a block trade in it
            return published(sim, "spot", topic, second)

    payloads = asyncio.run(build())
    assert payloads
    documented = documented_streams("spot")[topic]
    for payload in payloads:
        if documented == [{}]:  # an array documented by its element's fields only
            assert payload
            fields = [field["name"] for field in documented_fields("spot")[topic]]
            assert all(list(item) == fields for item in payload)
            continue
        assert shape(payload) == shape(documented)


def test_the_served_streams_cover_the_symbol_streams_listed() -> None:
    served = {topic for topic in documented_streams("spot") if _served(topic)}
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
        "btcusdt@kline_1m@+08:00",
        "btcusdt@ticker_1h",
        "btcusdt@referencePrice",
        "!miniTicker@arr",
        "!ticker_1h@arr",
        "btcusdt@blockTrade",
    } <= served


async def test_all_market_arrays_carry_every_symbol_typed() -> None:
    clock = FakeClock()
    topics = ["!miniTicker@arr", "!ticker_4h@arr"]
    async with BinanceSimulator(seed=4, clock=clock) as sim:
        symbols = set(sim.market_streams["spot"].source.venue.symbols)
        async with subscribed(sim, "spot", *topics) as (stream, hub):
            received = await publish_and_read(
                stream, hub, clock, 5, enough=lambda got: len(topics_of(got)) == len(topics)
            )
    seen = {message.stream: message.data for message in received}  # each topic's last
    assert sorted(seen) == sorted(topics)
    minis, rolling = seen["!miniTicker@arr"], seen["!ticker_4h@arr"]
    assert {mini.symbol for mini in minis} == symbols
    assert all(isinstance(mini, models.AllMiniTicker) for mini in minis)
    assert {ticker.symbol for ticker in rolling} == symbols
    assert all(isinstance(ticker, models.AllMarketRollingWindowTicker) for ticker in rolling)
    assert {ticker.event_type for ticker in rolling} == {"4hTicker"}


def test_rolling_window_tickers_and_the_reference_price_agree_with_rest() -> None:
    async def build() -> tuple[dict[str, Any], dict[str, Any]]:
        async with BinanceSimulator(seed=3, clock=FakeClock()) as sim:  # REST at the same ms
            second = sim.now_ms() // 1000
            assert second * 1000 == sim.now_ms()
            streamed: dict[str, Any] = {}
            for topic in ("btcusdt@ticker_4h", "btcusdt@referencePrice"):
                (streamed[topic],) = published(sim, "spot", topic, second)
            answers = {}
            async with aiohttp.ClientSession() as session:
                for path, query in (
                    ("/api/v3/ticker", {"symbol": "BTCUSDT", "windowSize": "4h"}),
                    ("/api/v3/referencePrice", {"symbol": "BTCUSDT"}),
                ):
                    async with session.get(sim.urls["spot"] + path, params=query) as response:
                        answers[path] = await response.json()
            return streamed, answers

    streamed, answers = asyncio.run(build())
    ticker, rest = streamed["btcusdt@ticker_4h"], answers["/api/v3/ticker"]
    assert ticker["e"] == "4hTicker"
    assert ticker["C"] - ticker["O"] <= 4 * 3_600_000
    names = {"p": "priceChange", "o": "openPrice", "h": "highPrice", "l": "lowPrice"}
    names |= {"c": "lastPrice", "v": "volume", "F": "firstId", "L": "lastId", "n": "count"}
    assert {key: ticker[key] for key in names} == {key: rest[name] for key, name in names.items()}
    reference = streamed["btcusdt@referencePrice"]
    assert reference["r"] == answers["/api/v3/referencePrice"]["referencePrice"]


def test_klines_with_the_utc8_offset_open_and_close_in_utc8_as_rest_s_time_zone() -> None:
    async def build() -> dict[str, Any]:
        async with BinanceSimulator(seed=3) as sim:
            second = sim.now_ms() // 1000
            built = {}
            for topic in ("btcusdt@kline_1d", "btcusdt@kline_1d@+08:00", "btcusdt@kline_1m@+08:00"):
                (built[topic],) = published(sim, "spot", topic, second)
            query = {"symbol": "BTCUSDT", "interval": "1d", "timeZone": "+08:00", "limit": "1"}
            async with (
                aiohttp.ClientSession() as session,
                session.get(sim.urls["spot"] + "/api/v3/klines", params=query) as response,
            ):
                rest = await response.json()
            built["rest"] = rest[-1]
            built["second"] = second
            return built

    built = asyncio.run(build())
    day = 86_400_000
    utc, utc8 = built["btcusdt@kline_1d"]["k"], built["btcusdt@kline_1d@+08:00"]["k"]
    assert utc["t"] % day == 0
    assert utc8["t"] % day == day - 8 * 3_600_000  # midnight in UTC+8: 16:00 UTC
    assert utc8["T"] == utc8["t"] + day - 1
    assert utc8["t"] <= built["second"] * 1000 <= utc8["T"]
    # The bar REST serves for the same time zone, at the same moment.
    rest = built["rest"]
    assert [utc8[k] for k in "tohlc"] == [rest[0], rest[1], rest[2], rest[3], rest[4]]
    # Bars shorter than the offset's whole hours are the same in either zone.
    minute = built["btcusdt@kline_1m@+08:00"]["k"]
    assert minute["t"] % 60_000 == 0
    assert minute["i"] == "1m"


async def test_market_streams_arrive_typed_on_spot_s_port() -> None:
    clock = FakeClock()
    async with BinanceSimulator(seed=4, clock=clock) as sim:
        async with subscribed(sim, "spot", *TOPICS) as (stream, hub):
            received = await publish_and_read(
                stream, hub, clock, 180, enough=lambda got: len(topics_of(got)) == len(TOPICS)
            )
        other = sim.market_streams["usdm"]
        assert not other.connections  # Spot's streams are Spot's hub's
    seen: dict[str, Any] = {}
    for message in received:
        seen.setdefault(message.stream, message.data)
    assert sorted(seen) == sorted(TOPICS)
    for topic, model in TOPICS.items():
        assert isinstance(seen[topic], model), topic
    assert seen["btcusdt@trade"].symbol == "BTCUSDT"
    assert seen["btcusdt@aggTrade"].price > 0


async def test_a_diff_continues_the_rest_snapshot_by_spot_s_rule() -> None:
    clock = FakeClock()
    async with BinanceSimulator(seed=6, clock=clock) as sim, aiohttp.ClientSession() as http:
        for _ in range(25):
            clock.advance(0.37)
            url = sim.urls["spot"] + "/api/v3/depth?symbol=BTCUSDT&limit=20"
            async with http.get(url) as response:
                snapshot = await response.json()
            publication = sim.now_ms() // 1000 * 1000 + 1000  # @depth's next, each second
            (diff,) = published(sim, "spot", "btcusdt@depth", publication)
            (following,) = published(sim, "spot", "btcusdt@depth", publication + 1000)
            last = snapshot["lastUpdateId"]
            assert last == book_update_id(sim.now_ms())
            assert diff["U"] <= last + 1 <= diff["u"]  # the first diff to apply to it
            assert following["U"] == diff["u"] + 1


def sim_book(sim: BinanceSimulator, symbol: str, update_id: int) -> tuple[dict, dict]:
    venue = sim.venues["spot"]
    spec = venue.symbols[symbol]
    moment = update_id // 1000 * BOOK_STEP_MS  # the book step the id names
    bids, asks = venue.tape.book_levels(spec, moment, venue.tape.book_depth)

    def side(levels: list[tuple[int, int]]) -> dict[Decimal, Decimal]:
        return {spec.tick * tick: spec.step * steps for tick, steps in levels}

    return side(bids), side(asks)


async def test_the_book_matches_the_simulator_after_every_event_through_gaps() -> None:
    clock = FakeClock()
    async with BinanceSimulator(seed=11, clock=clock) as sim:
        sim.venues["spot"].tape.book_depth = 60
        async with simulated_book(sim, "spot", "BTCUSDT", FAST) as (_, book, hub):
            run = await follow_book(
                book,
                hub,
                clock,
                lambda update: sim_book(sim, "BTCUSDT", update),
                lambda second: second * 1000,
                symbol="BTCUSDT",
                snapshots=lambda: sim.requests["spot", "/api/v3/depth"],
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
    assert reasons.count("sequence") >= 2  # the skipped updates (U did not follow u)


async def test_the_book_matches_the_simulator_when_own_orders_take_liquidity_mid_second() -> None:
    """The account's market orders, placed over REST between two diff publications, take
    liquidity from the simulator's book: the next diff must show it, so the local book
    (snapshot + diffs) still equals the simulator's own book after every diff."""
    clock = FakeClock()
    async with BinanceSimulator(seed=12, clock=clock) as sim:
        sim.venues["spot"].tape.book_depth = 60
        fills: list[int] = []

        async def place(side: str) -> None:
            placed = await SpotNewOrder(
                api=api, symbol="BTCUSDT", side=side, type="MARKET", quantity=Decimal("0.5")
            ).run()
            fills.append(len(placed["fills"]))

        async with simulated_book(sim, "spot", "BTCUSDT", FAST) as (api, book, hub):
            run = await follow_book(
                book,
                hub,
                clock,
                lambda update: sim_book(sim, "BTCUSDT", update),
                lambda second: second * 1000,
                symbol="BTCUSDT",
                snapshots=lambda: sim.requests["spot", "/api/v3/depth"],
                steps=200,
                between=orders_mid_second(clock, place),
            )
    assert len(fills) > 25
    assert sum(fills) > len(fills)  # orders swept several levels
    assert run.mismatches == 0
    assert run.checked == len(run.events) > 190
    assert run.resync_reasons == ["start"]


# --- user data over the WebSocket API ---------------------------------------------------


async def test_orders_placed_over_rest_arrive_over_the_ws_api_typed() -> None:
    async with (
        BinanceSimulator(seed=5) as sim,
        sim.api() as api,
        spot_user_data(sim, api) as stream,
    ):
        placed = await SpotNewOrder(
            api=api, symbol="BTCUSDT", side="BUY", type="MARKET", quantity=Decimal("0.01")
        ).run()
        new = await next_event(stream, models.ExecutionReport)
        trade = await next_event(stream, models.ExecutionReport)
        position = await next_event(stream, models.OutboundAccountPosition)
    assert new.current_execution_type == "NEW"
    assert new.order_id == placed["orderId"]
    assert new.client_order_id == placed["clientOrderId"]
    assert trade.current_execution_type == "TRADE"
    assert trade.order_id == placed["orderId"]
    assert trade.last_executed_quantity == Decimal(placed["fills"][0]["qty"])
    assert trade.commission_asset == placed["fills"][0]["commissionAsset"]
    assert {b.asset for b in position.balances_array} == {"BTC", "USDT"}


async def test_the_end_of_a_subscription_is_a_session_gap_and_a_new_subscription() -> None:
    async with BinanceSimulator(seed=5) as sim, sim.api() as api:
        ws_api = sim.ws_api
        assert ws_api is not None
        async with spot_user_data(sim, api) as stream:
            assert await ws_api.terminate() == 1
            gap = await next_event(stream, Gap)
            assert gap.reason is GapReason.SESSION
            await until(lambda: any(c.subscriptions for c in ws_api.connections))
            await SpotNewOrder(
                api=api, symbol="BTCUSDT", side="SELL", type="MARKET", quantity=Decimal("0.01")
            ).run()
            report = await next_event(stream, models.ExecutionReport)
    assert report.side == "SELL"


@pytest.mark.parametrize(
    ("change", "code", "msg"),
    [
        ("signature", -1022, "Signature for this request is not valid."),
        ("apiKey", -2015, "Invalid API-key, IP, or permissions for action."),
        ("timestamp", -1021, "Timestamp for this request is outside of the recvWindow."),
    ],
)
async def test_a_refused_subscription_answers_binance_s_error(
    change: str, code: int, msg: str
) -> None:
    async with BinanceSimulator(seed=5) as sim, sim.api() as api:
        params: dict[str, Any] = {"apiKey": sim.api_key, "timestamp": sim.now_ms()}
        if change == "apiKey":
            params["apiKey"] = "x" * 64
        if change == "timestamp":
            params["timestamp"] -= 60_000
        payload = "&".join(f"{key}={params[key]}" for key in sorted(params))
        params["signature"] = api.signer.sign(payload)
        if change == "signature":
            params["signature"] = api.signer.sign(payload + "&x=1")
        request = {"id": "a", "method": "userDataStream.subscribe.signature", "params": params}
        async with aiohttp.ClientSession() as http, http.ws_connect(sim.ws_api_url) as ws:
            await ws.send_json(request)
            answer = await ws.receive_json(timeout=5)
            good = dict(params, apiKey=sim.api_key, timestamp=sim.now_ms())
            del good["signature"]
            payload = "&".join(f"{key}={good[key]}" for key in sorted(good))
            good["signature"] = api.signer.sign(payload)
            await ws.send_json({"id": "b", "method": request["method"], "params": good})
            accepted = await ws.receive_json(timeout=5)
    assert answer["id"] == "a"
    assert answer["error"] == {"code": code, "msg": msg}
    assert answer["status"] in (400, 401)
    assert accepted == {"id": "b", "status": 200, "result": {"subscriptionId": 0}}


async def test_an_ed25519_signed_subscription_is_accepted() -> None:
    pytest.importorskip("cryptography")
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    from aioca_binance import BinanceRestApi

    key = ed25519.Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    async with (
        BinanceSimulator(seed=5, ed25519_public_key=public) as sim,
        BinanceRestApi(sim.api_key, private_key=private, urls=sim.urls) as api,
        spot_user_data(sim, api) as stream,
    ):
        await SpotNewOrder(
            api=api, symbol="BTCUSDT", side="BUY", type="MARKET", quantity=Decimal("0.01")
        ).run()
        report = await next_event(stream, models.ExecutionReport)
    assert report.symbol == "BTCUSDT"


async def test_user_events_are_shaped_as_binance_documents_them() -> None:
    documented = documented_events("spot")
    async with user_data_socket(seed=5) as (sim, api, ws):
        await SpotNewOrder(
            api=api, symbol="BTCUSDT", side="BUY", type="MARKET", quantity=Decimal("0.01")
        ).run()
        # A market order fills at one price level or several (the book follows the
        # clock): read until the termination rather than a fixed count of frames.
        frames = await frames_until_terminated(sim, ws)
    kinds = {frame["event"]["e"]: frame for frame in frames}
    assert set(kinds) == {"executionReport", "outboundAccountPosition", "eventStreamTerminated"}
    for kind, frame in kinds.items():
        expected = shape(documented[kind])
        got = shape(frame)
        if kind == "executionReport" and frame["event"]["N"] is not None:
            expected["event"]["N"] = "str"  # the commission asset, null before a fill
        assert got == expected, kind


# --- faithfulness: peers' stream clients consume the simulator's Spot streams ------------


async def test_binance_official_spot_sdk_stream_client_reads_typed_streams() -> None:
    import binance_sdk_spot as sdk  # the test extra has it
    from binance_common.configuration import ConfigurationWebSocketStreams

    async with BinanceSimulator(seed=3, clock=FastClock(50.0)) as sim:
        client = sdk.Spot(
            config_ws_streams=ConfigurationWebSocketStreams(stream_url=sim.ws_urls["spot"])
        )
        connection = await client.websocket_streams.create_connection()
        received: list[Any] = []
        try:
            trades = await connection.agg_trade(symbol="btcusdt")
            trades.on("message", received.append)
            depth = await connection.diff_book_depth(symbol="btcusdt", update_speed="100ms")
            depth.on("message", received.append)
            for _ in range(250):
                if len({type(item).__name__ for item in received}) == 2:
                    break
                await asyncio.sleep(0.02)
        finally:
            await connection.close_connection(close_session=True)
    kinds = {type(item).__name__: item for item in received}
    assert set(kinds) == {"AggTradeResponse", "DiffBookDepthResponse"}
    diff = kinds["DiffBookDepthResponse"]
    assert diff.u - diff.U == 999  # one 100 ms book step: 1000 ids
    assert kinds["AggTradeResponse"].s == "BTCUSDT"


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # python-binance's websockets use
async def test_python_binance_socket_manager_reads_spot_streams() -> None:
    from binance.async_client import AsyncClient  # type: ignore[import-untyped]
    from binance.ws.streams import BinanceSocketManager  # type: ignore[import-untyped]

    async with BinanceSimulator(seed=3, clock=FastClock(50.0)) as sim:
        client = AsyncClient()
        try:
            manager = BinanceSocketManager(client)
            manager.STREAM_URL = sim.ws_urls["spot"] + "/"
            async with manager.trade_socket("BTCUSDT") as reader:
                trade = await asyncio.wait_for(reader.recv(), 10)
            async with manager.depth_socket("BTCUSDT", depth="5") as reader:
                book = await asyncio.wait_for(reader.recv(), 10)
        finally:
            await client.close_connection()
    venue = sim.venues["spot"]
    spec = venue.symbols["BTCUSDT"]
    assert trade["e"] == "trade"
    assert trade["p"] == spec.price_text(venue.tape.trade(spec, trade["t"]).ticks)
    assert len(book["bids"]) == 5
