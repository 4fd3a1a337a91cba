"""Binance's published signing examples, reproduced byte for byte.

``plugins/binance/spec/binance-signing-and-errors.md`` lists them with their sources:

* Spot's "SIGNED Endpoint Examples for POST /api/v3/order - HMAC Keys" (an ASCII symbol
  and the non-ASCII one of six fullwidth digits, percent-encoded as UTF-8): the catalog's
  ``SpotNewOrder`` with the example's values, signed by ``BinanceRestApi`` at the example's
  timestamp, puts exactly the published payload and signature in its body;
* USDⓈ-M's general-info example (``POST /fapi/v1/order``), whose parameters are in the docs'
  order (``quantity``, ``price``, ``timeInForce``), which is not the catalog's: sent with
  ``BinanceRestApi.request`` in that order, the body is the published payload and signature;
  and the catalog's ``UsdmNewOrder`` signs its own order just as exactly.

Both are checked on a real server on 127.0.0.1, on the bytes it received.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from aioca_binance import BinanceRestApi
from aioca_binance.markets import MARKETS
from aioca_binance.spot import SpotNewOrder
from aioca_binance.usdm import UsdmNewOrder

SPOT_KEY = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
SPOT_SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
SPOT_TIMESTAMP = 1499827319559
SPOT_VECTORS = [
    (
        "LTCBTC",
        "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1"
        "&recvWindow=5000&timestamp=1499827319559",
        "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71",
    ),
    (
        "\uff11\uff12\uff13\uff14\uff15\uff16",  # fullwidth 123456
        "symbol=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96&side=BUY&type=LIMIT"
        "&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559",
        "e1353ec6b14d888f1164ae9af8228a3dbd508bc82eb867db8ab6046442f33ef3",
    ),
]

FUTURES_KEY = "dbefbc809e3e83c283a984c3a1459732ea7db1360ca80c5c2c8867408d28cc83"
FUTURES_SECRET = "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9"
USDM_TIMESTAMP = 1591702613943
USDM_PAYLOAD = (
    "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=9000&timeInForce=GTC"
    "&recvWindow=5000&timestamp=1591702613943"
)
USDM_SIGNATURE = "3c661234138461fcc7a7d8746c6558c9842d4e10870d2ecbedf7777cad694af9"


class FixedClockApi(BinanceRestApi):
    """The example's timestamp for every request."""

    fixed_ms = 0

    def timestamp_ms(self) -> int:
        return self.fixed_ms


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    query: str
    body: bytes
    key: str | None


@pytest.fixture
async def server() -> AsyncIterator[tuple[list[Received], str]]:
    seen: list[Received] = []

    async def record(request: web.Request) -> web.Response:
        path, _, query = request.raw_path.partition("?")
        body = await request.read()
        seen.append(
            Received(request.method, path, query, body, request.headers.get("X-MBX-APIKEY"))
        )
        return web.json_response({"orderId": 1})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", record)
    async with TestServer(app, host="127.0.0.1") as test_server:
        yield seen, str(test_server.make_url("")).rstrip("/")


def _api(key: str, secret: str, url: str, timestamp: int) -> FixedClockApi:
    api = FixedClockApi(key, secret, urls=dict.fromkeys(MARKETS, url), time_sync_interval=None)
    api.fixed_ms = timestamp
    return api


@pytest.mark.parametrize(("symbol", "payload", "signature"), SPOT_VECTORS)
async def test_spot_published_examples_byte_for_byte(
    symbol: str, payload: str, signature: str, server: tuple[list[Received], str]
) -> None:
    seen, url = server
    # The example's own check: the published signature is the HMAC of the payload.
    assert hmac.new(SPOT_SECRET.encode(), payload.encode(), hashlib.sha256).hexdigest() == (
        signature
    )
    order = SpotNewOrder(
        symbol=symbol,
        side="BUY",
        type="LIMIT",
        timeInForce="GTC",
        quantity=1,
        price="0.1",
        recvWindow=5000,
    )
    async with _api(SPOT_KEY, SPOT_SECRET, url, SPOT_TIMESTAMP) as api:
        # The bytes of the plan's signed wire (what every attempt sends), and what the
        # server received from a run of the plan.
        plan = api.plan_endpoint(order.endpoint, order.wire_params())
        wire = api.sign_plan(plan)
        assert wire.body == f"{payload}&signature={signature}".encode()
        await api.send_plan(plan)
    (request,) = seen
    assert (request.method, request.path, request.query) == ("POST", "/api/v3/order", "")
    assert request.body == f"{payload}&signature={signature}".encode()
    assert request.key == SPOT_KEY


async def test_usdm_published_example_byte_for_byte(server: tuple[list[Received], str]) -> None:
    seen, url = server
    params = [
        ("symbol", "BTCUSDT"),
        ("side", "BUY"),
        ("type", "LIMIT"),
        ("quantity", "1"),
        ("price", "9000"),
        ("timeInForce", "GTC"),
        ("recvWindow", "5000"),
    ]
    async with _api(FUTURES_KEY, FUTURES_SECRET, url, USDM_TIMESTAMP) as api:
        await api.request("POST", f"{url}/fapi/v1/order", params, security="TRADE")
    (request,) = seen
    assert request.path == "/fapi/v1/order"
    assert request.body == f"{USDM_PAYLOAD}&signature={USDM_SIGNATURE}".encode()


async def test_usdm_catalog_order_signs_its_own_order_exactly(
    server: tuple[list[Received], str],
) -> None:
    seen, url = server
    async with _api(FUTURES_KEY, FUTURES_SECRET, url, USDM_TIMESTAMP) as api:
        order = UsdmNewOrder(
            api=api,
            symbol="BTCUSDT",
            side="BUY",
            type="LIMIT",
            quantity=1,
            price=9000,
            timeInForce="GTC",
            newClientOrderId="x1",
            recvWindow=5000,
        )
        await order.run()
    request = seen[-1]
    payload = (
        "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=9000"
        "&newClientOrderId=x1&recvWindow=5000&timestamp=1591702613943"
    )
    expected = hmac.new(FUTURES_SECRET.encode(), payload.encode(), hashlib.sha256).hexdigest()
    assert request.body == f"{payload}&signature={expected}".encode()
