"""The Binance plugin over real HTTP on 127.0.0.1, against the core's fault server.

Clock sync (lazy, once, offset applied, resync after -1021), live rate limits from
exchangeInfo, Binance's weights under a burst (checked by a server that enforces them),
orders whose outcome is unknown (never re-sent, the client order id the server got is
reported), bans, retries of GETs, and no credential in any log record (captured at DEBUG
in every test), exception or ``repr``.
"""

from __future__ import annotations

import asyncio
import math
import socket
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from binance_faults import (
    ACCOUNT,
    EXCHANGE_INFO,
    ORDER,
    TICKER,
    TIME,
    TIMESTAMP_ERROR,
    Fault,
    FaultServer,
    LeakGuard,
    WeightLimit,
    binance_error,
    binance_server,
    binance_weight,
    server_time,
    signature_is_valid,
)

from aioca import GatherTask, RateLimiter, RetryPolicy, Window, errors
from aioca_binance import BinanceRestApi
from aioca_binance.coinm import (
    CoinMAccountInformation,
    CoinMCancelOrder,
    CoinMExchangeInformation,
    CoinMFetchTicker,
    CoinMNewOrder,
    CoinMOrderBook,
    CoinMPing,
)

KEY = "limits-key-0f3a9c5e7b21d4"
SECRET = "limits-secret-6e2d8b1f4a97c3"
SYMBOL = "BTCUSD_PERP"
FAST_RETRY = RetryPolicy(attempts=3, backoff=0.01, max_backoff=0.05, total_time=5.0)


def new_order(**params: Any) -> CoinMNewOrder:
    return CoinMNewOrder(
        **{
            "symbol": SYMBOL,
            "side": "BUY",
            "type": "LIMIT",
            "quantity": 1,
            "price": "25000.1",
            "timeInForce": "GTC",
            **params,
        }
    )


# --- fixtures: the server, API objects, and the check that no secret leaks ----------------------


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
        options.setdefault("retry", FAST_RETRY)
        options.setdefault("timeout", 2.0)
        api = BinanceRestApi(KEY, SECRET, urls={"coinm": base_url}, **options)
        made.append(api)
        guard.apis.append(api)
        return api

    yield make
    for api in made:
        await api.close()


async def run_catching(task: Any, guard: LeakGuard) -> BaseException | None:
    """Run ``task``; return (and remember for the leak check) what it raised."""
    try:
        await task.run()
    except Exception as exc:
        return guard.caught(exc)
    return None


async def wait_for_phase(seconds: float, phase: float) -> None:
    """Sleep until ``phase`` seconds into a clock-aligned window of ``seconds``."""
    now = time.time()
    start = math.floor(now / seconds) * seconds + phase
    if start <= now:
        start += seconds
    await asyncio.sleep(start - now)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def clear_of_minute_boundary() -> None:
    """Sleep past a minute boundary that is less than a second away (either side): usage
    counted in Binance's minute windows must not roll over during the test."""
    second = time.time() % 60
    if second < 1.0 or second > 59.0:
        await asyncio.sleep((61.0 - second) % 60)


def paths(server: Any) -> list[str]:
    return [request.path for request in server.requests]


# --- clock sync ------------------------------------------------------------------------------


async def test_first_signed_requests_are_preceded_by_exactly_one_time_sync(
    server: Any, make_api: Callable[..., BinanceRestApi]
) -> None:
    api = make_api(server.base_url)
    accounts = GatherTask(*(CoinMAccountInformation(api=api) for _ in range(20)))

    await accounts.run()

    assert paths(server).count(TIME) == 1
    assert paths(server)[0] == TIME
    signed = server.requests_to(ACCOUNT)
    assert len(signed) == 20
    assert all(signature_is_valid(request, SECRET) for request in signed)
    assert all(request.headers["X-MBX-APIKEY"] == KEY for request in signed)
    assert all(result["path"] == ACCOUNT for result in accounts.result or [])


async def test_server_clock_offset_is_applied_to_timestamps(
    server: Any, make_api: Callable[..., BinanceRestApi]
) -> None:
    server.set_default(TIME, server_time(offset_ms=5000))
    api = make_api(server.base_url)

    await CoinMAccountInformation(api=api).run()

    assert api.time_offset_ms == pytest.approx(5000, abs=100)
    (account,) = server.requests_to(ACCOUNT)
    sent = int(account.param("timestamp") or 0)
    assert sent - account.time * 1000 == pytest.approx(5000, abs=250)


async def test_minus_1021_resyncs_the_clock_and_resends_once_with_a_fresh_timestamp(
    server: Any, make_api: Callable[..., BinanceRestApi]
) -> None:
    # The exchange's clock jumps 3 s ahead between the first sync and the resync.
    server.script(TIME, [server_time(0), server_time(3000)])
    server.script(ACCOUNT, [TIMESTAMP_ERROR])
    api = make_api(server.base_url)

    task = CoinMAccountInformation(api=api)
    await task.run()

    assert paths(server) == [TIME, ACCOUNT, TIME, ACCOUNT]
    refused, accepted = server.requests_to(ACCOUNT)
    assert refused.status == 400
    assert accepted.status == 200
    first, second = int(refused.param("timestamp") or 0), int(accepted.param("timestamp") or 0)
    assert second != first
    assert second - first == pytest.approx(3000, abs=300)
    assert signature_is_valid(accepted, SECRET)  # signed afresh over the new timestamp
    assert api.time_offset_ms == pytest.approx(3000, abs=100)
    assert task.result["path"] == ACCOUNT


async def test_minus_1021_after_the_resync_is_raised(
    server: Any, make_api: Callable[..., BinanceRestApi], guard: LeakGuard
) -> None:
    server.script(ACCOUNT, [TIMESTAMP_ERROR, TIMESTAMP_ERROR])
    api = make_api(server.base_url)

    error = await run_catching(CoinMAccountInformation(api=api), guard)

    assert isinstance(error, errors.InvalidTimestampError)
    assert error.code == -1021
    assert paths(server) == [TIME, ACCOUNT, TIME, ACCOUNT]


async def test_order_refused_with_minus_1021_is_resent_once_under_the_same_client_id(
    server: Any, make_api: Callable[..., BinanceRestApi]
) -> None:
    # -1021 means Binance refused the request before doing anything: resending is safe.
    server.script(TIME, [server_time(0), server_time(3000)])
    server.script(ORDER, [TIMESTAMP_ERROR], method="POST")
    api = make_api(server.base_url)

    order = new_order(api=api)
    await order.run()

    refused, accepted = server.requests_to(ORDER, method="POST")
    assert refused.param("newClientOrderId") == accepted.param("newClientOrderId")
    assert order.client_order_ids == (accepted.param("newClientOrderId"),)
    first, second = int(refused.param("timestamp") or 0), int(accepted.param("timestamp") or 0)
    assert second - first == pytest.approx(3000, abs=300)
    assert signature_is_valid(accepted, SECRET)
    assert paths(server) == [TIME, ORDER, TIME, ORDER]


# --- rate limits -----------------------------------------------------------------------------

RATE_LIMITS = [
    {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000},
    {"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1, "limit": 2400},
    {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 600},
]


async def test_exchange_info_rate_limits_replace_the_limiter_windows(
    server: Any, make_api: Callable[..., BinanceRestApi]
) -> None:
    server.set_default(
        EXCHANGE_INFO,
        Fault.ok({"timezone": "UTC", "serverTime": 0, "rateLimits": RATE_LIMITS, "symbols": []}),
    )
    api = make_api(server.base_url)
    host = server.base_url.removeprefix("http://")
    await clear_of_minute_boundary()

    await CoinMPing(api=api).run()
    before = {s.name: s.limit for s in api.rate_limit_status()[host]}
    await CoinMExchangeInformation(api=api).run()
    after = {s.name: (s.limit, s.used) for s in api.rate_limit_status()[host]}

    assert before == {"REQUEST_WEIGHT": 2400, "ORDERS": 1200, "ORDERS_10S": 300}
    assert {name: limit for name, (limit, _) in after.items()} == {
        "REQUEST_WEIGHT": 6000,
        "ORDERS": 2400,
        "ORDERS_10S": 600,
    }
    assert after["REQUEST_WEIGHT"][1] == 2  # the weight spent this minute is kept


async def test_weight_reported_by_binance_is_respected(
    server: Any, make_api: Callable[..., BinanceRestApi]
) -> None:
    server.script(TICKER, [Fault.ok({"price": "1"}, headers={"X-MBX-USED-WEIGHT-1M": "2300"})])
    api = make_api(server.base_url)
    await clear_of_minute_boundary()

    await CoinMFetchTicker(symbol=SYMBOL, api=api).run()

    (status,) = api.rate_limit_status().values()
    assert {s.name: s.used for s in status}["REQUEST_WEIGHT"] == 2300


BURST_LIMIT = 100
BURST_SECONDS = 0.5


async def test_burst_of_catalog_tasks_stays_within_binance_weight_limit(
    guard: LeakGuard, make_api: Callable[..., BinanceRestApi]
) -> None:
    # The server weighs each request as Binance documents it, independently of the
    # plugin's declarations, and answers 429 past the budget.
    budget = WeightLimit(BURST_LIMIT, BURST_SECONDS, weight=binance_weight)
    async with FaultServer(weight_limit=budget) as server:
        guard.servers.append(server)
        limiter = RateLimiter(
            [Window("REQUEST_WEIGHT", BURST_LIMIT, BURST_SECONDS, header="X-MBX-USED-WEIGHT-1M")],
            safety=0.1,
        )
        api = make_api(server.base_url, rate_limiter=limiter, retry=RetryPolicy(attempts=1))
        kinds = [
            lambda: CoinMFetchTicker(symbol=SYMBOL, api=api),  # weight 1
            lambda: CoinMFetchTicker(api=api),  # weight 2: every symbol
            lambda: CoinMOrderBook(symbol=SYMBOL, limit=50, api=api),  # weight 2
            lambda: CoinMOrderBook(symbol=SYMBOL, limit=100, api=api),  # weight 5
        ]
        tasks = [kinds[i % len(kinds)]() for i in range(120)]
        await wait_for_phase(BURST_SECONDS, 0.15)
        await GatherTask(*tasks).run()

    assert budget.rejected == [], f"{len(budget.rejected)} answered 429: {budget.used}"
    assert budget.peak <= BURST_LIMIT
    total = sum(task.weight for task in tasks)
    assert sum(request.weight for request in server.requests) == total  # same weights
    assert len(budget.used) >= math.ceil(total / BURST_LIMIT)


async def test_ip_ban_stops_all_traffic(
    server: Any, make_api: Callable[..., BinanceRestApi], guard: LeakGuard
) -> None:
    ban_end_ms = 1893456000000
    message = f"Way too many requests; IP(127.0.0.1) banned until {ban_end_ms}."
    server.script(TICKER, [Fault.banned(payload={"code": -1003, "msg": message})])
    api = make_api(server.base_url)

    error = await run_catching(CoinMFetchTicker(symbol=SYMBOL, api=api), guard)
    assert isinstance(error, errors.IPBannedError)
    assert error.until == ban_end_ms / 1000

    started = time.monotonic()
    later = GatherTask(
        *(CoinMFetchTicker(symbol=SYMBOL, api=api) for _ in range(10)),
        CoinMAccountInformation(api=api),
        new_order(api=api),
    )
    group = await run_catching(later, guard)

    assert time.monotonic() - started < 0.5
    assert isinstance(group, ExceptionGroup)
    assert len(group.exceptions) == 12
    assert all(isinstance(e, errors.IPBannedError) for e in group.exceptions)
    assert paths(server) == [TICKER]  # not even a clock sync went out


# --- retries and orders whose outcome is unknown ----------------------------------------------


async def test_get_is_retried_after_5xx_and_succeeds(
    server: Any, make_api: Callable[..., BinanceRestApi]
) -> None:
    server.script(
        TICKER,
        [
            binance_error(-1001, "Internal error; unable to process your request.", status=503),
            Fault.html(502),
            Fault.ok({"symbol": SYMBOL, "ps": "BTCUSD", "price": "25000.1", "time": 1}),
        ],
    )
    api = make_api(server.base_url)

    task = CoinMFetchTicker(symbol=SYMBOL, api=api)
    await task.run()

    assert task.result["price"] == "25000.1"
    assert len(server.requests_to(TICKER)) == 3


UNKNOWN_OUTCOMES = {
    "timeout": (Fault.slow(1.0), errors.RequestTimeoutError),
    "503": (
        binance_error(-1000, "An unknown error occurred while processing the request.", status=503),
        errors.ExchangeServerError,
    ),
    "html-502": (Fault.html(502), errors.ExchangeServerError),
    "dropped": (Fault.dropped(), errors.NetworkError),
}


@pytest.mark.parametrize("case", list(UNKNOWN_OUTCOMES))
async def test_order_with_unknown_outcome_is_sent_once_and_names_its_client_id(
    server: Any, make_api: Callable[..., BinanceRestApi], guard: LeakGuard, case: str
) -> None:
    fault, cause = UNKNOWN_OUTCOMES[case]
    server.script(ORDER, [fault, Fault.ok()], method="POST")
    api = make_api(server.base_url, timeout=0.3)

    order = new_order(api=api)
    error = await run_catching(order, guard)

    (sent,) = server.requests_to(ORDER, method="POST")  # never re-sent
    client_id = sent.param("newClientOrderId")
    assert isinstance(error, errors.OrderStateUnknownError)
    assert isinstance(error.__cause__, cause)
    assert client_id
    assert error.client_order_id == client_id
    assert order.client_order_ids == (client_id,)
    assert client_id in str(error)
    assert "New BUY LIMIT order on BTCUSD_PERP" in str(error)  # the task's name


NON_JSON_ANSWERS = {
    "html-200": Fault.html(200),
    "cut-json-200": Fault.raw('{"orderId": 12', content_type="application/json"),
    "cut-body-200": Fault.truncated({"orderId": 12, "status": "NEW"}),
}


@pytest.mark.parametrize("case", list(NON_JSON_ANSWERS))
async def test_order_answered_with_an_unreadable_body_has_an_unknown_outcome(
    server: Any, make_api: Callable[..., BinanceRestApi], guard: LeakGuard, case: str
) -> None:
    server.script(ORDER, [NON_JSON_ANSWERS[case]], method="POST")
    api = make_api(server.base_url)

    order = new_order(api=api)
    error = await run_catching(order, guard)

    (sent,) = server.requests_to(ORDER, method="POST")
    assert isinstance(error, errors.OrderStateUnknownError), repr(error)
    assert error.client_order_id == sent.param("newClientOrderId")
    assert "HTTP 200" in str(error.__cause__)


@pytest.mark.parametrize("sync", [None, 600.0], ids=["no-clock-sync", "clock-sync"])
async def test_order_with_nothing_listening_is_a_connect_error(
    make_api: Callable[..., BinanceRestApi], guard: LeakGuard, sync: float | None
) -> None:
    api = make_api(f"http://127.0.0.1:{free_port()}", time_sync_interval=sync)

    order = new_order(api=api)
    error = await run_catching(order, guard)

    assert isinstance(error, errors.ConnectError)
    assert not isinstance(error, errors.OrderStateUnknownError)
    assert order.exception is error


async def test_order_refused_with_429_is_a_rate_limit_error_and_not_resent(
    server: Any, make_api: Callable[..., BinanceRestApi], guard: LeakGuard
) -> None:
    server.script(ORDER, [Fault.rate_limited(0.05), Fault.ok()], method="POST")
    api = make_api(server.base_url)

    error = await run_catching(new_order(api=api), guard)

    assert type(error) is errors.RateLimitError  # refused: not an unknown outcome
    assert len(server.requests_to(ORDER, method="POST")) == 1


async def test_cancel_is_sent_once_when_the_connection_drops(
    server: Any, make_api: Callable[..., BinanceRestApi], guard: LeakGuard
) -> None:
    # A second DELETE would answer "Unknown order" (-2011) for an order it did cancel.
    server.script(ORDER, [Fault.dropped(), Fault.ok()], method="DELETE")
    api = make_api(server.base_url)

    error = await run_catching(CoinMCancelOrder(symbol=SYMBOL, orderId=12, api=api), guard)

    assert len(server.requests_to(ORDER, method="DELETE")) == 1
    assert isinstance(error, errors.NetworkError)
