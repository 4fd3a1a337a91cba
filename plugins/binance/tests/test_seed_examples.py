"""The seed README's five examples, as written there (imports aside), against mocked Binance.

Each runs through the synchronous operator exactly as the seed shows; aioresponses answers
with bodies shaped like Binance's documented responses (the seed's own printed values).
"""

from __future__ import annotations

import re
from itertools import islice

import pytest
from aioresponses import aioresponses

import aioca
from aioca import GatherTask, SerialTask, Task, TaskOperater, TaskQueue, TaskRing
from aioca_binance import BinanceRestApi
from aioca_binance.coinm import CoinMFetchKline, CoinMFetchTicker, CoinMPing, CoinMServerTime

BASE = "https://dapi.binance.com"
TIME = re.compile(rf"^{re.escape(BASE)}/dapi/v1/time$")
TICKER = re.compile(rf"^{re.escape(BASE)}/dapi/v1/ticker/price\?.*$")
KLINES = re.compile(rf"^{re.escape(BASE)}/dapi/v1/klines\?.*$")

BTC_TICKER = [{"symbol": "BTCUSD_PERP", "ps": "BTCUSD", "price": "55163.4", "time": 1618897014034}]
BTC_KLINE = [
    [1618897980000, "54963.2", "54975.9", "54963.2", "54975.8", "2662", 1618898039999,
     "4.84281221", 73, "2329", "4.23701807", "0"],
]  # fmt: skip
ETH_KLINE = [
    [1618898340000, "2118.17", "2120.31", "2118.17", "2119.90", "47561", 1618898399999,
     "224.39426159", 109, "27294", "128.79773623", "0"],
]  # fmt: skip


@pytest.fixture(autouse=True)
def _seed_default_api() -> None:
    Task.set_default_binance_API(BinanceRestApi(api_key="key_1", api_secret="screte_1"))


def test_seed_default_api_example() -> None:
    api1 = BinanceRestApi(api_key="key_1", api_secret="screte_1")
    api2 = BinanceRestApi(api_key="key_2", api_secret="screte_2")
    Task.set_default_binance_API(api1)
    task1 = CoinMPing()
    Task.set_default_binance_API(api2)
    task2 = CoinMPing()
    assert task1.binance_API.api_key == "key_1"  # type: ignore[attr-defined]
    assert task2.binance_API.api_key == "key_2"  # type: ignore[attr-defined]


def test_example_1_server_time(aioca_mock: aioresponses) -> None:
    aioca_mock.get(TIME, payload={"serverTime": 1618897355627})
    task = CoinMServerTime()
    q = TaskQueue()
    q += task
    op = TaskOperater().add_queue(q)
    op.run()
    assert task.result == {"serverTime": 1618897355627}


def test_example_2_ticker_every_second(
    aioca_mock: aioresponses, capsys: pytest.CaptureFixture[str]
) -> None:
    aioca_mock.get(TICKER, payload=BTC_TICKER, repeat=True)
    aioca.set_language("zh")
    task = CoinMFetchTicker(symbol="BTCUSD_PERP", pair="BTCUSD")
    q = TaskRing(iter_interval=0.01)
    q += task
    q.show_tasks()
    assert capsys.readouterr().out == (
        "-------当前任务队列(1)-------\n"
        "Task 0\n"
        "获取币本位合约:BTCUSD_PERP 实时价格\n"
        "-----------------------\n"
    )
    op = TaskOperater().add_queue(q)
    results = [t.result for t in islice(op.fishih_task_generator(), 3)]
    assert results == [BTC_TICKER] * 3
    (_, url), calls = next(iter(aioca_mock.requests.items()))
    assert url.query["symbol"] == "BTCUSD_PERP"
    assert len(calls) == 3


def test_example_3_time_and_ticker_concurrently_every_second(aioca_mock: aioresponses) -> None:
    aioca_mock.get(TIME, payload={"serverTime": 1618897355627}, repeat=True)
    aioca_mock.get(TICKER, payload=BTC_TICKER, repeat=True)
    q = TaskRing(iter_interval=0.01)
    q += GatherTask(CoinMServerTime(), CoinMFetchTicker(symbol="BTCUSD_PERP", pair="BTCUSD"))
    results = [t.result for t in islice(TaskOperater().add_queue(q).fishih_task_generator(), 2)]
    assert results == [[{"serverTime": 1618897355627}, BTC_TICKER]] * 2


def test_example_4_klines_in_series(aioca_mock: aioresponses) -> None:
    aioca_mock.get(KLINES, payload=BTC_KLINE, repeat=True)
    aioca.set_language("zh")
    q = TaskQueue()
    q += CoinMFetchKline(symbol="BTCUSD_PERP", interval="1m", limit=1, endTime=1618898005000)
    q += CoinMFetchKline(symbol="BTCUSD_PERP", interval="1m", limit=1, endTime=1618897945000)
    assert q.format_tasks().splitlines()[2] == (
        "获取币本位合约:BTCUSD_PERP 1m周期 K线<至 1618898005000>(limit 1)"
    )
    finished = [
        (str(task), task.result) for task in TaskOperater().add_queue(q).fishih_task_generator()
    ]
    assert finished == [
        ("获取币本位合约:BTCUSD_PERP 1m周期 K线<至 1618898005000>(limit 1)", BTC_KLINE),
        ("获取币本位合约:BTCUSD_PERP 1m周期 K线<至 1618897945000>(limit 1)", BTC_KLINE),
    ]
    sent_end_times = sorted(url.query["endTime"] for (_, url) in aioca_mock.requests)
    assert sent_end_times == ["1618897945000", "1618898005000"]


def test_example_5_two_symbols_concurrently_each_in_series(aioca_mock: aioresponses) -> None:
    aioca_mock.get(re.compile(r".*/klines\?.*symbol=BTCUSD_PERP.*"), payload=BTC_KLINE, repeat=True)
    aioca_mock.get(re.compile(r".*/klines\?.*symbol=ETHUSD_PERP.*"), payload=ETH_KLINE, repeat=True)
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
    for task in TaskOperater().add_queue(q).fishih_task_generator():
        assert task.result[0][0] == BTC_KLINE
        assert task.result[0][1] == BTC_KLINE
        assert task.result[1][0] == ETH_KLINE
        assert task.result[1][1] == ETH_KLINE


def test_kline_parsed_gives_decimals(aioca_mock: aioresponses) -> None:
    aioca_mock.get(KLINES, payload=BTC_KLINE)
    task = CoinMFetchKline(symbol="BTCUSD_PERP", interval="1m", limit=1)
    TaskOperater().run_single_task(task).run()
    candle = task.parsed[0]
    assert str(candle.close) == "54975.8"
    assert candle.open_time == 1618897980000


def test_english_names_are_the_default() -> None:
    assert str(CoinMPing()) == "Ping Binance COIN-M server"
    assert str(CoinMServerTime()) == "Fetch Binance COIN-M server time"
    assert (
        str(CoinMFetchTicker(symbol="BTCUSD_PERP"))
        == "Fetch COIN-M contract BTCUSD_PERP latest price"
    )


def test_parsed_follows_the_latest_result(aioca_mock: aioresponses) -> None:
    aioca_mock.get(KLINES, payload=BTC_KLINE)
    aioca_mock.get(KLINES, payload=ETH_KLINE)
    task = CoinMFetchKline(symbol="BTCUSD_PERP", interval="1m", limit=1)
    operator = TaskOperater().run_single_task(task)
    operator.run()
    assert task.parsed is task.parsed, "built once per result"
    assert str(task.parsed[0].close) == "54975.8"
    operator.run()
    assert str(task.parsed[0].close) == "2119.90"


def test_seed_ticker_sends_only_the_symbol_binance_refuses_both() -> None:
    # Binance: "Symbol and pair cannot be sent together"; the seed passes both, and a symbol
    # belongs to its pair, so the redundant pair is left out instead of failing.
    task = CoinMFetchTicker(symbol="BTCUSD_PERP", pair="BTCUSD")
    assert task.wire_params() == [("symbol", "BTCUSD_PERP")]
    assert CoinMFetchTicker(pair="BTCUSD").wire_params() == [("pair", "BTCUSD")]


def test_a_symbol_of_another_pair_is_refused_before_sending() -> None:
    with pytest.raises(aioca.errors.InvalidParameterError, match="cannot be sent together"):
        CoinMFetchTicker(symbol="BTCUSD_PERP", pair="ETHUSD")


def test_either_or_parameters_need_one_of_them() -> None:
    from aioca_binance.coinm import CoinMQueryOrder

    with pytest.raises(
        aioca.errors.InvalidParameterError, match="'orderId' or 'origClientOrderId'"
    ):
        CoinMQueryOrder(symbol="BTCUSD_PERP")
    assert CoinMQueryOrder(symbol="BTCUSD_PERP", origClientOrderId="abc").wire_params()[1] == (
        "origClientOrderId",
        "abc",
    )
