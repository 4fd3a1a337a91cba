"""The plugin as aioca sees it: discovered through its entry point without the core knowing
it, cheap to import, building ``OkxRestApi`` and listing its catalog; and OKX side by side
with Binance in one ``GatherTask``, each task on its own exchange's default API."""

from __future__ import annotations

import ast
import asyncio
import importlib.metadata
import subprocess
import sys
from collections.abc import Mapping
from typing import Any

import pytest
from aioresponses import aioresponses
from aioresponses.core import CallbackResult
from okx_helpers import KEY, PASSPHRASE, SECRET, envelope

import aioca
from aioca import GatherTask, PluginHost, Task, TaskOperator
from aioca_binance import BinanceRestApi
from aioca_binance.coinm import CoinMFetchTicker
from aioca_okx import OkxRestApi, OkxTask
from aioca_okx import plugin as okx_plugin
from aioca_okx.v5 import CATALOG, OkxFetchTicker

BINANCE_LOCAL = "http://127.0.0.1:7"
OKX_LOCAL = "http://127.0.0.1:8"
BINANCE_TICKER = [{"symbol": "BTCUSD_PERP", "ps": "BTCUSD", "price": "55163.4", "time": 1}]
OKX_TICKER = [{"instType": "SWAP", "instId": "BTC-USD-SWAP", "last": "55170.1", "ts": "1"}]


def test_exchanges_lists_okx_from_the_aioca_okx_package() -> None:
    (info,) = [info for info in aioca.exchanges() if info.name == "okx"]
    assert info.package == "aioca-okx"
    assert info.version == importlib.metadata.version("aioca-okx")
    assert info.api_class is OkxRestApi


def test_the_entry_point_is_okx_in_the_aioca_group() -> None:
    (entry_point,) = [
        ep for ep in importlib.metadata.entry_points(group="aioca") if ep.name == "okx"
    ]
    assert entry_point.value == "aioca_okx.plugin"
    assert entry_point.load() is okx_plugin


def test_exchange_builds_an_okx_api() -> None:
    api = aioca.exchange("okx", api_key=KEY, api_secret=SECRET, passphrase=PASSPHRASE, demo=True)
    assert isinstance(api, OkxRestApi)
    assert api.demo is True
    assert api.exchange == "okx"


def test_catalog_returns_the_okx_tasks_read_only() -> None:
    tasks = aioca.catalog("okx")
    assert dict(tasks) == dict(CATALOG)
    assert tasks["OkxFetchTicker"] is OkxFetchTicker
    assert all(issubclass(cls, OkxTask) and cls.exchange == "okx" for cls in tasks.values())
    with pytest.raises(TypeError):
        tasks["Mine"] = OkxFetchTicker  # type: ignore[index]


def test_a_fresh_host_registers_the_plugin_module() -> None:
    host = PluginHost(entry_points=False)
    host.add_plugin(okx_plugin, name="okx", package="aioca-okx", version="0.1.0")
    assert [info.name for info in host.exchanges()] == ["okx"]
    assert isinstance(host.exchange("okx"), OkxRestApi)
    assert isinstance(host.catalog("okx"), Mapping)


def test_importing_the_plugin_module_leaves_the_catalog_unimported() -> None:
    code = (
        "import sys, aioca_okx.plugin; "
        "print(sorted(m for m in sys.modules if m.startswith('aioca_okx')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    loaded = ast.literal_eval(out)  # a list literal printed by the child
    assert "aioca_okx.plugin" in loaded
    assert not [name for name in loaded if name.startswith("aioca_okx.v5")]


# --- two exchanges in one GatherTask ----------------------------------------------------------


def test_default_apis_are_kept_per_exchange() -> None:
    binance = BinanceRestApi(api_key="key_1", api_secret="secret_1")
    okx = OkxRestApi(KEY, SECRET, PASSPHRASE)
    Task.set_default_api(binance)
    Task.set_default_api(okx)  # does not replace Binance's default
    assert CoinMFetchTicker(symbol="BTCUSD_PERP").api is binance
    assert OkxFetchTicker(instId="BTC-USD-SWAP").api is okx


def two_exchange_gather(aioca_mock: aioresponses) -> tuple[GatherTask, list[str]]:
    """The GatherTask, both exchanges mocked; each answer waits until both requests have
    arrived, which only happens if they are in flight at the same time."""
    Task.set_default_api(BinanceRestApi(api_key="key_1", urls={"coinm": BINANCE_LOCAL}))
    Task.set_default_api(OkxRestApi(urls={"rest": OKX_LOCAL}))
    arrived: list[str] = []
    both: dict[str, asyncio.Event] = {}

    def answer(name: str, payload: Any) -> Any:
        async def callback(url: Any, **kwargs: Any) -> CallbackResult:
            event = both.setdefault("event", asyncio.Event())
            arrived.append(name)
            if len(arrived) == 2:
                event.set()
            await asyncio.wait_for(event.wait(), timeout=5)
            return CallbackResult(payload=payload)

        return callback

    aioca_mock.get(
        f"{BINANCE_LOCAL}/dapi/v1/ticker/price?symbol=BTCUSD_PERP",
        callback=answer("binance", BINANCE_TICKER),
    )
    aioca_mock.get(
        f"{OKX_LOCAL}/api/v5/market/ticker?instId=BTC-USD-SWAP",
        callback=answer("okx", envelope(OKX_TICKER)),
    )
    gather = GatherTask(
        CoinMFetchTicker(symbol="BTCUSD_PERP"), OkxFetchTicker(instId="BTC-USD-SWAP")
    )
    return gather, arrived


async def test_one_gather_fetches_binance_and_okx_prices_at_once(
    aioca_mock: aioresponses,
) -> None:
    gather, arrived = two_exchange_gather(aioca_mock)
    binance_task, okx_task = gather.tasks
    assert isinstance(binance_task, CoinMFetchTicker)
    assert isinstance(okx_task, OkxFetchTicker)
    assert isinstance(binance_task.api, BinanceRestApi)
    assert isinstance(okx_task.api, OkxRestApi)
    try:
        result = await gather.run()
    finally:
        await binance_task.api.close()
        await okx_task.api.close()
    assert result == [BINANCE_TICKER, OKX_TICKER]  # in the order the tasks were given
    assert sorted(arrived) == ["binance", "okx"]
    assert float(result[0][0]["price"]) == pytest.approx(55163.4)
    assert float(result[1][0]["last"]) == pytest.approx(55170.1)
    tree = gather.format_tasks().splitlines()
    assert tree[0] == "GatherTask(2):"
    assert "BTCUSD_PERP" in tree[1]  # Binance's own wording, whatever it is
    assert tree[2] == "    OKX BTC-USD-SWAP ticker"


def test_the_sync_operator_runs_the_two_exchange_gather(aioca_mock: aioresponses) -> None:
    gather, _ = two_exchange_gather(aioca_mock)
    TaskOperator().run_single_task(gather).run()  # closes the sessions it opened
    assert gather.result == [BINANCE_TICKER, OKX_TICKER]


@pytest.mark.parametrize("value", ["false", "False", 0, 1, None])
def test_demo_must_be_a_bool(value: object) -> None:
    from aioca_okx import OkxRestApi

    with pytest.raises(TypeError, match="demo must be True or False"):
        OkxRestApi(demo=value)  # type: ignore[arg-type]
