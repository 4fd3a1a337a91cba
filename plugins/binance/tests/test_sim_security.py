"""The simulator's request security, as Binance's: the API key header, HMAC-SHA256 and
Ed25519/RSA signatures over the exact bytes received, ``timestamp`` within
``recvWindow``, and Binance's error bodies for bad parameters and unknown paths."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest

from aioca import RetryPolicy, errors
from aioca_binance import BinanceRestApi
from aioca_binance.coinm import (
    CoinMAccountInformation,
    CoinMFuturesAccountBalance,
    CoinMOldTradesLookup,
)
from aioca_binance_sim import BinanceSimulator

KEY = "simkey0123456789abcdef"
SECRET = "simsecret0123456789abcdefghijkl"


@pytest.fixture
async def sim() -> AsyncIterator[BinanceSimulator]:
    async with BinanceSimulator(api_key=KEY, api_secret=SECRET) as simulator:
        yield simulator


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def signed_query(params: list[tuple[str, Any]], secret: str = SECRET) -> str:
    payload = urlencode(params)
    signature = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
    return f"{payload}&signature={signature}"


async def call(
    http: aiohttp.ClientSession,
    method: str,
    url: str,
    key: str | None = KEY,
    data: str | None = None,
) -> tuple[int, Any]:
    headers = {"X-MBX-APIKEY": key} if key else {}
    if data is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    async with http.request(method, url, headers=headers, data=data) as response:
        body = (
            await response.json(content_type=None)
            if response.status != 404
            else await response.text()
        )
        return response.status, body


async def test_hmac_signature_over_the_query_is_accepted(
    sim: BinanceSimulator, http: aiohttp.ClientSession
) -> None:
    query = signed_query([("recvWindow", 5000), ("timestamp", sim.now_ms())])
    status, body = await call(http, "GET", f"{sim.url}/dapi/v1/balance?{query}")
    assert status == 200
    assert body[0]["asset"] == "BTC"


async def test_signature_in_a_mixed_query_and_body_is_the_concatenation(
    sim: BinanceSimulator, http: aiohttp.ClientSession
) -> None:
    # Binance's example 3: totalParams = query string + body, no "&" in between.
    query = "symbol=BTCUSD_PERP&leverage=7"
    body = urlencode([("recvWindow", 5000), ("timestamp", sim.now_ms())])
    signature = hmac.new(SECRET.encode(), (query + body).encode(), hashlib.sha256).hexdigest()
    status, answer = await call(
        http, "POST", f"{sim.url}/dapi/v1/leverage?{query}", data=f"{body}&signature={signature}"
    )
    assert (status, answer["leverage"]) == (200, 7)


async def test_tampered_signature_is_refused_with_1022(
    sim: BinanceSimulator, http: aiohttp.ClientSession
) -> None:
    query = signed_query([("timestamp", sim.now_ms())])
    tampered = query[:-1] + ("0" if query[-1] != "0" else "1")
    status, body = await call(http, "GET", f"{sim.url}/dapi/v1/account?{tampered}")
    assert (status, body) == (
        400,
        {"code": -1022, "msg": "Signature for this request is not valid."},
    )
    # A parameter changed after signing is a tampered request too.
    moved = signed_query([("timestamp", sim.now_ms())]).replace("timestamp=", "timestamp=1", 1)
    status, body = await call(http, "GET", f"{sim.url}/dapi/v1/account?{moved}")
    assert body["code"] in (-1022, -1021)


async def test_stale_and_future_timestamps_are_refused_with_1021(
    sim: BinanceSimulator, http: aiohttp.ClientSession
) -> None:
    stale = signed_query([("recvWindow", 5000), ("timestamp", sim.now_ms() - 6000)])
    status, body = await call(http, "GET", f"{sim.url}/dapi/v1/account?{stale}")
    assert (status, body) == (
        400,
        {"code": -1021, "msg": "Timestamp for this request is outside of the recvWindow."},
    )
    wide = signed_query([("recvWindow", 10_000), ("timestamp", sim.now_ms() - 6000)])
    assert (await call(http, "GET", f"{sim.url}/dapi/v1/account?{wide}"))[0] == 200
    future = signed_query([("timestamp", sim.now_ms() + 1500)])
    status, body = await call(http, "GET", f"{sim.url}/dapi/v1/account?{future}")
    assert body == {
        "code": -1021,
        "msg": "Timestamp for this request was 1000ms ahead of the server's time.",
    }


async def test_clock_skew_gives_1021_unless_the_api_syncs_its_clock(sim: BinanceSimulator) -> None:
    sim.faults.clock_skew_ms = -20_000
    async with sim.api(time_sync_interval=None) as unsynced:
        with pytest.raises(errors.InvalidTimestampError) as caught:
            await CoinMAccountInformation(api=unsynced).run()
        assert caught.value.code == -1021
    async with sim.api() as synced:  # syncs with /dapi/v1/time before signing
        assert (await CoinMFuturesAccountBalance(api=synced).run())[0]["asset"] == "BTC"
        assert abs(synced.time_offset_ms + 20_000) < 1_000


async def test_wrong_key_is_refused_with_2015(sim: BinanceSimulator) -> None:
    async with BinanceRestApi("not-the-key", SECRET, urls={"coinm": sim.url}) as api:
        with pytest.raises(errors.AuthenticationError) as caught:
            await CoinMFuturesAccountBalance(api=api).run()
    assert (caught.value.code, caught.value.status) == (-2015, 401)
    assert SECRET not in str(caught.value)


async def test_wrong_secret_is_refused_with_1022(sim: BinanceSimulator) -> None:
    async with BinanceRestApi(KEY, "another-secret", urls={"coinm": sim.url}) as api:
        with pytest.raises(errors.AuthenticationError) as caught:
            await CoinMFuturesAccountBalance(api=api).run()
    assert caught.value.code == -1022


async def test_market_data_needs_the_key_header(
    sim: BinanceSimulator, http: aiohttp.ClientSession
) -> None:
    url = f"{sim.url}/dapi/v1/historicalTrades?symbol=BTCUSD_PERP&limit=2"
    status, body = await call(http, "GET", url, key=None)
    assert (status, body) == (401, {"code": -2014, "msg": "API-key format invalid."})
    status, body = await call(http, "GET", url)
    assert status == 200
    assert len(body) == 2
    async with sim.api() as api:
        assert len(await CoinMOldTradesLookup(symbol="BTCUSD_PERP", limit=3, api=api).run()) == 3


async def test_ed25519_and_rsa_signatures_are_accepted() -> None:
    pytest.importorskip("cryptography")
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

    ed_key = ed25519.Ed25519PrivateKey.generate()
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def pems(key: Any) -> tuple[bytes, bytes]:
        private = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        public = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return private, public

    ed_private, ed_public = pems(ed_key)
    rsa_private, rsa_public = pems(rsa_key)
    async with BinanceSimulator(
        api_key=KEY, api_secret=SECRET, ed25519_public_key=ed_public, rsa_public_key=rsa_public
    ) as sim:
        for private in (ed_private, rsa_private):
            async with BinanceRestApi(KEY, private_key=private, urls={"coinm": sim.url}) as api:
                assert (await CoinMAccountInformation(api=api).run())["canTrade"] is True
        other = ed25519.Ed25519PrivateKey.generate()
        async with BinanceRestApi(KEY, private_key=pems(other)[0], urls={"coinm": sim.url}) as api:
            with pytest.raises(errors.AuthenticationError) as caught:
                await CoinMAccountInformation(api=api).run()
        assert caught.value.code == -1022


@pytest.mark.parametrize(
    ("query", "code", "msg"),
    [
        ("interval=1m", -1102,
         "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed."),
        ("symbol=BTCUSD_PERP&interval=7m", -1120, "Invalid interval."),
        ("symbol=NOPE_PERP&interval=1m", -1121, "Invalid symbol."),
        ("symbol=BTCUSD_PERP&interval=1m&limit=ten", -1100,
         "Illegal characters found in parameter 'limit'; legal range is '^[0-9]{1,20}$'."),
        ("symbol=BTCUSD_PERP&interval=1m&limit=5000", -1130,
         "Data sent for parameter 'limit' is not valid."),
        ("symbol=BTCUSD_PERP&interval=1m&bogus=1", -1104,
         "Not all sent parameters were read; read '2' parameter(s) but was sent '3'."),
        ("symbol=BTCUSD_PERP&symbol=BTCUSD_PERP&interval=1m", -1101,
         "Duplicate values for a parameter detected."),
    ],
)  # fmt: skip
async def test_bad_parameters_get_binance_11xx_errors(
    sim: BinanceSimulator, http: aiohttp.ClientSession, query: str, code: int, msg: str
) -> None:
    status, body = await call(http, "GET", f"{sim.url}/dapi/v1/klines?{query}", key=None)
    assert (status, body) == (400, {"code": code, "msg": msg})


async def test_unknown_path_gets_binance_404_page(
    sim: BinanceSimulator, http: aiohttp.ClientSession
) -> None:
    status, body = await call(http, "GET", f"{sim.url}/dapi/v1/nothing-here")
    assert status == 404
    assert "404 Not found" in body
    async with sim.api(retry=RetryPolicy(attempts=1)) as api:
        with pytest.raises(errors.BadRequestError) as caught:
            await api.request("GET", f"{sim.url}/dapi/v9/ping")
    assert caught.value.status == 404


def test_the_secret_never_shows_in_reprs() -> None:
    sim = BinanceSimulator()
    assert sim.api_secret not in repr(sim)
    assert sim.api_secret not in repr(sim._credentials)
    assert len(sim.api_key) >= 16
    assert sim.api_key.isalnum()
    assert len(sim.api_secret) >= 16
    assert sim.api_secret.isalnum()
    assert BinanceSimulator().api_key != sim.api_key  # random demo credentials


async def test_a_non_ascii_digit_timestamp_is_refused_as_binance_would() -> None:
    async with BinanceSimulator() as sim, aiohttp.ClientSession() as session:
        url = f"{sim.url}/dapi/v1/account?timestamp=%C2%B2&signature=00"
        headers = {"X-MBX-APIKEY": sim.api_key}
        async with session.get(url, headers=headers) as response:
            body = await response.json()
    assert response.status == 400
    assert body["code"] == -1102  # "was not sent, was empty/null, or malformed"
