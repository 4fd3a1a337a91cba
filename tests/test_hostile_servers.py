"""The request path against hostile servers and bad answers, over real HTTP on 127.0.0.1.

Each test is a scenario of the security review (issue 11): redirects to another port and
redirect loops, ``Retry-After`` of a day, infinity or an HTTP date, a gzip bomb and a body
of 100 MB (their memory cost measured in a fresh process), JSON nested 100,000 deep, a
retry policy that lists POST, and the secrets a failed signed request must not leave in
its exception, its chain or the locals of its traceback.
"""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import hmac
import json
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from aioca import PreparedRequest, RestApi, RetryPolicy, errors
from aioca.rest import DEFAULT_MAX_PAUSE, parse_retry_after

from .hostile import HostileServer

KEY = "hostile-key-4f0a8d2c"
SECRET = "hostile-secret-b71e93a0"
FAST_RETRY = RetryPolicy(attempts=3, backoff=0.01, max_backoff=0.02, total_time=5.0)
HERE = Path(__file__).resolve().parent


class SigningApi(RestApi):
    """HMAC over the query string and body, key in a header (as Binance does)."""

    exchange = "hostile"

    def __init__(self, **options: Any) -> None:
        options.setdefault("retry", FAST_RETRY)
        options.setdefault("timeout", 2.0)
        super().__init__(**options)
        self.api_key = KEY

    def sign_request(self, request: PreparedRequest) -> None:
        target = request.form if request.form is not None else request.query
        target.append(("timestamp", str(int(time.time() * 1000))))
        payload = request.query_string() + (request.body() or "")
        target.append(
            ("signature", hmac.new(SECRET.encode(), payload.encode(), hashlib.sha256).hexdigest())
        )
        request.headers["X-API-KEY"] = self.api_key


@pytest.fixture
async def make_api() -> AsyncIterator[Callable[..., SigningApi]]:
    made: list[SigningApi] = []

    def make(**options: Any) -> SigningApi:
        api = SigningApi(**options)
        made.append(api)
        return api

    yield make
    for api in made:
        await api.close()


def answer(status: int, payload: Any = None, **headers: str) -> Callable[..., Any]:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.json_response(payload if payload is not None else {}, status=status,
                                 headers=headers)  # fmt: skip

    return handler


def secrets_sent(*servers: HostileServer) -> set[str]:
    """The key, the secret, and every signature a server received."""
    found = {KEY, SECRET}
    for server in servers:
        for received in server.received:
            for text in (received.query_string, received.body.decode(errors="replace")):
                for pair in text.split("&"):
                    if pair.startswith("signature="):
                        found.add(pair.removeprefix("signature="))
    return found


def shown_by(error: BaseException) -> list[str]:
    """What an error shows to logs and error trackers: ``str`` and ``repr`` of it and of its
    chain, its attributes, and the ``repr`` of every local of every frame of every
    traceback (Sentry captures those by default)."""
    texts: list[str] = []
    seen: set[int] = set()
    pending = [error]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        texts += [str(current), repr(current), repr(vars(current))]
        pending += [e for e in (current.__cause__, current.__context__) if e is not None]
        if isinstance(current, BaseExceptionGroup):
            pending += list(current.exceptions)
        tb = current.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_filename != __file__:  # the library's frames, not ours
                texts += [f"{name}={value!r}" for name, value in tb.tb_frame.f_locals.items()]
            tb = tb.tb_next
    return texts


def assert_nothing_leaks(error: BaseException, *servers: HostileServer) -> None:
    secrets = secrets_sent(*servers)
    assert len(secrets) > 2, "the test sent no signed request"
    for text in shown_by(error):
        for secret in secrets:
            assert secret not in text, f"a secret shows in {text[:300]!r}"


# --- 1. redirects ------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_a_redirect_to_another_port_is_refused_and_never_followed(
    make_api: Callable[..., SigningApi], status: int
) -> None:
    async with HostileServer() as thief, HostileServer() as origin:

        async def handler(request: web.Request) -> web.StreamResponse:
            return web.Response(status=status, headers={"Location": thief.url("/steal?x=1")})

        origin.handler = handler
        api = make_api()
        with pytest.raises(errors.UnexpectedRedirectError) as caught:
            await api.request("POST", origin.url("/order"), data={"qty": "1"}, signed=True)

    error = caught.value
    assert thief.received == [], "the redirect was followed: the thief got the signed request"
    assert len(origin.received) == 1
    assert error.status == status
    assert error.location_host == f"127.0.0.1:{thief.port}"
    assert isinstance(error, errors.ExchangeError)
    assert "steal" not in str(error)
    assert error.__context__ is None
    assert_nothing_leaks(error, origin)


async def test_a_redirected_get_is_not_retried(make_api: Callable[..., SigningApi]) -> None:
    async with HostileServer() as origin:

        async def handler(request: web.Request) -> web.StreamResponse:
            return web.Response(status=307, headers={"Location": "/elsewhere"})

        origin.handler = handler
        with pytest.raises(errors.UnexpectedRedirectError) as caught:
            await make_api().request("GET", origin.url("/ticker"), {"s": "BTC"}, signed=True)

    assert [r.path for r in origin.received] == ["/ticker"]
    assert caught.value.location_host == f"127.0.0.1:{origin.port}"  # relative: same host
    assert_nothing_leaks(caught.value, origin)


async def test_a_redirect_loop_sends_the_order_once(make_api: Callable[..., SigningApi]) -> None:
    async with HostileServer() as origin:

        async def loop(request: web.Request) -> web.StreamResponse:
            return web.Response(status=307, headers={"Location": origin.url("/order")})

        origin.handler = loop
        with pytest.raises(errors.UnexpectedRedirectError):
            await make_api().request("POST", origin.url("/order"), data={"q": "1"}, signed=True)

    assert len(origin.received) == 1


# --- 2. Retry-After ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("120", 120.0), ("0.5", 0.5), ("0", 0.0), (" 7 ", 7.0)],
)
def test_retry_after_in_seconds_is_read(header: str, seconds: float) -> None:
    assert parse_retry_after(header) == seconds


@pytest.mark.parametrize("header", ["inf", "-inf", "nan", "1e308", "-5", "soon", "", "1e10"])
def test_retry_after_that_is_not_a_usable_number_is_ignored(header: str) -> None:
    assert parse_retry_after(header) is None


def test_retry_after_as_an_http_date_is_seconds_until_then() -> None:
    now = 1_800_000_000.0
    assert parse_retry_after(email.utils.formatdate(now + 3600, usegmt=True), now) == 3600
    assert parse_retry_after(email.utils.formatdate(now - 60, usegmt=True), now) == 0
    assert parse_retry_after("Mon, 99 Foo 2026 99:00:00 GMT", now) is None


@pytest.mark.parametrize("form", ["seconds", "http-date"])
async def test_a_huge_retry_after_is_capped_and_later_requests_fail_fast(
    make_api: Callable[..., SigningApi], form: str
) -> None:
    day = 86400
    retry_after = (
        str(day) if form == "seconds" else email.utils.formatdate(time.time() + day, usegmt=True)
    )
    async with HostileServer() as server:
        server.handler = answer(429, {"msg": "slow down"}, **{"Retry-After": retry_after})
        api = make_api(timeout=2.0)
        with pytest.raises(errors.RateLimitError) as first:
            await api.request("GET", server.url("/ticker"))
        assert first.value.retry_after == pytest.approx(86400, abs=5)
        assert len(server.received) == 1  # a pause of a day is not waited out by a retry

        status = api.rate_limit_status()[f"127.0.0.1:{server.port}"]
        assert status.paused_until is not None
        assert status.paused_until - time.time() == pytest.approx(DEFAULT_MAX_PAUSE, abs=5)

        server.handler = None
        started = time.monotonic()
        with pytest.raises(errors.RateLimitError) as second:
            await api.request("GET", server.url("/cancel"))
        waited = time.monotonic() - started

    assert waited < 0.5, "a request that cannot be sent within its timeout must fail at once"
    assert len(server.received) == 1  # nothing more was sent
    error = second.value
    assert error.retry_after == pytest.approx(DEFAULT_MAX_PAUSE, abs=5)
    assert f"127.0.0.1:{server.port}" in str(error)
    assert error.task_name is None
    assert error.url == server.url("/cancel")


async def test_max_pause_bounds_the_pause_and_requests_resume_after_it(
    make_api: Callable[..., SigningApi],
) -> None:
    async with HostileServer() as server:
        server.handler = answer(429, {}, **{"Retry-After": "86400"})
        api = make_api(max_pause=0.3, timeout=2.0, retry=RetryPolicy(attempts=1))
        with pytest.raises(errors.RateLimitError):
            await api.request("GET", server.url("/a"))
        server.handler = None
        started = time.monotonic()
        assert await api.request("GET", server.url("/b")) == {"ok": True, "path": "/b"}
        waited = time.monotonic() - started

    assert 0.2 < waited < 1.0


@pytest.mark.parametrize("retry_after", ["inf", "1e308", "nan", "-1"])
async def test_a_non_finite_retry_after_pauses_for_the_default_second(
    make_api: Callable[..., SigningApi], retry_after: str
) -> None:
    async with HostileServer() as server:
        server.handler = answer(429, {}, **{"Retry-After": retry_after})
        api = make_api(timeout=3.0, retry=RetryPolicy(attempts=1))
        with pytest.raises(errors.RateLimitError) as caught:
            await api.request("GET", server.url("/a"))
        assert caught.value.retry_after is None
        server.handler = None
        started = time.monotonic()
        await api.request("GET", server.url("/b"))
        waited = time.monotonic() - started

    assert 0.8 < waited < 1.6


def test_max_pause_must_be_finite() -> None:
    with pytest.raises(ValueError, match="max_pause"):
        SigningApi(max_pause=float("inf"))


# --- 3. response size --------------------------------------------------------------------------


def run_memory_probe(kind: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, str(HERE / "hostile.py"), kind],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=HERE.parent,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_a_gzip_bomb_stops_at_the_cap_without_inflating() -> None:
    # About 1 MB on the wire that inflates to 1 GiB: without a cap, reading it would need
    # more than 1 GiB (the review measured a peak of 3.1 GB).
    result = run_memory_probe("gzip-bomb")
    assert result["bomb_bytes"] < 1_100_000
    assert result["error"] == "ResponseTooLargeError"
    assert result["peak_rss_growth_mib"] < 80, result
    assert result["follow_up"] == {"ok": True, "path": "/next"}


def test_a_100_mb_body_without_length_is_cut_at_the_cap() -> None:
    result = run_memory_probe("plain-body")
    assert result["error"] == "ResponseTooLargeError"
    assert result["peak_rss_growth_mib"] < 80, result
    assert result["follow_up"] == {"ok": True, "path": "/next"}


def test_a_declared_100_mb_body_is_refused_before_reading() -> None:
    result = run_memory_probe("declared-body")
    assert result["error"] == "ResponseTooLargeError"
    assert result["peak_rss_growth_mib"] < 10, result


async def test_a_body_at_the_cap_is_read_and_one_byte_more_is_not(
    make_api: Callable[..., SigningApi],
) -> None:
    body = json.dumps({"data": "x" * 1000}).encode()

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        await response.write(body)
        return response

    async with HostileServer(handler) as server:
        exact = make_api(max_response_bytes=len(body))
        assert await exact.request("GET", server.url("/a")) == {"data": "x" * 1000}
        short = make_api(max_response_bytes=len(body) - 1)
        with pytest.raises(errors.ResponseTooLargeError) as caught:
            await short.request("GET", server.url("/a"))

    assert caught.value.limit == len(body) - 1
    assert isinstance(caught.value, errors.InvalidResponseError)


# --- 5. decoding -------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [200, 400])
async def test_json_nested_100000_deep_is_an_invalid_response_not_a_recursion_error(
    make_api: Callable[..., SigningApi], status: int
) -> None:
    nested = b"[" * 100_000 + b"]" * 100_000

    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(body=nested, status=status, content_type="application/json")

    async with HostileServer(handler) as server:
        api = make_api(json_loads=json.loads)
        with pytest.raises(errors.RequestError) as caught:
            await api.request("GET", server.url("/deep"))

    if status == 200:
        assert type(caught.value) is errors.InvalidResponseError
        assert "nested too deeply" in str(caught.value)
    else:
        assert type(caught.value) is errors.BadRequestError


# --- 4. retries never resend what is not idempotent --------------------------------------------


async def test_a_policy_listing_post_does_not_resend_an_undeclared_post(
    make_api: Callable[..., SigningApi],
) -> None:
    async with HostileServer(answer(503, {"msg": "busy"})) as server:
        api = make_api(retry=RetryPolicy(methods=frozenset({"GET", "POST"}), backoff=0.01))
        with pytest.raises(errors.ExchangeServerError):
            await api.request("POST", server.url("/order"), data={"q": "1"}, signed=True)

    assert len(server.received) == 1


async def test_an_order_endpoint_is_never_resent_even_if_declared_idempotent(
    make_api: Callable[..., SigningApi],
) -> None:
    async with HostileServer(answer(503, {"msg": "busy"})) as server:
        api = make_api(retry=RetryPolicy(methods=frozenset({"GET", "DELETE"}), backoff=0.01))
        with pytest.raises(errors.ExchangeServerError):
            await api.request(
                "DELETE", server.url("/order"), signed=True, idempotent=True, changes_orders=True
            )
        with pytest.raises(errors.ExchangeServerError):
            await api.request("POST", server.url("/listen"), idempotent=True)

    assert [r.path for r in server.received] == ["/order", "/listen", "/listen", "/listen"]


def test_the_retry_rule() -> None:
    policy = RetryPolicy(methods=frozenset({"GET", "POST", "DELETE"}))
    assert policy.may_retry("GET")
    assert policy.may_retry("DELETE")
    assert not policy.may_retry("POST")
    assert policy.may_retry("POST", idempotent=True)
    assert not policy.may_retry("GET", idempotent=False)
    assert not policy.may_retry("GET", changes_orders=True)
    assert not policy.may_retry("POST", idempotent=True, changes_orders=True)


# --- 11. secrets -------------------------------------------------------------------------------


async def test_a_dropped_signed_request_leaves_no_secret_in_its_error_or_traceback(
    make_api: Callable[..., SigningApi],
) -> None:
    async def drop(request: web.Request) -> web.StreamResponse:
        assert request.transport is not None
        request.transport.close()
        return web.Response()

    async with HostileServer(drop) as server:
        with pytest.raises(errors.NetworkError) as caught:
            await make_api(retry=RetryPolicy(attempts=1)).request(
                "GET", server.url("/account"), {"symbol": "BTC"}, signed=True
            )

    assert caught.value.__context__ is None
    assert caught.value.__cause__ is None
    assert_nothing_leaks(caught.value, server)


async def test_a_timed_out_signed_post_leaves_no_secret_in_its_error_or_traceback(
    make_api: Callable[..., SigningApi],
) -> None:
    async def hang(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(5)
        return web.Response()

    async with HostileServer(hang) as server:
        with pytest.raises(errors.RequestTimeoutError) as caught:
            # 1 s: long enough for the server to have read the request (and so to know
            # its signature) on a loaded machine; 0.2 s was not, once, in a full run
            await make_api(timeout=1.0, retry=RetryPolicy(attempts=1)).request(
                "POST", server.url("/order"), data={"q": "1"}, signed=True
            )

    assert caught.value.__context__ is None
    assert_nothing_leaks(caught.value, server)
