"""The ``aioca`` console script with the Binance plugin, in subprocesses: ``--help``,
``exchanges``, ``tasks``, ``call`` (validation and against a running ``aioca sim
binance``), ``sim`` and ``demo`` end to end.
"""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

SCRIPT = Path(sys.executable).with_name("aioca")


def aioca(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture(scope="module")
def sim_process() -> Iterator[dict[str, str]]:
    """``aioca sim binance --port 0`` running; the url/api_key/api_secret lines it printed
    and the three markets' url-spot/url-usdm/url-coinm lines."""
    process = subprocess.Popen(
        [str(SCRIPT), "sim", "binance", "--port", "0", "--seed", "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    stdout, stderr = process.stdout, process.stderr
    assert stdout is not None
    assert stderr is not None
    # A reader thread, so that a simulator that hangs fails the test instead of hanging it;
    # it ends by itself at the end of the output, when the simulator exits.
    lines: queue.Queue[str] = queue.Queue()

    def read_lines() -> None:
        for line in stdout:
            lines.put(line)

    reader = threading.Thread(target=read_lines, daemon=True)
    reader.start()
    try:
        printed: dict[str, str] = {}
        while len(printed) < 6:
            name, _, value = lines.get(timeout=30).strip().partition(": ")
            printed[name] = value
        yield printed
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        reader.join(10)
        errors = stderr.read()
        stdout.close()
        stderr.close()
    assert process.returncode == 0, errors
    assert "Traceback" not in errors


def test_the_console_script_is_installed() -> None:
    assert SCRIPT.exists()


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["exchanges"],
        ["tasks"],
        ["call"],
        ["sim"],
        ["sim", "binance"],
        ["demo"],
        ["demo", "binance"],
        ["new-plugin"],
    ],
)
def test_help_on_everything(args: list[str]) -> None:
    out = aioca(*args, "--help")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("Usage: aioca")


def test_exchanges_lists_binance_with_its_package() -> None:
    out = aioca("exchanges")
    assert re.search(r"^binance\s+aioca-binance\s+\S+\s+212$", out.stdout, re.M), out.stdout


def test_tasks_filter_kline() -> None:
    out = aioca("tasks", "binance", "--filter", "kline")
    names = [line.split()[0] for line in out.stdout.splitlines()[1:]]
    assert "CoinMFetchKline" in names
    assert all("kline" in line.lower() for line in out.stdout.splitlines()[1:])
    assert re.search(r"^CoinMFetchKline\s+GET\s+/dapi/v1/klines\s+NONE\s+1-10$", out.stdout, re.M)


def test_call_validation_error_prints_parameter_and_reason_and_exits_2() -> None:
    out = aioca("call", "binance", "CoinMFetchKline", "symbol=BTCUSD_PERP", "interval=7x")
    assert out.returncode == 2
    assert re.search(r"^  interval: expected one of 1m, .*, got '7x'$", out.stderr, re.M)


def test_call_against_the_simulator_prints_a_table(sim_process: dict[str, str]) -> None:
    out = aioca(
        "call", "binance", "CoinMFetchKline", "symbol=BTCUSD_PERP", "interval=1m", "limit=5",
        "--url", f"coinm={sim_process['url']}",
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    rows = out.stdout.splitlines()
    assert len(rows) == 6  # a header and five candles
    assert rows[0].split()[:2] == ["open_time", "open"]  # the kline model's names


def test_call_json_and_credentials_from_the_environment(sim_process: dict[str, str]) -> None:
    env = {
        "AIOCA_BINANCE_API_KEY": sim_process["api_key"],
        "AIOCA_BINANCE_API_SECRET": sim_process["api_secret"],
    }
    out = aioca(
        "call", "binance", "CoinMAccountInformation", "--json",
        "--url", f"coinm={sim_process['url']}", env=env,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "assets" in json.loads(out.stdout)
    assert sim_process["api_secret"] not in out.stdout + out.stderr


def test_call_with_a_wrong_secret_exits_1_with_binances_error(
    sim_process: dict[str, str],
) -> None:
    out = aioca(
        "call", "binance", "CoinMAccountInformation", "--url", f"coinm={sim_process['url']}",
        "--api-key", sim_process["api_key"], "--api-secret", "wrongSecret0123456789",
    )  # fmt: skip
    assert out.returncode == 1
    assert "-1022" in out.stderr
    assert "wrongSecret0123456789" not in out.stdout + out.stderr


def test_sim_prints_demo_credentials(sim_process: dict[str, str]) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", sim_process["url"])
    assert re.fullmatch(r"[A-Za-z0-9]{16,}", sim_process["api_key"])
    assert re.fullmatch(r"[A-Za-z0-9]{16,}", sim_process["api_secret"])


def _demo_sections(stdout: str) -> dict[str, str]:
    """The demo's output cut into its numbered sections, by title."""
    total = int(re.search(r"\[1/(\d+)\]", stdout).group(1))  # type: ignore[union-attr]
    parts = re.split(r"^\[\d+/\d+\] ", stdout, flags=re.M)[1:]
    assert len(parts) == total, stdout
    return {part.splitlines()[0]: part for part in parts}


def test_demo_runs_end_to_end_offline() -> None:
    out = aioca("demo")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "embedded simulator at http://127.0.0.1:" in out.stdout
    sections = list(_demo_sections(out.stdout).values())
    assert "GatherTask(2):" in sections[0]  # the task tree
    ring = sections[1]
    assert len(re.findall(r"^ {6}(BTC|ETH)USD_PERP \d+\.\d+$", ring, re.M)) == 6  # 3 passes
    assert "status CANCELED" in out.stdout
    # the streaming scenes: a synced book, then the order's events from the user stream
    assert "Resynced(update_id=" in out.stdout
    assert re.search(r"spread \d", out.stdout)
    events = next(part for part in sections if part.startswith("streams: the account"))
    assert "ORDER_TRADE_UPDATE NEW" in events
    assert "ORDER_TRADE_UPDATE TRADE" in events
    assert "Traceback" not in out.stderr


def test_demo_spot_scene_fills_against_the_book_and_moves_the_balances() -> None:
    out = aioca("demo", "binance", "--passes", "1")
    assert out.returncode == 0, out.stdout + out.stderr
    spot = next(part for part in _demo_sections(out.stdout).values() if part.startswith("Spot:"))
    best = re.search(r"best ask (\S+) @ (\S+)", spot)
    assert best is not None, spot
    fills = re.findall(r"fill (\S+) @ (\S+) \(fee (\S+)\)", spot)
    assert len(fills) == 2, spot  # the first level whole, then the next one
    assert fills[0] == (best.group(1), best.group(2), fills[0][2])
    assert Decimal(fills[1][1]) > Decimal(fills[0][1])
    executed = re.search(r"FILLED, (\S+) BTC", spot)
    assert executed is not None, spot
    assert Decimal(executed.group(1)) == sum(Decimal(qty) for qty, _, _ in fills)
    moved = re.search(r"BTC (\S+) -> (\S+)", spot)
    assert moved is not None, spot
    fees = sum(Decimal(fee) for _, _, fee in fills)  # charged in the asset bought
    assert Decimal(moved.group(2)) - Decimal(moved.group(1)) == Decimal(executed.group(1)) - fees


def test_demo_usdm_scene_opens_a_position_with_its_pnl() -> None:
    out = aioca("demo", "binance", "--passes", "1")
    assert out.returncode == 0, out.stdout + out.stderr
    usdm = next(part for part in _demo_sections(out.stdout).values() if part.startswith("USDⓈ-M"))
    assert "leverage 10x" in usdm
    filled = re.search(r"FILLED at (\S+)", usdm)
    row = re.search(r"(\S+) BTC entry (\S+) mark (\S+) PnL (\S+) USDT", usdm)
    assert filled is not None, usdm
    assert row is not None, usdm
    amount, entry, mark, pnl = (Decimal(value) for value in row.groups())
    assert amount == Decimal("0.050")
    assert entry == Decimal(filled.group(1))
    assert abs(pnl - (mark - entry) * amount) < Decimal("0.01")  # PnL at the mark price


def test_demo_in_chinese() -> None:
    out = aioca("--lang", "zh", "demo", "binance", "--passes", "1")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "并发任务(2):" in out.stdout
    assert "ping币安币本位服务器" in out.stdout


def test_sim_prints_each_markets_url(sim_process: dict[str, str]) -> None:
    assert sim_process["url-coinm"] == sim_process["url"]
    urls = {market: sim_process[f"url-{market}"] for market in ("spot", "usdm", "coinm")}
    assert len(set(urls.values())) == 3
    for market, path in (("spot", "/api/v3/ping"), ("usdm", "/fapi/v1/ping")):
        with urllib.request.urlopen(urls[market] + path, timeout=10) as answer:
            assert json.loads(answer.read()) == {}


def test_sim_refuses_a_bad_option_with_exit_code_2() -> None:
    out = aioca("sim", "binance", "--error-rate", "2")
    assert out.returncode == 2
    assert "--error-rate" in out.stderr


def test_sim_on_a_taken_port_exits_1_without_a_traceback() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        out = aioca("sim", "binance", "--port", str(taken.getsockname()[1]))
    assert out.returncode == 1
    assert "cannot serve on 127.0.0.1" in out.stderr
    assert "Traceback" not in out.stderr


def test_stream_prints_messages_from_the_simulator(sim_process: dict[str, str]) -> None:
    ws_url = "ws" + sim_process["url"].removeprefix("http")
    result = aioca(
        "stream", "binance", "btcusd_perp@depth5", "--market", "coinm",
        "--url", ws_url, "--count", "2",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    name, payload = lines[0].split(" ", 1)
    assert name == "btcusd_perp@depth5"
    assert len(json.loads(payload)["b"]) == 5


def test_stream_refuses_an_unknown_stream_with_usage_exit() -> None:
    result = aioca("stream", "binance", "btcusdt@nothing", "--url", "ws://127.0.0.1:9")
    assert result.returncode == 2
    assert "not a spot market stream" in result.stderr


def test_book_shows_a_live_book_from_the_simulator(sim_process: dict[str, str]) -> None:
    ws_url = "ws" + sim_process["url"].removeprefix("http")
    result = aioca(
        "book", "binance", "BTCUSD_PERP", "--market", "coinm", "--url", ws_url,
        "--rest-url", sim_process["url"], "--count", "1", "--levels", "3",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "synced at" in result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("BTCUSD_PERP update ")
    assert len(lines) == 4
    bid = lines[1].split("|")[0].split()
    ask = lines[1].split("|")[1].split()
    assert float(bid[1]) < float(ask[0])


def test_call_of_a_batch_with_refused_items_exits_1_and_shows_what_went_through(
    sim_process: dict[str, str],
) -> None:
    order = {"symbol": "BTCUSD_PERP", "type": "LIMIT", "timeInForce": "GTC", "quantity": "1"}
    batch = [
        {**order, "side": "BUY", "price": "1000.1"},
        {**order, "side": "BUY", "price": "1000.13"},  # not a multiple of the tick size
    ]
    out = aioca(
        "call", "binance", "CoinMPlaceMultipleOrders", f"batchOrders={json.dumps(batch)}",
        "--url", f"coinm={sim_process['url']}",
        "--api-key", sim_process["api_key"], "--api-secret", sim_process["api_secret"],
    )  # fmt: skip
    assert out.returncode == 1, out.stdout + out.stderr
    assert "BatchError" in out.stderr
    assert "-4014" in out.stderr
    placed = json.loads(out.stdout)
    assert [item["status"] for item in placed] == ["NEW"]


def test_call_of_a_batch_whose_every_item_is_refused_exits_1(sim_process: dict[str, str]) -> None:
    order = {"symbol": "BTCUSD_PERP", "type": "LIMIT", "timeInForce": "GTC", "quantity": "1"}
    batch = [{**order, "side": "BUY", "price": "1000.13"}] * 2
    out = aioca(
        "call", "binance", "CoinMPlaceMultipleOrders", f"batchOrders={json.dumps(batch)}",
        "--url", f"coinm={sim_process['url']}",
        "--api-key", sim_process["api_key"], "--api-secret", sim_process["api_secret"],
    )  # fmt: skip
    assert out.returncode == 1
    assert "2 of 2 items refused" in out.stderr
    assert json.loads(out.stdout) == []
