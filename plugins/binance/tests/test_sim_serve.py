"""``serve()``, the blocking entry of ``aioca sim binance``: it prints the URL and the
demo credentials, then each market's URL, answers requests, and exits cleanly (code 0, no
traceback) on SIGTERM."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.request

import pytest

SCRIPT = "from aioca_binance_sim import serve; serve(port=0, seed=3)"


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_serve_prints_three_lines_serves_and_stops_on_sigterm() -> None:
    process = subprocess.Popen(
        [sys.executable, "-W", "error", "-c", SCRIPT],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline().rstrip("\n") for _ in range(3)]
        url = lines[0].removeprefix("url: ")
        assert lines[0].startswith("url: http://127.0.0.1:")
        assert lines[1].startswith("api_key: ")
        assert lines[2].startswith("api_secret: ")
        key, secret = lines[1].split(": ")[1], lines[2].split(": ")[1]
        assert len(key) >= 16
        assert key.isalnum()
        assert len(secret) >= 16
        assert secret.isalnum()
        with urllib.request.urlopen(f"{url}/dapi/v1/time", timeout=5) as answer:
            assert "serverTime" in json.loads(answer.read())
        # then each market's URL, the urls= of BinanceRestApi
        urls = dict(process.stdout.readline().rstrip("\n").split(": ") for _ in range(3))
        assert set(urls) == {"url-spot", "url-usdm", "url-coinm"}
        assert urls["url-coinm"] == url
        assert len(set(urls.values())) == 3
        streams = dict(process.stdout.readline().rstrip("\n").split(": ") for _ in range(4))
        assert streams == {
            "ws-spot": "ws" + urls["url-spot"].removeprefix("http"),
            "ws-usdm": "ws" + urls["url-usdm"].removeprefix("http"),
            "ws-coinm": "ws" + url.removeprefix("http"),
            "ws-api-spot": "ws" + urls["url-spot"].removeprefix("http") + "/ws-api/v3",
        }
        for market, path in (("spot", "/api/v3/time"), ("usdm", "/fapi/v1/time")):
            with urllib.request.urlopen(f"{urls['url-' + market]}{path}", timeout=5) as answer:
                assert "serverTime" in json.loads(answer.read())
        process.send_signal(signal.SIGTERM)
        _, errors = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0
    assert errors == ""


def test_serve_hands_its_lines_to_print_fn(monkeypatch: pytest.MonkeyPatch) -> None:
    from aioca_binance_sim import cli

    printed: list[str] = []

    def record(line: str) -> None:
        printed.append(line)
        if len(printed) == 3:
            signal.raise_signal(signal.SIGTERM)  # handled by serve's loop: it stops

    cli.serve(port=0, api_key="k" * 16, api_secret="s" * 16, print_fn=record)
    assert printed[1:3] == ["api_key: " + "k" * 16, "api_secret: " + "s" * 16]
    assert printed[0].startswith("url: http://127.0.0.1:")
    # the three markets' URLs follow, COIN-M's the same as url:
    assert [line.split(": ")[0] for line in printed[3:]] == [
        "url-spot",
        "url-usdm",
        "url-coinm",
        "ws-spot",
        "ws-usdm",
        "ws-coinm",
        "ws-api-spot",
    ]
    assert printed[8].removeprefix("ws-coinm: ") == "ws" + printed[0].removeprefix("url: http")
    assert printed[5].removeprefix("url-coinm: ") == printed[0].removeprefix("url: ")
