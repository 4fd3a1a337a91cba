"""The seed README's examples (see ``test_seed_examples.py``, which runs them against
mocks) against the simulator: the synchronous operator, over real HTTP on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice

import pytest

from aioca import GatherTask, SerialTask, Task, TaskOperater, TaskQueue, TaskRing
from aioca_binance import BinanceRestApi
from aioca_binance.coinm import CoinMFetchKline, CoinMFetchTicker, CoinMServerTime
from aioca_binance_sim import BinanceSimulator
from aioca_binance_sim.background import background_simulator


@pytest.fixture(scope="module")
def sim() -> Iterator[BinanceSimulator]:
    with background_simulator(seed=1) as simulator:
        yield simulator


@pytest.fixture(autouse=True)
def _default_api(sim: BinanceSimulator) -> None:
    Task.set_default_binance_API(
        BinanceRestApi(api_key=sim.api_key, api_secret=sim.api_secret, urls={"coinm": sim.url})
    )


def test_example_1_server_time(sim: BinanceSimulator) -> None:
    task = CoinMServerTime()
    q = TaskQueue()
    q += task
    TaskOperater().add_queue(q).run()
    assert abs(task.result["serverTime"] - sim.now_ms()) < 5_000


def test_example_2_ticker_every_interval() -> None:
    q = TaskRing(iter_interval=0.01)
    q += CoinMFetchTicker(symbol="BTCUSD_PERP", pair="BTCUSD")
    results = [t.result for t in islice(TaskOperater().add_queue(q).fishih_task_generator(), 3)]
    assert [r[0]["symbol"] for r in results] == ["BTCUSD_PERP"] * 3
    assert all(float(r[0]["price"]) > 0 for r in results)


def test_example_3_time_and_ticker_concurrently() -> None:
    q = TaskRing(iter_interval=0.01)
    q += GatherTask(CoinMServerTime(), CoinMFetchTicker(symbol="BTCUSD_PERP", pair="BTCUSD"))
    results = [t.result for t in islice(TaskOperater().add_queue(q).fishih_task_generator(), 2)]
    for server_time, ticker in results:
        assert set(server_time) == {"serverTime"}
        assert ticker[0]["ps"] == "BTCUSD"


def test_example_4_klines_in_series() -> None:
    q = TaskQueue()
    q += CoinMFetchKline(symbol="BTCUSD_PERP", interval="1m", limit=1, endTime=1618898005000)
    q += CoinMFetchKline(symbol="BTCUSD_PERP", interval="1m", limit=1, endTime=1618897945000)
    finished = [task.result for task in TaskOperater().add_queue(q).fishih_task_generator()]
    assert [candles[0][0] for candles in finished] == [1618897980000, 1618897920000]


def test_example_5_two_symbols_concurrently_each_in_series() -> None:
    end = 1618898371000
    q = TaskQueue()
    q += GatherTask(
        SerialTask(
            CoinMFetchKline(symbol="BTCUSD_PERP", interval="1m", limit=1, endTime=end),
            CoinMFetchKline(symbol="BTCUSD_PERP", interval="1m", limit=1, endTime=end),
        ),
        SerialTask(
            CoinMFetchKline(symbol="ETHUSD_PERP", interval="1m", limit=1, endTime=end),
            CoinMFetchKline(symbol="ETHUSD_PERP", interval="1m", limit=1, endTime=end),
        ),
    )
    (task,) = list(TaskOperater().add_queue(q).fishih_task_generator())
    (btc_1, btc_2), (eth_1, eth_2) = task.result
    assert btc_1 == btc_2  # the same minute twice: the same candle
    assert eth_1 == eth_2
    assert btc_1 != eth_1
    assert btc_1[0][0] == eth_1[0][0] == 1618898340000
