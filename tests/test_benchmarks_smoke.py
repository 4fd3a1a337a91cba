"""The scripts in ``benchmarks/`` still run: each one, with tiny sizes, in a subprocess.

A benchmark nobody runs rots quietly; these runs only check that every script finishes and
prints its table, never the numbers it measures (those depend on the machine).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"

# throughput.py's table: req/s, cpu us, gc us, p50 ms, p99 ms, server %; then x req/s and
# +cpu us against the row's raw aiohttp baseline
_FIGURES = r"\s+\d+\s+\d+\.\d\s+\d+\.\d\s+\d+\.\d\d\s+\d+\.\d\d\s+\d+%"
_VERSUS = r"\s+\d+\.\d\d\s+[+-]\d+\.\d$"
# user_shapes.py's table has the same columns; its GatherTask and operator rows show no
# per-request latency ("-")
_USER_NO_LATENCY = r"\s+\d+\s+\d+\.\d\s+\d+\.\d\s+-\s+-\s+\d+%"

# script -> (tiny arguments, patterns of lines its output must have)
RUNS: dict[str, tuple[list[str], list[str]]] = {
    "gather_gc.py": (
        ["--size", "20", "--gathers", "2", "--clients", "raw", "aioca"],
        [
            *(
                rf"^{name}\s+CPU\s+\d+\.\d us/req; collections: gen0 \d+ \(\d+\.\d us/req\), "
                rf"gen1 \d+ \(\d+\.\d us/req\), gen2 \d+ \(\d+\.\d us/req\); "
                rf"tracked at full collections: \[[\d, ]*\]$"
                for name in ("raw", "aioca")
            ),
        ],
    ),
    "import_time.py": (
        ["--runs", "1"],
        [
            r"^measurement\s+median ms$",
            r"^added by aioca \(difference\)\s+-?\d+\.\d$",
            r"^ratio with/without aioca: \d+\.\d+x over 1 runs$",
            r'^import aioca; aioca\.exchange\("binance"\)\s+\d+\.\d$',
            r'^ratio exchange\("binance"\)/baseline: \d+\.\d+x over 1 runs$',
            r'^(PASS|FAIL) import aioca; aioca\.exchange\("binance"\) < 1\.3x '
            r"import aiohttp, pydantic, pluggy: \d+\.\d{3}x$",
        ],
    ),
    "instructions.py": (
        # without valgrind (not installed everywhere): every case runs, nothing is counted
        [
            "--no-valgrind",
            "--cases",
            *("raw", "ticker", "account", "rerun", "build", "raw-gather", "gather"),
            *("raw-okx", "okx-ticker", "okx-balance"),
            *("--requests", "20", "--warmup", "10", "--concurrency", "5"),
        ],
        [
            r"^instructions per request: 20 requests, c=5$",
            *(rf"^{case}\s+not counted$" for case in ("raw", "ticker", "account", "gather")),
            r"^okx-balance\s+not counted$",
        ],
    ),
    "latency.py": (
        ["--runs", "3", "--warmup", "1"],
        [
            r"^measurement\s+ms\s+x ideal$",
            r"^cold run \(opens \d+ connections\)\s+\d+\.\d\s+\d+\.\d{3}$",
            r"^aioca GatherTask, warm: median\s+\d+\.\d\s+\d+\.\d{3}$",
            r"^plain aiohttp gather, warm: median\s+\d+\.\d\s+\d+\.\d{3}$",
            r"^connections opened during the timed runs\s+\d+$",
            r"^(PASS|FAIL) GatherTask of 100 median wall time < 1\.25x ideal: "
            r"\d+\.\d{3}x \(\d+\.\d ms\)$",
        ],
    ),
    "ring_memory.py": (
        ["--passes", "300"],
        [
            r"^passes: 300 of the issue's 100,000 ",
            r"^\s+pass\s+elapsed s\s+RSS MB\s+objects\s+pooled\s+sockets\s+server open\s+"
            r"errors\s+note$",
            r"^\s+300\s+\d+\.\d\s+\d+\.\d\s+\d+\s+\d+\s+\d+\s+\d+\s+30\s+end$",
            r"^RSS growth after warm-up \(MB\)\s+[+-]\d+\.\d\d$",
            r"^(PASS|FAIL) RSS growth after warm-up < 5 MB: [+-]\d+\.\d\d MB$",
            r"^(PASS|FAIL) open connections <= pool size \(100\): at most \d+, \d+ at the end$",
            # 30 failures injected in 3,000 requests, each on its task: not machine-dependent
            r"^PASS every injected failure is on its task: 30 of 30$",
        ],
    ),
    "rate_limit.py": (
        # mid-window, away from the boundary where the limiter's safety margin lets 429s in
        ["--window", "1", "--limit", "40", "--seconds", "3.5", "--start-phase", "0.5"],
        [
            r"^window\s+starts at\s+used\s+limit\s+used %\s+429s\s+note$",
            r"^\d+\s+-?\d+\.\d\ds\s+\d+\s+40\s+\d+\.\d%\s+\d+\s+full$",
            r"^weight used in full windows \(\d+\)\s+\d+\.\d %$",
            r"^HTTP 429 responses \(server\)\s+\d+$",
            r"^extra queueing delay p50 \(s\)\s+\d+\.\d{3}$",
            r"^extra queueing delay p99 \(s\)\s+\d+\.\d{3}$",
            r"^(PASS|FAIL) weight used in full windows >= 95%: \d+\.\d %$",
            r"^(PASS|FAIL) no HTTP 429: \d+$",
        ],
    ),
    "shared_exchange_info.py": (
        ["--processes", "2", "--rounds", "1", "--check"],
        [
            r"^\s+P mode\s+requests\s+weight\s+p50 ms\s+max ms$",
            r"^\s+2 own\s+\d+\s+\d+\s+\d+\.\d\s+\d+\.\d$",
            r"^\s+2 redis\s+3\s+22\s+\d+\.\d\s+\d+\.\d$",
        ],
    ),
    "shared_limits.py": (
        [
            "--processes",
            "2",
            "--demand",
            "1.5",
            "--limit",
            "60",
            "--window",
            "1",
            "--admissions",
            "2000",
        ],
        [
            r"^mode\s+P\s+requests\s+ok\s+429\s+418\s+used\s+windows\s+p99 s\s+ideal\s+cpu us/req$",
            r"^local\s+2\s+\d+\s+\d+\s+\d+\s+\d+\s+",
            r"^split\s+2\s+\d+\s+\d+\s+\d+\s+\d+\s+",
            r"^redis\s+2\s+\d+\s+\d+\s+\d+\s+\d+\s+",
            r"^  client CPU per request, Redis over split budgets: [+-]\d+ us; "
            r"Redis round trips per request: ([\w-]+ \d\.\d{3}(, )?)+$",
            r"TAKE-granted \d\.\d{3}",
            r"^limiter CPU per admission \(weight 2, leases of 120\): in-process \d+\.\d\d us, "
            r"Redis \d+\.\d\d us: [+-]\d+\.\d\d us added$",
            r"^client CPU per Redis round trip: \d+\.\d us$",
            r"^  redis P=2: \d\.\d{3} round trips per request in the run -> \d+\.\d us added "
            r"per request \(round trips \+ limiter\)$",
            r"^ban injected in 1 of 2 processes: the others refuse after [\d.]+ ms$",
            r"^(PASS every goal|FAIL .+)$",
        ],
    ),
    "stream_parse.py": (
        ["--frames", "50", "--repeat", "1", "--held", "100"],
        [
            r"^btcusd_perp@aggTrade frames, python \S+: us per frame$",
            r"^form\s+dropped\s+held 100$",
            *(
                rf"^{form}\s+\d+\.\d\d\s+\d+\.\d\d$"
                for form in ("models", "models-dict", "struct", "json")
            ),
        ],
    ),
    "sim_stream_cpu.py": (
        ["--seconds", "1", "--symbols", "1", "--connections", "1"],
        [
            r"^sim_stream_cpu: depth@100ms x 1 symbols x 1 connections x 2 markets, 1 s$",
            r"^simulator CPU \d+\.\d ms per second; \d+\.\d msgs/s$",
        ],
    ),
    "streams.py": (
        ["--check"],
        [
            r"^streams benchmark: 3,000 messages, 1 interleaved rounds, ",
            r"^client\s+msgs/s\s+raw/x\s+CPU/msg\s+raw/x\s+latency p50\s+p99\s+added$",
            r"^raw\s+[\d,]+\s+1\.00\s+\d+\.\d\d us\s+1\.00\s+[\d,]+ us\s+[\d,]+ us\s+\+0 us$",
            r"^aioca\s+[\d,]+\s+\d+\.\d\d\s+\d+\.\d\d us\s+\d+\.\d\d\s+[\d,]+ us\s+[\d,]+ us"
            r"\s+[+-][\d,]+ us$",
            r"^aioca-struct\s+[\d,]+\s+\d+\.\d\d\s",
            r"^aioca-untyped\s+[\d,]+\s+\d+\.\d\d\s",
            r"^python-binance\s+[\d,]+\s+\d+\.\d\d\s",
            r"^sdk\s+[\d,]+\s+\d+\.\d\d\s",
            r"^(PASS|FAIL) aioca within 1\.2x of raw aiohttp: \d+\.\d\dx$",
            r"^(PASS|FAIL) aioca-struct within 1\.2x of raw aiohttp: \d+\.\d\dx$",
            r"^(PASS|FAIL) aioca-untyped ahead of the peers: \d+\.\d\dx the best$",
        ],
    ),
    "sync_uvloop.py": (
        ["--rounds", "1", "--batches", "2", "--concurrency", "5"],
        [
            r"^op\.run\(\) of 2 GatherTasks of 5 tasks \(10 requests\) per run; ",
            r"^scenario\s+loop\s+req/s\s+cpu us\s+gain$",
            r"^ticker\s+asyncio\s+\d+\s+\d+\.\d$",
            r"^ticker\s+uvloop\s+\d+\s+\d+\.\d\s+\d+\.\d\dx$",
            r"^account\s+uvloop\s+\d+\s+\d+\.\d\s+\d+\.\d\dx$",
        ],
    ),
    "throughput.py": (
        ["--requests", "60", "--requests-c1", "10", "--rounds", "1"],
        [
            r"^scenario\s+c\s+client\s+req/s\s+cpu us\s+gc us\s+p50 ms\s+p99 ms\s+server\s+vs\s+"
            r"x req/s\s+\+cpu us$",
            r"^ticker\s+1\s+raw aiohttp" + _FIGURES + "$",
            r"^ticker\s+50\s+aioca operator" + _FIGURES + r"\s+batches" + _VERSUS,
            r"^klines\s+50\s+raw aiohttp batches" + _FIGURES + r"\s+raw" + _VERSUS,
            r"^account\s+1\s+aioca GatherTask" + _FIGURES + r"\s+gather" + _VERSUS,
            r"^building one aioca task \(pydantic validation, not counted above\): "
            r"ticker \d+\.\d us, klines \d+\.\d us, account \d+\.\d us$",
            # the peers are optional: a row when installed, else a note
            r"^(python-binance: binance not installed \(pip install aioca\[bench\]\)$|"
            r"python-binance skipped: |ticker\s+50\s+python-binance\s)",
            r"^(ccxt implicit: ccxt not installed \(pip install aioca\[bench\]\)$|"
            r"ccxt implicit skipped: |ticker\s+50\s+ccxt implicit\s)",
            r"^(PASS|FAIL) aioca operator CPU/request at c=50, ticker: <= \+15 us over "
            r"raw aiohttp batches: [+-]\d+\.\d us \(",
            r"^(PASS|FAIL) aioca operator req/s at c=50, klines: >= 0\.9x raw aiohttp batches: "
            r"\d+\.\d\dx \(",
            r"^(PASS|FAIL) aioca GatherTask CPU/request at c=50, account: <= \+15 us over "
            r"raw aiohttp gather: [+-]\d+\.\d us \(",
        ],
    ),
    "user_shapes.py": (
        ["--quick"],
        [
            r"^command: python \S*user_shapes\.py --quick$",
            r"^scenario\s+c\s+client\s+req/s\s+cpu us\s+gc us\s+p50 ms\s+p99 ms\s+server\s+vs\s+"
            r"x req/s\s+\+cpu us$",
            r"^ticker\s+1\s+raw aiohttp" + _FIGURES + "$",
            r"^ticker\s+10\s+aioca fresh task" + _FIGURES + r"\s+raw" + _VERSUS,
            r"^account\s+10\s+aioca GatherTask" + _USER_NO_LATENCY + r"\s+gather" + _VERSUS,
            r"^klines\s+1\s+aioca operator\.run\(\)" + _USER_NO_LATENCY + r"\s+run" + _VERSUS,
            r"^okx-ticker\s+10\s+aioca fresh task" + _FIGURES + r"\s+raw" + _VERSUS,
            r"^okx-balance\s+1\s+aioca fresh task" + _FIGURES + r"\s+raw" + _VERSUS,
            r"^aioca GatherTask\s+\d+\.\d\s+\d+\.\d{3}\s+\d+\.\d\s+-\s+-\s+gather\s+\d+\.\d{3}$",
            r"^aioca GatherTask\s+\d+\.\d\s+\d+\.\d\s+-?\d+\.\d$",
            r"^import time \(fresh interpreters, median of 1\): .* ratio \d+\.\d{3}x$",
            # the peers are optional: a row when installed, else a note
            r"^(ticker\s+10\s+python-binance\s.*|python-binance \(binance\) left out: .*)$",
            r"^(okx-balance\s+10\s+ccxt implicit\s.*|ccxt implicit \(okx\) left out: .*)$",
            r"^(PASS|FAIL) aioca fresh task CPU/request, ticker c=10: <= \+10 us over raw "
            r"aiohttp: [+-]\d+\.\d us \(",
            r"^(PASS|FAIL) aioca fresh task req/s, okx-balance c=1: >= 0\.93x raw aiohttp: ",
            r"^(PASS|FAIL) aioca GatherTask req/s, klines c=10: >= 0\.9x raw gather: ",
            r'^(PASS|FAIL) import aioca; aioca\.exchange\("binance"\) <= 1\.15x ',
        ],
    ),
}
MODULES = {"loopback_server.py"}  # helpers that other scripts run, tested on their own below


def test_every_benchmark_script_has_a_smoke_run() -> None:
    scripts = {path.name for path in BENCHMARKS.glob("*.py")} - MODULES
    assert scripts == set(RUNS)


@pytest.mark.parametrize("script", sorted(RUNS))
def test_benchmark_runs(script: str) -> None:
    arguments, patterns = RUNS[script]
    done = subprocess.run(
        [sys.executable, "-W", "error", str(BENCHMARKS / script), *arguments],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Warning" not in done.stderr
    assert "Exception ignored" not in done.stderr
    for pattern in patterns:
        assert re.search(pattern, done.stdout, re.MULTILINE), (pattern, done.stdout)


@pytest.fixture
def server_url() -> Iterator[str]:
    server = str(BENCHMARKS / "loopback_server.py")
    process = subprocess.Popen(
        [sys.executable, "-W", "error", server, "--window", "60", "--limit", "25"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdin is not None
    assert process.stdout is not None
    try:
        line = process.stdout.readline()
        assert line.startswith("listening on 127.0.0.1:"), line
        yield "http://" + line.split()[-1]
    finally:
        process.stdin.close()
        process.wait(timeout=10)
        process.stdout.close()
    stderr = process.stderr.read() if process.stderr is not None else ""
    if process.stderr is not None:
        process.stderr.close()
    assert process.returncode == 0, stderr
    assert not stderr


def _get(url: str) -> tuple[int, dict[str, str], Any]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, dict(response.headers), json.load(response)
    except urllib.error.HTTPError as error:
        with error:
            return error.code, dict(error.headers), json.load(error)


def test_loopback_server_counts_weight_like_binance(server_url: str) -> None:
    """Weights by path and limit, the usage header, and a 429 once the window is full.

    A 60 s window of 25: the requests below (1 + 2 + 2 + 20 = 25) fit in one window unless
    they straddle a minute boundary, in which case the count restarts and the last request
    is admitted; either way the usage header never exceeds the limit.
    """
    used = []
    for path, weight in [
        ("/dapi/v1/ticker/price?symbol=BTCUSD_PERP", 1),
        ("/dapi/v1/ticker/price?pair=BTCUSD", 2),
        ("/dapi/v1/klines?symbol=BTCUSD_PERP&interval=1m&limit=100", 2),
        ("/dapi/v1/depth?symbol=BTCUSD_PERP&limit=1000", 20),
    ]:
        status, headers, _body = _get(server_url + path)
        assert status == 200
        used.append(int(headers["X-MBX-USED-WEIGHT-1M"]))
        assert used[-1] >= weight
    status, headers, body = _get(server_url + "/dapi/v1/depth?symbol=BTCUSD_PERP&limit=1000")
    if used[-1] == 25:  # the window is full: refused, and not counted
        assert status == 429
        assert body["code"] == -1003
        assert 1 <= int(headers["Retry-After"]) <= 60
        assert headers["X-MBX-USED-WEIGHT-1M"] == "25"
    status, _headers, stats = _get(server_url + "/_stats")
    assert status == 200
    weights = [weight for _time, weight, _status in stats["requests"]]
    assert weights == [1, 2, 2, 20, 20]


@pytest.fixture(params=["asyncio", "aiohttp"])
def canned_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """``loopback_server.py --canned`` (throughput.py's server) with either HTTP server."""
    server = str(BENCHMARKS / "loopback_server.py")
    process = subprocess.Popen(
        [sys.executable, "-W", "error", server, "--canned", "--http", request.param],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdin is not None
    assert process.stdout is not None
    assert process.stderr is not None
    try:
        line = process.stdout.readline()
        assert line.startswith("listening on 127.0.0.1:"), line
        yield "http://" + line.split()[-1]
    finally:
        process.stdin.close()
        process.wait(timeout=10)
        process.stdout.close()
    stderr = process.stderr.read()
    process.stderr.close()
    assert process.returncode == 0, stderr
    assert not stderr


def test_loopback_server_canned_answers(canned_url: str) -> None:
    """Binance-shaped answers: a ticker list, 500 twelve-slot candles (about 58 KB), an
    account whatever the signed query, the server time, 404 elsewhere; ``/_stats`` counts."""
    status, _headers, ticker = _get(canned_url + "/dapi/v1/ticker/price?symbol=BTCUSD_PERP")
    assert status == 200
    assert ticker[0]["symbol"] == "BTCUSD_PERP"
    assert ticker[0]["ps"] == "BTCUSD"
    klines_url = canned_url + "/dapi/v1/klines?symbol=BTCUSD_PERP&interval=1m&limit=500"
    with urllib.request.urlopen(klines_url, timeout=10) as response:
        body = response.read()
    assert 50_000 < len(body) < 65_000
    candles = json.loads(body)
    assert len(candles) == 500
    assert all(len(candle) == 12 for candle in candles)
    assert candles[1][0] - candles[0][0] == 60_000
    query = "recvWindow=5000&timestamp=1718000000000&signature=" + "0" * 64
    status, _headers, account = _get(canned_url + "/dapi/v1/account?" + query)
    assert status == 200
    assert {"assets", "positions", "canTrade"} <= set(account)
    status, _headers, server_time = _get(canned_url + "/dapi/v1/time")
    assert status == 200
    assert isinstance(server_time["serverTime"], int)
    status, _headers, error = _get(canned_url + "/dapi/v1/nothing")
    assert (status, error["code"]) == (404, -1100)
    status, _headers, stats = _get(canned_url + "/_stats")
    assert status == 200
    assert stats["requests"] == 5
    assert stats["cpu"] > 0


def test_loopback_server_okx_answers(canned_url: str) -> None:
    """OKX v5 envelopes (user_shapes.py's OKX rows): the ticker of the instrument asked
    for, a balance whatever the signed headers, the server time."""
    status, _headers, ticker = _get(canned_url + "/api/v5/market/ticker?instId=ETH-USDT")
    assert status == 200
    assert (ticker["code"], ticker["msg"]) == ("0", "")
    assert ticker["data"][0]["instId"] == "ETH-USDT"
    assert ticker["data"][0]["last"] == "64250.1"
    request = urllib.request.Request(
        canned_url + "/api/v5/account/balance",
        headers={"OK-ACCESS-KEY": "k", "OK-ACCESS-SIGN": "s", "OK-ACCESS-PASSPHRASE": "p"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        balance = json.load(response)
    assert balance["code"] == "0"
    assert [d["ccy"] for d in balance["data"][0]["details"]][:2] == ["BTC", "ETH"]
    status, _headers, server_time = _get(canned_url + "/api/v5/public/time")
    assert status == 200
    assert int(server_time["data"][0]["ts"]) > 1_700_000_000_000


def test_loopback_server_delay() -> None:
    """``--delay-ms``: each answer comes that long after its request, requests in parallel."""
    command = [sys.executable, "-W", "error", str(BENCHMARKS / "loopback_server.py")]
    process = subprocess.Popen(
        [*command, "--canned", "--delay-ms", "300"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdin is not None
    assert process.stdout is not None
    try:
        url = "http://" + process.stdout.readline().split()[-1]
        path = url + "/dapi/v1/ticker/price?symbol=BTCUSD_PERP"
        started = time.perf_counter()
        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(lambda _: _get(path), range(4)))
        elapsed = time.perf_counter() - started
    finally:
        process.stdin.close()
        process.wait(timeout=10)
        process.stdout.close()
    assert [status for status, _headers, _body in answers] == [200] * 4
    assert 0.3 <= elapsed < 1.2  # in parallel: not 4 x 300 ms
    assert process.returncode == 0
