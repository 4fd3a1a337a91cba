"""The simulator's paper trading through aioca's catalog tasks: placing, querying and
cancelling orders (single, batch, all), Binance's rejections, fills that move balances
and positions by COIN-M's rules, account settings and the listen key."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from sim_helpers import FakeClock, limit_price

from aioca import BaseTask, RetryPolicy, errors
from aioca_binance import BinanceRestApi
from aioca_binance.coinm import (
    CoinMAccountTradeList,
    CoinMCancelAllOpenOrders,
    CoinMCancelMultipleOrders,
    CoinMCancelOrder,
    CoinMChangeInitialLeverage,
    CoinMChangeMarginType,
    CoinMChangePositionMode,
    CoinMCloseUserDataStream,
    CoinMCurrentAllOpenOrders,
    CoinMFuturesAccountBalance,
    CoinMGetCurrentPositionMode,
    CoinMGetIncomeHistory,
    CoinMKeepaliveUserDataStream,
    CoinMNewOrder,
    CoinMPlaceMultipleOrders,
    CoinMPositionInformation,
    CoinMQueryOrder,
    CoinMStartUserDataStream,
)
from aioca_binance_sim import BinanceSimulator

BTC = "BTCUSD_PERP"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def sim(clock: FakeClock) -> AsyncIterator[BinanceSimulator]:
    async with BinanceSimulator(seed=11, clock=clock) as simulator:
        yield simulator


@pytest.fixture
async def api(sim: BinanceSimulator) -> AsyncIterator[BinanceRestApi]:
    async with sim.api(retry=RetryPolicy(attempts=1)) as client:
        yield client


async def run(task: BaseTask, api: BinanceRestApi) -> Any:
    task.api = api  # type: ignore[attr-defined]
    return await task.run()


def limit(sim: BinanceSimulator, side: str, factor: float, **extra: Any) -> CoinMNewOrder:
    price = limit_price(sim, BTC, factor)
    return CoinMNewOrder(
        symbol=BTC, side=side, type="LIMIT", quantity=1, price=price, timeInForce="GTC", **extra
    )


async def test_place_query_and_cancel_a_resting_order(
    sim: BinanceSimulator, api: BinanceRestApi
) -> None:
    placed = await run(limit(sim, "BUY", 0.98, newClientOrderId="mine-1"), api)
    assert (placed["status"], placed["clientOrderId"], placed["executedQty"]) == (
        "NEW",
        "mine-1",
        "0",
    )
    queried = await run(CoinMQueryOrder(symbol=BTC, origClientOrderId="mine-1"), api)
    assert queried["orderId"] == placed["orderId"]
    assert queried["time"] == sim.now_ms()
    assert [o["orderId"] for o in await run(CoinMCurrentAllOpenOrders(symbol=BTC), api)] == [
        placed["orderId"]
    ]
    cancelled = await run(CoinMCancelOrder(symbol=BTC, orderId=placed["orderId"]), api)
    assert cancelled["status"] == "CANCELED"
    assert await run(CoinMCurrentAllOpenOrders(), api) == []
    with pytest.raises(errors.OrderError) as again:
        await run(CoinMCancelOrder(symbol=BTC, orderId=placed["orderId"]), api)
    assert (again.value.code, again.value.msg) == (-2011, "Unknown order sent.")
    with pytest.raises(errors.OrderNotFoundError):
        await run(CoinMQueryOrder(symbol=BTC, orderId=1), api)


async def test_batch_place_batch_cancel_and_cancel_all(
    sim: BinanceSimulator, api: BinanceRestApi
) -> None:
    low = str(limit_price(sim, BTC, 0.97))
    high = str(limit_price(sim, BTC, 1.03))
    item = {"symbol": BTC, "type": "LIMIT", "quantity": "1", "timeInForce": "GTC"}
    place = CoinMPlaceMultipleOrders(
        batchOrders=[
            {**item, "side": "BUY", "price": low, "newClientOrderId": "b1"},
            {**item, "side": "SELL", "price": high, "newClientOrderId": "b2"},
            {**item, "side": "BUY", "price": "1.23", "newClientOrderId": "b3"},  # tick 0.1
            {**item, "side": "BUY", "price": low, "newClientOrderId": "b4"},
        ]
    )
    # One item refused: the task fails, and nothing is lost with it.
    with pytest.raises(errors.BatchError) as placing:
        await run(place, api)
    batch = placing.value
    assert isinstance(batch, errors.OrderError)  # -4014 is an order rejection
    assert [item["clientOrderId"] for item in batch.succeeded] == ["b1", "b2", "b4"]
    assert [item["status"] for item in batch.succeeded] == ["NEW", "NEW", "NEW"]
    assert batch.failed == [{"code": -4014, "msg": "Price not increased by tick size."}]
    ((index, refused),) = batch.item_errors
    assert (index, refused.code, refused.client_order_id) == (2, -4014, "b3")
    assert batch.exceptions == (refused,)
    assert place.exception is batch
    cancel = CoinMCancelMultipleOrders(symbol=BTC, origClientOrderIdList=["b1", "nope"])
    with pytest.raises(errors.BatchError) as cancelling:
        await run(cancel, api)
    assert cancelling.value.succeeded[0]["status"] == "CANCELED"
    assert cancelling.value.failed == [{"code": -2011, "msg": "Unknown order sent."}]
    ((_, unknown),) = cancelling.value.item_errors
    assert (unknown.code, unknown.client_order_id) == (-2011, "nope")
    assert len(await run(CoinMCurrentAllOpenOrders(symbol=BTC), api)) == 2
    done = await run(CoinMCancelAllOpenOrders(symbol=BTC), api)
    assert done == {"code": 200, "msg": "The operation of cancel all open order is done."}
    assert await run(CoinMCurrentAllOpenOrders(symbol=BTC), api) == []


async def test_duplicate_client_order_id_and_reduce_only_are_rejected(
    sim: BinanceSimulator, api: BinanceRestApi
) -> None:
    await run(limit(sim, "BUY", 0.98, newClientOrderId="dup"), api)
    with pytest.raises(errors.OrderError) as duplicate:
        await run(limit(sim, "BUY", 0.97, newClientOrderId="dup"), api)
    assert (duplicate.value.code, duplicate.value.msg) == (-4116, "ClientOrderId is duplicated.")
    reduce = CoinMNewOrder(symbol=BTC, side="SELL", type="MARKET", quantity=1, reduceOnly="true")
    with pytest.raises(errors.OrderError) as rejected:
        await run(reduce, api)
    assert (rejected.value.code, rejected.value.msg) == (-2022, "ReduceOnly Order is rejected.")
    with pytest.raises(errors.InsufficientFundsError):  # 1 BTC of margin, 20x leverage
        await run(CoinMNewOrder(symbol=BTC, side="BUY", type="MARKET", quantity=50_000), api)


async def test_fills_move_positions_and_balances_by_coin_m_rules(
    sim: BinanceSimulator, api: BinanceRestApi, clock: FakeClock
) -> None:
    bought = await run(CoinMNewOrder(symbol=BTC, side="BUY", type="MARKET", quantity=10), api)
    assert bought["status"] == "FILLED"
    entry = Decimal(bought["avgPrice"])
    _, ask = sim.engine.best_prices(sim.market.instruments[BTC], sim.now_ms())
    assert entry == ask  # a market buy takes the best ask
    (position,) = [
        p for p in await run(CoinMPositionInformation(pair="BTCUSD"), api) if p["symbol"] == BTC
    ]
    assert position["positionAmt"] == "10"
    assert Decimal(position["entryPrice"]) == entry
    clock.advance(600)
    sold = await run(
        CoinMNewOrder(symbol=BTC, side="SELL", type="MARKET", quantity=10, reduceOnly="true"), api
    )
    exit_price = Decimal(sold["avgPrice"])
    trades = await run(CoinMAccountTradeList(symbol=BTC), api)
    assert [t["side"] for t in trades] == ["BUY", "SELL"]
    pnl = 10 * 100 * (1 / entry - 1 / exit_price)  # inverse contract, 100 USD each
    assert Decimal(trades[1]["realizedPnl"]) == pnl.quantize(Decimal("0.00000001"))
    eight = Decimal("0.00000001")
    fee_in, fee_out = (10 * 100 / price * Decimal("0.0004") for price in (entry, exit_price))
    assert [Decimal(t["commission"]) for t in trades] == [
        fee_in.quantize(eight),
        fee_out.quantize(eight),
    ]
    fees = fee_in + fee_out
    btc = next(b for b in await run(CoinMFuturesAccountBalance(), api) if b["asset"] == "BTC")
    assert Decimal(btc["balance"]) == (1 + pnl - fees).quantize(Decimal("0.00000001"))
    income = await run(CoinMGetIncomeHistory(symbol=BTC), api)
    assert {row["incomeType"] for row in income} == {"COMMISSION", "REALIZED_PNL"}
    flat = [p for p in await run(CoinMPositionInformation(), api) if p["symbol"] == BTC]
    assert flat[0]["positionAmt"] == "0"


async def test_a_resting_limit_order_fills_when_the_walk_reaches_it(
    sim: BinanceSimulator, api: BinanceRestApi, clock: FakeClock
) -> None:
    instrument = sim.market.instruments[BTC]
    now = sim.now_ms()
    start = sim.market.last_trade(instrument, now)
    later = sim.market.trades_range(instrument, start.id + 1, start.id + 360)  # one hour
    low = min(later, key=lambda trade: trade.ticks)
    assert low.ticks < start.ticks
    price = Decimal(low.ticks).scaleb(-instrument.pair.tick_decimals)
    placed = await run(
        CoinMNewOrder(
            symbol=BTC, side="BUY", type="LIMIT", quantity=2, price=price, timeInForce="GTC"
        ),
        api,
    )
    assert placed["status"] == "NEW"
    clock.advance((low.time - now) / 1000 - 1)  # just before the walk gets there
    assert (await run(CoinMQueryOrder(symbol=BTC, orderId=placed["orderId"]), api))[
        "status"
    ] == "NEW"
    clock.advance(2)
    filled = await run(CoinMQueryOrder(symbol=BTC, orderId=placed["orderId"]), api)
    assert (filled["status"], filled["executedQty"], Decimal(filled["avgPrice"])) == (
        "FILLED",
        "2",
        price,
    )
    trade = (await run(CoinMAccountTradeList(symbol=BTC), api))[0]
    assert (trade["maker"], trade["time"]) == (True, low.time)


async def test_leverage_margin_type_and_position_mode(
    sim: BinanceSimulator, api: BinanceRestApi
) -> None:
    answer = await run(CoinMChangeInitialLeverage(symbol=BTC, leverage=50), api)
    assert answer["leverage"] == 50
    risk = [p for p in await run(CoinMPositionInformation(), api) if p["symbol"] == BTC]
    assert risk[0]["leverage"] == "50"
    with pytest.raises(errors.InvalidParameterError, match="leverage"):  # nothing sent
        CoinMChangeInitialLeverage(symbol=BTC, leverage=200)
    with pytest.raises(errors.BadRequestError) as bad:  # the simulator refuses it too
        await api.request(
            "POST", f"{api.coinm_url}/dapi/v1/leverage", {"symbol": BTC, "leverage": 200},
            signed=True,
        )  # fmt: skip
    assert bad.value.code == -4028
    assert await run(CoinMChangeMarginType(symbol=BTC, marginType="ISOLATED"), api) == {
        "code": 200, "msg": "success",
    }  # fmt: skip
    with pytest.raises(errors.BadRequestError) as same:
        await run(CoinMChangeMarginType(symbol=BTC, marginType="ISOLATED"), api)
    assert same.value.code == -4046
    assert await run(CoinMGetCurrentPositionMode(), api) == {"dualSidePosition": False}
    await run(CoinMChangePositionMode(dualSidePosition="true"), api)
    assert await run(CoinMGetCurrentPositionMode(), api) == {"dualSidePosition": True}
    with pytest.raises(errors.OrderError) as side:  # hedge mode wants LONG or SHORT
        await run(CoinMNewOrder(symbol=BTC, side="BUY", type="MARKET", quantity=1), api)
    assert side.value.code == -4061
    long = CoinMNewOrder(symbol=BTC, side="BUY", type="MARKET", quantity=1, positionSide="LONG")
    assert (await run(long, api))["positionSide"] == "LONG"
    with pytest.raises(errors.BadRequestError) as held:
        await run(CoinMChangePositionMode(dualSidePosition="false"), api)
    assert held.value.code == -4068


async def test_listen_key_life_cycle(sim: BinanceSimulator, api: BinanceRestApi) -> None:
    key = (await run(CoinMStartUserDataStream(), api))["listenKey"]
    assert len(key) == 64
    assert (await run(CoinMStartUserDataStream(), api))["listenKey"] == key  # the same one
    assert (await run(CoinMKeepaliveUserDataStream(), api))["listenKey"] == key
    assert await run(CoinMCloseUserDataStream(), api) == {}
    with pytest.raises(errors.AuthenticationError) as gone:
        await run(CoinMKeepaliveUserDataStream(), api)
    assert gone.value.code == -1125
    assert "POST /dapi/v1/listenKey" in gone.value.msg  # COIN-M's own endpoint
