"""The simulator checks requests by the spec, independently of the client: required
parameters, unread ones, types, enums, the documented cross-parameter rules, batch items,
the API key, the signature over the exact bytes sent, timestamp and recvWindow, with
Binance's codes and messages (binance-signing-and-errors.md). It imports nothing of the
client's catalogs or models."""

from __future__ import annotations

import ast
import hashlib
import hmac
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import pytest
from sim_core_helpers import call, signed_query

import aioca_binance_sim
from aioca_binance_sim import BinanceSimulator
from aioca_binance_sim.rules import rules_of

PACKAGE = Path(aioca_binance_sim.__file__).parent
FORBIDDEN = (
    "aioca_binance.coinm",
    "aioca_binance.usdm",
    "aioca_binance.spot",
    "aioca_binance.task",
    "aioca_binance.endpoint",
    "aioca_binance.values",
    "aioca_binance.model_base",
    "aioca_binance.catalog",
    "aioca_binance.markets",
    "aioca_binance.limits",
    "pydantic",
)
"""What the simulator must not import: the client's catalogs, models, task and endpoint
declarations (and pydantic, which only they would bring)."""


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_the_simulator_imports_nothing_of_the_clients_declarations() -> None:
    offenders = {
        str(path.relative_to(PACKAGE)): sorted(
            name
            for name in _imports(path)
            if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN)
        )
        for path in PACKAGE.rglob("*.py")
    }
    assert {path: names for path, names in offenders.items() if names} == {}
    # the one use of the client: sim.api(), a convenience, imported lazily
    allowed = {
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if any(name.split(".")[0] == "aioca_binance" for name in _imports(path))
    }
    assert allowed <= {"server.py"}, allowed


def test_a_running_simulator_has_loaded_nothing_of_the_client() -> None:
    """At run time too: starting and stopping a simulator, in a fresh interpreter, loads
    no module of the client (nor pydantic)."""
    script = (
        "import asyncio, sys\n"
        "from aioca_binance_sim import BinanceSimulator\n"
        "async def main():\n"
        "    async with BinanceSimulator():\n"
        "        pass\n"
        "asyncio.run(main())\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('aioca_binance', 'pydantic')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"


def test_the_import_walk_sees_a_forbidden_import(tmp_path: Path) -> None:
    module = tmp_path / "bad.py"
    module.write_text("from aioca_binance.coinm import CATALOG\nimport pydantic.fields\n")
    found = {name for name in _imports(module) if name.startswith(FORBIDDEN)}
    assert found == {"aioca_binance.coinm", "aioca_binance.coinm.CATALOG", "pydantic.fields"}


@pytest.fixture
async def sim() -> AsyncIterator[BinanceSimulator]:
    async with BinanceSimulator() as simulator:
        yield simulator


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def error(code: int, msg: str) -> tuple[int, dict[str, object]]:
    return 400, {"code": code, "msg": msg}


# --- parameters by the spec ----------------------------------------------------------------

CASES = [
    # (market, method, path, params, signed, code, msg)
    ("spot", "GET", "/api/v3/depth", {}, False, -1102,
     "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed."),
    ("usdm", "GET", "/fapi/v1/klines", {"symbol": "BTCUSDT"}, False, -1102,
     "Mandatory parameter 'interval' was not sent, was empty/null, or malformed."),
    ("spot", "GET", "/api/v3/depth", {"symbol": "BTCUSDT", "size": "5"}, False, -1104,
     "Not all sent parameters were read; read '1' parameter(s) but was sent '2'."),
    ("spot", "GET", "/api/v3/depth", {"symbol": "BTCUSDT", "limit": "ten"}, False, -1100,
     "Illegal characters found in parameter 'limit'; legal range is '^[0-9]{1,20}$'."),
    ("spot", "GET", "/api/v3/depth", {"symbol": "BTCUSDT", "limit": "5001"}, False, -1130,
     "Data sent for parameter 'limit' is not valid."),
    ("usdm", "GET", "/fapi/v1/klines", {"symbol": "BTCUSDT", "interval": "2m"}, False, -1120,
     "Invalid interval."),
    ("spot", "GET", "/api/v3/ticker/price", {"symbol": "BTCUSDT", "symbols": '["BTCUSDT"]'},
     False, -1128, "Combination of optional parameters invalid."),
    ("spot", "GET", "/api/v3/ticker", {}, False, -1102,
     "Param 'symbol' or 'symbols' must be sent, but both were empty/null!"),
    ("spot", "GET", "/api/v3/account", {"omitZeroBalances": "maybe"}, True, -1130,
     "Data sent for parameter 'omitZeroBalances' is not valid."),
    ("spot", "GET", "/api/v3/order", {"symbol": "BTCUSDT"}, True, -1102,
     "Param 'orderId' or 'origClientOrderId' must be sent, but both were empty/null!"),
    ("usdm", "POST", "/fapi/v1/order",
     {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "quantity": "1", "price": "1"},
     True, -1102, "Mandatory parameter 'timeInForce' was not sent, was empty/null, or malformed."),
    ("usdm", "POST", "/fapi/v1/order",
     {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "quantity": "1", "price": "1",
      "timeInForce": "GTC", "priceMatch": "QUEUE"},
     True, -1128, "Combination of optional parameters invalid."),
    ("usdm", "POST", "/fapi/v1/order",
     {"symbol": "BTCUSDT", "side": "SIDEWAYS", "type": "MARKET", "quantity": "1"},
     True, -1117, "Invalid side."),
    ("spot", "POST", "/api/v3/order",
     {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET"}, True, -1102,
     "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!"),
    ("spot", "POST", "/api/v3/order",
     {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT_MAKER", "quantity": "1"}, True, -1102,
     "Mandatory parameter 'price' was not sent, was empty/null, or malformed."),
    ("spot", "POST", "/api/v3/order",
     {"symbol": "BTCUSDT", "side": "BUY", "type": "STOP", "quantity": "1"}, True, -1116,
     "Invalid orderType."),
    ("spot", "POST", "/api/v3/order",
     {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "quantity": "1", "price": "1",
      "timeInForce": "GTC", "newClientOrderId": "no spaces allowed"}, True, -1100,
     "Illegal characters found in parameter 'newClientOrderId'; legal range is "
     "'^[\\.A-Z\\:/a-z0-9_-]{1,36}$'."),
    ("coinm", "GET", "/dapi/v1/userTrades", {"pair": "BTCUSD", "fromId": "1"}, True, -1128,
     "Combination of optional parameters invalid."),
    ("coinm", "GET", "/dapi/v1/allOrders", {}, True, -1102,
     "Param 'symbol' or 'pair' must be sent, but both were empty/null!"),
    ("coinm", "POST", "/dapi/v1/order",
     {"symbol": "BTCUSD_PERP", "side": "BUY", "type": "MARKET"}, True, -1102,
     "Mandatory parameter 'quantity' was not sent, was empty/null, or malformed."),
    ("usdm", "POST", "/fapi/v1/batchOrders", {"batchOrders": json.dumps([{}] * 6)}, True,
     -4082, "Invalid number of batch place orders: 6"),
    ("usdm", "GET", "/fapi/v2/balance", {"recvWindow": "60001"}, True, -1130,
     "Data sent for parameter 'recvWindow' is not valid."),
    ("spot", "GET", "/api/v3/myTrades",
     {"symbol": "BTCUSDT", "orderId": "1", "startTime": "1"}, True, -1128,
     "Combination of optional parameters invalid."),
    ("spot", "GET", "/api/v3/executionRules", {"symbol": "BTCUSDT", "symbolStatus": "TRADING"},
     False, -1128, "Combination of optional parameters invalid."),
]  # fmt: skip


@pytest.mark.parametrize(
    ("market", "method", "path", "params", "signed", "code", "msg"),
    CASES,
    ids=[f"{case[0]}-{case[2]}-{case[5]}" for case in CASES],
)
async def test_bad_requests_get_binances_documented_errors(
    sim: BinanceSimulator,
    http: aiohttp.ClientSession,
    market: str,
    method: str,
    path: str,
    params: dict[str, str],
    signed: bool,
    code: int,
    msg: str,
) -> None:
    status, _, body = await call(http, sim, market, method, path, params, signed=signed)
    assert (status, body) == error(code, msg)


async def test_spot_recv_window_takes_three_decimals(
    sim: BinanceSimulator, http: aiohttp.ClientSession
) -> None:
    status, _, _ = await call(
        http, sim, "spot", "GET", "/api/v3/account", {"recvWindow": "6000.346"}, signed=True
    )
    assert status == 200
    status, _, body = await call(
        http, sim, "usdm", "GET", "/fapi/v2/balance", {"recvWindow": "6000.346"}, signed=True
    )
    assert (status, body["code"]) == (400, -1130)


async def test_batch_items_are_checked_one_by_one(
    sim: BinanceSimulator, http: aiohttp.ClientSession
) -> None:
    good = {"symbol": "BTCUSD_PERP", "side": "BUY", "type": "MARKET", "quantity": "1"}
    missing = {"symbol": "BTCUSD_PERP", "side": "BUY", "type": "LIMIT", "quantity": "1"}
    bad_side = {**good, "side": "UP"}
    batch = {"batchOrders": json.dumps([good, missing, bad_side])}
    status, _, body = await call(
        http, sim, "coinm", "POST", "/dapi/v1/batchOrders", batch, signed=True
    )
    assert status == 200
    assert body[0]["symbol"] == "BTCUSD_PERP"
    assert body[1] == {
        "code": -1102,
        "msg": "Mandatory parameter 'timeInForce' was not sent, was empty/null, or malformed.",
    }
    assert body[2] == {"code": -1117, "msg": "Invalid side."}


# --- security -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("market", "path"), [("spot", "/api/v3/account"), ("usdm", "/fapi/v2/balance")]
)
async def test_key_signature_and_timestamp_on_every_market(
    sim: BinanceSimulator, http: aiohttp.ClientSession, market: str, path: str
) -> None:
    status, _, body = await call(http, sim, market, "GET", path, signed=True, api_key="")
    assert (status, body) == (401, {"code": -2014, "msg": "API-key format invalid."})
    status, _, body = await call(http, sim, market, "GET", path, signed=True, api_key="other")
    assert (status, body) == (
        401,
        {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."},
    )
    wrong = signed_query(sim, {}, secret="not the secret")
    status, _, body = await call(http, sim, market, "GET", path, query=wrong)
    assert (status, body) == error(-1022, "Signature for this request is not valid.")
    old = signed_query(sim, {"timestamp": str(sim.now_ms() - 10_000)})
    status, _, body = await call(http, sim, market, "GET", path, query=old)
    assert (status, body) == error(
        -1021, "Timestamp for this request is outside of the recvWindow."
    )
    ahead = signed_query(sim, {"timestamp": str(sim.now_ms() + 5_000)})
    status, _, body = await call(http, sim, market, "GET", path, query=ahead)
    assert (status, body) == error(
        -1021, "Timestamp for this request was 1000ms ahead of the server's time."
    )
    unsigned = urlencode({"timestamp": sim.now_ms()})
    status, _, body = await call(http, sim, market, "GET", path, query=unsigned)
    assert (status, body) == error(
        -1102, "Mandatory parameter 'signature' was not sent, was empty/null, or malformed."
    )


async def test_the_signature_covers_the_exact_bytes_of_query_and_body(
    sim: BinanceSimulator, http: aiohttp.ClientSession
) -> None:
    """totalParams is the query string followed by the body, as received: the same
    parameters encoded otherwise (%2C for a comma) are other bytes, another signature."""
    query = f"symbols=%5B%22BTCUSDT%22%5D&timestamp={sim.now_ms()}"
    body = "recvWindow=5000"
    signature = hmac.new(
        sim.api_secret.encode(), (query + body).encode(), hashlib.sha256
    ).hexdigest()
    status, _, answer = await call(
        http,
        sim,
        "spot",
        "GET",
        "/api/v3/account",
        query=query,
        body=f"{body}&signature={signature}",
    )
    assert status == 400  # the symbols parameter is not Account's: read after the signature
    assert answer["code"] == -1104
    reencoded = query.replace("%5B", "[").replace("%5D", "]")
    status, _, answer = await call(
        http, sim, "spot", "GET", "/api/v3/account", query=reencoded,
        body=f"{body}&signature={signature}",
    )  # fmt: skip
    assert (status, answer["code"]) == (400, -1022)


# --- rules read from the notes -------------------------------------------------------------


def test_documented_rules_are_read_from_the_spec_notes() -> None:
    spot_order = rules_of("spot", "POST", "/api/v3/order")
    assert spot_order.by_type is not None
    assert spot_order.by_type["LIMIT"] == (("timeInForce",), ("quantity",), ("price",))
    assert spot_order.by_type["STOP_LOSS"] == (("quantity",), ("stopPrice", "trailingDelta"))
    assert ("pegPriceType", "price") in spot_order.optional_if
    trades = rules_of("coinm", "GET", "/dapi/v1/userTrades")
    assert trades.one_of == (("symbol", "pair"),)
    assert set(trades.exclusive) == {
        ("symbol", "pair"), ("pair", "fromId"), ("fromId", "startTime"), ("fromId", "endTime"),
    }  # fmt: skip
    assert trades.needs == (("orderId", "symbol"),)
    assert rules_of("coinm", "POST", "/dapi/v1/order").close_all_forbids == (
        "reduceOnly",
        "quantity",
    )
    # Spot's 24-hour ticker may omit both: its weight table prices that request
    assert rules_of("spot", "GET", "/api/v3/ticker/24hr").one_of == ()
    combos = rules_of("spot", "GET", "/api/v3/myTrades").combinations
    assert frozenset({"symbol", "orderId", "fromId"}) in combos
    assert frozenset({"symbol", "orderId", "startTime"}) not in combos
    assert len(rules_of("spot", "GET", "/api/v3/myAllocations").combinations) == 7
    info = rules_of("spot", "GET", "/api/v3/exchangeInfo")
    assert ("permissions", "symbol") in info.exclusive
    assert ("symbolStatus", "symbols") in info.exclusive
