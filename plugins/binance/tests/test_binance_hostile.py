"""The Binance plugin against hostile servers and bad input (issue 11's scenarios).

Over real HTTP on 127.0.0.1 against the core's fault server: a redirected order (never
followed, never resent, reported with its client order id), a retry policy that lists
POST and DELETE, JSON nested too deep for an order, ``/time`` failing or hanging before
an order (a clock error, 0 orders sent), nonsense server times, HTTP 200 carrying an error
body, batches with mixed outcomes, errors naming the order they are about, and the
secrets a failed signed request must not leave in its traceback. Every problem of a bad
parameter set is reported at once, before anything is sent.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from binance_faults import ORDER, TICKER, TIME, Fault, FaultServer, LeakGuard, binance_server

from aioca import RetryPolicy, errors
from aioca_binance import BinanceRestApi
from aioca_binance.coinm import (
    CoinMAccountInformation,
    CoinMCancelMultipleOrders,
    CoinMCancelOrder,
    CoinMFetchTicker,
    CoinMNewOrder,
    CoinMPlaceMultipleOrders,
    CoinMQueryOrder,
)

KEY = "hostile-key-8c1f0e2a"
SECRET = "hostile-secret-3b9d4e7f"
SYMBOL = "BTCUSD_PERP"
BATCH = "/dapi/v1/batchOrders"
LIMIT = {"symbol": SYMBOL, "type": "LIMIT", "timeInForce": "GTC", "quantity": "1"}


def new_order(**params: Any) -> CoinMNewOrder:
    return CoinMNewOrder(**{**LIMIT, "side": "BUY", "price": "25000.1", **params})


@pytest.fixture(autouse=True)
def guard(caplog: pytest.LogCaptureFixture) -> Iterator[LeakGuard]:
    yield from LeakGuard.watch(caplog, KEY, SECRET)


@pytest.fixture
async def server(guard: LeakGuard) -> AsyncIterator[Any]:
    async with binance_server() as fault_server:
        guard.servers.append(fault_server)
        yield fault_server


@pytest.fixture
async def make_api(guard: LeakGuard) -> AsyncIterator[Callable[..., BinanceRestApi]]:
    made: list[BinanceRestApi] = []

    def make(base_url: str, **options: Any) -> BinanceRestApi:
        options.setdefault("retry", RetryPolicy(attempts=3, backoff=0.01, total_time=5.0))
        options.setdefault("timeout", 2.0)
        api = BinanceRestApi(KEY, SECRET, urls={"coinm": base_url}, **options)
        made.append(api)
        guard.apis.append(api)
        return api

    yield make
    for api in made:
        await api.close()


async def failure_of(task: Any, guard: LeakGuard) -> BaseException:
    try:
        await task.run()
    except Exception as exc:
        return guard.caught(exc)
    raise AssertionError(f"{task} did not fail")


def frame_locals(error: BaseException) -> list[str]:
    """``name=repr(value)`` of every local of every frame of the error's traceback, and of
    its chain's (what error trackers capture)."""
    texts: list[str] = []
    pending: list[BaseException] = [error]
    while pending:
        current = pending.pop()
        tb = current.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_filename != __file__:  # the library's frames, not ours
                texts += [f"{k}={v!r}" for k, v in tb.tb_frame.f_locals.items()]
            tb = tb.tb_next
        pending += [e for e in (current.__cause__, current.__context__) if e is not None]
    return texts


def signatures(server: Any) -> set[str]:
    return {r.param("signature") for r in server.requests if r.param("signature")}


# --- redirects -----------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_a_redirected_order_is_sent_once_and_its_outcome_is_unknown(
    server: Any, make_api: Callable[..., BinanceRestApi], guard: LeakGuard, status: int
) -> None:
    async with FaultServer() as thief:
        guard.servers.append(thief)
        location = thief.url("/dapi/v1/order?stolen=1")
        server.script(ORDER, [Fault.status(status, {}, headers={"Location": location})])
        order = new_order(api=make_api(server.base_url))
        error = await failure_of(order, guard)

    assert list(thief.requests) == []
    (sent,) = server.requests_to(ORDER)
    assert isinstance(error, errors.OrderStateUnknownError)
    assert error.client_order_id == sent.param("newClientOrderId")
    cause = error.__cause__
    assert isinstance(cause, errors.UnexpectedRedirectError)
    assert (cause.status, cause.location_host) == (status, f"127.0.0.1:{thief.port}")


async def test_a_redirected_signed_query_is_not_followed_and_leaves_no_secret(
    server: Any, make_api: Callable[..., BinanceRestApi], guard: LeakGuard
) -> None:
    async with FaultServer() as thief:
        guard.servers.append(thief)
        server.script(
            "/dapi/v1/account",
            [Fault.status(307, {}, headers={"Location": thief.url("/x")})],
        )
        error = await failure_of(CoinMAccountInformation(api=make_api(server.base_url)), guard)

    assert isinstance(error, errors.UnexpectedRedirectError)
    assert list(thief.requests) == []
    secrets = {KEY, SECRET, *signatures(server)}
    assert len(secrets) == 3
    for text in frame_locals(error):
        assert not any(secret in text for secret in secrets), text[:300]


# --- retries never resend orders -------------------------------------------------------------


async def test_a_policy_listing_post_does_not_resend_an_order(
    server: Any, make_api: Callable[..., BinanceRestApi], guard: LeakGuard
) -> None:
    server.script(ORDER, [Fault.status(503)] * 3, method="POST")
    policy = RetryPolicy(methods=frozenset({"GET", "POST"}), backoff=0.01)
    error = await failure_of(new_order(api=make_api(server.base_url, retry=policy)), guard)

    assert isinstance(error, errors.OrderStateUnknownError)
    assert len(server.requests_to(ORDER, method="POST")) == 1


async def test_a_policy_listing_delete_does_not_resend_a_cancel(
    server: Any, make_api: Callable[..., BinanceRestApi], guard: LeakGuard
) -> None:
    server.script(ORDER, [Fault.status(503)] * 3, method="DELETE")
    policy = RetryPolicy(methods=frozenset({"GET", "DELETE"}), backoff=0.01)
    cancel = CoinMCancelOrder(
        symbol=SYMBOL, orderId=42, api=make_api(server.base_url, retry=policy)
    )
    error = await failure_of(cancel, guard)

    assert isinstance(error, errors.ExchangeServerError)
    assert error.order_id == 42
    assert len(server.requests_to(ORDER, method="DELETE")) == 1


def test_every_order_endpoint_is_declared_so() -> None:
    from aioca_binance.coinm import CATALOG

    changing = {
        f"{task.endpoint.method} {task.endpoint.path}"
        for task in CATALOG.values()
        if task.endpoint.changes_orders
    }
    order_paths = ("/order", "/batchOrders", "/allOpenOrders", "/countdownCancelAll", "/algoOrder")
    expected = {
        f"{task.endpoint.method} {task.endpoint.path}"
        for task in CATALOG.values()
        if task.endpoint.method != "GET" and task.endpoint.path.endswith(order_paths)
    }
    assert changing == expected
    assert len(changing) == 10


# --- decoding ----------------------------------------------------------------------------------


async def test_an_order_answered_with_json_too_deep_has_an_unknown_outcome(
    server: Any, make_api: Callable[..., BinanceRestApi], guard: LeakGuard
) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    server.script(ORDER, [Fault.raw(deep, content_type="application/json")], method="POST")
    api = make_api(server.base_url, json_loads=json.loads)
    error = await failure_of(new_order(api=api), guard)

    assert isinstance(error, errors.OrderStateUnknownError)
    assert isinstance(error.__cause__, errors.InvalidResponseError)
    (sent,) = server.requests_to(ORDER)
    assert error.client_order_id == sent.param("newClientOrderId")


# --- the clock sync before an order --------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [Fault.status(503, {"code": -1001, "msg": "down"}), Fault.stalled(30)],
    ids=["503", "hanging"],
)
async def test_a_failed_clock_sync_is_a_clock_error_and_no_order_is_sent(
    server: Any, make_api: Callable[..., BinanceRestApi], guard: LeakGuard, answer: Any
) -> None:
    server.set_default(TIME, answer)
    api = make_api(server.base_url, timeout=1.0)
    started = time.monotonic()
    error = await failure_of(new_order(api=api), guard)
    elapsed = time.monotonic() - started

    assert isinstance(error, errors.ClockSyncError)
    assert not isinstance(error, errors.OrderStateUnknownError)
    assert "nothing was sent" in str(error)
    assert server.requests_to(ORDER) == []
    assert elapsed < 1.5  # bounded by the request's timeout (the review saw 32 s)


@pytest.mark.parametrize(
    "server_time",
    ["soon", -5, 0, True, 10**20, 1.5e12, None],
    ids=["text", "negative", "zero", "bool", "year-3e9", "float", "missing"],
)
async def test_a_nonsense_server_time_is_refused_and_never_used(
    server: Any, make_api: Callable[..., BinanceRestApi], guard: LeakGuard, server_time: Any
) -> None:
    server.set_default(TIME, Fault.ok({"serverTime": server_time}))
    api = make_api(server.base_url)
    error = await failure_of(new_order(api=api), guard)

    assert isinstance(error, errors.ClockSyncError)
    assert api.time_offset_ms == 0
    assert server.requests_to(ORDER) == []


async def test_a_server_time_a_week_off_is_refused_unless_allowed(
    server: Any, make_api: Callable[..., BinanceRestApi], guard: LeakGuard
) -> None:
    week_ms = 7 * 86_400_000
    server.set_default(TIME, Fault.ok(lambda r: {"serverTime": int(time.time() * 1000) + week_ms}))
    error = await failure_of(CoinMAccountInformation(api=make_api(server.base_url)), guard)
    assert isinstance(error, errors.ClockSyncError)
    assert "168 h" in str(error)

    trusting = make_api(server.base_url, max_clock_offset=None)
    assert abs(await trusting.sync_time() - week_ms) < 1000


# --- HTTP 200 with an error body ---------------------------------------------------------------


async def test_an_order_answered_200_with_an_error_body_is_refused(
    server: Any, make_api: Callable[..., BinanceRestApi], guard: LeakGuard
) -> None:
    body = {"code": -2019, "msg": "Margin is insufficient."}
    server.script(ORDER, [Fault.ok(body)], method="POST")
    error = await failure_of(new_order(api=make_api(server.base_url)), guard)

    assert isinstance(error, errors.InsufficientFundsError)
    assert (error.code, error.msg, error.status) == (-2019, "Margin is insufficient.", 200)
    (sent,) = server.requests_to(ORDER)
    assert error.client_order_id == sent.param("newClientOrderId")


async def test_a_ticker_answered_200_with_an_error_body_is_refused(
    server: Any, make_api: Callable[..., BinanceRestApi], guard: LeakGuard
) -> None:
    server.script(TICKER, [Fault.ok({"code": -1121, "msg": "Invalid symbol."})])
    task = CoinMFetchTicker(symbol=SYMBOL, api=make_api(server.base_url))
    error = await failure_of(task, guard)  # the lean path of a plain catalog task

    assert isinstance(error, errors.BadSymbolError)
    assert task.result is None


async def test_a_success_body_with_a_positive_code_is_a_result(
    server: Any, make_api: Callable[..., BinanceRestApi]
) -> None:
    server.script(TICKER, [Fault.ok({"code": 200, "msg": "success"})])
    task = CoinMFetchTicker(symbol=SYMBOL, api=make_api(server.base_url))
    assert await task.run() == {"code": 200, "msg": "success"}


# --- batches -----------------------------------------------------------------------------------


async def test_a_batch_with_refused_items_raises_and_keeps_the_placed_orders(
    server: Any, make_api: Callable[..., BinanceRestApi], guard: LeakGuard
) -> None:
    def answer(request: Any) -> list[dict[str, Any]]:
        items = json.loads(request.param("batchOrders"))
        return [
            {"orderId": 1, "clientOrderId": items[0]["newClientOrderId"], "status": "NEW"},
            {"code": -2019, "msg": "Margin is insufficient."},
            {"orderId": 3, "clientOrderId": items[2]["newClientOrderId"], "status": "NEW"},
        ]

    server.script(BATCH, [Fault.ok(answer)], method="POST")
    batch = CoinMPlaceMultipleOrders(
        batchOrders=[{**LIMIT, "side": "BUY", "price": str(25_000 + i)} for i in range(3)],
        api=make_api(server.base_url),
    )
    error = await failure_of(batch, guard)

    assert isinstance(error, errors.BatchError)
    assert isinstance(error, ExceptionGroup)
    assert isinstance(error, errors.InsufficientFundsError)  # every refused item was so
    assert [item["orderId"] for item in error.succeeded] == [1, 3]
    ((index, refused),) = error.item_errors
    assert index == 1
    assert refused.client_order_id == batch.client_order_ids[1]
    assert "1 of 3 items refused" in str(error)
    assert len(server.requests_to(BATCH)) == 1


async def test_a_batch_whose_every_item_is_refused_raises(
    server: Any, make_api: Callable[..., BinanceRestApi], guard: LeakGuard
) -> None:
    refusals = [{"code": -2011, "msg": "Unknown order sent."}, {"code": -1121, "msg": "Bad."}]
    server.script(BATCH, [Fault.ok(refusals)], method="DELETE")
    cancel = CoinMCancelMultipleOrders(
        symbol=SYMBOL, orderIdList=[7, 8], api=make_api(server.base_url)
    )
    error = await failure_of(cancel, guard)

    assert isinstance(error, errors.BatchError)
    assert error.succeeded == []
    assert [(e.code, e.order_id) for _, e in error.item_errors] == [(-2011, 7), (-1121, 8)]
    assert type(error) is errors.BatchError  # two different reasons: no common class


# --- errors name their order -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("task", "order_id", "client_id"),
    [
        (lambda: CoinMCancelOrder(symbol=SYMBOL, orderId=123), 123, None),
        (lambda: CoinMCancelOrder(symbol=SYMBOL, origClientOrderId="mine-1"), None, "mine-1"),
        (lambda: CoinMQueryOrder(symbol=SYMBOL, orderId=9), 9, None),
    ],
    ids=["cancel-by-id", "cancel-by-client-id", "query"],
)
async def test_a_refused_cancel_or_query_names_its_order(
    server: Any,
    make_api: Callable[..., BinanceRestApi],
    guard: LeakGuard,
    task: Callable[[], Any],
    order_id: int | None,
    client_id: str | None,
) -> None:
    server.script(ORDER, [Fault.status(400, {"code": -2011, "msg": "Unknown order sent."})])
    instance = task()
    instance.api = make_api(server.base_url)
    error = await failure_of(instance, guard)

    assert isinstance(error, errors.OrderError)
    assert (error.order_id, error.client_order_id) == (order_id, client_id)
    assert str(order_id or client_id) in str(error)


# --- bad input, all at once, before anything is sent -----------------------------------------


def test_every_problem_of_an_order_is_reported_at_once() -> None:
    with pytest.raises(errors.InvalidParameterError) as caught:
        CoinMNewOrder(
            symbol="x" * 1_000_000,
            side="BUY",
            type="LIMIT",
            quantity=Decimal("-1"),
            newClientOrderId="not a valid id!",
            recvWindow=True,
        )
    names = [name for name, _ in caught.value.problems]
    assert names == ["symbol", "quantity", "newClientOrderId", "recvWindow", "timeInForce", "price"]
    assert "6 invalid parameters in CoinMNewOrder" in str(caught.value)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("quantity", 0),
        ("quantity", "NaN"),
        ("price", Decimal("-0.1")),
        ("price", float("inf")),
        ("symbol", "BTC\ud800"),
        ("newClientOrderId", "x" * 37),
        ("recvWindow", False),
    ],
)
def test_a_bad_value_is_refused_with_a_typed_error(field: str, value: Any) -> None:
    with pytest.raises(errors.InvalidParameterError) as caught:
        new_order(**{field: value})
    assert [name for name, _ in caught.value.problems] == [field]


def test_batch_items_follow_the_rules_of_single_orders() -> None:
    with pytest.raises(errors.InvalidParameterError) as caught:
        CoinMPlaceMultipleOrders(
            batchOrders=[
                {**LIMIT, "side": "BUY", "price": "1"},  # fine
                {**LIMIT, "side": "BUY"},  # a LIMIT order without price
                {**LIMIT, "side": "SELL", "price": "1", "quantity": "NaN"},
                {**LIMIT, "side": "SELL", "price": "1", "quantity": Decimal("1e-9") * -1},
            ]
        )
    assert caught.value.problems == [
        ("batchOrders", "2.quantity: Input should be a finite number"),
        ("batchOrders", "3.quantity: Input should be greater than 0"),
        ("batchOrders", "1.price: required when type is LIMIT (or 'priceMatch')"),
    ]


async def test_a_dropped_signed_request_of_the_general_path_leaves_no_secret(
    server: Any, make_api: Callable[..., BinanceRestApi], guard: LeakGuard
) -> None:
    server.script("/dapi/v1/account", [Fault.dropped()])
    api = make_api(server.base_url, retry=RetryPolicy(attempts=1))
    with pytest.raises(errors.NetworkError) as caught:
        await api.request("GET", f"{server.base_url}/dapi/v1/account", {"a": 1}, signed=True)
    guard.caught(caught.value)

    assert caught.value.__context__ is None
    secrets = {KEY, SECRET, *signatures(server)}
    assert len(secrets) == 3
    for text in frame_locals(caught.value):
        assert not any(secret in text for secret in secrets), text[:300]
