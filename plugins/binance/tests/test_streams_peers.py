"""Faithfulness: peer libraries consume the simulator's streams unchanged, only their
stream base URL pointed at it: python-binance's ``BinanceSocketManager`` (market and
COIN-M user data, its listenKey made over the simulator's REST API), Binance's official
SDK stream client (``binance-sdk-derivatives-trading-coin-futures``) and ccxt Pro (free
in ccxt 4: its trades, and its own local order book, equal to the simulator's at every
update id it reports; ccxt Pro on all three markets, user data too, is
``test_streams_ccxt_pro.py``).

The simulator runs on a clock 20 times faster than the wall's, so a trade (one per
simulated 10 s) comes every half second.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sim_helpers import FastClock

from aioca_binance.coinm import CoinMNewOrder
from aioca_binance_sim import BinanceSimulator

# python-binance imports websockets APIs that websockets 14+ deprecates (not ours to fix)
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


async def test_python_binance_socket_manager_reads_market_streams() -> None:
    from binance.async_client import AsyncClient  # type: ignore[import-untyped]
    from binance.enums import FuturesType  # type: ignore[import-untyped]
    from binance.ws.streams import BinanceSocketManager  # type: ignore[import-untyped]

    async with BinanceSimulator(seed=3, clock=FastClock(20.0)) as sim:
        client = AsyncClient()
        try:
            manager = BinanceSocketManager(client)
            manager.DSTREAM_URL = sim.ws_url + "/"
            socket = manager.aggtrade_futures_socket("BTCUSD_PERP", FuturesType.COIN_M)
            async with socket as reader:
                message = await asyncio.wait_for(reader.recv(), 5)
            depth = manager.futures_depth_socket("BTCUSD_PERP", "5", FuturesType.COIN_M)
            async with depth as reader:
                book = await asyncio.wait_for(reader.recv(), 5)
        finally:
            await client.close_connection()
    assert message["stream"] == "btcusd_perp@aggTrade"
    trade = message["data"]
    instrument = sim.market.instruments["BTCUSD_PERP"]
    assert trade["p"] == instrument.price_text(sim.market.trade(instrument, trade["a"]).ticks)
    assert len(book["data"]["b"]) == 5


async def test_python_binance_user_socket_gets_order_updates() -> None:
    from binance.async_client import AsyncClient
    from binance.ws.streams import BinanceSocketManager

    async with BinanceSimulator(seed=3) as sim, sim.api() as api:
        client = AsyncClient(sim.api_key, sim.api_secret)
        client.FUTURES_COIN_URL = sim.url + "/dapi"
        try:
            manager = BinanceSocketManager(client)
            manager.DSTREAM_URL = sim.ws_url + "/"
            async with manager.coin_futures_user_socket() as reader:
                for _ in range(100):
                    if any(c.listen_key for c in sim.streams.connections):
                        break
                    await asyncio.sleep(0.02)
                order = CoinMNewOrder(
                    api=api, symbol="BTCUSD_PERP", side="BUY", type="MARKET", quantity=1
                )
                await order.run()
                event = await asyncio.wait_for(reader.recv(), 5)
        finally:
            await client.close_connection()
    assert event["e"] == "ORDER_TRADE_UPDATE"
    assert event["o"]["i"] == order.result["orderId"]


async def test_binance_official_sdk_stream_client_reads_typed_streams() -> None:
    import binance_sdk_derivatives_trading_coin_futures as sdk  # the test extra has it
    from binance_common.configuration import ConfigurationWebSocketStreams

    async with BinanceSimulator(seed=3, clock=FastClock(20.0)) as sim:
        client = sdk.DerivativesTradingCoinFutures(
            config_ws_streams=ConfigurationWebSocketStreams(stream_url=sim.ws_url)
        )
        connection = await client.websocket_streams.create_connection()
        received: list[Any] = []
        try:
            stream = await connection.aggregate_trade_streams(symbol="btcusd_perp")
            stream.on("message", received.append)
            depth = await connection.diff_book_depth_streams(
                symbol="btcusd_perp", update_speed="100ms"
            )
            depth.on("message", received.append)
            for _ in range(250):
                kinds = {type(item).__name__ for item in received}
                if len(kinds) == 2:
                    break
                await asyncio.sleep(0.02)
        finally:
            await connection.close_connection(close_session=True)
    kinds = {type(item).__name__: item for item in received}
    assert set(kinds) == {"AggregateTradeStreamsResponse", "DiffBookDepthStreamsResponse"}
    diff = kinds["DiffBookDepthStreamsResponse"]
    assert diff.u - diff.pu == 1000


async def test_ccxt_pro_watches_trades_and_keeps_a_book_on_the_simulator() -> None:
    import ccxt.pro as ccxt_pro  # type: ignore[import-untyped]  # free in ccxt 4

    async with BinanceSimulator(seed=3, clock=FastClock(20.0)) as sim:
        sim.market.book_depth = 100
        exchange = ccxt_pro.binance(
            {
                "options": {
                    "fetchMarkets": ["inverse"],
                    "fetchCurrencies": False,
                    "defaultSubType": "inverse",
                }
            }
        )
        urls = exchange.urls["api"]
        urls["dapiPublic"] = urls["dapiPrivate"] = sim.url + "/dapi/v1"
        urls["dapiData"] = sim.url + "/futures/data"
        urls["ws"]["inverse"] = sim.ws_url + "/ws"
        try:
            await exchange.load_markets()
            # COIN-M documents <symbol>@aggTrade only (no @trade stream)
            trades = await asyncio.wait_for(
                exchange.watch_trades("BTC/USD:BTC", params={"name": "aggTrade"}), 10
            )
            books = []
            for _ in range(10):  # ccxt's own local book: snapshot + diffs, pu checked
                book = await asyncio.wait_for(exchange.watch_order_book("BTC/USD:BTC"), 10)
                # copies: ccxt updates its levels (the inner lists) in place
                bids = [list(level) for level in book["bids"][:10]]
                asks = [list(level) for level in book["asks"][:10]]
                books.append((book["nonce"], bids, asks))
        finally:
            await exchange.close()
    instrument = sim.market.instruments["BTCUSD_PERP"]
    trade = trades[-1]
    assert trade["price"] == float(
        instrument.price_text(sim.market.trade(instrument, int(trade["id"])).ticks)
    )

    def levels(side: dict[int, int]) -> list[list[float]]:
        return [[float(instrument.price_text(tick)), float(qty)] for tick, qty in side.items()]

    matches = []
    for nonce, bids, asks in books:
        expected_bids, expected_asks = sim.market.book_levels(instrument, nonce // 1000, 10)
        matches.append((levels(expected_bids) == bids, levels(expected_asks) == asks))
    # ccxt's own book equals the simulator's at every nonce it reports
    assert matches == [(True, True)] * len(books)
