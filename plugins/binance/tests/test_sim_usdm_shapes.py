"""Every USDⓈ-M endpoint of the spec has a handler, and each answers with the shape of
Binance's documented example (``binance-usdm-responses.json``): the example's keys,
values of the same JSON types, nothing else but the keys listed here with their reason.

The handlers are called directly, on a venue whose account holds what the answers list
(a position, resting and filled orders, an algo order, an amendment, funding...), so
lists are not empty where the account can fill them.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sim_usdm_helpers import Desk, documented, shape_problems, spec_endpoints

from aioca_binance_sim.context import HANDLERS

START, END = 1_794_990_000_000, 1_795_000_000_000

EXTRA_KEYS: dict[str, frozenset[str]] = {
    # The live answer's keys (the docs' examples predate them), as the COIN-M simulator
    # sends them and the SDKs' models declare them.
    "GET /fapi/v1/exchangeInfo": frozenset({"orderTypes"}),
    # A batch item is answered as a single placement is (closePosition included).
    "POST /fapi/v1/batchOrders": frozenset({"closePosition"}),
    # The modify answer's example is COIN-M's (pair, cumBase); cumQuote is USDⓈ-M's own.
    "PUT /fapi/v1/order": frozenset({"cumQuote"}),
    "PUT /fapi/v1/batchOrders": frozenset({"cumQuote"}),
    # The v2 account's positions carry the break-even price as the v3 ones do.
    "GET /fapi/v2/account": frozenset({"breakEvenPrice"}),
    # A trailing stop's query carries its activation price and callback rate.
    "GET /fapi/v1/openAlgoOrders": frozenset({"activatePrice", "callbackRate"}),
}
_TRAILING_ONLY = frozenset({"activatePrice", "priceRate"})
MISSING_KEYS: dict[str, frozenset[str]] = {
    # The examples are TRAILING_STOP_MARKET orders, whose activation price and callback
    # rate are "only returned with TRAILING_STOP_MARKET order"; such orders are algo
    # orders now (/fapi/v1/algoOrder), never rows of the regular order book.
    "GET /fapi/v1/allOrders": _TRAILING_ONLY,
    "GET /fapi/v1/openOrders": _TRAILING_ONLY,
    "GET /fapi/v1/openOrder": _TRAILING_ONLY,
    "GET /fapi/v1/order": _TRAILING_ONLY,
    "DELETE /fapi/v1/order": _TRAILING_ONLY,
    "DELETE /fapi/v1/batchOrders": _TRAILING_ONLY,
    "POST /fapi/v1/order/test": _TRAILING_ONLY,
    # The documented example shows the exchangeInfo key misspelled ("OrderType").
    "GET /fapi/v1/exchangeInfo": frozenset({"OrderType"}),
    # The example's indicators are keyed by symbol names the simulator does not list.
    "GET /fapi/v1/apiTradingStatus": frozenset({"ETHUSDT", "ACCOUNT"}),
}
_STATISTICS = (
    "GET /futures/data/globalLongShortAccountRatio",
    "GET /futures/data/openInterestHist",
    "GET /futures/data/takerlongshortRatio",
    "GET /futures/data/topLongShortAccountRatio",
    "GET /futures/data/topLongShortPositionRatio",
)
NUMBER_NOT_TEXT: dict[str, str] = dict.fromkeys(_STATISTICS, "timestamp")
"""Keys the examples write as text that the simulator sends as numbers: the official
SDK's models declare them ``StrictInt`` (and refuse text), as aioca's declare ``int``."""
EMPTY = {
    # The paper account is never liquidated.
    "GET /fapi/v1/forceOrders",
}


def _populated() -> tuple[Desk, dict[str, Any]]:
    desk = Desk(seed=5, start_ms=START)
    return desk, populate(desk)


def populate(desk: Desk, *, funding: bool = True) -> dict[str, Any]:
    """Something in every list of the account, and the ids to query it by."""
    ids: dict[str, Any] = {}
    desk(
        "POST",
        "/fapi/v1/order",
        symbol="BTCUSDT",
        side="BUY",
        type="MARKET",
        quantity=Decimal("0.010"),
    )
    desk("POST", "/fapi/v1/marginType", symbol="ETHUSDT", marginType="ISOLATED")
    desk(
        "POST",
        "/fapi/v1/order",
        symbol="ETHUSDT",
        side="SELL",
        type="MARKET",
        quantity=Decimal("0.100"),
    )
    desk("POST", "/fapi/v1/positionMargin", symbol="ETHUSDT", amount=Decimal("5"), type=1)
    resting = desk(
        "POST", "/fapi/v1/order", symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="GTC",
        quantity=Decimal("0.002"), price=desk.price("BTCUSDT", "0.97"), newClientOrderId="rest-1",
    )  # fmt: skip
    ids["order"] = resting["orderId"]
    desk(
        "PUT", "/fapi/v1/order", symbol="BTCUSDT", side="BUY", orderId=resting["orderId"],
        quantity=Decimal("0.003"), price=desk.price("BTCUSDT", "0.96"),
    )  # fmt: skip
    algo = desk(
        "POST", "/fapi/v1/algoOrder", algoType="CONDITIONAL", symbol="BTCUSDT", side="SELL",
        type="TAKE_PROFIT", quantity=Decimal("0.002"), triggerPrice=desk.price("BTCUSDT", "1.2"),
        price=desk.price("BTCUSDT", "1.2"), clientAlgoId="algo-1",
    )  # fmt: skip
    ids["algo"] = algo["algoId"]
    download = desk("GET", "/fapi/v1/income/asyn", startTime=START - 86_400_000, endTime=START)
    ids["download"] = download["downloadId"]
    quote = desk(
        "POST",
        "/fapi/v1/convert/getQuote",
        fromAsset="USDC",
        toAsset="USDT",
        fromAmount=Decimal("100"),
    )
    accepted = desk("POST", "/fapi/v1/convert/acceptQuote", quoteId=quote["quoteId"])
    ids["conversion"] = accepted["orderId"]
    if funding:
        desk.advance(9 * 3_600_000)  # past a funding time
    return ids


def params_for(method: str, path: str, desk: Desk, ids: dict[str, Any]) -> dict[str, Any]:
    """Parameters that get a full answer from ``METHOD path`` on the populated venue."""
    btc = {"symbol": "BTCUSDT"}
    order = {"symbol": "BTCUSDT", "orderId": ids["order"]}
    kline = {"symbol": "BTCUSDT", "interval": "1h", "limit": 3}
    stats = {"symbol": "BTCUSDT", "period": "1h", "limit": 3}
    table: dict[str, dict[str, Any]] = {
        "GET /fapi/v1/aggTrades": {**btc, "limit": 3},
        "GET /fapi/v1/constituents": btc,
        "GET /fapi/v1/continuousKlines": {
            "pair": "BTCUSDT",
            "contractType": "PERPETUAL",
            "interval": "1h",
            "limit": 3,
        },
        "GET /fapi/v1/depth": {**btc, "limit": 5},
        "GET /fapi/v1/rpiDepth": btc,
        "GET /fapi/v1/historicalTrades": {**btc, "limit": 3},
        "GET /fapi/v1/indexPriceKlines": {"pair": "BTCUSDT", "interval": "1h", "limit": 3},
        "GET /fapi/v1/klines": kline,
        "GET /fapi/v1/markPriceKlines": kline,
        "GET /fapi/v1/premiumIndexKlines": kline,
        "GET /fapi/v1/openInterest": btc,
        "GET /fapi/v1/trades": {**btc, "limit": 3},
        "GET /fapi/v1/fundingRate": {**btc, "limit": 3},
        "GET /futures/data/basis": {
            "pair": "BTCUSDT",
            "contractType": "CURRENT_QUARTER",
            "period": "1h",
            "limit": 3,
        },
        "GET /futures/data/delivery-price": {"pair": "BTCUSDT"},
        "GET /futures/data/globalLongShortAccountRatio": stats,
        "GET /futures/data/openInterestHist": stats,
        "GET /futures/data/takerlongshortRatio": stats,
        "GET /futures/data/topLongShortAccountRatio": stats,
        "GET /futures/data/topLongShortPositionRatio": stats,
        "DELETE /fapi/v1/algoOpenOrders": btc,
        "DELETE /fapi/v1/algoOrder": {"algoId": ids["algo"]},
        "GET /fapi/v1/algoOrder": {"algoId": ids["algo"]},
        "POST /fapi/v1/algoOrder": {
            "algoType": "CONDITIONAL",
            "symbol": "BTCUSDT",
            "side": "SELL",
            "type": "STOP",
            "quantity": Decimal("0.002"),
            "triggerPrice": desk.price("BTCUSDT", "0.8"),
            "price": desk.price("BTCUSDT", "0.8"),
        },
        "GET /fapi/v1/allAlgoOrders": btc,
        "DELETE /fapi/v1/allOpenOrders": btc,
        "GET /fapi/v1/allOrders": btc,
        "DELETE /fapi/v1/batchOrders": {"symbol": "BTCUSDT", "orderIdList": [ids["order"], 1]},
        "POST /fapi/v1/batchOrders": {
            "batchOrders": [
                {
                    "symbol": "BTCUSDT",
                    "side": "BUY",
                    "type": "LIMIT",
                    "timeInForce": "GTC",
                    "quantity": "0.002",
                    "price": str(desk.price("BTCUSDT", "0.97")),
                },
                {
                    "symbol": "BTCUSDT",
                    "side": "BUY",
                    "type": "MARKET",
                    "quantity": "0.002",
                    "reduceOnly": "true",
                },
            ]
        },
        "PUT /fapi/v1/batchOrders": {
            "batchOrders": [
                {
                    "symbol": "BTCUSDT",
                    "side": "BUY",
                    "orderId": ids["order"],
                    "quantity": "0.004",
                    "price": str(desk.price("BTCUSDT", "0.95")),
                },
                {
                    "symbol": "BTCUSDT",
                    "side": "BUY",
                    "orderId": 1,
                    "quantity": "0.004",
                    "price": "1",
                },
            ]
        },
        "GET /fapi/v1/commissionRate": btc,
        "POST /fapi/v1/countdownCancelAll": {"symbol": "BTCUSDT", "countdownTime": 100_000},
        "POST /fapi/v1/feeBurn": {"feeBurn": "true"},
        "GET /fapi/v1/income/asyn": {"startTime": START, "endTime": END},
        "GET /fapi/v1/income/asyn/id": {"downloadId": ids["download"]},
        "GET /fapi/v1/order/asyn": {"startTime": START, "endTime": END},
        "GET /fapi/v1/order/asyn/id": {"downloadId": ids["download"]},
        "GET /fapi/v1/trade/asyn": {"startTime": START, "endTime": END},
        "GET /fapi/v1/trade/asyn/id": {"downloadId": ids["download"]},
        "POST /fapi/v1/leverage": {"symbol": "BTCUSDT", "leverage": 10},
        "POST /fapi/v1/marginType": {"symbol": "SOLUSDT", "marginType": "ISOLATED"},
        "GET /fapi/v1/openOrder": order,
        "DELETE /fapi/v1/order": order,
        "GET /fapi/v1/order": order,
        "POST /fapi/v1/order": {
            "symbol": "BTCUSDT",
            "side": "BUY",
            "type": "MARKET",
            "quantity": Decimal("0.002"),
            "newOrderRespType": "RESULT",
        },
        "PUT /fapi/v1/order": {
            **order,
            "side": "BUY",
            "quantity": Decimal("0.005"),
            "price": desk.price("BTCUSDT", "0.94"),
        },
        "POST /fapi/v1/order/test": {
            "symbol": "BTCUSDT",
            "side": "BUY",
            "type": "MARKET",
            "quantity": Decimal("0.002"),
        },
        "GET /fapi/v1/orderAmendment": order,
        "GET /fapi/v1/pmAccountInfo": {"asset": "USDT"},
        "POST /fapi/v1/positionMargin": {"symbol": "ETHUSDT", "amount": Decimal("1"), "type": 1},
        "GET /fapi/v1/positionMargin/history": {"symbol": "ETHUSDT"},
        "POST /fapi/v1/positionSide/dual": {"dualSidePosition": "false"},
        "GET /fapi/v1/userTrades": btc,
        "POST /fapi/v1/convert/acceptQuote": {"quoteId": "fresh"},
        "GET /fapi/v1/convert/exchangeInfo": {"fromAsset": "BTC"},
        "POST /fapi/v1/convert/getQuote": {
            "fromAsset": "USDT",
            "toAsset": "USDC",
            "fromAmount": Decimal("10"),
        },
        "GET /fapi/v1/convert/orderStatus": {"orderId": ids["conversion"]},
        "GET /fapi/v1/leverageBracket": btc,
    }
    key = f"{method} {path}"
    if key == "POST /fapi/v1/convert/acceptQuote":
        quote = desk(
            "POST",
            "/fapi/v1/convert/getQuote",
            fromAsset="USDT",
            toAsset="USDC",
            fromAmount=Decimal("10"),
        )
        return {"quoteId": quote["quoteId"]}
    if key == "PUT /fapi/v1/listenKey" or key == "DELETE /fapi/v1/listenKey":
        desk("POST", "/fapi/v1/listenKey")
    if key == "POST /fapi/v1/positionSide/dual":
        return {"dualSidePosition": "false"} if desk.engine.account.dual_side else {}
    return table.get(key, {})


def flatten(desk: Desk) -> None:
    """No open order, no position and no isolated symbol: what changing the position
    mode or the Multi-Assets mode needs."""
    for symbol in {o.symbol.name for o in desk.engine.open_orders()}:
        desk("DELETE", "/fapi/v1/allOpenOrders", symbol=symbol)
    for symbol in {a.symbol.name for a in desk.engine.open_algo_orders()}:
        desk("DELETE", "/fapi/v1/algoOpenOrders", symbol=symbol)
    for position in list(desk.engine.positions.values()):
        if position.amount:
            side = "SELL" if position.amount > 0 else "BUY"
            desk("POST", "/fapi/v1/order", symbol=position.symbol.name, side=side,
                 type="MARKET", quantity=abs(position.amount), reduceOnly="true")  # fmt: skip
    for symbol in list(desk.engine.account.isolated):
        desk("POST", "/fapi/v1/marginType", symbol=symbol, marginType="CROSSED")


SWITCHES = {
    ("POST", "/fapi/v1/positionSide/dual"): {"dualSidePosition": "true"},
    ("POST", "/fapi/v1/multiAssetsMargin"): {"multiAssetsMargin": "true"},
}
"""Account-wide switches Binance refuses while orders or positions are open: called on a
flattened account, turned on."""


ENDPOINTS = [(e["method"], e["path"]) for e in spec_endpoints()]


def test_every_spec_endpoint_has_a_handler_and_nothing_else() -> None:
    registered = {(m, p) for market, m, p in HANDLERS if market == "usdm"}
    assert registered == set(ENDPOINTS)
    assert len(ENDPOINTS) == 95


@pytest.mark.parametrize(("method", "path"), ENDPOINTS, ids=[f"{m} {p}" for m, p in ENDPOINTS])
def test_answer_has_the_documented_shape(method: str, path: str) -> None:
    desk, ids = _populated()
    params = params_for(method, path, desk, ids)
    if (method, path) in SWITCHES:
        flatten(desk)
        params = SWITCHES[method, path]
    answer = desk(method, path, **params)
    assert_documented_shape(method, path, answer)


def assert_documented_shape(method: str, path: str, answer: Any) -> None:
    """``answer`` has the shape of one of the endpoint's documented examples."""
    key = f"{method} {path}"
    if key in EMPTY:
        assert answer == []
        return
    if isinstance(answer, list):
        assert answer, f"{key} answered an empty list"
    extra = EXTRA_KEYS.get(key, frozenset())
    missing = MISSING_KEYS.get(key, frozenset())
    docs = [_numbers(doc, NUMBER_NOT_TEXT.get(key)) for doc in documented(method, path)]
    variants = [shape_problems(answer, doc, extra=extra) for doc in docs]
    variants = [
        [p for p in problems if not any(f"no {k!r}" in p for k in missing)] for problems in variants
    ]
    assert any(not problems for problems in variants), (key, min(variants, key=len))


def _numbers(doc: Any, key: str | None) -> Any:
    """``doc`` with the text values of ``key`` read as the numbers they write."""
    if key is None:
        return doc
    if isinstance(doc, list):
        return [_numbers(item, key) for item in doc]
    if isinstance(doc, dict):
        return {
            k: int(v) if k == key and isinstance(v, str) else _numbers(v, key)
            for k, v in doc.items()
        }
    return doc


def test_the_shape_comparison_catches_each_kind_of_difference() -> None:
    doc = {"a": "1", "b": [{"c": 1}], "d": [1, "x"]}
    assert shape_problems({"a": "2", "b": [{"c": 2.5}], "d": [7, "y"]}, doc) == []
    assert shape_problems({"b": [{"c": 1}], "d": [1, "x"]}, doc) == ["$: no 'a'"]
    assert shape_problems({**doc, "e": 1}, doc) == ["$: extra 'e'"]
    assert shape_problems({**doc, "e": 1}, doc, extra=frozenset({"e"})) == []
    assert shape_problems({**doc, "a": 1}, doc) == ["$.a: number where the example has str"]
    assert shape_problems({**doc, "b": [{"c": "1"}]}, doc) == [
        "$.b[0].c: str where the example has number"
    ]
    assert shape_problems({**doc, "d": ["1", "x"]}, doc) == [
        "$.d[0]: str where the example has number"
    ]


def test_the_usdm_engine_checks_requests_without_the_client() -> None:
    """The simulator judges requests independently of aioca's catalog: its USDⓈ-M package
    imports nothing from the client (``aioca_binance``)."""
    import aioca_binance_sim.usdm as package

    sources = Path(package.__file__).parent.glob("*.py")
    offending = [
        p.name
        for p in sources
        if "aioca_binance." in p.read_text() or "import aioca_binance\n" in p.read_text()
    ]
    assert offending == []
