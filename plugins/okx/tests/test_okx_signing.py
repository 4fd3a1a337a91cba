"""Signing: OKX's prehash rule recomputed here with hmac/base64, a fixed vector derived by
hand (``openssl dgst -sha256 -hmac``), the four headers, demo trading, and the wire bytes
of a real request to 127.0.0.1 matching what was signed."""

from __future__ import annotations

import copy
import json
import logging
import pickle
import re
import time
from datetime import datetime
from typing import Any

import pytest
from aioresponses import aioresponses
from okx_helpers import KEY, LOCAL, PASSPHRASE, SECRET, envelope, expected_signature, okx_stand_in

import aioca
from aioca import PreparedRequest
from aioca.errors import AuthenticationError
from aioca_okx import OkxRestApi
from aioca_okx.signing import OkxSigner, iso_timestamp, prehash
from aioca_okx.v5 import OkxFetchBalance, OkxFetchTicker, OkxPlaceOrder

# OKX's documented example timestamp, 2020-12-08T09:08:57.715Z, in Unix milliseconds.
DOC_TIMESTAMP_MS = 1607418537715
DOC_TIMESTAMP = "2020-12-08T09:08:57.715Z"

# Derived by hand, outside Python:
#   printf '%s' '2020-12-08T09:08:57.715ZGET/api/v5/account/balance?ccy=BTC' \
#     | openssl dgst -sha256 -hmac 'secret_1' -binary | base64
GET_VECTOR = "nxqf6sdmwXqBvfCpgOyzccMnK9NWjz7PGAYEerpdueg="
POST_BODY = (
    '{"instId":"BTC-USDT","tdMode":"cash","side":"buy","ordType":"limit","sz":"1",'
    '"px":"30000","clOrdId":"b15"}'
)
#   printf '%s' '2020-12-08T09:08:57.715ZPOST/api/v5/trade/order<POST_BODY>' \
#     | openssl dgst -sha256 -hmac 'secret_1' -binary | base64
POST_VECTOR = "ciBb454T5qs9AIeBx25kHXAv5Z+B2DClKMtgc+Fwh/o="


def fixed_time_api(**options: Any) -> OkxRestApi:
    api = OkxRestApi("key_1", "secret_1", "passphrase_1", **options)
    api.timestamp_ms = lambda: DOC_TIMESTAMP_MS  # type: ignore[method-assign]
    return api


def test_timestamp_is_iso_8601_utc_with_milliseconds() -> None:
    assert iso_timestamp(DOC_TIMESTAMP_MS) == DOC_TIMESTAMP
    assert iso_timestamp(1_000) == "1970-01-01T00:00:01.000Z"
    assert iso_timestamp(1_000_000_000_007) == "2001-09-09T01:46:40.007Z"


def test_prehash_is_timestamp_method_path_body() -> None:
    assert (
        prehash(DOC_TIMESTAMP, "get", "/api/v5/account/balance?ccy=BTC", None)
        == "2020-12-08T09:08:57.715ZGET/api/v5/account/balance?ccy=BTC"
    )


def test_signer_reproduces_the_hand_derived_get_vector() -> None:
    payload = DOC_TIMESTAMP + "GET" + "/api/v5/account/balance?ccy=BTC"
    assert OkxSigner("secret_1").sign(payload) == GET_VECTOR


def test_the_keyed_signer_signs_each_payload_afresh_and_survives_copies() -> None:
    signer = OkxSigner("secret_1")
    payload = DOC_TIMESTAMP + "GET" + "/api/v5/account/balance?ccy=BTC"
    other = DOC_TIMESTAMP + "POST" + "/api/v5/trade/order" + POST_BODY
    # Signing one payload leaves nothing behind for the next.
    assert [signer.sign(payload), signer.sign(other), signer.sign(payload)] == [
        GET_VECTOR,
        POST_VECTOR,
        GET_VECTOR,
    ]
    for copied in (copy.deepcopy(signer), pickle.loads(pickle.dumps(signer))):
        assert copied.sign(payload) == GET_VECTOR
        assert "secret_1" not in repr(copied)


def test_signed_get_carries_the_four_headers_over_path_and_query() -> None:
    api = fixed_time_api()
    request = PreparedRequest(
        "GET", "https://www.okx.com/api/v5/account/balance", query=[("ccy", "BTC")], signed=True
    )
    api.sign_request(request)
    assert request.headers == {
        "OK-ACCESS-KEY": "key_1",
        "OK-ACCESS-SIGN": GET_VECTOR,
        "OK-ACCESS-TIMESTAMP": DOC_TIMESTAMP,
        "OK-ACCESS-PASSPHRASE": "passphrase_1",
    }
    assert request.query_string() == "ccy=BTC"  # nothing added to the query


def test_signed_post_covers_the_json_body() -> None:
    api = fixed_time_api()
    request = PreparedRequest(
        "POST", "https://www.okx.com/api/v5/trade/order", content=POST_BODY, signed=True
    )
    api.sign_request(request)
    assert request.headers["OK-ACCESS-SIGN"] == POST_VECTOR
    assert request.headers["Content-Type"] == "application/json"
    assert request.body() == POST_BODY


def test_a_signed_plan_s_wire_carries_the_hand_derived_vectors() -> None:
    api = fixed_time_api(demo=True)
    get = api.plan("GET", "https://www.okx.com/api/v5/account/balance", {"ccy": "BTC"}, signed=True)
    wire = api.sign_plan(get)
    assert str(wire.target) == "https://www.okx.com/api/v5/account/balance?ccy=BTC"
    assert wire.body is None
    assert dict(wire.headers) == {
        "x-simulated-trading": "1",
        "OK-ACCESS-KEY": "key_1",
        "OK-ACCESS-SIGN": GET_VECTOR,
        "OK-ACCESS-TIMESTAMP": DOC_TIMESTAMP,
        "OK-ACCESS-PASSPHRASE": "passphrase_1",
    }
    assert "passphrase_1" not in repr(wire.headers)
    post = api.plan(
        "POST",
        "https://www.okx.com/api/v5/trade/order",
        signed=True,
        json_body=json.loads(POST_BODY),
    )
    wire = api.sign_plan(post)
    assert wire.body == POST_BODY.encode()
    assert wire.headers["OK-ACCESS-SIGN"] == POST_VECTOR
    assert wire.headers["Content-Type"] == "application/json"
    # The plan itself is left unsigned: each send signs anew.
    assert "OK-ACCESS-SIGN" not in post.headers


def test_a_plan_signs_what_a_prepared_request_signs_for_any_path_and_query() -> None:
    api = fixed_time_api()
    url = "http://127.0.0.1:8080/prefix/api/v5/trade/fills"
    params = {"instType": "SWAP", "after": "a b/c,d", "limit": "5"}
    wire = api.sign_plan(api.plan("GET", url, params, signed=True))
    request = PreparedRequest("GET", url, query=list(params.items()), signed=True)
    api.sign_request(request)
    assert str(wire.target) == request.full_url()
    for name in ("OK-ACCESS-SIGN", "OK-ACCESS-TIMESTAMP"):
        assert wire.headers[name] == request.headers[name]


def test_signature_matches_an_independent_computation_for_any_input() -> None:
    api = OkxRestApi(KEY, SECRET, PASSPHRASE)
    request = PreparedRequest(
        "GET",
        "http://127.0.0.1:8080/prefix/api/v5/trade/fills",
        query=[("instType", "SWAP"), ("limit", "5")],
        signed=True,
    )
    api.sign_request(request)
    timestamp = request.headers["OK-ACCESS-TIMESTAMP"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", timestamp)
    assert request.headers["OK-ACCESS-SIGN"] == expected_signature(
        SECRET, timestamp, "GET", "/prefix/api/v5/trade/fills?instType=SWAP&limit=5"
    )


def test_timestamp_header_follows_the_measured_clock_offset() -> None:
    api = OkxRestApi(KEY, SECRET, PASSPHRASE)
    api.time_offset_ms = 3_600_000  # OKX's clock an hour ahead of ours
    request = PreparedRequest("GET", "https://www.okx.com/api/v5/account/balance", signed=True)
    before = time.time()
    api.sign_request(request)
    sent = datetime.strptime(request.headers["OK-ACCESS-TIMESTAMP"], "%Y-%m-%dT%H:%M:%S.%f%z")
    assert 3599 < sent.timestamp() - before < 3601


async def test_public_request_is_not_signed(aioca_mock: aioresponses) -> None:
    api = OkxRestApi(KEY, SECRET, PASSPHRASE, urls={"rest": LOCAL})
    aioca_mock.get(f"{LOCAL}/api/v5/market/ticker?instId=BTC-USDT", payload=envelope([{}]))
    async with api:
        await OkxFetchTicker(instId="BTC-USDT", api=api).run()
    ((_, calls),) = aioca_mock.requests.items()
    headers = calls[0].kwargs["headers"]
    assert not [name for name in headers if name.upper().startswith("OK-ACCESS")]


async def test_demo_trading_marks_public_and_private_requests(aioca_mock: aioresponses) -> None:
    api = OkxRestApi(KEY, SECRET, PASSPHRASE, demo=True, urls={"rest": LOCAL})
    aioca_mock.get(f"{LOCAL}/api/v5/market/ticker?instId=BTC-USDT", payload=envelope([{}]))
    aioca_mock.get(f"{LOCAL}/api/v5/account/balance", payload=envelope([{}]))
    async with api:
        await OkxFetchTicker(instId="BTC-USDT", api=api).run()
        await OkxFetchBalance(api=api).run()
    sent = [calls[0].kwargs["headers"] for calls in aioca_mock.requests.values()]
    assert [headers.get("x-simulated-trading") for headers in sent] == ["1", "1"]


async def test_production_sends_no_demo_header(aioca_mock: aioresponses) -> None:
    api = OkxRestApi(KEY, SECRET, PASSPHRASE, urls={"rest": LOCAL})
    aioca_mock.get(f"{LOCAL}/api/v5/account/balance", payload=envelope([{}]))
    async with api:
        await OkxFetchBalance(api=api).run()
    ((_, calls),) = aioca_mock.requests.items()
    assert "x-simulated-trading" not in calls[0].kwargs["headers"]


@pytest.mark.parametrize(
    ("key", "secret", "passphrase", "missing"),
    [
        (None, SECRET, PASSPHRASE, "api_key"),
        (KEY, None, PASSPHRASE, "api_secret"),
        (KEY, SECRET, None, "passphrase"),
        (None, None, None, "api_key, api_secret, passphrase"),
    ],
)
async def test_private_request_without_credentials_fails_before_sending(
    aioca_mock: aioresponses,
    key: str | None,
    secret: str | None,
    passphrase: str | None,
    missing: str,
) -> None:
    api = OkxRestApi(key, secret, passphrase, urls={"rest": LOCAL})
    aioca_mock.get(f"{LOCAL}/api/v5/account/balance", payload=envelope([{}]))
    async with api:
        with pytest.raises(AuthenticationError, match=re.escape(f"needs {missing}:")):
            await OkxFetchBalance(api=api).run()
    assert not aioca_mock.requests


async def test_secret_and_passphrase_never_show(
    aioca_mock: aioresponses, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    api = OkxRestApi(KEY, SECRET, PASSPHRASE, urls={"rest": LOCAL})
    aioca_mock.get(
        f"{LOCAL}/api/v5/account/balance",
        status=401,
        payload={"code": "50113", "msg": "Invalid Sign", "data": []},
    )
    task = OkxFetchBalance(api=api)
    async with api:
        with pytest.raises(AuthenticationError) as caught:
            await task.run()
    texts = [repr(api), str(api), repr(api._signer), repr(task), caplog.text]
    texts += [str(caught.value), repr(caught.value), repr(caught.value.args)]
    for secret in (SECRET, PASSPHRASE):
        assert not [text for text in texts if secret in text]
    assert "key=set" in repr(api)
    assert "passphrase=set" in repr(api)


def test_empty_secret_is_refused_by_the_signer() -> None:
    with pytest.raises(ValueError, match="empty"):
        OkxSigner("")


def test_exchange_builds_the_api_with_credentials_and_urls() -> None:
    api = aioca.exchange(
        "okx", api_key=KEY, api_secret=SECRET, passphrase=PASSPHRASE, urls={"rest": LOCAL}
    )
    assert isinstance(api, OkxRestApi)
    assert api.rest_url == LOCAL
    assert api.api_key == KEY


def test_production_url_is_okx_com_and_unknown_url_names_are_refused() -> None:
    assert OkxRestApi().rest_url == "https://www.okx.com"
    with pytest.raises(ValueError, match="unknown URL 'spot'"):
        OkxRestApi(urls={"spot": LOCAL})


# --- the wire, byte for byte ---------------------------------------------------------------


async def test_real_http_get_is_signed_over_the_exact_path_and_query_sent() -> None:
    async with okx_stand_in() as server:
        server.answer("/api/v5/account/balance", envelope([{"totalEq": "1"}]))
        api = OkxRestApi(KEY, SECRET, PASSPHRASE, urls={"rest": server.url})
        async with api:
            result = await OkxFetchBalance(ccy="BTC,ETH", api=api).run()
    assert result == [{"totalEq": "1"}]
    (raw,) = server.requests
    assert raw.method == "GET"
    assert raw.path_qs == "/api/v5/account/balance?ccy=BTC%2CETH"
    assert raw.body == b""
    assert raw.headers["OK-ACCESS-KEY"] == KEY
    assert raw.headers["OK-ACCESS-PASSPHRASE"] == PASSPHRASE
    assert raw.headers["OK-ACCESS-SIGN"] == expected_signature(
        SECRET, raw.headers["OK-ACCESS-TIMESTAMP"], raw.method, raw.path_qs
    )


async def test_real_http_post_is_signed_over_the_exact_json_body_sent() -> None:
    async with okx_stand_in() as server:
        server.answer("/api/v5/trade/order", envelope([{"ordId": "7", "sCode": "0"}]))
        api = OkxRestApi(KEY, SECRET, PASSPHRASE, urls={"rest": server.url})
        task = OkxPlaceOrder(
            instId="BTC-USDT",
            tdMode="cash",
            side="buy",
            ordType="limit",
            sz="0.01",
            px=30000,
            clOrdId="b15",
            api=api,
        )
        async with api:
            await task.run()
    (raw,) = server.requests
    assert raw.method == "POST"
    assert raw.path_qs == "/api/v5/trade/order"
    assert raw.headers["Content-Type"] == "application/json"
    assert json.loads(raw.body) == {
        "instId": "BTC-USDT",
        "tdMode": "cash",
        "side": "buy",
        "ordType": "limit",
        "sz": "0.01",
        "px": "30000",
        "clOrdId": "b15",
    }
    assert raw.headers["OK-ACCESS-SIGN"] == expected_signature(
        SECRET, raw.headers["OK-ACCESS-TIMESTAMP"], "POST", raw.path_qs, raw.body.decode()
    )
