"""The catalogs are typed for their users: constructors, results and descriptions.

* ``mypy --strict`` passes on a user's script that uses tasks of the three markets (their
  parameters, ``result`` as the decoded JSON, ``parsed`` as models), and fails on one with
  a misspelled parameter, a mistyped one, or a result read as the wrong type (so the types
  are real, not ``Any``);
* ``inspect.signature`` of every task lists every parameter by its wire name, keyword-only,
  required ones without a default, then ``api``;
* every task's docstring is what ``aioca describe binance <Task>`` prints.
"""

from __future__ import annotations

import importlib
import inspect
import re
import subprocess
import sys
import textwrap
import types
import typing
from pathlib import Path
from typing import Any

import pytest

from aioca.cli import format_description
from aioca.describe import describe_task
from aioca_binance import BinanceTask
from aioca_binance.catalog import CATALOG
from aioca_binance.model_base import RowModel

GOOD = """
    import datetime as dt
    from decimal import Decimal

    from aioca_binance.coinm import CoinMFetchKline, CoinMFetchTicker, CoinMNewOrder
    from aioca_binance.spot import SpotNewOrder, SpotOrderListOto
    from aioca_binance.spot.enums import OrderSideEnum
    from aioca_binance.spot.models import Order as SpotOrder
    from aioca_binance.usdm import UsdmKlines, UsdmNewOrder, UsdmPlaceMultipleOrders
    from aioca_binance.usdm.models import Kline


    async def main() -> None:
        klines = UsdmKlines(symbol="BTCUSDT", interval="1m", limit=500,
                            startTime=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
        rows = await klines.run()
        first: list[int | str] = rows[0]
        candles: list[Kline] = klines.parsed
        close: Decimal = candles[0].close
        order = UsdmNewOrder(symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="GTC",
                             quantity=Decimal("0.01"), price="90000", reduceOnly=False)
        placed = await order.run()
        order_id: int = placed["orderId"]
        status: str | None = order.parsed.status
        batch = UsdmPlaceMultipleOrders(batchOrders=[
            {"symbol": "BTCUSDT", "side": "SELL", "type": "MARKET", "quantity": 1},
        ])
        spot = SpotNewOrder(symbol="BTCUSDT", side=OrderSideEnum.BUY, type="MARKET",
                            quoteOrderQty=100)
        parsed: SpotOrder = spot.parsed
        oto = SpotOrderListOto(symbol="BTCUSDT", workingType="LIMIT", workingSide="SELL",
                               workingPrice="1", workingQuantity="1", pendingType="MARKET",
                               pendingSide="BUY", pendingQuantity="1", workingTimeInForce="GTC")
        ticker = CoinMFetchTicker(symbol="BTCUSD_PERP")
        price: str = (await ticker.run())[0]["price"]
        coinm = CoinMNewOrder(symbol="BTCUSD_PERP", side="BUY", type="MARKET", quantity=1)
        kline = CoinMFetchKline(symbol="BTCUSD_PERP", interval="1m", limit=1)
        print(first, close, order_id, status, batch, parsed, oto, price, coinm, kline)
"""

BAD = """
    from aioca_binance.coinm import CoinMFetchKline, CoinMFetchTicker
    from aioca_binance.usdm import UsdmNewOrder


    async def main() -> None:
        CoinMFetchKline(symbl="BTCUSD_PERP", interval="1m")
        CoinMFetchKline(symbol="BTCUSD_PERP", interval=7, limit="lots")
        UsdmNewOrder(symbol="BTCUSDT", side="BUY", type="LIMIT", price=90000.5)
        ticker = CoinMFetchTicker(symbol="BTCUSD_PERP")
        price: int = (await ticker.run())[0]["price"]
        print(price)
"""


def test_mypy_strict_accepts_typed_use_and_refuses_mistakes(tmp_path: Path) -> None:
    good = tmp_path / "good_user.py"
    bad = tmp_path / "bad_user.py"
    good.write_text(textwrap.dedent(GOOD), encoding="utf-8")
    bad.write_text(textwrap.dedent(BAD), encoding="utf-8")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--cache-dir",
            str(tmp_path / "cache"),
            "--no-error-summary",
            str(good),
            str(bad),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
        timeout=600,
    )
    errors = [line for line in done.stdout.splitlines() if ": error:" in line]
    assert not [line for line in errors if "good_user.py" in line], done.stdout
    bad_lines = [line for line in errors if "bad_user.py" in line]
    expected = [
        r':7: error: Argument "symbl" to "CoinMFetchKline" has incompatible type "str"; '
        r'expected "Never"',
        r':7: error: Missing named argument "symbol" for "CoinMFetchKline"',
        r':8: error: Argument "interval" to "CoinMFetchKline" has incompatible type "Literal\[7\]"',
        r':8: error: Argument "limit" to "CoinMFetchKline" has incompatible type "str"',
        r':9: error: Argument "price" to "UsdmNewOrder" has incompatible type "float"',
        r':11: error: Incompatible types in assignment \(expression has type "str", variable '
        r'has type "int"\)',
    ]
    for pattern in expected:
        assert any(re.search(pattern, line) for line in bad_lines), (pattern, done.stdout)
    assert len(bad_lines) == len(expected), done.stdout


TASKS = [pytest.param(task, id=name) for name, task in CATALOG.items()]


@pytest.mark.parametrize("task", TASKS)
def test_signature_lists_every_parameter_by_its_wire_name(task: type[BinanceTask]) -> None:
    signature = inspect.signature(task)
    parameters = list(signature.parameters.values())
    *named, api, unknown = parameters
    fields = task.Params.model_fields
    required = [name for name, info in fields.items() if info.is_required()]
    optional = [name for name, info in fields.items() if not info.is_required()]
    assert [p.name for p in named] == required + optional
    for parameter in named:
        assert parameter.kind is inspect.Parameter.KEYWORD_ONLY
        has_default = parameter.default is not inspect.Parameter.empty
        assert has_default is (parameter.name in optional), parameter.name
        assert parameter.annotation is not inspect.Parameter.empty
    assert (api.name, api.kind, api.default) == ("api", inspect.Parameter.KEYWORD_ONLY, None)
    assert unknown.kind is inspect.Parameter.VAR_KEYWORD


@pytest.mark.parametrize("task", TASKS)
def test_docstring_is_what_aioca_describe_prints(task: type[BinanceTask]) -> None:
    described = format_description(describe_task(task), "binance")
    doc = inspect.cleandoc(task.__doc__ or "")
    summary, _, rest = doc.partition("\n\n")
    assert task.summary == " ".join(summary.split())
    assert described == f"{task.__name__}: {task.summary}\n\n{rest}"
    for name in task.Params.model_fields:
        assert re.search(rf"^{name}\s", rest, re.M), name
    if task.Params.model_fields:
        assert "PARAMETER" in rest
    assert task.doc_url is not None
    assert task.doc_url in rest


# --- every task's result and parsed, as mypy sees them ----------------------------------------


def _without_typed_dict_bodies(revealed: str) -> str:
    """mypy's ``TypedDict(module.NameDict, {...})`` as ``module.NameDict``."""
    out: list[str] = []
    index = 0
    while (found := revealed.find("TypedDict(", index)) >= 0:
        out.append(revealed[index:found])
        name_end = revealed.index(",", found)
        out.append(revealed[found + len("TypedDict(") : name_end])
        depth, position = 0, revealed.index("{", name_end)
        while True:  # skip the body, braces balanced
            depth += {"{": 1, "}": -1}.get(revealed[position], 0)
            position += 1
            if depth == 0:
                break
        index = revealed.index(")", position) + 1
    return "".join(out) + revealed[index:]


def _as_mypy_writes(annotation: Any, market: str, *, result: bool) -> str:
    """A ``RESPONSE_MODELS`` type as mypy reveals ``parsed`` (or, ``result=True``, the
    decoded JSON: each model's ``...Dict`` of the market's ``results``; a kline row a list)."""
    origin = typing.get_origin(annotation)
    if origin is list:
        (item,) = typing.get_args(annotation)
        return f"list[{_as_mypy_writes(item, market, result=result)}]"
    if origin in (typing.Union, types.UnionType):
        return " | ".join(
            _as_mypy_writes(arg, market, result=result) for arg in typing.get_args(annotation)
        )
    assert isinstance(annotation, type), annotation
    if not result:
        return f"aioca_binance.{market}.models.{annotation.__name__}"
    if issubclass(annotation, RowModel):
        return "list[int | str]"
    return f"aioca_binance.{market}.results.{annotation.__name__}Dict"


def test_mypy_sees_every_task_s_result_and_parsed_types(tmp_path: Path) -> None:
    """For every task of the three markets, ``reveal_type(task.parsed)`` is the model the
    task's answer parses into at run time (from its own market's ``models``), and
    ``reveal_type(task.result)`` that answer's decoded JSON shape; ``Any`` only where Binance
    documents no answer (four COIN-M endpoints)."""
    names = sorted(CATALOG)
    by_module: dict[str, list[str]] = {}
    for name in names:
        by_module.setdefault(CATALOG[name].__module__, []).append(name)
    lines = [f"from {module} import {', '.join(tasks)}" for module, tasks in by_module.items()]
    first_line = len(lines) + 1
    for name in names:
        lines += [
            f"def reveal_{name}(task: {name}) -> None:",
            "    reveal_type(task.parsed)",
            "    reveal_type(task.result)",
        ]
    script = tmp_path / "reveal_all.py"
    script.write_text("\n".join(lines) + "\n", encoding="utf-8")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-error-summary",
            "--cache-dir",
            str(tmp_path / "cache"),
            str(script),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
        timeout=600,
    )
    revealed: dict[int, str] = {}
    for line in done.stdout.splitlines():
        match = re.match(r".*reveal_all\.py:(\d+): note: Revealed type is \"(.*)\"$", line)
        assert match is not None, done.stdout  # nothing but the revealed types
        revealed[int(match.group(1))] = match.group(2)
    assert len(revealed) == 2 * len(names), done.stdout
    untyped, wrong = [], []
    for index, name in enumerate(names):
        task = CATALOG[name]
        market = task.endpoint.market
        parsed_type = revealed[first_line + 3 * index + 1]
        result_type = revealed[first_line + 3 * index + 2]
        models = importlib.import_module(f"aioca_binance.{market}.models")
        answer = models.RESPONSE_MODELS.get((task.endpoint.method, task.endpoint.path))
        if answer is None:
            assert (parsed_type, result_type) == ("Any", "Any"), name
            untyped.append(name)
            continue
        seen = (parsed_type, _without_typed_dict_bodies(result_type))
        expected = tuple(_as_mypy_writes(answer, market, result=flag) for flag in (False, True))
        if seen != expected:
            wrong.append(f"{name}: {seen} instead of {expected}")
    assert not wrong, "\n".join(wrong)
    assert len(names) - len(untyped) == 65 + 95 + 48
    assert all(CATALOG[name].endpoint.market == "coinm" for name in untyped)
