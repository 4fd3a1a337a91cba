"""The Spot simulator speaks Binance Spot well enough for the peer libraries: Binance's
official ``binance-sdk-spot`` (its pydantic models validate every answer), python-binance
(``AsyncClient``) and ccxt (``binance``) read the market and the account and place, query
and cancel orders against ``sim.urls["spot"]`` unchanged, only their base URL pointed at
it, and see what the simulator's state says."""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from typing import Any

import ccxt.async_support as ccxt_async  # type: ignore[import-untyped]
import pytest
from binance_sdk_spot.spot import ConfigurationRestAPI, Spot  # type: ignore[import-untyped]

from aioca_binance_sim import BinanceSimulator
from aioca_binance_sim.background import background_simulator

with warnings.catch_warnings():
    # python-binance imports websockets' legacy client API (deprecated since websockets
    # 14) when it is imported; the REST calls tested here never use it.
    warnings.filterwarnings("ignore", "websockets.* is deprecated", DeprecationWarning)
    warnings.filterwarnings("ignore", "websockets.legacy is deprecated", DeprecationWarning)
    from binance.async_client import AsyncClient  # type: ignore[import-untyped]

BTC = "BTCUSDT"
# Binance-shaped demo credentials (64 characters each), for this test's simulators only.
KEY = "spotPeersDemoKey" * 4
SECRET = "spotPeersDemoSecret0" * 3 + "0000"


@pytest.fixture
def sim_thread() -> Iterator[BinanceSimulator]:
    with background_simulator(seed=7, api_key=KEY, api_secret=SECRET) as sim:
        yield sim


@pytest.fixture
async def sim() -> AsyncIterator[BinanceSimulator]:
    async with BinanceSimulator(seed=7, api_key=KEY, api_secret=SECRET) as simulator:
        yield simulator


def test_the_official_sdk(sim_thread: BinanceSimulator) -> None:
    config = ConfigurationRestAPI(api_key=KEY, api_secret=SECRET, base_path=sim_thread.urls["spot"])
    rest = Spot(config_rest_api=config).rest_api
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the SDK's models accept every answer silently
        price = Decimal(rest.ticker_price(symbol=BTC).data().actual_instance.price)
        book = rest.depth(symbol=BTC, limit=5).data()
        assert Decimal(book.bids[0][0]) < Decimal(book.asks[0][0])
        info = rest.exchange_info(symbol=BTC).data()
        assert info.symbols[0].filters[0].actual_instance.tick_size == "0.01000000"
        assert len(rest.klines(symbol=BTC, interval="1h", limit=3).data()) == 3
        bought = rest.new_order(symbol=BTC, side="BUY", type="MARKET", quantity=0.01).data()
        assert bought.status == "FILLED"
        assert sum(Decimal(fill.qty) for fill in bought.fills) == Decimal("0.01")
        limit = float((price * Decimal("0.9")).quantize(Decimal("0.01")))
        resting = rest.new_order(symbol=BTC, side="BUY", type="LIMIT", time_in_force="GTC",
                                 quantity=0.01, price=limit).data()  # fmt: skip
        assert rest.get_order(symbol=BTC, order_id=resting.order_id).data().status == "NEW"
        assert [o.order_id for o in rest.get_open_orders(symbol=BTC).data()] == [resting.order_id]
        canceled = rest.delete_order(symbol=BTC, order_id=resting.order_id).data()
        assert canceled.status == "CANCELED"
        balances = {b.asset: b for b in rest.get_account().data().balances}
        assert Decimal(balances["BTC"].free) == Decimal("1.01") - Decimal("0.00001")
        assert Decimal(balances["USDT"].locked) == 0
        assert len(rest.my_trades(symbol=BTC).data()) == len(bought.fills)


async def test_python_binance(sim: BinanceSimulator) -> None:
    client = AsyncClient(KEY, SECRET)  # create() would ping api.binance.com first
    client.API_URL = sim.urls["spot"] + "/api"
    try:
        price = Decimal((await client.get_symbol_ticker(symbol=BTC))["price"])
        sold = await client.create_order(symbol=BTC, side="SELL", type="MARKET", quantity="0.01")
        assert sold["status"] == "FILLED"
        high = str((price * Decimal("1.1")).quantize(Decimal("0.01")))
        resting = await client.create_order(
            symbol=BTC, side="SELL", type="LIMIT", timeInForce="GTC", quantity="0.01", price=high
        )
        order = await client.get_order(symbol=BTC, orderId=resting["orderId"])
        assert order["status"] == "NEW"
        account = await client.get_account()
        btc = next(b for b in account["balances"] if b["asset"] == "BTC")
        assert (Decimal(btc["free"]), Decimal(btc["locked"])) == (Decimal("0.98"), Decimal("0.01"))
        canceled = await client.cancel_order(symbol=BTC, orderId=resting["orderId"])
        assert canceled["status"] == "CANCELED"
    finally:
        await client.close_connection()


def ccxt_spot(sim: BinanceSimulator) -> Any:
    exchange = ccxt_async.binance(
        {
            "apiKey": KEY,
            "secret": SECRET,
            "options": {
                # Spot markets only, no margin pairs nor wallet currencies (sapi, which the
                # simulator does not serve).
                "fetchMarkets": ["spot"],
                "fetchMargins": False,
                "fetchCurrencies": False,
                "defaultType": "spot",
            },
        }
    )
    exchange.urls["api"]["public"] = exchange.urls["api"]["private"] = sim.urls["spot"] + "/api/v3"
    return exchange


async def test_ccxt(sim: BinanceSimulator) -> None:
    exchange = ccxt_spot(sim)
    try:
        markets = await exchange.load_markets()
        assert markets["BTC/USDT"]["precision"]["price"] == 0.01
        assert markets["BTC/USDT"]["limits"]["cost"]["min"] == 5
        ticker = await exchange.fetch_ticker("BTC/USDT")
        book = await exchange.fetch_order_book("BTC/USDT", 5)
        assert book["bids"][0][0] < book["asks"][0][0]
        low = round(ticker["last"] * 0.9, 2)
        order = await exchange.create_order("BTC/USDT", "limit", "buy", 0.01, low)
        assert order["status"] == "open"
        assert (await exchange.fetch_order(order["id"], "BTC/USDT"))["status"] == "open"
        balance = await exchange.fetch_balance()
        assert balance["USDT"]["used"] == pytest.approx(low * 0.01)
        assert (await exchange.cancel_order(order["id"], "BTC/USDT"))["status"] == "canceled"
        market = await exchange.create_order("BTC/USDT", "market", "buy", 0.01)
        assert market["status"] == "closed"
        assert market["filled"] == 0.01
        assert market["fee"] == {"currency": "BTC", "cost": pytest.approx(0.00001)}
        trades = await exchange.fetch_my_trades("BTC/USDT")
        assert sum(t["amount"] for t in trades) == pytest.approx(0.01)
    finally:
        await exchange.close()
