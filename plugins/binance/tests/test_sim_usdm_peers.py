"""The simulator's USDⓈ-M market is faithful enough for the peer libraries: Binance's
official SDK (``binance-sdk-derivatives-trading-usds-futures``, its models validating the
answers), python-binance (``AsyncClient.futures_*``) and ccxt (``binanceusdm``) run
unchanged against ``sim.urls["usdm"]`` for market data, orders and the account, only
their base URLs pointed at it, and see what the simulated venue holds."""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from typing import Any

import ccxt.async_support as ccxt_async  # type: ignore[import-untyped]
import pytest

from aioca_binance_sim import BinanceSimulator
from aioca_binance_sim.background import background_simulator

with warnings.catch_warnings():
    # python-binance imports websockets' legacy client API at import time (see
    # test_sim_peers.py); the REST calls tested here never use it.
    warnings.filterwarnings(
        "ignore", "websockets.WebSocketClientProtocol is deprecated", DeprecationWarning
    )
    warnings.filterwarnings("ignore", "websockets.legacy is deprecated", DeprecationWarning)
    from binance.async_client import AsyncClient  # type: ignore[import-untyped]
    from binance.exceptions import BinanceAPIException  # type: ignore[import-untyped]

BTC = "BTCUSDT"
KEY = "peerLibrariesDemoKey" * 3 + "0000"
SECRET = "peerLibrariesDemoSecret0" * 2 + "0" * 16


def _venue(sim: BinanceSimulator) -> Any:
    return sim.venues["usdm"]


def _below(price: Any, factor: str = "0.97") -> Decimal:
    return (Decimal(str(price)) * Decimal(factor)).quantize(Decimal("0.1"))


@pytest.fixture
async def sim() -> AsyncIterator[BinanceSimulator]:
    async with BinanceSimulator(api_key=KEY, api_secret=SECRET, seed=9) as simulator:
        yield simulator


# --- ccxt -------------------------------------------------------------------------------


@pytest.fixture
async def exchange(sim: BinanceSimulator) -> AsyncIterator[Any]:
    client = ccxt_async.binanceusdm(
        {"apiKey": sim.api_key, "secret": sim.api_secret, "options": {"fetchCurrencies": False}}
    )
    url = sim.urls["usdm"]
    api = client.urls["api"]
    for name in ("fapiPublic", "fapiPrivate"):
        api[name] = url + "/fapi/v1"
    for name in ("fapiPublicV2", "fapiPrivateV2"):
        api[name] = url + "/fapi/v2"
    for name in ("fapiPublicV3", "fapiPrivateV3"):
        api[name] = url + "/fapi/v3"
    api["fapiData"] = url + "/futures/data"
    try:
        yield client
    finally:
        await client.close()


async def test_ccxt_reads_the_markets_and_the_market_data(
    exchange: Any, sim: BinanceSimulator
) -> None:
    markets = await exchange.load_markets()
    market = markets["BTC/USDT:USDT"]
    assert market["linear"]
    assert market["contract"]
    assert market["precision"]["amount"] == 0.001
    assert market["limits"]["cost"]["min"] == 100
    assert "ETH/USDC:USDC" in markets
    book = await exchange.fetch_order_book("BTC/USDT:USDT", 5)
    assert book["bids"][0][0] < book["asks"][0][0]
    candles = await exchange.fetch_ohlcv("BTC/USDT:USDT", "1m", limit=3)
    assert len(candles) == 3
    assert all(low <= high for _, _, high, low, _, _ in candles)
    ticker = await exchange.fetch_ticker("BTC/USDT:USDT")
    last = _venue(sim).market.last_price(_venue(sim).symbols[BTC], sim.now_ms())
    assert abs(Decimal(str(ticker["last"])) - last) / last < Decimal("0.01")
    funding = await exchange.fetch_funding_rate("BTC/USDT:USDT")
    assert funding["markPrice"] > 0


async def test_ccxt_trades_and_reads_the_account(exchange: Any, sim: BinanceSimulator) -> None:
    balance = await exchange.fetch_balance()
    assert balance["USDT"]["total"] == 100_000
    assert balance["USDC"]["total"] == 50_000
    order = await exchange.create_order("BTC/USDT:USDT", "market", "buy", 0.01)
    assert order["status"] == "closed"
    assert order["filled"] == 0.01
    positions = await exchange.fetch_positions(["BTC/USDT:USDT"])
    (position,) = [p for p in positions if p["contracts"]]
    assert position["side"] == "long"
    assert position["contracts"] == 0.01
    price = _below((await exchange.fetch_ticker("BTC/USDT:USDT"))["last"])
    resting = await exchange.create_order("BTC/USDT:USDT", "limit", "buy", 0.002, float(price))
    fetched = await exchange.fetch_order(resting["id"], "BTC/USDT:USDT")
    assert fetched["status"] == "open"
    assert [o["id"] for o in await exchange.fetch_open_orders("BTC/USDT:USDT")] == [resting["id"]]
    canceled = await exchange.cancel_order(resting["id"], "BTC/USDT:USDT")
    assert canceled["status"] == "canceled"
    trades = await exchange.fetch_my_trades("BTC/USDT:USDT")
    assert sum(t["amount"] for t in trades) == pytest.approx(0.01)
    await exchange.set_leverage(10, "BTC/USDT:USDT")
    assert _venue(sim).engine.leverage(BTC) == 10


# --- python-binance ----------------------------------------------------------------------


@pytest.fixture
async def binance_client(sim: BinanceSimulator) -> AsyncIterator[Any]:
    client = AsyncClient(sim.api_key, sim.api_secret)
    client.FUTURES_URL = sim.urls["usdm"] + "/fapi"
    client.FUTURES_DATA_URL = sim.urls["usdm"] + "/futures/data"
    try:
        yield client
    finally:
        await client.close_connection()


async def test_python_binance_futures_calls(binance_client: Any, sim: BinanceSimulator) -> None:
    client = binance_client
    info = await client.futures_exchange_info()
    assert BTC in {s["symbol"] for s in info["symbols"]}
    book = await client.futures_order_book(symbol=BTC, limit=5)
    assert len(book["bids"]) == 5
    klines = await client.futures_klines(symbol=BTC, interval="5m", limit=2)
    assert len(klines) == 2
    mark = await client.futures_mark_price(symbol=BTC)
    assert Decimal(mark["markPrice"]) > 0
    placed = await client.futures_create_order(
        symbol=BTC, side="SELL", type="MARKET", quantity=0.02
    )
    assert placed["status"] == "NEW"  # the default ACK answer
    found = await client.futures_get_order(symbol=BTC, orderId=placed["orderId"])
    assert found["status"] == "FILLED"
    assert found["executedQty"] == "0.020"
    positions = await client.futures_position_information(symbol=BTC)
    assert Decimal(positions[0]["positionAmt"]) == Decimal("-0.02")
    account = await client.futures_account()
    usdt = next(a for a in account["assets"] if a["asset"] == "USDT")
    assert Decimal(usdt["walletBalance"]) < 100_000  # the taker fee
    with pytest.raises(BinanceAPIException) as caught:
        await client.futures_create_order(symbol=BTC, side="BUY", type="MARKET", quantity=0.0001)
    assert caught.value.code == -4004
    income = await client.futures_income_history(incomeType="COMMISSION")
    assert income
    assert all(row["asset"] == "USDT" for row in income)


# --- Binance's official SDK ------------------------------------------------------------------


@pytest.fixture
def threaded() -> Iterator[BinanceSimulator]:
    """The SDK is synchronous (it would block an event loop the simulator shares)."""
    with background_simulator(api_key=KEY, api_secret=SECRET, seed=9) as simulator:
        yield simulator


def test_the_official_sdk_validates_the_answers_without_warnings(
    threaded: BinanceSimulator,
) -> None:
    from binance_common.configuration import ConfigurationRestAPI
    from binance_sdk_derivatives_trading_usds_futures.derivatives_trading_usds_futures import (
        DerivativesTradingUsdsFutures,
    )

    config = ConfigurationRestAPI(
        api_key=threaded.api_key, api_secret=threaded.api_secret, base_path=threaded.urls["usdm"]
    )
    rest = DerivativesTradingUsdsFutures(config_rest_api=config).rest_api
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        info = rest.exchange_information().data()
        assert BTC in {s.symbol for s in info.symbols}
        book = rest.order_book(symbol=BTC, limit=5).data()
        assert len(book.bids) == 5
        ticker = rest.symbol_price_ticker(symbol=BTC).data()
        assert ticker is not None
        premium = rest.mark_price(symbol=BTC).data()
        assert premium is not None
        placed = rest.new_order(
            symbol=BTC, side="BUY", type="MARKET", quantity=0.01, new_order_resp_type="RESULT"
        ).data()
        assert placed.status == "FILLED"
        price = float(_below(book.bids[0][0]))
        resting = rest.new_order(
            symbol=BTC, side="BUY", type="LIMIT", time_in_force="GTC", quantity=0.002, price=price
        ).data()
        queried = rest.query_order(symbol=BTC, order_id=resting.order_id).data()
        assert queried.status == "NEW"
        canceled = rest.cancel_order(symbol=BTC, order_id=resting.order_id).data()
        assert canceled.status == "CANCELED"
        account = rest.account_information_v3().data()
        assert [p.symbol for p in account.positions] == [BTC]
        positions = rest.position_information_v3(symbol=BTC).data()
        assert positions[0].position_amt == "0.010"
        balance = rest.futures_account_balance_v3().data()
        assert {row.asset for row in balance} == {"USDT", "USDC"}
        trades = rest.account_trade_list(symbol=BTC).data()
        assert trades
        leverage = rest.change_initial_leverage(symbol=BTC, leverage=5).data()
        assert leverage.leverage == 5


async def test_ccxt_modes_leverage_tiers_and_funding(exchange: Any, sim: BinanceSimulator) -> None:
    await exchange.load_markets()
    await exchange.set_margin_mode("isolated", "ETH/USDT:USDT")
    assert "ETHUSDT" in _venue(sim).engine.account.isolated
    await exchange.set_position_mode(True)
    assert _venue(sim).engine.account.dual_side
    mode = await exchange.fetch_position_mode()
    assert mode["hedged"] is True
    tiers = await exchange.fetch_leverage_tiers(["BTC/USDT:USDT"])
    first = tiers["BTC/USDT:USDT"][0]
    assert first["maxLeverage"] == 125
    assert first["maxNotional"] == 250_000
    history = await exchange.fetch_funding_rate_history("BTC/USDT:USDT", limit=3)
    assert len(history) == 3
    assert history[1]["timestamp"] - history[0]["timestamp"] == 28_800_000
    interest = await exchange.fetch_open_interest("BTC/USDT:USDT")
    assert interest["openInterestAmount"] > 0
