"""The simulator speaks Binance COIN-M well enough for the peer libraries: ccxt (async),
python-binance (``AsyncClient``) and Binance's official connector
(``binance-futures-connector``, synchronous, on ``requests``) make their COIN-M calls
against it unchanged, only their base URLs pointed at it, and see the market and the
account that aioca's catalog tasks see on the same simulator.

Each library meets a server clock 20 s away from the machine's and is set up the way it
would be against a real server whose clock disagrees: ccxt with
``adjustForTimeDifference``, python-binance with its ``timestamp_offset``, the connector
(which has no clock offset) with a ``recvWindow``. Each first shows the unadjusted client
refused with Binance's -1021, so the settings are proven to matter.

The simulated market moves: a new trade every 10 s, new book sizes every second. A
library's answer is therefore compared with aioca's answers read just before and just
after it, and must equal one of the two; closed candles never change and are compared
directly.
"""

from __future__ import annotations

import asyncio
import time
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from decimal import Decimal
from typing import Any, TypeVar

import ccxt.async_support as ccxt_async  # type: ignore[import-untyped]
import pytest

from aioca_binance import BinanceRestApi
from aioca_binance.coinm import (
    CoinMAccountInformation,
    CoinMCurrentAllOpenOrders,
    CoinMExchangeInformation,
    CoinMFetchKline,
    CoinMFetchTicker,
    CoinMOrderBook,
    CoinMQueryOrder,
)
from aioca_binance_sim import BinanceSimulator, Faults
from aioca_binance_sim.background import background_simulator
from aioca_binance_sim.engine import DEFAULT_LEVERAGE

with warnings.catch_warnings():
    # python-binance imports websockets' legacy client API (deprecated since websockets
    # 14) at import time; the REST calls tested here never use it. Importing
    # binance.cm_futures runs the shared ``binance`` package's __init__, the same import.
    warnings.filterwarnings(
        "ignore", "websockets.WebSocketClientProtocol is deprecated", DeprecationWarning
    )
    warnings.filterwarnings("ignore", "websockets.legacy is deprecated", DeprecationWarning)
    from binance.async_client import AsyncClient  # type: ignore[import-untyped]
    from binance.cm_futures import CMFutures  # type: ignore[import-untyped]
    from binance.error import ClientError  # type: ignore[import-untyped]
    from binance.exceptions import BinanceAPIException  # type: ignore[import-untyped]

T = TypeVar("T")

BTC = "BTCUSD_PERP"
CCXT_BTC = "BTC/USD:BTC"
SKEW_MS = 20_000
RECV_WINDOW = 60_000  # Binance's maximum: tolerates a server up to 60 s ahead
# Binance-shaped demo credentials (64 characters each), for this test's simulators only.
KEY = "peerLibrariesDemoKey" * 3 + "0000"
SECRET = "peerLibrariesDemoSecret0" * 2 + "0" * 16
CONTRACT_USD = 100  # one BTCUSD contract


# --- helpers ----------------------------------------------------------------------------


async def run(api: BinanceRestApi, task_cls: Any, **params: Any) -> Any:
    """aioca's answer: the catalog task ``task_cls(**params)`` run on ``api``."""
    return await task_cls(api=api, **params).run()


async def around(read: Callable[[], Awaitable[Any]], call: Awaitable[T]) -> tuple[T, list[Any]]:
    """``call``'s result and aioca's ``read()`` just before and just after it."""
    before = await read()
    result = await call
    after = await read()
    return result, [before, after]


def closed_minutes(sim: BinanceSimulator, count: int) -> tuple[int, int]:
    """``(startTime, endTime)`` of the ``count`` whole minutes before the current one,
    by the simulator's clock: candles that will not change any more."""
    end = sim.now_ms() // 60_000 * 60_000 - 1
    return end - count * 60_000 + 1, end


def order_margin(price: Decimal | float) -> float:
    """The initial margin of one resting BTCUSD contract at ``price``, in BTC."""
    return CONTRACT_USD / float(price) / DEFAULT_LEVERAGE


def btc_asset(account: dict[str, Any]) -> dict[str, Any]:
    return next(asset for asset in account["assets"] if asset["asset"] == "BTC")


def far_below(price: Decimal | float | str) -> Decimal:
    """A BUY price 10 % under ``price`` on the 0.1 tick: it rests, far from any fill."""
    return (Decimal(str(price)) * Decimal("0.9")).quantize(Decimal("0.1"))


# --- fixtures ---------------------------------------------------------------------------


@pytest.fixture
async def behind() -> AsyncIterator[BinanceSimulator]:
    """A simulator whose clock is 20 s behind the machine's."""
    faults = Faults(clock_skew_ms=-SKEW_MS)
    async with BinanceSimulator(api_key=KEY, api_secret=SECRET, seed=7, faults=faults) as sim:
        yield sim


@pytest.fixture
async def api(behind: BinanceSimulator) -> AsyncIterator[BinanceRestApi]:
    """aioca on the same simulator (it measures the clock offset by itself)."""
    async with behind.api() as client:
        yield client


def ccxt_binance(sim: BinanceSimulator, *, adjust_time: bool) -> Any:
    """ccxt's async binance with its COIN-M URLs pointed at ``sim``."""
    exchange = ccxt_async.binance(
        {
            "apiKey": sim.api_key,
            "secret": sim.api_secret,
            "options": {
                # COIN-M markets only: the default also loads spot and USD-M markets from
                # api.binance.com and fapi.binance.com, which the simulator is not.
                "fetchMarkets": ["inverse"],
                # A signed spot wallet call (sapi capital/config/getall), not COIN-M.
                "fetchCurrencies": False,
                # Unified calls without a symbol (fetch_balance, fetch_time) go to dapi.
                "defaultSubType": "inverse",
                # fetch_markets measures the server's clock (dapi/v1/time) first.
                "adjustForTimeDifference": adjust_time,
            },
        }
    )
    urls = exchange.urls["api"]
    urls["dapiPublic"] = urls["dapiPrivate"] = sim.url + "/dapi/v1"
    urls["dapiPrivateV2"] = sim.url + "/dapi/v2"
    urls["dapiData"] = sim.url + "/futures/data"
    return exchange


@pytest.fixture
async def exchange(behind: BinanceSimulator) -> AsyncIterator[Any]:
    client = ccxt_binance(behind, adjust_time=True)
    try:
        await client.load_markets()
        yield client
    finally:
        await client.close()


@pytest.fixture
async def pb_client(behind: BinanceSimulator) -> AsyncIterator[Any]:
    """python-binance's AsyncClient on the simulator. Built directly: ``create()`` would
    ping api.binance.com (spot) first."""
    client = AsyncClient(behind.api_key, behind.api_secret)
    client.FUTURES_COIN_URL = behind.url + "/dapi"
    client.FUTURES_COIN_DATA_URL = behind.url + "/futures/data"
    try:
        yield client
    finally:
        await client.close_connection()


async def aioca_price(api: BinanceRestApi) -> float:
    rows = await run(api, CoinMFetchTicker, symbol=BTC)
    return float(rows[0]["price"])


# --- ccxt -------------------------------------------------------------------------------


async def test_ccxt_needs_its_time_adjustment(behind: BinanceSimulator) -> None:
    unadjusted = ccxt_binance(behind, adjust_time=False)
    try:
        await unadjusted.load_markets()
        with pytest.raises(ccxt_async.InvalidNonce, match="-1021"):
            await unadjusted.fetch_balance()
    finally:
        await unadjusted.close()
    adjusted = ccxt_binance(behind, adjust_time=True)
    try:
        await adjusted.load_markets()
        assert abs(adjusted.options["timeDifference"] - SKEW_MS) < 1000
        assert (await adjusted.fetch_balance())["BTC"]["total"] == 1.0
    finally:
        await adjusted.close()


async def test_ccxt_loads_the_markets_aioca_sees(exchange: Any, api: BinanceRestApi) -> None:
    info = await run(api, CoinMExchangeInformation)
    assert {market["id"] for market in exchange.markets.values()} == {
        row["symbol"] for row in info["symbols"]
    }
    market = exchange.market(CCXT_BTC)
    assert (market["id"], market["type"], market["inverse"], market["settle"]) == (
        BTC,
        "swap",
        True,
        "BTC",
    )
    assert market["contractSize"] == CONTRACT_USD
    assert market["precision"]["price"] == 0.1
    assert market["limits"]["amount"]["min"] == 1
    quarterly = [m for m in exchange.markets.values() if m["future"]]
    assert quarterly, "the quarterly contracts load as futures"
    assert all(m["expiry"] for m in quarterly)


async def test_ccxt_market_data_matches_aioca(
    exchange: Any, behind: BinanceSimulator, api: BinanceRestApi
) -> None:
    ticker, prices = await around(lambda: aioca_price(api), exchange.fetch_ticker(CCXT_BTC))
    assert ticker["symbol"] == CCXT_BTC
    assert ticker["last"] in prices
    assert ticker["low"] <= ticker["last"] <= ticker["high"]

    start, end = closed_minutes(behind, 5)
    bars = await exchange.fetch_ohlcv(CCXT_BTC, "1m", since=start, limit=5)
    rows = await run(api, CoinMFetchKline, symbol=BTC, interval="1m", startTime=start, endTime=end)
    assert len(rows) == 5
    # ccxt's volume of an inverse market is the base (coin) volume, slot 7.
    assert bars == [[r[0], *map(float, (r[1], r[2], r[3], r[4], r[7]))] for r in rows]

    async def aioca_book() -> Any:
        book = await run(api, CoinMOrderBook, symbol=BTC, limit=5)
        return [[[float(p), float(q)] for p, q in book[side]] for side in ("bids", "asks")]

    book, books = await around(aioca_book, exchange.fetch_order_book(CCXT_BTC, limit=5))
    assert [book["bids"], book["asks"]] in books
    assert book["asks"][0][0] == pytest.approx(book["bids"][0][0] + 0.1)


async def test_ccxt_balance_is_aiocas_account(exchange: Any, api: BinanceRestApi) -> None:
    balance = await exchange.fetch_balance()
    account = await run(api, CoinMAccountInformation)
    assets = {row["asset"]: row for row in account["assets"]}
    assert balance["free"] == {code: float(row["availableBalance"]) for code, row in assets.items()}
    assert balance["total"] == {code: float(row["marginBalance"]) for code, row in assets.items()}
    assert balance["BTC"] == {"free": 1.0, "used": 0.0, "total": 1.0}


async def test_ccxt_places_fetches_and_cancels_an_order(
    exchange: Any, behind: BinanceSimulator, api: BinanceRestApi
) -> None:
    price = far_below((await exchange.fetch_ticker(CCXT_BTC))["last"])
    order = await exchange.create_order(CCXT_BTC, "limit", "buy", 1, float(price))
    assert (order["status"], order["side"], order["type"]) == ("open", "buy", "limit")
    assert (order["price"], order["amount"], order["filled"]) == (float(price), 1, 0)
    order_id = int(order["id"])

    open_orders = await run(api, CoinMCurrentAllOpenOrders, symbol=BTC)
    assert [(o["orderId"], o["clientOrderId"], o["price"]) for o in open_orders] == [
        (order_id, order["clientOrderId"], str(price))
    ]
    fetched = await exchange.fetch_order(order["id"], CCXT_BTC)
    assert (fetched["id"], fetched["status"], fetched["remaining"]) == (order["id"], "open", 1)
    used = (await exchange.fetch_balance())["BTC"]["used"]
    assert used == float(btc_asset(await run(api, CoinMAccountInformation))["initialMargin"])
    assert used == pytest.approx(order_margin(price), abs=1e-8)

    cancelled = await exchange.cancel_order(order["id"], CCXT_BTC)
    assert (cancelled["id"], cancelled["status"]) == (order["id"], "canceled")
    queried = await run(api, CoinMQueryOrder, symbol=BTC, orderId=order_id)
    assert queried["status"] == "CANCELED"
    assert behind.engine.orders[order_id].status == "CANCELED"
    assert await exchange.fetch_open_orders(CCXT_BTC) == []
    assert (await exchange.fetch_balance())["BTC"]["used"] == 0


# --- python-binance ---------------------------------------------------------------------


async def sync_clock(client: Any) -> None:
    """What ``AsyncClient.create()`` does with the spot server, with COIN-M's clock."""
    server = (await client.futures_coin_time())["serverTime"]
    client.timestamp_offset = server - int(time.time() * 1000)


async def test_python_binance_needs_its_timestamp_offset(pb_client: Any) -> None:
    with pytest.raises(BinanceAPIException) as caught:
        await pb_client.futures_coin_account()
    assert (caught.value.status_code, caught.value.code) == (400, -1021)
    await sync_clock(pb_client)
    assert abs(pb_client.timestamp_offset + SKEW_MS) < 1000
    assert btc_asset(await pb_client.futures_coin_account())["walletBalance"] == "1.00000000"


async def test_python_binance_market_data_matches_aioca(
    pb_client: Any, behind: BinanceSimulator, api: BinanceRestApi
) -> None:
    assert await pb_client.futures_coin_ping() == {}
    server = (await pb_client.futures_coin_time())["serverTime"]
    assert abs(server - behind.now_ms()) < 1000
    assert abs(server - (time.time() * 1000 - SKEW_MS)) < 1000

    start, end = closed_minutes(behind, 5)
    candles = await pb_client.futures_coin_klines(
        symbol=BTC, interval="1m", startTime=start, endTime=end
    )
    rows = await run(api, CoinMFetchKline, symbol=BTC, interval="1m", startTime=start, endTime=end)
    assert len(candles) == 5
    assert candles == rows

    async def aioca_ticker() -> Any:
        return await run(api, CoinMFetchTicker, symbol=BTC)

    ticker, tickers = await around(aioca_ticker, pb_client.futures_coin_symbol_ticker(symbol=BTC))
    assert ticker in tickers
    assert ticker[0]["symbol"] == BTC


async def test_python_binance_places_gets_and_cancels_an_order(
    pb_client: Any, behind: BinanceSimulator, api: BinanceRestApi
) -> None:
    await sync_clock(pb_client)
    account = await pb_client.futures_coin_account()
    assert account == await run(api, CoinMAccountInformation)

    price = far_below((await pb_client.futures_coin_symbol_ticker(symbol=BTC))[0]["price"])
    placed = await pb_client.futures_coin_create_order(
        symbol=BTC, side="BUY", type="LIMIT", timeInForce="GTC", quantity=1, price=str(price)
    )
    assert (placed["status"], placed["price"], placed["origQty"]) == ("NEW", str(price), "1")
    open_orders = await run(api, CoinMCurrentAllOpenOrders, symbol=BTC)
    assert [o["orderId"] for o in open_orders] == [placed["orderId"]]
    fetched = await pb_client.futures_coin_get_order(symbol=BTC, orderId=placed["orderId"])
    assert (fetched["status"], fetched["clientOrderId"]) == ("NEW", placed["clientOrderId"])
    margin = btc_asset(await pb_client.futures_coin_account())["openOrderInitialMargin"]
    assert margin == btc_asset(await run(api, CoinMAccountInformation))["openOrderInitialMargin"]
    assert float(margin) == pytest.approx(order_margin(price), abs=1e-8)

    cancelled = await pb_client.futures_coin_cancel_order(symbol=BTC, orderId=placed["orderId"])
    assert (cancelled["orderId"], cancelled["status"]) == (placed["orderId"], "CANCELED")
    queried = await run(api, CoinMQueryOrder, symbol=BTC, orderId=placed["orderId"])
    assert queried["status"] == "CANCELED"
    assert await pb_client.futures_coin_get_open_orders(symbol=BTC) == []


# --- the official connector (binance-futures-connector) ----------------------------------


@pytest.fixture
def ahead() -> Iterator[BinanceSimulator]:
    """A simulator 20 s ahead of the machine's clock, in a thread of its own: the
    connector is synchronous and blocks whatever event loop it is called from."""
    faults = Faults(clock_skew_ms=SKEW_MS)
    with background_simulator(api_key=KEY, api_secret=SECRET, seed=7, faults=faults) as sim:
        yield sim


@pytest.fixture
def connector(ahead: BinanceSimulator) -> Iterator[Any]:
    client = CMFutures(key=ahead.api_key, secret=ahead.api_secret, base_url=ahead.url)
    try:
        yield client
    finally:
        client.session.close()


def aioca(sim: BinanceSimulator, task_cls: Any, **params: Any) -> Any:
    """aioca's answer, from a synchronous test: a short event loop of its own."""

    async def read() -> Any:
        async with sim.api() as api:
            return await run(api, task_cls, **params)

    return asyncio.run(read())


def sync_around(read: Callable[[], Any], call: Callable[[], T]) -> tuple[T, list[Any]]:
    before = read()
    result = call()
    return result, [before, read()]


def test_connector_needs_a_recv_window(connector: Any) -> None:
    with pytest.raises(ClientError) as caught:
        connector.account()
    assert (caught.value.status_code, caught.value.error_code) == (400, -1021)
    assert "recvWindow" in caught.value.error_message
    account = connector.account(recvWindow=RECV_WINDOW)
    assert btc_asset(account)["walletBalance"] == "1.00000000"


def test_connector_reads_the_rate_limit_headers(ahead: BinanceSimulator) -> None:
    """``show_limit_usage`` collects Binance's X-MBX-USED-WEIGHT-* and
    X-MBX-ORDER-COUNT-* headers, case-insensitively, from every answer."""
    client = CMFutures(ahead.api_key, ahead.api_secret, base_url=ahead.url, show_limit_usage=True)
    try:
        first = client.ping()
        second = client.ping()
        assert (first["data"], second["data"]) == ({}, {})
        weights = [int(r["limit_usage"]["x-mbx-used-weight-1m"]) for r in (first, second)]
        assert weights[1] == weights[0] + 1  # GET /dapi/v1/ping weighs 1
        price = far_below(client.ticker_price(BTC)["data"][0]["price"])
        placed = client.new_order(
            symbol=BTC,
            side="BUY",
            type="LIMIT",
            timeInForce="GTC",
            quantity=1,
            price=str(price),
            recvWindow=RECV_WINDOW,
        )
        assert placed["data"]["status"] == "NEW"
        usage = placed["limit_usage"]
        assert (usage["x-mbx-order-count-10s"], usage["x-mbx-order-count-1m"]) == ("1", "1")
    finally:
        client.session.close()


def test_connector_market_data_matches_aioca(connector: Any, ahead: BinanceSimulator) -> None:
    assert connector.ping() == {}
    server = connector.time()["serverTime"]
    assert abs(server - ahead.now_ms()) < 1000
    assert abs(server - (time.time() * 1000 + SKEW_MS)) < 1000

    start, end = closed_minutes(ahead, 5)
    candles = connector.klines(BTC, "1m", startTime=start, endTime=end)
    assert len(candles) == 5
    assert candles == aioca(
        ahead, CoinMFetchKline, symbol=BTC, interval="1m", startTime=start, endTime=end
    )

    ticker, tickers = sync_around(
        lambda: aioca(ahead, CoinMFetchTicker, symbol=BTC), lambda: connector.ticker_price(BTC)
    )
    assert ticker in tickers
    pair, pairs = sync_around(
        lambda: aioca(ahead, CoinMFetchTicker, pair="BTCUSD"),
        lambda: connector.ticker_price(pair="BTCUSD"),
    )
    assert pair in pairs
    assert {row["symbol"] for row in pair} == {
        symbol for symbol in ahead.market.instruments if symbol.startswith("BTCUSD_")
    }


def test_connector_places_queries_and_cancels_an_order(
    connector: Any, ahead: BinanceSimulator
) -> None:
    window = {"recvWindow": RECV_WINDOW}
    assert connector.account(**window) == aioca(ahead, CoinMAccountInformation)
    price = far_below(connector.ticker_price(BTC)[0]["price"])
    placed = connector.new_order(
        symbol=BTC,
        side="BUY",
        type="LIMIT",
        timeInForce="GTC",
        quantity=1,
        price=str(price),
        newClientOrderId="connector-1",
        **window,
    )
    assert (placed["status"], placed["clientOrderId"], placed["price"]) == (
        "NEW",
        "connector-1",
        str(price),
    )
    open_orders = aioca(ahead, CoinMCurrentAllOpenOrders, symbol=BTC)
    assert [o["orderId"] for o in open_orders] == [placed["orderId"]]
    queried = connector.query_order(symbol=BTC, origClientOrderId="connector-1", **window)
    assert (queried["orderId"], queried["status"]) == (placed["orderId"], "NEW")
    assert connector.get_open_orders(BTC, orderId=placed["orderId"], **window) == queried
    margin = btc_asset(connector.account(**window))["openOrderInitialMargin"]
    assert float(margin) == pytest.approx(order_margin(price), abs=1e-8)

    cancelled = connector.cancel_order(symbol=BTC, orderId=placed["orderId"], **window)
    assert (cancelled["orderId"], cancelled["status"]) == (placed["orderId"], "CANCELED")
    assert aioca(ahead, CoinMQueryOrder, symbol=BTC, orderId=placed["orderId"])["status"] == (
        "CANCELED"
    )
    assert connector.get_orders(symbol=BTC, **window) == []
    with pytest.raises(ClientError) as caught:  # GET openOrder: open orders only
        connector.get_open_orders(BTC, orderId=placed["orderId"], **window)
    assert (caught.value.error_code, caught.value.error_message) == (-2013, "Order does not exist.")
    assert btc_asset(connector.account(**window))["openOrderInitialMargin"] == "0.00000000"
