"""How close a ``GatherTask`` of 100 requests comes to the time of one request.

A loopback server in its own process answers every request ``--delay-ms`` (50 ms) after
it arrives, all requests in parallel; a ``GatherTask`` of ``--requests`` (100)
``CoinMFetchTicker`` tasks, run by a ``TaskOperator`` through a ``BinanceRestApi`` with
no rate-limit windows (``RateLimiter([])``) and no retries, should then take about 50 ms.
Its wall time is reported as a multiple of that ideal (goal: median under 1.25x).

The server is a bare asyncio HTTP/1.1 server with keep-alive and a canned body (a few
microseconds per request), not an aiohttp one, so that the time measured beyond the delay
is the client's. The API's connection pool holds 100 connections (``RestApi``'s
``connection_limit``), so 100 requests all go out at once; with more, the rest wait for a
connection.

Connection setup is excluded from the timed runs and reported on its own: the first (cold)
run opens the pool's connections; ``--warmup`` untimed runs follow, then ``--runs`` timed
runs, which reuse the pooled connections (the server counts the connections it accepts;
the timed runs must open none). For scale, the same requests are also sent with plain
aiohttp (one session, ``asyncio.gather``), interleaved with aioca's runs: the difference is
what aioca adds over its transport.

    python benchmarks/latency.py [--requests 100] [--delay-ms 50] [--runs 20] [--warmup 2]
                                 [--loop asyncio|uvloop] [--check]

The server alone, which ``ring_memory.py`` also uses (``--fail-every N`` makes every N-th
request fail, in turn as HTTP 500, HTTP 400 and a connection closed without an answer)::

    python benchmarks/latency.py --serve [--delay-ms 50] [--fail-every N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from loopback_server import server_process  # benchmarks/ is on sys.path when run as a script

from aioca import GatherTask, RateLimiter, RetryPolicy, TaskOperator
from aioca_binance import BinanceRestApi
from aioca_binance.coinm import CoinMFetchTicker

GOAL_RATIO = 1.25
SYMBOL = "BTCUSD_PERP"
TICKER = "/dapi/v1/ticker/price"
STATS = "/_stats"

# --- the server --------------------------------------------------------------------------

FAILURES = ("http 500", "http 400", "dropped")
"""What an injected failure is, in turn: Binance's -1001 with HTTP 500, its -1121 (invalid
symbol) with HTTP 400, and a connection closed without an answer."""


def _response(status: str, payload: Any) -> bytes:
    body = json.dumps(payload, separators=(",", ":")).encode()
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


_TICKER_BODY = [{"symbol": SYMBOL, "ps": "BTCUSD", "price": "64250.1", "time": 1714000000000}]
_OK = _response("200 OK", _TICKER_BODY)
_ERRORS = {
    "http 500": _response(
        "500 Internal Server Error",
        {"code": -1001, "msg": "Internal error; unable to process your request."},
    ),
    "http 400": _response("400 Bad Request", {"code": -1121, "msg": "Invalid symbol."}),
}


@dataclass
class ServerStats:
    requests: int = 0
    """Requests answered or dropped, ``/_stats`` not counted."""
    connections_opened: int = 0
    connections_open: int = 0
    connections_peak: int = 0
    failures: Counter[str] = field(default_factory=Counter)


class _Connection(asyncio.Protocol):
    """One client connection: reads requests (no pipelining needed: aiohttp sends one at a
    time per connection) and answers each ``delay`` seconds after it has arrived."""

    def __init__(self, delay: float, fail_every: int, stats: ServerStats) -> None:
        self.delay = delay
        self.fail_every = fail_every
        self.stats = stats
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.stats.connections_opened += 1
        self.stats.connections_open += 1
        self.stats.connections_peak = max(self.stats.connections_peak, self.stats.connections_open)

    def connection_lost(self, exc: Exception | None) -> None:
        self.stats.connections_open -= 1

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            head = self.buffer[:end].decode("latin-1").split("\r\n")
            length = 0
            for line in head[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            if len(self.buffer) < end + 4 + length:
                return  # the body is still coming
            self.buffer = self.buffer[end + 4 + length :]
            self.answer(head[0].split(" ")[1])

    def answer(self, target: str) -> None:
        assert self.transport is not None
        if target.split("?")[0] == STATS:
            stats = self.stats
            payload = {
                "requests": stats.requests,
                "connections_opened": stats.connections_opened,
                "connections_open": stats.connections_open,
                "connections_peak": stats.connections_peak,
                "failures": dict(stats.failures),
            }
            self.transport.write(_response("200 OK", payload))
            return
        self.stats.requests += 1
        number = self.stats.requests
        if self.fail_every and number % self.fail_every == 0:
            kind = FAILURES[(number // self.fail_every - 1) % len(FAILURES)]
            self.stats.failures[kind] += 1
            if kind == "dropped":
                self.transport.close()
                return
            self.reply(_ERRORS[kind])
        else:
            self.reply(_OK)

    def reply(self, data: bytes) -> None:
        if self.delay > 0:
            asyncio.get_running_loop().call_later(self.delay, self._write, data)
        else:
            self._write(data)

    def _write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)


async def serve(delay: float, fail_every: int) -> None:
    """Listen on a free loopback port, print ``listening on 127.0.0.1:<port>``, and serve
    until standard input is closed."""
    loop = asyncio.get_running_loop()
    stats = ServerStats()
    server = await loop.create_server(
        lambda: _Connection(delay, fail_every, stats), "127.0.0.1", 0, backlog=1024
    )
    host, port = server.sockets[0].getsockname()[:2]
    print(f"listening on {host}:{port}", flush=True)
    try:
        await asyncio.to_thread(sys.stdin.buffer.read)  # until stdin is closed
    finally:
        server.close()
        await server.wait_closed()


@contextmanager
def delay_server(delay_ms: float, fail_every: int = 0) -> Iterator[str]:
    """Run this script's server in a child process; yields its base URL."""
    command = [sys.executable, str(Path(__file__).resolve()), "--serve"]
    command += ["--delay-ms", str(delay_ms), "--fail-every", str(fail_every)]
    with server_process(command) as url:
        yield url


async def server_stats(session: aiohttp.ClientSession, url: str) -> dict[str, Any]:
    async with session.get(url + STATS) as response:
        stats: dict[str, Any] = await response.json()
    return stats


# --- the benchmark -----------------------------------------------------------------------


@dataclass
class Outcome:
    pool_size: int
    build_ms: float
    cold_ms: float
    cold_connections: int
    aioca_ms: list[float]
    plain_ms: list[float]
    timed_connections: int
    errors: list[str]


async def measure(args: argparse.Namespace, url: str) -> Outcome:
    api = BinanceRestApi(
        urls={"coinm": url},
        rate_limiter=RateLimiter([]),  # no windows: the loopback server counts no weight
        retry=RetryPolicy(attempts=1),  # nothing is expected to fail; if it does, it shows
        time_sync_interval=None,
    )
    started = time.perf_counter()
    gather = GatherTask(*(CoinMFetchTicker(api=api, symbol=SYMBOL) for _ in range(args.requests)))
    build_ms = (time.perf_counter() - started) * 1000
    operator = TaskOperator().run_single_task(gather)
    errors: list[str] = []

    async def run_aioca() -> float:
        started = time.perf_counter()
        await operator.arun(on_error="continue")
        elapsed = (time.perf_counter() - started) * 1000
        errors.extend(
            f"{type(task.exception).__name__}: {task.exception}"
            for task in gather.tasks
            if task.exception is not None
        )
        return elapsed

    connector = aiohttp.TCPConnector(limit=api.connection_limit)
    async with api, aiohttp.ClientSession(connector=connector) as session:
        target = f"{url}{TICKER}?symbol={SYMBOL}"

        async def fetch() -> Any:
            async with session.get(target) as response:
                response.raise_for_status()
                return json.loads(await response.read())

        async def run_plain() -> float:
            started = time.perf_counter()
            await asyncio.gather(*(fetch() for _ in range(args.requests)))
            return (time.perf_counter() - started) * 1000

        before = await server_stats(session, url)  # opens the plain session's first one
        cold_ms = await run_aioca()
        after_cold = await server_stats(session, url)
        for _ in range(args.warmup + 1):
            await run_plain()
        for _ in range(args.warmup):
            await run_aioca()
        warm = await server_stats(session, url)
        aioca_ms, plain_ms = [], []
        for _ in range(args.runs):  # interleaved, so drift hits both alike
            aioca_ms.append(await run_aioca())
            plain_ms.append(await run_plain())
        end = await server_stats(session, url)
    return Outcome(
        pool_size=api.connection_limit,
        build_ms=build_ms,
        cold_ms=cold_ms,
        cold_connections=after_cold["connections_opened"] - before["connections_opened"],
        aioca_ms=aioca_ms,
        plain_ms=plain_ms,
        timed_connections=end["connections_opened"] - warm["connections_opened"],
        errors=errors,
    )


def report(args: argparse.Namespace, url: str, outcome: Outcome) -> bool:
    ideal: float = args.delay_ms
    n: int = args.requests
    print(f"loopback server {url}: answers every request after {ideal:g} ms, in parallel")
    print(
        f"GatherTask of {n} CoinMFetchTicker requests, connection pool "
        f"{outcome.pool_size}; {args.runs} timed runs after one cold "
        f"run and {args.warmup} warm-up runs; {args.loop} event loop"
    )
    print()
    median = statistics.median(outcome.aioca_ms)
    plain = statistics.median(outcome.plain_ms)
    rows: list[tuple[str, float, bool]] = [
        ("ideal (the server's delay)", ideal, True),
        (f"build the {n} tasks (not in the runs)", outcome.build_ms, False),
        (f"cold run (opens {outcome.cold_connections} connections)", outcome.cold_ms, True),
        ("aioca GatherTask, warm: min", min(outcome.aioca_ms), True),
        ("aioca GatherTask, warm: median", median, True),
        ("aioca GatherTask, warm: max", max(outcome.aioca_ms), True),
        ("plain aiohttp gather, warm: median", plain, True),
        ("aioca over plain aiohttp (median difference)", median - plain, False),
    ]
    print(f"{'measurement':<48}{'ms':>9}{'x ideal':>10}")
    for name, ms, scaled in rows:
        print(f"{name:<48}{ms:>9.1f}" + (f"{ms / ideal:>10.3f}" if scaled else ""))
    per_request_us = (median - ideal) / n * 1000
    print(f"{'time per request beyond the delay (us)':<48}{per_request_us:>9.1f}")
    print(f"{'connections opened during the timed runs':<48}{outcome.timed_connections:>9}")
    print()
    ratio = median / ideal
    passed = ratio < GOAL_RATIO
    print(
        f"{'PASS' if passed else 'FAIL'} GatherTask of {n} median wall time < "
        f"{GOAL_RATIO}x ideal: {ratio:.3f}x ({median:.1f} ms)"
    )
    return passed


def positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive whole number, not {text}")
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=positive_int, default=100, help="tasks gathered")
    parser.add_argument("--delay-ms", type=float, default=50, help="the server's delay, ms")
    parser.add_argument("--runs", type=positive_int, default=20, help="timed runs")
    parser.add_argument("--warmup", type=int, default=2, help="untimed runs after the cold one")
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    parser.add_argument(
        "--loop",
        choices=("asyncio", "uvloop"),
        default="asyncio",
        help="the client's event loop (the server's is always asyncio's)",
    )
    parser.add_argument("--serve", action="store_true", help="run the server only")
    parser.add_argument(
        "--fail-every", type=int, default=0, help="with --serve: fail every N-th request"
    )
    args = parser.parse_args()
    if args.delay_ms < 0 or args.warmup < 0 or args.fail_every < 0:
        parser.error("--delay-ms, --warmup and --fail-every must be at least 0")
    if args.serve:
        asyncio.run(serve(args.delay_ms / 1000, args.fail_every))
        return
    if args.delay_ms == 0:
        parser.error("--delay-ms must be positive: it is the ideal the runs are measured by")
    loop_factory = None
    if args.loop == "uvloop":
        try:
            import uvloop
        except ImportError:
            parser.error("uvloop is not installed (pip install aioca-core[fast])")
        loop_factory = uvloop.new_event_loop
    with delay_server(args.delay_ms) as url, asyncio.Runner(loop_factory=loop_factory) as runner:
        outcome = runner.run(measure(args, url))
    passed = report(args, url, outcome)
    if outcome.errors:
        print(f"INVALID: {len(outcome.errors)} requests failed, e.g.")
        print(f"  {outcome.errors[0]}")
        sys.exit(2)
    if args.check and not passed:
        sys.exit(1)


if __name__ == "__main__":
    main()
