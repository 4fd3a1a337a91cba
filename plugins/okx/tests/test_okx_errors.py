"""OKX's answers to aioca's exceptions: envelope codes by family, HTTP statuses, single
orders refused through the item's ``sCode``, batches that partly succeed, and orders whose
outcome is unknown."""

from __future__ import annotations

import asyncio
import re
import socket
import time
from datetime import datetime
from typing import Any

import pytest
from aioresponses import CallbackResult, aioresponses
from okx_helpers import KEY, LOCAL, PASSPHRASE, SECRET, envelope
from yarl import URL

from aioca import RetryPolicy, errors
from aioca_okx import OkxBatchError, OkxRestApi
from aioca_okx.errors import error_class_for
from aioca_okx.v5 import (
    OkxCancelBatchOrders,
    OkxFetchBalance,
    OkxFetchTicker,
    OkxPlaceBatchOrders,
    OkxPlaceOrder,
)

TICKER_URL = f"{LOCAL}/api/v5/market/ticker?instId=BTC-USDT"
BALANCE_URL = f"{LOCAL}/api/v5/account/balance"
ORDER_URL = f"{LOCAL}/api/v5/trade/order"
BATCH_URL = f"{LOCAL}/api/v5/trade/batch-orders"
CANCEL_BATCH_URL = f"{LOCAL}/api/v5/trade/cancel-batch-orders"
ORDER = {"instId": "BTC-USDT", "tdMode": "cash", "side": "buy", "ordType": "limit", "px": "1"}


def api(**options: Any) -> OkxRestApi:
    """Retries off: one request per test, no backoff sleeps."""
    options.setdefault("retry", RetryPolicy(attempts=1))
    return OkxRestApi(KEY, SECRET, PASSPHRASE, urls={"rest": LOCAL}, **options)


def item(code: str = "0", msg: str = "", ord_id: str = "", cl: str = "") -> dict[str, str]:
    return {"ordId": ord_id, "clOrdId": cl, "sCode": code, "sMsg": msg, "tag": ""}


FAMILIES = [
    ("50001", errors.ExchangeServerError),  # service temporarily unavailable
    ("50004", errors.ExchangeServerError),  # endpoint request timeout
    ("50013", errors.ExchangeServerError),  # systems are busy
    ("50011", errors.RateLimitError),  # rate limit reached
    ("50061", errors.RateLimitError),  # sub-account rate limit
    ("50100", errors.AuthenticationError),  # API frozen
    ("50111", errors.AuthenticationError),  # invalid OK-ACCESS-KEY
    ("50112", errors.AuthenticationError),  # invalid OK-ACCESS-TIMESTAMP
    ("50113", errors.AuthenticationError),  # invalid signature
    ("50119", errors.AuthenticationError),  # family
    ("50102", errors.InvalidTimestampError),  # timestamp request expired
    ("50014", errors.BadRequestError),  # parameter can not be empty
    ("51000", errors.BadRequestError),  # parameter error
    ("51099", errors.BadRequestError),  # family
    ("51001", errors.BadSymbolError),  # instrument ID does not exist
    ("51008", errors.InsufficientFundsError),  # insufficient balance
    ("51131", errors.InsufficientFundsError),
    ("51400", errors.OrderNotFoundError),  # cancel: filled, canceled or not found
    ("51603", errors.OrderNotFoundError),  # order does not exist
    ("51503", errors.OrderNotFoundError),  # amend: filled, canceled or not found
    ("51121", errors.OrderError),  # family: lot size
    ("59999", errors.ExchangeError),  # unknown family: the base class
]


@pytest.mark.parametrize(("code", "error_class"), FAMILIES)
async def test_envelope_code_maps_to_its_family(
    aioca_mock: aioresponses, code: str, error_class: type[errors.ExchangeError]
) -> None:
    okx = api()
    aioca_mock.get(TICKER_URL, payload=envelope(code=code, msg=f"message {code}"))
    task = OkxFetchTicker(instId="BTC-USDT", api=okx)
    async with okx:
        with pytest.raises(errors.ExchangeError) as caught:
            await task.run()
    error = caught.value
    assert type(error) is error_class
    assert (error.code, error.msg, error.status) == (code, f"message {code}", 200)
    assert error.exchange == "okx"
    assert error.task_name == "OKX BTC-USDT ticker"
    assert (error.method, error.url) == ("GET", f"{LOCAL}/api/v5/market/ticker")
    assert "instId" not in str(error)  # never the query
    assert task.exception is error
    assert task.result is None
    assert task.envelope is None


@pytest.mark.parametrize(
    ("status", "code", "error_class"),
    [
        (401, "50113", errors.AuthenticationError),
        (401, "50102", errors.InvalidTimestampError),
        (400, "51000", errors.BadRequestError),
        (429, "50011", errors.RateLimitError),
        (429, None, errors.RateLimitError),
        (403, None, errors.AuthenticationError),
        (404, None, errors.BadRequestError),
        (500, "50001", errors.ExchangeServerError),
        (503, None, errors.ExchangeServerError),
        (200, None, errors.ExchangeError),
    ],
)
def test_status_comes_first_then_code_then_status_again(
    status: int, code: str | None, error_class: type[errors.ExchangeError]
) -> None:
    assert error_class_for(status, code) is error_class


async def test_http_401_with_an_okx_body(aioca_mock: aioresponses) -> None:
    okx = api()
    aioca_mock.get(BALANCE_URL, status=401, payload={"msg": "Invalid Sign", "code": "50113"})
    async with okx:
        with pytest.raises(errors.AuthenticationError) as caught:
            await OkxFetchBalance(api=okx).run()
    assert (caught.value.code, caught.value.msg, caught.value.status) == (
        "50113",
        "Invalid Sign",
        401,
    )


async def test_http_429_is_a_rate_limit_with_retry_after(aioca_mock: aioresponses) -> None:
    okx = api()
    aioca_mock.get(
        TICKER_URL,
        status=429,
        headers={"Retry-After": "3"},
        payload={"msg": "Too Many Requests", "code": "50011"},
    )
    async with okx:
        with pytest.raises(errors.RateLimitError) as caught:
            await OkxFetchTicker(instId="BTC-USDT", api=okx).run()
    assert (caught.value.code, caught.value.status, caught.value.retry_after) == ("50011", 429, 3)


async def test_http_5xx_with_an_html_body(aioca_mock: aioresponses) -> None:
    okx = api()
    aioca_mock.get(TICKER_URL, status=502, body="<html>Bad Gateway</html>")
    async with okx:
        with pytest.raises(errors.ExchangeServerError) as caught:
            await OkxFetchTicker(instId="BTC-USDT", api=okx).run()
    assert caught.value.status == 502
    assert "Bad Gateway" in caught.value.msg


@pytest.mark.parametrize("body", ['{"data": []}', "[]", "<html>maintenance</html>", ""], ids=str)
async def test_http_200_that_is_not_an_envelope(aioca_mock: aioresponses, body: str) -> None:
    okx = api()
    aioca_mock.get(TICKER_URL, status=200, body=body)
    async with okx:
        with pytest.raises(errors.InvalidResponseError) as caught:
            await OkxFetchTicker(instId="BTC-USDT", api=okx).run()
    assert caught.value.status == 200


# --- single orders: the item says why -------------------------------------------------------


async def test_single_order_refused_raises_the_items_code(aioca_mock: aioresponses) -> None:
    okx = api()
    aioca_mock.post(
        ORDER_URL,
        payload=envelope(
            [item("51008", "Order failed. Insufficient USDT balance in account.")],
            code="1",
            msg="All operations failed",
        ),
    )
    async with okx:
        with pytest.raises(errors.InsufficientFundsError) as caught:
            await OkxPlaceOrder(sz="1", api=okx, **ORDER).run()
    assert caught.value.code == "51008"
    assert caught.value.msg == "Order failed. Insufficient USDT balance in account."
    assert not isinstance(caught.value, OkxBatchError)


# --- batches ---------------------------------------------------------------------------------


async def test_batch_with_mixed_results_keeps_the_orders_that_went_through(
    aioca_mock: aioresponses,
) -> None:
    okx = api()
    answer = envelope(
        [
            item("0", "Order placed", "1001", "a1"),
            item("51008", "Insufficient balance", cl="a2"),
            item("0", "Order placed", "1003", "a3"),
            item("51121", "Order quantity must be a multiple of the lot size", cl="a4"),
        ],
        code="2",
        msg="Bulk operation partially succeeded.",
    )
    aioca_mock.post(BATCH_URL, payload=answer)
    orders = [{**ORDER, "sz": "1", "clOrdId": f"a{n}"} for n in range(1, 5)]
    task = OkxPlaceBatchOrders(orders=orders, api=okx)
    async with okx:
        with pytest.raises(OkxBatchError) as caught:
            await task.run()
    error = caught.value
    assert type(error) is OkxBatchError  # two different reasons: no narrower class
    assert isinstance(error, errors.OrderError)
    assert error.code == "2"
    assert error.ord_ids == ["1001", "1003"]
    assert error.cl_ord_ids == ["a1", "a3"]
    assert [i["clOrdId"] for i in error.failed] == ["a2", "a4"]
    assert [(index, type(e), e.code) for index, e in error.item_errors] == [
        (1, errors.InsufficientFundsError, "51008"),
        (3, errors.OrderError, "51121"),
    ]
    assert error.items == answer["data"]
    assert error.envelope == answer
    assert "#1 [51008] Insufficient balance" in str(error)
    assert "2 of 4 items failed, 2 succeeded" in str(error)
    assert task.client_order_ids == ("a1", "a2", "a3", "a4")


async def test_batch_failing_for_one_reason_is_also_that_class(
    aioca_mock: aioresponses,
) -> None:
    okx = api()
    aioca_mock.post(
        BATCH_URL,
        payload=envelope(
            [item("0", "", "1001", "b1"), item("51008", "Insufficient balance", cl="b2")],
            code="2",
        ),
    )
    orders = [{**ORDER, "sz": "1"}, {**ORDER, "sz": "1000"}]
    async with okx:
        with pytest.raises(errors.InsufficientFundsError) as caught:
            await OkxPlaceBatchOrders(orders=orders, api=okx).run()
    assert isinstance(caught.value, OkxBatchError)
    assert caught.value.ord_ids == ["1001"]


async def test_batch_where_every_item_failed(aioca_mock: aioresponses) -> None:
    okx = api()
    aioca_mock.post(
        CANCEL_BATCH_URL,
        payload=envelope(
            [item("51400", "Cancellation failed", "1"), item("51400", "Cancellation failed", "2")],
            code="1",
        ),
    )
    cancels = [{"instId": "BTC-USDT", "ordId": "1"}, {"instId": "BTC-USDT", "ordId": "2"}]
    async with okx:
        with pytest.raises(errors.OrderNotFoundError) as caught:
            await OkxCancelBatchOrders(orders=cancels, api=okx).run()
    assert isinstance(caught.value, OkxBatchError)
    assert caught.value.succeeded == []
    assert caught.value.code == "1"


async def test_batch_item_failing_under_code_0_is_not_taken_for_success(
    aioca_mock: aioresponses,
) -> None:
    okx = api()
    aioca_mock.post(
        BATCH_URL, payload=envelope([item("0", "", "1"), item("51008", "Insufficient", cl="x")])
    )
    async with okx:
        with pytest.raises(OkxBatchError) as caught:
            await OkxPlaceBatchOrders(orders=[{**ORDER, "sz": "1"}] * 2, api=okx).run()
    assert caught.value.ord_ids == ["1"]


async def test_batch_that_fully_succeeds_returns_the_items(aioca_mock: aioresponses) -> None:
    okx = api()
    data = [item("0", "", "1", "c1"), item("0", "", "2", "c2")]
    aioca_mock.post(BATCH_URL, payload=envelope(data, inTime="1", outTime="2"))
    task = OkxPlaceBatchOrders(orders=[{**ORDER, "sz": "1"}] * 2, api=okx)
    async with okx:
        assert await task.run() == data
    assert task.envelope is not None
    assert task.envelope["outTime"] == "2"


# --- unknown outcomes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "payload"),
    [(500, {"code": "50001", "msg": "Service temporarily unavailable"}), (200, None)],
    ids=["http-500", "okx-50004"],
)
async def test_order_without_a_readable_outcome_is_state_unknown(
    aioca_mock: aioresponses, status: int, payload: dict[str, str] | None
) -> None:
    okx = api()
    body = payload or envelope(code="50004", msg="Endpoint request timeout")
    aioca_mock.post(ORDER_URL, status=status, payload=body)
    task = OkxPlaceOrder(sz="1", api=okx, **ORDER)
    async with okx:
        with pytest.raises(errors.OrderStateUnknownError) as caught:
            await task.run()
    (client_id,) = task.client_order_ids
    assert caught.value.client_order_id == client_id
    assert re.fullmatch(r"[A-Za-z0-9]{1,32}", client_id)
    assert client_id in str(caught.value)
    assert isinstance(caught.value.__cause__, errors.ExchangeServerError)


async def test_order_that_could_not_connect_is_not_unknown() -> None:
    with socket.socket() as probe:  # a port nothing listens on: bound, then released
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    okx = OkxRestApi(KEY, SECRET, PASSPHRASE, urls={"rest": f"http://127.0.0.1:{closed_port}"})
    async with okx:
        with pytest.raises(errors.ConnectError):
            await OkxPlaceOrder(sz="1", api=okx, **ORDER).run()


async def test_expired_timestamp_resyncs_the_clock_and_resends_once(
    aioca_mock: aioresponses,
) -> None:
    okx = api()
    server_ms = int(time.time() * 1000) + 45_000
    aioca_mock.get(BALANCE_URL, status=401, payload={"code": "50102", "msg": "Timestamp expired"})
    aioca_mock.get(f"{LOCAL}/api/v5/public/time", payload=envelope([{"ts": str(server_ms)}]))
    aioca_mock.get(BALANCE_URL, payload=envelope([{"totalEq": "5"}]))
    async with okx:
        assert await OkxFetchBalance(api=okx).run() == [{"totalEq": "5"}]
    assert 44_000 < okx.time_offset_ms < 46_000
    calls = aioca_mock.requests[("GET", URL(BALANCE_URL))]
    stamps = [call.kwargs["headers"]["OK-ACCESS-TIMESTAMP"] for call in calls]
    assert len(stamps) == 2
    assert stamps[0] != stamps[1]


async def test_requests_refused_together_resync_the_clock_once(
    aioca_mock: aioresponses,
) -> None:
    okx = api()
    server_ms = int(time.time() * 1000) + 45_000

    async def answer(url: URL, **kwargs: Any) -> CallbackResult:
        await asyncio.sleep(0.02)  # all three requests are in flight together
        # OKX's rule: refuse a timestamp more than 30 s off its clock.
        stamp = kwargs["headers"]["OK-ACCESS-TIMESTAMP"]
        sent_ms = datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp() * 1000
        if abs(sent_ms - server_ms) > 30_000:
            return CallbackResult(status=401, payload={"code": "50102", "msg": "Timestamp expired"})
        return CallbackResult(payload=envelope([{"totalEq": "5"}]))

    aioca_mock.get(BALANCE_URL, callback=answer, repeat=True)
    aioca_mock.get(
        f"{LOCAL}/api/v5/public/time", payload=envelope([{"ts": str(server_ms)}]), repeat=True
    )
    async with okx:
        results = await asyncio.gather(*(OkxFetchBalance(api=okx).run() for _ in range(3)))
    assert results == [[{"totalEq": "5"}]] * 3
    assert len(aioca_mock.requests[("GET", URL(BALANCE_URL))]) == 6  # each refused once
    assert len(aioca_mock.requests[("GET", URL(f"{LOCAL}/api/v5/public/time"))]) == 1
