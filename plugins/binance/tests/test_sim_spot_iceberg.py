"""Spot iceberg orders: ``icebergQty`` within ICEBERG_PARTS, GTC only, answered in the
order's fields; a resting iceberg shows one tranche at a time, so a public trade at its
price fills at most what is on display, while a trade through its price fills the rest."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sim_spot_helpers import SpotDesk

from aioca_binance_sim.errors import SimError
from aioca_binance_sim.spot.tape import TRADE_MS, Trade

BTC = "BTCUSDT"


@pytest.fixture
def desk() -> SpotDesk:
    return SpotDesk()


def first_new_low(desk: SpotDesk, min_steps: int) -> Trade:
    """The first trade after now below every trade before it (and below the last price),
    of at least ``min_steps``: a buy resting at its price meets it first, at the price."""
    spec = desk.venue.symbols[BTC]
    low = desk.venue.tape.last_trade(spec, desk.now).ticks
    start = desk.now // TRADE_MS + 1
    for trade in desk.venue.tape.trades_range(spec, start, start + 72 * 360):
        if trade.ticks < low:
            if trade.steps >= min_steps:
                return trade
            low = trade.ticks
    raise AssertionError("no such trade")


@pytest.mark.parametrize(("iceberg", "filled"), [("0.001", "0.001"), (None, "0.002")])
def test_a_trade_at_the_price_fills_only_the_tranche_on_display(
    desk: SpotDesk, iceberg: str | None, filled: str
) -> None:
    spec = desk.venue.symbols[BTC]
    trade = first_new_low(desk, min_steps=200)  # 0.002 BTC or more
    extra = {"icebergQty": Decimal(iceberg)} if iceberg else {}
    placed = desk.order(side="BUY", type="LIMIT", timeInForce="GTC", quantity=Decimal("0.002"),
                        price=spec.tick * trade.ticks, newOrderRespType="RESULT",
                        **extra)  # fmt: skip
    assert placed["status"] == "NEW"
    if iceberg:
        assert Decimal(placed["icebergQty"]) == Decimal(iceberg)
    desk.now = trade.time
    order = desk.call("GET", "/api/v3/order", symbol=BTC, orderId=placed["orderId"])
    assert Decimal(order["executedQty"]) == Decimal(filled)
    assert Decimal(order["icebergQty"]) == Decimal(iceberg or 0)


def test_a_trade_through_the_price_fills_the_hidden_part_too(desk: SpotDesk) -> None:
    spec = desk.venue.symbols[BTC]
    trade = first_new_low(desk, min_steps=1)
    placed = desk.order(side="BUY", type="LIMIT", timeInForce="GTC", quantity=Decimal("0.01"),
                        price=spec.tick * (trade.ticks + 1),
                        icebergQty=Decimal("0.001"))  # fmt: skip
    desk.now = trade.time  # the trade is a tick under the order's price
    order = desk.call("GET", "/api/v3/order", symbol=BTC, orderId=placed["orderId"])
    assert order["status"] == "FILLED"


@pytest.mark.parametrize(
    ("params", "code", "msg"),
    [
        ({"icebergQty": "0.02"}, -2010, "IcebergQty exceeds QTY."),
        ({"icebergQty": "0.00001"}, -1013, "Filter failure: ICEBERG_PARTS"),
        ({"icebergQty": "0.001", "timeInForce": "IOC"}, -2010, "Unsupported order combination"),
    ],
)
def test_iceberg_refusals(desk: SpotDesk, params: dict[str, str], code: int, msg: str) -> None:
    order = {"side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
             "quantity": Decimal("0.01"), "price": desk.price("0.98")}  # fmt: skip
    order.update({k: Decimal(v) if k == "icebergQty" else v for k, v in params.items()})
    with pytest.raises(SimError) as caught:
        desk.order(**order)
    assert (caught.value.code, caught.value.msg) == (code, msg)
