"""Spot trailing stops (Binance's trailing stop FAQ): ``trailingDelta`` in BIPS on
STOP_LOSS(_LIMIT) and TAKE_PROFIT(_LIMIT), within the symbol's TRAILING_DELTA filter; the
order tracks the simulated trades from its placement (no ``stopPrice``) or from the first
trade meeting its ``stopPrice`` condition, follows the best price since (the highest for a
sell, the lowest for a buy) and triggers on a move of ``trailingDelta`` against it.
Answers carry ``trailingDelta`` and ``trailingTime``.

The expected trigger below is worked out from the tape's trades with the FAQ's rule, in
the test, so a simulator that trailed differently (or not at all) fails."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from sim_spot_helpers import SpotDesk

from aioca_binance_sim.errors import SimError
from aioca_binance_sim.spot.engine import INITIAL_BALANCES
from aioca_binance_sim.spot.tape import TRADE_MS

BTC = "BTCUSDT"


@pytest.fixture
def desk() -> SpotDesk:
    return SpotDesk()


def trades_after(desk: SpotDesk, hours: int = 72) -> list[tuple[int, Decimal]]:
    """``(time, price)`` of the public trades after now."""
    spec = desk.venue.symbols[BTC]
    start = desk.now // TRADE_MS + 1
    return [
        (trade.time, spec.tick * trade.ticks)
        for trade in desk.venue.tape.trades_range(spec, start, start + hours * 360)
    ]


def faq_trigger(
    desk: SpotDesk, side: str, delta: int, start: Decimal | None, active: Callable[[Decimal], bool]
) -> tuple[int, int]:
    """``(when tracking starts, when the order triggers)`` by the FAQ's rule: tracking
    from ``start`` at once (no stopPrice), else from the first trade ``active`` accepts;
    then a sell triggers at a trade ``delta`` BIPS under the highest since, a buy at one
    ``delta`` BIPS over the lowest."""
    factor = Decimal(delta) / 10_000
    tracking = desk.now if start is not None else None
    extreme = start
    for time, price in trades_after(desk):
        if extreme is None:
            if active(price):
                tracking, extreme = time, price
            continue
        if side == "SELL":
            extreme = max(extreme, price)
            if price <= extreme * (1 - factor):
                assert tracking is not None
                return tracking, time
        else:
            extreme = min(extreme, price)
            if price >= extreme * (1 + factor):
                assert tracking is not None
                return tracking, time
    raise AssertionError("the market never moved that much")


def query(desk: SpotDesk, order_id: int) -> dict[str, Any]:
    return desk.call("GET", "/api/v3/order", symbol=BTC, orderId=order_id)


def test_the_symbol_allows_trailing_stops_within_its_filter(desk: SpotDesk) -> None:
    info = desk.call("GET", "/api/v3/exchangeInfo", symbol=BTC)["symbols"][0]
    assert info["allowTrailingStop"] is True
    [trailing] = [f for f in info["filters"] if f["filterType"] == "TRAILING_DELTA"]
    assert trailing["minTrailingBelowDelta"] <= 50 <= trailing["maxTrailingBelowDelta"]


def test_a_trailing_stop_loss_sell_follows_the_highest_price(desk: SpotDesk) -> None:
    placed = desk.order(side="SELL", type="STOP_LOSS", quantity=Decimal("0.05"),
                        trailingDelta=50, newOrderRespType="RESULT")  # fmt: skip
    assert placed["status"] == "NEW"
    assert placed["trailingDelta"] == 50
    assert placed["trailingTime"] == desk.now  # no stopPrice: it tracks at once
    assert desk.locked("BTC") == Decimal("0.05")
    tracking, when = faq_trigger(desk, "SELL", 50, desk.last(), lambda _: True)
    assert tracking == desk.now
    desk.now = when - 1
    assert query(desk, placed["orderId"])["status"] == "NEW"
    desk.now = when
    order = query(desk, placed["orderId"])
    assert order["status"] == "FILLED"
    assert order["workingTime"] == when
    assert order["trailingDelta"] == 50
    assert desk.locked("BTC") == 0
    assert desk.free("BTC") == INITIAL_BALANCES["BTC"] - Decimal("0.05")


def test_a_trailing_stop_loss_limit_buy_waits_for_its_stop_price(desk: SpotDesk) -> None:
    stop = desk.price("1.001")
    placed = desk.order(side="BUY", type="STOP_LOSS_LIMIT", quantity=Decimal("0.01"),
                        stopPrice=stop, price=desk.price("1.02"), timeInForce="GTC",
                        trailingDelta=30, newOrderRespType="RESULT")  # fmt: skip
    assert placed["trailingTime"] == -1  # not tracking until a trade reaches the stop price
    tracking, when = faq_trigger(desk, "BUY", 30, None, lambda price: price >= stop)
    assert tracking < when
    desk.now = tracking - 1
    assert query(desk, placed["orderId"])["trailingTime"] == -1
    desk.now = tracking
    assert query(desk, placed["orderId"])["trailingTime"] == tracking
    desk.now = when - 1
    early = query(desk, placed["orderId"])
    assert (early["status"], early["isWorking"]) == ("NEW", False)
    desk.now = when
    order = query(desk, placed["orderId"])
    assert order["isWorking"]
    assert order["workingTime"] == when


def test_a_trailing_take_profit_sell_tracks_from_its_stop_price(desk: SpotDesk) -> None:
    stop = desk.price("1.001")
    placed = desk.order(side="SELL", type="TAKE_PROFIT", quantity=Decimal("0.01"),
                        stopPrice=stop, trailingDelta=20, newOrderRespType="RESULT")  # fmt: skip
    tracking, when = faq_trigger(desk, "SELL", 20, None, lambda price: price >= stop)
    desk.now = when
    order = query(desk, placed["orderId"])
    assert order["trailingTime"] == tracking
    assert order["status"] == "FILLED"
    assert order["workingTime"] == when


def test_a_trailing_leg_in_an_oco_expires_the_other_leg(desk: SpotDesk) -> None:
    placed = desk.call("POST", "/api/v3/orderList/oco", symbol=BTC, side="SELL",
                       quantity=Decimal("0.01"), aboveType="LIMIT_MAKER",
                       abovePrice=desk.price("1.05"), belowType="STOP_LOSS",
                       belowTrailingDelta=40)  # fmt: skip
    maker, stop = placed["orderReports"]
    assert stop["trailingDelta"] == 40
    _, when = faq_trigger(desk, "SELL", 40, desk.last(), lambda _: True)
    desk.now = when
    assert query(desk, stop["orderId"])["status"] == "FILLED"
    assert query(desk, maker["orderId"])["status"] == "EXPIRED"


@pytest.mark.parametrize(
    ("params", "code", "msg"),
    [
        ({"trailingDelta": 5}, -1013, "Filter failure: TRAILING_DELTA"),
        ({"trailingDelta": 2001}, -1013, "Filter failure: TRAILING_DELTA"),
        ({}, -1102, "Param 'stopPrice' or 'trailingDelta' must be sent, but both were empty/null!"),
    ],
)
def test_trailing_stop_refusals(
    desk: SpotDesk, params: dict[str, Any], code: int, msg: str
) -> None:
    for path in ("/api/v3/order", "/api/v3/order/test"):
        with pytest.raises(SimError) as caught:
            desk.call("POST", path, symbol=BTC, side="SELL", type="STOP_LOSS",
                      quantity=Decimal("0.01"), **params)  # fmt: skip
        assert (caught.value.code, caught.value.msg) == (code, msg)


def test_a_limit_order_takes_no_trailing_delta(desk: SpotDesk) -> None:
    with pytest.raises(SimError) as caught:
        desk.order(side="BUY", type="LIMIT", timeInForce="GTC", quantity=Decimal("0.01"),
                   price=desk.price("0.98"), trailingDelta=100)  # fmt: skip
    assert (caught.value.code, caught.value.msg) == (
        -1106,
        "Parameter 'trailingDelta' sent when not required.",
    )
