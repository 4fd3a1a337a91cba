"""The plugin's pytest fixtures, used the way a user's tests use them.

``binance_sim`` and ``binance_api`` come from the ``pytest11`` entry point
``aioca_binance``; nothing here imports them.
"""

from __future__ import annotations

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
from aioca_binance.sim import BinanceSimulator


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
    from aioca_binance.background import background_simulator
    from aioca_binance.coinm import CoinMAllOrders

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
