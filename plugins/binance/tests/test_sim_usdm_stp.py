"""Self-trade prevention on USDⓈ-M: a new order that would meet the account's own resting
order acts by its ``selfTradePreventionMode`` (Binance's USDⓈ-M STP FAQ): EXPIRE_TAKER
ends the new order there, EXPIRE_MAKER expires the resting one and goes on, EXPIRE_BOTH
ends both; an order so ended is ``EXPIRED_IN_MATCH``. Without a mode, or with FOK/GTX
(where the FAQ says STP does not act), the book fills as before."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sim_usdm_helpers import Desk

D = Decimal
ORDER = "/fapi/v1/order"
BTC = "BTCUSDT"


def _setup(desk: Desk) -> tuple[dict[str, Any], D, D]:
    """A resting own SELL one tick above the best ask: (it, its price, the tick)."""
    tick = desk.venue.symbols[BTC].tick
    ask = D(desk("GET", "/fapi/v1/depth", symbol=BTC, limit=5)["asks"][0][0])
    maker_price = ask + tick
    maker = desk(
        "POST", ORDER, symbol=BTC, side="SELL", type="LIMIT", timeInForce="GTC",
        quantity=D("0.010"), price=maker_price, newOrderRespType="RESULT",
    )  # fmt: skip
    assert maker["status"] == "NEW"
    return maker, maker_price, tick


def _reach(desk: Desk, price: D) -> D:
    """The book's whole quantity on the ask side up to ``price``: a taker of that size
    walks the book past the own order (the own order is not on the simulated book)."""
    asks = desk("GET", "/fapi/v1/depth", symbol=BTC, limit=100)["asks"]
    return sum((D(q) for p, q in asks if D(p) <= price), D(0))


def _taker(desk: Desk, price: D, tif: str = "GTC", **extra: Any) -> dict[str, Any]:
    return desk(  # type: ignore[no-any-return]
        "POST", ORDER, symbol=BTC, side="BUY", type="LIMIT", timeInForce=tif,
        quantity=_reach(desk, price), price=price, newOrderRespType="RESULT", **extra,
    )  # fmt: skip


def _status(desk: Desk, order_id: int) -> str:
    return desk("GET", ORDER, symbol=BTC, orderId=order_id)["status"]  # type: ignore[no-any-return]


def _fill_prices(desk: Desk, order_id: int) -> list[D]:
    return [D(t["price"]) for t in desk.engine.user_trades if t["orderId"] == order_id]


def test_expire_taker_fills_up_to_the_own_order_and_expires_the_rest() -> None:
    desk = Desk()
    maker, maker_price, tick = _setup(desk)
    taker = _taker(desk, maker_price + tick, selfTradePreventionMode="EXPIRE_TAKER")
    assert taker["status"] == "EXPIRED_IN_MATCH"
    assert taker["selfTradePreventionMode"] == "EXPIRE_TAKER"
    prices = _fill_prices(desk, taker["orderId"])
    assert prices
    assert max(prices) < maker_price  # the levels before the own order filled
    assert D(taker["executedQty"]) < D(taker["origQty"])
    assert _status(desk, maker["orderId"]) == "NEW"  # the resting order is untouched
    assert not any(o["orderId"] == taker["orderId"] for o in desk("GET", "/fapi/v1/openOrders"))


def test_expire_maker_expires_the_resting_order_and_the_taker_goes_on() -> None:
    desk = Desk()
    maker, maker_price, tick = _setup(desk)
    taker = _taker(desk, maker_price + tick, tif="IOC", selfTradePreventionMode="EXPIRE_MAKER")
    assert _status(desk, maker["orderId"]) == "EXPIRED_IN_MATCH"
    assert max(_fill_prices(desk, taker["orderId"])) > maker_price  # walked past it
    assert taker["status"] in ("FILLED", "EXPIRED")  # IOC: the book's own outcome


def test_expire_both_ends_both_orders() -> None:
    desk = Desk()
    maker, maker_price, tick = _setup(desk)
    taker = _taker(desk, maker_price + tick, selfTradePreventionMode="EXPIRE_BOTH")
    assert taker["status"] == "EXPIRED_IN_MATCH"
    assert _status(desk, maker["orderId"]) == "EXPIRED_IN_MATCH"
    assert max(_fill_prices(desk, taker["orderId"])) < maker_price


def test_a_market_order_meets_its_own_order_too() -> None:
    desk = Desk()
    maker, _, _ = _setup(desk)
    taker = desk(
        "POST", ORDER, symbol=BTC, side="BUY", type="MARKET", quantity=D("0.500"),
        selfTradePreventionMode="EXPIRE_TAKER", newOrderRespType="RESULT",
    )  # fmt: skip
    assert taker["status"] == "EXPIRED_IN_MATCH"
    assert _status(desk, maker["orderId"]) == "NEW"


@pytest.mark.parametrize(
    "extra",
    [{}, {"selfTradePreventionMode": "EXPIRE_MAKER", "tif": "FOK"}],
    ids=["no mode", "FOK ignores STP"],
)
def test_without_stp_the_own_order_is_left_alone(extra: dict[str, Any]) -> None:
    desk = Desk()
    maker, maker_price, tick = _setup(desk)
    tif = extra.pop("tif", "GTC")
    quantity = _reach(desk, maker_price + tick)
    taker = desk(
        "POST", ORDER, symbol=BTC, side="BUY", type="LIMIT", timeInForce=tif,
        quantity=quantity, price=maker_price + tick, newOrderRespType="RESULT", **extra,
    )  # fmt: skip
    assert taker["status"] != "EXPIRED_IN_MATCH"
    assert _status(desk, maker["orderId"]) == "NEW"


def test_a_taker_that_stops_short_of_the_own_order_is_not_prevented() -> None:
    desk = Desk()
    maker, maker_price, tick = _setup(desk)
    taker = desk(
        "POST", ORDER, symbol=BTC, side="BUY", type="LIMIT", timeInForce="GTC",
        quantity=_reach(desk, maker_price) + 1, price=maker_price - tick,
        selfTradePreventionMode="EXPIRE_BOTH", newOrderRespType="RESULT",
    )  # fmt: skip
    assert taker["status"] in ("NEW", "PARTIALLY_FILLED")  # rests on the book
    assert _status(desk, maker["orderId"]) == "NEW"


def test_a_modified_order_loses_its_stp_mode() -> None:
    desk = Desk()
    tick = desk.venue.symbols[BTC].tick
    bid = D(desk("GET", "/fapi/v1/depth", symbol=BTC, limit=5)["bids"][0][0])
    order = desk(
        "POST", ORDER, symbol=BTC, side="BUY", type="LIMIT", timeInForce="GTC",
        quantity=D("0.010"), price=bid - 5 * tick, selfTradePreventionMode="EXPIRE_BOTH",
    )  # fmt: skip
    assert order["selfTradePreventionMode"] == "EXPIRE_BOTH"
    changed = desk(
        "PUT", ORDER, symbol=BTC, orderId=order["orderId"], side="BUY",
        quantity=D("0.010"), price=bid - 6 * tick,
    )  # fmt: skip
    assert changed["selfTradePreventionMode"] == "NONE"
