"""The plugin's pytest fixtures, used the way a user's tests use them.

``binance_sim`` and ``binance_api`` come from the ``pytest11`` entry point
``aioca_binance``; nothing here imports them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from aioca import GatherTask, RetryPolicy, Task, TaskOperator, errors
from aioca_binance import BinanceRestApi
from aioca_binance.coinm import (
    CoinMAccountInformation,
    CoinMFetchTicker,
    CoinMNewOrder,
    CoinMPing,
    CoinMQueryOrder,
    CoinMServerTime,
)
from aioca_binance.error_codes import ERROR_CODES, code_named
from aioca_binance.pytest_plugin import BinanceMock
from aioca_binance_sim import BinanceSimulator


def test_binance_api_is_bound_to_the_sim_and_is_the_default(
    binance_sim: BinanceSimulator, binance_api: BinanceRestApi
) -> None:
    assert binance_api.coinm_url == binance_sim.url
    assert binance_sim.url.startswith("http://127.0.0.1:")
    assert CoinMPing().api is binance_api


def test_a_sync_test_runs_the_seed_style_operator_against_the_sim(
    binance_api: BinanceRestApi,
) -> None:
    gather = GatherTask(CoinMPing(), CoinMServerTime(), CoinMAccountInformation())
    TaskOperator().run_single_task(gather).run()
    ping, server_time, account = gather.result
    assert ping == {}
    assert isinstance(server_time["serverTime"], int)
    assert "assets" in account


async def test_an_async_test_awaits_tasks_against_the_sim(binance_api: BinanceRestApi) -> None:
    order = CoinMNewOrder(symbol="BTCUSD_PERP", side="BUY", type="MARKET", quantity=1)
    await order.run()
    query = CoinMQueryOrder(symbol="BTCUSD_PERP", orderId=order.result["orderId"])
    await query.run()
    assert query.result["status"] == "FILLED"


def test_each_simulator_has_its_own_orders() -> None:
    from aioca_binance.coinm import CoinMAllOrders
    from aioca_binance_sim.background import background_simulator

    with background_simulator() as first, background_simulator() as second:
        order = CoinMNewOrder(symbol="BTCUSD_PERP", side="BUY", type="MARKET", quantity=1)
        seen = [CoinMAllOrders(symbol="BTCUSD_PERP") for _ in range(2)]
        for task, sim in ((order, first), (seen[0], first), (seen[1], second)):
            task.api = sim.api()
            TaskOperator().run_single_task(task).run()
    assert [row["orderId"] for row in seen[0].result] == [order.result["orderId"]]
    assert seen[1].result == []


async def test_binance_mock_replies_by_task_class(binance_mock: BinanceMock) -> None:
    binance_mock.reply(CoinMFetchTicker, [{"symbol": "BTCUSD_PERP", "price": "1.0"}])
    async with BinanceRestApi() as api:
        task = CoinMFetchTicker(symbol="BTCUSD_PERP", api=api)
        await task.run()
    assert task.result == [{"symbol": "BTCUSD_PERP", "price": "1.0"}]


async def test_binance_mock_error_by_name_maps_to_the_exception(
    binance_mock: BinanceMock,
) -> None:
    binance_mock.error(CoinMQueryOrder, "NO_SUCH_ORDER")
    async with BinanceRestApi("key", "secret", time_sync_interval=None) as api:
        task = CoinMQueryOrder(symbol="BTCUSD_PERP", orderId=1, api=api)
        with pytest.raises(errors.OrderNotFoundError) as caught:
            await task.run()
    assert caught.value.code == -2013
    assert caught.value.msg == "Order does not exist."
    assert caught.value.status == 400


async def test_binance_mock_too_many_requests_is_a_429_with_retry_after(
    binance_mock: BinanceMock,
) -> None:
    binance_mock.error(CoinMPing, "TOO_MANY_REQUESTS", retry_after=7)
    async with BinanceRestApi(retry=RetryPolicy(attempts=1)) as api:
        with pytest.raises(errors.RateLimitError) as caught:
            await CoinMPing(api=api).run()
    assert caught.value.status == 429
    assert caught.value.retry_after == 7


def test_error_names_are_binances() -> None:
    assert code_named("INVALID_TIMESTAMP") == -1021
    with pytest.raises(ValueError, match="several"):
        code_named("SAME_ORDER")
    with pytest.raises(ValueError, match="no Binance error"):
        code_named("NOT_AN_ERROR")


def test_error_table_matches_the_spec() -> None:
    import re

    from spec_files import SPEC_DIR

    documented: dict[int, tuple[str, str]] = {}
    text = (SPEC_DIR / "binance-signing-and-errors.md").read_text(encoding="utf-8")
    for code, name, msg in re.findall(r"^\| (-\d+) \| ([^|]+?) \| (.*) \|\s*$", text, re.M):
        documented.setdefault(int(code), (name.strip(), msg.strip().split(" / ")[0].strip()))
    assert {code: tuple(error) for code, error in ERROR_CODES.items()} == documented


def test_borrowing_the_default_keeps_every_other_default() -> None:
    class OtherApi(BinanceRestApi):
        exchange = "other"

    other, outer, inner = OtherApi(), BinanceRestApi(), BinanceRestApi()
    Task.set_default_api(other)
    Task.set_default_api(outer)
    with Task.using_default_api(inner):
        assert Task.get_default_api("binance") is inner
        assert CoinMPing().api is inner
    assert Task.get_default_api("binance") is outer
    assert Task.get_default_api("other") is other
    assert Task.get_default_api() is outer


# --- in a user's project: no asyncio_mode = "auto" ----------------------------------------

USER_TESTS = """
import pytest

from aioca_binance.coinm import CoinMServerTime


@pytest.mark.asyncio
async def test_marked_async_test_with_the_api(binance_api):
    task = CoinMServerTime()
    await task.run()
    assert "serverTime" in task.result


async def test_unmarked_async_test(binance_api):
    await CoinMServerTime().run()


def test_sync_test_with_a_mock(binance_mock):
    assert binance_mock is not None
"""

USER_CONFIG = """
[tool.pytest.ini_options]
asyncio_default_fixture_loop_scope = "function"
"""


def run_user_project(tmp_path: Path, tests: str, conftest: str = "") -> str:
    (tmp_path / "pyproject.toml").write_text(USER_CONFIG, encoding="utf-8")
    (tmp_path / "test_user.py").write_text(tests, encoding="utf-8")
    if conftest:
        (tmp_path / "conftest.py").write_text(conftest, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rA", "--tb=line"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return out.stdout + out.stderr


def test_fixtures_work_in_strict_mode_and_an_unmarked_async_test_is_told_what_to_do(
    tmp_path: Path,
) -> None:
    output = run_user_project(tmp_path, USER_TESTS)
    assert "PASSED test_user.py::test_marked_async_test_with_the_api" in output, output
    assert "PASSED test_user.py::test_sync_test_with_a_mock" in output, output
    assert "FAILED test_user.py::test_unmarked_async_test" in output, output
    assert (
        "test_unmarked_async_test is an async test using aioca's fixtures (binance_api, "
        "binance_sim) but nothing runs it: mark it @pytest.mark.asyncio, or set "
        'asyncio_mode = "auto"'
    ) in output
    assert "not natively supported" not in output


def test_aioca_mock_without_aioresponses_names_the_extra(tmp_path: Path) -> None:
    blocked = "import sys\nsys.modules['aioresponses'] = None  # as if not installed\n"
    tests = "def test_mock(aioca_mock):\n    pass\n"
    output = run_user_project(tmp_path, tests, conftest=blocked)
    assert "FAILED" in output or "ERROR" in output, output
    assert "need aioresponses, which aioca's 'test' extra installs" in output
    assert "pip install 'aioca-core[test]'" in output
