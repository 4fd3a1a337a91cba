"""The USDⓈ-M paper account: fills against the book, positions and their profit,
time in force, filters, reduce-only, hedge mode, leverage and margin, with Binance's
error codes. The handlers are called directly (``Desk``), with converted parameters."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sim_usdm_helpers import Desk

from aioca_binance_sim.errors import SimError
from aioca_binance_sim.usdm.engine import MAKER_FEE, TAKER_FEE

D = Decimal

ORDER = "/fapi/v1/order"
BTC = "BTCUSDT"


def _refused(desk: Desk, code: int, method: str, path: str, **params: Any) -> SimError:
    with pytest.raises(SimError) as caught:
        desk(method, path, **params)
    assert caught.value.code == code, caught.value.msg
    return caught.value


def _market(desk: Desk, side: str, qty: str, symbol: str = BTC, **extra: Any) -> dict[str, Any]:
    extra.setdefault("newOrderRespType", "RESULT")
    return desk("POST", ORDER, symbol=symbol, side=side, type="MARKET", quantity=D(qty), **extra)  # type: ignore[no-any-return]


def _limit(
    desk: Desk, side: str, qty: str, price: D, tif: str = "GTC", **extra: Any
) -> dict[str, Any]:
    extra.setdefault("newOrderRespType", "RESULT")
    return desk(  # type: ignore[no-any-return]
        "POST", ORDER, symbol=extra.pop("symbol", BTC), side=side, type="LIMIT",
        timeInForce=tif, quantity=D(qty), price=price, **extra,
    )  # fmt: skip


def _book(desk: Desk, symbol: str = BTC, limit: int = 100) -> tuple[list[Any], list[Any]]:
    answer = desk("GET", "/fapi/v1/depth", symbol=symbol, limit=limit)
    return answer["bids"], answer["asks"]


def _position(desk: Desk, symbol: str = BTC, side: str = "BOTH") -> dict[str, Any]:
    rows = desk("GET", "/fapi/v2/positionRisk", symbol=symbol)
    return next(r for r in rows if r["positionSide"] == side)  # type: ignore[no-any-return]


def _wallet(desk: Desk, asset: str = "USDT") -> D:
    rows = desk("GET", "/fapi/v2/balance")
    return D(next(r["balance"] for r in rows if r["asset"] == asset))


# --- fills ----------------------------------------------------------------------------


def test_a_market_order_walks_the_book_level_by_level_as_a_taker() -> None:
    desk = Desk()
    _, asks = _book(desk)
    first, second = D(asks[0][1]), D(asks[1][1])
    qty = first + (second / 2).quantize(D("0.001"), rounding="ROUND_DOWN")
    assert qty > first
    order = _market(desk, "BUY", str(qty))
    assert order["status"] == "FILLED"
    assert D(order["executedQty"]) == qty
    trades = desk("GET", "/fapi/v1/userTrades", symbol=BTC)
    assert [(t["price"], D(t["qty"])) for t in trades] == [
        (asks[0][0], first),
        (asks[1][0], qty - first),
    ]
    assert all(not t["maker"] and t["buyer"] for t in trades)
    cost = first * D(asks[0][0]) + (qty - first) * D(asks[1][0])
    assert D(order["cumQuote"]) == cost
    assert D(order["avgPrice"]) == (cost / qty).quantize(D("0.00001"))
    fees = [D(t["commission"]) for t in trades]
    assert sum(fees) == pytest.approx(cost * TAKER_FEE, abs=D("0.00000002"))
    position = _position(desk)
    assert D(position["positionAmt"]) == qty
    assert D(position["entryPrice"]) == (cost / qty).quantize(D("0.00001"))
    assert _wallet(desk) == pytest.approx(D(100000) - sum(fees), abs=D("0.00000002"))


def test_the_default_ack_answers_the_order_as_accepted_though_it_filled() -> None:
    desk = Desk()
    ack = desk("POST", ORDER, symbol=BTC, side="BUY", type="MARKET", quantity=D("0.010"))
    assert ack["status"] == "NEW"
    assert ack["executedQty"] == "0.000"
    assert ack["cumQuote"] == "0"
    found = desk("GET", ORDER, symbol=BTC, orderId=ack["orderId"])
    assert found["status"] == "FILLED"
    assert found["executedQty"] == "0.010"
    result = _market(desk, "BUY", "0.010")  # newOrderRespType=RESULT
    assert result["status"] == "FILLED"


def test_unrealized_profit_follows_the_mark_price_and_closing_realizes_it() -> None:
    desk = Desk()
    _market(desk, "BUY", "0.200")
    entry = D(_position(desk)["entryPrice"])
    desk.advance(3_600_000)
    position = _position(desk)
    mark = D(position["markPrice"])
    assert D(position["unRealizedProfit"]) == pytest.approx(
        D("0.2") * (mark - entry), abs=D("0.0001")
    )
    wallet = _wallet(desk)
    close = _market(desk, "SELL", "0.200")
    exit_price = D(close["cumQuote"]) / D("0.2")
    realized = sum(
        D(r["income"]) for r in desk("GET", "/fapi/v1/income", incomeType="REALIZED_PNL")
    )
    assert realized == pytest.approx(D("0.2") * (exit_price - entry), abs=D("0.0001"))
    fee = D(close["cumQuote"]) * TAKER_FEE
    assert _wallet(desk) == pytest.approx(wallet + realized - fee, abs=D("0.0001"))
    assert D(_position(desk)["positionAmt"]) == 0
    assert _position(desk)["entryPrice"] == "0.0"


def test_a_short_profits_when_the_price_falls() -> None:
    desk = Desk()
    _market(desk, "SELL", "0.100")
    position = _position(desk)
    entry, mark = D(position["entryPrice"]), D(position["markPrice"])
    assert D(position["positionAmt"]) == D("-0.1")
    assert D(position["unRealizedProfit"]) == pytest.approx(
        D("-0.1") * (mark - entry), abs=D("0.0001")
    )
    assert D(position["notional"]) < 0


def _future_low(desk: Desk, symbol: str, ms: int) -> D:
    s = desk.venue.symbols[symbol]
    first, last = desk.now // 10_000 + 1, (desk.now + ms) // 10_000
    return s.ticks_price(min(t.ticks for t in desk.venue.market.trades(s, first, last)))


def test_a_resting_limit_order_fills_at_its_price_as_maker_when_trades_reach_it() -> None:
    desk = Desk()
    low = _future_low(desk, BTC, 3_600_000)
    assert low < desk.last(BTC)
    order = _limit(desk, "BUY", "0.010", low)
    assert order["status"] == "NEW"
    orders = desk("GET", "/fapi/v1/openOrders", symbol=BTC)
    assert [o["orderId"] for o in orders] == [order["orderId"]]
    desk.advance(3_600_000)
    done = desk("GET", ORDER, symbol=BTC, orderId=order["orderId"])
    assert done["status"] == "FILLED"
    assert D(done["avgPrice"]) == low
    (trade,) = desk("GET", "/fapi/v1/userTrades", symbol=BTC)
    assert trade["maker"]
    assert D(trade["price"]) == low
    assert D(trade["commission"]) == (D("0.01") * low * MAKER_FEE).quantize(D("0.00000001"))
    assert desk.venue.market.core.trade(desk.venue.symbols[BTC].instrument, 0).ticks  # sanity
    assert desk("GET", "/fapi/v1/openOrders", symbol=BTC) == []


def test_ioc_fills_what_the_limit_allows_and_expires_the_rest() -> None:
    desk = Desk()
    _, asks = _book(desk)
    level = D(asks[0][1])
    order = _limit(desk, "BUY", str(level + D("1.000")), D(asks[0][0]), tif="IOC")
    assert order["status"] == "EXPIRED"
    assert D(order["executedQty"]) == level


def test_fok_that_cannot_fill_whole_and_gtx_that_would_take_are_refused() -> None:
    desk = Desk()
    bids, asks = _book(desk)
    level = D(asks[0][1])
    too_much = level + D("0.001")
    error = _refused(desk, -5021, "POST", ORDER, symbol=BTC, side="BUY", type="LIMIT",
                     timeInForce="FOK", quantity=too_much, price=D(asks[0][0]))  # fmt: skip
    assert error.msg.startswith("Due to the order could not be filled immediately")
    _refused(desk, -5022, "POST", ORDER, symbol=BTC, side="BUY", type="LIMIT",
             timeInForce="GTX", quantity=D("0.01"), price=D(asks[0][0]))  # fmt: skip
    assert _limit(desk, "BUY", "0.010", D(bids[0][0]), tif="GTX")["status"] == "NEW"
    assert desk("GET", "/fapi/v1/userTrades", symbol=BTC) == []
    fok = _limit(desk, "BUY", str(level), D(asks[0][0]), tif="FOK")
    assert fok["status"] == "FILLED"


def test_gtd_orders_expire_at_their_date() -> None:
    desk = Desk()
    price = desk.price(BTC, "0.95")
    _refused(desk, -5040, "POST", ORDER, symbol=BTC, side="BUY", type="LIMIT", timeInForce="GTD",
             quantity=D("0.01"), price=price, goodTillDate=desk.now + 60_000)  # fmt: skip
    _refused(desk, -1102, "POST", ORDER, symbol=BTC, side="BUY", type="LIMIT", timeInForce="GTD",
             quantity=D("0.01"), price=price)  # fmt: skip
    order = _limit(desk, "BUY", "0.010", price, tif="GTD", goodTillDate=desk.now + 700_000)
    assert order["goodTillDate"] == desk.now + 700_000
    desk.advance(800_000)
    assert desk("GET", ORDER, symbol=BTC, orderId=order["orderId"])["status"] == "EXPIRED"


def test_price_match_picks_the_book_level_it_names() -> None:
    desk = Desk()
    bids, asks = _book(desk)
    queue = desk("POST", ORDER, symbol=BTC, side="BUY", type="LIMIT", timeInForce="GTC",
                 quantity=D("0.010"), priceMatch="QUEUE_5")  # fmt: skip
    assert queue["price"] == bids[4][0]
    assert queue["status"] == "NEW"
    assert queue["priceMatch"] == "QUEUE_5"
    taker = desk("POST", ORDER, symbol=BTC, side="BUY", type="LIMIT", timeInForce="IOC",
                 quantity=D("0.001"), priceMatch="OPPONENT", newOrderRespType="RESULT")  # fmt: skip
    assert taker["status"] == "FILLED"
    assert D(taker["avgPrice"]) == D(asks[0][0])
    _refused(desk, -1106, "POST", ORDER, symbol=BTC, side="BUY", type="LIMIT", timeInForce="GTC",
             quantity=D("0.01"), price=D(bids[0][0]), priceMatch="QUEUE")  # fmt: skip
    _refused(desk, -5038, "POST", ORDER, symbol=BTC, side="BUY", type="MARKET",
             quantity=D("0.01"), priceMatch="OPPONENT")  # fmt: skip


# --- filters and request rules -----------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"price": "tick"}, -4014),
        ({"quantity": D("0.0105")}, -4023),
        ({"quantity": D("0.0004")}, -4004),
        ({"quantity": D("100000")}, -4005),
        ({"quantity": D("0.001")}, -4164),
        ({"price": "cap"}, -4016),
        ({"price": D("1000000000")}, -4002),
        ({"price": D("0")}, -4001),
        ({"type": "STOP_MARKET"}, -4120),
        ({"timeInForce": None}, -1102),
        ({"positionSide": "LONG"}, -4061),
        ({"symbol": "NOPEUSDT"}, -1121),
    ],
)
def test_filters_and_rules_answer_binances_codes(change: dict[str, Any], code: int) -> None:
    desk = Desk()
    params: dict[str, Any] = {
        "symbol": BTC, "side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
        "quantity": D("0.010"), "price": desk.price(BTC, "0.99"),
    }  # fmt: skip
    if change.get("price") == "tick":
        change = {"price": params["price"] + D("0.05")}
    elif change.get("price") == "cap":
        change = {"price": desk.price(BTC, "1.06")}
    params.update(change)
    params = {k: v for k, v in params.items() if v is not None}
    error = _refused(desk, code, "POST", ORDER, **params)
    if code == -4164:
        assert (
            error.msg
            == "Order's notional must be no smaller than 100 (unless you choose reduce only)"
        )
    assert desk.engine.orders == {}


def test_a_market_order_takes_no_price_and_a_sell_below_the_floor_is_refused() -> None:
    desk = Desk()
    _refused(desk, -1106, "POST", ORDER, symbol=BTC, side="BUY", type="MARKET",
             quantity=D("0.01"), price=desk.price(BTC, "1"))  # fmt: skip
    _refused(desk, -4024, "POST", ORDER, symbol=BTC, side="SELL", type="LIMIT", timeInForce="GTC",
             quantity=D("0.01"), price=desk.price(BTC, "0.94"))  # fmt: skip


def test_reduce_only_needs_a_position_to_reduce_and_skips_min_notional() -> None:
    desk = Desk()
    _refused(desk, -2022, "POST", ORDER, symbol=BTC, side="SELL", type="MARKET",
             quantity=D("0.01"), reduceOnly="true")  # fmt: skip
    _market(desk, "BUY", "0.010")
    _refused(desk, -2022, "POST", ORDER, symbol=BTC, side="SELL", type="MARKET",
             quantity=D("0.02"), reduceOnly="true")  # fmt: skip
    _refused(desk, -2022, "POST", ORDER, symbol=BTC, side="BUY", type="MARKET",
             quantity=D("0.001"), reduceOnly="true")  # fmt: skip
    small = _market(desk, "SELL", "0.001", reduceOnly="true")  # 100 USDT minimum skipped
    assert small["status"] == "FILLED"
    assert small["reduceOnly"] is True
    assert D(_position(desk)["positionAmt"]) == D("0.009")


def test_duplicate_client_ids_of_open_orders_are_refused() -> None:
    desk = Desk()
    price = desk.price(BTC, "0.98")
    _limit(desk, "BUY", "0.010", price, newClientOrderId="mine")
    _refused(desk, -4116, "POST", ORDER, symbol=BTC, side="BUY", type="LIMIT", timeInForce="GTC",
             quantity=D("0.01"), price=price, newClientOrderId="mine")  # fmt: skip


def test_test_order_checks_without_placing() -> None:
    desk = Desk()
    answer = desk(
        "POST", "/fapi/v1/order/test", symbol=BTC, side="BUY", type="MARKET", quantity=D("0.01")
    )
    assert answer["status"] == "NEW"
    assert desk.engine.orders == {}
    assert desk("GET", "/fapi/v1/userTrades", symbol=BTC) == []
    _refused(desk, -4164, "POST", "/fapi/v1/order/test", symbol="ETHUSDT", side="BUY",
             type="MARKET", quantity=D("0.004"))  # fmt: skip


# --- query, modify, cancel -----------------------------------------------------------------


def test_query_modify_and_cancel_an_order() -> None:
    desk = Desk()
    price = desk.price(BTC, "0.98")
    order = _limit(desk, "BUY", "0.010", price, newClientOrderId="q-1")
    by_client = desk("GET", ORDER, symbol=BTC, origClientOrderId="q-1")
    assert by_client["orderId"] == order["orderId"]
    assert by_client["time"] == desk.now
    assert "cumQty" not in by_client
    new_price = desk.price(BTC, "0.97")
    modified = desk("PUT", ORDER, symbol=BTC, side="BUY", orderId=order["orderId"],
                    quantity=D("0.020"), price=new_price)  # fmt: skip
    assert modified["price"] == str(new_price)
    assert modified["origQty"] == "0.020"
    _refused(desk, -5027, "PUT", ORDER, symbol=BTC, side="BUY", orderId=order["orderId"],
             quantity=D("0.020"), price=new_price)  # fmt: skip
    (amendment,) = desk("GET", "/fapi/v1/orderAmendment", symbol=BTC, orderId=order["orderId"])
    assert amendment["amendment"]["price"] == {"before": str(price), "after": str(new_price)}
    assert amendment["amendment"]["origQty"] == {"before": "0.010", "after": "0.020"}
    canceled = desk("DELETE", ORDER, symbol=BTC, origClientOrderId="q-1")
    assert canceled["status"] == "CANCELED"
    _refused(desk, -2011, "DELETE", ORDER, symbol=BTC, orderId=order["orderId"])
    _refused(desk, -2013, "GET", "/fapi/v1/openOrder", symbol=BTC, orderId=order["orderId"])
    _refused(desk, -2013, "GET", ORDER, symbol=BTC, orderId=12345)
    _refused(desk, -1102, "GET", ORDER, symbol=BTC)
    (row,) = desk("GET", "/fapi/v1/allOrders", symbol=BTC)
    assert row["status"] == "CANCELED"


def test_a_modified_price_that_crosses_fills_at_once() -> None:
    desk = Desk()
    order = _limit(desk, "BUY", "0.010", desk.price(BTC, "0.98"))
    _, asks = _book(desk)
    modified = desk("PUT", ORDER, symbol=BTC, side="BUY", orderId=order["orderId"],
                    quantity=D("0.001"), price=D(asks[0][0]))  # fmt: skip
    assert modified["status"] == "FILLED"
    assert D(modified["avgPrice"]) == D(asks[0][0])
    assert modified["pair"] == BTC


def test_cancel_all_and_the_countdown() -> None:
    desk = Desk()
    for factor in ("0.98", "0.97"):
        _limit(desk, "BUY", "0.010", desk.price(BTC, factor))
    assert desk("DELETE", "/fapi/v1/allOpenOrders", symbol=BTC)["code"] == 200
    assert desk("GET", "/fapi/v1/openOrders") == []
    _limit(desk, "BUY", "0.010", desk.price(BTC, "0.98"))
    answer = desk("POST", "/fapi/v1/countdownCancelAll", symbol=BTC, countdownTime=10_000)
    assert answer == {"symbol": BTC, "countdownTime": "10000"}
    desk.advance(9_000)
    assert len(desk("GET", "/fapi/v1/openOrders")) == 1
    desk.advance(2_000)
    assert desk("GET", "/fapi/v1/openOrders") == []


# --- positions: modes, leverage, margin ---------------------------------------------------


def test_hedge_mode_keeps_a_long_and_a_short_of_one_symbol() -> None:
    desk = Desk()
    assert desk("GET", "/fapi/v1/positionSide/dual") == {"dualSidePosition": False}
    _refused(desk, -4059, "POST", "/fapi/v1/positionSide/dual", dualSidePosition="false")
    desk("POST", "/fapi/v1/positionSide/dual", dualSidePosition="true")
    _refused(desk, -4061, "POST", ORDER, symbol=BTC, side="BUY", type="MARKET", quantity=D("0.01"))
    _refused(desk, -1106, "POST", ORDER, symbol=BTC, side="BUY", type="MARKET", quantity=D("0.01"),
             positionSide="LONG", reduceOnly="true")  # fmt: skip
    _market(desk, "BUY", "0.010", positionSide="LONG")
    _market(desk, "SELL", "0.020", positionSide="SHORT")
    assert D(_position(desk, side="LONG")["positionAmt"]) == D("0.01")
    assert D(_position(desk, side="SHORT")["positionAmt"]) == D("-0.02")
    _refused(desk, -2022, "POST", ORDER, symbol=BTC, side="SELL", type="MARKET",
             quantity=D("0.02"), positionSide="LONG")  # fmt: skip
    _refused(desk, -4068, "POST", "/fapi/v1/positionSide/dual", dualSidePosition="false")
    _market(desk, "SELL", "0.010", positionSide="LONG")
    _market(desk, "BUY", "0.020", positionSide="SHORT")
    _limit(desk, "BUY", "0.010", desk.price(BTC, "0.98"), positionSide="LONG")
    _refused(desk, -4067, "POST", "/fapi/v1/positionSide/dual", dualSidePosition="false")
    desk("DELETE", "/fapi/v1/allOpenOrders", symbol=BTC)
    desk("POST", "/fapi/v1/positionSide/dual", dualSidePosition="false")
    assert desk("GET", "/fapi/v1/accountConfig")["dualSidePosition"] is False


def test_one_way_mode_flips_a_position_through_zero() -> None:
    desk = Desk()
    _market(desk, "BUY", "0.010")
    flip = _market(desk, "SELL", "0.030")
    position = _position(desk)
    assert D(position["positionAmt"]) == D("-0.02")
    trades = desk("GET", "/fapi/v1/userTrades", symbol=BTC, orderId=flip["orderId"])
    assert D(position["entryPrice"]) == D(trades[-1]["price"])


def test_leverage_sets_the_notional_cap_and_the_margin() -> None:
    desk = Desk()
    answer = desk("POST", "/fapi/v1/leverage", symbol=BTC, leverage=125)
    assert answer == {"leverage": 125, "maxNotionalValue": "250000", "symbol": BTC}
    _refused(desk, -4028, "POST", "/fapi/v1/leverage", symbol=BTC, leverage=126)
    error = _refused(
        desk, -2027, "POST", ORDER, symbol=BTC, side="BUY", type="MARKET", quantity=D("3")
    )
    assert error.msg == "Exceeded the maximum allowable position at current leverage."
    desk("POST", "/fapi/v1/leverage", symbol=BTC, leverage=1)
    _refused(desk, -2019, "POST", ORDER, symbol=BTC, side="BUY", type="MARKET", quantity=D("1.5"))
    desk("POST", "/fapi/v1/leverage", symbol=BTC, leverage=10)
    _market(desk, "BUY", "3.000")
    position = _position(desk)
    notional = D(position["notional"])
    (v3,) = desk("GET", "/fapi/v3/positionRisk", symbol=BTC)
    assert D(v3["positionInitialMargin"]) == pytest.approx(notional / 10, abs=D("0.00000002"))
    assert position["leverage"] == "10"
    assert position["maxNotionalValue"] == "25000000"
    (bracket,) = [desk("GET", "/fapi/v1/leverageBracket", symbol=BTC)]
    assert bracket["brackets"][0]["initialLeverage"] == 125
    _refused(desk, -2027, "POST", "/fapi/v1/leverage", symbol=BTC, leverage=125)


def test_isolated_margin_holds_the_position_margin_and_can_be_adjusted() -> None:
    desk = Desk()
    _refused(desk, -4046, "POST", "/fapi/v1/marginType", symbol="ETHUSDT", marginType="CROSSED")
    desk("POST", "/fapi/v1/marginType", symbol="ETHUSDT", marginType="ISOLATED")
    _refused(
        desk, -4054, "POST", "/fapi/v1/positionMargin", symbol="ETHUSDT", amount=D("10"), type=1
    )
    order = _market(desk, "BUY", "1.000", symbol="ETHUSDT")
    position = _position(desk, "ETHUSDT")
    assert position["marginType"] == "isolated"
    assert D(position["isolatedMargin"]) == pytest.approx(
        D(order["cumQuote"]) / 20, abs=D("0.00000002")
    )
    _refused(desk, -4048, "POST", "/fapi/v1/marginType", symbol="ETHUSDT", marginType="CROSSED")
    before = D(position["isolatedMargin"])
    available = D(desk("GET", "/fapi/v2/balance")[0]["availableBalance"])
    desk("POST", "/fapi/v1/positionMargin", symbol="ETHUSDT", amount=D("50"), type=1)
    assert D(_position(desk, "ETHUSDT")["isolatedMargin"]) == before + 50
    assert D(desk("GET", "/fapi/v2/balance")[0]["availableBalance"]) == pytest.approx(
        available - 50, abs=D("0.01")
    )
    desk("POST", "/fapi/v1/positionMargin", symbol="ETHUSDT", amount=D("20"), type=2)
    _refused(
        desk, -4051, "POST", "/fapi/v1/positionMargin", symbol="ETHUSDT", amount=D("100000"), type=2
    )
    history = desk("GET", "/fapi/v1/positionMargin/history", symbol="ETHUSDT")
    assert [(r["type"], r["amount"]) for r in history] == [(1, "50.00000000"), (2, "20.00000000")]
    assert [
        r["type"]
        for r in desk("GET", "/fapi/v1/positionMargin/history", symbol="ETHUSDT", type="2")
    ] == [2]
    _refused(desk, -4049, "POST", "/fapi/v1/positionMargin", symbol=BTC, amount=D("10"), type=1)
    _limit(desk, "BUY", "0.010", desk.price(BTC, "0.98"))
    _refused(desk, -4047, "POST", "/fapi/v1/marginType", symbol=BTC, marginType="ISOLATED")


def test_usdc_contracts_are_margined_in_usdc() -> None:
    desk = Desk()
    usdt = _wallet(desk, "USDT")
    _market(desk, "BUY", "0.010", symbol="BTCUSDC")
    assert _wallet(desk, "USDT") == usdt
    assert _wallet(desk, "USDC") < D(50000)
    (row,) = desk("GET", "/fapi/v3/positionRisk", symbol="BTCUSDC")
    assert row["marginAsset"] == "USDC"
    (trade,) = desk("GET", "/fapi/v1/userTrades", symbol="BTCUSDC")
    assert trade["commissionAsset"] == "USDC"


def test_funding_is_paid_on_positions_held_at_the_funding_time() -> None:
    desk = Desk()
    _market(desk, "BUY", "0.100")
    s = desk.venue.symbols[BTC]
    funding_time = (desk.now // 28_800_000 + 1) * 28_800_000
    wallet_before = desk.engine.account.balances["USDT"]
    desk.advance(funding_time - desk.now + 1000)
    (row,) = desk("GET", "/fapi/v1/income", incomeType="FUNDING_FEE")
    rate = desk.venue.market.funding_rate(s, funding_time)
    mark = desk.venue.market.mark_price(s, funding_time)
    assert row["time"] == funding_time
    assert D(row["income"]) == (-D("0.1") * mark * rate).quantize(D("0.00000001"))
    paid = desk.engine.account.balances["USDT"] - wallet_before
    assert paid == pytest.approx(D(row["income"]), abs=D("0.00000001"))
    desk.advance(1000)
    assert len(desk("GET", "/fapi/v1/income", incomeType="FUNDING_FEE")) == 1
    desk.advance(28_800_000)
    assert len(desk("GET", "/fapi/v1/income", incomeType="FUNDING_FEE")) == 2


def test_account_totals_add_up_the_assets() -> None:
    desk = Desk()
    _market(desk, "BUY", "0.100")
    desk.advance(60_000)
    account = desk("GET", "/fapi/v2/account")
    usdt = next(a for a in account["assets"] if a["asset"] == "USDT")
    assert D(usdt["marginBalance"]) == D(usdt["walletBalance"]) + D(usdt["unrealizedProfit"])
    assert D(account["totalWalletBalance"]) == sum(D(a["walletBalance"]) for a in account["assets"])
    v3 = desk("GET", "/fapi/v3/account")
    assert [p["symbol"] for p in v3["positions"]] == [BTC]
    assert len(account["positions"]) == len(desk.venue.symbols)
    rate = desk("GET", "/fapi/v1/commissionRate", symbol=BTC)
    assert D(rate["takerCommissionRate"]) == TAKER_FEE
    assert D(rate["makerCommissionRate"]) == MAKER_FEE
