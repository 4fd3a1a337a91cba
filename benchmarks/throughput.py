"""How fast aioca sends requests, and what it costs on top of raw aiohttp.

A loopback COIN-M server (``loopback_server.py --canned``, in its own process, so that
``time.process_time()`` here measures the client only) answers with canned Binance bodies
encoded once: ``ticker`` is ``GET /dapi/v1/ticker/price?symbol=BTCUSD_PERP`` (a small list),
``klines`` is ``GET /dapi/v1/klines?symbol=BTCUSD_PERP&interval=1m&limit=500`` (about 58 KB
of candles: what parsing costs), ``account`` is the signed ``GET /dapi/v1/account``
(``recvWindow``, ``timestamp``, HMAC-SHA256 ``signature`` and the ``X-MBX-APIKEY`` header:
what signing costs; the server answers about 7 KB without checking the signature). By
default the server is a minimal asyncio HTTP/1.1 server, several times cheaper per request
than the client, so that the client limits req/s (``--server aiohttp``: ``aiohttp.web``).

The rows, each sending the same N requests with C of them in flight:

* ``raw aiohttp``, the baseline: one ``ClientSession`` (``TCPConnector(limit=100)``); the
  ticker and klines URLs are constant strings; the account query
  ``recvWindow=5000&timestamp=...`` is built and HMAC-signed by hand for every request and
  sent as ``yarl.URL(..., encoded=True)``; every answer's status is checked and its bytes
  decoded with ``json.loads``. C coroutines each send their next request as soon as their
  last one is answered (C=1: one after the other).
* ``aioca operator``: catalog tasks (``CoinMFetchTicker(symbol=...)``,
  ``CoinMFetchKline(symbol=..., interval="1m", limit=500)``, ``CoinMAccountInformation()``)
  on one ``BinanceRestApi(api_key, api_secret, urls={"coinm": url},
  rate_limiter=RateLimiter([]))`` (no budget, so the limiter never waits; default retry
  policy, pool of 100 connections), run by ``await TaskOperator(queue).arun()``. C=1: a
  ``TaskQueue`` of the N tasks. C>1: a ``TaskQueue`` of N/C ``GatherTask``s of C tasks,
  one after the other (each batch waits for its slowest request).
* ``aioca GatherTask``: the N tasks in one ``GatherTask`` run by the operator, on an API
  whose pool has C connections (``connection_limit=C``), which is what keeps C requests on
  the wire: all N tasks start at once, so the latency includes the wait for a connection.
* ``raw aiohttp batches`` (C>1) and ``raw aiohttp gather``: raw aiohttp's requests in the
  shapes of the two aioca rows (``asyncio.gather`` of C requests, batch after batch; one
  ``asyncio.gather`` of all N on a pool of C). The shape alone changes the CPU per request
  (a batch's sends and answers share event-loop iterations), so each aioca row is compared
  with raw aiohttp in its own shape: that difference is aioca's overhead.
* ``raw aiohttp json`` (with ``--decoder orjson`` only): raw aiohttp decoding with
  ``json.loads`` while the other rows use orjson, interleaved with them: the parsing goal
  is aioca with orjson above it for klines.
* ``python-binance`` (``AsyncClient``, ``futures_coin_*``) and ``ccxt implicit``
  (``binancecoinm``, ``dapiPublicGet...`` / ``dapiPrivateGetAccount``, rate limiting off),
  driven like raw aiohttp, when installed (``pip install aioca-core[bench]``). They decode
  with their own choice, whatever ``--decoder`` says: ccxt uses orjson whenever it is
  importable, so with the ``fast`` extra installed its klines row is on orjson while the
  raw and aioca rows follow ``--decoder`` (json by default; aioca's own default is orjson).

Every row drops each result as soon as it is decoded (aioca: the timing subclass below
clears it from its task), so what is measured is a request, not keeping N results alive
(for klines ~350 KB of Python objects each, whose page faults and garbage collection would
dominate); ``--keep-results`` keeps them until the round ends (aioca on its tasks, the
others in a list). Building the aioca tasks (pydantic validation) happens before the clock
starts and is reported on its own line.

Each (scenario, C, row) is measured as N requests (``--requests`` at C>1, ``--requests-c1``
at C=1), ``--rounds`` times, interleaved (round 1 of every row, then round 2..., the row
that goes first rotating) so that machine drift hits all rows alike, after a warm-up round
(in which aioca also syncs its clock: one ``GET /dapi/v1/time``), after which everything
alive is frozen out of the garbage collector's reach (``gc.freeze()``: the peers' imports
would otherwise slow every row's collections). Right before each measured
run, C untimed requests reopen the row's C pooled connections. Reported, each the median
over the rounds: requests per second (wall clock); client CPU per request
(``time.process_time()`` / N) and the part of it spent collecting garbage; p50/p99
latency per request (``perf_counter`` around each request; for aioca around
``task.run()``, in a subclass of the catalog task); the ratio to the row's raw aiohttp
baseline (``vs``); how busy the server process was (near 100 %: the server capped req/s).

Goals (C=50): aioca's CPU per request within +15 us of raw aiohttp's for ticker and
account, and its req/s at least 0.9x raw aiohttp's, each row against its own shape.

``--profile`` measures nothing: for each scenario, at the largest C, it runs one round of
``aioca operator`` and of its raw baseline under cProfile, and prints the time per request
by layer and the top 25 functions by cumulative and by own time.

    python benchmarks/throughput.py [--requests 2000] [--requests-c1 300] [--rounds 5]
        [--concurrency 1 50] [--scenarios ticker klines account] [--keep-results]
        [--decoder json|orjson] [--loop asyncio|uvloop] [--server asyncio|aiohttp]
        [--no-peers] [--json] [--check] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import hashlib
import hmac
import json
import math
import os
import platform
import pstats
import statistics
import sys
import time
import urllib.request
import warnings
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import aiohttp
from loopback_server import server_process  # benchmarks/ is on sys.path when run as a script
from yarl import URL

import aioca
from aioca import BaseTask, GatherTask, RateLimiter, TaskOperator, TaskQueue
from aioca_binance import BinanceRestApi
from aioca_binance.coinm import CoinMAccountInformation, CoinMFetchKline, CoinMFetchTicker
from aioca_binance.task import BinanceTask

SERVER = Path(__file__).with_name("loopback_server.py")
SCENARIOS = ("ticker", "klines", "account")
SYMBOL = "BTCUSD_PERP"
KLINES_LIMIT = 500
API_KEY = "bench-api-key"
API_SECRET = "bench-api-secret"
RECV_WINDOW = 5000
PATHS = {
    "ticker": f"/dapi/v1/ticker/price?symbol={SYMBOL}",
    "klines": f"/dapi/v1/klines?symbol={SYMBOL}&interval=1m&limit={KLINES_LIMIT}",
    "account": "/dapi/v1/account",
}
RAW = "raw aiohttp"
RAW_BATCHES = "raw aiohttp batches"
RAW_GATHER = "raw aiohttp gather"
RAW_JSON = "raw aiohttp json"
OPERATOR = "aioca operator"
GATHER = "aioca GatherTask"
AIOCA_ROWS = (OPERATOR, GATHER)
BENCH_HINT = "pip install aioca-core[bench]"

GOAL_CONCURRENCY = 50
GOAL_CPU_US = 15.0  # aioca's CPU per request at most this much over raw aiohttp's
GOAL_CPU_SCENARIOS = ("ticker", "account")
GOAL_RATE = 0.9  # aioca's req/s at least this fraction of raw aiohttp's

Fetch = Callable[[], Awaitable[Any]]
Job = Callable[[], Awaitable[None]]


@dataclass
class Options:
    keep_results: bool = False
    loads: Callable[[bytes], Any] = json.loads
    """The JSON decoder of raw aiohttp and aioca (the peers use their own)."""


# --- the server ----------------------------------------------------------------------------


@contextmanager
def canned_server(http: str = "asyncio") -> Iterator[str]:
    """Run ``loopback_server.py --canned`` in a child process; yields its base URL."""
    command = [sys.executable, str(SERVER), "--canned", "--http", http]
    with server_process(command) as url:
        yield url


def server_stats(url: str) -> tuple[int, float]:
    """(requests answered, server CPU seconds) so far. Blocking, and only called outside
    the timed part, so it touches none of the clients' sessions."""
    with urllib.request.urlopen(url + "/_stats", timeout=10) as response:
        stats = json.load(response)
    return int(stats["requests"]), float(stats["cpu"])


# --- driving requests ----------------------------------------------------------------------


async def _timed(fetch: Fetch, latencies: list[float], keep: bool) -> Any:
    started = time.perf_counter()
    value = await fetch()
    latencies.append(time.perf_counter() - started)
    return value if keep else None


async def drive_workers(fetch: Fetch, n: int, c: int, latencies: list[float], keep: bool) -> None:
    """``n`` calls of ``fetch`` by ``c`` coroutines, each sending its next request as soon
    as its last one is answered (``c`` always in flight)."""
    results: list[Any] = []
    clock = time.perf_counter

    async def worker(requests: Iterator[int]) -> None:
        for _ in requests:
            started = clock()
            if keep:
                results.append(await fetch())
            else:
                await fetch()  # not bound to a name: the result goes at once
            latencies.append(clock() - started)

    if c == 1:
        await worker(iter(range(n)))
        return
    remaining = iter(range(n))  # shared: each worker takes the next request to send
    await asyncio.gather(*(worker(remaining) for _ in range(min(c, n))))


async def drive_batches(fetch: Fetch, n: int, c: int, latencies: list[float], keep: bool) -> None:
    """``asyncio.gather`` of ``c`` calls, batch after batch: the shape of a ``TaskQueue``
    of ``GatherTask``s."""
    results: list[Any] = []
    for start in range(0, n, c):
        size = min(c, n - start)
        results += await asyncio.gather(*(_timed(fetch, latencies, keep) for _ in range(size)))
    if not keep:
        results.clear()


async def drive_gather(fetch: Fetch, n: int, c: int, latencies: list[float], keep: bool) -> None:
    """One ``asyncio.gather`` of all ``n`` calls (the pool, of ``c``, bounds what is on the
    wire): the shape of one ``GatherTask``."""
    results = await asyncio.gather(*(_timed(fetch, latencies, keep) for _ in range(n)))
    results.clear()


Driver = Callable[[Fetch, int, int, list[float], bool], Awaitable[None]]


# --- the clients ---------------------------------------------------------------------------


class Client(ABC):
    """One row: sends the requests of a scenario N times at concurrency C."""

    name: ClassVar[str]
    baseline: ClassVar[str | None] = RAW
    """The raw aiohttp row this one is compared with (same shape)."""

    def __init__(self, options: Options) -> None:
        self.options = options

    def measures(self, c: int) -> bool:
        return True

    def baseline_at(self, c: int) -> str | None:
        return self.baseline

    @abstractmethod
    async def open(self, url: str) -> None: ...

    @abstractmethod
    def prepare(self, scenario: str, n: int, c: int, latencies: list[float]) -> Job:
        """Everything that happens before the clock starts; the returned job is timed and
        appends each request's latency (seconds) to ``latencies``."""

    @abstractmethod
    async def close(self) -> None: ...


class CallClient(Client):
    """A client driven one awaitable call per request (raw aiohttp and the peers)."""

    @abstractmethod
    def fetcher(self, scenario: str, c: int) -> Fetch: ...

    def driver(self) -> Driver:
        return drive_workers

    def prepare(self, scenario: str, n: int, c: int, latencies: list[float]) -> Job:
        fetch, keep, drive = self.fetcher(scenario, c), self.options.keep_results, self.driver()

        async def job() -> None:
            await drive(fetch, n, c, latencies, keep)

        return job


class RawAiohttp(CallClient):
    name = RAW
    baseline: ClassVar[str | None] = None

    async def open(self, url: str) -> None:
        self.url = url
        self.sessions: dict[int, aiohttp.ClientSession] = {}
        self.secret = API_SECRET.encode()
        self.key_header = {"X-MBX-APIKEY": API_KEY}

    def session(self, c: int) -> aiohttp.ClientSession:
        size = 100  # ``raw aiohttp gather`` overrides: its pool is what bounds concurrency
        session = self.sessions.get(size)
        if session is None:
            session = self.sessions[size] = new_session(size)
        return session

    def fetcher(self, scenario: str, c: int) -> Fetch:
        session, loads = self.session(c), self.options.loads
        url = self.url + PATHS[scenario]

        async def get(target: str | URL, headers: dict[str, str] | None = None) -> Any:
            async with session.get(target, headers=headers) as response:
                body = await response.read()
                if response.status != 200:
                    raise RuntimeError(f"HTTP {response.status}: {body[:200]!r}")
            return loads(body)

        if scenario != "account":
            return lambda: get(url)
        secret, key_header = self.secret, self.key_header

        async def account() -> Any:
            query = f"recvWindow={RECV_WINDOW}&timestamp={int(time.time() * 1000)}"
            signature = hmac.new(secret, query.encode(), hashlib.sha256).hexdigest()
            return await get(URL(f"{url}?{query}&signature={signature}", encoded=True), key_header)

        return account

    async def close(self) -> None:
        for session in self.sessions.values():
            await session.close()


def new_session(pool: int) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=pool))


class RawBatches(RawAiohttp):
    name = RAW_BATCHES
    baseline = RAW

    def driver(self) -> Driver:
        return drive_batches

    def measures(self, c: int) -> bool:
        return c > 1  # batches of one are raw aiohttp's own sequential run


class RawStdlibJson(RawAiohttp):
    """Raw aiohttp decoding with the standard library's ``json.loads``, run beside the other
    rows when they decode with orjson: the parsing goal compares aioca with orjson to it."""

    name = RAW_JSON
    baseline: ClassVar[str | None] = None

    def __init__(self, options: Options) -> None:
        super().__init__(Options(keep_results=options.keep_results, loads=json.loads))


class RawGather(RawAiohttp):
    name = RAW_GATHER
    baseline = RAW

    def driver(self) -> Driver:
        return drive_gather

    def session(self, c: int) -> aiohttp.ClientSession:
        session = self.sessions.get(c)
        if session is None:
            session = self.sessions[c] = new_session(c)
        return session


class _Timed(BaseTask):
    """Times ``run()`` of a catalog task, as the other rows time each request, and (unless
    results are kept) drops the result at once, as the other rows do."""

    sink: ClassVar[list[float]] = []
    keep: ClassVar[bool] = False

    async def run(self) -> Any:
        started = time.perf_counter()
        value = await super().run()
        _Timed.sink.append(time.perf_counter() - started)
        if _Timed.keep:
            return value
        self._result = None  # (and None to a GatherTask, which would keep it too)
        return None


class TimedTicker(_Timed, CoinMFetchTicker):
    pass


class TimedKline(_Timed, CoinMFetchKline):
    pass


class TimedAccount(_Timed, CoinMAccountInformation):
    pass


def aioca_task(scenario: str, api: BinanceRestApi) -> BinanceTask:
    if scenario == "ticker":
        return TimedTicker(api=api, symbol=SYMBOL)
    if scenario == "klines":
        return TimedKline(api=api, symbol=SYMBOL, interval="1m", limit=KLINES_LIMIT)
    return TimedAccount(api=api)


class AiocaClient(Client):
    build_seconds: dict[str, list[float]]
    """Seconds spent building each task (untimed), per scenario: reported on its own."""

    def __init__(self, options: Options) -> None:
        super().__init__(options)
        self.build_seconds = {}
        self.apis: dict[int, BinanceRestApi] = {}

    async def open(self, url: str) -> None:
        self.url = url

    def api(self, c: int) -> BinanceRestApi:
        size = self.pool(c)
        api = self.apis.get(size)
        if api is None:
            api = self.apis[size] = BinanceRestApi(
                API_KEY,
                API_SECRET,
                urls={"coinm": self.url},
                rate_limiter=RateLimiter([]),
                json_loads=self.options.loads,
                connection_limit=size,
            )
        return api

    def pool(self, c: int) -> int:
        return 100

    def tasks(self, scenario: str, n: int, c: int, latencies: list[float]) -> list[BaseTask]:
        api = self.api(c)
        started = time.perf_counter()
        tasks: list[BaseTask] = [aioca_task(scenario, api) for _ in range(n)]
        self.build_seconds.setdefault(scenario, []).append((time.perf_counter() - started) / n)
        return tasks

    def job(self, operator: TaskOperator, latencies: list[float]) -> Job:
        keep = self.options.keep_results

        async def job() -> None:
            _Timed.sink, _Timed.keep = latencies, keep
            await operator.arun()

        return job

    async def close(self) -> None:
        for api in self.apis.values():
            await api.close()


class AiocaOperator(AiocaClient):
    name = OPERATOR

    def baseline_at(self, c: int) -> str | None:
        return RAW if c == 1 else RAW_BATCHES

    def prepare(self, scenario: str, n: int, c: int, latencies: list[float]) -> Job:
        tasks = self.tasks(scenario, n, c, latencies)
        if c == 1:
            queue = TaskQueue(*tasks)
        else:
            queue = TaskQueue(*(GatherTask(*tasks[i : i + c]) for i in range(0, n, c)))
        return self.job(TaskOperator(queue), latencies)


class AiocaGather(AiocaClient):
    name = GATHER
    baseline = RAW_GATHER

    def pool(self, c: int) -> int:
        return c

    def prepare(self, scenario: str, n: int, c: int, latencies: list[float]) -> Job:
        gather = GatherTask(*self.tasks(scenario, n, c, latencies))
        return self.job(TaskOperator().run_single_task(gather), latencies)


class PythonBinance(CallClient):
    name = "python-binance"
    module = "binance"

    async def open(self, url: str) -> None:
        from binance.async_client import AsyncClient

        self.client = AsyncClient(API_KEY, API_SECRET)
        self.client.FUTURES_COIN_URL = url + "/dapi"

    def fetcher(self, scenario: str, c: int) -> Fetch:
        client = self.client
        if scenario == "ticker":
            return lambda: client.futures_coin_symbol_ticker(symbol=SYMBOL)
        if scenario == "klines":
            return lambda: client.futures_coin_klines(
                symbol=SYMBOL, interval="1m", limit=KLINES_LIMIT
            )
        return lambda: client.futures_coin_account(recvWindow=RECV_WINDOW)

    async def close(self) -> None:
        await self.client.close_connection()


class Ccxt(CallClient):
    name = "ccxt implicit"
    module = "ccxt"

    async def open(self, url: str) -> None:
        import ccxt.async_support as ccxt_async

        exchange = ccxt_async.binancecoinm(
            {"apiKey": API_KEY, "secret": API_SECRET, "enableRateLimit": False}
        )
        production = "https://dapi.binance.com"
        for name, base in list(exchange.urls["api"].items()):
            if isinstance(base, str) and base.startswith(production):
                exchange.urls["api"][name] = url + base[len(production) :]
        self.exchange = exchange

    def fetcher(self, scenario: str, c: int) -> Fetch:
        exchange = self.exchange
        if scenario == "ticker":
            return lambda: exchange.dapiPublicGetTickerPrice({"symbol": SYMBOL})
        if scenario == "klines":
            params = {"symbol": SYMBOL, "interval": "1m", "limit": KLINES_LIMIT}
            return lambda: exchange.dapiPublicGetKlines(params)
        return lambda: exchange.dapiPrivateGetAccount({"recvWindow": RECV_WINDOW})

    async def close(self) -> None:
        await self.exchange.close()


PEERS: tuple[type[PythonBinance] | type[Ccxt], ...] = (PythonBinance, Ccxt)
ROWS: tuple[type[Client], ...] = (RawAiohttp, RawBatches, RawGather, AiocaOperator, AiocaGather)


def installed(module: str) -> bool:
    # The peers' own imports may warn (python-binance 1.0.37 uses a deprecated websockets
    # name): not ours to fix, and the smoke test runs this script with -W error.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            __import__("ccxt.async_support" if module == "ccxt" else module)
        except ImportError:
            return False
    return True


# --- measuring -----------------------------------------------------------------------------


def freeze_heap() -> None:
    """Move every object alive now (modules, clients, their caches) out of the collector's
    reach, so that what a garbage collection costs during a round is the garbage of the
    requests, not the size of whatever libraries happen to be imported: ccxt alone adds
    about a million objects, which made every row's full collections several times
    slower when the peers were installed."""
    gc.collect()
    gc.freeze()


class GcClock:
    """CPU time spent in garbage collection, from ``gc.callbacks``."""

    def __init__(self) -> None:
        self.total = 0.0
        self._started = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.thread_time()
        else:
            self.total += time.thread_time() - self._started


GC = GcClock()


@dataclass
class Sample:
    """One measured run of N requests."""

    wall: float
    cpu: float
    gc: float
    latencies: list[float]
    server_requests: int
    server_cpu: float

    @property
    def requests(self) -> int:
        return len(self.latencies)


@dataclass
class Row:
    scenario: str
    concurrency: int
    client: str
    baseline: str | None
    requests: int
    samples: list[Sample] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return statistics.median(s.requests / s.wall for s in self.samples)

    @property
    def cpu_us(self) -> float:
        return statistics.median(s.cpu / s.requests * 1e6 for s in self.samples)

    @property
    def gc_us(self) -> float:
        return statistics.median(s.gc / s.requests * 1e6 for s in self.samples)

    def latency_ms(self, p: float) -> float:
        return statistics.median(percentile(s.latencies, p) * 1000 for s in self.samples)

    @property
    def server_us(self) -> float:
        return statistics.median(
            s.server_cpu / max(1, s.server_requests) * 1e6 for s in self.samples
        )

    @property
    def server_busy(self) -> float:
        return statistics.median(s.server_cpu / s.wall for s in self.samples)


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (``p`` in 0..100) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


async def measure(client: Client, url: str, scenario: str, n: int, c: int) -> Sample:
    # C untimed requests first, so that the pool has its C connections open (an idle
    # pooled connection is closed after 15 s, and the other rows ran meanwhile).
    await client.prepare(scenario, c, c, [])()
    latencies: list[float] = []
    job = client.prepare(scenario, n, c, latencies)
    gc.collect()
    requests_before, server_before = server_stats(url)
    gc_before = GC.total
    wall, cpu = time.perf_counter(), time.process_time()
    await job()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    collecting = GC.total - gc_before
    requests_after, server_after = server_stats(url)
    del job  # the results and tasks go now, outside the timed part
    if len(latencies) != n:
        raise RuntimeError(f"{client.name} {scenario}: {len(latencies)} of {n} requests timed")
    return Sample(
        wall,
        cpu,
        collecting,
        latencies,
        requests_after - requests_before,
        server_after - server_before,
    )


def requests_for(args: argparse.Namespace, c: int) -> int:
    return int(args.requests_c1 if c == 1 else args.requests)


def warmup_requests(args: argparse.Namespace, c: int) -> int:
    return min(requests_for(args, c), max(4 * c, 100))


async def open_clients(
    url: str, options: Options, kinds: Sequence[type[Client]], peers: bool
) -> tuple[list[Client], list[str]]:
    clients: list[Client] = [kind(options) for kind in kinds]
    notes = []
    for peer in PEERS if peers else ():
        if installed(peer.module):
            clients.append(peer(options))
        else:
            notes.append(f"{peer.name}: {peer.module} not installed ({BENCH_HINT})")
    opened: list[Client] = []
    for client in clients:
        try:
            await client.open(url)
        except Exception as exc:
            if not isinstance(client, PEERS):
                raise
            notes.append(f"{client.name} skipped: {type(exc).__name__}: {exc}")
            continue
        opened.append(client)
    return opened, notes


async def benchmark(
    args: argparse.Namespace, url: str, options: Options
) -> tuple[list[Row], list[str], dict[str, float]]:
    kinds = ROWS + ((RawStdlibJson,) if args.decoder == "orjson" else ())
    clients, notes = await open_clients(url, options, kinds, peers=args.peers)
    try:
        # Warm-up: connections, code paths, aioca's clock sync; a peer failing here is dropped.
        for scenario in args.scenarios:
            for c in args.concurrency:
                for client in list(clients):
                    if not client.measures(c):
                        continue
                    try:
                        await measure(client, url, scenario, warmup_requests(args, c), c)
                    except Exception as exc:
                        if not isinstance(client, PEERS):
                            raise
                        notes.append(f"{client.name} skipped: {type(exc).__name__}: {exc}")
                        clients.remove(client)
                        await client.close()
        for client in clients:
            if isinstance(client, AiocaClient):
                client.build_seconds.clear()
        freeze_heap()
        rows = {
            (scenario, c, client.name): Row(
                scenario, c, client.name, client.baseline_at(c), requests_for(args, c)
            )
            for scenario in args.scenarios
            for c in args.concurrency
            for client in clients
            if client.measures(c)
        }
        for number in range(args.rounds):  # interleaved: every row once, then again
            shift = number % len(clients)  # and the row that goes first rotates
            for scenario in args.scenarios:
                for c in args.concurrency:
                    for client in clients[shift:] + clients[:shift]:
                        if client.measures(c):
                            sample = await measure(client, url, scenario, requests_for(args, c), c)
                            rows[scenario, c, client.name].samples.append(sample)
        build: dict[str, float] = {}
        for client in clients:
            if isinstance(client, AiocaOperator):
                build = {s: statistics.median(v) * 1e6 for s, v in client.build_seconds.items()}
        order = {client.name: index for index, client in enumerate(clients)}
        ordered = sorted(
            rows.values(),
            key=lambda r: (SCENARIOS.index(r.scenario), r.concurrency, order[r.client]),
        )
        return ordered, notes, build
    finally:
        for client in clients:
            await client.close()


# --- reporting -----------------------------------------------------------------------------


def find(rows: list[Row], scenario: str, c: int, client: str | None) -> Row | None:
    for row in rows:
        if (row.scenario, row.concurrency, row.client) == (scenario, c, client):
            return row
    return None


@dataclass
class Goal:
    text: str
    client: str
    scenario: str
    value: float | None
    passed: bool | None

    def line(self) -> str:
        verdict = {True: "PASS", False: "FAIL", None: "SKIP"}[self.passed]
        return f"{verdict} {self.text}"


def goals(rows: list[Row], scenarios: Sequence[str]) -> list[Goal]:
    c = GOAL_CONCURRENCY
    result = []
    for client in AIOCA_ROWS:
        for scenario in scenarios:
            row = find(rows, scenario, c, client)
            base = find(rows, scenario, c, row.baseline) if row is not None else None
            versus = f"{base.client}" if base is not None else "raw aiohttp"
            workers = find(rows, scenario, c, RAW)
            if scenario in GOAL_CPU_SCENARIOS:
                what = (
                    f"{client} CPU/request at c={c}, {scenario}: <= +{GOAL_CPU_US:.0f} us "
                    f"over {versus}"
                )
                if row is None or base is None:
                    result.append(Goal(f"{what}: not measured", client, scenario, None, None))
                else:
                    delta = row.cpu_us - base.cpu_us
                    text = f"{what}: {delta:+.1f} us ({row.cpu_us:.1f} vs {base.cpu_us:.1f}"
                    if workers is not None and workers is not base:
                        text += f"; {row.cpu_us - workers.cpu_us:+.1f} us over {RAW} workers"
                    text += ")"
                    result.append(Goal(text, client, scenario, delta, delta <= GOAL_CPU_US))
            what = f"{client} req/s at c={c}, {scenario}: >= {GOAL_RATE}x {versus}"
            if row is None or base is None:
                result.append(Goal(f"{what}: not measured", client, scenario, None, None))
            else:
                ratio = row.rate / base.rate
                text = f"{what}: {ratio:.2f}x ({row.rate:.0f} vs {base.rate:.0f}"
                if workers is not None and workers is not base:
                    text += f"; {row.rate / workers.rate:.2f}x {RAW} workers"
                text += ")"
                result.append(Goal(text, client, scenario, ratio, ratio >= GOAL_RATE))
    if "klines" in scenarios and any(r.client == RAW_JSON for r in rows):
        for c in sorted({r.concurrency for r in rows}):
            base = find(rows, "klines", c, RAW_JSON)
            row = find(rows, "klines", c, OPERATOR)
            if base is None or row is None:
                continue
            ratio = row.rate / base.rate
            text = (
                f"{OPERATOR} req/s at c={c}, klines, orjson: above {RAW_JSON} (json.loads): "
                f"{ratio:.2f}x ({row.rate:.0f} vs {base.rate:.0f})"
            )
            result.append(Goal(text, OPERATOR, "klines", ratio, ratio > 1.0))
    return result


SHORT = {RAW: "raw", RAW_BATCHES: "batches", RAW_GATHER: "gather", RAW_JSON: "raw json"}
HEADER = (
    f"{'scenario':<9}{'c':>4}  {'client':<21}{'req/s':>7}{'cpu us':>8}{'gc us':>7}"
    f"{'p50 ms':>8}{'p99 ms':>8}{'server':>7}  {'vs':<8}{'x req/s':>7}{'+cpu us':>8}"
)


def table_line(row: Row, base: Row | None) -> str:
    line = (
        f"{row.scenario:<9}{row.concurrency:>4}  {row.client:<21}{row.rate:>7.0f}"
        f"{row.cpu_us:>8.1f}{row.gc_us:>7.1f}{row.latency_ms(50):>8.2f}"
        f"{row.latency_ms(99):>8.2f}{row.server_busy:>7.0%}"
    )
    if base is None:
        return line
    return (
        f"{line}  {SHORT.get(base.client, base.client):<8}{row.rate / base.rate:>7.2f}"
        f"{row.cpu_us - base.cpu_us:>+8.1f}"
    )


def settings(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "requests": args.requests,
        "requests_c1": args.requests_c1,
        "rounds": args.rounds,
        "concurrency": list(args.concurrency),
        "scenarios": list(args.scenarios),
        "keep_results": args.keep_results,
        "decoder": args.decoder,
        "loop": args.loop,
        "server": args.server,
    }


def environment() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "aiohttp": aiohttp.__version__,
        "aioca": aioca.__version__,
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
    }


def report_text(
    args: argparse.Namespace, rows: list[Row], notes: list[str], build: dict[str, float]
) -> list[Goal]:
    env = environment()
    print(
        f"Python {env['python']}, aiohttp {env['aiohttp']}, aioca {env['aioca']}, "
        f"{env['cpus']} CPUs; {args.loop} event loop; raw aiohttp and aioca decode with "
        f"{args.decoder}.loads; loopback server: {args.server} (its own process)"
    )
    print(
        f"N = {args.requests} requests at c>1, {args.requests_c1} at c=1; medians of "
        f"{args.rounds} interleaved rounds after a warm-up round"
    )
    print()
    print(HEADER)
    previous = None
    for row in rows:
        key = (row.scenario, row.concurrency)
        if previous is not None and key != previous:
            print()
        previous = key
        base = find(rows, row.scenario, row.concurrency, row.baseline)
        print(table_line(row, base))
    print()
    print("cpu us: client CPU time per request; gc us: the part of it collecting garbage")
    print("server: the server process's CPU time over the wall time (near 100 %: it capped req/s)")
    print(
        "vs: the raw aiohttp row in the same shape (raw: c workers; batches: gather of c, "
        "batch after batch; gather: one gather of N on a pool of c)"
    )
    if any(r.client == GATHER for r in rows):
        print(
            f"{GATHER} and {RAW_GATHER}: all N start at once on a pool of c connections; "
            "their latency includes the wait for a connection"
        )
    if build:
        parts = ", ".join(f"{s} {us:.1f} us" for s, us in build.items())
        print(f"building one aioca task (pydantic validation, not counted above): {parts}")
    for note in notes:
        print(note)
    print()
    result = goals(rows, args.scenarios)
    for goal in result:
        print(goal.line())
    return result


def report_json(
    args: argparse.Namespace, rows: list[Row], notes: list[str], build: dict[str, float]
) -> list[Goal]:
    result = goals(rows, args.scenarios)
    entries = []
    for row in rows:
        base = find(rows, row.scenario, row.concurrency, row.baseline)
        entries.append(
            {
                "scenario": row.scenario,
                "concurrency": row.concurrency,
                "client": row.client,
                "baseline": row.baseline,
                "requests": row.requests,
                "requests_per_s": row.rate,
                "cpu_us_per_request": row.cpu_us,
                "gc_us_per_request": row.gc_us,
                "p50_ms": row.latency_ms(50),
                "p99_ms": row.latency_ms(99),
                "server_cpu_us_per_request": row.server_us,
                "server_busy": row.server_busy,
                "rate_ratio_to_baseline": row.rate / base.rate if base else None,
                "cpu_us_over_baseline": row.cpu_us - base.cpu_us if base else None,
                "rounds": [
                    {
                        "requests_per_s": s.requests / s.wall,
                        "cpu_us_per_request": s.cpu / s.requests * 1e6,
                        "gc_us_per_request": s.gc / s.requests * 1e6,
                        "p50_ms": percentile(s.latencies, 50) * 1000,
                        "p99_ms": percentile(s.latencies, 99) * 1000,
                    }
                    for s in row.samples
                ],
            }
        )
    document = {
        "settings": settings(args),
        "environment": environment(),
        "results": entries,
        "aioca_task_build_us": build,
        "goals": [
            {
                "goal": goal.text,
                "client": goal.client,
                "scenario": goal.scenario,
                "value": goal.value,
                "passed": goal.passed,
            }
            for goal in result
        ],
        "notes": notes,
    }
    print(json.dumps(document, indent=2))
    return result


# --- profiling -----------------------------------------------------------------------------

LAYERS = (
    ("aioca core", ("/aioca/",)),
    ("aioca_binance", ("/aioca_binance/",)),
    ("benchmark (timing)", ("/benchmarks/",)),
    ("pydantic", ("/pydantic/", "/pydantic_core/")),
    ("aiohttp/yarl/multidict", ("/aiohttp/", "/yarl/", "/multidict/", "/propcache/")),
    ("asyncio", ("/asyncio/",)),
    ("json", ("/json/",)),
)


def layer(filename: str) -> str:
    for name, needles in LAYERS:
        if any(needle in filename for needle in needles):
            return name
    return "C builtins" if filename == "~" else "other Python"


def where(key: tuple[str, int, str]) -> str:
    filename, line, function = key
    if filename == "~":
        return function
    prefixes = [str(Path.cwd()), *sorted((p for p in sys.path if p), key=len, reverse=True)]
    for prefix in prefixes:
        if filename.startswith(prefix.rstrip("/") + "/"):
            filename = filename[len(prefix.rstrip("/")) + 1 :]
            break
    return f"{filename}:{line}({function})"


def print_top(stats: dict[Any, Any], n: int, index: int, title: str, top: int) -> None:
    print(title)
    print(f"{'calls/req':>10}{'own us/req':>12}{'cum us/req':>12}  function")
    ordered = sorted(stats.items(), key=lambda item: item[1][index], reverse=True)[:top]
    for key, (_cc, calls, own, cumulative, _callers) in ordered:
        print(
            f"{calls / n:>10.2f}{own / n * 1e6:>12.2f}{cumulative / n * 1e6:>12.2f}  {where(key)}"
        )
    print()


async def profile(args: argparse.Namespace, url: str, options: Options, top: int = 25) -> None:
    c = max(args.concurrency)
    n = requests_for(args, c)
    kinds: list[type[Client]] = [RawAiohttp if c == 1 else RawBatches, AiocaOperator]
    clients, _notes = await open_clients(url, options, kinds, peers=False)
    print(
        "cProfile, wall-clock timer: the profiler inflates every call (compare the layers, "
        "not the absolute numbers); a coroutine's calls count its resumptions; garbage "
        "collection is charged to whichever function allocated when it started"
    )
    print()
    try:
        for scenario in args.scenarios:
            by_layer: dict[str, dict[str, float]] = {}
            operator_stats: dict[Any, Any] = {}
            for client in clients:
                await measure(client, url, scenario, warmup_requests(args, c), c)
                freeze_heap()
                plain = await measure(client, url, scenario, n, c)
                await client.prepare(scenario, c, c, [])()
                job = client.prepare(scenario, n, c, [])
                gc.collect()
                profiler = cProfile.Profile()
                cpu, collecting = time.process_time(), GC.total
                profiler.enable()
                await job()
                profiler.disable()
                cpu, collecting = time.process_time() - cpu, GC.total - collecting
                del job
                stats: dict[Any, Any] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
                layers: dict[str, float] = {}
                for key, (_cc, _calls, own, _cumulative, _callers) in stats.items():
                    name = layer(key[0])
                    layers[name] = layers.get(name, 0.0) + own / n * 1e6
                by_layer[client.name] = layers
                if client.name == OPERATOR:
                    operator_stats = stats
                print(
                    f"{scenario}, c={c}, {client.name}: {plain.cpu / n * 1e6:.1f} us CPU per "
                    f"request ({plain.gc / n * 1e6:.1f} us collecting garbage), "
                    f"{cpu / n * 1e6:.1f} us under cProfile ({collecting / n * 1e6:.1f} us)"
                )
            print()
            print(f"own time per request by layer under cProfile, us ({scenario}, c={c}, N={n})")
            names = [name for name, _ in LAYERS] + ["C builtins", "other Python"]
            print(f"{'layer':<26}" + "".join(f"{client.name:>22}" for client in clients))
            for name in names:
                values = [by_layer[client.name].get(name, 0.0) for client in clients]
                print(f"{name:<26}" + "".join(f"{value:>22.1f}" for value in values))
            totals = [sum(by_layer[client.name].values()) for client in clients]
            print(f"{'total':<26}" + "".join(f"{value:>22.1f}" for value in totals))
            print()
            title = f"{OPERATOR}, {scenario}, c={c}"
            print_top(operator_stats, n, 3, f"{title}: top {top} by cumulative time", top)
            print_top(operator_stats, n, 2, f"{title}: top {top} by own time", top)
    finally:
        for client in clients:
            await client.close()


# --- main ----------------------------------------------------------------------------------


def positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive whole number, not {text}")
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--requests", type=positive_int, default=2000, help="requests per run at c>1"
    )
    parser.add_argument(
        "--requests-c1", type=positive_int, default=300, help="requests per run at c=1"
    )
    parser.add_argument("--rounds", type=positive_int, default=5, help="measured rounds")
    parser.add_argument(
        "--concurrency", type=positive_int, nargs="+", default=[1, 50], help="requests in flight"
    )
    parser.add_argument(
        "--scenarios", nargs="+", choices=SCENARIOS, default=list(SCENARIOS), metavar="SCENARIO"
    )
    parser.add_argument(
        "--keep-results", action="store_true", help="keep every result until the round ends"
    )
    parser.add_argument(
        "--decoder",
        choices=("json", "orjson"),
        default="json",
        help="JSON decoder of raw aiohttp and aioca (json.loads by default)",
    )
    parser.add_argument(
        "--loop", choices=("asyncio", "uvloop"), default="asyncio", help="the event loop"
    )
    parser.add_argument(
        "--server",
        choices=("asyncio", "aiohttp"),
        default="asyncio",
        help="the loopback server's HTTP implementation (loopback_server.py --http)",
    )
    parser.add_argument(
        "--no-peers",
        dest="peers",
        action="store_false",
        help="leave out python-binance and ccxt even when installed",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    parser.add_argument(
        "--profile", action="store_true", help="profile aioca (cProfile) instead of measuring"
    )
    args = parser.parse_args()
    args.concurrency = sorted(set(args.concurrency))
    args.scenarios = [s for s in SCENARIOS if s in args.scenarios]
    options = Options(keep_results=args.keep_results)
    loop_factory = None
    try:
        if args.decoder == "orjson":
            import orjson

            options.loads = orjson.loads
        if args.loop == "uvloop":
            import uvloop

            loop_factory = uvloop.new_event_loop
    except ImportError as exc:
        parser.error(f"{exc.name} is not installed (pip install aioca-core[fast])")
    with canned_server(args.server) as url, asyncio.Runner(loop_factory=loop_factory) as runner:
        if args.profile:
            runner.run(profile(args, url, options))
            return
        rows, notes, build = runner.run(benchmark(args, url, options))
    report = report_json if args.json else report_text
    result = report(args, rows, notes, build)
    if args.check and any(goal.passed is False for goal in result):
        sys.exit(1)


if __name__ == "__main__":
    main()
