"""The catalogs of the three markets against the spec they are generated from.

Walks every spec file in the plugin's copy of the spec (``plugins/binance/spec``): COIN-M
(``binance-coinm-rest.json``, the SDK's 64 endpoints, and ``binance-coinm-rest-extra.json``,
the 5 that Binance documents beyond the SDK), USDⓈ-M (``binance-usdm-rest.json``, 95) and
Spot (``binance-spot-rest.json``, 48): every endpoint has exactly one task of its market,
declared with the spec's method, path, security type and weight rule, taking the spec's
parameters in the spec's (wire) order with the spec's required-ness and enum values; and
the committed catalogs are what ``tools/generate_catalog.py`` writes today.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import types
import typing
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pydantic
import pytest
from spec_files import SPEC_DIR

import aioca
import aioca_binance.catalog as catalog
import aioca_binance.coinm as coinm
import aioca_binance.spot as spot
import aioca_binance.usdm as usdm
from aioca.errors import InvalidParameterError
from aioca.params import TaskParams
from aioca_binance import BinanceTask, Security
from aioca_binance.catalog import CATALOG
from aioca_binance.coinm import (
    CoinMFetchKline,
    CoinMFetchTicker,
    CoinMPing,
    CoinMServerTime,
)

REPO = Path(__file__).resolve().parents[3]
SPEC_FILES = {
    "coinm": ("binance-coinm-rest.json", "binance-coinm-rest-extra.json"),
    "usdm": ("binance-usdm-rest.json",),
    "spot": ("binance-spot-rest.json",),
}
COUNTS = {"coinm": 69, "usdm": 95, "spot": 48}
"""Endpoints per market, as the spec's README counts them."""
PACKAGES = {"coinm": coinm, "usdm": usdm, "spot": spot}
GENERATOR = REPO / "plugins" / "binance" / "tools" / "generate_catalog.py"
PACKAGE = Path(catalog.__file__).parent

DOCUMENTED_DEFAULT_LIMIT = {"coinm": 500, "usdm": 500, "spot": 100, "/fapi/v1/rpiDepth": 1000}
"""What Binance uses for ``limit`` when it is not sent, for the endpoints weighted by limit
(the futures kline family and ``depth``: "Default 500"; Spot's ``depth``: "Default 100";
USDⓈ-M's ``rpiDepth``: "Default 1000")."""

ASSUMED_WEIGHT = 1
"""The weight a task declares when neither the SDK nor the docs state one (``fundingInfo``)."""

BOOLEAN_STRINGS = {
    "coinm": {"closePosition", "dualSidePosition"},
    "usdm": {"dualSidePosition", "feeBurn", "multiAssetsMargin"},
    "spot": set(),
}
"""STRING parameters of the spec whose descriptions make them booleans ("true"/"false"):
taken as ``bool`` and sent as Binance's words."""


def _load_spec() -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    for market, names in SPEC_FILES.items():
        for name in names:
            path = SPEC_DIR / name
            if path.is_file():
                entries += [
                    {**entry, "market": market}
                    for entry in json.loads(path.read_text(encoding="utf-8"))
                ]
    return entries


ENDPOINTS = _load_spec()
TASKS = {
    (task.endpoint.market, task.endpoint.method, task.endpoint.path): task
    for task in CATALOG.values()
}


def _key(entry: Mapping[str, Any]) -> str:
    return f"{entry['market']} {entry['method']} {entry['path']}"


def _task(entry: Mapping[str, Any]) -> type[BinanceTask]:
    task = TASKS.get((entry["market"], entry["method"], entry["path"]))
    if task is None:
        pytest.fail(f"no task in aioca_binance.catalog.CATALOG for {_key(entry)}")
    return task


def _sample(param: Mapping[str, Any], item_model: type[TaskParams] | None = None) -> Any:
    """A value the parameter accepts (a batch's items: by ``item_model``)."""
    kind = param["type"]
    if kind == "ENUM":
        return param["enum"][0]
    if kind == "LONG":
        # within the documented ranges (positionMargin's type is 1 or 2)
        value = {"recvWindow": 5000, "type": 1, "leverage": 5}.get(param["name"], 5)
        return 1_000_000 if param["name"].endswith("trategyType") else value
    if kind == "DECIMAL":
        return "1.5"
    if kind == "BOOLEAN":
        return True
    if kind == "ARRAY":
        if param.get("items") == "LONG":
            return [1, 2]
        if param.get("items") == "STRING":
            return ["a1", "b2"]
        assert item_model is not None, param["name"]
        return [_required_of(param["item_fields"], item_model)]
    if param["name"] in BOOLEAN_STRINGS["coinm"] | BOOLEAN_STRINGS["usdm"]:
        return "false"
    return "BTCUSD" if param["name"] == "pair" else "BTCUSD_PERP"


def _required_of(
    params: Sequence[Mapping[str, Any]],
    model: type[TaskParams],
    chosen: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The required parameters of ``params`` (the spec's), the first of each "either ...
    or" group, and what the values chosen (samples, or ``chosen``) require ("a LIMIT order
    needs a price")."""
    # The SDK's modify-batch items list the request's timestamp and recvWindow: not items'.
    known = {param["name"] for param in params} & set(model.model_fields)
    wanted = {param["name"] for param in params if param["required"]} | set(chosen or {})
    wanted |= {group[0] for group in model.one_of}
    items = model.nested_models()
    samples = {p["name"]: _sample(p, items.get(p["name"])) for p in params} | dict(chosen or {})
    for name, triggers, required in model.required_when:
        if name in wanted and samples[name] in triggers:
            for alternatives in required:
                if not set(alternatives.split("|")) & wanted:
                    wanted.add(alternatives.split("|")[0])
    values = {name: samples[name] for name in samples if name in wanted & known}
    return _settled(model, values, keep=set(chosen or ()))


def _settled(
    model: type[TaskParams], values: dict[str, Any], keep: set[str] | None = None
) -> dict[str, Any]:
    """``values`` made to keep the rules that values set off: a value that forbids others
    present is changed ("closePosition=true: no quantity"; unless it is one of ``keep``:
    the others go), a parameter that needs another's value gets it ("an iceberg needs
    GTC")."""
    for name, triggers, forbidden in getattr(model, "forbidden_when", ()):
        if str(values.get(name)).lower() in triggers and set(forbidden) & set(values):
            if name in (keep or ()):
                for other in forbidden:
                    values.pop(other, None)
            else:
                values[name] = "false" if triggers == ("true",) else None
    for name, alternatives in getattr(model, "needs", ()):
        if name in values and not any(
            other in values and (allowed is None or values[other] in allowed)
            for other, allowed in alternatives
        ):
            other, allowed = alternatives[0]
            values[other] = allowed[0] if allowed else values.get(other, 5)
    return {name: value for name, value in values.items() if value is not None}


def _required(entry: Mapping[str, Any]) -> dict[str, Any]:
    """The required parameters, and the first of each "either ... or" group."""
    return _required_of(entry["params"], _task(entry).Params)


def _every(entry: Mapping[str, Any]) -> dict[str, Any]:
    """Every parameter but the second of each pair that cannot be sent together (a symbol
    and its own pair can: the pair is then not sent)."""
    model = _task(entry).Params
    left_out = {b for a, b in model.exclusive if (a, b) != ("symbol", "pair")}
    items = model.nested_models()
    every = {
        p["name"]: _sample(p, items.get(p["name"]))
        for p in entry["params"]
        if p["name"] not in left_out
    }
    return _settled(model, every)


def _rule_weight(rule: Mapping[str, Any], limit: int) -> int:
    """The weight the spec's limit table gives ``limit``."""
    for row in rule["table"]:
        if "values" in row:
            if limit in row["values"]:
                return int(row["weight"])
        elif row["min"] <= limit <= row.get("max", limit):
            return int(row["weight"])
    raise AssertionError(f"the spec's table has no row for limit {limit}")


def _limit_rows(rule: Mapping[str, Any]) -> list[tuple[int, int]]:
    """(limit, weight) for every bound of every row of the spec's limit table."""
    cases: list[tuple[int, int]] = []
    for row in rule["table"]:
        bounds = row["values"] if "values" in row else [row["min"], row.get("max")]
        cases += [(bound, row["weight"]) for bound in bounds if bound is not None]
    return cases


ENUM_PARAMS = [
    pytest.param(entry, param, id=f"{_key(entry)} {param['name']}")
    for entry in ENDPOINTS
    for param in entry["params"]
    if param["type"] == "ENUM"
]
BY_ENDPOINT = [pytest.param(entry, id=_key(entry)) for entry in ENDPOINTS]
WITH_PARAMS = [pytest.param(entry, id=_key(entry)) for entry in ENDPOINTS if entry["params"]]


# --- coverage ----------------------------------------------------------------------------------


def test_spec_files_are_present() -> None:
    for name in (name for names in SPEC_FILES.values() for name in names):
        path = SPEC_DIR / name
        if not path.is_file():
            pytest.fail(
                f"{path} is missing: the catalog is checked against the spec files kept "
                "in plugins/binance/spec/"
            )
    assert ENDPOINTS


@pytest.mark.parametrize("entry", BY_ENDPOINT)
def test_every_endpoint_has_a_task(entry: dict[str, Any]) -> None:
    task = _task(entry)
    assert task.endpoint.market == entry["market"]
    assert task.__name__ in PACKAGES[entry["market"]].CATALOG
    assert catalog.MARKETS_OF[task.__name__] == entry["market"]


def test_no_task_without_a_spec_endpoint() -> None:
    in_spec = {(entry["market"], entry["method"], entry["path"]) for entry in ENDPOINTS}
    assert set(TASKS) - in_spec == set()
    assert len(TASKS) == len(CATALOG) == len(ENDPOINTS) == sum(COUNTS.values())
    for market, package in PACKAGES.items():
        assert len(package.CATALOG) == COUNTS[market]


@pytest.mark.parametrize("market", list(PACKAGES))
def test_catalog_is_sorted_and_keyed_by_class_name(market: str) -> None:
    package = PACKAGES[market]
    assert list(package.CATALOG) == sorted(package.CATALOG)
    for name, task in package.CATALOG.items():
        assert task.__name__ == name
        assert issubclass(task, BinanceTask)
        assert CATALOG[name] is task
    assert set(package.CATALOG) <= set(package.__all__)
    assert "CATALOG" in package.__all__
    assert list(CATALOG) == sorted(CATALOG)


def test_catalog_is_read_only() -> None:
    with pytest.raises(TypeError):
        CATALOG["CoinMEvil"] = CoinMPing  # type: ignore[index]


def test_plugin_registers_every_market() -> None:
    assert dict(aioca.catalog("binance")) == dict(CATALOG)
    markets = {task.endpoint.market for task in aioca.catalog("binance").values()}
    assert markets == {"coinm", "usdm", "spot"}


def test_every_catalog_class_declares_market_method_path_security_and_weight() -> None:
    counts: dict[str, int] = {}
    for name, task in aioca.catalog("binance").items():
        endpoint = task.endpoint
        market = endpoint.market
        counts[market] = counts.get(market, 0) + 1
        # The market is the module's: aioca_binance.usdm.* tasks are USDⓈ-M's.
        assert task.__module__.startswith(f"aioca_binance.{market}."), name
        assert name.startswith({"coinm": "CoinM", "usdm": "Usdm", "spot": "Spot"}[market]), name
        assert endpoint.method in ("GET", "POST", "PUT", "DELETE"), name
        assert endpoint.path.startswith(("/dapi/", "/fapi/", "/futures/data/", "/api/v3/")), name
        assert isinstance(endpoint.security, Security), name
        assert 0 <= endpoint.min_weight <= endpoint.max_weight, name  # order endpoints: 0 IP
        described = task.describe()
        assert described["market"] == market
        assert described["security"] == endpoint.security.value
    assert counts == {"coinm": 69, "usdm": 95, "spot": 48}


# --- declarations --------------------------------------------------------------------------


@pytest.mark.parametrize("entry", BY_ENDPOINT)
def test_method_path_and_security(entry: dict[str, Any]) -> None:
    endpoint = _task(entry).endpoint
    assert (endpoint.method, endpoint.path) == (entry["method"], entry["path"])
    assert endpoint.security is Security(entry["security"])


MAX_SYMBOLS = 100
"""Spot: "The maximum number of symbols allowed in a request is 100"."""


def _symbols(count: int) -> list[str]:
    return [f"S{index}USDT" for index in range(count)]


def _condition_params(condition: str) -> dict[str, Any] | None:
    """The parameters Spot's weight table row ``condition`` stands for (``None``: a row
    about Binance's data, which no parameter set shows)."""
    rows: dict[str, dict[str, Any] | None] = {
        "Without computeCommissionRates": {},
        "With computeCommissionRates": {"computeCommissionRates": True},
        "Without orderId": {},
        "With orderId": {"orderId": 5},
        "Querying by orderId": {"orderId": 5},
        "Querying by preventedMatchId": {"preventedMatchId": 5},
        "If symbol is invalid": None,
        "symbol": {"symbol": "BTCUSDT"},
        "symbolStatus": {"symbolStatus": "TRADING"},
        "None": {},
        "symbols": None,  # per symbol: checked below
    }
    return rows[condition]


@pytest.mark.parametrize("entry", BY_ENDPOINT)
def test_weight(entry: dict[str, Any]) -> None:
    task = _task(entry)
    endpoint = task.endpoint
    rule = entry["weight_rule"]
    required = _required(entry)
    counts = entry.get("order_count") or {}
    if rule is None:
        expected = entry["weight"] if isinstance(entry["weight"], int) else ASSUMED_WEIGHT
        assert endpoint.weight == expected
        assert task(**required).weight == expected
        assert endpoint.orders == counts.get("unfilled_order_count", 0)
    elif rule["by"] == "counter":
        assert endpoint.weight_for({}) == rule["ip_weight_1m"]
        assert endpoint.orders == rule["order_count_1m"] == 1
        ten_seconds = rule.get("order_count_10s", rule["order_count_1m"])
        assert (endpoint.orders_10s or endpoint.orders) == ten_seconds
    elif rule["by"] == "quota":
        assert endpoint.weight == rule["ip_weight"]
    elif rule["by"] == "shared_limit":
        stated = entry["weight"]
        assert endpoint.weight == (stated if isinstance(stated, int) else ASSUMED_WEIGHT)
        assert endpoint.limits  # the shared window it counts on
    elif rule["by"] == "symbol":
        symbol = "BTCUSD_PERP" if entry["market"] == "coinm" else "BTCUSDT"
        assert endpoint.weight_for({"symbol": symbol}) == rule["with_symbol"]
        assert endpoint.weight_for({}) == rule["without_symbol"]
        assert endpoint.weight_for({"pair": "BTCUSD"}) == rule["without_symbol"]
        assert task(**required, symbol=symbol).weight == rule["with_symbol"]
        assert task(**required).weight == rule["without_symbol"]
    elif rule["by"] == "symbol_or_pair":
        assert endpoint.weight_for({"symbol": "BTCUSD_PERP"}) == rule["with_symbol"]
        assert endpoint.weight_for({"pair": "BTCUSD"}) == rule["with_pair"]
        assert task(symbol="BTCUSD_PERP").weight == rule["with_symbol"]
        assert task(pair="BTCUSD").weight == rule["with_pair"]
    elif rule["by"] == "limit":
        for limit, weight in _limit_rows(rule):
            assert endpoint.weight_for({"limit": limit}) == weight, f"limit {limit}"
            assert task(**required, limit=limit).weight == weight, f"limit {limit}"
        default_limit = DOCUMENTED_DEFAULT_LIMIT.get(entry["path"])
        default = _rule_weight(rule, default_limit or DOCUMENTED_DEFAULT_LIMIT[entry["market"]])
        assert endpoint.weight_for({}) == default
        assert task(**required).weight == default
    elif rule["by"] == "condition":
        for row in rule["table"]:
            params = _condition_params(row["condition"])
            if params is None:
                continue
            given = {**required, **params}
            assert task(**given).weight == row["weight"], row["condition"]
        if any(row["condition"] == "symbols" for row in rule["table"]):  # 2 each, max 40
            for count, weight in ((1, 2), (5, 10), (20, 40), (30, 40)):
                assert endpoint.weight_for({"symbols": _symbols(count)}) == weight
    elif rule["by"] == "per_symbol":
        per, cap = rule["per_symbol"], rule["cap"]
        assert endpoint.weight_for({"symbol": "BTCUSDT"}) == per
        for count in (1, 2, rule["cap_when_symbols_over"], rule["cap_when_symbols_over"] + 1):
            expected = per * count if count <= rule["cap_when_symbols_over"] else cap
            assert task(symbols=_symbols(count)).weight == expected, count
    elif rule["by"] == "symbols":
        for row in rule["table"]:
            text = row["symbols"]
            if row["parameter"] == "symbol":
                params = {} if "omitted" in text else {"symbol": "BTCUSDT"}
                assert endpoint.weight_for(params) == row["weight"], text
                continue
            if "omitted" in text:
                counts_ = [0]
            elif text == "Any":
                counts_ = [1, 50, 200]
            elif "or more" in text:
                counts_ = [int(text.split()[0]), int(text.split()[0]) + 100]
            else:
                low, high = (int(part) for part in text.split("-"))
                counts_ = [low, high]
            for count in counts_:
                params = {"symbols": _symbols(count)} if count else {}
                assert endpoint.weight_for(params) == row["weight"], (text, count)
                if count <= MAX_SYMBOLS:  # more are refused before sending
                    assert task(**params).weight == row["weight"], (text, count)
    else:
        pytest.fail(f"unknown weight rule {rule['by']!r}")
    if rule is None or rule["by"] != "counter":
        assert endpoint.orders == counts.get("unfilled_order_count", 0)
    if entry["weight_max"] is not None:
        assert endpoint.max_weight == entry["weight_max"]


BATCHES = [
    pytest.param(entry, param, id=f"{_key(entry)} {param['name']}")
    for entry in ENDPOINTS
    for param in entry["params"]
    if param.get("item_fields")
]


@pytest.mark.parametrize(("entry", "param"), BATCHES)
def test_batch_items_are_the_spec_item_fields(entry: dict[str, Any], param: dict[str, Any]) -> None:
    model = _task(entry).Params.nested_models()[param["name"]]
    request_level = {"recvWindow", "timestamp"}  # signed once for the whole request
    spec_fields = [f for f in param["item_fields"] if f["name"] not in request_level]
    assert list(model.model_fields) == [f["name"] for f in spec_fields]
    for field in spec_fields:
        assert model.model_fields[field["name"]].is_required() == field["required"], field["name"]
    assert _task(entry).endpoint.batch
    assert _task(entry).endpoint.changes_orders


@pytest.mark.parametrize("entry", BY_ENDPOINT)
def test_params_are_the_spec_params_in_spec_order(entry: dict[str, Any]) -> None:
    fields = _task(entry).Params.model_fields
    assert list(fields) == [param["name"] for param in entry["params"]]
    for param in entry["params"]:
        assert fields[param["name"]].is_required() is param["required"], param["name"]


def _base_type(annotation: Any) -> Any:
    """An annotation without ``| None`` and ``Annotated``."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            (annotation,) = [a for a in typing.get_args(annotation) if a is not type(None)]
        else:
            return annotation


SPEC_TYPES: dict[str, Any] = {"STRING": str, "LONG": int, "DECIMAL": Decimal}


@pytest.mark.parametrize("entry", WITH_PARAMS)
def test_param_types_and_enums_are_the_spec_types(entry: dict[str, Any]) -> None:
    """Each parameter's type is its spec type; an enum takes exactly the spec's values, a
    boolean exactly Binance's two words (and Python's ``bool``)."""
    fields = _task(entry).Params.model_fields
    for param in entry["params"]:
        base = _base_type(fields[param["name"]].annotation)
        name = param["name"]
        if param["type"] in ("ENUM", "BOOLEAN") or name in BOOLEAN_STRINGS[entry["market"]]:
            assert typing.get_origin(base) is typing.Literal, name
            expected = param.get("enum") or ["true", "false"]
            assert sorted(typing.get_args(base)) == sorted(expected), name
        elif param["type"] == "ARRAY":
            assert typing.get_origin(base) is list, name
        else:
            assert base is SPEC_TYPES[param["type"]], name


@pytest.mark.parametrize("entry", WITH_PARAMS)
def test_parameters_go_on_the_wire_in_spec_order(entry: dict[str, Any]) -> None:
    task_class = _task(entry)
    given = _every(entry)
    redundant = {"pair"} if ("symbol", "pair") in task_class.Params.exclusive else set()
    expected = [p["name"] for p in entry["params"] if p["name"] in given]
    task = task_class(**given)
    assert [name for name, _ in task.wire_params()] == [n for n in expected if n not in redundant]


@pytest.mark.parametrize("entry", WITH_PARAMS)
def test_each_required_parameter_is_required(entry: dict[str, Any]) -> None:
    task = _task(entry)
    for name in (param["name"] for param in entry["params"] if param["required"]):
        given = {key: value for key, value in _required(entry).items() if key != name}
        with pytest.raises(InvalidParameterError) as raised:
            task(**given)
        assert raised.value.parameter == name


@pytest.mark.parametrize(("entry", "param"), ENUM_PARAMS)
def test_enum_parameter_accepts_each_listed_value(
    entry: dict[str, Any], param: dict[str, Any]
) -> None:
    task = _task(entry)
    types_ = next(
        (p["enum"] for p in entry["params"] if p["name"] == "type" and p["type"] == "ENUM"),
        [None],
    )
    for value in param["enum"]:
        # A value that forbids a parameter another one needs (closePosition=true and a
        # LIMIT order's quantity) is tried with each order type until one takes it.
        for order_type in types_ if param["name"] != "type" else [None]:
            chosen = {param["name"]: value} | ({"type": order_type} if order_type else {})
            params = _required_of(entry["params"], task.Params, chosen)
            try:
                sent = dict(task(**params).wire_params())
            except InvalidParameterError:
                continue
            assert sent[param["name"]] == value
            break
        else:
            pytest.fail(f"{param['name']}={value} is refused with every order type")


@pytest.mark.parametrize(("entry", "param"), ENUM_PARAMS)
def test_enum_parameter_refuses_other_values(entry: dict[str, Any], param: dict[str, Any]) -> None:
    task = _task(entry)
    with pytest.raises(InvalidParameterError) as raised:
        task(**{**_required(entry), param["name"]: "NOT_A_" + param["name"].upper()})
    assert raised.value.parameter == param["name"]
    assert raised.value.task_name == task.__name__


@pytest.mark.parametrize("entry", WITH_PARAMS)
def test_limit_and_recv_window_are_bounded(entry: dict[str, Any]) -> None:
    task = _task(entry)
    names = {param["name"] for param in entry["params"]}
    if "limit" in names:
        with pytest.raises(InvalidParameterError, match="limit"):
            task(**_required(entry), limit=0)
    if "recvWindow" in names:
        sent = dict(task(**_required(entry), recvWindow=60_000).wire_params())
        assert sent["recvWindow"] == 60_000
        with pytest.raises(InvalidParameterError, match="recvWindow"):
            task(**_required(entry), recvWindow=60_001)


@pytest.mark.parametrize(("market", "prefix"), [("coinm", "/dapi"), ("usdm", "/fapi")])
def test_batch_orders_take_one_to_five_orders(market: str, prefix: str) -> None:
    place = TASKS[(market, "POST", f"{prefix}/v1/batchOrders")]
    order = {
        "symbol": "BTCUSD_PERP",
        "side": "BUY",
        "type": "LIMIT",
        "quantity": "1",
        "price": "9000",
        "timeInForce": "GTC",
    }
    assert place(batchOrders=[order] * 5).wire_params()[0][1].startswith('[{"symbol"')
    for wrong in ([], [order] * 6):
        with pytest.raises(InvalidParameterError, match="batchOrders"):
            place(batchOrders=wrong)


@pytest.mark.parametrize("task", list(CATALOG.values()), ids=list(CATALOG))
def test_texts_name_only_parameters(task: type[BinanceTask]) -> None:
    fields = set(task.Params.model_fields)
    for text in task.texts:
        assert set(re.findall(r"{(\w+)}", text)) <= fields, text


@pytest.mark.parametrize("task", list(CATALOG.values()), ids=list(CATALOG))
def test_no_parameter_shadows_a_pydantic_attribute(task: type[BinanceTask]) -> None:
    assert set(task.Params.model_fields) & set(dir(pydantic.BaseModel)) == set()


# --- the seed README's names -------------------------------------------------------------


def test_seed_task_names_in_chinese() -> None:
    aioca.set_language("zh")
    assert str(CoinMPing()) == "ping币安币本位服务器"
    assert str(CoinMServerTime()) == "获取币安币本位服务器时间"
    ticker = CoinMFetchTicker(symbol="BTCUSD_PERP", pair="BTCUSD")
    assert str(ticker) == "获取币本位合约:BTCUSD_PERP 实时价格"
    kline = CoinMFetchKline(symbol="BTCUSD_PERP", interval="1m", limit=1, endTime=1618898005000)
    # The seed printed "<None to 1618898005000>"; a parameter not given is left out.
    assert str(kline) == "获取币本位合约:BTCUSD_PERP 1m周期 K线<至 1618898005000>(limit 1)"


def test_seed_task_names_in_english_by_default() -> None:
    assert str(CoinMPing()) == "Ping Binance COIN-M server"
    assert str(CoinMServerTime()) == "Fetch Binance COIN-M server time"
    ticker = CoinMFetchTicker(symbol="BTCUSD_PERP", pair="BTCUSD")
    assert str(ticker) == "Fetch COIN-M contract BTCUSD_PERP latest price"
    kline = CoinMFetchKline(symbol="BTCUSD_PERP", interval="1m", limit=1, endTime=1618898005000)
    assert str(kline) == (
        "Fetch COIN-M contract BTCUSD_PERP 1m klines <until 1618898005000> (limit 1)"
    )


# --- the generator -------------------------------------------------------------------------


def _generator(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(GENERATOR), *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
        timeout=60,
    )


def test_committed_catalog_is_what_the_generator_writes() -> None:
    done = _generator("--check")
    assert done.returncode == 0, done.stdout + done.stderr


def test_generator_check_notices_a_hand_edit(tmp_path: Path) -> None:
    shutil.copy(PACKAGE / "catalog.py", tmp_path / "catalog.py")
    for market in PACKAGES:
        shutil.copytree(PACKAGE / market, tmp_path / market)
    edited = tmp_path / "coinm" / "market.py"
    text = edited.read_text(encoding="utf-8")
    assert "weight=20," in text
    edited.write_text(text.replace("weight=20,", "weight=2,"))
    done = _generator("--check", "--output-dir", str(tmp_path))
    assert done.returncode == 1
    assert "coinm/market.py" in done.stderr
    assert "weight=20," in done.stdout
    assert "usdm" not in done.stderr


def test_task_names_never_show_a_parameter_that_was_not_given() -> None:
    from aioca_binance.coinm import CoinMCancelOrder, CoinMNewOrder

    kline = CoinMFetchKline(symbol="BTCUSD_PERP", interval="1m", endTime=1796400762000)
    assert str(kline) == "Fetch COIN-M contract BTCUSD_PERP 1m klines <until 1796400762000>"
    cancel = CoinMCancelOrder(symbol="BTCUSD_PERP", orderId=5)
    assert str(cancel) == "Cancel order on BTCUSD_PERP (id 5)"
    order = CoinMNewOrder(symbol="BTCUSD_PERP", side="BUY", type="MARKET", quantity=1)
    assert str(order) == "New BUY MARKET order on BTCUSD_PERP: quantity 1"
    for task in CATALOG.values():
        for text in task.texts:
            assert "None" not in text


# --- what endpoints do with orders ----------------------------------------------------------

CHANGES_ORDERS = {
    # Endpoints that place, amend or cancel orders: never retried by the library.
    "coinm": {
        "POST /dapi/v1/order",
        "PUT /dapi/v1/order",
        "DELETE /dapi/v1/order",
        "POST /dapi/v1/batchOrders",
        "PUT /dapi/v1/batchOrders",
        "DELETE /dapi/v1/batchOrders",
        "DELETE /dapi/v1/allOpenOrders",
        "POST /dapi/v1/countdownCancelAll",
        "POST /dapi/v1/algoOrder",
        "DELETE /dapi/v1/algoOrder",
    },
    "usdm": {
        "POST /fapi/v1/order",
        "PUT /fapi/v1/order",
        "DELETE /fapi/v1/order",
        "POST /fapi/v1/batchOrders",
        "PUT /fapi/v1/batchOrders",
        "DELETE /fapi/v1/batchOrders",
        "DELETE /fapi/v1/allOpenOrders",
        "POST /fapi/v1/countdownCancelAll",
        "POST /fapi/v1/algoOrder",
        "DELETE /fapi/v1/algoOrder",
        "DELETE /fapi/v1/algoOpenOrders",
    },
    "spot": {
        "POST /api/v3/order",
        "DELETE /api/v3/order",
        "DELETE /api/v3/openOrders",
        "PUT /api/v3/order/amend/keepPriority",
        "POST /api/v3/order/cancelReplace",
        "POST /api/v3/order/oco",
        "DELETE /api/v3/orderList",
        "POST /api/v3/orderList/oco",
        "POST /api/v3/orderList/opo",
        "POST /api/v3/orderList/opoco",
        "POST /api/v3/orderList/oto",
        "POST /api/v3/orderList/otoco",
        "POST /api/v3/sor/order",
    },
}
PLACES_ORDERS = {
    # Endpoints that create orders, and the parameter naming each new order (or order list)
    # for a query after an unknown outcome: a fresh one is sent when none is given.
    "coinm": {
        "POST /dapi/v1/order": "newClientOrderId",
        "POST /dapi/v1/batchOrders": "newClientOrderId",
        "POST /dapi/v1/algoOrder": "clientAlgoId",
    },
    "usdm": {
        "POST /fapi/v1/order": "newClientOrderId",
        "POST /fapi/v1/batchOrders": "newClientOrderId",
        "POST /fapi/v1/algoOrder": "clientAlgoId",
    },
    "spot": {
        "POST /api/v3/order": "newClientOrderId",
        "POST /api/v3/order/cancelReplace": "newClientOrderId",
        "POST /api/v3/sor/order": "newClientOrderId",
        "POST /api/v3/order/oco": "listClientOrderId",
        **{
            f"POST /api/v3/orderList/{kind}": "listClientOrderId"
            for kind in ("oco", "opo", "opoco", "oto", "otoco")
        },
    },
}


@pytest.mark.parametrize("market", list(PACKAGES))
def test_order_changing_placing_and_batch_endpoints(market: str) -> None:
    tasks = {
        f"{task.endpoint.method} {task.endpoint.path}": task
        for task in PACKAGES[market].CATALOG.values()
    }
    changing = {key for key, task in tasks.items() if task.endpoint.changes_orders}
    assert changing == CHANGES_ORDERS[market]
    placing = {key: task.client_id_field for key, task in tasks.items() if task.client_id_field}
    assert placing == PLACES_ORDERS[market]
    batches = {key for key, task in tasks.items() if task.endpoint.batch}
    assert batches == {key for key in CHANGES_ORDERS[market] if "/batchOrders" in key}
    for key in placing:
        assert key in changing
