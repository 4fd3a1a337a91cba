"""The command line explains, with the real Binance plugin: ``describe``, parameters read
as a user writes them, every problem at once, named columns, ``--json``, true/false,
credential hints, URL checks, "did you mean", ``limits`` and the demo's timings.

In-process through click's ``CliRunner`` (the plugin as installed), against a simulator
started for the module.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner

from aioca import cli
from aioca.progress import ProgressLine
from aioca_binance.demo import run_demo
from aioca_binance_sim import BinanceSimulator
from aioca_binance_sim.background import background_simulator


@pytest.fixture(scope="module")
def sim() -> Iterator[BinanceSimulator]:
    with background_simulator(seed=5) as simulator:
        yield simulator


def run(*args: str, env: dict[str, str] | None = None) -> Any:
    clean = {"AIOCA_BINANCE_API_KEY": None, "AIOCA_BINANCE_API_SECRET": None}
    return CliRunner().invoke(cli.build_cli(), list(args), env={**clean, **(env or {})})


def at(sim: BinanceSimulator) -> list[str]:
    return ["--url", f"coinm={sim.url}"]


def keys(sim: BinanceSimulator) -> list[str]:
    return ["--api-key", sim.api_key, "--api-secret", sim.api_secret]


# --- describe -----------------------------------------------------------------------------


@pytest.mark.parametrize("command", [["describe"], ["tasks"]])
def test_describe_shows_endpoint_security_weight_docs_and_every_parameter(
    command: list[str],
) -> None:
    out = run(*command, "binance", "CoinMNewOrder")
    assert out.exit_code == 0, out.output
    text = out.output
    assert text.startswith("CoinMNewOrder: Send in a new order.")
    assert re.search(r"^\s+endpoint\s+POST /dapi/v1/order$", text, re.M)
    assert re.search(r"^\s+security\s+TRADE$", text, re.M)
    assert re.search(r"^\s+weight\s+0 \+1 order$", text, re.M)
    assert re.search(r"^\s+docs\s+https://developers\.binance\.com/\S+new-order$", text, re.M)
    assert re.search(r"^symbol\s+str\s+yes\s+at most 1024 characters$", text, re.M)
    assert re.search(r"^side\s+str\s+yes\s+BUY, SELL$", text, re.M)
    assert re.search(r"^reduceOnly\s+bool\s+no\s+true/false", text, re.M)
    assert re.search(r"^price\s+decimal\s+no\s+decimal, as text", text, re.M)
    assert re.search(r"^recvWindow\s+int\s+no\s+>= 1; <= 60000$", text, re.M)
    assert "example: aioca call binance CoinMNewOrder symbol=... side=BUY type=LIMIT" in text


def test_describe_lists_rules_across_parameters_and_time_parameters() -> None:
    text = run("describe", "binance", "CoinMModifyOrder").output
    assert "rules:\n  'orderId' or 'origClientOrderId' must be sent" in text
    klines = run("describe", "binance", "CoinMFetchKline").output
    assert re.search(r"^startTime\s+time \(ms\)\s+no\s+ms, ISO date-time", klines, re.M)
    order = run("describe", "binance", "CoinMNewOrder").output
    assert "  when type is LIMIT: send 'timeInForce', 'quantity' and 'price' (or 'priceMatch')" in (
        order
    )
    assert re.search(r"^limit\s+int\s+no\s+>= 1; <= 1500$", klines, re.M)


def test_describe_a_usdm_task_with_its_market_rules_and_wrapped_values() -> None:
    text = run("describe", "binance", "UsdmNewOrder").output
    assert re.search(r"^\s+market\s+usdm$", text, re.M)
    assert re.search(r"^\s+endpoint\s+POST /fapi/v1/order$", text, re.M)
    assert re.search(r"^\s+note 1\s+stop, take-profit and trailing orders are algo", text, re.M)
    assert re.search(
        r"^\s+note 2\s+without newClientOrderId, aioca sends one it generates", text, re.M
    )
    assert re.search(r"^goodTillDate\s+int\s+no\s+>= 0$", text, re.M)
    assert "  'price' and 'priceMatch' cannot be sent together" in text
    assert "  when timeInForce is GTD: send 'goodTillDate'" in text
    # A long list of values wraps under its column: no line wider than 96 but a URL's.
    wrapped = re.search(r"^priceMatch .*\n(\s+)\S.*$", text, re.M)
    assert wrapped is not None
    assert len(wrapped.group(1)) == text.splitlines()[
        next(i for i, line in enumerate(text.splitlines()) if line.startswith("PARAMETER"))
    ].index("VALUES AND RULES")
    for line in text.splitlines():
        assert len(line) <= 96 or re.search(r"https?://\S+$", line), line
    spot = run("describe", "binance", "SpotOrderListOtoco").output
    assert spot.splitlines()[-1].startswith("    ")  # the example continued, for a shell
    assert " \\\n" in spot


def test_tasks_of_one_market() -> None:
    out = run("tasks", "binance", "--market", "usdm", "--json")
    assert out.exit_code == 0, out.output
    names = [row["task"] for row in json.loads(out.output)]
    assert len(names) == 95
    assert all(name.startswith("Usdm") for name in names)
    spot = run("tasks", "binance", "--market", "spot", "--filter", "orderList")
    assert spot.exit_code == 0, spot.output
    assert "SpotOrderListOtoco" in spot.output
    assert "Usdm" not in spot.output
    wrong = run("tasks", "binance", "--market", "futures")
    assert wrong.exit_code == 2
    assert "'binance' has no market 'futures' (markets: coinm, spot, usdm)" in wrong.output


def test_describe_json_is_machine_readable() -> None:
    out = run("describe", "binance", "CoinMFetchKline", "--json")
    data = json.loads(out.output)
    assert data["details"] == {
        "market": "coinm",
        "method": "GET",
        "path": "/dapi/v1/klines",
        "security": "NONE",
        "cost": "1-10",
    }
    assert data["doc_url"].startswith("https://developers.binance.com/")
    interval = next(p for p in data["parameters"] if p["name"] == "interval")
    assert interval["required"] is True
    assert "1m" in interval["choices"]


def test_describe_an_unknown_task_suggests_close_names() -> None:
    out = run("describe", "binance", "CoinMNewOrdr")
    assert out.exit_code == 2
    assert "did you mean CoinMNewOrder" in out.output


# --- parameters and options as a user writes them ----------------------------------------


def test_every_missing_and_invalid_parameter_is_named_at_once(sim: BinanceSimulator) -> None:
    out = run("call", "binance", "CoinMNewOrder", *at(sim), *keys(sim))
    assert out.exit_code == 2
    for name in ("symbol", "side", "type"):
        assert re.search(rf"^  {name}: Field required$", out.output, re.M), out.output
    out = run(
        "call", "binance", "CoinMNewOrder", "symbol=BTCUSD_PERP", "side=buyy", "type=LIMIT",
        "quantity=abc", "reduceOnly=maybe", "recvWindow=0", *at(sim), *keys(sim),
    )  # fmt: skip
    assert out.exit_code == 2
    problems = re.findall(r"^  (\w+): ", out.output, re.M)
    assert problems == [
        "side", "quantity", "reduceOnly", "recvWindow", "timeInForce", "price"
    ], out.output  # fmt: skip
    assert "  price: required when type is LIMIT (or 'priceMatch')" in out.output
    assert "see: aioca describe binance CoinMNewOrder" in out.output


@pytest.mark.parametrize(
    ("word", "sent"),
    [("true", "true"), ("1", "true"), ("yes", "true"), ("False", "false"), ("no", "false")],
)
def test_boolean_parameters_take_the_words_people_use(word: str, sent: str) -> None:
    from aioca.describe import describe_task, parse_value
    from aioca_binance.coinm import CoinMNewOrder

    parameter = describe_task(CoinMNewOrder).parameter("reduceOnly")
    assert parse_value(parameter, word) == sent


def test_a_boolean_parameter_that_is_no_boolean_is_a_usage_error(sim: BinanceSimulator) -> None:
    out = run(
        "call", "binance", "CoinMNewOrder", "symbol=BTCUSD_PERP", "side=BUY", "type=MARKET",
        "quantity=1", "reduceOnly=perhaps", *at(sim), *keys(sim),
    )  # fmt: skip
    assert out.exit_code == 2
    assert "reduceOnly: expected a boolean (true/false, 1/0, yes/no), got 'perhaps'" in out.output


def test_times_take_iso_dates_and_now_minus_an_hour(sim: BinanceSimulator) -> None:
    args = ["call", "binance", "CoinMFetchKline", "symbol=BTCUSD_PERP", "interval=1h", "--json"]
    out = run(*args, "startTime=2024-05-01T00:00:00Z", "limit=2", *at(sim))
    assert out.exit_code == 0, out.output
    first_open = json.loads(out.output)[0][0]
    assert first_open == int(dt.datetime(2024, 5, 1, tzinfo=dt.UTC).timestamp() * 1000)
    out = run(*args, "startTime=now-3h", "endTime=now", *at(sim))
    assert out.exit_code == 0, out.output
    assert 2 <= len(json.loads(out.output)) <= 4
    out = run(*args, "startTime=yesterday-ish", *at(sim))
    assert out.exit_code == 2
    assert "startTime: expected a time" in out.output


def test_decimals_travel_as_the_text_written(sim: BinanceSimulator) -> None:
    out = run(
        "call", "binance", "CoinMNewOrder", "symbol=BTCUSD_PERP", "side=BUY", "type=LIMIT",
        "timeInForce=GTC", "quantity=1", "price=1000.1", "--json", *at(sim), *keys(sim),
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["price"] == "1000.1"


def test_option_testnet_false_is_false_and_a_non_boolean_is_a_usage_error(
    sim: BinanceSimulator,
) -> None:
    out = run("call", "binance", "CoinMPing", "--option", "testnet=False", *at(sim))
    assert out.exit_code == 0, out.output
    out = run("call", "binance", "CoinMPing", "--option", "testnet=nah", *at(sim))
    assert out.exit_code == 2
    assert "--option testnet: expected a boolean" in out.output
    assert cli._parse_options(cli.default_host().info("binance").api_class, ["testnet=False"]) == {
        "testnet": False
    }


@pytest.mark.parametrize("url", ["notaurl", "ftp://127.0.0.1", "http://"])
def test_a_url_that_is_no_http_url_is_a_usage_error(url: str) -> None:
    out = run("call", "binance", "CoinMPing", "--url", f"coinm={url}")
    assert out.exit_code == 2
    assert f"--url coinm={url}: not an http:// or https:// URL" in out.output


def test_a_mistyped_exchange_gets_did_you_mean() -> None:
    out = run("tasks", "binanse")
    assert out.exit_code == 2
    assert "did you mean binance?" in out.output


def test_the_missing_key_hint_names_the_options_and_variables(sim: BinanceSimulator) -> None:
    out = run("call", "binance", "CoinMAccountInformation", *at(sim))
    assert out.exit_code == 2
    assert "--api-key and --api-secret" in out.output
    assert "AIOCA_BINANCE_API_KEY and AIOCA_BINANCE_API_SECRET" in out.output
    assert "BinanceRestApi(" not in out.output


# --- what results look like ---------------------------------------------------------------


def test_klines_show_named_columns(sim: BinanceSimulator) -> None:
    out = run("call", "binance", "CoinMFetchKline", "symbol=BTCUSD_PERP", "interval=1m",
              "limit=2", *at(sim))  # fmt: skip
    assert out.exit_code == 0, out.output
    header = out.output.splitlines()[0].split()
    assert header[:6] == ["open_time", "open", "high", "low", "close", "volume"]
    assert len(out.output.splitlines()) == 3


def test_depth_shows_bids_and_asks_with_price_and_quantity(sim: BinanceSimulator) -> None:
    out = run("call", "binance", "CoinMOrderBook", "symbol=BTCUSD_PERP", "limit=5", *at(sim))
    assert out.exit_code == 0, out.output
    assert re.search(r"^bids:\nprice\s+qty$", out.output, re.M)
    assert re.search(r"^asks:\nprice\s+qty$", out.output, re.M)
    assert re.search(r"^last_update_id\s+\d+$", out.output, re.M)


def test_trades_show_named_columns_and_booleans_as_true_false(sim: BinanceSimulator) -> None:
    out = run("call", "binance", "CoinMRecentTradesList", "symbol=BTCUSD_PERP", "limit=3",
              *at(sim))  # fmt: skip
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert lines[0].split() == ["id", "price", "qty", "base_qty", "time", "is_buyer_maker"]
    assert {line.split()[-1] for line in lines[1:]} <= {"true", "false"}
    assert "False" not in out.output
    assert "True" not in out.output


def test_json_prints_the_raw_answer(sim: BinanceSimulator) -> None:
    out = run("call", "binance", "CoinMRecentTradesList", "symbol=BTCUSD_PERP", "limit=2",
              "--json", *at(sim))  # fmt: skip
    trades = json.loads(out.output)
    assert isinstance(trades[0]["isBuyerMaker"], bool)


# --- limits, demo timings, progress line --------------------------------------------------


def test_limits_shows_windows_and_usage(sim: BinanceSimulator) -> None:
    out = run("limits", "binance", *at(sim))
    assert out.exit_code == 0, out.output
    assert re.search(r"^REQUEST_WEIGHT\s+2400\s+1 min\s+REQUEST_WEIGHT\s+X-MBX-USED-WEIGHT-1M$",
                     out.output, re.M)  # fmt: skip
    assert re.search(r"^ORDERS_10S\s+300\s+10 s\s+ORDERS", out.output, re.M)
    assert "no request sent yet" in out.output
    out = run("limits", "binance", "--probe", "CoinMFetchKline", "--json", *at(sim))
    assert out.exit_code == 2  # the probe needs parameters: named like any other call
    out = run("limits", "binance", "--probe", "CoinMExchangeInformation", "--json", *at(sim))
    data = json.loads(out.output)
    [(host, usage)] = data["usage"].items()
    assert host.startswith("127.0.0.1:")
    weight = next(row for row in usage if row["name"] == "REQUEST_WEIGHT")
    assert weight["used"] >= 1
    assert weight["limit"] == 2400


def test_the_demo_shows_each_tasks_own_duration() -> None:
    lines: list[str] = []
    assert run_demo(out=lines.append, ring_passes=3) == 0
    tickers = [line for line in lines if re.match(r"  ✓ Fetch COIN-M contract \w+ latest", line)]
    assert len(tickers) == 6  # three passes of two symbols
    durations = []
    for line in tickers:
        found = re.search(r"\((\d[\d,]*) ms\)$", line)
        assert found, line
        durations.append(int(found.group(1).replace(",", "")))
    # Three passes 0.2 s apart: the time since the start (what was shown) passes 400 ms by
    # the last ticker; a ticker's own request to the local simulator takes a few.
    assert max(durations) < 300, durations


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_long_ring_shows_a_live_progress_line_on_a_terminal() -> None:
    terminal = _Terminal()
    assert run_demo(out=lambda _: None, ring_passes=3, live_stream=terminal) == 0
    drawn = terminal.getvalue()
    assert "\r\x1b[2Kticker ring: " in drawn
    assert re.search(r"ticker ring: \d finished, 0 failed, no rate-limit wait", drawn)
    assert drawn.endswith("\r\x1b[2K"), "the line is cleared at the end"


def test_no_progress_line_off_a_terminal() -> None:
    pipe = io.StringIO()
    line = ProgressLine("ring", stream=pipe)
    line.draw(force=True)
    line.clear()
    assert pipe.getvalue() == ""
