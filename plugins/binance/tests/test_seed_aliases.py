"""The seed's Binance-named spellings on ``Task``, installed by ``aioca_binance``."""

from __future__ import annotations

import subprocess
import sys

import aioca_binance  # noqa: F401 - importing the plugin installs the aliases
from aioca import Task
from aioca_binance import BinanceRestApi
from aioca_binance.coinm import CoinMPing
from aioca_binance.seed import install_seed_aliases


def test_set_default_binance_api_is_set_default_api() -> None:
    api1 = BinanceRestApi(api_key="key_1", api_secret="secret_1")
    api2 = BinanceRestApi(api_key="key_2", api_secret="secret_2")
    Task.set_default_binance_API(api1)  # type: ignore[attr-defined]
    task1 = CoinMPing()
    Task.set_default_binance_API(api2)  # type: ignore[attr-defined]
    task2 = CoinMPing()
    assert task1.binance_API.api_key == "key_1"  # type: ignore[attr-defined]
    assert task2.binance_API.api_key == "key_2"  # type: ignore[attr-defined]
    assert Task.get_default_api("binance") is api2


def test_binance_api_reads_and_sets_the_task_api() -> None:
    task = CoinMPing()
    api1, api2 = BinanceRestApi(), BinanceRestApi()
    task.api = api1
    assert task.binance_API is api1  # type: ignore[attr-defined]
    task.binance_API = api2  # type: ignore[attr-defined]
    assert task.api is api2


def test_installing_twice_changes_nothing() -> None:
    before = dict(vars(Task))
    install_seed_aliases()
    assert dict(vars(Task)) == before


def test_the_core_alone_has_no_binance_names() -> None:
    code = "import aioca; print(hasattr(aioca.Task, 'set_default_binance_API'))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
