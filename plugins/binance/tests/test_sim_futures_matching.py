"""How the futures simulators match a new order, one rule for COIN-M and USDⓈ-M (the
simulator's ``futures_orders``), each test run on both markets through aioca's REST tasks,
the clock stopped (the book stands still between two requests):

- a taker walks the book: a limit order larger than the level at the touch takes that
  level and rests the rest (PARTIALLY_FILLED);
- a ``FOK`` order the book cannot fill whole is refused with -5021 FOK_ORDER_REJECT, which
  the COIN-M extract (``binance-signing-and-errors.md`` § 6.1) notes shows up in COIN-M
  order responses too ("FOK/GTX reject"): nothing placed;
- self-trade prevention: both new-order pages list ``selfTradePreventionMode``
  (EXPIRE_TAKER, EXPIRE_MAKER, EXPIRE_BOTH, NONE), COIN-M's "only effective when
  ``timeInForce`` set to ``IOC`` or ``GTC``": a taker that reaches the account's own
  resting order acts by its mode; one that stops short of it leaves it alone;
- a modification of a partly filled order to a quantity <= ``executedQty`` cancels it
  (both modify pages: "the order will be cancelled by the amendment ... when the order is
  in partially filled status and the new ``quantity`` <= ``executedQty``").
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from sim_helpers import FakeClock, follow_clock

from aioca import RetryPolicy
from aioca.errors import ExchangeError
from aioca_binance import BinanceRestApi
from aioca_binance.coinm import (
    CoinMCurrentAllOpenOrders,
    CoinMModifyOrder,
    CoinMNewOrder,
    CoinMOrderBook,
    CoinMQueryOrder,
)
from aioca_binance.usdm import (
    UsdmDepth,
    UsdmModifyOrder,
    UsdmNewOrder,
    UsdmOpenOrders,
    UsdmQueryOrder,
)
from aioca_binance_sim import BinanceSimulator


@dataclass(frozen=True)
class Futures:
    """One futures market: its symbol, its quantity unit and its REST tasks."""

    market: str
    symbol: str
    unit: Decimal
    new: Any
    modify: Any
    query: Any
    book: Any
    open_orders: Any

    def engine(self, sim: BinanceSimulator) -> Any:
        return sim.venues["usdm"].engine if self.market == "usdm" else sim.engine


MARKETS = [
    Futures("usdm", "BTCUSDT", Decimal("0.001"), UsdmNewOrder, UsdmModifyOrder,
            UsdmQueryOrder, UsdmDepth, UsdmOpenOrders),
    Futures("coinm", "BTCUSD_PERP", Decimal(1), CoinMNewOrder, CoinMModifyOrder,
            CoinMQueryOrder, CoinMOrderBook, CoinMCurrentAllOpenOrders),
]  # fmt: skip
market = pytest.mark.parametrize("futures", MARKETS, ids=[m.market for m in MARKETS])


@asynccontextmanager
async def _desk() -> AsyncIterator[tuple[BinanceSimulator, BinanceRestApi]]:
    clock = FakeClock()
    async with (
        BinanceSimulator(seed=5, clock=clock) as sim,
        sim.api(retry=RetryPolicy(attempts=1), time_sync_interval=None,
                max_clock_offset=None) as api,
    ):  # fmt: skip
        follow_clock(api, sim)
        yield sim, api


async def _asks(futures: Futures, api: BinanceRestApi) -> list[tuple[Decimal, Decimal]]:
    """The ask levels REST shows, best first, as ``(price, quantity)``."""
    book = await futures.book(api=api, symbol=futures.symbol, limit=5).run()
    return [(Decimal(price), Decimal(qty)) for price, qty, *_ in book["asks"]]


async def _buy(futures: Futures, api: BinanceRestApi, **params: Any) -> Any:
    return await futures.new(
        api=api, symbol=futures.symbol, side="BUY", type="LIMIT", newOrderRespType="RESULT",
        **params,
    ).run()  # fmt: skip


async def _status(futures: Futures, api: BinanceRestApi, order_id: int) -> Any:
    return await futures.query(api=api, symbol=futures.symbol, orderId=order_id).run()


def _fills(futures: Futures, sim: BinanceSimulator, order_id: int) -> list[Decimal]:
    """The prices ``order_id`` traded at, from the account's trades."""
    return [
        Decimal(t["price"]) for t in futures.engine(sim).user_trades if t["orderId"] == order_id
    ]


@market
async def test_a_limit_taker_larger_than_the_touch_takes_it_and_rests_the_rest(
    futures: Futures,
) -> None:
    async with _desk() as (sim, api):
        (ask, at_ask), *_ = await _asks(futures, api)
        placed = await _buy(futures, api, timeInForce="GTC", price=ask,
                            quantity=at_ask + 3 * futures.unit)  # fmt: skip
        later = await _status(futures, api, placed["orderId"])
    assert (placed["status"], Decimal(placed["executedQty"])) == ("PARTIALLY_FILLED", at_ask)
    assert (later["status"], Decimal(later["executedQty"])) == ("PARTIALLY_FILLED", at_ask)
    assert _fills(futures, sim, placed["orderId"]) == [ask]


@market
async def test_a_fok_the_book_cannot_fill_whole_is_refused_and_nothing_is_placed(
    futures: Futures,
) -> None:
    """Too large for the level its price reaches, or not reaching the book at all: -5021;
    one the level can fill: FILLED."""
    async with _desk() as (sim, api):
        (ask, at_ask), (second, _), *_ = await _asks(futures, api)
        tick = second - ask
        codes = []
        for price, quantity in ((ask, at_ask + futures.unit), (ask - tick, futures.unit)):
            with pytest.raises(ExchangeError) as refused:
                await _buy(futures, api, timeInForce="FOK", price=price, quantity=quantity)
            codes.append(refused.value.code)
        left = await futures.open_orders(api=api, symbol=futures.symbol).run()
        placed = len(futures.engine(sim).orders)
        filled = await _buy(futures, api, timeInForce="FOK", price=ask, quantity=at_ask)
    assert codes == [-5021, -5021]
    assert (left, placed) == ([], 0)
    assert (filled["status"], Decimal(filled["executedQty"])) == ("FILLED", at_ask)


async def _own_sell_and_reach(
    futures: Futures, api: BinanceRestApi
) -> tuple[Any, Decimal, Decimal]:
    """The account's own SELL resting one tick above the best ask (the book's second
    level: the simulated book does not hold the account's orders), its price, and the
    book's whole ask quantity up to that price: a buy of more walks past it."""
    _, (second, _) = (await _asks(futures, api))[:2]
    maker = await futures.new(
        api=api, symbol=futures.symbol, side="SELL", type="LIMIT", timeInForce="GTC",
        quantity=futures.unit, price=second, newOrderRespType="RESULT",
    ).run()  # fmt: skip
    assert maker["status"] == "NEW"
    reach = sum((qty for price, qty in await _asks(futures, api) if price <= second), Decimal(0))
    return maker, second, reach


@market
@pytest.mark.parametrize(
    ("mode", "tif", "taker_ends", "maker_ends", "past_it"),
    [
        ("EXPIRE_TAKER", "GTC", "EXPIRED_IN_MATCH", "NEW", False),
        ("EXPIRE_MAKER", "IOC", "EXPIRED", "EXPIRED_IN_MATCH", True),
        ("EXPIRE_BOTH", "GTC", "EXPIRED_IN_MATCH", "EXPIRED_IN_MATCH", False),
        (None, "IOC", "EXPIRED", "NEW", True),
    ],
)
async def test_a_taker_reaching_the_own_resting_order_acts_by_its_stp_mode(
    futures: Futures, mode: str | None, tif: str, taker_ends: str, maker_ends: str, past_it: bool
) -> None:
    """A buy priced at the own sell, for more than the book holds up to it: EXPIRE_TAKER
    fills the levels before the own sell and ends there; EXPIRE_MAKER expires the sell
    and takes its price level too (an IOC: its rest expires); EXPIRE_BOTH ends both;
    none sent (NONE, the default) leaves the sell alone."""
    async with _desk() as (sim, api):
        maker, price, reach = await _own_sell_and_reach(futures, api)
        sent = {} if mode is None else {"selfTradePreventionMode": mode}
        taker = await _buy(futures, api, timeInForce=tif, price=price,
                           quantity=reach + futures.unit, **sent)  # fmt: skip
        resting = await _status(futures, api, maker["orderId"])
    assert (taker["status"], resting["status"]) == (taker_ends, maker_ends)
    assert taker["selfTradePreventionMode"] == (mode or "NONE")
    assert (max(_fills(futures, sim, taker["orderId"])) == price) is past_it


@market
@pytest.mark.parametrize("tif", ["FOK", "GTX"])
async def test_stp_does_not_act_for_fok_or_gtx(futures: Futures, tif: str) -> None:
    """A FOK for what the book holds up to the own sell fills it all, the sell left alone;
    a GTX that would take is refused (-5022) before it meets anything."""
    async with _desk() as (_, api):
        maker, price, reach = await _own_sell_and_reach(futures, api)
        if tif == "FOK":
            taker = await _buy(futures, api, timeInForce=tif, price=price, quantity=reach,
                               selfTradePreventionMode="EXPIRE_BOTH")  # fmt: skip
            assert taker["status"] == "FILLED"
        else:
            with pytest.raises(ExchangeError) as refused:
                await _buy(futures, api, timeInForce=tif, price=price, quantity=reach,
                           selfTradePreventionMode="EXPIRE_BOTH")  # fmt: skip
            assert refused.value.code == -5022
        assert (await _status(futures, api, maker["orderId"]))["status"] == "NEW"


@market
async def test_a_taker_that_stops_short_of_the_own_order_leaves_it_alone(
    futures: Futures,
) -> None:
    """Priced at the own sell but filled whole by the level before it: EXPIRE_BOTH
    expires nothing (STP acts where the taker meets the resting order)."""
    async with _desk() as (_, api):
        maker, price, _ = await _own_sell_and_reach(futures, api)
        (_, at_ask), *_ = await _asks(futures, api)
        taker = await _buy(futures, api, timeInForce="GTC", price=price, quantity=at_ask,
                           selfTradePreventionMode="EXPIRE_BOTH")  # fmt: skip
        resting = await _status(futures, api, maker["orderId"])
    assert (taker["status"], resting["status"]) == ("FILLED", "NEW")


@market
async def test_modifying_a_partly_filled_order_to_its_executed_quantity_cancels_it(
    futures: Futures,
) -> None:
    """A buy at the ask for 3 more than the ask level holds fills in part and rests;
    modified to the executed quantity (its price kept), it is CANCELED, with what it
    traded."""
    async with _desk() as (_, api):
        (ask, at_ask), *_ = await _asks(futures, api)
        placed = await _buy(futures, api, timeInForce="GTC", price=ask,
                            quantity=at_ask + 3 * futures.unit)  # fmt: skip
        assert placed["status"] == "PARTIALLY_FILLED"
        modified = await futures.modify(
            api=api, symbol=futures.symbol, side="BUY", orderId=placed["orderId"],
            quantity=Decimal(placed["executedQty"]), price=ask,
        ).run()  # fmt: skip
        later = await _status(futures, api, placed["orderId"])
    assert modified["status"] == "CANCELED"
    assert (later["status"], Decimal(later["executedQty"])) == ("CANCELED", at_ask)
