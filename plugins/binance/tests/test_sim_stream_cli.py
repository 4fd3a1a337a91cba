"""``aioca sim binance --ws-...``: the simulator's stream faults from the command line
(issue #15), so a user can watch a client reconnect without writing a test: the options
reach every market's hub (CliRunner), and a running ``aioca sim binance`` ends, drops,
silences and gaps its streams as told (subprocess)."""

from __future__ import annotations

import asyncio
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from click.testing import CliRunner

from aioca_binance_sim import cli
from aioca_binance_sim.command import sim_command
from aioca_binance_sim.stream_faults import StreamFaults

SCRIPT = Path(sys.executable).with_name("aioca")


def test_the_options_become_stream_faults(monkeypatch: pytest.MonkeyPatch) -> None:
    given: dict[str, Any] = {}
    monkeypatch.setattr(cli, "serve", lambda **kwargs: given.update(kwargs))
    args = ["--ws-lifetime", "30", "--ws-stall-after", "5", "--ws-drop-every", "60"]
    result = CliRunner().invoke(sim_command, [*args, "--ws-skip-every", "2.5"])
    assert result.exit_code == 0, result.output
    assert given["stream_faults"] == StreamFaults(30, 5, 60, 2.5)
    assert given["stream_limits"] is True
    result = CliRunner().invoke(sim_command, ["--no-ws-limits"])
    assert given["stream_faults"] == StreamFaults()
    assert given["stream_limits"] is False


@pytest.mark.parametrize("option", ["--ws-lifetime", "--ws-drop-every", "--ws-skip-every"])
@pytest.mark.parametrize("value", ["0", "-1", "soon"])
def test_a_bad_fault_value_is_refused_naming_the_option(option: str, value: str) -> None:
    result = CliRunner().invoke(sim_command, [option, value])
    assert result.exit_code == 2
    assert option in result.output


def test_stream_faults_check_their_values() -> None:
    with pytest.raises(ValueError, match="drop_every"):
        StreamFaults(drop_every=0)
    with pytest.raises(TypeError, match="lifetime"):
        StreamFaults(lifetime="1")  # type: ignore[arg-type]


@pytest.fixture
def running(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    """``aioca sim binance --port 0`` with the options the test parametrizes it by; the
    ``name: value`` lines it printed."""
    options = request.param
    process = subprocess.Popen(
        [str(SCRIPT), "sim", "binance", "--port", "0", "--seed", "3", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(x) for x in process.stdout], daemon=True)  # type: ignore[union-attr]
    reader.start()
    try:
        printed: dict[str, str] = {}
        while "ws-api-spot" not in printed:
            name, _, value = lines.get(timeout=30).strip().partition(": ")
            printed[name] = value
        yield printed
    finally:
        process.send_signal(signal.SIGINT)
        try:
            _, errors = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            _, errors = process.communicate()
    assert process.returncode == 0, errors
    assert "Traceback" not in errors


async def _frames(url: str, seconds: float) -> tuple[list[Any], int | None]:
    """What a raw connection to ``url`` receives in ``seconds`` (arrival time, payload),
    and how the server ended it: its close code, ``1006`` for an abort, ``None`` for a
    connection still open at the end."""
    got: list[Any] = []
    ended = None
    async with aiohttp.ClientSession() as http, http.ws_connect(url) as ws:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                message = await ws.receive(timeout=left)
            except TimeoutError:
                break
            if message.type != aiohttp.WSMsgType.TEXT:
                ended = ws.close_code
                break
            got.append((time.monotonic(), message.json()))
    return got, ended


@pytest.mark.parametrize(
    "running",
    [
        (
            "--ws-lifetime",
            "1.0",
        )
    ],
    indirect=True,
)
def test_ws_lifetime_closes_each_connection_after_it(running: dict[str, str]) -> None:
    started = time.monotonic()
    got, ended = asyncio.run(_frames(running["ws-usdm"] + "/ws/btcusdt@depth@100ms", 10))
    lasted = time.monotonic() - started
    assert 0.9 < lasted < 3.0
    assert ended == 1000  # a clean close, as the 24-hour mark's
    assert got  # it streamed until then


@pytest.mark.parametrize(
    "running",
    [
        (
            "--ws-drop-every",
            "1.0",
        )
    ],
    indirect=True,
)
def test_ws_drop_every_aborts_connections_again_and_again(running: dict[str, str]) -> None:
    async def twice() -> list[Any]:
        url = running["ws-coinm"] + "/ws/btcusd_perp@aggTrade"
        return [(await _frames(url, 10))[1] for _ in range(2)]

    started = time.monotonic()
    codes = asyncio.run(twice())
    assert time.monotonic() - started < 6.0  # each ended within about a second
    assert codes == [1006, 1006]  # aborted: no close frame


@pytest.mark.parametrize(
    "running",
    [
        (
            "--ws-stall-after",
            "1.0",
        )
    ],
    indirect=True,
)
def test_ws_stall_after_silences_an_open_connection(running: dict[str, str]) -> None:
    got, ended = asyncio.run(_frames(running["ws-coinm"] + "/ws/btcusd_perp@depth@100ms", 3.0))
    assert got
    opened = got[0][0]
    assert all(at - opened < 1.3 for at, _ in got)  # nothing after the stall
    assert ended is None  # still open: silent, not closed


@pytest.mark.parametrize(
    "running",
    [
        (
            "--ws-skip-every",
            "1.0",
        )
    ],
    indirect=True,
)
def test_ws_skip_every_breaks_the_diff_chain(running: dict[str, str]) -> None:
    got, _ = asyncio.run(_frames(running["ws-usdm"] + "/ws/btcusdt@depth@100ms", 3.5))
    diffs = [diff for _, diff in got]
    breaks = [i for i in range(1, len(diffs)) if diffs[i]["pu"] != diffs[i - 1]["u"]]
    assert len(diffs) > 10
    assert 2 <= len(breaks) <= 4
