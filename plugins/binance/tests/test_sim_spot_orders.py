"""The Spot paper account: fills against the book, balances locked and moved, commissions,
filters and the matching engine's refusals with Binance's codes, stops triggered by the
simulated trades, order lists, cancel/replace, amendments."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sim_spot_helpers import SpotDesk

from aioca_binance_sim.errors import SimError
from aioca_binance_sim.spot.engine import COMMISSION, FILL_CREDIT_DELAY_MS, INITIAL_BALANCES
from aioca_binance_sim.spot.tape import TRADE_MS

BTC = "BTCUSDT"


@pytest.fixture
def desk() -> SpotDesk:
    return SpotDesk()


def refused(desk: SpotDesk, code: int, msg: str, method: str = "POST",
            path: str = "/api/v3/order", **params: Any) -> None:  # fmt: skip
    params.setdefault("symbol", BTC)
    with pytest.raises(SimError) as caught:
        desk.call(method, path, **params)
    assert (caught.value.code, caught.value.msg) == (code, msg)


def first_trade_time(desk: SpotDesk, reached: Any, symbol: str = BTC, hours: int = 72) -> int:
    """When the first public trade after now satisfies ``reached(price)``."""
    venue = desk.venue
    spec = venue.symbols[symbol]
    start = desk.now // TRADE_MS + 1
    for trade in venue.tape.trades_range(spec, start, start + hours * 360):
        if reached(spec.tick * trade.ticks):
            return trade.time
    raise AssertionError("the market never got there")


# --- market orders ----------------------------------------------------------------------


def test_market_buy_walks_the_book_and_pays_commission_in_base(desk: SpotDesk) -> None:
    book = desk.call("GET", "/api/v3/depth", symbol=BTC, limit=20)
    answer = desk.order(side="BUY", type="MARKET", quantity=Decimal("0.8"))
    fills = answer["fills"]
    assert answer["status"] == "FILLED"
    assert answer["executedQty"] == "0.80000000"
    assert len(fills) > 1, "one level does not hold 0.8 bitcoin"
    assert [f["price"] for f in fills] == [level[0] for level in book["asks"][: len(fills)]]
    assert [f["qty"] for f in fills[:-1]] == [level[1] for level in book["asks"][: len(fills) - 1]]
    assert sum(Decimal(f["qty"]) for f in fills) == Decimal("0.8")
    cost = sum(Decimal(f["price"]) * Decimal(f["qty"]) for f in fills)
    assert Decimal(answer["cummulativeQuoteQty"]) == cost
    for fill in fills:
        assert Decimal(fill["commission"]) == Decimal(fill["qty"]) * COMMISSION
        assert fill["commissionAsset"] == "BTC"
    assert desk.free("BTC") == INITIAL_BALANCES["BTC"] + Decimal("0.8") * (1 - COMMISSION)
    assert desk.free("USDT") == INITIAL_BALANCES["USDT"] - cost
    assert desk.locked("USDT") == 0


def test_taken_liquidity_is_gone_until_the_level_is_redrawn(desk: SpotDesk) -> None:
    first = desk.order(side="SELL", type="MARKET", quantity=Decimal("0.5"))
    best_bid = Decimal(desk.call("GET", "/api/v3/ticker/bookTicker", symbol=BTC)["bidPrice"])
    assert best_bid < Decimal(first["fills"][0]["price"]) or Decimal(
        desk.call("GET", "/api/v3/ticker/bookTicker", symbol=BTC)["bidQty"]
    ) < Decimal(first["fills"][0]["qty"])
    second = desk.order(side="SELL", type="MARKET", quantity=Decimal("0.5"))
    assert second["fills"][0] != first["fills"][0]


def test_market_sell_pays_commission_in_quote(desk: SpotDesk) -> None:
    answer = desk.order(side="SELL", type="MARKET", quantity=Decimal("0.1"))
    proceeds = Decimal(answer["cummulativeQuoteQty"])
    commission = sum(Decimal(f["commission"]) for f in answer["fills"])
    assert {f["commissionAsset"] for f in answer["fills"]} == {"USDT"}
    assert commission == pytest.approx(proceeds * COMMISSION, abs=Decimal("0.0000001"))
    assert desk.free("BTC") == INITIAL_BALANCES["BTC"] - Decimal("0.1")
    assert desk.free("USDT") == INITIAL_BALANCES["USDT"] + proceeds - commission


def test_market_by_quote_order_qty_spends_at_most_the_budget(desk: SpotDesk) -> None:
    answer = desk.order(side="BUY", type="MARKET", quoteOrderQty=Decimal("1000"))
    assert answer["status"] == "FILLED"
    assert answer["origQuoteOrderQty"] == "1000.00000000"
    assert answer["origQty"] == answer["executedQty"]
    spent = Decimal(answer["cummulativeQuoteQty"])
    step_value = Decimal(answer["fills"][-1]["price"]) * Decimal("0.00001")
    assert 1000 - step_value < spent <= 1000


def test_market_orders_need_the_balance(desk: SpotDesk) -> None:
    refused(desk, -2010, "Account has insufficient balance for requested action.",
            side="BUY", type="MARKET", quantity=Decimal("5"))  # fmt: skip
    refused(desk, -2010, "Account has insufficient balance for requested action.",
            side="SELL", type="MARKET", quantity=Decimal("2"))  # fmt: skip
    assert desk.free("BTC") == INITIAL_BALANCES["BTC"]


# --- limit orders -----------------------------------------------------------------------


def test_a_resting_limit_order_locks_its_quote_until_canceled(desk: SpotDesk) -> None:
    price = desk.price("0.9")
    answer = desk.order(side="BUY", type="LIMIT", timeInForce="GTC", quantity=Decimal("0.1"),
                        price=price)  # fmt: skip
    assert answer["status"] == "NEW"
    assert answer["fills"] == []
    assert desk.locked("USDT") == price * Decimal("0.1")
    assert desk.free("USDT") == INITIAL_BALANCES["USDT"] - price * Decimal("0.1")
    listed = desk.call("GET", "/api/v3/openOrders", symbol=BTC)
    assert [o["orderId"] for o in listed] == [answer["orderId"]]
    canceled = desk.call("DELETE", "/api/v3/order", symbol=BTC, orderId=answer["orderId"])
    assert canceled["status"] == "CANCELED"
    assert canceled["origClientOrderId"] == answer["clientOrderId"]
    assert desk.locked("USDT") == 0
    assert desk.free("USDT") == INITIAL_BALANCES["USDT"]
    assert desk.call("GET", "/api/v3/openOrders", symbol=BTC) == []


def test_a_sell_limit_locks_the_base(desk: SpotDesk) -> None:
    desk.order(side="SELL", type="LIMIT", timeInForce="GTC", quantity=Decimal("0.3"),
               price=desk.price("1.1"))  # fmt: skip
    assert desk.locked("BTC") == Decimal("0.3")
    assert desk.free("BTC") == Decimal("0.7")


def test_a_marketable_gtc_limit_fills_what_it_can_and_rests(desk: SpotDesk) -> None:
    asks = desk.call("GET", "/api/v3/depth", symbol=BTC, limit=2)["asks"]
    limit = Decimal(asks[1][0])
    reachable = Decimal(asks[0][1]) + Decimal(asks[1][1])
    qty = (reachable + Decimal("0.05")).quantize(Decimal("0.00001"))
    answer = desk.order(side="BUY", type="LIMIT", timeInForce="GTC", quantity=qty, price=limit)
    assert answer["status"] == "PARTIALLY_FILLED"
    assert Decimal(answer["executedQty"]) == reachable
    assert [f["price"] for f in answer["fills"]] == [asks[0][0], asks[1][0]]
    assert desk.locked("USDT") == limit * (qty - reachable)


def test_ioc_expires_the_rest(desk: SpotDesk) -> None:
    asks = desk.call("GET", "/api/v3/depth", symbol=BTC, limit=1)["asks"]
    answer = desk.order(side="BUY", type="LIMIT", timeInForce="IOC", quantity=Decimal("0.8"),
                        price=Decimal(asks[0][0]))  # fmt: skip
    assert answer["status"] == "EXPIRED"
    assert answer["executedQty"] == asks[0][1]
    assert desk.locked("USDT") == 0


def test_fok_fills_entirely_or_not_at_all(desk: SpotDesk) -> None:
    asks = desk.call("GET", "/api/v3/depth", symbol=BTC, limit=1)["asks"]
    too_much = desk.order(side="BUY", type="LIMIT", timeInForce="FOK", quantity=Decimal("0.7"),
                          price=Decimal(asks[0][0]))  # fmt: skip
    assert too_much["status"] == "EXPIRED"
    assert too_much["executedQty"] == "0.00000000"
    assert too_much["fills"] == []
    assert desk.free("BTC") == INITIAL_BALANCES["BTC"]
    enough = desk.order(side="BUY", type="LIMIT", timeInForce="FOK", quantity=Decimal(asks[0][1]),
                        price=Decimal(asks[0][0]))  # fmt: skip
    assert enough["status"] == "FILLED"


def test_limit_maker_rests_or_is_refused_when_it_would_take(desk: SpotDesk) -> None:
    ask = Decimal(desk.call("GET", "/api/v3/ticker/bookTicker", symbol=BTC)["askPrice"])
    refused(desk, -2010, "Order would immediately match and take.",
            side="BUY", type="LIMIT_MAKER", quantity=Decimal("0.01"), price=ask)  # fmt: skip
    resting = desk.order(side="BUY", type="LIMIT_MAKER", quantity=Decimal("0.01"),
                         price=ask - Decimal("0.01"), newOrderRespType="RESULT")  # fmt: skip
    assert resting["status"] == "NEW"


def test_a_resting_order_fills_as_maker_when_the_market_comes(desk: SpotDesk) -> None:
    price = desk.price("0.999")
    placed = desk.order(side="BUY", type="LIMIT", timeInForce="GTC", quantity=Decimal("0.01"),
                        price=price)  # fmt: skip
    when = first_trade_time(desk, lambda traded: traded < price)
    desk.now = when - 1
    early = desk.call("GET", "/api/v3/order", symbol=BTC, orderId=placed["orderId"])
    assert early["status"] in ("NEW", "PARTIALLY_FILLED")
    desk.now = when
    order = desk.call("GET", "/api/v3/order", symbol=BTC, orderId=placed["orderId"])
    assert order["status"] == "FILLED"
    assert order["updateTime"] <= when
    trades = desk.call("GET", "/api/v3/myTrades", symbol=BTC, orderId=placed["orderId"])
    assert trades
    assert all(t["isMaker"] and t["price"] == f"{price:.8f}" for t in trades)
    assert desk.locked("USDT") == 0
    assert desk.free("BTC") == INITIAL_BALANCES["BTC"] + Decimal("0.01") * (1 - COMMISSION)


# --- stops ------------------------------------------------------------------------------


def test_a_stop_loss_waits_for_its_price_then_sells_at_market(desk: SpotDesk) -> None:
    stop = desk.price("0.998")
    placed = desk.order(side="SELL", type="STOP_LOSS", quantity=Decimal("0.05"), stopPrice=stop)
    assert set(placed) == {"symbol", "orderId", "orderListId", "clientOrderId", "transactTime"}
    queried = desk.call("GET", "/api/v3/order", symbol=BTC, orderId=placed["orderId"])
    assert (queried["status"], queried["isWorking"], queried["workingTime"]) == ("NEW", False, -1)
    assert desk.locked("BTC") == Decimal("0.05")
    when = first_trade_time(desk, lambda traded: traded <= stop)
    desk.now = when + 1
    order = desk.call("GET", "/api/v3/order", symbol=BTC, orderId=placed["orderId"])
    assert order["status"] == "FILLED"
    assert order["isWorking"]
    assert order["workingTime"] == when
    assert desk.locked("BTC") == 0
    assert desk.free("BTC") == INITIAL_BALANCES["BTC"] - Decimal("0.05")


def test_a_take_profit_limit_buy_triggers_below(desk: SpotDesk) -> None:
    stop = desk.price("0.998")
    placed = desk.order(side="BUY", type="TAKE_PROFIT_LIMIT", quantity=Decimal("0.01"),
                        stopPrice=stop, price=desk.price("0.999"), timeInForce="GTC",
                        newOrderRespType="RESULT")  # fmt: skip
    assert placed["stopPrice"] == f"{stop:.8f}"
    assert placed["workingTime"] == -1
    desk.now = first_trade_time(desk, lambda traded: traded <= stop)
    order = desk.call("GET", "/api/v3/order", symbol=BTC, orderId=placed["orderId"])
    assert order["isWorking"]
    assert order["status"] in ("NEW", "PARTIALLY_FILLED", "FILLED")


@pytest.mark.parametrize(
    ("side", "kind", "factor"),
    [("SELL", "STOP_LOSS", "1.01"), ("BUY", "STOP_LOSS", "0.99"),
     ("SELL", "TAKE_PROFIT", "0.99"), ("BUY", "TAKE_PROFIT", "1.01")],
)  # fmt: skip
def test_a_stop_that_would_trigger_at_once_is_refused(
    desk: SpotDesk, side: str, kind: str, factor: str
) -> None:
    refused(desk, -2010, "Order would trigger immediately.", side=side, type=kind,
            quantity=Decimal("0.01"), stopPrice=desk.price(factor))  # fmt: skip


# --- filters and parameters -------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "code", "msg"),
    [
        ({"price": "100000.000000001"}, -1111, "Parameter 'price' has too much precision."),
        ({"price": "100000.001"}, -1013, "Filter failure: PRICE_FILTER"),
        ({"price": "0"}, -1013, "Filter failure: PRICE_FILTER"),
        ({"quantity": "0.000001"}, -1013, "Filter failure: LOT_SIZE"),
        ({"quantity": "0.000015"}, -1013, "Filter failure: LOT_SIZE"),
        ({"quantity": "10000"}, -1013, "Filter failure: LOT_SIZE"),
        ({"quantity": "0.00001"}, -1013, "Filter failure: NOTIONAL"),
        ({"price": "1000"}, -1013, "Filter failure: PERCENT_PRICE_BY_SIDE"),
        ({"icebergQty": "0.02"}, -2010, "IcebergQty exceeds QTY."),
        ({"icebergQty": "0.00001"}, -1013, "Filter failure: ICEBERG_PARTS"),
        ({"stopPrice": "100000"}, -1106, "Parameter 'stopPrice' sent when not required."),
        ({"timeInForce": None}, -1102,
         "Mandatory parameter 'timeInForce' was not sent, was empty/null, or malformed."),
        ({"trailingDelta": 100}, -1106, "Parameter 'trailingDelta' sent when not required."),
    ],
)  # fmt: skip
def test_limit_order_rules(desk: SpotDesk, changes: dict[str, Any], code: int, msg: str) -> None:
    params: dict[str, Any] = {"side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
                              "quantity": Decimal("0.01"), "price": desk.price("0.98")}  # fmt: skip
    for name, value in changes.items():
        if value is None:
            del params[name]
        else:
            params[name] = value if isinstance(value, int) else Decimal(value)
    refused(desk, code, msg, **params)
    refused(desk, code, msg, path="/api/v3/order/test", **params)  # the same checks


@pytest.mark.parametrize(
    ("params", "code", "msg"),
    [
        ({}, -1102, "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!"),
        ({"quantity": "0.01", "quoteOrderQty": "100"}, -1106,
         "Parameter 'quoteOrderQty' sent when not required."),
        ({"quantity": "0.01", "price": "1"}, -1106, "Parameter 'price' sent when not required."),
        ({"quantity": "101"}, -1013, "Filter failure: MARKET_LOT_SIZE"),
        ({"quoteOrderQty": "1"}, -1013, "Filter failure: NOTIONAL"),
    ],
)  # fmt: skip
def test_market_order_rules(desk: SpotDesk, params: dict[str, str], code: int, msg: str) -> None:
    converted = {name: Decimal(value) for name, value in params.items()}
    refused(desk, code, msg, side="BUY", type="MARKET", **converted)


def test_order_test_checks_without_placing(desk: SpotDesk) -> None:
    params = {"symbol": BTC, "side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
              "quantity": Decimal("0.01"), "price": desk.price("0.98")}  # fmt: skip
    assert desk.call("POST", "/api/v3/order/test", **params) == {}
    rates = desk.call("POST", "/api/v3/order/test", computeCommissionRates=True, **params)
    assert rates["standardCommissionForOrder"] == {"maker": "0.00100000", "taker": "0.00100000"}
    assert desk.call("GET", "/api/v3/openOrders") == []
    refused(desk, -1013, "Filter failure: PRICE_FILTER", path="/api/v3/order/test",
            **{**params, "price": Decimal("1.001")})  # fmt: skip


def test_a_client_order_id_in_use_is_refused(desk: SpotDesk) -> None:
    params = {"side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": Decimal("0.01"),
              "price": desk.price("0.95"), "newClientOrderId": "mine-1"}  # fmt: skip
    first = desk.order(**params)
    refused(desk, -2010, "Duplicate order sent.", **params)
    desk.call("DELETE", "/api/v3/order", symbol=BTC, origClientOrderId="mine-1")
    again = desk.order(**params)  # free again once the first is no longer open
    assert again["orderId"] != first["orderId"]
    found = desk.call("GET", "/api/v3/order", symbol=BTC, origClientOrderId="mine-1")
    assert found["orderId"] == again["orderId"]


def test_unknown_orders(desk: SpotDesk) -> None:
    refused(desk, -2013, "Order does not exist.", "GET", "/api/v3/order", orderId=999)
    refused(desk, -2011, "Unknown order sent.", "DELETE", "/api/v3/order", orderId=999)
    refused(desk, -1102,
            "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!",
            "GET", "/api/v3/order")  # fmt: skip
    refused(desk, -1121, "Invalid symbol.", "GET", "/api/v3/order", symbol="NOPE", orderId=1)
    refused(desk, -2011, "Unknown order sent.", "DELETE", "/api/v3/openOrders")
    filled = desk.order(side="BUY", type="MARKET", quantity=Decimal("0.01"))
    refused(desk, -2011, "Unknown order sent.", "DELETE", "/api/v3/order",
            orderId=filled["orderId"])  # fmt: skip


def test_cancel_restrictions(desk: SpotDesk) -> None:
    placed = desk.order(side="BUY", type="LIMIT", timeInForce="GTC", quantity=Decimal("0.01"),
                        price=desk.price("0.95"))  # fmt: skip
    refused(desk, -2011, "Order was not canceled due to cancel restrictions.", "DELETE",
            "/api/v3/order", orderId=placed["orderId"],
            cancelRestrictions="ONLY_PARTIALLY_FILLED")  # fmt: skip
    done = desk.call("DELETE", "/api/v3/order", symbol=BTC, orderId=placed["orderId"],
                     cancelRestrictions="ONLY_NEW")  # fmt: skip
    assert done["status"] == "CANCELED"


def test_history_filters(desk: SpotDesk) -> None:
    first = desk.order(side="BUY", type="MARKET", quantity=Decimal("0.01"))
    desk.now += 60_000
    second = desk.order(side="SELL", type="MARKET", quantity=Decimal("0.01"))
    orders = desk.call("GET", "/api/v3/allOrders", symbol=BTC)
    assert [o["orderId"] for o in orders] == [first["orderId"], second["orderId"]]
    later = desk.call("GET", "/api/v3/allOrders", symbol=BTC, orderId=second["orderId"])
    assert [o["orderId"] for o in later] == [second["orderId"]]
    trades = desk.call("GET", "/api/v3/myTrades", symbol=BTC)
    assert [t["isBuyer"] for t in trades] == [True] * len(first["fills"]) + [False] * len(
        second["fills"]
    )
    recent = desk.call("GET", "/api/v3/myTrades", symbol=BTC, startTime=desk.now)
    assert {t["orderId"] for t in recent} == {second["orderId"]}
    assert desk.call("GET", "/api/v3/myTrades", symbol=BTC, limit=1) == trades[-1:]
    assert desk.call("GET", "/api/v3/allOrders", symbol="ETHUSDT") == []


def test_cancel_all_cancels_orders_and_lists(desk: SpotDesk) -> None:
    single = desk.order(side="BUY", type="LIMIT", timeInForce="GTC", quantity=Decimal("0.01"),
                        price=desk.price("0.95"))  # fmt: skip
    listed = place_sell_oco(desk)
    answer = desk.call("DELETE", "/api/v3/openOrders", symbol=BTC)
    assert answer[0]["orderId"] == single["orderId"]
    assert answer[0]["status"] == "CANCELED"
    assert answer[1]["orderListId"] == listed["orderListId"]
    assert answer[1]["listOrderStatus"] == "ALL_DONE"
    assert {r["status"] for r in answer[1]["orderReports"]} == {"CANCELED"}
    assert desk.locked("BTC") == 0
    assert desk.locked("USDT") == 0


def test_rate_limit_order_counts_unfilled_orders(desk: SpotDesk) -> None:
    """Binance Spot counts unfilled orders: an order's first fill takes it off again,
    shortly after the fill; canceling does not."""

    def counts() -> list[int]:
        return [limit["count"] for limit in desk.call("GET", "/api/v3/rateLimit/order")]

    assert counts() == [0, 0]
    desk.order(side="BUY", type="MARKET", quantity=Decimal("0.01"))
    assert counts() == [1, 1]
    desk.now += FILL_CREDIT_DELAY_MS
    assert counts() == [0, 0]  # filled at once: off the count a moment later
    place_sell_oco(desk)
    price = desk.price("0.999")
    placed = desk.order(side="BUY", type="LIMIT", timeInForce="GTC", quantity=Decimal("0.01"),
                        price=price)  # fmt: skip
    assert counts() == [3, 3]
    desk.call("DELETE", "/api/v3/order", symbol=BTC, orderId=placed["orderId"])
    assert counts() == [3, 3]
    desk.now += 10_000
    assert counts() == [0, 3]  # a new 10-second interval; the day goes on
    resting = desk.order(side="BUY", type="LIMIT", timeInForce="GTC",
                         quantity=Decimal("0.01"), price=price)  # fmt: skip
    desk.now = first_trade_time(desk, lambda traded: traded < price) + FILL_CREDIT_DELAY_MS
    assert (
        desk.call("GET", "/api/v3/order", symbol=BTC, orderId=resting["orderId"])["executedQty"]
        != "0.00000000"
    )
    assert counts()[1] < 4


def test_account_info(desk: SpotDesk) -> None:
    info = desk.call("GET", "/api/v3/account")
    assert info["accountType"] == "SPOT"
    assert info["canTrade"]
    assert info["commissionRates"]["maker"] == "0.00100000"
    assert info["makerCommission"] == 10
    assert {b["asset"]: b["free"] for b in info["balances"]}["USDT"] == "100000.00000000"
    omitted = desk.call("GET", "/api/v3/account", omitZeroBalances=True)["balances"]
    assert "FDUSD" in {b["asset"] for b in info["balances"]}
    assert "FDUSD" not in {b["asset"] for b in omitted}
    commission = desk.call("GET", "/api/v3/account/commission", symbol=BTC)
    assert commission["standardCommission"]["taker"] == "0.00100000"


def test_self_trade_prevention_never_acts(desk: SpotDesk) -> None:
    refused(desk, -1102,
            "Param 'preventedMatchId' or 'orderId' must be sent, but both were empty/null!",
            "GET", "/api/v3/myPreventedMatches")  # fmt: skip
    placed = desk.order(side="BUY", type="MARKET", quantity=Decimal("0.01"),
                        selfTradePreventionMode="EXPIRE_BOTH")  # fmt: skip
    assert placed["selfTradePreventionMode"] == "EXPIRE_BOTH"
    prevented = desk.call("GET", "/api/v3/myPreventedMatches", symbol=BTC,
                          orderId=placed["orderId"])  # fmt: skip
    assert prevented == []


# --- order lists ------------------------------------------------------------------------


def place_sell_oco(desk: SpotDesk, qty: str = "0.2") -> Any:
    return desk.call(
        "POST", "/api/v3/orderList/oco", symbol=BTC, side="SELL", quantity=Decimal(qty),
        aboveType="LIMIT_MAKER", abovePrice=desk.price("1.002"),
        belowType="STOP_LOSS", belowStopPrice=desk.price("0.998"),
    )  # fmt: skip


def test_an_oco_holds_its_quantity_once_and_one_leg_cancels_the_other(desk: SpotDesk) -> None:
    listed = place_sell_oco(desk)
    assert listed["contingencyType"] == "OCO"
    assert listed["listOrderStatus"] == "EXECUTING"
    assert desk.locked("BTC") == Decimal("0.2")
    above, below = Decimal(listed["orderReports"][0]["price"]), desk.price("0.998")
    when = first_trade_time(desk, lambda traded: traded > above or traded <= below)
    desk.now = when + 1
    status = desk.call("GET", "/api/v3/orderList", orderListId=listed["orderListId"])
    assert status["listOrderStatus"] == "ALL_DONE"
    orders = [
        desk.call("GET", "/api/v3/order", symbol=BTC, orderId=o["orderId"])
        for o in listed["orders"]
    ]
    assert sorted(o["status"] for o in orders) == ["EXPIRED", "FILLED"]
    assert desk.locked("BTC") == 0
    assert desk.free("BTC") == INITIAL_BALANCES["BTC"] - Decimal("0.2")
    assert desk.call("GET", "/api/v3/openOrderList") == []
    assert [lst["orderListId"] for lst in desk.call("GET", "/api/v3/allOrderList")] == [
        listed["orderListId"]
    ]


@pytest.mark.parametrize(
    ("side", "above", "below", "code", "msg"),
    [
        ("SELL", "STOP_LOSS", "STOP_LOSS", -1197, "A stop loss order in a sell OCO must be below."),
        ("SELL", "LIMIT_MAKER", "TAKE_PROFIT", -1199,
         "A take profit order in a sell OCO must be above."),
        ("BUY", "LIMIT_MAKER", "TAKE_PROFIT", -1165, "A limit order in a buy OCO must be below."),
        ("BUY", "TAKE_PROFIT", "TAKE_PROFIT", -1198,
         "A take profit order in a buy OCO must be below."),
        ("BUY", "STOP_LOSS", "STOP_LOSS", -1196, "A stop loss order in a buy OCO must be above."),
    ],
)  # fmt: skip
def test_oco_legs_must_sit_on_their_side(
    desk: SpotDesk, side: str, above: str, below: str, code: int, msg: str
) -> None:
    legs: dict[str, Any] = {}
    for name, kind, factor in (("above", above, "1.01"), ("below", below, "0.99")):
        key = "Price" if kind == "LIMIT_MAKER" else "StopPrice"
        legs[name + key] = desk.price(factor)
    refused(desk, code, msg, path="/api/v3/orderList/oco", side=side, quantity=Decimal("0.01"),
            aboveType=above, belowType=below, **legs)  # fmt: skip


def test_oco_prices_must_straddle_the_market(desk: SpotDesk) -> None:
    refused(desk, -2010, "The relationship of the prices for the orders is not correct.",
            path="/api/v3/orderList/oco", side="SELL", quantity=Decimal("0.01"),
            aboveType="LIMIT_MAKER", abovePrice=desk.price("0.99"),
            belowType="STOP_LOSS", belowStopPrice=desk.price("0.98"))  # fmt: skip
    refused(desk, -2010, "The relationship of the prices for the orders is not correct.",
            path="/api/v3/order/oco", side="BUY", quantity=Decimal("0.01"),
            price=desk.price("1.01"), stopPrice=desk.price("1.02"))  # fmt: skip
    refused(desk, -1102,
            "Mandatory parameter 'abovePrice' was not sent, was empty/null, or malformed.",
            path="/api/v3/orderList/oco", side="SELL", quantity=Decimal("0.01"),
            aboveType="LIMIT_MAKER", belowType="STOP_LOSS",
            belowStopPrice=desk.price("0.98"))  # fmt: skip


def test_legacy_oco_lists_the_stop_first(desk: SpotDesk) -> None:
    listed = desk.call("POST", "/api/v3/order/oco", symbol=BTC, side="BUY",
                       quantity=Decimal("0.01"), price=desk.price("0.99"),
                       stopPrice=desk.price("1.01"), stopLimitPrice=desk.price("1.011"),
                       stopLimitTimeInForce="GTC")  # fmt: skip
    assert [r["type"] for r in listed["orderReports"]] == ["STOP_LOSS_LIMIT", "LIMIT_MAKER"]
    # a buy OCO holds the larger of its legs' quote amounts, once
    assert desk.locked("USDT") == desk.price("1.011") * Decimal("0.01")


@pytest.mark.parametrize("endpoint", ["/api/v3/orderList/oco", "/api/v3/order/oco"])
def test_an_oco_leg_filled_in_part_keeps_working_holding_its_rest(
    desk: SpotDesk, endpoint: str
) -> None:
    """Binance: "activation of one order immediately cancels the other": a leg's partial
    fill expires its sibling, and the leg that traded works on for its rest, holding what
    that rest needs. The pair's one shared hold is kept by the first leg listed, the
    LIMIT_MAKER of ``orderList/oco`` (above, then below), the stop of the legacy
    ``order/oco``: either way, the account then holds the LIMIT_MAKER's rest. The partial
    fill is the account's own buy meeting the leg at the ask, self-trade prevention off."""
    ask = Decimal(desk.call("GET", "/api/v3/ticker/bookTicker", symbol=BTC)["askPrice"])
    stop = desk.price("0.98")
    legs: dict[str, Any] = (
        {"aboveType": "LIMIT_MAKER", "abovePrice": ask, "belowType": "STOP_LOSS",
         "belowStopPrice": stop}
        if endpoint.endswith("orderList/oco")
        else {"price": ask, "stopPrice": stop}
    )  # fmt: skip
    listed = desk.call("POST", endpoint, symbol=BTC, side="SELL", quantity=Decimal("0.1"), **legs)
    (maker,) = [r["orderId"] for r in listed["orderReports"] if r["type"] == "LIMIT_MAKER"]
    (other,) = [r["orderId"] for r in listed["orderReports"] if r["orderId"] != maker]
    assert desk.locked("BTC") == Decimal("0.1")
    taker = desk.order(side="BUY", type="LIMIT", timeInForce="IOC", quantity=Decimal("0.03"),
                       price=ask, selfTradePreventionMode="NONE")  # fmt: skip
    assert taker["status"] == "FILLED"
    leg = desk.call("GET", "/api/v3/order", symbol=BTC, orderId=maker)
    assert (leg["status"], leg["executedQty"]) == ("PARTIALLY_FILLED", "0.03000000")
    assert desk.call("GET", "/api/v3/order", symbol=BTC, orderId=other)["status"] == "EXPIRED"
    status = desk.call("GET", "/api/v3/orderList", orderListId=listed["orderListId"])
    assert status["listOrderStatus"] == "EXECUTING"
    assert desk.locked("BTC") == Decimal("0.07")  # the leg's rest
    # the account's own 0.03 went from the leg to the taker: the total is unchanged
    assert desk.free("BTC") + desk.locked("BTC") == INITIAL_BALANCES["BTC"] - Decimal("0.00003")
    desk.call("DELETE", "/api/v3/order", symbol=BTC, orderId=maker)
    assert desk.locked("BTC") == 0


def test_oto_puts_the_pending_order_to_work_once_the_working_one_fills(desk: SpotDesk) -> None:
    ask = Decimal(desk.call("GET", "/api/v3/ticker/bookTicker", symbol=BTC)["askPrice"])
    listed = desk.call(
        "POST", "/api/v3/orderList/oto", symbol=BTC, workingType="LIMIT", workingSide="BUY",
        workingPrice=ask, workingQuantity=Decimal("0.001"), workingTimeInForce="GTC",
        pendingType="LIMIT_MAKER", pendingSide="SELL", pendingPrice=desk.price("1.05"),
        pendingQuantity=Decimal("0.001"),
    )  # fmt: skip
    working, pending = listed["orderReports"]
    assert working["status"] == "FILLED"
    assert pending["status"] == "NEW"
    assert pending["workingTime"] == desk.now
    assert desk.locked("BTC") == Decimal("0.001")


def test_oto_pending_waits_and_goes_with_the_working_order(desk: SpotDesk) -> None:
    listed = desk.call(
        "POST", "/api/v3/orderList/oto", symbol=BTC, workingType="LIMIT", workingSide="BUY",
        workingPrice=desk.price("0.9"), workingQuantity=Decimal("0.01"),
        workingTimeInForce="GTC", pendingType="MARKET", pendingSide="SELL",
        pendingQuantity=Decimal("0.01"),
    )  # fmt: skip
    assert [r["status"] for r in listed["orderReports"]] == ["NEW", "PENDING_NEW"]
    pending_id = listed["orders"][1]["orderId"]
    answer = desk.call("DELETE", "/api/v3/orderList", symbol=BTC,
                       orderListId=listed["orderListId"])  # fmt: skip
    assert answer["listStatusType"] == "ALL_DONE"
    pending = desk.call("GET", "/api/v3/order", symbol=BTC, orderId=pending_id)
    assert pending["status"] == "CANCELED"
    assert desk.locked("USDT") == 0


def test_opo_pending_takes_the_working_order_quantity(desk: SpotDesk) -> None:
    ask = Decimal(desk.call("GET", "/api/v3/ticker/bookTicker", symbol=BTC)["askPrice"])
    listed = desk.call(
        "POST", "/api/v3/orderList/opo", symbol=BTC, workingType="LIMIT", workingSide="BUY",
        workingPrice=ask, workingQuantity=Decimal("0.002"), workingTimeInForce="GTC",
        pendingType="MARKET", pendingSide="SELL",
    )  # fmt: skip
    working, pending = listed["orderReports"]
    assert working["status"] == "FILLED"
    assert pending["status"] == "FILLED"
    assert pending["executedQty"] == working["executedQty"] == "0.00200000"


def test_otoco_pending_pair_is_one_cancels_the_other(desk: SpotDesk) -> None:
    ask = Decimal(desk.call("GET", "/api/v3/ticker/bookTicker", symbol=BTC)["askPrice"])
    listed = desk.call(
        "POST", "/api/v3/orderList/otoco", symbol=BTC, workingType="LIMIT", workingSide="BUY",
        workingPrice=ask, workingQuantity=Decimal("0.01"), workingTimeInForce="GTC",
        pendingSide="SELL", pendingQuantity=Decimal("0.01"),
        pendingAboveType="LIMIT_MAKER", pendingAbovePrice=desk.price("1.002"),
        pendingBelowType="STOP_LOSS", pendingBelowStopPrice=desk.price("0.998"),
    )  # fmt: skip
    assert [r["status"] for r in listed["orderReports"]] == ["FILLED", "NEW", "NEW"]
    above, below = desk.price("1.002"), desk.price("0.998")
    desk.now = first_trade_time(desk, lambda t: t > above or t <= below) + 1
    states = sorted(
        desk.call("GET", "/api/v3/order", symbol=BTC, orderId=o["orderId"])["status"]
        for o in listed["orders"][1:]
    )
    assert states == ["EXPIRED", "FILLED"]


# --- replacing and amending -------------------------------------------------------------


def test_cancel_replace(desk: SpotDesk) -> None:
    placed = desk.order(side="BUY", type="LIMIT", timeInForce="GTC", quantity=Decimal("0.01"),
                        price=desk.price("0.95"), newClientOrderId="keep")  # fmt: skip
    answer = desk.call(
        "POST", "/api/v3/order/cancelReplace", symbol=BTC, side="BUY", type="LIMIT",
        cancelReplaceMode="STOP_ON_FAILURE", timeInForce="GTC", quantity=Decimal("0.02"),
        price=desk.price("0.96"), cancelOrderId=placed["orderId"], newClientOrderId="keep",
    )  # fmt: skip
    assert (answer["cancelResult"], answer["newOrderResult"]) == ("SUCCESS", "SUCCESS")
    assert answer["cancelResponse"]["status"] == "CANCELED"
    assert answer["newOrderResponse"]["clientOrderId"] == "keep"
    assert desk.locked("USDT") == desk.price("0.96") * Decimal("0.02")


def test_cancel_replace_partial_failure_keeps_the_cancel(desk: SpotDesk) -> None:
    placed = desk.order(side="BUY", type="LIMIT", timeInForce="GTC", quantity=Decimal("0.01"),
                        price=desk.price("0.95"))  # fmt: skip
    ask = Decimal(desk.call("GET", "/api/v3/ticker/bookTicker", symbol=BTC)["askPrice"])
    with pytest.raises(SimError) as caught:
        desk.call("POST", "/api/v3/order/cancelReplace", symbol=BTC, side="BUY",
                  type="LIMIT_MAKER", cancelReplaceMode="STOP_ON_FAILURE",
                  quantity=Decimal("0.01"), price=ask, cancelOrderId=placed["orderId"])  # fmt: skip
    error: Any = caught.value
    assert (error.code, error.msg) == (-2021, "Order cancel-replace partially failed.")
    assert error.data["newOrderResponse"] == {
        "code": -2010, "msg": "Order would immediately match and take."
    }  # fmt: skip
    assert desk.call("GET", "/api/v3/openOrders") == []


@pytest.mark.parametrize("mode", ["STOP_ON_FAILURE", "ALLOW_FAILURE"])
@pytest.mark.parametrize(
    ("change", "code", "msg"),
    [
        ({"stopPrice": "0.9"}, -1106, "Parameter 'stopPrice' sent when not required."),
        ({"quantity": Decimal("0.000001")}, -1013, "Filter failure: LOT_SIZE"),
        ({"price": "tick/2"}, -1013, "Filter failure: PRICE_FILTER"),
    ],
)
def test_cancel_replace_refuses_a_bad_new_order_before_canceling(
    desk: SpotDesk, mode: str, change: dict[str, Any], code: int, msg: str
) -> None:
    """Binance: "Filters and Order Count are evaluated before the processing of the
    cancellation and order placement occurs", and a request's parameters are checked
    before anything is done: such a refusal is the plain error, the old order still
    works (the simulator used to cancel first and answer -2021)."""
    price = desk.price("0.95")
    placed = desk.order(side="BUY", type="LIMIT", timeInForce="GTC", quantity=Decimal("0.01"),
                        price=price)  # fmt: skip
    new: dict[str, Any] = {"quantity": Decimal("0.02"), "price": desk.price("0.96")}
    tick = desk.venue.symbols[BTC].tick
    for name, value in change.items():
        if value == "tick/2":
            new[name] = new[name] + tick / 2
        elif name == "stopPrice":
            new[name] = desk.price(value)
        else:
            new[name] = value
    refused(desk, code, msg, path="/api/v3/order/cancelReplace", side="BUY", type="LIMIT",
            cancelReplaceMode=mode, timeInForce="GTC", cancelOrderId=placed["orderId"],
            **new)  # fmt: skip
    still = desk.call("GET", "/api/v3/order", symbol=BTC, orderId=placed["orderId"])
    assert still["status"] == "NEW"
    assert desk.locked("USDT") == price * Decimal("0.01")


def test_amend_keep_priority_only_decreases(desk: SpotDesk) -> None:
    price = desk.price("0.95")
    placed = desk.order(side="BUY", type="LIMIT", timeInForce="GTC", quantity=Decimal("0.05"),
                        price=price)  # fmt: skip
    amended = desk.call("PUT", "/api/v3/order/amend/keepPriority", symbol=BTC,
                        orderId=placed["orderId"], newQty=Decimal("0.02"))  # fmt: skip
    assert amended["amendedOrder"]["qty"] == "0.02000000"
    assert desk.locked("USDT") == price * Decimal("0.02")
    refused(desk, -2038, "Order amend (quantity increase) is not supported.", "PUT",
            "/api/v3/order/amend/keepPriority", orderId=placed["orderId"],
            newQty=Decimal("0.03"))  # fmt: skip
    history = desk.call("GET", "/api/v3/order/amendments", symbol=BTC, orderId=placed["orderId"])
    assert [(a["origQty"], a["newQty"]) for a in history] == [("0.05000000", "0.02000000")]


def test_sor_orders_report_their_allocations(desk: SpotDesk) -> None:
    placed = desk.call("POST", "/api/v3/sor/order", symbol=BTC, side="SELL", type="MARKET",
                       quantity=Decimal("0.01"))  # fmt: skip
    assert placed["usedSor"]
    assert placed["workingFloor"] == "SOR"
    allocations = desk.call("GET", "/api/v3/myAllocations", symbol=BTC)
    assert sum(Decimal(a["qty"]) for a in allocations) == Decimal("0.01")
    refused(desk, -1013, "SOR is not enabled for this symbol.", path="/api/v3/sor/order",
            symbol="ETHBTC", side="SELL", type="MARKET", quantity=Decimal("0.01"))  # fmt: skip


def test_max_num_algo_orders(desk: SpotDesk) -> None:
    for i in range(5):
        desk.order(side="SELL", type="STOP_LOSS", quantity=Decimal("0.01"),
                   stopPrice=desk.price(f"0.9{i}"))  # fmt: skip
    refused(desk, -1013, "Filter failure: MAX_NUM_ALGO_ORDERS", side="SELL", type="STOP_LOSS",
            quantity=Decimal("0.01"), stopPrice=desk.price("0.89"))  # fmt: skip
