"""Faithfulness: ccxt Pro (``ccxt.pro``, free in ccxt 4) consumes the simulator's streams
of the three markets unchanged (``binance`` for Spot, ``binanceusdm``, ``binancecoinm``),
only its REST and WebSocket base URLs pointed at the simulator, and what it builds
equals the simulator's own state:

* ``watch_order_book``: ccxt's local book (its REST snapshot, then the diff stream, with
  its own ``U``/``u``/``pu`` checks), every level of it, equals the simulator's book at
  every update id ccxt reports;
* ``watch_trades``: each trade's id, price, amount, side and time are the simulator's
  trade of that id;
* ``watch_ticker`` (the mini ticker, ccxt's default, and the full 24 h ticker):
  last, open, high, low and both volumes are the simulator's 24 h window at the event time;
* ``watch_ohlcv``: every candle that closed is the simulator's 1 m bar;
* ``watch_orders`` and ``watch_balance``, with the simulator's credentials: orders placed
  and cancelled through ccxt's REST calls arrive with the simulator's order record
  (status, price, filled, average, fee of the trade), and the balance is the account's.
  Spot's user data comes over the WebSocket API (``userDataStream.subscribe.signature``,
  ccxt's way since Binance retired Spot's listen key); the futures' over a listen key
  made over REST: COIN-M's at ``/ws/<listenKey>``, USDⓈ-M's at Binance's private route
  ``/private/ws?listenKey=<listenKey>``.

What ccxt does its own way, not the simulator's doing (each is Binance's behaviour too):

* ccxt's ``watch_trades`` subscribes ``<symbol>@trade`` by default; the futures
  markets document ``<symbol>@aggTrade`` only (``spec/binance-ws-streams.json``), so
  the futures tests pass ``params={"name": "aggTrade"}``, as a user must;
* ccxt's ``watch_ticker`` reads the mini ticker by default (no bid/ask); the full ticker
  needs ``params={"name": "ticker"}``; Binance's futures tickers carry no bid/ask either;
* COIN-M's tickers and candles count volume in contracts (``v``) and in the coin
  (``q``): ccxt's ticker ``baseVolume`` is the coin's, its ``quoteVolume`` the coin's
  worth in USD (at the average price ``w`` of the full ticker; the contracts times their
  size for the mini ticker), and its candles' volume is in contracts;
* ccxt's full ticker is timed by its window's close ``C``, the mini ticker by ``E``;
* ccxt updates the order dicts it returned in place: a test copies what it asserts;
* an update that comes while no ``watch_*`` call waits is only cached: the next call
  returns on the next update (ccxt#30220). The tests wait until ccxt waits before
  placing an order, and read later states from the cache ``watch_orders`` answers from;
* ccxt signs REST calls with its own clock, so the private tests run the simulator on
  the wall's clock (a fast simulated clock gets Binance's -1021 from the simulator,
  as Binance would answer); the market-data tests run 20 times faster than the wall.

Nothing here is skipped: every stream listed works against the simulator.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from binance_ws import until
from sim_helpers import FastClock

from aioca_binance_sim import BinanceSimulator
from aioca_binance_sim.market import BOOK_STEP_MS

MARKETS = ("spot", "usdm", "coinm")
KEY = "ccxtProDemoKey00" * 4  # Binance-shaped demo credentials, for these simulators only
SECRET = "ccxtProDemoSecret000" * 3 + "0000"
WAIT = 15.0  # seconds for one answer: generous, for a busy machine


Levels = list[list[float]]


@dataclass
class Market:
    """One market as ccxt names it, and the simulator's own state to compare with."""

    name: str
    symbol: str  # ccxt's unified symbol
    sim: BinanceSimulator

    # --- the simulator's state ---------------------------------------------------------

    def book(self, update_id: int) -> tuple[Levels, Levels]:
        """Every level of the simulator's book at ``update_id``, best first."""
        sim = self.sim
        if self.name == "spot":
            venue = sim.venues["spot"]
            spec = venue.symbols["BTCUSDT"]
            moment = update_id // 1000 * BOOK_STEP_MS  # the book step the id names
            bids, asks = venue.tape.book_levels(spec, moment, venue.tape.book_depth)
            return (
                [[float(spec.tick * t), float(spec.step * q)] for t, q in bids],
                [[float(spec.tick * t), float(spec.step * q)] for t, q in asks],
            )
        if self.name == "usdm":
            s = sim.venues["usdm"].symbols["BTCUSDT"]
            sides = sim.venues["usdm"].market.core.book_levels(s.instrument, update_id // 1000)
            return tuple(  # type: ignore[return-value]
                [[float(s.ticks_price(t)), float(s.steps_qty(q))] for t, q in side.items()]
                for side in sides
            )
        instrument = sim.market.instruments["BTCUSD_PERP"]
        sides = sim.market.book_levels(instrument, update_id // 1000)
        return tuple(  # type: ignore[return-value]
            [[float(instrument.price_text(t)), float(q)] for t, q in side.items()] for side in sides
        )

    def trade(self, trade_id: int) -> dict[str, Any]:
        """The simulator's trade ``trade_id`` as ccxt states one."""
        sim = self.sim
        if self.name == "spot":
            venue = sim.venues["spot"]
            spec = venue.symbols["BTCUSDT"]
            t = venue.tape.trade(spec, trade_id)
            price, amount = float(spec.tick * t.ticks), float(spec.step * t.steps)
        elif self.name == "usdm":
            s = sim.venues["usdm"].symbols["BTCUSDT"]
            t = sim.venues["usdm"].market.core.trade(s.instrument, trade_id)
            price, amount = float(s.ticks_price(t.ticks)), float(s.steps_qty(t.qty))
        else:
            instrument = sim.market.instruments["BTCUSD_PERP"]
            t = sim.market.trade(instrument, trade_id)
            price, amount = float(instrument.price_text(t.ticks)), float(t.qty)
        side = "sell" if t.buyer_maker else "buy"  # the taker's side
        return {
            "id": str(t.id),
            "timestamp": t.time,
            "price": price,
            "amount": amount,
            "side": side,
        }

    def day(self, now: int, *, full: bool) -> dict[str, float]:
        """The simulator's 24 h window at ``now``, in ccxt's ticker fields (of the full
        ticker or of the mini ticker)."""
        sim = self.sim
        top: dict[str, float] = {}
        if self.name == "spot":
            venue = sim.venues["spot"]
            day = venue.tape.ticker_24hr(venue.symbols["BTCUSDT"], now, full=True)
            volumes = day["volume"], day["quoteVolume"]
            if full:  # only Spot's full ticker has the book's top
                top = {"bid": float(day["bidPrice"]), "ask": float(day["askPrice"])}
        elif self.name == "usdm":
            venue = sim.venues["usdm"]
            day = venue.market.ticker_24hr(venue.symbols["BTCUSDT"], now)
            volumes = day["volume"], day["quoteVolume"]
        else:
            instrument = sim.market.instruments["BTCUSD_PERP"]
            day = sim.market.ticker_24hr(instrument, now)
            # ccxt: the coin's volume, and its worth in USD: at the average price (the
            # full ticker has one), else the contracts times their size
            worth = (
                float(day["baseVolume"]) * float(day["weightedAvgPrice"])
                if full
                else float(day["volume"]) * instrument.pair.contract_size
            )
            volumes = day["baseVolume"], worth
        return {
            "last": float(day["lastPrice"]),
            "open": float(day["openPrice"]),
            "high": float(day["highPrice"]),
            "low": float(day["lowPrice"]),
            "baseVolume": float(volumes[0]),
            "quoteVolume": float(volumes[1]),
            **top,
        }

    def bar(self, opens: int) -> list[float]:
        """The simulator's closed 1 m bar opening at ``opens``, as ccxt's OHLCV row."""
        sim, last = self.sim, opens + 59_000  # the bar's last published second
        if self.name == "spot":
            venue = sim.venues["spot"]
            bar = venue.tape.klines(venue.symbols["BTCUSDT"], "1m", opens, last, 1, last)[0]
        elif self.name == "usdm":
            venue = sim.venues["usdm"]
            bar = venue.market.klines(venue.symbols["BTCUSDT"], "1m", opens, last, 1, last)[0]
        else:
            instrument = sim.market.instruments["BTCUSD_PERP"]
            bar = sim.market.klines(instrument, "1m", opens, last, 1, last)[0]
        assert bar[0] == opens
        return [bar[0], *(float(value) for value in bar[1:6])]  # COIN-M: in contracts

    def order(self, order_id: int) -> Any:
        engine = self.sim.venues[self.name].engine
        return engine.orders[order_id]


def connect(sim: BinanceSimulator, market: str) -> tuple[Any, Market]:
    """ccxt Pro's exchange of ``market`` with its REST and WebSocket URLs on ``sim``."""
    import ccxt.pro as ccxt_pro  # type: ignore[import-untyped]  # free in ccxt 4

    credentials = {"apiKey": sim.api_key, "secret": sim.api_secret}
    ws = sim.ws_urls[market]
    if market == "spot":
        exchange = ccxt_pro.binance(
            {
                **credentials,
                "options": {
                    # Spot only: no margin pairs nor wallet currencies (sapi, not served)
                    "fetchMarkets": ["spot"],
                    "fetchMargins": False,
                    "fetchCurrencies": False,
                    "defaultType": "spot",
                },
            }
        )
        api = exchange.urls["api"]
        api["public"] = api["private"] = sim.urls["spot"] + "/api/v3"
        api["ws"]["spot"] = ws + "/ws"
        api["ws"]["ws-api"]["spot"] = sim.ws_api_url
        return exchange, Market("spot", "BTC/USDT", sim)
    if market == "usdm":
        exchange = ccxt_pro.binanceusdm({**credentials, "options": {"fetchCurrencies": False}})
        url, api = sim.urls["usdm"], exchange.urls["api"]
        for version, path in (("", "/fapi/v1"), ("V2", "/fapi/v2"), ("V3", "/fapi/v3")):
            api["fapiPublic" + version] = api["fapiPrivate" + version] = url + path
        api["fapiData"] = url + "/futures/data"
        api["ws"]["linear"] = ws + "/ws"  # ccxt adds Binance's /public, /market, /private
        return exchange, Market("usdm", "BTC/USDT:USDT", sim)
    exchange = ccxt_pro.binancecoinm({**credentials, "options": {"fetchCurrencies": False}})
    url, api = sim.urls["coinm"], exchange.urls["api"]
    api["dapiPublic"] = api["dapiPrivate"] = url + "/dapi/v1"
    api["dapiPublicV2"] = api["dapiPrivateV2"] = url + "/dapi/v2"
    api["dapiData"] = url + "/futures/data"
    api["ws"]["inverse"] = ws + "/ws"
    return exchange, Market("coinm", "BTC/USD:BTC", sim)


@asynccontextmanager
async def ccxt_pro_on(market: str, **options: Any) -> AsyncIterator[tuple[Any, Market]]:
    async with BinanceSimulator(api_key=KEY, api_secret=SECRET, **options) as sim:
        for name in MARKETS:  # a smaller book: every level is compared, quickly
            if name == "spot":
                sim.venues["spot"].tape.book_depth = 100
            elif name == "usdm":
                sim.venues["usdm"].market.core.book_depth = 100
            else:
                sim.market.book_depth = 100
        exchange, state = connect(sim, market)
        try:
            await exchange.load_markets()
            yield exchange, state
        finally:
            await exchange.close()


def answer(call: Awaitable[Any]) -> Awaitable[Any]:
    return asyncio.wait_for(call, WAIT)


TRADES = {"spot": {}, "usdm": {"name": "aggTrade"}, "coinm": {"name": "aggTrade"}}


# --- market data ---------------------------------------------------------------------


@pytest.mark.parametrize("market", MARKETS)
async def test_ccxt_pro_order_book_is_the_simulators_at_every_update(market: str) -> None:
    async with ccxt_pro_on(market, seed=3, clock=FastClock(20.0)) as (exchange, state):
        seen = []
        for _ in range(12):
            book = await answer(exchange.watch_order_book(state.symbol))
            # copies: ccxt updates its levels in place
            bids = [list(level) for level in book["bids"]]
            asks = [list(level) for level in book["asks"]]
            seen.append((book["nonce"], bids, asks))
        mismatched = [nonce for nonce, bids, asks in seen if (bids, asks) != state.book(nonce)]
    nonces = [nonce for nonce, _, _ in seen]
    assert len(set(nonces)) > 5  # the book moved through many updates
    assert all(len(bids) == len(asks) == 100 for _, bids, asks in seen)
    assert mismatched == []


@pytest.mark.parametrize("market", MARKETS)
async def test_ccxt_pro_trades_are_the_simulators(market: str) -> None:
    async with ccxt_pro_on(market, seed=3, clock=FastClock(20.0)) as (exchange, state):
        trades: dict[str, dict[str, Any]] = {}
        while len(trades) < 3:
            for trade in await answer(exchange.watch_trades(state.symbol, params=TRADES[market])):
                trades[trade["id"]] = trade
    keys = ("id", "timestamp", "price", "amount", "side")
    got = [{key: trade[key] for key in keys} for trade in trades.values()]
    assert got == [state.trade(int(trade["id"])) for trade in trades.values()]
    assert all(trade["symbol"] == state.symbol for trade in trades.values())


@pytest.mark.parametrize("name", ["miniTicker", "ticker"])
@pytest.mark.parametrize("market", MARKETS)
async def test_ccxt_pro_ticker_is_the_simulators_day(market: str, name: str) -> None:
    async with ccxt_pro_on(market, seed=3, clock=FastClock(20.0)) as (exchange, state):
        tickers = []
        for _ in range(3):
            ticker = await answer(exchange.watch_ticker(state.symbol, params={"name": name}))
            tickers.append(dict(ticker))
    for ticker in tickers:
        expected = state.day(ticker["info"]["E"], full=name == "ticker")
        assert {key: ticker[key] for key in expected} == pytest.approx(expected, rel=1e-12)
        assert ticker["info"]["e"] == ("24hrMiniTicker" if name == "miniTicker" else "24hrTicker")
    assert len({ticker["info"]["E"] for ticker in tickers}) == 3  # three updates, one a second
    if market == "spot" and name == "ticker":
        assert all(ticker["bid"] < ticker["ask"] for ticker in tickers)


@pytest.mark.parametrize("market", MARKETS)
async def test_ccxt_pro_candles_are_the_simulators_bars(market: str) -> None:
    async with ccxt_pro_on(market, seed=3, clock=FastClock(20.0)) as (exchange, state):
        candles: dict[int, list[float]] = {}
        while len(candles) < 3:  # two closed and the open one (3 s each)
            for candle in await answer(exchange.watch_ohlcv(state.symbol, "1m")):
                candles[candle[0]] = list(candle)
    opens = sorted(candles)
    assert [b - a for a, b in itertools.pairwise(opens)] == [60_000] * (len(opens) - 1)
    closed = [candles[start] for start in opens[:-1]]  # the last may still be open
    assert closed == [state.bar(start) for start in opens[:-1]]


# --- user data ------------------------------------------------------------------------


def _listening(exchange: Any, state: Market, watched: str) -> bool:
    """The simulator has the user-data connection ccxt opened, and ccxt waits for
    ``watched`` on it (an answer that comes while ccxt waits for nothing is only
    cached: its watch call returns on the next one, ccxt's way)."""
    sim = state.sim
    if state.name == "spot":
        assert sim.ws_api is not None
        subscribed = any(c.subscriptions for c in sim.ws_api.connections)
    else:
        subscribed = any(c.listen_key for c in sim.market_streams[state.name].connections)
    waits = [key for client in exchange.clients.values() for key in client.futures]
    return subscribed and any(key.endswith(watched) for key in waits)


async def _cached_order(exchange: Any, order_id: str, status: str) -> dict[str, Any]:
    """A copy of ccxt's order ``order_id`` once its stream made it ``status``: the
    cache ``watch_orders`` answers from (ccxt fills it from every update, also those
    that came between two watch calls)."""

    def found() -> dict[str, Any] | None:
        for order in exchange.orders or ():
            if order["id"] == order_id and order["status"] == status:
                return dict(order)
        return None

    await until(lambda: found() is not None, WAIT)
    order = found()
    assert order is not None
    return order


@pytest.mark.parametrize("market", MARKETS)
async def test_ccxt_pro_watches_its_orders_placed_over_rest(market: str) -> None:
    async with ccxt_pro_on(market, seed=5) as (exchange, state):
        amount = 1.0 if market == "coinm" else 0.01
        watching = asyncio.ensure_future(exchange.watch_orders(state.symbol))
        await until(lambda: _listening(exchange, state, "orders:" + state.symbol), WAIT)
        last = (await exchange.fetch_ticker(state.symbol))["last"]
        low = float(exchange.price_to_precision(state.symbol, last * 0.9))
        resting = await exchange.create_order(state.symbol, "limit", "buy", amount, low)
        new = dict((await answer(watching))[-1])  # a copy: ccxt updates it in place
        await exchange.cancel_order(resting["id"], state.symbol)
        canceled = await _cached_order(exchange, resting["id"], "canceled")
        market_order = await exchange.create_order(state.symbol, "market", "buy", amount)
        filled = await _cached_order(exchange, market_order["id"], "closed")
        record = state.order(int(market_order["id"]))
        rest_order = state.order(int(resting["id"]))
    assert (new["id"], new["status"], new["price"], new["amount"]) == (
        resting["id"], "open", low, amount,
    )  # fmt: skip
    assert rest_order.status == "CANCELED"
    assert (canceled["id"], canceled["status"]) == (resting["id"], "canceled")
    assert record.status == "FILLED"
    ordered = record.orig_qty if market == "spot" else record.quantity
    assert filled["filled"] == amount == float(ordered) == float(record.executed)
    assert filled["remaining"] == 0
    assert filled["side"] == "buy"
    assert filled["clientOrderId"] == record.client_id
    fills = _fills(state, record)
    assert filled["average"] == pytest.approx(_average(fills), rel=1e-12)
    assert filled["fee"]["cost"] == pytest.approx(sum(fee for _, _, fee in fills), rel=1e-9)


def _fills(state: Market, record: Any) -> list[tuple[float, float, float]]:
    """(price, quantity, fee) of each fill of the simulator's order record."""
    if state.name == "spot":
        return [(float(f.price), float(f.qty), float(f.commission)) for f in record.fills]
    fills = state.sim.venues[state.name].engine.user_trades
    return [
        (float(t["price"]), float(t["qty"]), float(t["commission"]))
        for t in fills
        if t["orderId"] == record.order_id
    ]


def _average(fills: list[tuple[float, float, float]]) -> float:
    quantity = sum(qty for _, qty, _ in fills)
    return sum(price * qty for price, qty, _ in fills) / quantity


@pytest.mark.parametrize("market", MARKETS)
async def test_ccxt_pro_balance_is_the_accounts_after_a_fill(market: str) -> None:
    async with ccxt_pro_on(market, seed=5) as (exchange, state):
        amount = 1.0 if market == "coinm" else 0.01
        watching = asyncio.ensure_future(exchange.watch_balance())
        await until(lambda: _listening(exchange, state, ":balance"), WAIT)
        await exchange.create_order(state.symbol, "market", "buy", amount)
        balance = await answer(watching)
        expected = _account(state)
    for asset, (free, total) in expected.items():
        assert balance[asset]["total"] == pytest.approx(total, rel=1e-12), asset
        if free is not None:
            assert balance[asset]["free"] == pytest.approx(free, rel=1e-12), asset


def _account(state: Market) -> dict[str, tuple[float | None, float]]:
    """The simulator's balances of the assets the fill moved: (free, total); futures
    events carry the wallet balance only (ccxt leaves ``free`` unknown)."""
    sim = state.sim
    if state.name == "spot":
        engine = sim.venues["spot"].engine
        return {
            asset: (float(engine.free[asset]), float(engine.free[asset] + engine.locked[asset]))
            for asset in ("BTC", "USDT")
        }
    if state.name == "usdm":
        wallet = sim.venues["usdm"].engine.account.balances["USDT"]
        return {"USDT": (None, float(wallet.quantize(Decimal("1e-8"))))}
    figures = sim.engine.asset_figures("BTC", sim.now_ms())
    return {"BTC": (None, float(figures["wallet"].quantize(Decimal("1e-8"))))}
