"""``aioca stream binance <stream> --raw``: Binance's raw form (``/ws/<stream>``) from the
command line, against the simulator (in a thread, the command in-process through click's
``CliRunner``). One stream only: several with ``--raw`` are bad input, refused with one
line and exit code 2 before anything connects."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest
from click.testing import CliRunner, Result

from aioca.cli import build_cli
from aioca_binance_sim import BinanceSimulator
from aioca_binance_sim.background import background_simulator


@pytest.fixture(scope="module")
def sim() -> Iterator[BinanceSimulator]:
    with background_simulator(seed=3) as simulator:
        yield simulator


@pytest.fixture
def connected(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The URL of every WebSocket connection the command opens (what it asked the
    simulator for: the raw form's path or the combined one's)."""
    urls: list[str] = []
    original = aiohttp.ClientSession.ws_connect

    def ws_connect(self: aiohttp.ClientSession, url: Any, *args: Any, **kwargs: Any) -> Any:
        urls.append(str(url))
        return original(self, url, *args, **kwargs)

    monkeypatch.setattr(aiohttp.ClientSession, "ws_connect", ws_connect)
    return urls


def aioca(*args: str) -> Result:
    return CliRunner().invoke(build_cli(), list(args))


def test_raw_opens_the_raw_form_and_prints_its_messages(
    sim: BinanceSimulator, connected: list[str]
) -> None:
    base = sim.ws_urls["spot"]
    result = aioca(
        "stream", "binance", "btcusdt@depth5", "--market", "spot", "--url", base,
        "--raw", "--count", "2",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert connected == [f"{base}/ws/btcusdt@depth5"]
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    for line in lines:
        name, payload = line.split(" ", 1)
        assert name == "btcusdt@depth5"  # the bare payload, named by the stream it came on
        depth = json.loads(payload)
        assert len(depth["bids"]) == 5
        assert "lastUpdateId" in depth


def test_without_raw_the_same_stream_uses_the_combined_form(
    sim: BinanceSimulator, connected: list[str]
) -> None:
    base = sim.ws_urls["spot"]
    result = aioca(
        "stream", "binance", "btcusdt@depth5", "--market", "spot", "--url", base,
        "--count", "1",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert connected == [f"{base}/stream?streams=btcusdt@depth5"]
    assert result.stdout.startswith("btcusdt@depth5 ")


def test_raw_with_two_streams_is_a_usage_error_before_anything_connects(
    sim: BinanceSimulator, connected: list[str]
) -> None:
    result = aioca(
        "stream", "binance", "btcusdt@aggTrade", "ethusdt@trade", "--market", "spot",
        "--url", sim.ws_urls["spot"], "--raw", "--count", "1",
    )  # fmt: skip
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: --raw opens one stream, not 2 ")
    assert "btcusdt@aggTrade, ethusdt@trade" in lines[0]
    assert result.stdout == ""
    assert connected == []


def test_raw_with_an_unknown_stream_is_still_named(
    sim: BinanceSimulator, connected: list[str]
) -> None:
    result = aioca(
        "stream", "binance", "btcusdt@nothing", "--url", sim.ws_urls["spot"], "--raw",
    )  # fmt: skip
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines == ["error: 'btcusdt@nothing' is not a spot market stream"]
    assert connected == []
