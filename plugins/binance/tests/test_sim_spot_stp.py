"""Spot self-trade prevention: the account's own resting orders sit in the simulated book,
and a new order of the account that reaches one meets STP by its own
``selfTradePreventionMode`` (Binance's STP FAQ): EXPIRE_TAKER, EXPIRE_MAKER (the symbol's
default), EXPIRE_BOTH, DECREMENT, or NONE (a self-trade). Orders STP acted on say so
(``EXPIRED_IN_MATCH``, ``preventedMatchId``, ``preventedQuantity``) and
``GET /api/v3/myPreventedMatches`` lists the prevented matches."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sim_spot_helpers import SpotDesk, documented, shape_problems

from aioca_binance_sim.errors import SimError

BTC = "BTCUSDT"


@pytest.fixture
def desk() -> SpotDesk:
    return SpotDesk()


def best_ask(desk: SpotDesk) -> Decimal:
    return Decimal(desk.call("GET", "/api/v3/depth", symbol=BTC, limit=5)["asks"][0][0])


def rest_sell(desk: SpotDesk, qty: str, price: Decimal) -> dict[str, Any]:
    """The account's own resting SELL at ``price`` (the best ask: not marketable)."""
    answer = desk.order(side="SELL", type="LIMIT", timeInForce="GTC", quantity=Decimal(qty),
                        price=price, newOrderRespType="RESULT")  # fmt: skip
    assert answer["status"] == "NEW"
    return answer


def query(desk: SpotDesk, order_id: int) -> dict[str, Any]:
    return desk.call("GET", "/api/v3/order", symbol=BTC, orderId=order_id)


def test_the_symbol_documents_its_default_and_allowed_modes(desk: SpotDesk) -> None:
    info = desk.call("GET", "/api/v3/exchangeInfo", symbol=BTC)["symbols"][0]
    assert info["defaultSelfTradePreventionMode"] == "EXPIRE_MAKER"
    assert {"NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH", "DECREMENT"} <= set(
        info["allowedSelfTradePreventionModes"]
    )


def test_expire_maker_is_the_default_and_the_taker_trades_on(desk: SpotDesk) -> None:
    price = best_ask(desk)
    maker = rest_sell(desk, "0.2", price)
    assert desk.locked("BTC") == Decimal("0.2")
    taker = desk.order(side="BUY", type="LIMIT", timeInForce="IOC", quantity=Decimal("0.05"),
                       price=price)  # fmt: skip
    assert taker["selfTradePreventionMode"] == "EXPIRE_MAKER"
    assert taker["status"] == "FILLED"  # from the synthetic liquidity at the same price
    assert all(Decimal(fill["price"]) == price for fill in taker["fills"])
    assert "preventedQuantity" not in taker  # the taker lost nothing to STP
    assert taker["preventedMatches"] == [
        {
            "preventedMatchId": 0,  # Binance counts them per symbol from 0
            "makerOrderId": maker["orderId"],
            "price": f"{price:.8f}",
            "makerPreventedQuantity": "0.20000000",
        }
    ]
    expired = query(desk, maker["orderId"])
    assert expired["status"] == "EXPIRED_IN_MATCH"
    assert expired["preventedMatchId"] == 0
    assert Decimal(expired["preventedQuantity"]) == Decimal("0.2")
    assert desk.locked("BTC") == 0  # the expired order's hold is back
    [match] = desk.call("GET", "/api/v3/myPreventedMatches", symbol=BTC,
                        orderId=maker["orderId"])  # fmt: skip
    assert match["takerOrderId"] == taker["orderId"]
    assert match["makerOrderId"] == maker["orderId"]
    assert match["selfTradePreventionMode"] == "EXPIRE_MAKER"
    assert Decimal(match["price"]) == price
    assert Decimal(match["makerPreventedQuantity"]) == Decimal("0.2")
    assert match["transactTime"] == desk.now
    assert shape_problems([match], documented("GET /api/v3/myPreventedMatches")) == []


def test_expire_taker_expires_the_new_order_and_keeps_the_resting_one(desk: SpotDesk) -> None:
    price = best_ask(desk)
    maker = rest_sell(desk, "0.2", price)
    taker = desk.order(side="BUY", type="LIMIT", timeInForce="GTC", quantity=Decimal("0.1"),
                       price=price, selfTradePreventionMode="EXPIRE_TAKER")  # fmt: skip
    assert taker["status"] == "EXPIRED_IN_MATCH"
    assert taker["fills"] == []
    assert Decimal(taker["preventedQuantity"]) == Decimal("0.1")
    [prevented] = taker["preventedMatches"]
    assert Decimal(prevented["takerPreventedQuantity"]) == Decimal("0.1")
    assert "makerPreventedQuantity" not in prevented  # the resting order lost nothing
    assert query(desk, taker["orderId"])["preventedMatchId"] == 0
    assert query(desk, maker["orderId"])["status"] == "NEW"
    assert desk.locked("USDT") == 0  # the taker's hold is back
    assert desk.locked("BTC") == Decimal("0.2")
    [match] = desk.call("GET", "/api/v3/myPreventedMatches", symbol=BTC, preventedMatchId=0)
    assert match["selfTradePreventionMode"] == "EXPIRE_TAKER"
    assert Decimal(match["takerPreventedQuantity"]) == Decimal("0.1")
    assert "makerPreventedQuantity" not in match


def test_expire_both_expires_both_orders(desk: SpotDesk) -> None:
    price = best_ask(desk)
    maker = rest_sell(desk, "0.2", price)
    taker = desk.order(side="BUY", type="MARKET", quantity=Decimal("0.1"),
                       selfTradePreventionMode="EXPIRE_BOTH")  # fmt: skip
    assert taker["status"] == "EXPIRED_IN_MATCH"
    assert query(desk, maker["orderId"])["status"] == "EXPIRED_IN_MATCH"
    assert desk.locked("BTC") == 0
    assert desk.call("GET", "/api/v3/openOrders", symbol=BTC) == []


def test_decrement_takes_the_smaller_quantity_off_both(desk: SpotDesk) -> None:
    price = best_ask(desk)
    maker = rest_sell(desk, "0.3", price)
    small = desk.order(side="BUY", type="LIMIT", timeInForce="GTC", quantity=Decimal("0.1"),
                       price=price, selfTradePreventionMode="DECREMENT")  # fmt: skip
    assert small["status"] == "EXPIRED_IN_MATCH"  # it had the smaller quantity
    assert Decimal(small["preventedQuantity"]) == Decimal("0.1")
    resting = query(desk, maker["orderId"])
    assert resting["status"] == "NEW"
    assert Decimal(resting["preventedQuantity"]) == Decimal("0.1")
    assert desk.locked("BTC") == Decimal("0.2")  # what the resting order can still sell
    big = desk.order(side="BUY", type="LIMIT", timeInForce="IOC", quantity=Decimal("0.25"),
                     price=price, selfTradePreventionMode="DECREMENT")  # fmt: skip
    assert query(desk, maker["orderId"])["status"] == "EXPIRED_IN_MATCH"
    assert Decimal(big["preventedQuantity"]) == Decimal("0.2")
    assert Decimal(big["executedQty"]) == Decimal("0.05")  # the rest traded with the book
    assert big["status"] == "FILLED"
    assert desk.locked("BTC") == 0
    matches = desk.call("GET", "/api/v3/myPreventedMatches", symbol=BTC,
                        orderId=maker["orderId"])  # fmt: skip
    assert [m["preventedMatchId"] for m in matches] == [0, 1]
    for match, qty in zip(matches, ("0.1", "0.2"), strict=True):
        assert Decimal(match["makerPreventedQuantity"]) == Decimal(qty)
        assert Decimal(match["takerPreventedQuantity"]) == Decimal(qty)
    later = desk.call("GET", "/api/v3/myPreventedMatches", symbol=BTC,
                      orderId=maker["orderId"], fromPreventedMatchId=1)  # fmt: skip
    assert [m["preventedMatchId"] for m in later] == [1]


def test_an_amendment_counts_what_decrement_took_off_the_order(desk: SpotDesk) -> None:
    """After DECREMENT took 0.1 off a resting 0.3 (0.2 left to sell), amending it to 0.15
    leaves 0.05: its answer's ``preventedQty`` says 0.1, as the order's query does, and
    it holds 0.05. Amending it to 0.1 or less would leave nothing to sell: refused, as an
    amendment to the executed quantity or less is, and nothing changes."""
    price = best_ask(desk)
    maker = rest_sell(desk, "0.3", price)
    desk.order(side="BUY", type="LIMIT", timeInForce="GTC", quantity=Decimal("0.1"),
               price=price, selfTradePreventionMode="DECREMENT")  # fmt: skip
    amend = "/api/v3/order/amend/keepPriority"
    for quantity in ("0.1", "0.05"):
        with pytest.raises(SimError) as refused:
            desk.call("PUT", amend, symbol=BTC, orderId=maker["orderId"],
                      newQty=Decimal(quantity))  # fmt: skip
        assert refused.value.code == -2038
    assert desk.locked("BTC") == Decimal("0.2")
    answer = desk.call("PUT", amend, symbol=BTC, orderId=maker["orderId"],
                       newQty=Decimal("0.15"))["amendedOrder"]  # fmt: skip
    assert (answer["qty"], answer["preventedQty"]) == ("0.15000000", "0.10000000")
    assert query(desk, maker["orderId"])["preventedQuantity"] == answer["preventedQty"]
    assert desk.locked("BTC") == Decimal("0.05")


def test_none_lets_the_account_trade_with_itself(desk: SpotDesk) -> None:
    price = best_ask(desk)
    btc, usdt = desk.free("BTC"), desk.free("USDT")
    maker = rest_sell(desk, "0.1", price)
    taker = desk.order(side="BUY", type="LIMIT", timeInForce="GTC", quantity=Decimal("0.1"),
                       price=price, selfTradePreventionMode="NONE")  # fmt: skip
    assert taker["status"] == "FILLED"
    assert [Decimal(fill["qty"]) for fill in taker["fills"]] == [Decimal("0.1")]
    assert query(desk, maker["orderId"])["status"] == "FILLED"
    trades = desk.call("GET", "/api/v3/myTrades", symbol=BTC)
    assert sorted((t["isBuyer"], t["isMaker"]) for t in trades) == [(False, True), (True, False)]
    assert desk.call("GET", "/api/v3/myPreventedMatches", symbol=BTC, orderId=1) == []
    # Each side paid its commission; nothing else changed hands.
    assert desk.free("BTC") == btc - Decimal("0.1") * Decimal("0.001")
    assert desk.free("USDT") == usdt - (price * Decimal("0.1") * Decimal("0.001")).quantize(
        Decimal("0.00000001")
    )


def test_better_synthetic_levels_are_taken_before_the_own_order(desk: SpotDesk) -> None:
    asks = desk.call("GET", "/api/v3/depth", symbol=BTC, limit=5)["asks"]
    own_price = Decimal(asks[1][0])
    maker = rest_sell(desk, "0.1", own_price)
    ahead = Decimal(asks[0][1])
    taker = desk.order(side="BUY", type="LIMIT", timeInForce="GTC",
                       quantity=ahead + Decimal("0.05"), price=own_price,
                       selfTradePreventionMode="EXPIRE_TAKER")  # fmt: skip
    assert taker["status"] == "EXPIRED_IN_MATCH"
    assert Decimal(taker["executedQty"]) == ahead
    assert {Decimal(fill["price"]) for fill in taker["fills"]} == {Decimal(asks[0][0])}
    assert Decimal(taker["preventedQuantity"]) == Decimal("0.05")
    assert query(desk, maker["orderId"])["status"] == "NEW"


def test_an_order_that_does_not_reach_the_own_order_meets_no_prevention(desk: SpotDesk) -> None:
    asks = desk.call("GET", "/api/v3/depth", symbol=BTC, limit=5)["asks"]
    maker = rest_sell(desk, "0.1", Decimal(asks[3][0]))
    taker = desk.order(side="BUY", type="LIMIT", timeInForce="IOC", quantity=Decimal("0.01"),
                       price=Decimal(asks[0][0]),
                       selfTradePreventionMode="EXPIRE_BOTH")  # fmt: skip
    assert taker["status"] == "FILLED"
    assert query(desk, maker["orderId"])["status"] == "NEW"
    assert desk.venue.engine.prevented == []


def test_a_market_order_by_quote_budget_meets_prevention_too(desk: SpotDesk) -> None:
    price = best_ask(desk)
    maker = rest_sell(desk, "0.2", price)
    taker = desk.order(side="BUY", type="MARKET", quoteOrderQty=Decimal("1000"),
                       selfTradePreventionMode="EXPIRE_TAKER")  # fmt: skip
    assert taker["status"] == "EXPIRED_IN_MATCH"
    assert Decimal(taker["preventedQuantity"]) > 0
    assert Decimal(taker["origQty"]) == Decimal(taker["preventedQuantity"])
    assert query(desk, maker["orderId"])["status"] == "NEW"


def test_prevented_matches_of_another_symbol_or_order_are_not_listed(desk: SpotDesk) -> None:
    price = best_ask(desk)
    maker = rest_sell(desk, "0.1", price)
    desk.order(side="BUY", type="MARKET", quantity=Decimal("0.01"))
    assert len(desk.call("GET", "/api/v3/myPreventedMatches", symbol=BTC,
                         orderId=maker["orderId"])) == 1  # fmt: skip
    assert desk.call("GET", "/api/v3/myPreventedMatches", symbol="ETHBTC", orderId=1) == []
    assert desk.call("GET", "/api/v3/myPreventedMatches", symbol=BTC, orderId=999) == []
    assert desk.call("GET", "/api/v3/myPreventedMatches", symbol=BTC, preventedMatchId=1) == []
