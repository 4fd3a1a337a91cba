"""The Spot trading features over HTTP, through aioca's Spot catalog, unchanged: the
server's checks (the spec's prose rules) let them through and the answers carry Binance's
fields: self-trade prevention with ``myPreventedMatches``, trailing stops, pegged orders,
icebergs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from aioca_binance import BinanceRestApi
from aioca_binance.spot import SpotDepth, SpotMyPreventedMatches, SpotNewOrder, SpotQueryOrder
from aioca_binance_sim import BinanceSimulator

BTC = "BTCUSDT"


@pytest.fixture
async def api() -> AsyncIterator[BinanceRestApi]:
    async with BinanceSimulator(seed=7) as sim, sim.api() as client:
        yield client


async def test_self_trade_prevention_over_http(api: BinanceRestApi) -> None:
    ask = Decimal((await SpotDepth(api=api, symbol=BTC, limit=5).run())["asks"][0][0])
    maker = await SpotNewOrder(api=api, symbol=BTC, side="SELL", type="LIMIT",
                               timeInForce="GTC", quantity=Decimal("0.05"), price=ask,
                               newOrderRespType="RESULT").run()  # fmt: skip
    taker = await SpotNewOrder(api=api, symbol=BTC, side="BUY", type="LIMIT",
                               timeInForce="GTC", quantity=Decimal("0.01"), price=ask,
                               selfTradePreventionMode="EXPIRE_TAKER",
                               newOrderRespType="FULL").run()  # fmt: skip
    assert taker["status"] == "EXPIRED_IN_MATCH"
    assert Decimal(taker["preventedQuantity"]) == Decimal("0.01")
    [match] = await SpotMyPreventedMatches(api=api, symbol=BTC,
                                           orderId=maker["orderId"]).run()  # fmt: skip
    assert match["takerOrderId"] == taker["orderId"]
    assert match["selfTradePreventionMode"] == "EXPIRE_TAKER"


async def test_trailing_pegged_and_iceberg_orders_over_http(api: BinanceRestApi) -> None:
    trailing = await SpotNewOrder(api=api, symbol=BTC, side="SELL", type="STOP_LOSS",
                                  quantity=Decimal("0.01"), trailingDelta=100,
                                  newOrderRespType="RESULT").run()  # fmt: skip
    assert trailing["status"] == "NEW"
    assert trailing["trailingDelta"] == 100
    bid = Decimal((await SpotDepth(api=api, symbol=BTC, limit=5).run())["bids"][0][0])
    pegged = await SpotNewOrder(api=api, symbol=BTC, side="BUY", type="LIMIT",
                                timeInForce="GTC", quantity=Decimal("0.01"),
                                pegPriceType="PRIMARY_PEG",
                                newOrderRespType="RESULT").run()  # fmt: skip
    assert Decimal(pegged["peggedPrice"]) <= bid + 1  # the best bid, when it was placed
    iceberg = await SpotNewOrder(api=api, symbol=BTC, side="BUY", type="LIMIT",
                                 timeInForce="GTC", quantity=Decimal("0.01"),
                                 price=(bid * Decimal("0.99")).quantize(Decimal("0.01")),
                                 icebergQty=Decimal("0.001"),
                                 newOrderRespType="RESULT").run()  # fmt: skip
    queried = await SpotQueryOrder(api=api, symbol=BTC, orderId=iceberg["orderId"]).run()
    assert Decimal(queried["icebergQty"]) == Decimal("0.001")
