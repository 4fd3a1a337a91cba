"""The simulator serves three markets, Spot, USDⓈ-M and COIN-M, each on a port of its own,
every endpoint of each market's spec with a documented shape, each market with its own
budgets (weights by the spec's rules, order counts, raw requests, endpoint windows), and
faults everywhere."""

from __future__ import annotations

import json
import math
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from sim_core_helpers import call
from sim_helpers import FakeClock
from spec_files import SPEC_DIR

import aioca_binance_sim
from aioca_binance.coinm import CATALOG as COINM
from aioca_binance.spot import CATALOG as SPOT
from aioca_binance.usdm import CATALOG as USDM
from aioca_binance_sim import BinanceSimulator, Faults
from aioca_binance_sim.endpoints import MARKETS, EndpointSpec, documented_answer, endpoints
from aioca_binance_sim.limits import BUDGETS, Budget, RateLimits
from aioca_binance_sim.rules import rules_of

PACKAGE_SPEC = Path(aioca_binance_sim.__file__).parent / "spec"
MINUTE_START = 1_795_000_020.0
PING = {"spot": "/api/v3/ping", "usdm": "/fapi/v1/ping", "coinm": "/dapi/v1/ping"}
ACCOUNT = {"spot": "/api/v3/account", "usdm": "/fapi/v2/balance", "coinm": "/dapi/v1/account"}
SYMBOL = {"spot": "BTCUSDT", "usdm": "BTCUSDT", "coinm": "BTCUSD_PERP"}


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


# --- the package's spec -------------------------------------------------------------------


def test_the_package_spec_is_the_repository_spec_byte_for_byte() -> None:
    copied = sorted(path.name for path in PACKAGE_SPEC.glob("*.json"))
    wanted = [
        f"binance-{market}-{kind}.json" for market in MARKETS for kind in ("responses", "rest")
    ] + ["binance-coinm-rest-extra.json"]
    assert copied == sorted(wanted)
    for name in copied:
        assert (PACKAGE_SPEC / name).read_bytes() == (SPEC_DIR / name).read_bytes(), name


def test_every_spec_endpoint_is_routed_once_per_market() -> None:
    for market, catalog in (("spot", SPOT), ("usdm", USDM), ("coinm", COINM)):
        keys = [(spec.method, spec.path) for spec in endpoints(market)]
        assert len(keys) == len(set(keys)), market
        # the client's catalog is generated from the same spec: the same endpoints
        catalog_keys = {(task.endpoint.method, task.endpoint.path) for task in catalog.values()}
        assert set(keys) == catalog_keys, market


# --- weights: the spec's rules, cross-checked with the client's catalog -------------------

WEIGHT_CASES: list[dict[str, str]] = [
    {},
    {"symbol": "X"},
    {"pair": "X"},
    {"limit": "5"},
    {"limit": "100"},
    {"limit": "101"},
    {"limit": "1000"},
    {"limit": "1500"},
    {"symbols": '["A","B"]'},
    {"symbols": "[" + ",".join(['"A"'] * 30) + "]"},
    {"symbols": "[" + ",".join(['"A"'] * 120) + "]"},
    {"orderId": "1"},
    {"computeCommissionRates": "true"},
    {"computeCommissionRates": "false"},
    {"preventedMatchId": "1"},
    {"symbolStatus": "TRADING"},
]


@pytest.mark.parametrize("market", MARKETS)
def test_weights_by_the_spec_agree_with_the_clients_catalog(market: str) -> None:
    catalog = {"spot": SPOT, "usdm": USDM, "coinm": COINM}[market]
    declared = {(t.endpoint.method, t.endpoint.path): t.endpoint for t in catalog.values()}
    differ = []
    for spec in endpoints(market):
        endpoint = declared[(spec.method, spec.path)]
        for params in WEIGHT_CASES:
            if spec.weight(params) != endpoint.weight_for(params):
                differ.append((str(spec), params, spec.weight(params), endpoint.weight_for(params)))
    assert differ == []


def test_weight_rules_read_from_the_spec() -> None:
    spot = {spec.key: spec for spec in endpoints("spot")}
    assert spot["GET /api/v3/depth"].weight({}) == 5  # default limit 100
    assert spot["GET /api/v3/depth"].weight({"limit": "5000"}) == 250
    assert spot["GET /api/v3/ticker/24hr"].weight({}) == 80
    assert spot["GET /api/v3/ticker/24hr"].weight({"symbols": '["A"]'}) == 2
    assert spot["GET /api/v3/ticker"].weight({"symbols": '["A","B","C"]'}) == 12
    assert spot["GET /api/v3/myTrades"].weight({"symbol": "A", "orderId": "1"}) == 5
    assert spot["GET /api/v3/myTrades"].weight({"symbol": "A"}) == 20
    assert spot["GET /api/v3/executionRules"].weight({"symbols": '["A","B","C"]'}) == 6
    assert spot["POST /api/v3/orderList/otoco"].orders_1m == 3
    usdm = {spec.key: spec for spec in endpoints("usdm")}
    batch = usdm["POST /fapi/v1/batchOrders"]
    assert (batch.orders_1m, batch.orders_10s) == (1, 5)
    shared = usdm["GET /fapi/v1/fundingRate"].own_windows
    assert shared == usdm["GET /fapi/v1/fundingInfo"].own_windows
    assert [(w.limit, w.seconds) for w in shared] == [(500, 300)]
    stats = usdm["GET /futures/data/openInterestHist"].own_windows
    assert stats == usdm["GET /futures/data/topLongShortPositionRatio"].own_windows
    assert [(w.limit, w.seconds) for w in stats] == [(1000, 300)]


# --- three ports --------------------------------------------------------------------------


async def test_each_market_is_served_on_its_own_port(http: aiohttp.ClientSession) -> None:
    async with BinanceSimulator() as sim:
        assert set(sim.urls) == set(MARKETS)
        assert len(set(sim.urls.values())) == 3
        assert sim.url == sim.urls["coinm"]
        assert sim.port == int(sim.url.rsplit(":", 1)[1])
        for market, path in PING.items():
            status, headers, body = await call(http, sim, market, "GET", path)
            assert (status, body) == (200, {}), market
            assert "X-MBX-USED-WEIGHT-1M" in headers
        # a path is another market's only on that market's port
        status, _, _ = await call(http, sim, "spot", "GET", PING["coinm"])
        assert status == 404
        status, _, _ = await call(http, sim, "coinm", "GET", PING["usdm"])
        assert status == 404
        async with sim.api() as api:
            assert await api.request("GET", f"{sim.urls['spot']}/api/v3/ping") == {}
    with pytest.raises(RuntimeError, match="not running"):
        sim.urls  # noqa: B018


def _minimal(spec: EndpointSpec) -> dict[str, str]:
    """Values of the endpoint's required parameters (by the spec's flags and documented
    rules) that read well by their spec type."""
    params: dict[str, str] = {}
    rules = rules_of(spec.market, spec.method, spec.path)
    wanted = {param.name for param in spec.params if param.required}
    wanted |= {group[0] for group in rules.one_of}
    kind = next((p.enum[0] for p in spec.params if p.name == "type" and p.enum), None)
    if rules.by_type and kind is not None:
        wanted |= {group[0] for group in rules.by_type.get(kind, ())}
    for param in spec.params:
        if param.name not in wanted or param.name in ("timestamp", "recvWindow", "signature"):
            continue
        if param.type == "ENUM" and param.enum:
            params[param.name] = param.enum[0]
        elif param.type in ("LONG", "INT", "DECIMAL"):
            params[param.name] = "1"
        elif param.type == "BOOLEAN":
            params[param.name] = "true"
        elif param.type == "ARRAY":
            params[param.name] = {"OBJECT": "[{}]", "LONG": "[1]"}.get(param.items or "", '["A"]')
        elif param.name == "pair":
            params[param.name] = "BTCUSD"
        else:
            params[param.name] = SYMBOL[spec.market]
    return params


@pytest.mark.parametrize("market", MARKETS)
async def test_every_endpoint_answers_with_a_documented_shape(
    market: str, http: aiohttp.ClientSession
) -> None:
    async with BinanceSimulator(
        budgets={market: [Budget("REQUEST_WEIGHT", 10**9, 60), Budget("ORDERS", 10**9, 60)]}
    ) as sim:
        routes = sim._sites[market].routes
        for spec in endpoints(market):
            status, _, body = await call(
                http, sim, market, spec.method, spec.path, _minimal(spec), signed=spec.signed
            )
            if routes[(spec.method, spec.path)].static:
                assert (status, body) == (200, documented_answer(market, spec.method, spec.path))
            elif status != 200:  # a handler refusing made-up values: Binance's error body
                # (cancel/replace's -2021/-2022 add "data": what happened to each half)
                extra = {"data"} if spec.path == "/api/v3/order/cancelReplace" else set()
                assert set(body) == {"code", "msg", *extra}, (str(spec), body)
                assert body["code"] < 0
            assert status in (200, 400), (str(spec), status, body)


def test_documented_answers_are_copies() -> None:
    first = documented_answer("spot", "GET", "/api/v3/exchangeInfo")
    first["symbols"].clear()
    assert documented_answer("spot", "GET", "/api/v3/exchangeInfo")["symbols"]


# --- budgets per market -------------------------------------------------------------------


def test_each_market_has_its_published_budgets() -> None:
    sim = BinanceSimulator()
    info = {m: sim.market_limits[m].rate_limits_info() for m in MARKETS}
    assert info["spot"] == [
        {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000},
        {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 50},
        {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": 160000},
        {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5, "limit": 61000},
    ]
    for market in ("usdm", "coinm"):
        assert [tuple(entry.values()) for entry in info[market]] == [
            ("REQUEST_WEIGHT", "MINUTE", 1, 2400),
            ("ORDERS", "MINUTE", 1, 1200),
            ("ORDERS", "SECOND", 10, 300),
        ]
    assert sim.limits is sim.market_limits["coinm"]
    with pytest.raises(ValueError, match="unknown markets"):
        BinanceSimulator(ports={"options": 1})


async def test_spot_weight_orders_and_raw_requests(http: aiohttp.ClientSession) -> None:
    clock = FakeClock(MINUTE_START + 1)
    budgets = [
        Budget("REQUEST_WEIGHT", 100, 60),
        Budget("ORDERS", 2, 10),
        Budget("ORDERS", 1000, 86_400),
        Budget("RAW_REQUESTS", 5, 300),
    ]
    async with BinanceSimulator(clock=clock, budgets={"spot": budgets}, ban_after=2) as sim:
        status, headers, _ = await call(
            http, sim, "spot", "GET", "/api/v3/depth", {"symbol": "BTCUSDT"}
        )
        assert headers["X-MBX-USED-WEIGHT-1M"] == "5"
        order = {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.001"}
        counts = []
        for _ in range(2):
            status, headers, _ = await call(
                http, sim, "spot", "POST", "/api/v3/order", order, signed=True
            )
            counts.append((headers["X-MBX-ORDER-COUNT-10S"], headers["X-MBX-ORDER-COUNT-1D"]))
        assert counts == [("1", "1"), ("2", "2")]
        assert "X-MBX-ORDER-COUNT-1M" not in headers
        status, headers, body = await call(
            http, sim, "spot", "POST", "/api/v3/order", order, signed=True
        )
        assert status == 429
        assert body == {
            "code": -1015,
            "msg": "Too many new orders; current limit is 2 orders per 10 SECOND.",
        }
        assert headers["Retry-After"] == "9"
        # the 6th request of 5 minutes (the refused order counted): refused by
        # RAW_REQUESTS, whatever its weight
        status, headers, body = await call(http, sim, "spot", "GET", "/api/v3/ping")
        assert status == 200
        status, headers, body = await call(http, sim, "spot", "GET", "/api/v3/ping")
        assert (status, body["code"]) == (429, -1003)
        assert "current limit of IP(127.0.0.1) is 5 requests per 5 minutes" in body["msg"]
        assert headers["Retry-After"] == str(math.ceil(300 - clock.now % 300))
        # another market's host has budgets of its own
        status, headers, _ = await call(http, sim, "coinm", "GET", "/dapi/v1/ping")
        assert (status, headers["X-MBX-USED-WEIGHT-1M"]) == (200, "1")
        # a client that keeps going is banned on that market only
        status, _, _ = await call(http, sim, "spot", "GET", "/api/v3/ping")
        status, headers, body = await call(http, sim, "spot", "GET", "/api/v3/ping")
        assert status == 418
        assert "banned until" in body["msg"]
        assert (await call(http, sim, "usdm", "GET", "/fapi/v1/ping"))[0] == 200
        sim.reset_limits()
        assert (await call(http, sim, "spot", "GET", "/api/v3/ping"))[0] == 200


async def test_usdm_batch_counts_five_on_ten_seconds_and_one_a_minute(
    http: aiohttp.ClientSession,
) -> None:
    async with BinanceSimulator(clock=FakeClock(MINUTE_START + 1)) as sim:
        item = {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.01"}
        batch = {"batchOrders": json.dumps([item, item])}
        _, headers, body = await call(
            http, sim, "usdm", "POST", "/fapi/v1/batchOrders", batch, signed=True
        )
        assert "X-MBX-ORDER-COUNT-10S" in headers, body
        assert headers["X-MBX-ORDER-COUNT-10S"] == "5"
        assert headers["X-MBX-ORDER-COUNT-1M"] == "1"
        assert headers["X-MBX-USED-WEIGHT-1M"] == "5"


def test_filled_orders_are_credited_back_on_spot_s_order_windows() -> None:
    limits = RateLimits(BUDGETS["spot"])
    now = MINUTE_START
    limits.charge_orders("1.2.3.4", 3, now)
    limits.charge_weight("1.2.3.4", 7, now)
    limits.credit_filled_orders(2, now)
    assert limits.order_counts("1.2.3.4", now) == (1, 1)  # 10 s and day windows
    assert limits.used_weight("1.2.3.4", now) == 7  # weight is not credited
    limits.credit_filled_orders(5, now)
    assert limits.order_counts("1.2.3.4", now) == (0, 0)  # never below zero


def test_endpoint_windows_are_shared_and_refused_with_retry_after() -> None:
    usdm = {spec.key: spec for spec in endpoints("usdm")}
    limits = RateLimits(BUDGETS["usdm"])
    rate, info = usdm["GET /fapi/v1/fundingRate"], usdm["GET /fapi/v1/fundingInfo"]
    now = MINUTE_START
    for index in range(500):
        spec = rate if index % 2 else info
        limits.charge_weight("1.2.3.4", spec.weight({}), now)
        limits.charge_own("1.2.3.4", spec.own_windows, now)
    with pytest.raises(aioca_binance_sim.errors.SimError) as refused:
        limits.charge_own("1.2.3.4", rate.own_windows, now)
    assert refused.value.status == 429
    assert refused.value.code == -1003
    assert refused.value.headers["Retry-After"] == str(math.ceil(300 - now % 300))
    # another address, and the market's other endpoints, are not held back
    limits.charge_own("5.6.7.8", rate.own_windows, now)
    limits.charge_weight("1.2.3.4", usdm["GET /fapi/v1/ping"].weight({}), now)


# --- faults on every market ---------------------------------------------------------------


@pytest.mark.parametrize("market", MARKETS)
async def test_faults_apply_to_every_market(market: str, http: aiohttp.ClientSession) -> None:
    async with BinanceSimulator(faults=Faults(error_rate=1.0)) as sim:
        status, _, body = await call(http, sim, market, "GET", PING[market])
        assert (status, body["code"]) == (503, -1001)
        sim.faults.error_rate = 0.0
        sim.faults.latency = 0.2
        started = time.perf_counter()
        assert (await call(http, sim, market, "GET", PING[market]))[0] == 200
        assert time.perf_counter() - started >= 0.2
        sim.faults.latency = 0.0
        sim.faults.drop_rate = 1.0
        with pytest.raises(aiohttp.ClientError):
            await call(http, sim, market, "GET", PING[market])
        sim.faults.drop_rate = 0.0
        sim.faults.clock_skew_ms = -60_000
        status, _, body = await call(http, sim, market, "GET", ACCOUNT[market], signed=True)
        assert (status, body["code"]) == (400, -1021)
