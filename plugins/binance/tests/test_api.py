"""BinanceRestApi: base URLs, security types on the wire, seed-style request(), error mapping
and credential secrecy."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qsl

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from aioresponses import aioresponses
from spec_files import SPEC_DIR
from yarl import URL

import aioca
from aioca import errors
from aioca_binance import MAINNET_URLS, TESTNET_URLS, BinanceRestApi, Security
from aioca_binance.errors import ERROR_CLASSES, error_class_for

KEY = "test-key-aaaaaaaaaaaaaaaa"
SECRET = "test-secret-bbbbbbbbbbbbbbbb"
LOCAL = "http://127.0.0.1:9"
SPEC = SPEC_DIR
ANY = re.compile(r"^http://127\.0\.0\.1:9/.*$")


@pytest.fixture
async def recorder() -> AsyncIterator[tuple[list[web.Request], str]]:
    """A server on 127.0.0.1 that records each request as received (raw query included)."""
    seen: list[web.Request] = []

    async def record(request: web.Request) -> web.Response:
        await request.read()
        seen.append(request)
        return web.json_response({})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", record)
    async with TestServer(app, host="127.0.0.1") as server:
        yield seen, str(server.make_url("")).rstrip("/")


@pytest.fixture
async def api() -> AsyncIterator[BinanceRestApi]:
    # One attempt: these tests map single responses; retries are tested on their own.
    api = BinanceRestApi(
        KEY,
        SECRET,
        urls={"coinm": LOCAL},
        retry=aioca.RetryPolicy(attempts=1),
        time_sync_interval=None,
    )
    yield api
    await api.close()


def sent(mock: aioresponses) -> tuple[str, URL, dict[str, Any]]:
    """The one request the mock saw: method, URL (query included) and call kwargs."""
    assert len(mock.requests) == 1
    (method, url), calls = next(iter(mock.requests.items()))
    return method, url, calls[0].kwargs


# --- construction ---------------------------------------------------------------------------


def test_default_urls_are_binance_mainnet() -> None:
    api = BinanceRestApi()
    assert (api.spot_url, api.usdm_url, api.coinm_url) == (
        "https://api.binance.com",
        "https://fapi.binance.com",
        "https://dapi.binance.com",
    )
    assert api.urls == MAINNET_URLS


def test_testnet_switches_every_base_url() -> None:
    assert BinanceRestApi(testnet=True).urls == TESTNET_URLS


def test_urls_override_one_market_per_instance() -> None:
    api = BinanceRestApi(urls={"coinm": "http://127.0.0.1:8080/"})
    assert api.coinm_url == "http://127.0.0.1:8080"
    assert api.usdm_url == MAINNET_URLS["usdm"]
    assert BinanceRestApi().coinm_url == MAINNET_URLS["coinm"]


def test_seed_class_constant_is_kept() -> None:
    assert BinanceRestApi.CoinM_BASE_URL == "https://dapi.binance.com"
    assert BinanceRestApi(urls={"coinm": LOCAL}).CoinM_BASE_URL == "https://dapi.binance.com"


def test_unknown_market_in_urls_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown market 'options'"):
        BinanceRestApi(urls={"options": LOCAL})


@pytest.mark.parametrize("window", [0, 60_001, -5])
def test_recv_window_outside_binance_bounds_is_refused(window: int) -> None:
    with pytest.raises(ValueError, match="recv_window"):
        BinanceRestApi(recv_window=window)


def test_timeout_accepts_seconds() -> None:
    assert BinanceRestApi(timeout=2.5).timeout.total == 2.5


def test_exchange_factory_builds_a_binance_api() -> None:
    api = aioca.exchange("binance", api_key=KEY, api_secret=SECRET, urls={"coinm": LOCAL})
    assert isinstance(api, BinanceRestApi)
    assert api.coinm_url == LOCAL
    assert "binance" in [info.name for info in aioca.exchanges()]


def test_repr_hides_key_and_secret() -> None:
    text = repr(BinanceRestApi(KEY, SECRET))
    assert KEY not in text
    assert SECRET not in text
    assert "key=set" in text


# --- security types on the wire ----------------------------------------------------------------


async def test_none_sends_no_key(api: BinanceRestApi, aioca_mock: aioresponses) -> None:
    aioca_mock.get(ANY, payload={})
    await api.request("GET", f"{LOCAL}/dapi/v1/ping", security=Security.NONE)
    _, url, kwargs = sent(aioca_mock)
    assert "X-MBX-APIKEY" not in kwargs["headers"]
    assert "signature" not in url.query


async def test_market_data_sends_the_key_header_but_no_signature(
    api: BinanceRestApi, aioca_mock: aioresponses
) -> None:
    aioca_mock.get(ANY, payload=[])
    await api.request(
        "GET",
        f"{LOCAL}/dapi/v1/historicalTrades",
        {"symbol": "BTCUSD_PERP"},
        security="MARKET_DATA",
    )
    _, url, kwargs = sent(aioca_mock)
    assert kwargs["headers"]["X-MBX-APIKEY"] == KEY
    assert set(url.query) == {"symbol"}


@pytest.mark.parametrize("security", [Security.USER_DATA, Security.TRADE])
async def test_signed_types_send_key_timestamp_recv_window_and_signature(
    recorder: tuple[list[web.Request], str], security: Security
) -> None:
    seen, url = recorder
    before = int(time.time() * 1000)
    async with BinanceRestApi(KEY, SECRET, urls={"coinm": url}, time_sync_interval=None) as api:
        await api.request("GET", f"{url}/dapi/v1/account", {"symbol": "X"}, security=security)
    request = seen[0]
    assert request.headers["X-MBX-APIKEY"] == KEY
    raw = request.query_string
    assert [name for name, _ in parse_qsl(raw)] == [
        "symbol",
        "recvWindow",
        "timestamp",
        "signature",
    ]
    query = dict(parse_qsl(raw))
    assert query["recvWindow"] == "5000"
    assert before <= int(query["timestamp"]) <= int(time.time() * 1000)
    payload = raw.rsplit("&signature=", 1)[0]
    expected = hmac.new(SECRET.encode(), payload.encode(), hashlib.sha256).hexdigest()
    assert query["signature"] == expected


async def test_post_parameters_go_into_a_signed_form_body(
    api: BinanceRestApi, aioca_mock: aioresponses
) -> None:
    aioca_mock.post(ANY, payload={"orderId": 1})
    await api.request(
        "POST",
        f"{LOCAL}/dapi/v1/order",
        {"symbol": "BTCUSD_PERP", "side": "BUY", "type": "MARKET", "quantity": 1},
        security=Security.TRADE,
    )
    method, url, kwargs = sent(aioca_mock)
    assert method == "POST"
    assert not url.query
    body = kwargs["data"].decode()
    assert kwargs["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    names = [name for name, _ in parse_qsl(body)]
    assert names == ["symbol", "side", "type", "quantity", "recvWindow", "timestamp", "signature"]
    payload, signature = body.rsplit("&signature=", 1)
    assert signature == hmac.new(SECRET.encode(), payload.encode(), hashlib.sha256).hexdigest()


async def test_seed_style_request_with_keywords(aioca_mock: aioresponses) -> None:
    aioca_mock.get(f"{BinanceRestApi.CoinM_BASE_URL}/dapi/v1/ping", payload={})
    async with BinanceRestApi(api_key="key_1", api_secret="screte_1") as api:
        assert (
            await api.request(method="GET", url=BinanceRestApi.CoinM_BASE_URL + "/dapi/v1/ping")
            == {}
        )


async def test_signed_request_without_key_fails_before_sending(aioca_mock: aioresponses) -> None:
    async with BinanceRestApi(api_secret=SECRET, urls={"coinm": LOCAL}) as api:
        with pytest.raises(errors.AuthenticationError, match="API key"):
            await api.request("GET", f"{LOCAL}/dapi/v1/account", signed=True)
    assert not aioca_mock.requests


async def test_signed_request_without_secret_fails_before_sending(aioca_mock: aioresponses) -> None:
    async with BinanceRestApi(KEY, urls={"coinm": LOCAL}) as api:
        with pytest.raises(errors.AuthenticationError, match="api_secret"):
            await api.request("GET", f"{LOCAL}/dapi/v1/account", signed=True)
    assert not aioca_mock.requests


# --- error mapping -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (400, -1021, errors.InvalidTimestampError),
        (400, -4188, errors.InvalidTimestampError),
        (400, -1022, errors.AuthenticationError),
        (401, -2014, errors.AuthenticationError),
        (401, -2015, errors.AuthenticationError),
        (400, -1121, errors.BadSymbolError),
        (400, -1102, errors.BadRequestError),
        (400, -1130, errors.BadRequestError),
        (400, -2019, errors.InsufficientFundsError),
        (400, -2018, errors.InsufficientFundsError),
        (400, -2010, errors.OrderError),
        (400, -2011, errors.OrderError),
        (400, -2013, errors.OrderNotFoundError),
        (400, -4014, errors.OrderError),
        (400, -4046, errors.BadRequestError),
        (429, -1003, errors.RateLimitError),
        (418, -1003, errors.IPBannedError),
        (503, -1008, errors.ExchangeServerError),
        (500, -1000, errors.ExchangeServerError),
        (503, None, errors.ExchangeServerError),
        (403, None, errors.ExchangeError),
    ],
)
async def test_binance_errors_map_onto_the_core_tree(
    api: BinanceRestApi,
    aioca_mock: aioresponses,
    status: int,
    code: int | None,
    expected: type[errors.ExchangeError],
) -> None:
    body = {"code": code, "msg": "from binance"} if code is not None else {}
    aioca_mock.get(ANY, status=status, payload=body)
    with pytest.raises(errors.ExchangeError) as caught:
        await api.request("GET", f"{LOCAL}/dapi/v1/account", {"symbol": "X"}, signed=True)
    error = caught.value
    assert type(error) is expected
    assert (error.status, error.code, error.exchange) == (status, code, "binance")


async def test_error_carries_task_name_and_never_credentials(
    api: BinanceRestApi, aioca_mock: aioresponses, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    class Account(aioca.Task):
        exchange = "binance"

        async def __call__(self) -> Any:
            return await self.api.request("GET", f"{LOCAL}/dapi/v1/account", signed=True)

        def __str__(self) -> str:
            return "my account task"

    aioca_mock.get(ANY, status=401, payload={"code": -2015, "msg": "Invalid API-key."})
    task = Account(api=api)
    with pytest.raises(errors.AuthenticationError) as caught:
        await task.run()
    error = caught.value
    assert error.task_name == "my account task"
    assert error.msg == "Invalid API-key."
    text = f"{error} {error!r} {caplog.text}"
    (_, url), _ = next(iter(aioca_mock.requests.items()))
    for secret in (KEY, SECRET, url.query["signature"]):
        assert secret not in text
    assert "?" not in (error.url or "")


async def test_html_502_is_a_server_error_not_a_json_error(
    api: BinanceRestApi, aioca_mock: aioresponses
) -> None:
    aioca_mock.get(ANY, status=502, body="<html><h1>502 Bad Gateway</h1></html>")
    with pytest.raises(errors.ExchangeServerError) as caught:
        await api.request("GET", f"{LOCAL}/dapi/v1/time")
    assert "502 Bad Gateway" in str(caught.value)
    assert caught.value.code is None


async def test_429_carries_retry_after(api: BinanceRestApi, aioca_mock: aioresponses) -> None:
    aioca_mock.get(
        ANY, status=429, payload={"code": -1003, "msg": "Too many"}, headers={"Retry-After": "3"}
    )
    with pytest.raises(errors.RateLimitError) as caught:
        await api.request("GET", f"{LOCAL}/dapi/v1/time")
    assert caught.value.retry_after == 3.0


async def test_418_ban_end_comes_from_the_message_without_retry_after(
    api: BinanceRestApi, aioca_mock: aioresponses
) -> None:
    msg = "Way too many requests; IP banned until 1618898400000. Please use the websocket."
    aioca_mock.get(ANY, status=418, payload={"code": -1003, "msg": msg})
    with pytest.raises(errors.IPBannedError) as caught:
        await api.request("GET", f"{LOCAL}/dapi/v1/time")
    assert caught.value.until == 1618898400.0


def _spec_error_codes() -> list[int]:
    text = (SPEC / "binance-signing-and-errors.md").read_text(encoding="utf-8")
    section = text.split("## 6. Error codes", 1)[1]
    return sorted({int(code) for code in re.findall(r"^\| (-\d{4}) \|", section, re.MULTILINE)})


def test_the_spec_lists_the_codes_this_test_walks() -> None:
    codes = _spec_error_codes()
    assert len(codes) > 150
    assert -1121 in codes
    assert -5028 in codes


@pytest.mark.parametrize("code", _spec_error_codes())
def test_every_documented_code_maps_to_a_specific_class(code: int) -> None:
    mapped = error_class_for(400, code)
    assert issubclass(mapped, errors.ExchangeError)
    # Every documented code lands on a subclass more specific than the generic fallback,
    # except the 10xx codes that carry no category of their own.
    if code not in {-1004, -1005, -1010, -1013, -1016, -1020}:
        assert mapped is not errors.ExchangeError, code


@pytest.mark.parametrize("status", [400, 401, 403, 404, 408, 418, 429, 500, 502, 503, 504])
def test_every_documented_http_status_maps(status: int) -> None:
    assert issubclass(error_class_for(status, None), errors.ExchangeError)


def test_error_table_only_names_documented_codes() -> None:
    assert set(ERROR_CLASSES) <= set(_spec_error_codes())


# --- the lean path's encoding ---------------------------------------------------------------


def test_the_plan_encoding_is_urlencode_byte_for_byte() -> None:
    from urllib.parse import urlencode

    from aioca.request import urlencode_pairs as _urlencode

    samples = [
        [],
        [("symbol", "BTCUSD_PERP"), ("limit", "500")],
        [("a b", "c+d"), ("é", "中"), ("x", ""), ("", "y"), ("k", "a/b?c=d&e~f.g-h_i")],
        [("batchOrders", '[{"symbol":"BTCUSD_PERP","price":"1.5"}]')],
        [("signature", "q83vEjRWeJA+/=")],
    ]
    for pairs in samples:
        assert _urlencode(pairs) == urlencode(pairs), pairs


async def test_an_overridden_handle_response_sees_catalog_calls_and_own_requests(
    aioca_mock: aioresponses,
) -> None:
    from aioca_binance.coinm import CoinMPing

    class EnvelopeApi(BinanceRestApi):
        def handle_response(self, response: aioca.Response) -> Any:
            return ("handled", self.decode(response))

    aioca_mock.get(ANY, payload={}, repeat=True)
    async with EnvelopeApi(KEY, SECRET, urls={"coinm": LOCAL}, time_sync_interval=None) as api:
        assert await api.call_endpoint(CoinMPing.endpoint) == ("handled", {})
        assert await api.request("GET", LOCAL + "/dapi/v1/ping") == ("handled", {})


async def test_prepare_request_runs_once_per_distinct_call_even_patched_later(
    monkeypatch: pytest.MonkeyPatch, aioca_mock: aioresponses
) -> None:
    from aioca_binance.coinm import CoinMPing, CoinMServerTime

    prepared: list[str] = []
    original = aioca.RestApi.prepare_request

    def counting(self: aioca.RestApi, request: aioca.PreparedRequest) -> None:
        prepared.append(request.url)
        original(self, request)

    aioca_mock.get(ANY, payload={}, repeat=True)
    async with BinanceRestApi(KEY, SECRET, urls={"coinm": LOCAL}) as api:
        await CoinMPing(api=api).run()
        monkeypatch.setattr(aioca.RestApi, "prepare_request", counting)
        await CoinMPing(api=api).run()  # the same call: its plan is already built
        await CoinMServerTime(api=api).run()  # a new call: planned with the patched hook
        await CoinMServerTime(api=api).run()
    assert prepared == [LOCAL + "/dapi/v1/time"]


# --- catalog tasks on the lean path: what BaseTask.run does, without the context variable ---


async def test_lean_run_records_result_and_failure_as_base_run_does(
    api: BinanceRestApi, aioca_mock: aioresponses
) -> None:
    from aioca_binance.coinm import CoinMFetchTicker

    task = CoinMFetchTicker(api=api, symbol="BTCUSD_PERP")
    aioca_mock.get(ANY, payload=[{"symbol": "BTCUSD_PERP", "price": "1"}])
    assert await task.run() == [{"symbol": "BTCUSD_PERP", "price": "1"}]
    assert (task.result, task.exception, aioca.current_task()) == (task.result, None, None)
    assert repr(task).endswith("done>")

    aioca_mock.get(ANY, status=400, payload={"code": -1121, "msg": "Invalid symbol."})
    with pytest.raises(errors.BadRequestError) as caught:
        await task.run()
    assert task.result is None
    assert task.exception is caught.value
    assert caught.value.task_name == str(task)  # named without being the running task
    assert aioca.current_task() is None


async def test_lean_run_makes_the_task_current_for_hooks_that_may_read_it(
    api: BinanceRestApi, aioca_mock: aioresponses
) -> None:
    from aioca_binance.coinm import CoinMFetchTicker

    seen: list[aioca.BaseTask | None] = []
    handle = api.handle_response

    def handle_response(response: aioca.Response) -> Any:
        seen.append(aioca.current_task())
        return handle(response)

    api.handle_response = handle_response  # type: ignore[method-assign]
    task = CoinMFetchTicker(api=api, symbol="BTCUSD_PERP")
    aioca_mock.get(ANY, payload=[])
    assert await task.run() == []
    assert seen == [task]
    assert aioca.current_task() is None  # reset afterwards


async def test_lean_run_names_the_task_in_the_clock_sync_and_resets_it(
    aioca_mock: aioresponses,
) -> None:
    from aioca_binance.coinm import CoinMAccountInformation

    async with BinanceRestApi(
        KEY, SECRET, urls={"coinm": LOCAL}, retry=aioca.RetryPolicy(attempts=1)
    ) as api:
        task = CoinMAccountInformation(api=api)
        aioca_mock.get(ANY, status=500, body="down")
        with pytest.raises(errors.ClockSyncError) as caught:
            await task.run()  # the clock sync before the signed request fails
        assert isinstance(caught.value.__cause__, errors.ExchangeServerError)
        assert caught.value.url == f"{LOCAL}/dapi/v1/time"
        assert caught.value.task_name == str(task)
        assert aioca.current_task() is None
        assert task.exception is caught.value


async def test_lean_run_leaves_the_previous_record_alone_when_cancelled(
    api: BinanceRestApi, aioca_mock: aioresponses
) -> None:
    import asyncio

    from aioca_binance.coinm import CoinMFetchTicker

    task = CoinMFetchTicker(api=api, symbol="BTCUSD_PERP")
    aioca_mock.get(ANY, payload=[1])
    await task.run()

    async def slow(*args: Any, **kwargs: Any) -> None:
        await asyncio.sleep(10)

    aioca_mock.get(ANY, callback=slow)
    running = asyncio.ensure_future(task.run())
    await asyncio.sleep(0.01)
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    assert (task.result, task.exception) == ([1], None)


def test_tasks_sending_the_same_share_one_plan() -> None:
    from decimal import Decimal

    from aioca_binance.coinm import CoinMFetchKline, CoinMFetchTicker

    api = BinanceRestApi()
    first, second = (CoinMFetchTicker(api=api, symbol="BTCUSD_PERP") for _ in range(2))
    plan = first._plan_for(api)
    assert second._plan_for(api) is plan
    assert CoinMFetchTicker(api=api, symbol="ETHUSD_PERP")._plan_for(api) is not plan
    kline = CoinMFetchKline(api=api, symbol="BTCUSD_PERP", interval="1m", limit=5)
    assert kline._plan_for(api).query_text == "symbol=BTCUSD_PERP&interval=1m&limit=5"
    assert BinanceRestApi()._plans == {}  # plans are per API object

    endpoint = CoinMFetchTicker.endpoint
    # Equal in Python, not on the wire: never one plan for both.
    as_int = api.plan_endpoint(endpoint, [("limit", 1)], weight=1)
    as_bool = api.plan_endpoint(endpoint, [("limit", True)], weight=1)
    assert (as_int.query_text, as_bool.query_text) == ("limit=1", "limit=true")
    one, one_again = (api.plan_endpoint(endpoint, [("p", Decimal(s))]) for s in ("1.0", "1.00"))
    assert (one.query_text, one_again.query_text) == ("p=1.0", "p=1.00")
    assert api.plan_endpoint(endpoint, [("limit", 1)], weight=2) is not as_int  # another weight
    assert api.plan_endpoint(endpoint, [("limit", 1)], weight=1) is as_int
    assert api.plan_endpoint(endpoint, [("limit", 1)], weight=1, shared=False) is not as_int


def test_an_hmac_api_can_be_pickled_and_deep_copied() -> None:
    import copy
    import pickle

    api = BinanceRestApi(KEY, SECRET)
    for twin in (pickle.loads(pickle.dumps(api)), copy.deepcopy(api)):
        assert twin._signer is not None
        assert twin._signer.sign("a=1") == api._signer.sign("a=1")  # type: ignore[union-attr]


async def test_two_endpoints_on_one_path_keep_their_own_security_and_orders(
    aioca_mock: aioresponses,
) -> None:
    from aioca_binance.endpoint import Endpoint

    signed = Endpoint("GET", "/dapi/v1/custom", Security.USER_DATA, 1, orders=1)
    public = Endpoint("GET", "/dapi/v1/custom", Security.NONE, 1)
    aioca_mock.get(ANY, payload={}, repeat=True)
    async with BinanceRestApi(KEY, SECRET, urls={"coinm": LOCAL}, time_sync_interval=None) as api:
        await api.call_endpoint(signed)
        await api.call_endpoint(public)
        await api.call_endpoint(signed)
    calls = [call for (_, url), calls in aioca_mock.requests.items() for call in calls]
    signed_urls = [url for (_, url) in aioca_mock.requests if "signature" in url.query]
    assert len(calls) == 3
    assert len(signed_urls) == 2  # two signed requests, each with its own timestamp
    status = {window.name: window.used for window in api.rate_limit_status()["127.0.0.1:9"]}
    assert status["ORDERS"] == 2  # the public call charged no order


async def test_a_task_whose_api_property_is_overridden_sends_through_it(
    aioca_mock: aioresponses,
) -> None:
    from aioca_binance.coinm import CoinMPing

    routed = BinanceRestApi(KEY, SECRET, urls={"coinm": "http://127.0.0.2:9"})

    class RoutedPing(CoinMPing):
        @property
        def api(self) -> aioca.RestApi:
            return routed

    aioca_mock.get(re.compile(r"^http://127\.0\.0\.2:9/"), payload={"routed": True})
    async with routed, BinanceRestApi(KEY, SECRET, urls={"coinm": LOCAL}) as stored:
        assert await RoutedPing(api=stored).run() == {"routed": True}


@pytest.mark.parametrize("value", ["false", "False", 0, 1, None, "true"])
def test_testnet_must_be_a_bool(value: object) -> None:
    # A string "false" is truthy: accepted, it would quietly select the testnets.
    with pytest.raises(TypeError, match="testnet must be True or False"):
        BinanceRestApi(testnet=value)  # type: ignore[arg-type]
