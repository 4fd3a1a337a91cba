"""The COIN-M catalog against the spec it is generated from.

Walks both spec files (``binance-coinm-rest.json``, the SDK's 64 endpoints, and
``binance-coinm-rest-extra.json``, the 5 that Binance documents beyond the SDK) in the
plugin's copy of the spec (``plugins/binance/spec``): every endpoint has exactly one task,
declared with the spec's method, path, security type and weight, taking the spec's
parameters in the spec's (wire) order; and the committed catalog is what
``tools/generate_coinm.py`` writes today.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pydantic
import pytest
from spec_files import SPEC_DIR

import aioca
import aioca_binance.coinm as coinm
from aioca.errors import InvalidParameterError
from aioca.params import TaskParams
from aioca_binance import BinanceTask, Security
from aioca_binance.coinm import (
    CATALOG,
    CoinMFetchKline,
    CoinMFetchTicker,
    CoinMPing,
    CoinMServerTime,
)

REPO = Path(__file__).resolve().parents[3]
SPEC_FILES = ("binance-coinm-rest.json", "binance-coinm-rest-extra.json")
GENERATOR = REPO / "plugins" / "binance" / "tools" / "generate_coinm.py"
PACKAGE = Path(coinm.__file__).parent

DOCUMENTED_DEFAULT_LIMIT = 500
"""What Binance uses for ``limit`` when it is not sent, for the endpoints weighted by limit
(the kline family and ``depth``: "Default 500" in their docs)."""

ASSUMED_WEIGHT = 1
"""The weight a task declares when neither the SDK nor the docs state one (``fundingInfo``)."""


def _load_spec() -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    for name in SPEC_FILES:
        path = SPEC_DIR / name
        if path.is_file():
            entries += json.loads(path.read_text(encoding="utf-8"))
    return entries


ENDPOINTS = _load_spec()
TASKS = {(task.endpoint.method, task.endpoint.path): task for task in CATALOG.values()}


def _key(entry: Mapping[str, Any]) -> str:
    return f"{entry['method']} {entry['path']}"


def _task(entry: Mapping[str, Any]) -> type[BinanceTask]:
    task = TASKS.get((entry["method"], entry["path"]))
    if task is None:
        pytest.fail(f"no task in aioca_binance.coinm.CATALOG for {_key(entry)}")
    return task


def _sample(param: Mapping[str, Any]) -> Any:
    """A value the parameter accepts."""
    kind = param["type"]
    if kind == "ENUM":
        return param["enum"][0]
    if kind == "LONG":
        # within the documented ranges (positionMargin's type is 1 or 2)
        return {"recvWindow": 5000, "type": 1}.get(param["name"], 5)
    if kind == "DECIMAL":
        return "1.5"
    if kind == "ARRAY":
        if param.get("items") == "LONG":
            return [1, 2]
        if param.get("items") == "STRING":
            return ["a1", "b2"]
        return [_required_of(param["item_fields"], _item_model(param))]
    return "BTCUSD" if param["name"] == "pair" else "BTCUSD_PERP"


def _item_model(param: Mapping[str, Any]) -> type[TaskParams]:
    """The model of a batch parameter's items, as the catalog declares it."""
    names = {field["name"] for field in param["item_fields"]}
    for task in CATALOG.values():
        model = task.Params.nested_models().get(param["name"])
        if model is not None and set(model.model_fields) <= names:
            return model
    raise AssertionError(f"no item model for {param['name']}")


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
    samples = {param["name"]: _sample(param) for param in params} | dict(chosen or {})
    for name, triggers, required in model.required_when:
        if name in wanted and samples[name] in triggers:
            wanted |= {alternatives.split("|")[0] for alternatives in required}
    return {name: value for name, value in samples.items() if name in wanted & known}


def _required(entry: Mapping[str, Any]) -> dict[str, Any]:
    """The required parameters, and the first of each "either ... or" group."""
    return _required_of(entry["params"], _task(entry).Params)


def _every(entry: Mapping[str, Any]) -> dict[str, Any]:
    """Every parameter but the second of each pair that cannot be sent together (a symbol
    and its own pair can: the pair is then not sent)."""
    left_out = {b for a, b in _task(entry).Params.exclusive if (a, b) != ("symbol", "pair")}
    return {p["name"]: _sample(p) for p in entry["params"] if p["name"] not in left_out}


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
    for name in SPEC_FILES:
        path = SPEC_DIR / name
        if not path.is_file():
            pytest.fail(
                f"{path} is missing: the catalog is checked against the spec files kept "
                "in plugins/binance/spec/"
            )
    assert ENDPOINTS


@pytest.mark.parametrize("entry", BY_ENDPOINT)
def test_every_endpoint_has_a_task(entry: dict[str, Any]) -> None:
    assert _task(entry).endpoint.market == "coinm"


def test_no_task_without_a_spec_endpoint() -> None:
    in_spec = {(entry["method"], entry["path"]) for entry in ENDPOINTS}
    assert set(TASKS) - in_spec == set()
    assert len(TASKS) == len(CATALOG) == len(ENDPOINTS)


def test_catalog_is_sorted_and_keyed_by_class_name() -> None:
    assert list(CATALOG) == sorted(CATALOG)
    for name, task in CATALOG.items():
        assert task.__name__ == name
        assert issubclass(task, BinanceTask)
    assert coinm.__all__ == sorted(coinm.__all__) == ["CATALOG", *CATALOG]


def test_catalog_is_read_only() -> None:
    with pytest.raises(TypeError):
        CATALOG["CoinMEvil"] = CoinMPing  # type: ignore[index]


def test_plugin_registers_the_whole_catalog() -> None:
    assert dict(aioca.catalog("binance")) == dict(CATALOG)


# --- declarations --------------------------------------------------------------------------


@pytest.mark.parametrize("entry", BY_ENDPOINT)
def test_method_path_and_security(entry: dict[str, Any]) -> None:
    endpoint = _task(entry).endpoint
    assert (endpoint.method, endpoint.path) == (entry["method"], entry["path"])
    assert endpoint.security is Security(entry["security"])


@pytest.mark.parametrize("entry", BY_ENDPOINT)
def test_weight(entry: dict[str, Any]) -> None:
    task = _task(entry)
    endpoint = task.endpoint
    rule = entry["weight_rule"]
    if rule is None:
        expected = entry["weight"] if isinstance(entry["weight"], int) else ASSUMED_WEIGHT
        assert endpoint.weight == expected
        assert task(**_required(entry)).weight == expected
    elif rule["by"] == "counter":
        assert endpoint.weight_for({}) == rule["ip_weight_1m"] == 0
        assert endpoint.orders == rule["order_count_1m"] == 1
    elif rule["by"] == "symbol":
        assert endpoint.weight_for({"symbol": "BTCUSD_PERP"}) == rule["with_symbol"]
        assert endpoint.weight_for({}) == rule["without_symbol"]
        assert endpoint.weight_for({"pair": "BTCUSD"}) == rule["without_symbol"]
        assert task(symbol="BTCUSD_PERP").weight == rule["with_symbol"]
        assert task().weight == rule["without_symbol"]
    elif rule["by"] == "symbol_or_pair":
        assert endpoint.weight_for({"symbol": "BTCUSD_PERP"}) == rule["with_symbol"]
        assert endpoint.weight_for({"pair": "BTCUSD"}) == rule["with_pair"]
        assert task(symbol="BTCUSD_PERP").weight == rule["with_symbol"]
        assert task(pair="BTCUSD").weight == rule["with_pair"]
    elif rule["by"] == "limit":
        for limit, weight in _limit_rows(rule):
            assert endpoint.weight_for({"limit": limit}) == weight, f"limit {limit}"
            assert task(**_required(entry), limit=limit).weight == weight, f"limit {limit}"
        default = _rule_weight(rule, DOCUMENTED_DEFAULT_LIMIT)
        assert endpoint.weight_for({}) == default
        assert task(**_required(entry)).weight == default
    else:
        pytest.fail(f"unknown weight rule {rule['by']!r}")
    if rule is None or rule["by"] != "counter":
        assert endpoint.orders == 0
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
    for value in param["enum"]:
        params = _required_of(entry["params"], task.Params, {param["name"]: value})
        sent = dict(task(**params).wire_params())
        assert sent[param["name"]] == value


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


def test_batch_orders_take_one_to_five_orders() -> None:
    place = TASKS[("POST", "/dapi/v1/batchOrders")]
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
    for module in PACKAGE.glob("*.py"):
        shutil.copy(module, tmp_path / module.name)
    edited = tmp_path / "market.py"
    edited.write_text(edited.read_text(encoding="utf-8").replace("weight=20)", "weight=2)"))
    done = _generator("--check", "--output-dir", str(tmp_path))
    assert done.returncode == 1
    assert "market.py" in done.stderr
    assert "weight=20)" in done.stdout


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
