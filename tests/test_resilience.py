"""Resilience of the core over real HTTP on 127.0.0.1, against ``tests/faultserver.py``.

Rate limiting under a burst (checked by a server that enforces the budget itself),
``Retry-After`` and IP bans, retries of idempotent requests only, clear errors for bodies
that are not JSON, a ``TaskRing`` that keeps polling through faults, flat resource use over
thousands of passes, no half-read connection left in the pool, and no credential in any
log record, exception or ``repr`` (logs are captured at DEBUG in every test).

Windows are scaled down (fractions of a second) to keep the suite fast; the limiter gets
its own ``safety`` margin through ``rate_limiter=RateLimiter([...], safety=...)``.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import hmac
import logging
import math
import socket
import time
import tracemalloc
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

import aioca
from aioca import (
    GatherTask,
    RateLimiter,
    RestApi,
    RetryPolicy,
    TaskOperator,
    TaskRing,
    Window,
    errors,
)
from aioca.rest import PreparedRequest

from .faultserver import (
    Fault,
    FaultServer,
    LeakGuard,
    WeightLimit,
    weight_from_query,
)

KEY = "loopback-key-5d1c0e7a33f2"
SECRET = "loopback-secret-93b4f2c8e611"
WEIGHT = "WEIGHT"
USED = "X-Used-Weight"
FAST_RETRY = RetryPolicy(attempts=3, backoff=0.01, max_backoff=0.05, total_time=5.0)
NO_RETRY = RetryPolicy(attempts=1)


class LoopbackApi(RestApi):
    """An exchange on 127.0.0.1: HMAC-SHA256 over the query string, key in a header."""

    exchange = "loopback"

    def __init__(self, base_url: str, **options: Any) -> None:
        options.setdefault("retry", FAST_RETRY)
        options.setdefault("timeout", 2.0)
        super().__init__(**options)
        self.base_url = base_url
        self.api_key = KEY
        self._secret = SECRET

    def rate_limits(self) -> list[Window]:
        return [Window(WEIGHT, 10_000, 1.0, header=USED)]

    def sign_request(self, request: PreparedRequest) -> None:
        request.query.append(("timestamp", str(int(time.time() * 1000))))
        payload = request.query_string() + (request.body() or "")
        signature = hmac.new(self._secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
        request.query.append(("signature", signature))
        request.headers["X-API-KEY"] = self.api_key


class Call(aioca.Task):
    """One request to ``path`` on the API's server, charging ``weight``."""

    exchange = "loopback"

    def __init__(
        self,
        path: str,
        *,
        method: str = "GET",
        weight: int = 1,
        signed: bool = False,
        timeout: float | None = None,
        name: str | None = None,
        api: LoopbackApi | None = None,
    ) -> None:
        super().__init__(api=api)
        self.path = path
        self.method = method
        self.weight = weight
        self.signed = signed
        self.timeout = timeout
        self.name = name

    async def __call__(self) -> Any:
        api: LoopbackApi = self.api  # type: ignore[assignment]
        return await api.request(
            self.method,
            api.base_url + self.path,
            {"w": self.weight},
            signed=self.signed,
            costs={WEIGHT: self.weight},
            timeout=self.timeout,
        )

    def __str__(self) -> str:
        return self.name or f"{self.method} {self.path}"


# --- fixtures: servers, APIs, and the check that no secret leaks ------------------------------


@pytest.fixture(autouse=True)
def guard(caplog: pytest.LogCaptureFixture) -> Iterator[LeakGuard]:
    yield from LeakGuard.watch(caplog, KEY, SECRET)


@pytest.fixture
async def server(guard: LeakGuard) -> AsyncIterator[FaultServer]:
    async with FaultServer() as fault_server:
        guard.servers.append(fault_server)
        yield fault_server


@pytest.fixture
async def make_api(guard: LeakGuard) -> AsyncIterator[Callable[..., LoopbackApi]]:
    made: list[LoopbackApi] = []

    def make(server: FaultServer, **options: Any) -> LoopbackApi:
        api = LoopbackApi(server.base_url, **options)
        made.append(api)
        guard.apis.append(api)
        return api

    yield make
    for api in made:
        await api.close()


async def run_catching(task: aioca.BaseTask, guard: LeakGuard) -> BaseException | None:
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


async def wait_until(condition: Callable[[], bool], timeout: float = 2.0) -> None:
    """Poll ``condition`` until it holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():  # polled: the condition signals no event
        assert time.monotonic() < deadline, "the condition did not come true in time"
        await asyncio.sleep(0.005)


def free_port() -> int:
    """A port of 127.0.0.1 nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


# --- the rate limiter against a server that enforces the budget -------------------------------

BURST_LIMIT = 350
BURST_SECONDS = 0.5
BURST_SAFETY = 0.1


async def test_burst_of_1000_tasks_never_exceeds_the_window(
    guard: LeakGuard, make_api: Callable[..., LoopbackApi]
) -> None:
    budget = WeightLimit(BURST_LIMIT, BURST_SECONDS, weight=weight_from_query("w"), header=USED)
    async with FaultServer(weight_limit=budget) as server:
        guard.servers.append(server)
        limiter = RateLimiter(
            [Window(WEIGHT, BURST_LIMIT, BURST_SECONDS, header=USED)], safety=BURST_SAFETY
        )
        api = make_api(server, rate_limiter=limiter, retry=NO_RETRY)
        weights = [(1, 1, 2)[i % 3] for i in range(1000)]
        burst = GatherTask(*(Call(f"/t/{i}", weight=w, api=api) for i, w in enumerate(weights)))
        # Mid-window, past the limiter's safety margin (the margin is tested below).
        await wait_for_phase(BURST_SECONDS, BURST_SAFETY + 0.05)
        started = time.monotonic()
        await burst.run()
        elapsed = time.monotonic() - started

    assert budget.rejected == [], f"{len(budget.rejected)} requests were answered 429"
    assert server.received == 1000
    assert all(task.exception is None for task in burst.tasks)
    assert budget.peak <= BURST_LIMIT, budget.used
    windows = math.ceil(sum(weights) / BURST_LIMIT)
    assert len(budget.used) >= windows
    # It did wait for the windows to roll over, rather than being lucky.
    assert elapsed >= (windows - 1) * BURST_SECONDS - 0.2
    assert sum(budget.used.values()) == sum(weights)


@pytest.mark.parametrize("server_clock", [0.0, -0.05], ids=["in-sync", "server-behind"])
async def test_burst_starting_inside_the_safety_margin_never_exceeds_the_window(
    guard: LeakGuard, make_api: Callable[..., LoopbackApi], server_clock: float
) -> None:
    # Just after a boundary of our clock, when an exchange whose clock lags ours by less
    # than the margin may still be counting the previous window.
    limit, seconds, safety = 50, 0.5, 0.1
    budget = WeightLimit(
        limit, seconds, weight=weight_from_query("w"), header=USED, clock_offset=server_clock
    )
    async with FaultServer(weight_limit=budget) as server:
        guard.servers.append(server)
        limiter = RateLimiter([Window(WEIGHT, limit, seconds, header=USED)], safety=safety)
        api = make_api(server, rate_limiter=limiter, retry=NO_RETRY)
        burst = GatherTask(*(Call(f"/t/{i}", api=api) for i in range(2 * limit)))
        await wait_for_phase(seconds, 0.01)
        failures = await run_catching(burst, guard)

    assert budget.rejected == [], (
        f"{len(budget.rejected)} requests answered 429; weight per window: {budget.used}"
    )
    assert failures is None
    assert budget.peak <= limit


async def test_usage_reported_by_the_exchange_is_respected(
    guard: LeakGuard, make_api: Callable[..., LoopbackApi]
) -> None:
    # Other clients of the same IP spend 20 of the 30 at the start of every window.
    budget = WeightLimit(30, 0.5, weight=weight_from_query("w"), header=USED, preload=20)
    async with FaultServer(weight_limit=budget) as server:
        guard.servers.append(server)
        limiter = RateLimiter([Window(WEIGHT, 30, 0.5, header=USED)], safety=0.1)
        api = make_api(server, rate_limiter=limiter, retry=NO_RETRY)
        await wait_for_phase(0.5, 0.15)
        for number in range(25):
            await Call(f"/serial/{number}", api=api).run()

    assert budget.rejected == []
    assert budget.peak <= 30
    assert len(budget.used) >= 3  # 10 requests fit per window, not 30


async def test_retry_after_holds_the_retry_and_every_other_request(
    server: FaultServer, make_api: Callable[..., LoopbackApi], caplog: pytest.LogCaptureFixture
) -> None:
    server.script("/limited", [Fault.rate_limited(0.4)])
    api = make_api(server)
    limited, other = Call("/limited", api=api), Call("/other", api=api)

    async def send_other_after_the_429() -> None:
        # The retry is announced once the 429 has been noted, before its pause begins.
        await wait_until(lambda: any("retrying" in r.getMessage() for r in caplog.records))
        await other.run()

    await asyncio.gather(limited.run(), send_other_after_the_429())

    first, retry = server.requests_to("/limited")
    (other_request,) = server.requests_to("/other")
    assert first.status == 429
    assert retry.status == 200
    assert limited.result["path"] == "/limited"
    assert retry.monotonic - first.monotonic >= 0.4 - 0.01
    assert other_request.monotonic - first.monotonic >= 0.4 - 0.01


async def test_ip_ban_stops_all_traffic(
    server: FaultServer, make_api: Callable[..., LoopbackApi], guard: LeakGuard
) -> None:
    server.script("/x", [Fault.banned(retry_after=60)])
    api = make_api(server)

    error = await run_catching(Call("/x", api=api), guard)
    assert isinstance(error, errors.IPBannedError)
    assert error.until is not None
    assert error.until == pytest.approx(time.time() + 60, abs=2)

    started = time.monotonic()
    burst = GatherTask(*(Call(f"/y/{i}", api=api) for i in range(20)))
    group = await run_catching(burst, guard)

    assert time.monotonic() - started < 0.5  # refused at once, not retried or waited out
    assert isinstance(group, ExceptionGroup)
    assert all(isinstance(e, errors.IPBannedError) for e in group.exceptions)
    assert len(group.exceptions) == 20
    assert server.received == 1  # nothing after the 418, and the 418 was not retried


# --- retries ------------------------------------------------------------------------------------


async def test_get_is_retried_through_transient_faults_and_succeeds(
    server: FaultServer, make_api: Callable[..., LoopbackApi]
) -> None:
    faults = [
        Fault.status(503),
        Fault.html(502),
        Fault.dropped(),
        Fault.slow(1.0),  # longer than the timeout
        Fault.rate_limited(0.05),
        Fault.ok({"price": "42"}),
    ]
    server.script("/ticker", faults)
    api = make_api(
        server,
        retry=RetryPolicy(attempts=len(faults), backoff=0.01, max_backoff=0.02),
        timeout=0.2,
    )

    task = Call("/ticker", api=api)
    assert await task.run() == {"price": "42"}
    assert len(server.requests_to("/ticker")) == len(faults)


@pytest.mark.parametrize(
    ("fault", "error_class"),
    [
        (Fault.status(503), errors.ExchangeServerError),
        (Fault.dropped(), errors.NetworkError),
        (Fault.slow(1.0), errors.RequestTimeoutError),
        (Fault.rate_limited(0.05), errors.RateLimitError),
    ],
    ids=["503", "dropped", "timeout", "429"],
)
async def test_post_is_never_retried(
    server: FaultServer,
    make_api: Callable[..., LoopbackApi],
    guard: LeakGuard,
    fault: Fault,
    error_class: type[Exception],
) -> None:
    server.script("/order", [fault, Fault.ok()], method="POST")
    api = make_api(server, timeout=0.2)

    error = await run_catching(Call("/order", method="POST", signed=True, api=api), guard)

    assert isinstance(error, error_class)
    assert len(server.requests_to("/order", method="POST")) == 1


@pytest.mark.parametrize(
    "method",
    ["POST", "DELETE", "PUT", "GET"],
)
async def test_request_the_policy_does_not_repeat_is_sent_once_when_the_connection_drops(
    server: FaultServer, make_api: Callable[..., LoopbackApi], guard: LeakGuard, method: str
) -> None:
    server.script("/order", [Fault.dropped(), Fault.ok()], method=method)
    # The default policy repeats none of POST, PUT and DELETE; a GET gets one attempt here.
    api = make_api(server, retry=NO_RETRY if method == "GET" else FAST_RETRY)

    # aiohttp by itself re-sends a GET, PUT or DELETE once when the connection drops: that
    # would cancel or modify an order twice, beneath the policy.
    error = await run_catching(Call("/order", method=method, signed=True, api=api), guard)

    assert len(server.requests_to("/order", method=method)) == 1
    assert isinstance(error, errors.NetworkError)


# --- bodies that are not JSON ------------------------------------------------------------------

NOT_JSON = {
    "html-200": (Fault.html(200), 200, errors.InvalidResponseError),
    "html-502": (Fault.html(502), 502, errors.ExchangeServerError),
    "empty-200": (Fault.empty(200), 200, errors.InvalidResponseError),
    "empty-503": (Fault.empty(503), 503, errors.ExchangeServerError),
    "cut-json-200": (Fault.raw('{"price": "4', content_type="application/json"), 200, None),
}


@pytest.mark.parametrize("case", sorted(NOT_JSON))
async def test_body_that_is_not_json_gives_an_error_naming_task_and_status(
    server: FaultServer, make_api: Callable[..., LoopbackApi], guard: LeakGuard, case: str
) -> None:
    fault, status, error_class = NOT_JSON[case]
    server.script("/ticker", [fault])
    api = make_api(server, retry=NO_RETRY)

    task = Call("/ticker", signed=True, name="poll the BTC ticker", api=api)
    error = await run_catching(task, guard)

    assert isinstance(error, error_class or errors.InvalidResponseError)
    assert task.exception is error
    assert "poll the BTC ticker" in str(error)
    assert f"HTTP {status}" in str(error)


async def test_truncated_body_gives_an_error_naming_task_and_status(
    server: FaultServer, make_api: Callable[..., LoopbackApi], guard: LeakGuard
) -> None:
    server.script("/ticker", [Fault.truncated()])
    api = make_api(server, retry=NO_RETRY)

    task = Call("/ticker", signed=True, name="poll the BTC ticker", api=api)
    error = await run_catching(task, guard)

    assert isinstance(error, errors.RequestError)
    assert "poll the BTC ticker" in str(error)
    assert "HTTP 200" in str(error)


# --- a ring that keeps polling -------------------------------------------------------------------


class Polling(Call):
    """A ``Call`` to ``{path}/{n}`` on its n-th run, so each pass can be scripted alone."""

    def __init__(self, path: str, **options: Any) -> None:
        super().__init__(path, **options)
        self.base_path = path
        self.runs = 0

    async def __call__(self) -> Any:
        self.path = f"{self.base_path}/{self.runs}"
        self.runs += 1
        return await super().__call__()


# One pass per entry: the faults /ticker/{pass} answers, and the error expected (a class it
# derives from). A dropped connection is scripted twice: an aiohttp that re-sends the GET by
# itself must meet the drop again (that re-send is tested above).
RING_SCRIPT: list[tuple[list[Fault], type[Exception] | None]] = [
    ([Fault.ok({"price": "1"})], None),
    ([Fault.status(503)], errors.ExchangeServerError),
    ([Fault.dropped(), Fault.dropped()], errors.NetworkError),
    ([Fault.ok({"price": "2"})], None),
    ([Fault.rate_limited(0)], errors.RateLimitError),
    ([Fault.html(200)], errors.InvalidResponseError),
    ([Fault.empty(200)], errors.InvalidResponseError),
    ([Fault.truncated()], errors.RequestError),
    ([Fault.slow(0.5)], errors.RequestTimeoutError),
    ([Fault.raw("{", content_type="application/json")], errors.InvalidResponseError),
    ([Fault.ok({"price": "3"})], None),
]


async def test_ring_keeps_polling_through_faults_and_shows_each_pass_error(
    server: FaultServer, make_api: Callable[..., LoopbackApi], guard: LeakGuard
) -> None:
    for number, (faults, _) in enumerate(RING_SCRIPT):
        server.script(f"/ticker/{number}", faults)
    api = make_api(server, retry=NO_RETRY, timeout=0.2)
    ticker = Polling("/ticker", name="ticker", api=api)
    account = Call("/account", signed=True, name="account", api=api)
    offline_api = LoopbackApi(f"http://127.0.0.1:{free_port()}", retry=NO_RETRY)
    guard.apis.append(offline_api)
    offline = Call("/x", name="offline", api=offline_api)
    passes = len(RING_SCRIPT)
    operator = TaskOperator(
        TaskRing(ticker, account, offline, iter_num=passes), on_error="continue"
    )

    seen: list[tuple[str, BaseException | None, Any]] = []
    try:
        async for task in operator.finished():
            if task.exception is not None:
                guard.caught(task.exception)
            seen.append((str(task), task.exception, task.result))
    finally:
        await offline_api.close()

    assert len(seen) == 3 * passes
    ticker_passes = [(error, result) for name, error, result in seen if name == "ticker"]
    for number, ((error, result), (faults, expected)) in enumerate(
        zip(ticker_passes, RING_SCRIPT, strict=True)
    ):
        if expected is None:
            assert error is None, f"pass {number}: {error!r}"
            assert result == faults[-1].payload
        else:
            assert isinstance(error, expected), f"pass {number}: {error!r}"
            assert result is None  # no stale result from an earlier pass
            assert "ticker" in str(error)
    assert [error for name, error, _ in seen if name == "account"] == [None] * passes
    offline_errors = [error for name, error, _ in seen if name == "offline"]
    assert all(isinstance(error, errors.ConnectError) for error in offline_errors)
    assert len({id(error) for error in offline_errors}) == passes  # a fresh error each pass
    assert ticker.exception is None
    assert ticker.result == {"price": "3"}
    assert isinstance(offline.exception, errors.ConnectError)


RING_PASSES = 2000
RING_WARMUP = 200
# tracemalloc (which slows what it traces about fivefold) runs over the last passes only:
# from RING_TRACED_FROM, with the baseline taken at RING_MEASURED_FROM, once the bounded
# caches of yarl and aiohttp (URLs, 128 entries) hold only traced objects.
RING_TRACED_FROM = 1500
RING_MEASURED_FROM = 1650


async def test_long_ring_keeps_connections_tasks_and_memory_flat(
    guard: LeakGuard, make_api: Callable[..., LoopbackApi], caplog: pytest.LogCaptureFixture
) -> None:
    pool = 2
    async with FaultServer(keep=64) as server:
        guard.servers.append(server)
        # Every tenth pass of /flaky fails with a 503 (no retries: the error stays on the task).
        server.script("/flaky", ([Fault.ok()] * 9 + [Fault.status(503)]) * (RING_PASSES // 10))
        api = make_api(server, retry=NO_RETRY, connection_limit=pool)
        ring = TaskRing(
            Call("/ticker", api=api),
            Call("/flaky", api=api),
            Call("/account", signed=True, api=api),
            iter_num=RING_PASSES,
        )
        baseline_tasks = len(asyncio.all_tasks())
        most_tasks = most_connections = failures = yielded = 0
        objects_before = errors_before = memory_before = 0
        try:
            async for task in TaskOperator(ring, on_error="continue").finished():
                yielded += 1
                failures += task.exception is not None
                if yielded % 300 == 0:
                    most_tasks = max(most_tasks, len(asyncio.all_tasks()))
                    most_connections = max(most_connections, server.open_connections)
                if yielded == 3 * RING_WARMUP:
                    # From here on caplog would keep every request's DEBUG record: stop them.
                    caplog.set_level(logging.INFO, logger="aioca")
                    gc.collect()
                    objects_before, errors_before = len(gc.get_objects()), count_errors()
                if yielded == 3 * RING_TRACED_FROM:
                    tracemalloc.start()
                if yielded == 3 * RING_MEASURED_FROM:
                    gc.collect()
                    memory_before = tracemalloc.get_traced_memory()[0]
            gc.collect()
            growth = tracemalloc.get_traced_memory()[0] - memory_before
        finally:
            tracemalloc.stop()
        objects_after, errors_after = len(gc.get_objects()), count_errors()
        await api.close()
        open_after = await server.wait_for_connections(0)
        tasks_after = await wait_for_task_count(baseline_tasks)

    assert yielded == 3 * RING_PASSES
    assert failures == RING_PASSES // 10
    assert server.peak_connections <= pool
    assert most_connections <= pool
    assert most_tasks <= baseline_tasks + pool  # the server's task per open connection
    assert open_after == 0
    assert tasks_after == baseline_tasks
    assert errors_after - errors_before <= 3  # at most the last error of each task
    assert objects_after - objects_before < 200  # about 10 in practice
    # 6 to 30 KiB in practice over these 1,050 requests (bounded caches that were filled
    # before tracing began reallocate); a leak of 64 bytes per request fails it.
    assert growth < 64 * 1024, f"traced memory grew by {growth} bytes"


def count_errors() -> int:
    return sum(isinstance(obj, errors.AiocaError) for obj in gc.get_objects())


async def wait_for_task_count(count: int, timeout: float = 2.0) -> int:
    deadline = time.monotonic() + timeout
    # Polled: nothing signals that the server's connection tasks have ended.
    while len(asyncio.all_tasks()) > count and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    return len(asyncio.all_tasks())


# --- no half-read connection in the pool ----------------------------------------------------------

INTERRUPTIONS = ["timeout-before-headers", "timeout-mid-body", "cancel-mid-body", "cut-body"]


@pytest.mark.parametrize("how", INTERRUPTIONS)
async def test_interrupted_request_leaves_no_half_read_connection(
    server: FaultServer, make_api: Callable[..., LoopbackApi], guard: LeakGuard, how: str
) -> None:
    # One connection only: one left checked out would block the next request for good.
    api = make_api(server, retry=NO_RETRY, connection_limit=1)
    warm = await api.request("GET", server.url("/warm"))
    fault = {
        "timeout-before-headers": Fault.slow(0.5, {"stale": True}),
        "timeout-mid-body": Fault.stalled(0.5, {"stale": True, "pad": "x" * 1000}),
        "cancel-mid-body": Fault.stalled(0.5, {"stale": True, "pad": "x" * 1000}),
        "cut-body": Fault.truncated({"stale": True}),
    }[how]
    server.script("/interrupted", [fault])
    interrupted = Call("/interrupted", timeout=0.15, api=api)

    if how == "cancel-mid-body":
        running = asyncio.create_task(interrupted.run())
        await server.wait_for_requests(1, path="/interrupted")
        await asyncio.sleep(0.05)  # the headers and half of the body have arrived
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running
    else:
        error = await run_catching(interrupted, guard)
        assert isinstance(error, errors.RequestError)

    answer = await asyncio.wait_for(api.request("GET", server.url("/after")), timeout=2)

    (before,) = server.requests_to("/interrupted")
    (after,) = server.requests_to("/after")
    assert answer == {"ok": True, "path": "/after", "method": "GET", "request": after.index}
    assert server.requests_to("/warm")[0].peer_port == before.peer_port  # a pooled connection
    assert after.peer_port != before.peer_port  # which was closed, not reused
    assert warm["path"] == "/warm"
    assert await server.wait_for_connections(1) <= 1
