"""The scripts in ``benchmarks/`` still run: each one, with tiny sizes, in a subprocess.

A benchmark nobody runs rots quietly; these runs only check that every script finishes and
prints its table, never the numbers it measures (those depend on the machine).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"

# script -> (tiny arguments, patterns of lines its output must have)
RUNS: dict[str, tuple[list[str], list[str]]] = {
    "import_time.py": (
        ["--runs", "1"],
        [
            r"^measurement\s+median ms$",
            r"^added by aioca \(difference\)\s+-?\d+\.\d$",
            r"^ratio with/without aioca: \d+\.\d+x over 1 runs$",
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
