"""Every OKX catalog task on the wire, and the input it refuses.

For each task of ``CATALOG`` and two parameter sets (``required``: the required parameters
only; ``full``: every parameter), the tests check, through aioresponses: method, host and
path, the query string (GET, in ``Params`` order) or the JSON body (POST), the headers and
the signature recomputed here; that ``result`` is the envelope's ``data`` and ``envelope``
the whole answer. On a real server on 127.0.0.1, the same requests' signatures are checked
over the bytes received. Bad input raises ``InvalidParameterError`` before any request.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import pytest
from aioresponses import aioresponses
from okx_helpers import KEY, LOCAL, PASSPHRASE, SECRET, envelope, expected_signature, okx_stand_in
from yarl import URL

import aioca
from aioca.errors import InvalidParameterError
from aioca_okx import OkxRestApi, OkxTask
from aioca_okx.v5 import CATALOG

ORDER = {"instId": "BTC-USDT", "tdMode": "cash", "side": "buy", "ordType": "market", "sz": "2"}
FULL_ORDER = {
    "instId": "BTC-USD-SWAP",
    "tdMode": "cross",
    "side": "sell",
    "ordType": "limit",
    "sz": Decimal("0.5"),
    "px": 30000,
    "ccy": "USDT",
    "clOrdId": "mine1",
    "tag": "t1",
    "posSide": "short",
    "reduceOnly": True,
    "tgtCcy": "base_ccy",
    "banAmend": False,
    "stpMode": "cancel_maker",
}
CANCEL = {"instId": "BTC-USDT", "ordId": "590908157585625111"}
AMEND = {"instId": "BTC-USDT", "clOrdId": "mine1", "newPx": "31000"}
FULL_AMEND = {
    "instId": "BTC-USDT",
    "ordId": "590908157585625111",
    "clOrdId": "mine1",
    "reqId": "req1",
    "cxlOnFail": True,
    "newSz": "3",
    "newPx": "31000.5",
}

# (required, full) keyword arguments of every task.
SAMPLES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "OkxServerTime": ({}, {}),
    "OkxFetchInstruments": (
        {"instType": "SPOT"},
        {"instType": "SWAP", "uly": "BTC-USD", "instFamily": "BTC-USD", "instId": "BTC-USD-SWAP"},
    ),
    "OkxFetchTicker": ({"instId": "BTC-USD-SWAP"}, {"instId": "BTC-USD-SWAP"}),
    "OkxFetchTickers": (
        {"instType": "SWAP"},
        {"instType": "FUTURES", "uly": "BTC-USD", "instFamily": "BTC-USD"},
    ),
    "OkxFetchOrderBook": ({"instId": "BTC-USDT"}, {"instId": "BTC-USDT", "sz": 400}),
    "OkxFetchCandles": (
        {"instId": "BTC-USDT"},
        {
            "instId": "BTC-USDT",
            "bar": "1H",
            "after": 1700000000000,
            "before": 1600000000000,
            "limit": 300,
        },
    ),
    "OkxFetchHistoryCandles": (
        {"instId": "BTC-USDT"},
        {"instId": "BTC-USDT", "bar": "1Dutc", "after": 1700000000000, "before": 1, "limit": 100},
    ),
    "OkxFetchTrades": ({"instId": "ETH-USDT"}, {"instId": "ETH-USDT", "limit": 500}),
    "OkxFetchFundingRate": ({"instId": "BTC-USD-SWAP"}, {"instId": "BTC-USD-SWAP"}),
    "OkxFetchFundingRateHistory": (
        {"instId": "BTC-USD-SWAP"},
        {"instId": "BTC-USD-SWAP", "before": 1, "after": 1700000000000, "limit": 400},
    ),
    "OkxFetchMarkPrice": (
        {"instType": "SWAP"},
        {
            "instType": "OPTION",
            "uly": "BTC-USD",
            "instFamily": "BTC-USD",
            "instId": "BTC-USD-240329-60000-C",
        },
    ),
    "OkxFetchOpenInterest": (
        {"instType": "FUTURES"},
        {"instType": "SWAP", "uly": "BTC-USD", "instFamily": "BTC-USD", "instId": "BTC-USD-SWAP"},
    ),
    "OkxFetchBalance": ({}, {"ccy": "BTC,ETH"}),
    "OkxFetchPositions": ({}, {"instType": "SWAP", "instId": "BTC-USD-SWAP", "posId": "1"}),
    "OkxPlaceOrder": (ORDER, FULL_ORDER),
    "OkxPlaceBatchOrders": ({"orders": [ORDER]}, {"orders": [FULL_ORDER, ORDER]}),
    "OkxCancelOrder": (CANCEL, {**CANCEL, "clOrdId": "mine1"}),
    "OkxCancelBatchOrders": (
        {"orders": [CANCEL]},
        {"orders": [CANCEL, {"instId": "ETH-USDT", "clOrdId": "mine2"}]},
    ),
    "OkxAmendOrder": (AMEND, FULL_AMEND),
    "OkxAmendBatchOrders": ({"orders": [AMEND]}, {"orders": [AMEND, FULL_AMEND]}),
    "OkxFetchOrder": (CANCEL, {**CANCEL, "clOrdId": "mine1"}),
    "OkxFetchOpenOrders": (
        {},
        {
            "instType": "SPOT",
            "uly": "BTC-USD",
            "instFamily": "BTC-USD",
            "instId": "BTC-USDT",
            "ordType": "post_only",
            "state": "live",
            "after": "2",
            "before": "1",
            "limit": 100,
        },
    ),
    "OkxFetchOrderHistory": (
        {"instType": "SWAP"},
        {
            "instType": "SWAP",
            "uly": "BTC-USD",
            "instFamily": "BTC-USD",
            "instId": "BTC-USD-SWAP",
            "ordType": "fok",
            "state": "filled",
            "after": "2",
            "before": "1",
            "begin": 1690000000000,
            "end": 1700000000000,
            "limit": 1,
        },
    ),
    "OkxFetchFills": (
        {},
        {
            "instType": "SWAP",
            "uly": "BTC-USD",
            "instFamily": "BTC-USD",
            "instId": "BTC-USD-SWAP",
            "ordId": "5",
            "subType": "1",
            "after": "2",
            "before": "1",
            "begin": 1690000000000,
            "end": 1700000000000,
            "limit": 100,
        },
    ),
}

NAMES = list(CATALOG)
by_task = pytest.mark.parametrize("name", NAMES)
by_variant = pytest.mark.parametrize("variant", [0, 1], ids=["required", "full"])


def on_wire(value: Any) -> Any:
    """OKX's wire form, written out here: numbers as strings, booleans as booleans."""
    if isinstance(value, bool | str):
        return value
    if isinstance(value, int | Decimal):
        return str(value)
    raise TypeError(value)


def expected_items(cls: type[OkxTask], kwargs: dict[str, Any]) -> list[dict[str, Any]]:
    """The items a task sends: its parameters (each batch order) in Params field order."""
    orders = kwargs["orders"] if cls.endpoint.batch else [kwargs]
    fields = cls.Params.model_fields
    if cls.endpoint.batch:
        item_model = fields["orders"].annotation.__args__[0]  # type: ignore[union-attr]
        fields = item_model.model_fields
    return [{name: on_wire(order[name]) for name in fields if name in order} for order in orders]


def test_every_task_has_samples_and_the_catalog_matches_the_plugin() -> None:
    assert set(SAMPLES) == set(CATALOG)
    assert dict(aioca.catalog("okx")) == dict(CATALOG)
    assert len(CATALOG) == 24


@by_task
@by_variant
async def test_task_request_on_the_wire(aioca_mock: aioresponses, name: str, variant: int) -> None:
    cls = CATALOG[name]
    kwargs = SAMPLES[name][variant]
    endpoint = cls.endpoint
    data = [{"ordId": "1", "sCode": "0", "sMsg": ""}] if endpoint.method == "POST" else [{}]
    answer = envelope(data, inTime="1695190491421339")
    api = OkxRestApi(KEY, SECRET, PASSPHRASE, urls={"rest": LOCAL})
    items = expected_items(cls, kwargs)
    query = urlencode(items[0]) if endpoint.method == "GET" else ""
    url = f"{LOCAL}{endpoint.path}" + (f"?{query}" if query else "")
    getattr(aioca_mock, endpoint.method.lower())(url, payload=answer)
    task = cls(api=api, **kwargs)
    async with api:
        result = await task.run()
    assert result == data
    assert task.envelope == answer
    ((method, sent_url), calls) = next(iter(aioca_mock.requests.items()))
    assert method == endpoint.method
    assert sent_url.host == "127.0.0.1"
    assert sent_url.path == endpoint.path
    headers = calls[0].kwargs["headers"]
    body = calls[0].kwargs["data"]
    if endpoint.method == "GET":
        assert body is None
        assert dict(sent_url.query) == items[0]  # aioresponses sorts: order checked below
    else:
        sent = json.loads(body)
        if endpoint.creates_orders:
            ids = [order.pop("clOrdId") for order in ([sent] if isinstance(sent, dict) else sent)]
            assert tuple(ids) == task.client_order_ids
            for order, given in zip(items, ids, strict=True):
                assert order.pop("clOrdId", given) == given  # kept when given, else generated
        assert sent == (items if endpoint.batch else items[0])
        assert headers["Content-Type"] == "application/json"
    if endpoint.auth.value == "PRIVATE":
        timestamp = headers["OK-ACCESS-TIMESTAMP"]
        path = endpoint.path + (f"?{query}" if query else "")
        assert headers["OK-ACCESS-SIGN"] == expected_signature(
            SECRET, timestamp, endpoint.method, path, body.decode() if body else ""
        )
        assert headers["OK-ACCESS-KEY"] == KEY
        assert headers["OK-ACCESS-PASSPHRASE"] == PASSPHRASE
    else:
        assert not [h for h in headers if h.upper().startswith("OK-ACCESS")]


@by_task
async def test_task_signature_over_the_bytes_received(name: str) -> None:
    cls = CATALOG[name]
    async with okx_stand_in() as server:
        api = OkxRestApi(KEY, SECRET, PASSPHRASE, urls={"rest": server.url})
        async with api:
            await cls(api=api, **SAMPLES[name][1]).run()
    (raw,) = server.requests
    assert (raw.method, URL(raw.path_qs).path) == (cls.endpoint.method, cls.endpoint.path)
    items = expected_items(cls, SAMPLES[name][1])
    if raw.method == "GET":  # the query in Params order, as signed
        query = urlencode(items[0])
        assert raw.path_qs == cls.endpoint.path + (f"?{query}" if query else "")
    if cls.endpoint.auth.value == "PUBLIC":
        assert "OK-ACCESS-SIGN" not in raw.headers
        return
    assert raw.headers["OK-ACCESS-SIGN"] == expected_signature(
        SECRET, raw.headers["OK-ACCESS-TIMESTAMP"], raw.method, raw.path_qs, raw.body.decode()
    )


async def test_place_order_generates_a_fresh_client_id_per_run(aioca_mock: aioresponses) -> None:
    api = OkxRestApi(KEY, SECRET, PASSPHRASE, urls={"rest": LOCAL})
    aioca_mock.post(f"{LOCAL}/api/v5/trade/order", payload=envelope([{"sCode": "0"}]), repeat=True)
    task = CATALOG["OkxPlaceOrder"](api=api, **ORDER)
    async with api:
        await task.run()
        first = task.client_order_ids
        await task.run()
    assert first != task.client_order_ids  # OKX refuses a clOrdId it has seen
    (calls,) = aioca_mock.requests.values()
    sent = [json.loads(call.kwargs["data"])["clOrdId"] for call in calls]
    assert sent == [first[0], task.client_order_ids[0]]


@by_task
def test_names_are_filled_in_english_and_chinese(name: str) -> None:
    task = CATALOG[name](**SAMPLES[name][1])
    english = str(task)
    aioca.set_language("zh")
    chinese = str(task)
    assert english != chinese
    assert "{" not in english + chinese
    assert "None" not in english + chinese
    assert any("\u4e00" <= char <= "\u9fff" for char in chinese)


@by_task
def test_describe_gives_the_catalog_line(name: str) -> None:
    cls = CATALOG[name]
    line = cls.describe()
    assert set(line) == {"method", "path", "security", "cost", "summary"}
    assert (line["method"], line["path"]) == (cls.endpoint.method, cls.endpoint.path)
    assert line["security"] == (
        "PRIVATE" if line["path"].split("/")[3] in ("account", "trade") else "PUBLIC"
    )
    assert line["cost"].endswith(("per IP", "per UserID", "+ instId", "+ instType"))
    assert line["summary"].endswith(".")


# --- validation: nothing is sent --------------------------------------------------------------

INVALID: list[tuple[str, dict[str, Any], str | None]] = [
    ("OkxFetchTicker", {}, "instId"),
    ("OkxFetchTicker", {"instId": "btc-usdt"}, "instId"),
    ("OkxFetchTicker", {"instId": "BTC-USDT", "symbol": "BTCUSDT"}, "symbol"),
    ("OkxFetchInstruments", {"instType": "PERP"}, "instType"),
    ("OkxFetchOrderBook", {"instId": "BTC-USDT", "sz": 401}, "sz"),
    ("OkxFetchCandles", {"instId": "BTC-USDT", "bar": "1h"}, "bar"),
    ("OkxFetchCandles", {"instId": "BTC-USDT", "limit": 301}, "limit"),
    ("OkxFetchHistoryCandles", {"instId": "BTC-USDT", "limit": 101}, "limit"),
    ("OkxFetchTrades", {"instId": "BTC-USDT", "limit": 0}, "limit"),
    ("OkxFetchMarkPrice", {"instType": "SPOT"}, "instType"),
    ("OkxFetchOpenInterest", {"instType": "MARGIN"}, "instType"),
    ("OkxFetchBalance", {"ccy": "BTC;ETH"}, "ccy"),
    ("OkxFetchOrderHistory", {}, "instType"),
    ("OkxFetchOpenOrders", {"state": "filled"}, "state"),
    ("OkxPlaceOrder", {**ORDER, "sz": "-1"}, "sz"),
    ("OkxPlaceOrder", {**ORDER, "side": "BUY"}, "side"),
    ("OkxPlaceOrder", {**ORDER, "ordType": "limit"}, None),
    ("OkxPlaceOrder", {**ORDER, "px": "1"}, None),
    ("OkxPlaceOrder", {**ORDER, "clOrdId": "has-a-dash"}, "clOrdId"),
    ("OkxPlaceOrder", {**ORDER, "clOrdId": "x" * 33}, "clOrdId"),
    ("OkxPlaceBatchOrders", {"orders": []}, "orders"),
    ("OkxPlaceBatchOrders", {"orders": [ORDER] * 21}, "orders"),
    ("OkxPlaceBatchOrders", {"orders": [ORDER, {**ORDER, "tdMode": "margin"}]}, "orders"),
    ("OkxCancelOrder", {"instId": "BTC-USDT"}, None),
    ("OkxCancelBatchOrders", {"orders": [{"instId": "BTC-USDT"}]}, "orders"),
    ("OkxAmendOrder", {"instId": "BTC-USDT", "ordId": "1"}, None),
    ("OkxFetchOrder", {"instId": "BTC-USDT"}, None),
]


@pytest.mark.parametrize(("name", "kwargs", "parameter"), INVALID)
async def test_invalid_input_is_refused_before_anything_is_sent(
    aioca_mock: aioresponses, name: str, kwargs: dict[str, Any], parameter: str | None
) -> None:
    cls = CATALOG[name]
    api = OkxRestApi(KEY, SECRET, PASSPHRASE, urls={"rest": LOCAL})
    aioca_mock.get(f"{LOCAL}{cls.endpoint.path}", payload=envelope([{}]), repeat=True)
    aioca_mock.post(f"{LOCAL}{cls.endpoint.path}", payload=envelope([{}]), repeat=True)
    with pytest.raises(InvalidParameterError) as caught:
        cls(api=api, **kwargs)
    assert caught.value.parameter == parameter
    assert caught.value.task_name == name
    assert not aioca_mock.requests
    assert api.closed


def test_batch_item_errors_say_which_item_and_field() -> None:
    with pytest.raises(InvalidParameterError) as caught:
        CATALOG["OkxPlaceBatchOrders"](orders=[ORDER, {**ORDER, "tdMode": "margin"}])
    assert caught.value.parameter == "orders"
    assert caught.value.reason.startswith("1.tdMode:")


def test_okx_task_names_never_show_a_parameter_that_was_not_given() -> None:
    from aioca_okx.v5 import OkxCancelOrder, OkxPlaceOrder

    assert str(OkxCancelOrder(instId="BTC-USDT", clOrdId="c1")) == "Cancel OKX order c1 on BTC-USDT"
    order = OkxPlaceOrder(instId="BTC-USDT", tdMode="cash", side="buy", ordType="market", sz="1")
    assert str(order) == "OKX buy market order on BTC-USDT: size 1"


def test_okx_tasks_describe_their_rules_and_rate_limit() -> None:
    from aioca.cli import format_description
    from aioca.describe import describe_task
    from aioca_okx.v5 import OkxCancelOrder

    about = describe_task(OkxCancelOrder)
    assert about.rules == ("'ordId' or 'clOrdId' must be sent",)
    assert about.doc_url is not None
    assert about.doc_url.startswith("https://www.okx.com/docs-v5/")
    text = format_description(about, "okx")
    assert "  rate limit  " in text
    assert "rules:\n  'ordId' or 'clOrdId' must be sent" in text
