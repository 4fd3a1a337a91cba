"""USDⓈ-M batch orders (one outcome per item), algo orders triggered by the simulated
price, and the listen key: handlers called directly with converted parameters."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sim_usdm_helpers import Desk

from aioca_binance_sim.errors import SimError

D = Decimal
BTC = "BTCUSDT"
ALGO = "/fapi/v1/algoOrder"
HOUR = 3_600_000


def _refused(desk: Desk, code: int, method: str, path: str, **params: Any) -> SimError:
    with pytest.raises(SimError) as caught:
        desk(method, path, **params)
    assert caught.value.code == code, caught.value.msg
    return caught.value


def _prices(desk: Desk, ms: int, symbol: str = BTC) -> list[tuple[int, D]]:
    """The simulated trades of the next ``ms``: (time, price)."""
    s = desk.venue.symbols[symbol]
    first, last = desk.now // 10_000 + 1, (desk.now + ms) // 10_000
    return [(t.time, s.ticks_price(t.ticks)) for t in desk.venue.market.trades(s, first, last)]


# --- batch orders -------------------------------------------------------------------------


def test_a_batch_places_the_good_items_and_answers_an_error_in_each_bad_slot() -> None:
    desk = Desk()
    price = str(desk.price(BTC, "0.98"))
    answer = desk(
        "POST",
        "/fapi/v1/batchOrders",
        batchOrders=[
            {"symbol": BTC, "side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
             "quantity": "0.010", "price": price, "newClientOrderId": "b-1"},
            {"symbol": BTC, "side": "UP", "type": "LIMIT", "timeInForce": "GTC",
             "quantity": "0.010", "price": price},
            {"symbol": BTC, "side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
             "quantity": "0.010", "price": price + "5"},
            {"symbol": BTC, "side": "BUY", "type": "MARKET", "quantity": 0.002,
             "newOrderRespType": "RESULT"},
            {"symbol": BTC, "side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
             "quantity": "0.010"},
        ],
    )  # fmt: skip
    assert answer[0]["status"] == "NEW"
    assert answer[0]["clientOrderId"] == "b-1"
    assert answer[1] == {"code": -1117, "msg": "Invalid side."}
    assert answer[2] == {"code": -4014, "msg": "Price not increased by tick size."}
    assert answer[3]["status"] == "FILLED"  # a JSON number is read as the text it writes
    assert answer[4] == {
        "code": -1102,
        "msg": "Mandatory parameter 'price' was not sent, was empty/null, or malformed.",
    }
    assert [o["clientOrderId"] for o in desk("GET", "/fapi/v1/openOrders")] == ["b-1"]


def test_batch_sizes_and_item_parameters_are_checked() -> None:
    desk = Desk()
    item = {"symbol": BTC, "side": "BUY", "type": "MARKET", "quantity": "0.002"}
    error = _refused(desk, -4082, "POST", "/fapi/v1/batchOrders", batchOrders=[item] * 6)
    assert error.msg == "Invalid number of batch place orders: 6"
    (answer,) = desk("POST", "/fapi/v1/batchOrders", batchOrders=[{**item, "stopPrice": "1"}])
    assert answer["code"] == -1104


def test_batch_modify_and_batch_cancel_answer_per_item() -> None:
    desk = Desk()
    first = desk("POST", "/fapi/v1/order", symbol=BTC, side="BUY", type="LIMIT",
                 timeInForce="GTC", quantity=D("0.010"), price=desk.price(BTC, "0.98"))  # fmt: skip
    new_price = str(desk.price(BTC, "0.97"))
    modified = desk(
        "PUT",
        "/fapi/v1/batchOrders",
        batchOrders=[
            {"symbol": BTC, "side": "BUY", "orderId": first["orderId"], "quantity": "0.020",
             "price": new_price},
            {"symbol": BTC, "side": "BUY", "orderId": 99, "quantity": "0.020",
             "price": new_price},
            {"symbol": BTC, "side": "BUY", "orderId": first["orderId"], "price": new_price},
        ],
    )  # fmt: skip
    assert modified[0]["price"] == new_price
    assert modified[0]["origQty"] == "0.020"
    assert modified[1] == {"code": -2013, "msg": "Order does not exist."}
    assert modified[2]["code"] == -1102
    canceled = desk(
        "DELETE", "/fapi/v1/batchOrders", symbol=BTC, orderIdList=[first["orderId"], 99]
    )
    assert canceled[0]["status"] == "CANCELED"
    assert canceled[1] == {"code": -2011, "msg": "Unknown order sent."}
    _refused(desk, -1102, "DELETE", "/fapi/v1/batchOrders", symbol=BTC)
    _refused(desk, -4032, "DELETE", "/fapi/v1/batchOrders", symbol=BTC, orderIdList=list(range(11)))


# --- algo orders ----------------------------------------------------------------------------


def _first_crossing(prices: list[tuple[int, D]], below: D) -> int:
    return next(t for t, p in prices if p <= below)


def test_a_stop_market_triggers_at_the_first_trade_through_its_price() -> None:
    desk = Desk()
    desk("POST", "/fapi/v1/order", symbol=BTC, side="BUY", type="MARKET", quantity=D("0.050"))
    prices = _prices(desk, 6 * HOUR)
    low = min(p for _, p in prices)
    trigger = ((low + desk.last(BTC)) / 2).quantize(D("0.1"))
    assert low < trigger < desk.last(BTC)
    crossing = _first_crossing(prices, trigger)
    algo = desk("POST", ALGO, algoType="CONDITIONAL", symbol=BTC, side="SELL", type="STOP_MARKET",
                triggerPrice=trigger, closePosition="true", clientAlgoId="stop-1")  # fmt: skip
    assert algo["algoStatus"] == "NEW"
    assert algo["closePosition"] is True
    desk.now = crossing - 1
    assert desk("GET", ALGO, clientAlgoId="stop-1")["algoStatus"] == "NEW"
    desk.now = crossing + 5 * 60_000
    done = desk("GET", ALGO, algoId=algo["algoId"])
    assert done["algoStatus"] == "FINISHED"
    assert done["triggerTime"] == crossing
    order = desk("GET", "/fapi/v1/order", symbol=BTC, orderId=int(done["actualOrderId"]))
    assert order["status"] == "FILLED"
    assert order["origType"] == "STOP_MARKET"
    assert order["executedQty"] == "0.050"
    assert order["updateTime"] == crossing
    position = desk("GET", "/fapi/v2/positionRisk", symbol=BTC)[0]
    assert D(position["positionAmt"]) == 0
    assert desk("GET", "/fapi/v1/openAlgoOrders") == []


def test_a_take_profit_limit_places_its_limit_order_when_triggered() -> None:
    desk = Desk()
    prices = _prices(desk, 6 * HOUR)
    high = max(p for _, p in prices)
    trigger = ((high + desk.last(BTC)) / 2).quantize(D("0.1"))
    assert desk.last(BTC) < trigger < high
    algo = desk("POST", ALGO, algoType="CONDITIONAL", symbol=BTC, side="SELL", type="TAKE_PROFIT",
                quantity=D("0.010"), triggerPrice=trigger, price=trigger)  # fmt: skip
    crossing = next(t for t, p in prices if p >= trigger)
    desk.now = crossing
    done = desk("GET", ALGO, algoId=algo["algoId"])
    assert done["algoStatus"] in ("TRIGGERED", "FINISHED")
    order = desk("GET", "/fapi/v1/order", symbol=BTC, orderId=int(done["actualOrderId"]))
    assert order["type"] == "LIMIT"
    assert order["origType"] == "TAKE_PROFIT"
    assert D(order["price"]) == trigger
    assert D(order["stopPrice"]) == trigger


def test_an_algo_order_that_would_trigger_at_once_is_refused() -> None:
    desk = Desk()
    last = desk.last(BTC)
    error = _refused(desk, -2021, "POST", ALGO, algoType="CONDITIONAL", symbol=BTC, side="BUY",
                     type="STOP_MARKET", quantity=D("0.01"), triggerPrice=last - 100)  # fmt: skip
    assert error.msg == "Order would immediately trigger."
    _refused(desk, -2021, "POST", ALGO, algoType="CONDITIONAL", symbol=BTC, side="SELL",
             type="TAKE_PROFIT_MARKET", quantity=D("0.01"), triggerPrice=last - 100)  # fmt: skip
    _refused(desk, -1102, "POST", ALGO, algoType="CONDITIONAL", symbol=BTC, side="SELL",
             type="STOP", quantity=D("0.01"), triggerPrice=last - 100)  # fmt: skip
    _refused(desk, -4137, "POST", ALGO, algoType="CONDITIONAL", symbol=BTC, side="SELL",
             type="STOP_MARKET", quantity=D("0.01"), triggerPrice=last - 100,
             closePosition="true")  # fmt: skip
    _refused(desk, -1116, "POST", ALGO, algoType="CONDITIONAL", symbol=BTC, side="SELL",
             type="LIMIT", quantity=D("0.01"), price=last)  # fmt: skip


def test_a_trailing_stop_follows_the_high_and_triggers_on_the_callback() -> None:
    desk = Desk()
    desk("POST", "/fapi/v1/order", symbol=BTC, side="BUY", type="MARKET", quantity=D("0.020"))
    algo = desk("POST", ALGO, algoType="CONDITIONAL", symbol=BTC, side="SELL",
                type="TRAILING_STOP_MARKET", quantity=D("0.020"), callbackRate=D("0.5"),
                reduceOnly="true")  # fmt: skip
    assert algo["callbackRate"] == "0.5"
    prices = _prices(desk, 24 * HOUR)
    activation = D(algo["activatePrice"])
    high, expected = None, None
    for t, p in prices:
        if high is None:
            if p < activation:
                continue
            high = p
        high = max(high, p)
        if p <= high * D("0.995"):
            expected = t
            break
    assert expected is not None
    desk.now = expected + 1000
    done = desk("GET", ALGO, algoId=algo["algoId"])
    assert done["triggerTime"] == expected
    assert done["algoStatus"] == "FINISHED"
    _refused(desk, -1130, "POST", ALGO, algoType="CONDITIONAL", symbol=BTC, side="SELL",
             type="TRAILING_STOP_MARKET", quantity=D("0.02"), callbackRate=D("11"))  # fmt: skip


def test_algo_orders_are_listed_queried_and_canceled() -> None:
    desk = Desk()
    far = desk.price(BTC, "0.5")
    ids = []
    for n in range(2):
        algo = desk("POST", ALGO, algoType="CONDITIONAL", symbol=BTC, side="SELL",
                    type="STOP_MARKET", quantity=D("0.010"), triggerPrice=far + n)  # fmt: skip
        ids.append(algo["algoId"])
    assert [a["algoId"] for a in desk("GET", "/fapi/v1/openAlgoOrders", symbol=BTC)] == ids
    canceled = desk("DELETE", ALGO, algoId=ids[0])
    assert canceled["code"] == "200"
    _refused(desk, -2011, "DELETE", ALGO, algoId=ids[0])
    _refused(desk, -1102, "DELETE", ALGO)
    assert desk("DELETE", "/fapi/v1/algoOpenOrders", symbol=BTC)["code"] == 200
    history = desk("GET", "/fapi/v1/allAlgoOrders", symbol=BTC)
    assert [a["algoStatus"] for a in history] == ["CANCELED", "CANCELED"]
    _refused(desk, -4120, "POST", "/fapi/v1/order", symbol=BTC, side="SELL", type="STOP_MARKET",
             quantity=D("0.01"))  # fmt: skip


# --- listen key ---------------------------------------------------------------------------


def test_the_listen_key_is_created_kept_alive_and_closed() -> None:
    desk = Desk()
    key = desk("POST", "/fapi/v1/listenKey")["listenKey"]
    assert len(key) == 64
    assert desk("POST", "/fapi/v1/listenKey")["listenKey"] == key
    assert desk("PUT", "/fapi/v1/listenKey") == {"listenKey": key}
    assert desk("DELETE", "/fapi/v1/listenKey") == {}
    error = _refused(desk, -1125, "PUT", "/fapi/v1/listenKey")
    assert "POST /fapi/v1/listenKey" in error.msg
    key = desk("POST", "/fapi/v1/listenKey")["listenKey"]
    desk.advance(61 * 60_000)
    _refused(desk, -1125, "PUT", "/fapi/v1/listenKey")
