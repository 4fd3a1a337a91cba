"""Each Binance market has its own budgets, on its own host, per account.

Spot: REQUEST_WEIGHT 6,000 a minute, RAW_REQUESTS 61,000 per 5 minutes, ORDERS 50 per 10 s
and 160,000 a day; USDⓈ-M: 2,400 weight a minute, orders 1,200 a minute and 300 per 10 s
(a batch counts 5 there, 1 a minute), and the funding-rate endpoints' shared 500 per 5
minutes; COIN-M as before. A market's exchangeInfo replaces that market's limits only. The
ORDERS windows count one API object's orders: one account's.

Three loopback servers stand for the three hosts (each market has a host of its own).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from aioca_binance import BinanceRestApi
from aioca_binance.coinm import CoinMPing
from aioca_binance.spot import SpotExchangeInfo, SpotNewOrder, SpotOrderListOtoco, SpotPing
from aioca_binance.usdm import (
    UsdmExchangeInfo,
    UsdmFundingRate,
    UsdmNewOrder,
    UsdmPing,
    UsdmPlaceMultipleOrders,
)

KEY = "test-key-aaaaaaaaaaaaaaaa"
SECRET = "test-secret-bbbbbbbbbbbbbbbb"


def limits(api: BinanceRestApi, market: str) -> dict[str, tuple[int, float]]:
    return {w.name: (w.limit, w.seconds) for w in api.rate_limits(market)}


def test_each_market_has_binances_published_defaults() -> None:
    api = BinanceRestApi()
    assert limits(api, "spot") == {
        "REQUEST_WEIGHT": (6000, 60),
        "ORDERS_10S": (50, 10),
        "ORDERS_1D": (160_000, 86_400),
        "RAW_REQUESTS_5M": (61_000, 300),
    }
    assert limits(api, "usdm") == {
        "REQUEST_WEIGHT": (2400, 60),
        "ORDERS": (1200, 60),
        "ORDERS_10S": (300, 10),
        "FUNDING_RATE": (500, 300),
        "FUTURES_DATA": (1000, 300),
    }
    assert limits(api, "coinm") == {
        "REQUEST_WEIGHT": (2400, 60),
        "ORDERS": (1200, 60),
        "ORDERS_10S": (300, 10),
    }
    assert api.rate_limits() == api.rate_limits("coinm")


Servers = dict[str, tuple[str, list[web.Request]]]


@pytest.fixture
async def servers() -> AsyncIterator[Servers]:
    """A server per market; each answers what the test put in ``answers`` for a path, else
    an order (``{"orderId": 1}``) or, for a batch, one order per item."""
    found: Servers = {}
    running = []
    answers: dict[str, Any] = {}
    for market in ("spot", "usdm", "coinm"):
        seen: list[web.Request] = []

        async def answer(request: web.Request, seen: list[web.Request] = seen) -> web.Response:
            seen.append(request)
            if request.path in answers:
                return web.json_response(answers[request.path])
            if request.path.endswith("/batchOrders"):
                return web.json_response([{"orderId": 1}, {"orderId": 2}])
            return web.json_response({"orderId": 1})

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", answer)
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        running.append(server)
        found[market] = (str(server.make_url("")).rstrip("/"), seen)
    found["answers"] = ("", answers)  # type: ignore[assignment]
    yield found
    for server in running:
        await server.close()


async def clear_of_ten_second_boundary() -> None:
    """Sleep past a 10-second boundary (a minute's too) that is less than 1.5 s away: the
    counts a test reads must not roll over while it runs."""
    second = time.time() % 10
    if second > 8.5:
        await asyncio.sleep(10.05 - second)


def _api(servers: Servers) -> BinanceRestApi:
    urls = {market: servers[market][0] for market in ("spot", "usdm", "coinm")}
    return BinanceRestApi(KEY, SECRET, urls=urls, time_sync_interval=None)


def _status(api: BinanceRestApi, servers: Servers, market: str) -> dict[str, tuple[int, int]]:
    host = servers[market][0].removeprefix("http://")
    return {w.name: (w.used, w.limit) for w in api.rate_limit_status()[host]}


async def test_each_markets_host_gets_that_markets_budgets(servers: Servers) -> None:
    await clear_of_ten_second_boundary()
    async with _api(servers) as api:
        await SpotPing(api=api).run()
        await UsdmPing(api=api).run()
        await CoinMPing(api=api).run()
        spot, usdm, coinm = (_status(api, servers, m) for m in ("spot", "usdm", "coinm"))
    assert spot["REQUEST_WEIGHT"] == (1, 6000)
    assert spot["RAW_REQUESTS_5M"] == (1, 61_000)
    assert spot["ORDERS_10S"] == (0, 50)
    assert usdm["REQUEST_WEIGHT"] == (1, 2400)
    assert usdm["FUNDING_RATE"] == (0, 500)
    assert coinm == {"REQUEST_WEIGHT": (1, 2400), "ORDERS": (0, 1200), "ORDERS_10S": (0, 300)}


async def test_orders_count_as_binance_counts_them(servers: Servers) -> None:
    await clear_of_ten_second_boundary()
    async with _api(servers) as api:
        await SpotNewOrder(api=api, symbol="BTCUSDT", side="BUY", type="MARKET", quantity=1).run()
        await SpotOrderListOtoco(
            api=api,
            symbol="BTCUSDT",
            workingType="LIMIT",
            workingSide="BUY",
            workingPrice="1",
            workingQuantity="1",
            workingTimeInForce="GTC",
            pendingSide="SELL",
            pendingQuantity="1",
            pendingAboveType="LIMIT_MAKER",
            pendingAbovePrice="2",
        ).run()
        order = {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "1"}
        await UsdmPlaceMultipleOrders(api=api, batchOrders=[order, order]).run()
        await UsdmNewOrder(api=api, symbol="BTCUSDT", side="BUY", type="MARKET", quantity=1).run()
        await UsdmFundingRate(api=api, symbol="BTCUSDT").run()
        spot, usdm = _status(api, servers, "spot"), _status(api, servers, "usdm")
    # Spot: 1 for the order, 3 for the OTOCO list (its unfilled order count)
    assert spot["ORDERS_10S"][0] == spot["ORDERS_1D"][0] == 4
    assert spot["RAW_REQUESTS_5M"][0] == 2
    # USDⓈ-M: a batch is 5 on the 10-second window, 1 on the minute's; an order 1 on both
    assert usdm["ORDERS_10S"][0] == 5 + 1
    assert usdm["ORDERS"][0] == 1 + 1
    assert usdm["REQUEST_WEIGHT"][0] == 5 + 0 + 1  # the batch, the order, the funding rate
    assert usdm["FUNDING_RATE"][0] == 1


async def test_orders_windows_are_each_accounts_own(servers: Servers) -> None:
    await clear_of_ten_second_boundary()
    async with _api(servers) as first, _api(servers) as second:
        await UsdmNewOrder(api=first, symbol="BTCUSDT", side="BUY", type="MARKET", quantity=1).run()
        await UsdmPing(api=second).run()
        assert _status(first, servers, "usdm")["ORDERS"][0] == 1
        assert _status(second, servers, "usdm")["ORDERS"][0] == 0


async def test_a_markets_exchange_info_changes_that_markets_limits_only(
    servers: Servers,
) -> None:
    await clear_of_ten_second_boundary()
    answers = servers["answers"][1]
    assert isinstance(answers, dict)
    answers["/fapi/v1/exchangeInfo"] = {
        "rateLimits": [
            {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 9},
            {"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1, "limit": 8},
            {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 7},
        ]
    }
    answers["/api/v3/exchangeInfo"] = {
        "rateLimits": [
            {
                "rateLimitType": "REQUEST_WEIGHT",
                "interval": "MINUTE",
                "intervalNum": 1,
                "limit": 99,
            },
            {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5, "limit": 98},
        ]
    }
    async with _api(servers) as api:
        await SpotPing(api=api).run()
        await CoinMPing(api=api).run()
        await UsdmExchangeInfo(api=api).run()
        usdm = _status(api, servers, "usdm")
        assert {name: limit for name, (_, limit) in usdm.items()} == {
            "REQUEST_WEIGHT": 9,
            "ORDERS": 8,
            "ORDERS_10S": 7,
            "FUNDING_RATE": 500,  # endpoint windows are not in exchangeInfo: kept
            "FUTURES_DATA": 1000,
        }
        assert _status(api, servers, "spot")["REQUEST_WEIGHT"] == (1, 6000)
        assert _status(api, servers, "coinm")["REQUEST_WEIGHT"] == (1, 2400)
        assert limits(api, "coinm")["REQUEST_WEIGHT"] == (2400, 60)

        await SpotExchangeInfo(api=api).run()
        spot = _status(api, servers, "spot")
        assert spot["REQUEST_WEIGHT"][1] == 99
        assert spot["RAW_REQUESTS_5M"][1] == 98
        assert _status(api, servers, "usdm")["REQUEST_WEIGHT"][1] == 9
