"""A lean Binance-like loopback server for the benchmarks (``rate_limit.py``, ``throughput.py``).

Weight mode (the default, for ``rate_limit.py``): it serves three COIN-M market-data
endpoints with small canned bodies (``GET /dapi/v1/ticker/price``, ``/dapi/v1/depth`` and
``/dapi/v1/klines``) and counts request weight the way Binance does: per clock-aligned
window of ``--window`` seconds (a window starts whenever ``time.time()`` is a multiple of
its length), each request's weight worked out here from its path and parameters, written
independently of aioca's catalog. A request that would take its window over ``--limit`` is
refused with HTTP 429, ``Retry-After`` and Binance's ``-1003`` body, and is not counted;
every answer reports the window's usage in ``X-MBX-USED-WEIGHT-<n><unit>``
(``X-MBX-USED-WEIGHT-10S`` for a 10 s window).

``GET /_stats`` (not counted) returns what the server saw, as JSON: every request's arrival
time, weight and status.

Canned mode (``--canned``, for ``throughput.py``): no weight counting and no limit, just
Binance-shaped answers encoded once and sent as bytes, so the server costs as little as
possible per request: ``GET /dapi/v1/ticker/price`` (a one-entry list), ``/dapi/v1/klines``
(``limit`` candles, 500 by default: about 58 KB), ``/dapi/v1/account`` (a signed endpoint:
the signature is not checked; a realistic account of about 7 KB) and ``/dapi/v1/time``.
It also answers OKX-shaped requests, in OKX v5 envelopes (``{"code": "0", "msg": "",
"data": [...]}``): ``GET /api/v5/market/ticker`` (one ticker, ``instId`` from the query),
``/api/v5/account/balance`` (a signed endpoint, the ``OK-ACCESS-*`` headers not checked;
a balance of 5 currencies, about 2.5 KB) and ``/api/v5/public/time``. ``--delay-ms`` answers
every request that many milliseconds after it arrives, all requests in parallel (the
latency-bound case of ``user_shapes.py``; asyncio server only).
``GET /_stats`` returns ``{"requests": n, "cpu": s}``: the requests answered so far and the
server process's CPU time, so a client can tell whether the server was the bottleneck. By
default a minimal HTTP/1.1 server on ``asyncio.Protocol`` answers (GET with keep-alive,
whole responses cached as bytes: several times cheaper per request than ``aiohttp.web``,
so the client, not the server, limits throughput); ``--http aiohttp`` serves the same
bodies through ``aiohttp.web``.

Either way the server listens on 127.0.0.1 on a free port, prints
``listening on 127.0.0.1:<port>`` as its first line of output, and stops when its standard
input is closed.

    python benchmarks/loopback_server.py [--window 10] [--limit 600]
    python benchmarks/loopback_server.py --canned [--http asyncio|aiohttp] [--delay-ms 0]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

TICKER = "/dapi/v1/ticker/price"
DEPTH = "/dapi/v1/depth"
KLINES = "/dapi/v1/klines"
ACCOUNT = "/dapi/v1/account"
TIME = "/dapi/v1/time"
OKX_TICKER = "/api/v5/market/ticker"
OKX_BALANCE = "/api/v5/account/balance"
OKX_TIME = "/api/v5/public/time"
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


_JSON = {"Content-Type": "application/json"}
_CANNED_TIME_MS = 1_718_000_000_000  # where the canned candles end (June 2024)


def _encode(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


def canned_klines(limit: int, end_ms: int = _CANNED_TIME_MS) -> list[list[Any]]:
    """``limit`` one-minute candles as Binance sends them (12-slot arrays), the last one
    opening at ``end_ms`` rounded down to the minute; 500 of them encode to about 58 KB."""
    last = end_ms // 60_000 * 60_000
    candles = []
    for index in range(limit):
        opened = last - (limit - 1 - index) * 60_000
        base = 64_000 + (index * 37) % 500
        candles.append(
            [
                opened,
                f"{base:.1f}",
                f"{base + 12.5:.1f}",
                f"{base - 9.3:.1f}",
                f"{base + 3.1:.1f}",
                str(200 + index * 7 % 2000),
                opened + 59_999,
                f"{15.5 + index % 97 / 7:.8f}",
                48 + index % 400,
                str(100 + index * 3 % 900),
                f"{7.7 + index % 89 / 11:.8f}",
                "0",
            ]
        )
    return candles


def canned_account(now_ms: int = _CANNED_TIME_MS) -> dict[str, Any]:
    """A COIN-M account (``GET /dapi/v1/account``): 5 assets and 12 positions, about 7 KB."""
    assets = [
        {
            "asset": asset,
            "walletBalance": f"{balance:.8f}",
            "unrealizedProfit": "0.00012345",
            "marginBalance": f"{balance + 0.00012345:.8f}",
            "maintMargin": "0.00041230",
            "initialMargin": "0.00823410",
            "positionInitialMargin": "0.00723410",
            "openOrderInitialMargin": "0.00100000",
            "maxWithdrawAmount": f"{balance * 0.8:.8f}",
            "crossWalletBalance": f"{balance:.8f}",
            "crossUnPnl": "0.00012345",
            "availableBalance": f"{balance * 0.8:.8f}",
            "updateTime": now_ms,
        }
        for asset, balance in (
            ("BTC", 1.2345),
            ("ETH", 20.5),
            ("BNB", 42.0),
            ("XRP", 9000.0),
            ("ADA", 12000.0),
        )
    ]
    positions = [
        {
            "symbol": symbol,
            "positionAmt": amount,
            "initialMargin": "0.00723410",
            "maintMargin": "0.00041230",
            "unrealizedProfit": "0.00012345",
            "positionInitialMargin": "0.00723410",
            "openOrderInitialMargin": "0",
            "leverage": "20",
            "isolated": False,
            "positionSide": side,
            "entryPrice": "64211.4",
            "breakEvenPrice": "64243.5",
            "maxQty": "250",
            "notionalValue": "-0.14470211",
            "isolatedWallet": "0",
            "updateTime": now_ms,
        }
        for symbol in ("BTCUSD_PERP", "ETHUSD_PERP", "BNBUSD_PERP", "BTCUSD_240927")
        for side, amount in (("BOTH", "93"), ("LONG", "0"), ("SHORT", "0"))
    ]
    return {
        "assets": assets,
        "positions": positions,
        "canDeposit": True,
        "canTrade": True,
        "canWithdraw": True,
        "feeTier": 2,
        "updateTime": 0,
    }


def okx_envelope(data: list[Any]) -> dict[str, Any]:
    """An OKX v5 answer: ``code`` ``"0"`` for success, the payload always a list."""
    return {"code": "0", "msg": "", "data": data}


def canned_okx_ticker(inst_id: str, now_ms: int = _CANNED_TIME_MS) -> dict[str, Any]:
    """``GET /api/v5/market/ticker?instId=...``: one instrument's ticker, as OKX sends it."""
    return okx_envelope(
        [
            {
                "instType": "SPOT",
                "instId": inst_id,
                "last": "64250.1",
                "lastSz": "0.0012",
                "askPx": "64250.2",
                "askSz": "1.2817",
                "bidPx": "64250.1",
                "bidSz": "0.5541",
                "open24h": "63811.4",
                "high24h": "64522.8",
                "low24h": "63517.0",
                "volCcy24h": "412345678.91",
                "vol24h": "6441.98",
                "ts": str(now_ms),
                "sodUtc0": "63950.3",
                "sodUtc8": "64011.9",
            }
        ]
    )


def canned_okx_balance(now_ms: int = _CANNED_TIME_MS) -> dict[str, Any]:
    """``GET /api/v5/account/balance``: a trading account with 5 currencies, about 2.5 KB."""
    details = [
        {
            "availBal": f"{balance * 0.8:.8f}",
            "availEq": f"{balance * 0.8:.8f}",
            "borrowFroz": "",
            "cashBal": f"{balance:.8f}",
            "ccy": ccy,
            "crossLiab": "",
            "disEq": f"{balance * price:.4f}",
            "eq": f"{balance:.8f}",
            "eqUsd": f"{balance * price:.4f}",
            "fixedBal": "0",
            "frozenBal": f"{balance * 0.2:.8f}",
            "imr": "",
            "interest": "",
            "isoEq": "0",
            "isoLiab": "",
            "isoUpl": "0",
            "liab": "",
            "maxLoan": "",
            "mgnRatio": "",
            "mmr": "",
            "notionalLever": "0",
            "ordFrozen": f"{balance * 0.2:.8f}",
            "spotInUseAmt": "",
            "stgyEq": "0",
            "twap": "0",
            "uTime": str(now_ms),
            "upl": "0",
            "uplLiab": "",
        }
        for ccy, balance, price in (
            ("BTC", 1.2345, 64250.1),
            ("ETH", 20.5, 3400.2),
            ("USDT", 152_000.0, 1.0),
            ("SOL", 310.0, 145.7),
            ("OKB", 42.0, 48.1),
        )
    ]
    return okx_envelope(
        [
            {
                "adjEq": "",
                "borrowFroz": "",
                "details": details,
                "imr": "",
                "isoEq": "0",
                "mgnRatio": "",
                "mmr": "",
                "notionalUsd": "",
                "ordFroz": "",
                "totalEq": "341234.5678",
                "uTime": str(now_ms),
                "upl": "0",
            }
        ]
    )


class CannedServer:
    """Answers with bodies encoded once (per distinct query for tickers and klines).

    :meth:`handle` serves them through ``aiohttp.web``; :meth:`response` gives a whole
    HTTP/1.1 response as bytes, for :class:`CannedProtocol`, the cheaper server.
    """

    def __init__(self) -> None:
        self.requests = 0
        self.account = _encode(canned_account())
        self.okx_balance = _encode(canned_okx_balance())
        self._cache: dict[tuple[str, str], bytes] = {}
        self._responses: dict[str, bytes] = {}

    def body(self, path: str, query_string: str) -> tuple[int, bytes]:
        """HTTP status and body for a request (``/_stats`` is not counted)."""
        if path == STATS:
            return 200, _encode({"requests": self.requests, "cpu": time.process_time()})
        self.requests += 1
        if path == ACCOUNT:  # the signed query (timestamp, signature) is not looked at
            return 200, self.account
        if path == TIME:
            return 200, _encode({"serverTime": int(time.time() * 1000)})
        if path == OKX_BALANCE:  # the OK-ACCESS-* headers are not looked at
            return 200, self.okx_balance
        if path == OKX_TIME:
            return 200, _encode(okx_envelope([{"ts": str(int(time.time() * 1000))}]))
        if path == OKX_TICKER:
            inst_id = dict(parse_qsl(query_string)).get("instId", "BTC-USDT")
            return 200, _encode(canned_okx_ticker(inst_id))
        if path not in (TICKER, KLINES):
            return 404, _encode({"code": -1100, "msg": f"unknown path {path}"})
        key = (path, query_string)
        body = self._cache.get(key)
        if body is None:
            query = dict(parse_qsl(query_string))
            if path == TICKER:
                symbol = query.get("symbol") or "BTCUSD_PERP"
                pair = query.get("pair") or symbol.split("_")[0]
                payload: Any = [
                    {"symbol": symbol, "ps": pair, "price": "64250.1", "time": _CANNED_TIME_MS}
                ]
            else:
                try:
                    limit = _limit(query)
                except ValueError:
                    return 400, _encode(
                        {"code": -1130, "msg": "Data sent for parameter 'limit' is not valid."}
                    )
                payload = canned_klines(min(max(limit, 1), 1500))
            body = _encode(payload)
            if len(self._cache) < 256:
                self._cache[key] = body
        return 200, body

    async def handle(self, request: web.BaseRequest) -> web.StreamResponse:
        status, body = self.body(request.path, request.query_string)
        return web.Response(status=status, body=body, headers=_JSON)

    def response(self, target: str) -> bytes:
        """The whole HTTP/1.1 response to ``GET target``, cached as bytes for tickers,
        klines and the account (whose signed query the caller strips)."""
        cached = self._responses.get(target)
        if cached is not None:
            self.requests += 1
            return cached
        path, _, query_string = target.partition("?")
        status, body = self.body(path, query_string)
        head = (
            f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        response = head.encode() + body
        if status == 200 and path in _CACHED and len(self._responses) < 256:
            self._responses[target] = response
        return response


_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found"}
_CACHED = frozenset((TICKER, KLINES, ACCOUNT, OKX_TICKER, OKX_BALANCE))
_SIGNED_QUERIES = (ACCOUNT, OKX_BALANCE)
"""Signed endpoints whose query (a timestamp, a signature) differs on every request: one
cached answer, whatever the query."""


class CannedProtocol(asyncio.Protocol):
    """A minimal HTTP/1.1 server for GET requests with keep-alive: much cheaper per
    request than ``aiohttp.web``, so that the client, not the server, limits throughput.
    With ``delay`` (seconds), each answer is written that long after its request arrived."""

    def __init__(self, canned: CannedServer, live: set[CannedProtocol], delay: float = 0.0) -> None:
        self.canned = canned
        self.live = live
        self.delay = delay
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.live.add(self)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while self.transport is not None:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].decode("latin-1")
            lower = head.lower()
            length = 0  # a body is read and ignored
            at = lower.find("\r\ncontent-length:")
            if at >= 0:
                line_end = lower.find("\r\n", at + 2)
                length = int(lower[at + 17 : line_end if line_end >= 0 else len(lower)])
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length :]
            target = head[: head.find("\r\n") if "\r\n" in head else len(head)].split(" ")[1]
            for signed in _SIGNED_QUERIES:  # every signed query differs: one answer
                if target.startswith(signed + "?"):
                    target = signed
            response = self.canned.response(target)
            close = "\r\nconnection: close" in lower
            if self.delay > 0:
                asyncio.get_running_loop().call_later(
                    self.delay, self._answer, self.transport, response, close
                )
                if close:
                    return
                continue
            self.transport.write(response)
            if close:
                self.transport.close()
                self.transport = None

    @staticmethod
    def _answer(transport: asyncio.Transport, response: bytes, close: bool) -> None:
        """A delayed answer, unless the client has gone meanwhile."""
        if transport.is_closing():
            return
        transport.write(response)
        if close:
            transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        self.live.discard(self)


@contextmanager
def server_process(command: Sequence[str]) -> Iterator[str]:
    """Run a loopback server command in a child process; yields its base URL.

    The server prints ``listening on HOST:PORT`` as its first line and stops when its
    standard input closes, which this does on exit (killing it if it lingers).
    """
    process = subprocess.Popen(
        list(command), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert process.stdin is not None
    assert process.stdout is not None
    try:
        line = process.stdout.readline()
        if not line.startswith("listening on "):
            raise RuntimeError(f"the loopback server did not start: {line!r}")
        yield "http://" + line.split()[-1]
    finally:
        process.stdin.close()  # the server stops when its input ends
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stdout.close()


async def _until_stdin_closes() -> None:
    await asyncio.to_thread(sys.stdin.buffer.read)


async def serve(
    limit: int, seconds: int, *, canned: bool = False, fast: bool = False, delay: float = 0.0
) -> None:
    if canned and fast:
        canned_server, live = CannedServer(), set[CannedProtocol]()
        loop = asyncio.get_running_loop()
        listener = await loop.create_server(
            lambda: CannedProtocol(canned_server, live, delay), "127.0.0.1", 0, backlog=1024
        )
        host, port = listener.sockets[0].getsockname()[:2]
        print(f"listening on {host}:{port}", flush=True)
        try:
            await _until_stdin_closes()
        finally:
            listener.close()
            for protocol in list(live):  # connections the clients left open
                if protocol.transport is not None:
                    protocol.transport.close()
            await listener.wait_closed()
        return
    if canned:
        server = web.Server(CannedServer().handle, access_log=None)
    else:
        server = web.Server(WeightCounter(limit, seconds).handle, access_log=None)
    runner = web.ServerRunner(server, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    print(f"listening on {host}:{port}", flush=True)
    try:
        await _until_stdin_closes()
    finally:
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--window", type=int, default=10, help="window length, seconds")
    parser.add_argument("--limit", type=int, default=600, help="weight per window")
    parser.add_argument(
        "--canned", action="store_true", help="canned answers, no weight counting (throughput)"
    )
    parser.add_argument(
        "--http",
        choices=("asyncio", "aiohttp"),
        default="asyncio",
        help="with --canned: a minimal asyncio HTTP/1.1 server (cheapest), or aiohttp.web",
    )
    parser.add_argument(
        "--delay-ms",
        type=float,
        default=0.0,
        help="with --canned --http asyncio: answer each request this long after it arrives",
    )
    args = parser.parse_args()
    usage_header(args.window)  # refuse a window Binance's header cannot name
    if args.delay_ms and not (args.canned and args.http == "asyncio"):
        parser.error("--delay-ms needs --canned and --http asyncio")
    fast = args.http == "asyncio"
    delay = args.delay_ms / 1000
    asyncio.run(serve(args.limit, args.window, canned=args.canned, fast=fast, delay=delay))


if __name__ == "__main__":
    main()
