"""Tests of ``aioca.RestApi``: parameter encoding, signing, bodies, error mapping, secrecy
of credentials, task names, session lifecycle and timeouts.

Most tests mock aiohttp with ``aioresponses``. aioresponses records each request under a
*normalized* URL (its query sorted by name), so the tests about the exact order and bytes
of the query string, and about the signature computed over it, use a real aiohttp server
on 127.0.0.1 instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import hmac
import json
import re
import threading
import time
import warnings
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from aioresponses import aioresponses
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

import aioca
from aioca import errors
from aioca.request import RequestPlan
from aioca.rest import PreparedRequest, Response, RestApi

BASE = "https://api.testex.invalid"
ORDER_URL = f"{BASE}/api/v3/order"
ANY_URL = re.compile(r"^https://api\.testex\.invalid/.*$")
API_KEY = "test-api-key-7c1e5b"
SECRET = "test-api-secret-4f9a2d"
SIGNATURE_HEADER = "X-TESTEX-APIKEY"
BINANCE_ERROR = {"code": -1121, "msg": "Invalid symbol."}


def hmac_hex(secret: str, text: str) -> str:
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


class FakeExchangeApi(RestApi):
    """A minimal exchange: signs the query string with HMAC-SHA256, Binance style."""

    exchange = "testex"

    def __init__(self, *, api_key: str = API_KEY, api_secret: str = SECRET, **options: Any) -> None:
        # One attempt: these tests map single responses; retries are tested on their own.
        options.setdefault("retry", aioca.RetryPolicy(attempts=1))
        super().__init__(**options)
        self.api_key = api_key
        self._api_secret = api_secret
        self.signatures: list[str] = []
        self.sent_urls: list[str] = []
        self.sign_calls = 0

    def sign_request(self, request: PreparedRequest) -> None:
        self.sign_calls += 1
        signature = hmac_hex(self._api_secret, request.query_string())
        request.query.append(("signature", signature))
        request.headers[SIGNATURE_HEADER] = self.api_key
        self.signatures.append(signature)
        self.sent_urls.append(request.full_url())


class GetTask(aioca.Task):
    """A task that GETs ``url`` with ``params`` through its API."""

    exchange = "testex"

    def __init__(
        self, url: str, params: dict[str, Any] | None = None, *, api: RestApi | None = None
    ) -> None:
        super().__init__(api=api)
        self.url = url
        self.params = params

    async def __call__(self) -> Any:
        return await self.api.request("GET", self.url, self.params)


@pytest.fixture
async def api() -> AsyncIterator[FakeExchangeApi]:
    api = FakeExchangeApi()
    yield api
    await api.close()


def only_request(m: aioresponses) -> tuple[str, URL, dict[str, Any]]:
    """The one request aioresponses saw: method, normalized URL and the call's kwargs."""
    assert len(m.requests) == 1
    (method, url), calls = next(iter(m.requests.items()))
    assert len(calls) == 1
    return method, url, calls[0].kwargs


# --- a real server on 127.0.0.1 ------------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    """A request as the server received it."""

    method: str
    path: str
    query_string: str  # raw, as sent (still percent-encoded)
    headers: dict[str, str]
    body: bytes
    peer_port: int


class RecordingServer:
    """Answers every request with ``{"ok": true, "path": ...}`` and records what it got."""

    def __init__(self) -> None:
        self.seen: list[Seen] = []
        self.app = web.Application()
        self.app.router.add_route("*", "/{tail:.*}", self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        peer = request.transport.get_extra_info("peername") if request.transport else None
        self.seen.append(
            Seen(
                method=request.method,
                path=request.path,
                query_string=request.raw_path.partition("?")[2],
                headers=dict(request.headers),
                body=await request.read(),
                peer_port=peer[1] if peer else -1,
            )
        )
        return web.json_response({"ok": True, "path": request.path})


@pytest.fixture
async def server() -> AsyncIterator[tuple[RecordingServer, TestServer]]:
    recorder = RecordingServer()
    async with TestServer(recorder.app, host="127.0.0.1") as test_server:
        yield recorder, test_server


class ThreadedServer:
    """A ``RecordingServer`` on 127.0.0.1, served by a thread with its own event loop, so
    that a plain (non-async) test can run the synchronous operator against it."""

    def __init__(self) -> None:
        self.recorder = RecordingServer()
        self.port = 0
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="aioca-test-server", daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _main(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:
            self._error = exc
        finally:
            self._ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        runner = web.AppRunner(self.recorder.app, shutdown_timeout=2.0)
        await runner.setup()
        try:
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            self.port = runner.addresses[0][1]
            self._ready.set()
            await asyncio.wait_for(self._stop.wait(), timeout=60)
        finally:
            await runner.cleanup()

    def __enter__(self) -> ThreadedServer:
        self._thread.start()
        if not self._ready.wait(timeout=10):
            raise RuntimeError("the test server did not start within 10 s")
        if self._error is not None:
            raise self._error
        return self

    def __exit__(self, *exc_info: object) -> None:
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and self._thread.is_alive():
            with contextlib.suppress(RuntimeError):  # its loop may have closed already
                loop.call_soon_threadsafe(stop.set)
        self._thread.join(timeout=10)
        assert not self._thread.is_alive(), "the test server thread did not stop"
        if self._error is not None:
            raise self._error


# --- GET, parameters and their encoding ------------------------------------------------------


async def test_get_returns_decoded_json(api: FakeExchangeApi, aioca_mock: aioresponses) -> None:
    aioca_mock.get(ANY_URL, payload={"symbol": "BTCUSDT", "price": "42000.00"})

    result = await api.request("GET", f"{BASE}/api/v3/ticker/price", {"symbol": "BTCUSDT"})

    assert result == {"symbol": "BTCUSDT", "price": "42000.00"}


async def test_get_sends_params_in_query_string(
    api: FakeExchangeApi, aioca_mock: aioresponses
) -> None:
    aioca_mock.get(ANY_URL, payload={})

    await api.request("GET", f"{BASE}/api/v3/depth", {"symbol": "BTCUSDT", "limit": 5})

    method, url, _ = only_request(aioca_mock)
    assert method == "GET"
    assert url.path == "/api/v3/depth"
    assert dict(url.query) == {"symbol": "BTCUSDT", "limit": "5"}


async def test_method_is_sent_upper_case(api: FakeExchangeApi, aioca_mock: aioresponses) -> None:
    aioca_mock.delete(ANY_URL, payload={})

    await api.request("delete", ORDER_URL, {"orderId": 1})

    method, _, _ = only_request(aioca_mock)
    assert method == "DELETE"


async def test_none_params_are_dropped(api: FakeExchangeApi, aioca_mock: aioresponses) -> None:
    aioca_mock.get(ANY_URL, payload={})

    await api.request("GET", ORDER_URL, {"symbol": "BTCUSDT", "orderId": None})

    _, url, _ = only_request(aioca_mock)
    assert "orderId" not in url.query
    assert url.query["symbol"] == "BTCUSDT"


@pytest.mark.parametrize(("value", "text"), [(True, "true"), (False, "false")])
async def test_bool_params_are_encoded_lowercase(
    api: FakeExchangeApi, aioca_mock: aioresponses, value: bool, text: str
) -> None:
    aioca_mock.get(ANY_URL, payload={})

    await api.request("GET", ORDER_URL, {"isIsolated": value})

    _, url, _ = only_request(aioca_mock)
    assert url.query["isIsolated"] == text


async def test_small_float_is_encoded_without_exponent(
    api: FakeExchangeApi, aioca_mock: aioresponses
) -> None:
    aioca_mock.get(ANY_URL, payload={})

    await api.request("GET", ORDER_URL, {"price": 1e-07})

    _, url, _ = only_request(aioca_mock)
    assert url.query["price"] == "0.0000001"


async def test_decimal_is_encoded_in_plain_notation(
    api: FakeExchangeApi, aioca_mock: aioresponses
) -> None:
    aioca_mock.get(ANY_URL, payload={})

    await api.request("GET", ORDER_URL, {"quantity": Decimal("1E-8"), "total": Decimal("1E+3")})

    _, url, _ = only_request(aioca_mock)
    assert url.query["quantity"] == "0.00000001"
    assert url.query["total"] == "1000"


async def test_query_on_the_wire_keeps_given_order_and_encoding(
    server: tuple[RecordingServer, TestServer],
) -> None:
    recorder, test_server = server
    params = [
        ("symbol", "BTCUSDT"),
        ("side", "BUY"),
        ("orderId", None),
        ("postOnly", True),
        ("price", 1e-07),
        ("quantity", Decimal("1E-8")),
        ("tag", "a b/c"),
    ]

    async with FakeExchangeApi() as api:
        await api.request("GET", str(test_server.make_url("/api/v3/order")), params)

    assert [seen.query_string for seen in recorder.seen] == [
        "symbol=BTCUSDT&side=BUY&postOnly=true&price=0.0000001&quantity=0.00000001&tag=a+b%2Fc"
    ]


async def test_repeated_params_are_all_sent_in_order(
    server: tuple[RecordingServer, TestServer],
) -> None:
    recorder, test_server = server

    async with FakeExchangeApi() as api:
        await api.request(
            "GET", str(test_server.make_url("/multi")), [("id", 3), ("id", 1), ("id", 2)]
        )

    assert recorder.seen[0].query_string == "id=3&id=1&id=2"


async def test_request_without_params_has_no_query(
    server: tuple[RecordingServer, TestServer],
) -> None:
    recorder, test_server = server

    async with FakeExchangeApi() as api:
        result = await api.request("GET", str(test_server.make_url("/api/v3/ping")))

    assert result == {"ok": True, "path": "/api/v3/ping"}
    assert recorder.seen[0].query_string == ""


# --- signing -------------------------------------------------------------------------------


async def test_unsigned_request_is_not_signed(
    api: FakeExchangeApi, aioca_mock: aioresponses
) -> None:
    aioca_mock.get(ANY_URL, payload={})

    await api.request("GET", ORDER_URL, {"symbol": "BTCUSDT"})

    _, url, kwargs = only_request(aioca_mock)
    assert api.sign_calls == 0
    assert "signature" not in url.query
    assert SIGNATURE_HEADER not in kwargs["headers"]


async def test_signed_request_calls_sign_request_once(
    api: FakeExchangeApi, aioca_mock: aioresponses
) -> None:
    aioca_mock.get(ANY_URL, payload={})

    await api.request("GET", ORDER_URL, {"symbol": "BTCUSDT"}, signed=True)

    _, url, kwargs = only_request(aioca_mock)
    assert api.sign_calls == 1
    assert url.query["signature"] == api.signatures[0]
    assert kwargs["headers"][SIGNATURE_HEADER] == API_KEY


async def test_signature_covers_exactly_the_query_sent(
    server: tuple[RecordingServer, TestServer],
) -> None:
    recorder, test_server = server
    params = {"symbol": "BTCUSDT", "side": "SELL", "price": 1e-07, "newClientOrderId": None}

    async with FakeExchangeApi() as api:
        await api.request("POST", str(test_server.make_url("/api/v3/order")), params, signed=True)

    sent = recorder.seen[0].query_string
    unsigned, _, signature = sent.rpartition("&signature=")
    assert unsigned == "symbol=BTCUSDT&side=SELL&price=0.0000001"
    assert signature == hmac_hex(SECRET, unsigned)
    assert recorder.seen[0].headers[SIGNATURE_HEADER] == API_KEY


# --- bodies ----------------------------------------------------------------------------------


async def test_data_is_sent_as_form_body(api: FakeExchangeApi, aioca_mock: aioresponses) -> None:
    aioca_mock.post(ANY_URL, payload={"orderId": 7})

    result = await api.request(
        "POST",
        ORDER_URL,
        data={"symbol": "BTCUSDT", "quantity": Decimal("0.5"), "note": None, "test": True},
    )

    _, url, kwargs = only_request(aioca_mock)
    assert result == {"orderId": 7}
    assert not url.query
    assert kwargs["data"] == b"symbol=BTCUSDT&quantity=0.5&test=true"
    assert kwargs["headers"]["Content-Type"] == "application/x-www-form-urlencoded"


async def test_json_body_is_sent_as_json(api: FakeExchangeApi, aioca_mock: aioresponses) -> None:
    aioca_mock.post(ANY_URL, payload={"ok": True})

    await api.request("POST", ORDER_URL, json_body={"symbol": "BTCUSDT", "qty": [1, 2]})

    _, _, kwargs = only_request(aioca_mock)
    assert json.loads(kwargs["data"]) == {"symbol": "BTCUSDT", "qty": [1, 2]}
    assert kwargs["headers"]["Content-Type"] == "application/json"


async def test_request_without_body_sends_no_data(
    api: FakeExchangeApi, aioca_mock: aioresponses
) -> None:
    aioca_mock.get(ANY_URL, payload={})

    await api.request("GET", ORDER_URL)

    _, _, kwargs = only_request(aioca_mock)
    assert kwargs["data"] is None
    assert "Content-Type" not in kwargs["headers"]


async def test_form_body_arrives_at_server(server: tuple[RecordingServer, TestServer]) -> None:
    recorder, test_server = server

    async with FakeExchangeApi() as api:
        await api.request("PUT", str(test_server.make_url("/form")), data=[("b", 2), ("a", 1)])

    seen = recorder.seen[0]
    assert seen.method == "PUT"
    assert seen.body == b"b=2&a=1"
    assert seen.headers["Content-Type"] == "application/x-www-form-urlencoded"


async def test_caller_headers_are_sent(api: FakeExchangeApi, aioca_mock: aioresponses) -> None:
    aioca_mock.get(ANY_URL, payload={})

    await api.request("GET", ORDER_URL, headers={"X-Extra": "yes"})

    _, _, kwargs = only_request(aioca_mock)
    assert kwargs["headers"]["X-Extra"] == "yes"


# --- User-Agent --------------------------------------------------------------------------------


async def test_user_agent_names_aioca_and_its_version(
    api: FakeExchangeApi, aioca_mock: aioresponses
) -> None:
    aioca_mock.get(ANY_URL, payload={})

    await api.request("GET", ORDER_URL)

    _, _, kwargs = only_request(aioca_mock)
    assert f"aioca/{aioca.__version__}" in kwargs["headers"]["User-Agent"]


async def test_user_agent_reaches_the_server(server: tuple[RecordingServer, TestServer]) -> None:
    recorder, test_server = server

    async with FakeExchangeApi() as api:
        await api.request("GET", str(test_server.make_url("/ua")))

    assert recorder.seen[0].headers["User-Agent"].startswith(f"aioca/{aioca.__version__} ")


async def test_user_agent_can_be_replaced(aioca_mock: aioresponses) -> None:
    aioca_mock.get(ANY_URL, payload={})

    async with FakeExchangeApi(user_agent="my-bot/2.0") as api:
        await api.request("GET", ORDER_URL)

    _, _, kwargs = only_request(aioca_mock)
    assert kwargs["headers"]["User-Agent"] == "my-bot/2.0"


# --- error mapping -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (400, errors.BadRequestError),
        (401, errors.AuthenticationError),
        (403, errors.AuthenticationError),
        (404, errors.BadRequestError),
        (429, errors.RateLimitError),
        (500, errors.ExchangeServerError),
        (502, errors.ExchangeServerError),
        (503, errors.ExchangeServerError),
    ],
)
async def test_error_status_maps_to_exception_class(
    api: FakeExchangeApi,
    aioca_mock: aioresponses,
    status: int,
    error_class: type[errors.ExchangeError],
) -> None:
    aioca_mock.get(ANY_URL, status=status, payload=BINANCE_ERROR)

    with pytest.raises(errors.ExchangeError) as exc_info:
        await api.request("GET", ORDER_URL, {"symbol": "NOPE"})

    assert type(exc_info.value) is error_class
    assert exc_info.value.status == status


async def test_429_carries_retry_after_seconds(
    api: FakeExchangeApi, aioca_mock: aioresponses
) -> None:
    aioca_mock.get(
        ANY_URL,
        status=429,
        payload={"code": -1003, "msg": "Too many requests"},
        headers={"Retry-After": "7"},
    )

    with pytest.raises(errors.RateLimitError) as exc_info:
        await api.request("GET", ORDER_URL)

    assert type(exc_info.value) is errors.RateLimitError
    assert exc_info.value.retry_after == 7.0
    assert exc_info.value.code == -1003


async def test_418_is_an_ip_ban_with_the_time_it_lifts(
    api: FakeExchangeApi, aioca_mock: aioresponses
) -> None:
    aioca_mock.get(
        ANY_URL,
        status=418,
        payload={"code": -1003, "msg": "IP banned"},
        headers={"Retry-After": "120"},
    )
    before = time.time()

    with pytest.raises(errors.IPBannedError) as exc_info:
        await api.request("GET", ORDER_URL)

    error = exc_info.value
    assert isinstance(error, errors.RateLimitError)
    assert error.retry_after == 120.0
    assert error.until is not None
    assert before + 120 <= error.until <= time.time() + 120


@pytest.mark.parametrize("header", [None, "soon", "-5"])
async def test_unusable_retry_after_is_left_unknown(
    api: FakeExchangeApi, aioca_mock: aioresponses, header: str | None
) -> None:
    headers = {"Retry-After": header} if header is not None else {}
    aioca_mock.get(ANY_URL, status=429, payload={}, headers=headers)

    with pytest.raises(errors.RateLimitError) as exc_info:
        await api.request("GET", ORDER_URL)

    assert exc_info.value.retry_after is None


async def test_unmapped_4xx_status_is_plain_exchange_error(
    api: FakeExchangeApi, aioca_mock: aioresponses
) -> None:
    aioca_mock.get(ANY_URL, status=409, payload=BINANCE_ERROR)

    with pytest.raises(errors.ExchangeError) as exc_info:
        await api.request("GET", ORDER_URL)

    assert type(exc_info.value) is errors.ExchangeError
    assert exc_info.value.status == 409


async def test_bad_request_carries_code_msg_and_status(
    api: FakeExchangeApi, aioca_mock: aioresponses
) -> None:
    aioca_mock.get(ANY_URL, status=400, payload=BINANCE_ERROR)

    with pytest.raises(errors.BadRequestError) as exc_info:
        await api.request("GET", ORDER_URL, {"symbol": "NOPE"})

    error = exc_info.value
    assert error.code == -1121
    assert error.msg == "Invalid symbol."
    assert error.status == 400
    assert "HTTP 400: [-1121] Invalid symbol." in str(error)


async def test_error_carries_exchange_task_name_method_and_url(
    api: FakeExchangeApi, aioca_mock: aioresponses
) -> None:
    aioca_mock.post(ANY_URL, status=400, payload=BINANCE_ERROR)

    with pytest.raises(errors.BadRequestError) as exc_info:
        await api.request("POST", ORDER_URL, {"symbol": "NOPE"}, task_name="PlaceOrder(NOPE)")

    error = exc_info.value
    assert error.exchange == "testex"
    assert error.task_name == "PlaceOrder(NOPE)"
    assert error.method == "POST"
    assert error.url == ORDER_URL
    assert "exchange=testex" in str(error)
    assert "task=PlaceOrder(NOPE)" in str(error)


async def test_error_url_has_no_query_string(
    api: FakeExchangeApi, aioca_mock: aioresponses
) -> None:
    aioca_mock.get(ANY_URL, status=400, payload=BINANCE_ERROR)

    with pytest.raises(errors.BadRequestError) as exc_info:
        await api.request("GET", ORDER_URL, {"symbol": "NOPE"}, signed=True)

    assert exc_info.value.url == ORDER_URL
    assert "?" not in str(exc_info.value)
    assert "symbol=NOPE" not in str(exc_info.value)


async def test_error_message_falls_back_to_message_key(
    api: FakeExchangeApi, aioca_mock: aioresponses
) -> None:
    aioca_mock.get(
        ANY_URL, status=401, payload={"code": "50111", "message": "Invalid OK-ACCESS-KEY"}
    )

    with pytest.raises(errors.AuthenticationError) as exc_info:
        await api.request("GET", ORDER_URL)

    assert exc_info.value.code == "50111"
    assert exc_info.value.msg == "Invalid OK-ACCESS-KEY"


async def test_html_error_page_is_server_error_not_decode_error(
    api: FakeExchangeApi, aioca_mock: aioresponses
) -> None:
    page = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    aioca_mock.get(ANY_URL, status=502, body=page, content_type="text/html")

    with pytest.raises(errors.AiocaError) as exc_info:
        await api.request("GET", ORDER_URL)

    error = exc_info.value
    assert type(error) is errors.ExchangeServerError
    assert not isinstance(error, ValueError)
    assert error.status == 502
    assert error.code is None
    assert "502 Bad Gateway" in str(error)


async def test_empty_error_body_still_gives_a_message(
    api: FakeExchangeApi, aioca_mock: aioresponses
) -> None:
    aioca_mock.get(ANY_URL, status=503, body="")

    with pytest.raises(errors.ExchangeServerError) as exc_info:
        await api.request("GET", ORDER_URL)

    assert exc_info.value.status == 503
    assert "empty body" in str(exc_info.value)


@pytest.mark.parametrize("body", ["<html>maintenance</html>", "not json at all"])
async def test_ok_status_with_non_json_body_is_invalid_response(
    api: FakeExchangeApi, aioca_mock: aioresponses, body: str
) -> None:
    aioca_mock.get(ANY_URL, status=200, body=body, content_type="text/html")

    with pytest.raises(errors.InvalidResponseError) as exc_info:
        await api.request("GET", ORDER_URL)

    error = exc_info.value
    assert error.status == 200
    assert error.body == body
    assert body in str(error)
    assert error.exchange == "testex"


async def test_ok_status_with_empty_body_is_invalid_response(
    api: FakeExchangeApi, aioca_mock: aioresponses
) -> None:
    aioca_mock.get(ANY_URL, status=200, body="")

    with pytest.raises(errors.InvalidResponseError) as exc_info:
        await api.request("GET", ORDER_URL)

    assert exc_info.value.status == 200
    assert exc_info.value.body == ""
    assert "empty body" in str(exc_info.value)


async def test_invalid_response_body_excerpt_is_bounded(
    api: FakeExchangeApi, aioca_mock: aioresponses
) -> None:
    aioca_mock.get(ANY_URL, status=200, body="x" * 5000, content_type="text/plain")

    with pytest.raises(errors.InvalidResponseError) as exc_info:
        await api.request("GET", ORDER_URL)

    assert exc_info.value.body.startswith("xxxx")
    assert len(exc_info.value.body) < 300
    assert len(str(exc_info.value)) < 600


# --- transport failures ------------------------------------------------------------------------


async def test_connection_error_is_network_error(
    api: FakeExchangeApi, aioca_mock: aioresponses
) -> None:
    aioca_mock.get(ANY_URL, exception=aiohttp.ClientConnectionError("connection reset by peer"))

    with pytest.raises(errors.NetworkError) as exc_info:
        await api.request("GET", ORDER_URL, {"symbol": "BTCUSDT"})

    error = exc_info.value
    assert not isinstance(error, errors.RequestTimeoutError)
    assert "ClientConnectionError" in str(error)
    assert "connection reset by peer" in str(error)
    assert error.exchange == "testex"
    assert error.url == ORDER_URL


async def test_refused_connection_is_network_error() -> None:
    async with FakeExchangeApi() as api:
        with pytest.raises(errors.NetworkError) as exc_info:
            await api.request("GET", "http://127.0.0.1:1/api/v3/ping", {"a": 1})

    assert exc_info.value.url == "http://127.0.0.1:1/api/v3/ping"


async def test_timeout_is_request_timeout_error(
    api: FakeExchangeApi, aioca_mock: aioresponses
) -> None:
    aioca_mock.get(ANY_URL, exception=TimeoutError())

    with pytest.raises(errors.RequestTimeoutError) as exc_info:
        await api.request("GET", ORDER_URL, task_name="Slow()")

    error = exc_info.value
    assert isinstance(error, TimeoutError)
    assert isinstance(error, errors.NetworkError)
    assert error.task_name == "Slow()"
    assert error.method == "GET"


async def test_slow_server_times_out_as_builtin_timeout_error() -> None:
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(5)
        return web.json_response({})

    app = web.Application()
    app.router.add_get("/slow", slow)
    async with TestServer(app, host="127.0.0.1") as test_server, FakeExchangeApi() as api:
        with pytest.raises(TimeoutError):
            await api.request("GET", str(test_server.make_url("/slow")), timeout=0.2)


# --- secrets -------------------------------------------------------------------------------------

FAILURES: dict[str, dict[str, Any]] = {
    "bad-request": {"status": 400, "payload": BINANCE_ERROR},
    "auth": {"status": 401, "payload": {"code": -2015, "msg": "Invalid API-key."}},
    "html-502": {"status": 502, "body": "<html>Bad Gateway</html>", "content_type": "text/html"},
    "not-json": {"status": 200, "body": "<html>oops</html>", "content_type": "text/html"},
    "timeout": {"exception": TimeoutError()},
    "connection": {"exception": aiohttp.ClientConnectionError("connection reset")},
}


def assert_no_secrets(text: str, api: FakeExchangeApi) -> None:
    assert SECRET not in text
    assert api.signatures, "the request was not signed"
    for signature in api.signatures:
        assert signature not in text


@pytest.mark.parametrize("failure", sorted(FAILURES))
async def test_exceptions_never_show_secret_or_signature(
    api: FakeExchangeApi, aioca_mock: aioresponses, failure: str
) -> None:
    aioca_mock.post(ANY_URL, **FAILURES[failure])

    with pytest.raises(errors.RequestError) as exc_info:
        await api.request("POST", ORDER_URL, {"symbol": "BTCUSDT"}, signed=True)

    assert_no_secrets(str(exc_info.value), api)
    assert_no_secrets(repr(exc_info.value), api)


async def test_transport_error_quoting_the_signed_url_is_scrubbed(
    api: FakeExchangeApi, aioca_mock: aioresponses
) -> None:
    def refuse(url: URL, **kwargs: Any) -> None:
        # aiohttp's own errors quote the URL they were given, query and all.
        raise aiohttp.ClientConnectionError(f"Cannot connect to {api.sent_urls[-1]}")

    aioca_mock.get(ANY_URL, callback=refuse)

    with pytest.raises(errors.NetworkError) as exc_info:
        await api.request("GET", ORDER_URL, {"symbol": "BTCUSDT"}, signed=True)

    assert "signature=" in api.sent_urls[-1]
    assert_no_secrets(str(exc_info.value), api)
    assert f"Cannot connect to {ORDER_URL}" in str(exc_info.value)


async def test_repr_never_shows_credentials(api: FakeExchangeApi, aioca_mock: aioresponses) -> None:
    aioca_mock.get(ANY_URL, payload={})
    before = repr(api)

    await api.request("GET", ORDER_URL, {"symbol": "BTCUSDT"}, signed=True)

    for text in (before, repr(api)):
        assert_no_secrets(text, api)
        assert API_KEY not in text
        assert "testex" in text


async def _garbage_http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readuntil(b"\r\n\r\n")
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n{}")
    await writer.drain()
    writer.close()
    await writer.wait_closed()


@pytest.mark.parametrize("path", ["/x", ""], ids=["with-path", "pathless"])
async def test_malformed_response_is_network_error_without_secrets(path: str) -> None:
    # aiohttp spells a pathless URL with a "/" in its error text: the query must go anyway.
    garbage = await asyncio.start_server(_garbage_http, "127.0.0.1", 0)
    port = garbage.sockets[0].getsockname()[1]
    try:
        async with FakeExchangeApi() as api:
            with pytest.raises(errors.NetworkError) as exc_info:
                await api.request("GET", f"http://127.0.0.1:{port}{path}", {"a": 1}, signed=True)
    finally:
        garbage.close()
        await garbage.wait_closed()

    assert_no_secrets(str(exc_info.value), api)


# --- task names and tasks ------------------------------------------------------------------------


async def test_task_name_defaults_to_running_task(
    api: FakeExchangeApi, aioca_mock: aioresponses
) -> None:
    aioca_mock.get(ANY_URL, status=400, payload=BINANCE_ERROR)
    task = GetTask(ORDER_URL, {"symbol": "NOPE"}, api=api)

    with pytest.raises(errors.BadRequestError) as exc_info:
        await task.run()

    assert exc_info.value.task_name == str(task)
    assert task.exception is exc_info.value


async def test_explicit_task_name_wins_over_running_task(
    aioca_mock: aioresponses, api: FakeExchangeApi
) -> None:
    aioca_mock.get(ANY_URL, status=400, payload=BINANCE_ERROR)

    async def call() -> Any:
        return await api.request("GET", ORDER_URL, task_name="explicit")

    with pytest.raises(errors.BadRequestError) as exc_info:
        await aioca.FunctionTask(call, name="running").run()

    assert exc_info.value.task_name == "explicit"


async def test_task_name_is_none_outside_a_task(
    api: FakeExchangeApi, aioca_mock: aioresponses
) -> None:
    aioca_mock.get(ANY_URL, status=400, payload=BINANCE_ERROR)

    with pytest.raises(errors.BadRequestError) as exc_info:
        await api.request("GET", ORDER_URL)

    assert exc_info.value.task_name is None
    assert "task=" not in str(exc_info.value)


async def test_task_result_is_the_decoded_json(
    api: FakeExchangeApi, aioca_mock: aioresponses
) -> None:
    aioca_mock.get(ANY_URL, payload={"price": "1.5"})
    task = GetTask(ORDER_URL, {"symbol": "BTCUSDT"}, api=api)

    assert await task.run() == {"price": "1.5"}
    assert task.result == {"price": "1.5"}


async def test_task_without_api_raises_missing_api_error() -> None:
    task = GetTask(ORDER_URL)

    with pytest.raises(errors.MissingApiError) as exc_info:
        await task.run()

    assert not isinstance(exc_info.value, AttributeError)
    assert "set_default_api" in str(exc_info.value)
    assert task.exception is exc_info.value


async def test_task_takes_default_api_set_before_creation(
    api: FakeExchangeApi, aioca_mock: aioresponses
) -> None:
    aioca_mock.get(ANY_URL, payload={"ok": 1})
    aioca.Task.set_default_api(api)

    task = GetTask(ORDER_URL)

    assert task.api is api
    assert await task.run() == {"ok": 1}


# --- session lifecycle ---------------------------------------------------------------------------


async def test_session_is_not_opened_before_first_request() -> None:
    api = FakeExchangeApi()

    assert api.closed
    assert "session=closed" in repr(api)


async def test_first_request_opens_session(api: FakeExchangeApi, aioca_mock: aioresponses) -> None:
    aioca_mock.get(ANY_URL, payload={})

    await api.request("GET", ORDER_URL)

    assert not api.closed
    assert "session=open" in repr(api)


async def test_close_closes_session(api: FakeExchangeApi, aioca_mock: aioresponses) -> None:
    aioca_mock.get(ANY_URL, payload={})
    await api.request("GET", ORDER_URL)

    await api.close()

    assert api.closed


async def test_close_without_session_is_harmless() -> None:
    api = FakeExchangeApi()

    await api.close()
    await api.close()

    assert api.closed


async def test_request_after_close_reopens_session(
    api: FakeExchangeApi, aioca_mock: aioresponses
) -> None:
    aioca_mock.get(ANY_URL, payload={"n": 1})
    aioca_mock.get(ANY_URL, payload={"n": 2})
    await api.request("GET", ORDER_URL)
    await api.close()

    result = await api.request("GET", ORDER_URL)

    assert result == {"n": 2}
    assert not api.closed


async def test_async_with_returns_the_api_and_closes_on_exit(aioca_mock: aioresponses) -> None:
    aioca_mock.get(ANY_URL, payload={})

    async with FakeExchangeApi() as api:
        assert isinstance(api, FakeExchangeApi)
        await api.request("GET", ORDER_URL)
        assert not api.closed

    assert api.closed


async def test_async_with_closes_when_request_fails(aioca_mock: aioresponses) -> None:
    aioca_mock.get(ANY_URL, status=500, payload={})

    with pytest.raises(errors.ExchangeServerError):
        async with FakeExchangeApi() as api:
            await api.request("GET", ORDER_URL)

    assert api.closed


async def test_closed_api_leaves_no_unclosed_session_warning(aioca_mock: aioresponses) -> None:
    aioca_mock.get(ANY_URL, payload={})
    api = FakeExchangeApi()
    await api.request("GET", ORDER_URL)
    await api.close()

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        del api
        gc.collect()

    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []


async def test_one_session_reuses_its_connection(
    server: tuple[RecordingServer, TestServer],
) -> None:
    recorder, test_server = server

    async with FakeExchangeApi() as api:
        for _ in range(3):
            await api.request("GET", str(test_server.make_url("/ping")))

    assert len(recorder.seen) == 3
    assert len({seen.peer_port for seen in recorder.seen}) == 1


async def test_real_server_round_trip_closes_with_async_with(
    server: tuple[RecordingServer, TestServer],
) -> None:
    recorder, test_server = server
    api = FakeExchangeApi()

    async with api:
        task = GetTask(str(test_server.make_url("/api/v3/account")), {"a": 1}, api=api)
        result = await task.run()

    assert result == {"ok": True, "path": "/api/v3/account"}
    assert recorder.seen[0].query_string == "a=1"
    assert api.closed


def test_sync_operator_run_closes_the_session_it_opened() -> None:
    with ThreadedServer() as threaded:
        api = FakeExchangeApi()
        task = GetTask(threaded.url("/api/v3/time"), {"x": 1}, api=api)

        aioca.TaskOperator().run_single_task(task).run()

        assert task.result == {"ok": True, "path": "/api/v3/time"}
        assert api.closed
        assert [seen.query_string for seen in threaded.recorder.seen] == ["x=1"]


def test_sync_operator_can_run_again_with_the_same_api() -> None:
    with ThreadedServer() as threaded:
        api = FakeExchangeApi()
        task = GetTask(threaded.url("/again"), api=api)
        operator = aioca.TaskOperator().run_single_task(task)

        operator.run()
        operator.run()

        assert task.result == {"ok": True, "path": "/again"}
        assert api.closed
        assert len(threaded.recorder.seen) == 2


def test_sync_operator_reuses_one_connection_across_tasks() -> None:
    with ThreadedServer() as threaded:
        api = FakeExchangeApi()
        tasks = [GetTask(threaded.url(f"/t{i}"), api=api) for i in range(3)]

        aioca.TaskOperator(aioca.TaskQueue(*tasks)).run()

        assert [task.result["path"] for task in tasks] == ["/t0", "/t1", "/t2"]
        assert len({seen.peer_port for seen in threaded.recorder.seen}) == 1
        assert api.closed


def test_sync_operator_closes_session_when_task_fails() -> None:
    with ThreadedServer() as threaded:
        api = FakeExchangeApi()
        ok = GetTask(threaded.url("/ok"), api=api)
        refused = GetTask("http://127.0.0.1:1/refused", api=api)

        with pytest.raises(errors.NetworkError):
            aioca.TaskOperator(aioca.TaskQueue(ok, refused)).run()

        assert ok.result == {"ok": True, "path": "/ok"}
        assert api.closed


# --- timeouts ------------------------------------------------------------------------------------


def test_float_timeout_becomes_total_timeout() -> None:
    api = FakeExchangeApi(timeout=2.5)

    assert api.timeout.total == 2.5


def test_client_timeout_is_used_as_given() -> None:
    timeout = aiohttp.ClientTimeout(total=None, connect=1.0, sock_read=3.0)

    api = FakeExchangeApi(timeout=timeout)

    assert api.timeout is timeout


@pytest.mark.parametrize("timeout", [0, 0.0, -1, -0.5, True, False, "5", None])
def test_invalid_timeout_is_rejected(timeout: Any) -> None:
    with pytest.raises(ValueError, match="timeout must be a positive number"):
        FakeExchangeApi(timeout=timeout)


async def test_per_request_timeout_is_passed_to_aiohttp(
    api: FakeExchangeApi, aioca_mock: aioresponses
) -> None:
    aioca_mock.get(ANY_URL, payload={})

    await api.request("GET", ORDER_URL, timeout=1.5)

    _, _, kwargs = only_request(aioca_mock)
    assert kwargs["timeout"].total == 1.5


async def test_default_timeout_is_used_without_per_request_timeout(
    aioca_mock: aioresponses,
) -> None:
    aioca_mock.get(ANY_URL, payload={})

    async with FakeExchangeApi(timeout=7) as api:
        await api.request("GET", ORDER_URL)

    _, _, kwargs = only_request(aioca_mock)
    assert kwargs["timeout"].total == 7.0


@pytest.mark.parametrize("timeout", [0, -3, True])
async def test_invalid_per_request_timeout_is_rejected(
    api: FakeExchangeApi, aioca_mock: aioresponses, timeout: Any
) -> None:
    aioca_mock.get(ANY_URL, payload={})

    with pytest.raises(ValueError, match="timeout must be a positive number"):
        await api.request("GET", ORDER_URL, timeout=timeout)


# --- encoding once: PreparedRequest's memo -------------------------------------------------


def test_query_string_after_an_appended_signature_is_the_full_encoding() -> None:
    request = PreparedRequest("GET", ORDER_URL, query=[("symbol", "BTC USDT"), ("q", "a&b")])
    assert request.query_string() == "symbol=BTC+USDT&q=a%26b"
    request.query.append(("signature", "x/y+z"))
    assert request.query_string() == "symbol=BTC+USDT&q=a%26b&signature=x%2Fy%2Bz"
    assert request.full_url() == f"{ORDER_URL}?symbol=BTC+USDT&q=a%26b&signature=x%2Fy%2Bz"


def test_query_string_notices_a_pair_replaced_or_removed() -> None:
    request = PreparedRequest("GET", ORDER_URL, query=[("a", "1"), ("b", "2")])
    assert request.query_string() == "a=1&b=2"
    request.query[0] = ("a", "9")
    assert request.query_string() == "a=9&b=2"
    request.query.pop()
    assert request.query_string() == "a=9"
    request.query.clear()
    assert request.query_string() == ""
    assert request.full_url() == ORDER_URL


def test_body_memo_follows_the_form() -> None:
    request = PreparedRequest("POST", ORDER_URL, form=[("side", "BUY")])
    assert request.body() == "side=BUY"
    request.form = [("side", "SELL"), ("x", "é")]
    assert request.body() == "side=SELL&x=%C3%A9"
    assert request.form is not None
    request.form.append(("signature", "ab"))
    assert request.body() == "side=SELL&x=%C3%A9&signature=ab"


def test_memo_is_invisible_in_repr_and_equality() -> None:
    one = PreparedRequest("GET", ORDER_URL, query=[("a", "1")])
    two = PreparedRequest("GET", ORDER_URL, query=[("a", "1")])
    one.query_string()
    assert one == two
    assert "memo" not in repr(one)


# --- the lean result path honours the response hooks ------------------------------------------


class EnvelopeApi(FakeExchangeApi):
    """An exchange that reports errors inside HTTP 200 bodies, as OKX does."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.handled: list[int] = []

    def handle_response(self, response: aioca.Response) -> Any:
        self.handled.append(response.status)
        payload = self.decode(response)
        if payload.get("code") != "0":
            raise errors.ExchangeError(str(payload.get("msg")), code=payload.get("code"))
        return payload["data"]


async def test_an_overridden_handle_response_sees_every_2xx_answer(
    aioca_mock: aioresponses,
) -> None:
    async with EnvelopeApi() as api:
        aioca_mock.get(ORDER_URL, payload={"code": "0", "data": [1]})
        aioca_mock.get(ORDER_URL, payload={"code": "51000", "msg": "bad", "data": []})
        assert await api.request("GET", ORDER_URL) == [1]
        with pytest.raises(errors.ExchangeError, match="bad"):
            await api.request("GET", ORDER_URL)
        assert api.handled == [200, 200]


def test_a_signed_request_and_its_response_keep_credentials_out_of_their_repr() -> None:
    request = PreparedRequest(
        "POST",
        "https://api.example.com/v1/order",
        query=[("symbol", "BTC"), ("signature", "f00dfeed")],
        form=[("passphrase", "open-sesame")],
        headers={"X-KEY": "key_1"},
        signed=True,
    )
    response = Response(request, 400, CIMultiDictProxy(CIMultiDict()), b"{}")
    for text in (repr(request), repr(response)):
        assert "f00dfeed" not in text
        assert "open-sesame" not in text
        assert "key_1" not in text
        assert "https://api.example.com/v1/order" in text


def test_a_response_names_its_method_from_its_plan_without_building_the_request() -> None:
    plan = RequestPlan("post", "https://api.example.com/v1/order", content="{}")
    from_plan = Response(None, 200, CIMultiDictProxy(CIMultiDict()), b"{}", plan=plan)
    assert from_plan.method == "POST"
    assert from_plan._request is None  # nothing built for it
    request = PreparedRequest("DELETE", "https://api.example.com/v1/order")
    assert Response(request, 200, CIMultiDictProxy(CIMultiDict()), b"{}").method == "DELETE"
