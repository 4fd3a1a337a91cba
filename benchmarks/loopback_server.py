"""A lean Binance-like loopback server for the rate-limit benchmark (``rate_limit.py``).

It serves three COIN-M market-data endpoints with small canned bodies (``GET
/dapi/v1/ticker/price``, ``/dapi/v1/depth`` and ``/dapi/v1/klines``) and counts request
weight the way Binance does: per clock-aligned window of ``--window`` seconds (a window
starts whenever ``time.time()`` is a multiple of its length), each request's weight worked
out here from its path and parameters, written independently of aioca's catalog. A request
that would take its window over ``--limit`` is refused with HTTP 429, ``Retry-After`` and
Binance's ``-1003`` body, and is not counted; every answer reports the window's usage in
``X-MBX-USED-WEIGHT-<n><unit>`` (``X-MBX-USED-WEIGHT-10S`` for a 10 s window).

``GET /_stats`` (not counted) returns what the server saw, as JSON: every request's arrival
time, weight and status. The server listens on 127.0.0.1 on a free port, prints
``listening on 127.0.0.1:<port>`` as its first line of output, and stops when its standard
input is closed.

    python benchmarks/loopback_server.py [--window 10] [--limit 600]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import time
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from aiohttp import web

TICKER = "/dapi/v1/ticker/price"
DEPTH = "/dapi/v1/depth"
KLINES = "/dapi/v1/klines"
STATS = "/_stats"

_UNITS = ((86400, "D"), (3600, "H"), (60, "M"), (1, "S"))


def usage_header(seconds: int) -> str:
    """The header in which Binance reports a window's weight: ``X-MBX-USED-WEIGHT-1M``
    for a minute, ``X-MBX-USED-WEIGHT-10S`` for 10 seconds."""
    for size, unit in _UNITS:
        if seconds % size == 0:
            return f"X-MBX-USED-WEIGHT-{seconds // size}{unit}"
    raise ValueError(f"a window must be a whole number of seconds, not {seconds!r}")


def _limit(query: Mapping[str, str], default: int = 500) -> int:
    value = query.get("limit")
    return default if value is None else int(value)


def request_weight(path: str, query: Mapping[str, str]) -> int | None:
    """A request's weight by Binance's published COIN-M rules; ``None`` for unknown paths."""
    if path == TICKER:  # one symbol: 1; all symbols (or a pair's): 2
        return 1 if query.get("symbol") else 2
    if path == DEPTH:  # by limit: <=50: 2, <=100: 5, <=500: 10, <=1000: 20
        limit = _limit(query)
        return 2 if limit <= 50 else 5 if limit <= 100 else 10 if limit <= 500 else 20
    if path == KLINES:  # by limit: <100: 1, <500: 2, <=1000: 5, more: 10
        limit = _limit(query)
        return 1 if limit < 100 else 2 if limit < 500 else 5 if limit <= 1000 else 10
    return None


def _body(path: str, query: Mapping[str, str], now_ms: int) -> Any:
    symbol = query.get("symbol") or "BTCUSD_PERP"
    pair = query.get("pair") or symbol.split("_")[0]
    if path == TICKER:
        return [{"symbol": symbol, "ps": pair, "price": "64250.1", "time": now_ms}]
    if path == DEPTH:
        return {
            "lastUpdateId": 1,
            "E": now_ms,
            "T": now_ms,
            "symbol": symbol,
            "pair": pair,
            "bids": [["64250.0", "12"]],
            "asks": [["64250.1", "7"]],
        }
    minute = now_ms // 60_000 * 60_000
    volumes = ["1000", minute + 59_999, "15.56", 120, "500", "7.78", "0"]
    return [[minute, "64200.0", "64300.0", "64150.0", "64250.1", *volumes]]


class WeightCounter:
    """Binance's weight count: ``limit`` per clock-aligned window of ``seconds``."""

    def __init__(self, limit: int, seconds: int) -> None:
        self.limit = limit
        self.seconds = seconds
        self.header = usage_header(seconds)
        self.used: defaultdict[int, int] = defaultdict(int)
        self.log: list[tuple[float, int, int]] = []
        """Every counted request: (arrival time, weight, HTTP status)."""

    async def handle(self, request: web.Request) -> web.Response:
        now = time.time()
        if request.path == STATS:
            return web.json_response(
                {"limit": self.limit, "seconds": self.seconds, "requests": self.log}
            )
        query = request.query
        try:
            weight = request_weight(request.path, query)
        except ValueError:
            return _error(400, -1130, "Data sent for parameter 'limit' is not valid.")
        if weight is None:
            return _error(404, -1100, f"unknown path {request.path}")
        window = math.floor(now / self.seconds)
        if self.used[window] + weight > self.limit:
            self.log.append((now, weight, 429))
            retry_after = max(1, math.ceil((window + 1) * self.seconds - now))
            response = _error(
                429,
                -1003,
                "Too many requests; current limit of IP is "
                f"{self.limit} requests per {self.seconds} s.",
            )
            response.headers["Retry-After"] = str(retry_after)
        else:
            self.used[window] += weight
            self.log.append((now, weight, 200))
            response = web.json_response(_body(request.path, query, int(now * 1000)))
        response.headers[self.header] = str(self.used[window])
        return response


def _error(status: int, code: int, msg: str) -> web.Response:
    return web.json_response({"code": code, "msg": msg}, status=status)


async def serve(limit: int, seconds: int) -> None:
    counter = WeightCounter(limit, seconds)
    server = web.Server(counter.handle, access_log=None)
    runner = web.ServerRunner(server, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    print(f"listening on {host}:{port}", flush=True)
    try:
        await asyncio.to_thread(sys.stdin.buffer.read)  # until stdin is closed
    finally:
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--window", type=int, default=10, help="window length, seconds")
    parser.add_argument("--limit", type=int, default=600, help="weight per window")
    args = parser.parse_args()
    usage_header(args.window)  # refuse a window Binance's header cannot name
    asyncio.run(serve(args.limit, args.window))


if __name__ == "__main__":
    main()
