"""show_tasks()/format_tasks(): the seed README's layouts, verbatim in Chinese, and English."""

from __future__ import annotations

import pytest

import aioca
from aioca import GatherTask, SerialTask, TaskQueue, TaskRing

from .helpers import Named, Value

PING = "ping币安币本位服务器"
TIME = "获取币安币本位服务器时间"
BTC_TICKER = "获取币本位合约:BTCUSD_PERP 实时价格"
ETH_TICKER = "获取币本位合约:ETHUSD_PERP 实时价格"


def kline(symbol: str, end: int) -> Named:
    return Named(f"获取币本位合约:{symbol} 1m周期 K线<None to {end}>(limit 1)")


@pytest.fixture
def zh() -> None:
    aioca.set_language("zh")


@pytest.mark.usefixtures("zh")
def test_seed_gather_example(capsys: pytest.CaptureFixture[str]) -> None:
    GatherTask(Named(PING), Named(TIME)).show_tasks()
    assert capsys.readouterr().out == (
        "并发任务(2):\n    ping币安币本位服务器\n    获取币安币本位服务器时间\n"
    )


@pytest.mark.usefixtures("zh")
def test_seed_serial_example(capsys: pytest.CaptureFixture[str]) -> None:
    SerialTask(Named(PING), Named(TIME)).show_tasks()
    assert capsys.readouterr().out == (
        "串行任务(2):\n    ping币安币本位服务器\n    获取币安币本位服务器时间\n"
    )


@pytest.mark.usefixtures("zh")
def test_seed_ring_example_with_nesting(capsys: pytest.CaptureFixture[str]) -> None:
    ring = TaskRing()
    ring += Named(PING)
    ring += GatherTask(
        SerialTask(Named(TIME), Named(BTC_TICKER)),
        SerialTask(Named(TIME), Named(ETH_TICKER)),
    )
    ring.show_tasks()
    assert capsys.readouterr().out == (
        "-------当前任务队列(2)-------\n"
        "Task 0\n"
        "ping币安币本位服务器\n"
        "Task 1\n"
        "并发任务(2):\n"
        "    串行任务(2):\n"
        "        获取币安币本位服务器时间\n"
        "        获取币本位合约:BTCUSD_PERP 实时价格\n"
        "    串行任务(2):\n"
        "        获取币安币本位服务器时间\n"
        "        获取币本位合约:ETHUSD_PERP 实时价格\n"
        "-----------------------\n"
    )


@pytest.mark.usefixtures("zh")
def test_seed_ticker_ring_example(capsys: pytest.CaptureFixture[str]) -> None:
    ring = TaskRing(iter_interval=1)
    ring += Named(BTC_TICKER)
    ring.show_tasks()
    assert capsys.readouterr().out == (
        "-------当前任务队列(1)-------\n"
        "Task 0\n"
        "获取币本位合约:BTCUSD_PERP 实时价格\n"
        "-----------------------\n"
    )


@pytest.mark.usefixtures("zh")
def test_seed_gather_in_ring_example() -> None:
    ring = TaskRing(iter_interval=1)
    ring += GatherTask(Named(TIME), Named(BTC_TICKER))
    assert ring.format_tasks() == (
        "-------当前任务队列(1)-------\n"
        "Task 0\n"
        "并发任务(2):\n"
        "    获取币安币本位服务器时间\n"
        "    获取币本位合约:BTCUSD_PERP 实时价格\n"
        "-----------------------"
    )


@pytest.mark.usefixtures("zh")
def test_seed_serial_kline_queue_example() -> None:
    queue = TaskQueue()
    queue += kline("BTCUSD_PERP", 1618898005000)
    queue += kline("BTCUSD_PERP", 1618897945000)
    assert queue.format_tasks() == (
        "-------当前任务队列(2)-------\n"
        "Task 0\n"
        "获取币本位合约:BTCUSD_PERP 1m周期 K线<None to 1618898005000>(limit 1)\n"
        "Task 1\n"
        "获取币本位合约:BTCUSD_PERP 1m周期 K线<None to 1618897945000>(limit 1)\n"
        "-----------------------"
    )


@pytest.mark.usefixtures("zh")
def test_seed_concurrent_kline_example() -> None:
    end = 1618898371000
    queue = TaskQueue()
    queue += GatherTask(
        SerialTask(kline("BTCUSD_PERP", end), kline("BTCUSD_PERP", end)),
        SerialTask(kline("ETHUSD_PERP", end), kline("ETHUSD_PERP", end)),
    )
    assert queue.format_tasks() == (
        "-------当前任务队列(1)-------\n"
        "Task 0\n"
        "并发任务(2):\n"
        "    串行任务(2):\n"
        "        获取币本位合约:BTCUSD_PERP 1m周期 K线<None to 1618898371000>(limit 1)\n"
        "        获取币本位合约:BTCUSD_PERP 1m周期 K线<None to 1618898371000>(limit 1)\n"
        "    串行任务(2):\n"
        "        获取币本位合约:ETHUSD_PERP 1m周期 K线<None to 1618898371000>(limit 1)\n"
        "        获取币本位合约:ETHUSD_PERP 1m周期 K线<None to 1618898371000>(limit 1)\n"
        "-----------------------"
    )


def test_english_labels_are_the_default() -> None:
    queue = TaskQueue(Value(1), GatherTask(SerialTask(Value(2)), Value(3)))
    assert queue.format_tasks() == (
        "-------Task queue (2)-------\n"
        "Task 0\n"
        "value 1\n"
        "Task 1\n"
        "GatherTask(2):\n"
        "    SerialTask(1):\n"
        "        value 2\n"
        "    value 3\n"
        "-----------------------"
    )


def test_footer_is_23_dashes() -> None:
    assert TaskQueue().format_tasks().splitlines()[-1] == "-" * 23


def test_composite_str_is_its_label_with_the_count() -> None:
    assert str(GatherTask(Value(1), Value(2))) == "GatherTask(2)"
    aioca.set_language("zh")
    assert str(SerialTask(Value(1))) == "串行任务(1)"


def test_plain_task_formats_as_its_name() -> None:
    assert Value(7).format_tasks() == "value 7"


def test_multiline_task_names_are_indented_on_every_line() -> None:
    assert GatherTask(Named("line one\nline two")).format_tasks() == (
        "GatherTask(1):\n    line one\n    line two"
    )


def test_language_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIOCA_LANG", "zh_CN")
    assert aioca.get_language() == "zh"
    assert str(GatherTask()) == "并发任务(0)"


def test_set_language_overrides_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIOCA_LANG", "zh")
    aioca.set_language("en")
    assert str(GatherTask()) == "GatherTask(0)"


def test_unknown_language_is_rejected_and_unknown_env_value_falls_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(ValueError, match="unsupported language"):
        aioca.set_language("fr")
    monkeypatch.setenv("AIOCA_LANG", "fr")
    assert aioca.get_language() == "en"


def test_localize_picks_the_text_of_the_language_in_force() -> None:
    assert aioca.localize("ping", "ping服务器") == "ping"
    aioca.set_language("zh-CN")
    assert aioca.localize("ping", "ping服务器") == "ping服务器"
