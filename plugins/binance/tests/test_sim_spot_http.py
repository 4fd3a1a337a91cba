"""Spot over HTTP: aioca's Spot catalog tasks, unchanged, against ``sim.urls["spot"]``:
market data, placing, querying and cancelling orders, order lists, the account; Binance's
refusals arrive as aioca's typed errors with the documented code and message."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from sim_helpers import FakeClock

from aioca.errors import BadRequestError, OrderError, OrderNotFoundError
from aioca_binance import BinanceRestApi
from aioca_binance.spot import (
    SpotAccount,
    SpotCancelOpenOrders,
    SpotCancelOrder,
    SpotDepth,
    SpotExchangeInfo,
    SpotKlines,
    SpotMyTrades,
    SpotNewOrder,
    SpotOpenOrders,
    SpotOrderListOco,
    SpotQueryOrder,
    SpotQueryOrderList,
    SpotRateLimitOrder,
    SpotTicker24hr,
    SpotTickerPrice,
)
from aioca_binance_sim import BinanceSimulator

BTC = "BTCUSDT"


@pytest.fixture
async def api() -> AsyncIterator[BinanceRestApi]:
    async with BinanceSimulator(seed=7) as sim, sim.api() as client:
        yield client


async def test_market_data_through_the_catalog(api: BinanceRestApi) -> None:
    info = await SpotExchangeInfo(api=api, symbol=BTC).run()
    assert info["symbols"][0]["symbol"] == BTC
    book = await SpotDepth(api=api, symbol=BTC, limit=10).run()
    assert len(book["bids"]) == len(book["asks"]) == 10
    assert Decimal(book["bids"][0][0]) < Decimal(book["asks"][0][0])
    bars = await SpotKlines(api=api, symbol=BTC, interval="1m", limit=5).run()
    assert len(bars) == 5
    price = await SpotTickerPrice(api=api, symbol=BTC).run()
    ticker = await SpotTicker24hr(api=api, symbol=BTC).run()
    assert Decimal(ticker["lowPrice"]) <= Decimal(price["price"]) <= Decimal(ticker["highPrice"])


async def test_orders_through_the_catalog(api: BinanceRestApi) -> None:
    before = await SpotAccount(api=api).run()
    usdt = {b["asset"]: Decimal(b["free"]) for b in before["balances"]}["USDT"]
    bought = await SpotNewOrder(api=api, symbol=BTC, side="BUY", type="MARKET",
                                quantity=Decimal("0.01")).run()  # fmt: skip
    assert bought["status"] == "FILLED"
    assert bought["fills"]
    last = Decimal((await SpotTickerPrice(api=api, symbol=BTC).run())["price"])
    limit = (last * Decimal("0.9")).quantize(Decimal("0.01"))
    resting = await SpotNewOrder(api=api, symbol=BTC, side="BUY", type="LIMIT",
                                 timeInForce="GTC", quantity=Decimal("0.01"), price=limit,
                                 newClientOrderId="http-1").run()  # fmt: skip
    assert resting["status"] == "NEW"
    found = await SpotQueryOrder(api=api, symbol=BTC, origClientOrderId="http-1").run()
    assert found["orderId"] == resting["orderId"]
    assert [o["orderId"] for o in await SpotOpenOrders(api=api, symbol=BTC).run()] == [
        resting["orderId"]
    ]
    after = await SpotAccount(api=api).run()
    locked = {b["asset"]: Decimal(b["locked"]) for b in after["balances"]}
    assert locked["USDT"] == limit * Decimal("0.01")
    free = {b["asset"]: Decimal(b["free"]) for b in after["balances"]}
    assert free["USDT"] == usdt - Decimal(bought["cummulativeQuoteQty"]) - locked["USDT"]
    canceled = await SpotCancelOrder(api=api, symbol=BTC, orderId=resting["orderId"]).run()
    assert canceled["status"] == "CANCELED"
    trades = await SpotMyTrades(api=api, symbol=BTC).run()
    assert [t["orderId"] for t in trades] == [bought["orderId"]] * len(bought["fills"])


async def test_order_lists_through_the_catalog(api: BinanceRestApi) -> None:
    last = Decimal((await SpotTickerPrice(api=api, symbol=BTC).run())["price"])
    listed = await SpotOrderListOco(
        api=api, symbol=BTC, side="SELL", quantity=Decimal("0.01"),
        aboveType="LIMIT_MAKER", abovePrice=(last * Decimal("1.05")).quantize(Decimal("0.01")),
        belowType="STOP_LOSS", belowStopPrice=(last * Decimal("0.95")).quantize(Decimal("0.01")),
    ).run()  # fmt: skip
    assert listed["listOrderStatus"] == "EXECUTING"
    queried = await SpotQueryOrderList(api=api, orderListId=listed["orderListId"]).run()
    assert queried["orders"] == listed["orders"]
    canceled = await SpotCancelOpenOrders(api=api, symbol=BTC).run()
    assert canceled[0]["listOrderStatus"] == "ALL_DONE"


async def test_refusals_arrive_as_typed_errors(api: BinanceRestApi) -> None:
    with pytest.raises(BadRequestError) as refused:
        await SpotNewOrder(api=api, symbol=BTC, side="BUY", type="LIMIT", timeInForce="GTC",
                           quantity=Decimal("0.01"), price=Decimal("100000.001")).run()  # fmt: skip
    assert (refused.value.code, refused.value.msg) == (-1013, "Filter failure: PRICE_FILTER")
    assert refused.value.status == 400
    with pytest.raises(OrderNotFoundError) as missing:
        await SpotQueryOrder(api=api, symbol=BTC, orderId=123456).run()
    assert (missing.value.code, missing.value.msg) == (-2013, "Order does not exist.")


async def test_order_usage_and_budgets_agree_with_exchange_info() -> None:
    clock = FakeClock(1_795_000_000.0)  # at the start of a 10-second interval
    async with BinanceSimulator(seed=7, clock=clock) as sim, sim.api() as api:
        budgets = (await SpotExchangeInfo(api=api).run())["rateLimits"]
        orders = [b for b in budgets if b["rateLimitType"] == "ORDERS"]
        kinds = {b["rateLimitType"] for b in budgets}
        assert kinds >= {"REQUEST_WEIGHT", "ORDERS", "RAW_REQUESTS"}
        await SpotNewOrder(api=api, symbol=BTC, side="BUY", type="MARKET",
                           quantity=Decimal("0.001")).run()  # fmt: skip
        last = Decimal((await SpotTickerPrice(api=api, symbol=BTC).run())["price"])
        low = (last * Decimal("0.9")).quantize(Decimal("0.01"))
        await SpotNewOrder(api=api, symbol=BTC, side="BUY", type="LIMIT", timeInForce="GTC",
                           quantity=Decimal("0.001"), price=low).run()  # fmt: skip
        usage = await SpotRateLimitOrder(api=api).run()
        assert [{k: v for k, v in u.items() if k != "count"} for u in usage] == orders
        assert [u["count"] for u in usage] == [2] * len(orders)
        server = sim.market_limits["spot"].order_counts("127.0.0.1", clock())
        assert server == (2,) * len(orders)
        # Spot counts unfilled orders: a moment later the filled market order is off the
        # count, on the account's view and on the server's windows alike
        clock.advance(1.5)
        usage = await SpotRateLimitOrder(api=api).run()
        assert [u["count"] for u in usage] == [1] * len(orders)
        server = sim.market_limits["spot"].order_counts("127.0.0.1", clock())
        assert server == (1,) * len(orders)


async def test_a_failed_cancel_replace_says_what_happened_to_each_half(
    api: BinanceRestApi,
) -> None:
    """-2021: the cancel failed (no such order) but the new order went through: the error
    must carry Binance's ``data``, or the user would not know an order now rests."""
    from aioca_binance.spot import SpotCancelReplace

    last = Decimal((await SpotTickerPrice(api=api, symbol=BTC).run())["price"])
    replace = SpotCancelReplace(
        api=api, symbol=BTC, side="BUY", type="LIMIT", timeInForce="GTC",
        quantity=Decimal("0.01"), price=(last * Decimal("0.9")).quantize(Decimal("0.01")),
        cancelReplaceMode="ALLOW_FAILURE", cancelOrderId=424242,
    )  # fmt: skip
    with pytest.raises(OrderError) as caught:
        await replace.run()
    error = caught.value
    assert error.code == -2021
    assert error.data is not None
    assert error.data["cancelResult"] == "FAILURE"
    assert error.data["newOrderResult"] == "SUCCESS"
    placed = error.data["newOrderResponse"]["orderId"]
    open_ids = [order["orderId"] for order in await SpotOpenOrders(api=api, symbol=BTC).run()]
    assert open_ids == [placed]
