"""What aioca costs in the code users write, against raw aiohttp and the peer libraries.

Every aioca row builds its catalog tasks inside the timed region, exactly as a user
writes them (``await CoinMFetchTicker(symbol="BTCUSD_PERP", api=api).run()``, a fresh task
per request), with no ``gc.freeze()``, ``gc.disable()`` or ``gc.collect()`` anywhere: the
garbage collector runs as it does in a user's program, and its share of the CPU time is
shown (``gc us``, from ``gc.callbacks``). ``throughput.py`` measures pre-built tasks with
the heap frozen, which users never get.

Each row runs in a process of its own, started once and kept for the whole run (warm, as
a long-running program is), so that one library's imports never slow another's garbage
collections; the parent process only orchestrates. Exactly one row measures at a time,
the others waiting on their standard input; every row of a (scenario, c) group runs once
per pass, the row that goes first rotating from pass to pass, and each figure is the
median over ``--passes`` interleaved passes (after one warm-up pass). Before each
measured run the row sends C untimed requests, so that its pool has its connections
open (the sync operator opens its own on every run, as users get it).

The server is ``loopback_server.py --canned`` in its own process (a minimal asyncio
HTTP/1.1 server answering canned Binance COIN-M and OKX v5 bodies, several times cheaper
per request than the client), and a second one that answers ``--delay-ms`` (50 ms) after
each request for the latency-bound case.

Scenarios (endpoints):

* ``ticker``: ``GET /dapi/v1/ticker/price?symbol=BTCUSD_PERP`` (a one-entry list);
* ``klines``: ``GET /dapi/v1/klines?symbol=BTCUSD_PERP&interval=1m&limit=500`` (about
  58 KB: what decoding costs);
* ``account``: the signed ``GET /dapi/v1/account`` (``recvWindow``, ``timestamp``,
  HMAC-SHA256 hex ``signature``, ``X-MBX-APIKEY``; about 7 KB, the signature not checked);
* ``okx-ticker``: ``GET /api/v5/market/ticker?instId=BTC-USDT`` in an OKX envelope;
* ``okx-balance``: the signed ``GET /api/v5/account/balance`` (the four ``OK-ACCESS-*``
  headers, base64 HMAC-SHA256 of ``timestamp + METHOD + requestPath + body``; 2.5 KB);
* ``latency``: the ticker against the server that sleeps ``--delay-ms`` per request,
  ``--latency-requests`` (200) at c = ``--latency-concurrency`` (100): wall time against
  the ideal (``ceil(200 / 100) * 50 ms``).

Shapes (rows):

* ``raw aiohttp``, the baseline of the worker shape: one ``ClientSession``
  (``TCPConnector(limit=100)``), C coroutines each sending its next request as soon as
  the last is answered; every answer's status checked and its body decoded with
  ``orjson.loads`` (``--decoder json``: ``json.loads``); signed requests signed by hand
  for every request; OKX envelopes' ``code`` checked and ``data`` returned.
* ``aioca fresh task``: the same C workers, each request
  ``await CoinMFetchTicker(symbol=..., api=api).run()`` (``CoinMFetchKline``,
  ``CoinMAccountInformation``, ``OkxFetchTicker``, ``OkxFetchBalance``) on one API object
  (``BinanceRestApi`` / ``OkxRestApi`` with ``urls=`` pointing at the server). Its latency
  includes building the task.
* ``python-binance`` (``AsyncClient``, ``futures_coin_*``) and ``ccxt implicit``
  (``binancecoinm`` / ``okx`` implicit methods, ``enableRateLimit=False``) in the worker
  shape. python-binance decodes with ``json.loads`` (aiohttp's ``response.json()``; it has
  no option for another decoder); ccxt with orjson whenever it is importable.
* ``aioca GatherTask`` against ``raw gather``: one ``GatherTask`` of N fresh tasks,
  ``await task.run()``, against one ``asyncio.gather`` of N requests; both on a pool of C
  connections (``connection_limit=C`` / ``TCPConnector(limit=C)``), which is what keeps C
  on the wire; both keep the N results until the run ends.
* ``aioca operator.run()`` against ``raw asyncio.run``: the synchronous operator,
  ``TaskOperator().add_queue(TaskQueue(...)).run()``, on a queue of N fresh tasks (c=1) or
  of N/C ``GatherTask``s of C fresh tasks (c>1), against ``asyncio.Runner().run()`` of a
  coroutine that opens a session, sends the same requests (one by one, or gathers of C,
  batch after batch) keeping the results, and closes it. Both run on the event loop aioca's
  operator picks (uvloop when installed and ``AIOCA_UVLOOP`` is not ``0``).

Rate limits: python-binance has no limiter and ccxt's is off; aioca's API objects get the
plugin's own windows (Binance's ``DEFAULT_WINDOWS``, OKX's per-endpoint windows) with
their limits raised so that no request ever waits: admission costs what it costs users,
the waiting is left out. A row whose limiter holds a window that could make it wait
stops the run.

Reported per row, each the median over the passes: req/s (wall clock); client CPU per
request (``time.process_time()`` of the row's process over the run / N, which includes
building the tasks) and the part collecting garbage; p50/p99 latency (worker shape only:
the GatherTask and operator rows offer no per-request timing without changing the code
measured); the server's CPU over the wall time (near 100 %: the server capped req/s); and
against the row's baseline (``vs``): req/s ratio and CPU difference in us, each the median
over the passes of the ratio (difference) with the baseline's run in the same pass, so that
two runs close in time are compared (on a shared machine, other tenants' load moves the
absolute figures from pass to pass far more than it moves these).

Also: peak RSS (``VmHWM``) of a fresh process running one ``GatherTask`` of
``--memory-tasks`` (1,000) klines tasks against raw aiohttp's ``asyncio.gather`` keeping
the same results, and of the same ``GatherTask`` consumed with ``as_completed()`` (each
result released once looked at, 100 at a time); and ``import aioca;
aioca.exchange("binance")`` against ``import aiohttp, pydantic, pluggy``
(``import_time.py``'s measurement, fresh interpreters, interleaved).

Goals (PASS/FAIL lines): the fresh-task worker shape within +10 us of raw aiohttp's CPU per
request for ticker and account (and the OKX ticker and balance) and at least 0.93x its
req/s; the GatherTask shape at least 0.9x raw gather; aioca ahead of python-binance and
ccxt (req/s and CPU per request) in every scenario; the import at most 1.15x.

``--compare-with DIR`` adds rows (``aioca before``) for the aioca imported from the source
tree DIR (its ``aioca`` and plugins put ahead of the installed ones on ``PYTHONPATH``), in
the worker and GatherTask shapes: a change measured against the code before it, in the same
interleaved run. ``USER_SHAPES_PROFILE_SAVE=PREFIX`` keeps ``--profile``'s raw profiles as
``PREFIX.<library>.pstats``.

``--profile`` measures nothing: it runs one row (``--profile-row``, by default the aioca
fresh-task workers) for one scenario under cProfile (``--profile-timer``: process CPU time
by default, so that other tenants' load is not charged to a socket send), after a warm-up,
and prints the time per request by layer beside its raw aiohttp baseline, and the top
functions by own and by cumulative time. For the worker shape it also takes the aioca row
apart, unprofiled: a fresh task per request, tasks built before the clock, one task per
worker run again and again, and building alone.

    python benchmarks/user_shapes.py [--passes 5] [--requests 2000] [--requests-c1 300]
        [--gather-requests 1000] [--concurrency 1 50] [--scenarios ...] [--shapes ...]
        [--parts throughput latency memory import] [--no-peers] [--decoder orjson|json]
        [--quick] [--json FILE] [--check] [--compare-with DIR]
    python benchmarks/user_shapes.py --profile [--profile-scenario ticker]
        [--profile-row workers|gather|sync] [--profile-concurrency 50]
        [--profile-timer cpu|wall] [--top 25]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import gc
import hashlib
import hmac
import json
import math
import os
import platform
import select
import shlex
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

# Only the standard library at the top: every row's process runs this file too, and must
# import nothing but the library it measures.

HERE = Path(__file__).resolve().parent
SERVER = HERE / "loopback_server.py"

SYMBOL = "BTCUSD_PERP"
INST_ID = "BTC-USDT"
KLINES_LIMIT = 500
API_KEY = "bench-api-key"
API_SECRET = "bench-api-secret"
PASSPHRASE = "bench-passphrase"
RECV_WINDOW = 5000
WIDE = 1_000_000_000
"""The limit of every window in aioca's limiters here: never reached, so never waited for."""

BINANCE_SCENARIOS = ("ticker", "klines", "account")
OKX_SCENARIOS = ("okx-ticker", "okx-balance")
SCENARIOS = (*BINANCE_SCENARIOS, *OKX_SCENARIOS)
LATENCY = "latency"
PATHS = {
    "ticker": f"/dapi/v1/ticker/price?symbol={SYMBOL}",
    "klines": f"/dapi/v1/klines?symbol={SYMBOL}&interval=1m&limit={KLINES_LIMIT}",
    "account": "/dapi/v1/account",
    "okx-ticker": f"/api/v5/market/ticker?instId={INST_ID}",
    "okx-balance": "/api/v5/account/balance",
}

RAW, AIOCA, PYTHON_BINANCE, CCXT = "raw", "aioca", "python-binance", "ccxt"
BEFORE = "aioca-before"
"""aioca imported from another source tree (``--compare-with``): a change's before and
after, measured in the same interleaved run."""
WORKERS, GATHER, SYNC = "workers", "gather", "sync"
SHAPES = (WORKERS, GATHER, SYNC)
PEERS = (PYTHON_BINANCE, CCXT)
PARTS = ("throughput", "latency", "memory", "import")

NAMES = {
    (RAW, WORKERS): "raw aiohttp",
    (AIOCA, WORKERS): "aioca fresh task",
    (PYTHON_BINANCE, WORKERS): "python-binance",
    (CCXT, WORKERS): "ccxt implicit",
    (RAW, GATHER): "raw gather",
    (AIOCA, GATHER): "aioca GatherTask",
    (RAW, SYNC): "raw asyncio.run",
    (AIOCA, SYNC): "aioca operator.run()",
    (BEFORE, WORKERS): "aioca before, fresh",
    (BEFORE, GATHER): "aioca before, Gather",
}
SHORT = {WORKERS: "raw", GATHER: "gather", SYNC: "run"}

GOAL_CPU_US = 10.0
GOAL_CPU_SCENARIOS = ("ticker", "account", "okx-ticker", "okx-balance")
GOAL_WORKER_RATE = 0.93
GOAL_GATHER_RATE = 0.9
GOAL_IMPORT = 1.15

Fetch = Callable[[], Awaitable[Any]]


def exchange_of(scenario: str) -> str:
    return "okx" if scenario.startswith("okx") else "binance"


def endpoint_of(scenario: str) -> str:
    """The request a scenario sends (the latency case sends the ticker)."""
    return "ticker" if scenario == LATENCY else scenario


# === the rows' processes ==================================================================


class GcClock:
    """CPU time spent collecting garbage, from ``gc.callbacks`` (it changes nothing about
    when or how collections run)."""

    def __init__(self) -> None:
        self.total = 0.0
        self.collections = 0
        self._started = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.thread_time()
        else:
            self.total += time.thread_time() - self._started
            self.collections += 1


def check_answer(scenario: str, value: Any) -> None:
    """Whether a client's answer is the canned one (checked on untimed requests only)."""
    text = repr(value)
    endpoint = endpoint_of(scenario)
    if endpoint == "klines":
        ok = isinstance(value, list) and len(value) == KLINES_LIMIT
    else:
        marker = {
            "ticker": "64250.1",
            "account": "canTrade",
            "okx-ticker": "64250.1",
            "okx-balance": "totalEq",
        }[endpoint]
        ok = marker in text
    if not ok:
        raise RuntimeError(f"{scenario}: unexpected answer {text[:200]}")


def sync_runner() -> asyncio.Runner:
    """The event loop aioca's synchronous operator picks (``aioca.taskoperator``): uvloop's
    when installed and not turned off with ``AIOCA_UVLOOP=0``; the raw rows of the sync
    shape use the same, so that the loop is not what differs."""
    if os.environ.get("AIOCA_UVLOOP", "1") != "0":
        try:
            import uvloop
        except ImportError:
            pass
        else:
            return asyncio.Runner(loop_factory=uvloop.new_event_loop)
    return asyncio.Runner()


def sync_loop_name() -> str:
    return "uvloop" if _has_uvloop() else "asyncio"


def _has_uvloop() -> bool:
    if os.environ.get("AIOCA_UVLOOP", "1") == "0":
        return False
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return False
    return True


class Client:
    """One library in one row's process: sends a scenario's request in every shape."""

    decoder = "?"

    def __init__(self, exchange: str, decoder: str, servers: dict[str, str]) -> None:
        self.exchange = exchange
        self.servers = servers
        self.decoder_option = decoder

    def url(self, scenario: str) -> str:
        return self.servers["delay" if scenario == LATENCY else "main"]

    async def fetcher(self, scenario: str, pool: int) -> Fetch:
        """One request, as the library's user sends it (for aioca: a fresh task's run)."""
        raise NotImplementedError

    async def gather(self, scenario: str, n: int, pool: int) -> Any:
        raise NotImplementedError

    def sync(self, scenario: str, n: int, c: int) -> Any:
        """The synchronous shape: one whole run on a loop of its own; returns the first
        result (checked on untimed runs)."""
        raise NotImplementedError

    async def prime_gather(self, scenario: str, c: int) -> Any:
        """C untimed requests in the gather shape's own pool (its connections opened)."""
        raise NotImplementedError

    async def close(self) -> None:
        pass


def okx_timestamp(ms: int) -> str:
    """OKX's ``OK-ACCESS-TIMESTAMP``: ISO 8601, UTC, milliseconds (``...T09:08:57.715Z``)."""
    seconds, millis = divmod(ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"


class RawClient(Client):
    """aiohttp by hand: what every other row is compared with."""

    def __init__(self, exchange: str, decoder: str, servers: dict[str, str]) -> None:
        super().__init__(exchange, decoder, servers)
        import aiohttp

        self.aiohttp = aiohttp
        if decoder == "orjson":
            import orjson

            self.loads: Callable[[bytes], Any] = orjson.loads
            self.decoder = "orjson.loads"
        else:
            self.loads = json.loads
            self.decoder = "json.loads"
        self.sessions: dict[int, Any] = {}
        self.secret = API_SECRET.encode()

    def session(self, pool: int) -> Any:
        session = self.sessions.get(pool)
        if session is None:
            connector = self.aiohttp.TCPConnector(limit=pool)
            session = self.sessions[pool] = self.aiohttp.ClientSession(connector=connector)
        return session

    def op(self, scenario: str, session: Any) -> Fetch:
        """One request of ``scenario`` on ``session``."""
        endpoint, loads, secret = endpoint_of(scenario), self.loads, self.secret
        target = self.url(scenario) + PATHS[endpoint]

        if endpoint in ("ticker", "klines"):

            async def get() -> Any:
                async with session.get(target) as response:
                    body = await response.read()
                    if response.status != 200:
                        raise RuntimeError(f"HTTP {response.status}: {body[:200]!r}")
                return loads(body)

            return get
        if endpoint == "account":
            from yarl import URL

            key_header = {"X-MBX-APIKEY": API_KEY}

            async def account() -> Any:
                query = f"recvWindow={RECV_WINDOW}&timestamp={int(time.time() * 1000)}"
                signature = hmac.new(secret, query.encode(), hashlib.sha256).hexdigest()
                url = URL(f"{target}?{query}&signature={signature}", encoded=True)
                async with session.get(url, headers=key_header) as response:
                    body = await response.read()
                    if response.status != 200:
                        raise RuntimeError(f"HTTP {response.status}: {body[:200]!r}")
                return loads(body)

            return account

        def data(body: bytes) -> Any:
            payload = loads(body)
            if payload.get("code") != "0":
                raise RuntimeError(f"OKX code {payload.get('code')}: {payload.get('msg')}")
            return payload["data"]

        if endpoint == "okx-ticker":

            async def okx_ticker() -> Any:
                async with session.get(target) as response:
                    body = await response.read()
                    if response.status != 200:
                        raise RuntimeError(f"HTTP {response.status}: {body[:200]!r}")
                return data(body)

            return okx_ticker
        request_path = PATHS[endpoint]

        async def okx_balance() -> Any:
            timestamp = okx_timestamp(int(time.time() * 1000))
            prehash = f"{timestamp}GET{request_path}"
            digest = hmac.new(secret, prehash.encode(), hashlib.sha256).digest()
            headers = {
                "OK-ACCESS-KEY": API_KEY,
                "OK-ACCESS-SIGN": base64.b64encode(digest).decode(),
                "OK-ACCESS-TIMESTAMP": timestamp,
                "OK-ACCESS-PASSPHRASE": PASSPHRASE,
            }
            async with session.get(target, headers=headers) as response:
                body = await response.read()
                if response.status != 200:
                    raise RuntimeError(f"HTTP {response.status}: {body[:200]!r}")
            return data(body)

        return okx_balance

    async def fetcher(self, scenario: str, pool: int) -> Fetch:
        return self.op(scenario, self.session(pool))

    async def gather(self, scenario: str, n: int, pool: int) -> Any:
        fetch = self.op(scenario, self.session(pool))
        results = await asyncio.gather(*(fetch() for _ in range(n)))
        return len(results)

    async def prime_gather(self, scenario: str, c: int) -> Any:
        fetch = self.op(scenario, self.session(c))
        return await asyncio.gather(*(fetch() for _ in range(c)))

    def sync(self, scenario: str, n: int, c: int) -> Any:
        aiohttp = self.aiohttp

        async def run() -> list[Any]:
            results: list[Any] = []
            connector = aiohttp.TCPConnector(limit=100)
            async with aiohttp.ClientSession(connector=connector) as session:
                fetch = self.op(scenario, session)
                if c == 1:
                    for _ in range(n):
                        results.append(await fetch())
                else:
                    for _ in range(n // c):
                        results.append(await asyncio.gather(*(fetch() for _ in range(c))))
            return results

        with sync_runner() as runner:
            results = runner.run(run())
        return results[0] if c == 1 else results[0][0]

    async def close(self) -> None:
        for session in self.sessions.values():
            await session.close()


class AiocaClient(Client):
    """aioca's catalog tasks, a fresh one per request, on one API object per pool size."""

    def __init__(self, exchange: str, decoder: str, servers: dict[str, str]) -> None:
        super().__init__(exchange, decoder, servers)
        import aioca

        self.aioca = aioca
        self.apis: dict[tuple[str, int], Any] = {}
        self.options: dict[str, Any] = {}
        if decoder == "json":
            self.options["json_loads"] = json.loads
        if exchange == "binance":
            from aioca_binance.coinm import (
                CoinMAccountInformation,
                CoinMFetchKline,
                CoinMFetchTicker,
            )

            self.tasks: dict[str, Callable[..., Any]] = {
                "ticker": lambda api: CoinMFetchTicker(symbol=SYMBOL, api=api),
                "klines": lambda api: CoinMFetchKline(
                    symbol=SYMBOL, interval="1m", limit=KLINES_LIMIT, api=api
                ),
                "account": lambda api: CoinMAccountInformation(api=api),
            }
        else:
            from aioca_okx.v5 import OkxFetchBalance, OkxFetchTicker

            self.tasks = {
                "okx-ticker": lambda api: OkxFetchTicker(instId=INST_ID, api=api),
                "okx-balance": lambda api: OkxFetchBalance(api=api),
            }
        api = self.api("main", 100)
        loads = api.json_loads
        self.decoder = f"{getattr(loads, '__module__', '?')}.{getattr(loads, '__name__', '?')}"

    def api(self, server: str, pool: int) -> Any:
        api = self.apis.get((server, pool))
        if api is not None:
            return api
        from aioca import RateLimiter, Window

        url = self.servers[server]
        if self.exchange == "binance":
            from aioca_binance import BinanceRestApi
            from aioca_binance.api import DEFAULT_WINDOWS

            windows = [_widened(window, Window) for window in DEFAULT_WINDOWS]
            api = BinanceRestApi(
                API_KEY,
                API_SECRET,
                urls={"coinm": url},
                rate_limiter=RateLimiter(windows),
                connection_limit=pool,
                **self.options,
            )
        else:
            from aioca_okx import ORDER_RATE_WINDOW, OkxRestApi
            from aioca_okx.v5 import OkxFetchBalance, OkxFetchTicker

            # OKX adds a window per endpoint to a limiter on first use, unless it has one
            # of that name already: give it one, as wide as the others.
            public = [
                Window(unit, WIDE, OkxFetchTicker.endpoint.rate_limit.seconds)
                for unit in OkxFetchTicker.endpoint.costs({"instId": INST_ID})
            ]
            private = [_widened(ORDER_RATE_WINDOW, Window)] + [
                Window(unit, WIDE, OkxFetchBalance.endpoint.rate_limit.seconds)
                for unit in OkxFetchBalance.endpoint.costs({})
            ]
            api = OkxRestApi(
                API_KEY,
                API_SECRET,
                PASSPHRASE,
                urls={"rest": url},
                rate_limiter=RateLimiter(public),
                user_rate_limiter=RateLimiter(private),
                connection_limit=pool,
                **self.options,
            )
        self.apis[server, pool] = api
        return api

    def check_limiters(self) -> None:
        """Stop if a limiter holds a window that could make a request wait."""
        for api in self.apis.values():
            for host, status in api.rate_limit_status().items():
                narrow = [w.name for w in status if w.limit < WIDE]
                if narrow:
                    raise RuntimeError(
                        f"aioca's limiter for {host} has windows {narrow} that could make "
                        "requests wait: the benchmark would measure the limiter"
                    )

    def maker(self, scenario: str, pool: int) -> Callable[[], Any]:
        server = "delay" if scenario == LATENCY else "main"
        api, build = self.api(server, pool), self.tasks[endpoint_of(scenario)]
        return lambda: build(api)

    async def fetcher(self, scenario: str, pool: int) -> Fetch:
        make = self.maker(scenario, pool)

        async def fetch() -> Any:
            return await make().run()  # what a user writes: a fresh task, awaited

        return fetch

    async def gather(self, scenario: str, n: int, pool: int) -> Any:
        make = self.maker(scenario, pool)
        task = self.aioca.GatherTask(*(make() for _ in range(n)))
        return len(await task.run())

    async def prime_gather(self, scenario: str, c: int) -> Any:
        make = self.maker(scenario, c)
        return await self.aioca.GatherTask(*(make() for _ in range(c))).run()

    async def consume_as_completed(self, scenario: str, n: int, pool: int) -> int:
        """One GatherTask of N fresh tasks consumed as its children finish, each result
        released once looked at: what a user who stores each page and moves on writes."""
        make = self.maker(scenario, pool)
        gather = self.aioca.GatherTask(*(make() for _ in range(n)))
        finished = gather.as_completed(concurrency=pool)  # as many as the pool's connections
        return sum([1 async for task in finished if task.result])

    def sync(self, scenario: str, n: int, c: int) -> Any:
        aioca, make = self.aioca, self.maker(scenario, 100)
        if c == 1:
            queue = aioca.TaskQueue(*(make() for _ in range(n)))
        else:
            queue = aioca.TaskQueue(
                *(aioca.GatherTask(*(make() for _ in range(c))) for _ in range(n // c))
            )
        aioca.TaskOperator().add_queue(queue).run()
        first = queue.tasks[0].result
        return first if c == 1 else first[0]

    async def close(self) -> None:
        for api in self.apis.values():
            await api.close()


def _widened(window: Any, kind: Any) -> Any:
    return kind(window.name, WIDE, window.seconds, header=window.header, unit=window.unit)


def _quiet_import(name: str) -> Any:
    """Import a peer library; its own imports may warn (python-binance 1.0.37 uses a
    deprecated websockets name): not ours to fix, and the smoke test runs with -W error."""
    import importlib

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return importlib.import_module(name)


class PythonBinanceClient(Client):
    decoder = "json.loads (aiohttp response.json(); python-binance has no decoder option)"

    def __init__(self, exchange: str, decoder: str, servers: dict[str, str]) -> None:
        super().__init__(exchange, decoder, servers)
        # binance-futures-connector's empty binance/__init__.py can shadow the package:
        # the module, not the package's top level.
        self.module = _quiet_import("binance.async_client")
        self.clients: dict[str, Any] = {}

    def client(self, scenario: str) -> Any:
        url = self.url(scenario)
        client = self.clients.get(url)
        if client is None:
            client = self.clients[url] = self.module.AsyncClient(API_KEY, API_SECRET)
            client.FUTURES_COIN_URL = url + "/dapi"
        return client

    async def fetcher(self, scenario: str, pool: int) -> Fetch:
        client, endpoint = self.client(scenario), endpoint_of(scenario)
        if endpoint == "ticker":
            return lambda: client.futures_coin_symbol_ticker(symbol=SYMBOL)
        if endpoint == "klines":
            return lambda: client.futures_coin_klines(
                symbol=SYMBOL, interval="1m", limit=KLINES_LIMIT
            )
        return lambda: client.futures_coin_account(recvWindow=RECV_WINDOW)

    async def close(self) -> None:
        for client in self.clients.values():
            await client.close_connection()


class CcxtClient(Client):
    def __init__(self, exchange: str, decoder: str, servers: dict[str, str]) -> None:
        super().__init__(exchange, decoder, servers)
        self.module = _quiet_import("ccxt.async_support")
        base = _quiet_import("ccxt.base.exchange")
        parser = getattr(base, "json_parser", None)
        self.decoder = f"{getattr(parser, '__name__', '?')}.loads (ccxt's own choice)"
        self.exchanges: dict[str, Any] = {}

    def client(self, scenario: str) -> Any:
        url = self.url(scenario)
        exchange = self.exchanges.get(url)
        if exchange is not None:
            return exchange
        config = {"apiKey": API_KEY, "secret": API_SECRET, "enableRateLimit": False}
        if self.exchange == "binance":
            exchange = self.module.binancecoinm(config)
            production = "https://dapi.binance.com"
            for name, base in list(exchange.urls["api"].items()):
                if isinstance(base, str) and base.startswith(production):
                    exchange.urls["api"][name] = url + base[len(production) :]
        else:
            exchange = self.module.okx({**config, "password": PASSPHRASE})
            exchange.urls["api"]["rest"] = url
        self.exchanges[url] = exchange
        return exchange

    async def fetcher(self, scenario: str, pool: int) -> Fetch:
        exchange, endpoint = self.client(scenario), endpoint_of(scenario)
        if endpoint == "ticker":
            return lambda: exchange.dapiPublicGetTickerPrice({"symbol": SYMBOL})
        if endpoint == "klines":
            params = {"symbol": SYMBOL, "interval": "1m", "limit": KLINES_LIMIT}
            return lambda: exchange.dapiPublicGetKlines(params)
        if endpoint == "account":
            return lambda: exchange.dapiPrivateGetAccount({"recvWindow": RECV_WINDOW})

        def data(envelope: Any) -> Any:  # implicit methods return the whole envelope
            if envelope.get("code") != "0":
                raise RuntimeError(f"OKX code {envelope.get('code')}")
            return envelope["data"]

        if endpoint == "okx-ticker":

            async def ticker() -> Any:
                return data(await exchange.publicGetMarketTicker({"instId": INST_ID}))

            return ticker

        async def balance() -> Any:
            return data(await exchange.privateGetAccountBalance())

        return balance

    async def close(self) -> None:
        for exchange in self.exchanges.values():
            await exchange.close()


CLIENTS: dict[str, type[Client]] = {
    RAW: RawClient,
    AIOCA: AiocaClient,
    BEFORE: AiocaClient,
    PYTHON_BINANCE: PythonBinanceClient,
    CCXT: CcxtClient,
}


async def drive_workers(fetch: Fetch, n: int, c: int, latencies: list[float]) -> None:
    """``n`` calls of ``fetch`` by ``c`` coroutines, each sending its next request as soon
    as its last one is answered; the answer is dropped at once."""
    clock = time.perf_counter

    async def worker(requests: Iterator[int]) -> None:
        for _ in requests:
            started = clock()
            await fetch()
            latencies.append(clock() - started)

    if c == 1:
        await worker(iter(range(n)))
        return
    remaining = iter(range(n))  # shared: each worker takes the next request to send
    await asyncio.gather(*(worker(remaining) for _ in range(min(c, n))))


class RowProcess:
    """The worker side of a row: runs the parent's commands, one JSON line each."""

    def __init__(self, library: str, exchange: str, shape: str, client: Client) -> None:
        self.library, self.exchange, self.shape, self.client = library, exchange, shape, client
        self.gc = GcClock()

    async def prime(self, scenario: str, c: int) -> None:
        """C untimed requests, checked: the pool's connections open, the answers right."""
        if self.shape == GATHER:
            values = await self.client.prime_gather(scenario, c)
        else:
            fetch = await self.client.fetcher(scenario, 100)
            values = await asyncio.gather(*(fetch() for _ in range(c)))
        for value in values[:1]:
            check_answer(scenario, value)

    async def timed_async(self, scenario: str, n: int, c: int) -> dict[str, Any]:
        latencies: list[float] = []
        if self.shape == WORKERS:
            fetch = await self.client.fetcher(scenario, 100)
            gc_before, collections = self.gc.total, self.gc.collections
            wall, cpu = time.perf_counter(), time.process_time()
            await drive_workers(fetch, n, c, latencies)
        else:
            gc_before, collections = self.gc.total, self.gc.collections
            wall, cpu = time.perf_counter(), time.process_time()
            done = await self.client.gather(scenario, n, c)
            if done != n:
                raise RuntimeError(f"{done} of {n} results")
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        return self.sample(n, wall, cpu, gc_before, collections, latencies)

    def timed_sync(self, scenario: str, n: int, c: int) -> dict[str, Any]:
        gc_before, collections = self.gc.total, self.gc.collections
        wall, cpu = time.perf_counter(), time.process_time()
        self.client.sync(scenario, n, c)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        return self.sample(n, wall, cpu, gc_before, collections, [])

    def sample(
        self,
        n: int,
        wall: float,
        cpu: float,
        gc_before: float,
        collections: int,
        latencies: list[float],
    ) -> dict[str, Any]:
        if latencies and len(latencies) != n:
            raise RuntimeError(f"{len(latencies)} of {n} requests timed")
        return {
            "ok": True,
            "n": n,
            "wall": wall,
            "cpu": cpu,
            "gc": self.gc.total - gc_before,
            "collections": self.gc.collections - collections,
            "p50": percentile(latencies, 50) if latencies else None,
            "p99": percentile(latencies, 99) if latencies else None,
        }


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (``p`` in 0..100) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def row_main(argv: list[str]) -> None:
    """A row's process: ``--row LIBRARY/EXCHANGE/SHAPE --servers JSON --decoder NAME``."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--row", required=True)
    parser.add_argument("--servers", required=True)
    parser.add_argument("--decoder", default="orjson")
    parser.add_argument("--scenarios", nargs="*", default=[])
    args = parser.parse_args(argv)
    library, exchange, shape = args.row.split("/")
    with os.fdopen(os.dup(1), "w", buffering=1) as out:
        os.dup2(2, 1)  # anything a library prints goes to stderr, not into the protocol
        serve_row(library, exchange, shape, args, out)


def serve_row(library: str, exchange: str, shape: str, args: argparse.Namespace, out: Any) -> None:
    def send(message: dict[str, Any]) -> None:
        out.write(json.dumps(message) + "\n")

    runner = None if shape == SYNC else asyncio.Runner()
    client: Client | None = None
    try:
        client = CLIENTS[library](exchange, args.decoder, json.loads(args.servers))
        row = RowProcess(library, exchange, shape, client)
        for scenario in args.scenarios:  # one checked request each, before anything
            if runner is not None:
                runner.run(row.prime(scenario, 1))
            else:
                check_answer(scenario, client.sync(scenario, 1, 1))
        if isinstance(client, AiocaClient):
            client.check_limiters()
    except Exception as exc:
        send({"ready": False, "error": f"{type(exc).__name__}: {exc}"})
        if runner is not None:
            if client is not None:
                runner.run(client.close())
            runner.close()
        return
    send({"ready": True, "decoder": client.decoder})
    try:
        for line in sys.stdin:
            command = json.loads(line)
            try:
                send(run_command(row, runner, command))
            except Exception as exc:
                send({"ok": False, "error": f"{type(exc).__name__}: {exc}"})
    finally:
        if runner is not None:
            runner.run(client.close())
            runner.close()


def run_command(
    row: RowProcess, runner: asyncio.Runner | None, command: dict[str, Any]
) -> dict[str, Any]:
    what, scenario, c = command["cmd"], command["scenario"], command["c"]
    if what == "prime":
        if runner is not None:
            runner.run(row.prime(scenario, c))
        return {"ok": True}
    if what == "run":
        n = command["n"]
        if runner is None:
            return row.timed_sync(scenario, n, c)
        return runner.run(row.timed_async(scenario, n, c))
    if what == "profile":
        return profile_in_row(
            row, runner, scenario, c, command["n"], command["top"], command["timer"]
        )
    raise ValueError(f"unknown command {what!r}")


def memory_main(argv: list[str]) -> None:
    """A fresh process for the memory part: ``--memory LIBRARY --servers JSON --n N``
    (``--consume as-completed``: aioca's GatherTask consumed as its children finish).

    Imports, opens the client and sends one checked request, reads its RSS; then runs one
    gather of N klines requests keeping every result, and reads its peak RSS (VmHWM)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--memory", required=True)
    parser.add_argument("--servers", required=True)
    parser.add_argument("--decoder", default="orjson")
    parser.add_argument("--n", type=int, required=True)
    parser.add_argument("--consume", choices=("kept", "as-completed"), default="kept")
    args = parser.parse_args(argv)
    client = CLIENTS[args.memory]("binance", args.decoder, json.loads(args.servers))
    with asyncio.Runner() as runner:
        if args.consume == "kept":
            run = client.gather
        else:
            assert isinstance(client, AiocaClient), "as-completed is aioca's"
            run = client.consume_as_completed
        runner.run(run("klines", 2, 100))  # imports, connections, code paths
        before = proc_status()
        wall = time.perf_counter()
        kept = runner.run(run("klines", args.n, 100))
        wall = time.perf_counter() - wall
        after = proc_status()
        runner.run(client.close())
    if kept != args.n:
        raise RuntimeError(f"{kept} of {args.n} results")
    print(
        json.dumps(
            {
                "rss_before": before["VmRSS"],
                "hwm_before": before["VmHWM"],
                "peak": after["VmHWM"],
                "wall": wall,
            }
        )
    )


def proc_status() -> dict[str, float]:
    """VmRSS and VmHWM (peak RSS) of this process, in MB, from /proc/self/status."""
    values = {}
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            name, _, rest = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                values[name] = int(rest.split()[0]) / 1024  # kB
    return values


# --- profiling (in a row's process) ------------------------------------------------------

LAYERS = (
    ("aioca core", ("/aioca/",)),
    ("aioca_binance", ("/aioca_binance/",)),
    ("aioca_okx", ("/aioca_okx/",)),
    ("benchmark (driving)", ("/benchmarks/",)),
    ("pydantic", ("/pydantic/", "/pydantic_core/")),
    ("aiohttp/yarl/multidict", ("/aiohttp/", "/yarl/", "/multidict/", "/propcache/")),
    ("asyncio", ("/asyncio/",)),
)


def layer(filename: str, function: str) -> str:
    for name, needles in LAYERS:
        if any(needle in filename for needle in needles):
            return name
    if filename == "~":
        return "C builtins"
    return "other Python"


def where(key: tuple[str, int, str]) -> str:
    filename, line, function = key
    if filename == "~":
        return function
    prefixes = sorted((p for p in sys.path if p), key=len, reverse=True)
    for prefix in [str(HERE.parent), *prefixes]:
        if filename.startswith(prefix.rstrip("/") + "/"):
            filename = filename[len(prefix.rstrip("/")) + 1 :]
            break
    return f"{filename}:{line}({function})"


def profile_in_row(
    row: RowProcess,
    runner: asyncio.Runner | None,
    scenario: str,
    c: int,
    n: int,
    top: int,
    command_timer: str,
) -> dict[str, Any]:
    import cProfile
    import pstats

    def once() -> dict[str, Any]:
        if runner is None:
            return row.timed_sync(scenario, n, c)
        runner.run(row.prime(scenario, c))
        return runner.run(row.timed_async(scenario, n, c))

    once()  # warm-up
    plain = once()
    # cProfile's own wall clock costs least per call, but charges every moment the process
    # is descheduled (on a shared machine, often right after a socket send wakes the
    # server) to whatever function was running; process CPU time does not, at the price
    # of a system call per profiled call, which inflates every call alike
    cpu_clock = command_timer == "cpu"
    profiler = cProfile.Profile(time.process_time) if cpu_clock else cProfile.Profile()
    if runner is not None:
        runner.run(row.prime(scenario, c))
    profiler.enable()
    profiled = row.timed_sync(scenario, n, c) if runner is None else None
    if runner is not None:
        profiled = runner.run(row.timed_async(scenario, n, c))
    profiler.disable()
    assert profiled is not None
    save = os.environ.get("USER_SHAPES_PROFILE_SAVE")
    if save:  # the raw profile, for pstats or snakeviz: PREFIX.<library>.pstats
        profiler.dump_stats(f"{save}.{row.library}.pstats")
    stats: dict[Any, Any] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    layers: dict[str, float] = {}
    for key, (_cc, _calls, own, _cumulative, _callers) in stats.items():
        name = layer(key[0], key[2])
        layers[name] = layers.get(name, 0.0) + own / n * 1e6

    def ranked(index: int) -> list[list[Any]]:
        ordered = sorted(stats.items(), key=lambda item: item[1][index], reverse=True)[:top]
        return [
            [calls / n, own / n * 1e6, cumulative / n * 1e6, where(key)]
            for key, (_cc, calls, own, cumulative, _callers) in ordered
        ]

    breakdown = None
    if isinstance(row.client, AiocaClient) and row.shape == WORKERS and runner is not None:
        breakdown = runner.run(task_breakdown(row.client, scenario, c, n))
    return {
        "ok": True,
        "plain_cpu_us": plain["cpu"] / n * 1e6,
        "plain_gc_us": plain["gc"] / n * 1e6,
        "profiled_cpu_us": profiled["cpu"] / n * 1e6,
        "layers": layers,
        "own": ranked(2),
        "cumulative": ranked(3),
        "breakdown": breakdown,
    }


BREAKDOWN = {
    "fresh": "a fresh task per request, built and run (what users write; the rows above)",
    "prebuilt": "N tasks built before the clock, each run once (throughput.py's shape, "
    "without gc.freeze)",
    "rerun": "one task per worker, run again and again (no building, not a first run)",
    "build": "building the task only, N times, nothing sent",
}


BREAKDOWN_RUNS = 5


async def task_breakdown(client: AiocaClient, scenario: str, c: int, n: int) -> dict[str, float]:
    """Unprofiled CPU us per request of the aioca worker shape taken apart: building a
    task, its first run, a run again; each the median of ``BREAKDOWN_RUNS`` interleaved
    runs."""
    make = client.maker(scenario, 100)

    async def fresh() -> None:
        async def fetch() -> Any:
            return await make().run()

        await drive_workers(fetch, n, c, [])

    async def prebuilt() -> None:
        tasks = [make() for _ in range(n)]
        started = time.process_time()

        async def fetch() -> Any:
            return await tasks.pop().run()  # released once run, as a user's would be

        await drive_workers(fetch, n, c, [])
        return started  # type: ignore[return-value]

    async def rerun() -> None:
        free = [make() for _ in range(c)]  # one per worker: never run concurrently

        async def fetch() -> Any:
            task = free.pop()
            try:
                return await task.run()
            finally:
                free.append(task)

        await drive_workers(fetch, n, c, [])

    async def build() -> None:
        for _ in range(n):
            make()

    kinds: dict[str, Callable[[], Awaitable[Any]]] = {
        "fresh": fresh,
        "prebuilt": prebuilt,
        "rerun": rerun,
        "build": build,
    }
    results: dict[str, list[float]] = {name: [] for name in kinds}
    for number in range(BREAKDOWN_RUNS):
        names = list(kinds)
        for name in names[number % 4 :] + names[: number % 4]:
            if name != "build":
                fetch = await client.fetcher(scenario, 100)
                await asyncio.gather(*(fetch() for _ in range(c)))  # connections open
            cpu = time.process_time()
            started = await kinds[name]()
            if started is not None:  # prebuilt: the clock starts after building
                cpu = started
            results[name].append((time.process_time() - cpu) / n * 1e6)
    return {name: statistics.median(values) for name, values in results.items()}


# === the parent: orchestrating and reporting ==============================================


@dataclass(frozen=True)
class RowKey:
    library: str
    exchange: str
    shape: str

    @property
    def name(self) -> str:
        return NAMES[self.library, self.shape]

    @property
    def arg(self) -> str:
        return f"{self.library}/{self.exchange}/{self.shape}"

    @property
    def baseline(self) -> RowKey | None:
        if self.library == RAW:
            return None
        return RowKey(RAW, self.exchange, self.shape)


def child_command(*arguments: str) -> list[str]:
    """This script in a fresh interpreter, with this one's -W options (the smoke test's
    ``-W error`` reaches every row)."""
    return [sys.executable, *(f"-W{option}" for option in sys.warnoptions), __file__, *arguments]


class Worker:
    """The parent's handle on a row's process."""

    def __init__(
        self,
        key: RowKey,
        servers: dict[str, str],
        decoder: str,
        scenarios: list[str],
        compare_with: str | None = None,
    ) -> None:
        self.key = key
        env = None
        if key.library == BEFORE and compare_with is not None:
            # The other tree's packages ahead of the installed (editable) ones.
            tree = Path(compare_with).resolve()
            paths = [tree, tree / "plugins" / "binance", tree / "plugins" / "okx"]
            env = {**os.environ, "PYTHONPATH": os.pathsep.join(map(str, paths))}
        self.process = subprocess.Popen(
            child_command(
                "--row",
                key.arg,
                "--servers",
                json.dumps(servers),
                "--decoder",
                decoder,
                "--scenarios",
                *scenarios,
            ),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.decoder = "?"

    def read(self, timeout: float) -> dict[str, Any]:
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        if not ready:
            raise TimeoutError(f"{self.key.name} ({self.key.exchange}) gave no answer")
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"{self.key.name} ({self.key.exchange}) ended")
        message: dict[str, Any] = json.loads(line)
        return message

    def call(self, command: dict[str, Any], timeout: float = 600) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        reply = self.read(timeout)
        if not reply.get("ok"):
            raise RuntimeError(f"{self.key.name} ({self.key.exchange}): {reply.get('error')}")
        return reply

    def close(self) -> None:
        if self.process.stdin is not None and not self.process.stdin.closed:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


def server_stats(url: str) -> tuple[int, float]:
    """(requests answered, server CPU seconds) so far; read while no row is measuring."""
    import urllib.request

    with urllib.request.urlopen(url + "/_stats", timeout=10) as response:
        stats = json.load(response)
    return int(stats["requests"]), float(stats["cpu"])


@dataclass
class Sample:
    n: int
    wall: float
    cpu: float
    gc: float
    collections: int
    p50: float | None
    p99: float | None
    server_requests: int
    server_cpu: float


@dataclass
class Row:
    key: RowKey
    scenario: str
    c: int
    n: int
    samples: list[Sample] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return statistics.median(s.n / s.wall for s in self.samples)

    @property
    def wall_ms(self) -> float:
        return statistics.median(s.wall for s in self.samples) * 1000

    @property
    def cpu_us(self) -> float:
        return statistics.median(s.cpu / s.n * 1e6 for s in self.samples)

    @property
    def gc_us(self) -> float:
        return statistics.median(s.gc / s.n * 1e6 for s in self.samples)

    def latency_ms(self, which: str) -> float | None:
        values = [getattr(s, which) for s in self.samples]
        if any(v is None for v in values):
            return None
        return statistics.median(values) * 1000

    @property
    def server_busy(self) -> float:
        return statistics.median(s.server_cpu / s.wall for s in self.samples)


def rate_ratio(row: Row, base: Row) -> float:
    """Median over the passes of ``row``'s req/s over ``base``'s in the same pass: two
    runs close in time share the machine's state (the other tenants' load, the CPU's
    clock), which a ratio of medians taken from different passes would not."""
    return statistics.median(
        (s.n / s.wall) / (b.n / b.wall) for s, b in zip(row.samples, base.samples, strict=True)
    )


def cpu_delta(row: Row, base: Row) -> float:
    """Median over the passes of the difference in CPU us per request, pass by pass."""
    return statistics.median(
        (s.cpu / s.n - b.cpu / b.n) * 1e6 for s, b in zip(row.samples, base.samples, strict=True)
    )


def wall_ratio(row: Row, base: Row) -> float:
    return statistics.median(
        s.wall / b.wall for s, b in zip(row.samples, base.samples, strict=True)
    )


@dataclass
class Group:
    """The rows measured at one (scenario, c), each once per pass, in rotating order."""

    scenario: str
    c: int
    rows: list[Row]


@dataclass
class Plan:
    groups: list[Group]
    keys: list[RowKey]


def requests_for(args: argparse.Namespace, scenario: str, shape: str, c: int) -> int:
    if scenario == LATENCY:
        return int(args.latency_requests)
    if c == 1:
        return int(args.requests_c1)
    if shape == WORKERS:
        return int(args.requests)
    return int(args.gather_requests) // c * c  # the operator's batches are whole


def plan(args: argparse.Namespace) -> Plan:
    groups = []
    before = (BEFORE,) if args.compare_with else ()
    libraries_for = {
        "binance": [RAW, AIOCA, *before, *(PEERS if args.peers else ())],
        "okx": [RAW, AIOCA, *before, *((CCXT,) if args.peers else ())],
    }
    cases: list[tuple[str, int]] = []
    if "throughput" in args.parts:
        cases += [(s, c) for s in args.scenarios for c in args.concurrency]
    if "latency" in args.parts:
        cases.append((LATENCY, args.latency_concurrency))
    for scenario, c in cases:
        exchange = exchange_of(scenario)
        keys = []
        for shape in args.shapes:
            if shape == WORKERS:
                keys += [RowKey(lib, exchange, WORKERS) for lib in libraries_for[exchange]]
            elif shape == GATHER and c > 1:
                keys += [RowKey(RAW, exchange, GATHER), RowKey(AIOCA, exchange, GATHER)]
                keys += [RowKey(library, exchange, GATHER) for library in before]
            elif shape == SYNC and exchange == "binance" and scenario != LATENCY:
                keys += [RowKey(RAW, exchange, SYNC), RowKey(AIOCA, exchange, SYNC)]
        rows = [Row(k, scenario, c, requests_for(args, scenario, k.shape, c)) for k in keys]
        if rows:
            groups.append(Group(scenario, c, rows))
    keys = []
    for group in groups:
        for row in group.rows:
            if row.key not in keys:
                keys.append(row.key)
    return Plan(groups, keys)


def start_workers(
    args: argparse.Namespace, the_plan: Plan, servers: dict[str, str], notes: list[str]
) -> dict[RowKey, Worker]:
    """Start every row's process at once; a peer that cannot start is left out, noted."""
    scenarios: dict[RowKey, list[str]] = {}
    for group in the_plan.groups:
        for row in group.rows:
            scenarios.setdefault(row.key, [])
            if group.scenario not in scenarios[row.key]:
                scenarios[row.key].append(group.scenario)
    started = {
        key: Worker(key, servers, args.decoder, scenarios[key], args.compare_with)
        for key in the_plan.keys
    }
    workers = {}
    for key, worker in started.items():
        message = worker.read(timeout=300)
        if message.get("ready"):
            worker.decoder = message.get("decoder", "?")
            workers[key] = worker
            continue
        worker.close()
        if key.library in PEERS:
            notes.append(f"{key.name} ({key.exchange}) left out: {message.get('error')}")
            continue
        for other in workers.values():
            other.close()
        raise RuntimeError(f"{key.name} ({key.exchange}) did not start: {message.get('error')}")
    return workers


def measure(worker: Worker, row: Row, url: str, n: int) -> Sample:
    worker.call({"cmd": "prime", "scenario": row.scenario, "c": row.c})
    requests_before, server_before = server_stats(url)
    reply = worker.call({"cmd": "run", "scenario": row.scenario, "c": row.c, "n": n})
    requests_after, server_after = server_stats(url)
    answered = requests_after - requests_before
    if answered < n:
        raise RuntimeError(
            f"{row.key.name}, {row.scenario}: the server answered {answered} of {n} requests"
        )
    return Sample(
        n=reply["n"],
        wall=reply["wall"],
        cpu=reply["cpu"],
        gc=reply["gc"],
        collections=reply["collections"],
        p50=reply["p50"],
        p99=reply["p99"],
        server_requests=answered,
        server_cpu=server_after - server_before,
    )


def run_throughput(
    args: argparse.Namespace,
    the_plan: Plan,
    workers: dict[RowKey, Worker],
    servers: dict[str, str],
    notes: list[str],
) -> list[Row]:
    groups = [
        Group(g.scenario, g.c, [r for r in g.rows if r.key in workers]) for g in the_plan.groups
    ]
    # Warm-up pass: code paths, lazily imported catalogs, clock sync; a peer failing here
    # is left out.
    for group in groups:
        url = servers["delay" if group.scenario == LATENCY else "main"]
        for row in list(group.rows):
            try:
                measure(workers[row.key], row, url, min(row.n, max(2 * row.c, 100)))
            except RuntimeError as exc:
                if row.key.library not in PEERS:
                    raise
                notes.append(f"{row.key.name}, {row.scenario} c={row.c} left out: {exc}")
                group.rows.remove(row)
    for number in range(args.passes):
        if args.progress:
            print(f"pass {number + 1} of {args.passes}", file=sys.stderr, flush=True)
        for group in groups:
            url = servers["delay" if group.scenario == LATENCY else "main"]
            shift = number % len(group.rows) if group.rows else 0
            for row in group.rows[shift:] + group.rows[:shift]:
                row.samples.append(measure(workers[row.key], row, url, row.n))
    return [row for group in groups for row in group.rows]


@dataclass
class Memory:
    library: str
    consume: str = "kept"  # or "as-completed": aioca's GatherTask.as_completed()
    runs: list[dict[str, float]] = field(default_factory=list)

    def median(self, name: str) -> float:
        return statistics.median(run[name] for run in self.runs)

    @property
    def growth(self) -> float:
        return statistics.median(run["peak"] - run["rss_before"] for run in self.runs)


def run_memory(args: argparse.Namespace, servers: dict[str, str]) -> list[Memory]:
    results = [Memory(RAW), Memory(AIOCA), Memory(AIOCA, "as-completed")]
    for number in range(args.memory_runs):
        for memory in results[number % 3 :] + results[: number % 3]:
            done = subprocess.run(
                child_command(
                    "--memory",
                    memory.library,
                    "--consume",
                    memory.consume,
                    "--servers",
                    json.dumps(servers),
                    "--decoder",
                    args.decoder,
                    "--n",
                    str(args.memory_tasks),
                ),
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            sys.stderr.write(done.stderr)
            if done.returncode != 0:
                raise RuntimeError(f"memory run of {memory.library} failed: {done.stderr}")
            memory.runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return results


def run_imports(args: argparse.Namespace) -> tuple[float, float]:
    """Median wall ms of ``import_time.py``'s baseline and exchange("binance") statements,
    each in a fresh interpreter, interleaved."""
    sys.path.insert(0, str(HERE))
    import import_time

    import_time.wall_ms(import_time.EXCHANGE)  # bytecode caches written
    baseline, exchange = [], []
    for number in range(args.import_runs):
        pair = [(baseline, import_time.BASELINE), (exchange, import_time.EXCHANGE)]
        for values, statement in pair[number % 2 :] + pair[: number % 2]:
            values.append(import_time.wall_ms(statement))
    return statistics.median(baseline), statistics.median(exchange)


# --- goals ---------------------------------------------------------------------------------


@dataclass
class Goal:
    text: str
    passed: bool | None

    def line(self) -> str:
        verdict = {True: "PASS", False: "FAIL", None: "SKIP"}[self.passed]
        return f"{verdict} {self.text}"


def find(rows: list[Row], key: RowKey | None, scenario: str, c: int) -> Row | None:
    for row in rows:
        if (row.key, row.scenario, row.c) == (key, scenario, c):
            return row
    return None


def goals(rows: list[Row], imports: tuple[float, float] | None) -> list[Goal]:
    result = []
    cases = sorted({(r.scenario, r.c) for r in rows}, key=lambda sc: (_order(sc[0]), sc[1]))
    for scenario, c in cases:
        exchange = exchange_of(scenario)
        mine = find(rows, RowKey(AIOCA, exchange, WORKERS), scenario, c)
        raw = find(rows, RowKey(RAW, exchange, WORKERS), scenario, c)
        if mine is not None and raw is not None and scenario in GOAL_CPU_SCENARIOS:
            delta = cpu_delta(mine, raw)
            result.append(
                Goal(
                    f"aioca fresh task CPU/request, {scenario} c={c}: <= +{GOAL_CPU_US:.0f} "
                    f"us over raw aiohttp: {delta:+.1f} us ({mine.cpu_us:.1f} vs "
                    f"{raw.cpu_us:.1f})",
                    delta <= GOAL_CPU_US,
                )
            )
            ratio = rate_ratio(mine, raw)
            result.append(
                Goal(
                    f"aioca fresh task req/s, {scenario} c={c}: >= {GOAL_WORKER_RATE}x "
                    f"raw aiohttp: {ratio:.2f}x ({mine.rate:.0f} vs {raw.rate:.0f})",
                    ratio >= GOAL_WORKER_RATE,
                )
            )
        gather = find(rows, RowKey(AIOCA, exchange, GATHER), scenario, c)
        raw_gather = find(rows, RowKey(RAW, exchange, GATHER), scenario, c)
        if gather is not None and raw_gather is not None:
            ratio = rate_ratio(gather, raw_gather)
            result.append(
                Goal(
                    f"aioca GatherTask req/s, {scenario} c={c}: >= {GOAL_GATHER_RATE}x raw "
                    f"gather: {ratio:.2f}x ({gather.rate:.0f} vs {raw_gather.rate:.0f})",
                    ratio >= GOAL_GATHER_RATE,
                )
            )
        for peer in PEERS:
            other = find(rows, RowKey(peer, exchange, WORKERS), scenario, c)
            if mine is None or other is None:
                continue
            ratio, delta = rate_ratio(mine, other), cpu_delta(mine, other)
            ahead = ratio > 1 and delta < 0
            result.append(
                Goal(
                    f"aioca fresh task ahead of {NAMES[peer, WORKERS]}, {scenario} c={c}: "
                    f"{ratio:.2f}x req/s, {delta:+.1f} "
                    f"us CPU/request ({mine.rate:.0f} vs {other.rate:.0f} req/s, "
                    f"{mine.cpu_us:.1f} vs {other.cpu_us:.1f} us)",
                    ahead,
                )
            )
    if imports is not None:
        base, ready = imports
        result.append(
            Goal(
                f'import aioca; aioca.exchange("binance") <= {GOAL_IMPORT}x import aiohttp, '
                f"pydantic, pluggy: {ready / base:.3f}x ({ready:.1f} vs {base:.1f} ms)",
                ready / base <= GOAL_IMPORT,
            )
        )
    return result


def _order(scenario: str) -> int:
    return (*SCENARIOS, LATENCY).index(scenario)


# --- the report ------------------------------------------------------------------------------

HEADER = (
    f"{'scenario':<12}{'c':>4}  {'client':<21}{'req/s':>7}{'cpu us':>8}{'gc us':>7}"
    f"{'p50 ms':>8}{'p99 ms':>8}{'server':>7}  {'vs':<7}{'x req/s':>7}{'+cpu us':>8}"
)


def _ms(value: float | None) -> str:
    return f"{value:>8.2f}" if value is not None else f"{'-':>8}"


def table_line(row: Row, base: Row | None) -> str:
    line = (
        f"{row.scenario:<12}{row.c:>4}  {row.key.name:<21}{row.rate:>7.0f}{row.cpu_us:>8.1f}"
        f"{row.gc_us:>7.1f}{_ms(row.latency_ms('p50'))}{_ms(row.latency_ms('p99'))}"
        f"{row.server_busy:>7.0%}"
    )
    if base is None or base is row:
        return line
    return (
        f"{line}  {SHORT[row.key.shape]:<7}{rate_ratio(row, base):>7.2f}"
        f"{cpu_delta(row, base):>+8.1f}"
    )


def versions() -> str:
    parts = [f"Python {platform.python_version()}"]
    for names in (
        ("aiohttp",),
        ("orjson",),
        ("uvloop",),
        ("aioca-core", "aioca"),  # the core's distribution, renamed aioca-core
        ("python-binance",),
        ("ccxt",),
    ):
        for name in names:
            try:
                parts.append(f"{name} {metadata.version(name)}")
                break
            except metadata.PackageNotFoundError:
                continue
        else:
            parts.append(f"{names[0]} not installed")
    commit = subprocess.run(
        ["git", "-C", str(HERE), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    if commit:
        parts.append(f"commit {commit}")
    return ", ".join(parts)


def command_line() -> str:
    script = os.path.relpath(__file__)
    return " ".join(["python", shlex.quote(script), *map(shlex.quote, sys.argv[1:])])


def report(
    args: argparse.Namespace,
    rows: list[Row],
    workers_decoders: dict[str, str],
    memory: list[Memory] | None,
    imports: tuple[float, float] | None,
    notes: list[str],
    loads: tuple[tuple[float, ...], tuple[float, ...]],
) -> list[Goal]:
    print(f"command: {command_line()}")
    print(f"{versions()}; {os.cpu_count()} CPUs")
    print(
        "load average (1, 5, 15 min) at start: {}; at end: {} (a shared machine: compare "
        "ratios within this run, not absolute figures across runs)".format(
            ", ".join(f"{v:.2f}" for v in loads[0]), ", ".join(f"{v:.2f}" for v in loads[1])
        )
    )
    print(
        f"medians of {args.passes} interleaved passes after a warm-up pass; each row in its "
        "own process; tasks built inside the timed region; no gc.freeze/collect/disable"
    )
    print(
        f"N: {args.requests} requests per run (worker shape, c>1), {args.requests_c1} (c=1), "
        f"{args.gather_requests} (GatherTask and operator, c>1: they keep every result)"
    )
    print("decoders: " + "; ".join(f"{name}: {dec}" for name, dec in workers_decoders.items()))
    print(
        f"event loop: asyncio for the async rows; {sync_loop_name()} for both sync-shape rows "
        "(the one aioca's operator picks)"
    )
    throughput = [r for r in rows if r.scenario != LATENCY]
    if throughput:
        print()
        print(HEADER)
        previous = None
        for row in sorted(throughput, key=lambda r: (_order(r.scenario), r.c)):
            if previous is not None and (row.scenario, row.c) != previous:
                print()
            previous = (row.scenario, row.c)
            print(table_line(row, find(rows, row.key.baseline, row.scenario, row.c)))
        print()
        print(
            "cpu us: client CPU time per request (the row's whole process, building the "
            "tasks included); gc us: the part of it collecting garbage"
        )
        print(
            "server: the server's CPU time over the wall time (near 100 %: it capped req/s); "
            "vs: raw aiohttp in the same shape (raw: c workers; gather: one asyncio.gather "
            "of N on a pool of c; run: asyncio.Runner, one by one or gathers of c)"
        )
        print(
            "x req/s, +cpu us (and the goals below): medians over the passes of the ratio "
            "or difference with the baseline measured in the same pass"
        )
        print("p50/p99: per request, building the task included (worker shape only)")
    latency = [r for r in rows if r.scenario == LATENCY]
    if latency:
        ideal = math.ceil(args.latency_requests / args.latency_concurrency) * args.delay_ms
        print()
        print(
            f"latency-bound: {args.latency_requests} tickers at c={args.latency_concurrency}, "
            f"the server answering each {args.delay_ms:g} ms after it arrives (ideal "
            f"{ideal:.0f} ms)"
        )
        print(
            f"{'client':<21}{'wall ms':>9}{'x ideal':>9}{'cpu us':>8}{'p50 ms':>8}{'p99 ms':>8}"
            f"  {'vs':<7}{'x wall':>7}"
        )
        for row in latency:
            base = find(rows, row.key.baseline, row.scenario, row.c)
            line = (
                f"{row.key.name:<21}{row.wall_ms:>9.1f}{row.wall_ms / ideal:>9.3f}"
                f"{row.cpu_us:>8.1f}{_ms(row.latency_ms('p50'))}{_ms(row.latency_ms('p99'))}"
            )
            if base is not None:
                line += f"  {SHORT[row.key.shape]:<7}{wall_ratio(row, base):>7.3f}"
            print(line)
    if memory:
        raw, mine, streamed = memory
        print()
        print(
            f"memory: one gather of {args.memory_tasks} klines requests, each in a fresh "
            f"process (median of {args.memory_runs}; MB); the first two keep every result, "
            "as_completed(concurrency=100) releases each once looked at"
        )
        print(f"{'client':<27}{'RSS before':>11}{'peak RSS':>10}{'growth':>9}")
        kinds = (
            (raw, "raw gather"),
            (mine, "aioca GatherTask"),
            (streamed, "aioca GatherTask.as_completed"),
        )
        for item, name in kinds:
            print(
                f"{name:<27}{item.median('rss_before'):>11.1f}{item.median('peak'):>10.1f}"
                f"{item.growth:>9.1f}"
            )
        peak = mine.median("peak") / raw.median("peak")
        print(
            f"aioca GatherTask / raw gather: peak RSS {peak:.2f}x, "
            f"growth {mine.growth / raw.growth:.2f}x; as_completed / raw gather: growth "
            f"{streamed.growth / raw.growth:.2f}x"
        )
    if imports is not None:
        base, ready = imports
        print()
        print(
            f"import time (fresh interpreters, median of {args.import_runs}): import aiohttp, "
            f'pydantic, pluggy {base:.1f} ms; import aioca; aioca.exchange("binance") '
            f"{ready:.1f} ms; ratio {ready / base:.3f}x"
        )
    for note in notes:
        print(note)
    print()
    result = goals(rows, imports)
    for goal in result:
        print(goal.line())
    return result


def document(
    args: argparse.Namespace,
    rows: list[Row],
    memory: list[Memory] | None,
    imports: tuple[float, float] | None,
    result: list[Goal],
    notes: list[str],
) -> dict[str, Any]:
    entries = []
    for row in rows:
        base = find(rows, row.key.baseline, row.scenario, row.c)
        entries.append(
            {
                "scenario": row.scenario,
                "c": row.c,
                "client": row.key.name,
                "library": row.key.library,
                "shape": row.key.shape,
                "requests": row.n,
                "requests_per_s": row.rate,
                "wall_ms": row.wall_ms,
                "cpu_us_per_request": row.cpu_us,
                "gc_us_per_request": row.gc_us,
                "p50_ms": row.latency_ms("p50"),
                "p99_ms": row.latency_ms("p99"),
                "server_busy": row.server_busy,
                "rate_ratio_to_baseline": rate_ratio(row, base) if base else None,
                "cpu_us_over_baseline": cpu_delta(row, base) if base else None,
                "passes": [s.__dict__ for s in row.samples],
            }
        )
    return {
        "command": command_line(),
        "versions": versions(),
        "results": entries,
        "memory": [
            {"library": m.library, "consume": m.consume, "runs": m.runs} for m in memory or []
        ],
        "imports_ms": {"baseline": imports[0], "exchange": imports[1]} if imports else None,
        "goals": [{"goal": g.text, "passed": g.passed} for g in result],
        "notes": notes,
    }


# --- profile mode --------------------------------------------------------------------------


def run_profile(args: argparse.Namespace, servers: dict[str, str]) -> None:
    scenario, c, shape = args.profile_scenario, args.profile_concurrency, args.profile_row
    if shape == GATHER and c == 1:
        raise SystemExit("the GatherTask shape needs --profile-concurrency above 1")
    if shape == SYNC and exchange_of(scenario) == "okx":
        raise SystemExit("the operator shape is measured on the Binance scenarios only")
    exchange = exchange_of(scenario)
    n = int(args.profile_requests or requests_for(args, scenario, shape, c))
    keys = [RowKey(RAW, exchange, shape), RowKey(AIOCA, exchange, shape)]
    replies = {}
    for key in keys:
        worker = Worker(key, servers, args.decoder, [scenario])
        try:
            message = worker.read(timeout=300)
            if not message.get("ready"):
                raise RuntimeError(f"{key.name} did not start: {message.get('error')}")
            replies[key] = worker.call(
                {
                    "cmd": "profile",
                    "scenario": scenario,
                    "c": c,
                    "n": n,
                    "top": args.top,
                    "timer": args.profile_timer,
                }
            )
        finally:
            worker.close()
    print(f"command: {command_line()}")
    print(
        f"cProfile of {NAMES[AIOCA, shape]} and {NAMES[RAW, shape]}, {scenario}, c={c}, "
        f"N={n}, each in its own process after a warm-up run; timer: "
        f"{'process CPU time' if args.profile_timer == 'cpu' else 'wall clock'}. The "
        "profiler inflates every call (compare layers, not absolute figures); a "
        "coroutine's calls count its resumptions; a garbage collection is charged to "
        "whichever function allocated when it started."
    )
    print()
    for key in keys:
        reply = replies[key]
        print(
            f"{key.name}: {reply['plain_cpu_us']:.1f} us CPU per request unprofiled "
            f"({reply['plain_gc_us']:.1f} us collecting garbage), "
            f"{reply['profiled_cpu_us']:.1f} us under cProfile"
        )
    print()
    names = [name for name, _ in LAYERS] + ["C builtins", "other Python"]
    print("own time per request by layer under cProfile, us")
    print(f"{'layer':<26}" + "".join(f"{key.name:>22}" for key in keys))
    for name in names:
        values = [replies[key]["layers"].get(name, 0.0) for key in keys]
        if any(values):
            print(f"{name:<26}" + "".join(f"{value:>22.1f}" for value in values))
    totals = [sum(replies[key]["layers"].values()) for key in keys]
    print(f"{'total':<26}" + "".join(f"{value:>22.1f}" for value in totals))
    print()
    mine = replies[keys[1]]
    if mine.get("breakdown"):
        raw_cpu = replies[keys[0]]["plain_cpu_us"]
        print(
            f"{keys[1].name} taken apart, unprofiled CPU us per request (median of "
            f"{BREAKDOWN_RUNS} "
            f"interleaved runs, same process; raw aiohttp's single run above: {raw_cpu:.1f})"
        )
        for name, value in mine["breakdown"].items():
            print(f"{value:>9.1f}  {name:<9}{BREAKDOWN[name]}")
        print()
    for title, entries in (("own", mine["own"]), ("cumulative", mine["cumulative"])):
        print(f"{keys[1].name}, {scenario}, c={c}: top {args.top} by {title} time")
        print(f"{'calls/req':>10}{'own us/req':>12}{'cum us/req':>12}  function")
        for calls, own, cumulative, name in entries:
            print(f"{calls:>10.2f}{own:>12.2f}{cumulative:>12.2f}  {name}")
        print()


# --- main ----------------------------------------------------------------------------------


def positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive whole number, not {text}")
    return value


QUICK = {
    "passes": 1,
    "requests": 100,
    "requests_c1": 20,
    "gather_requests": 100,
    "latency_requests": 40,
    "latency_concurrency": 20,
    "delay_ms": 20.0,
    "memory_tasks": 50,
    "memory_runs": 1,
    "import_runs": 1,
    "concurrency": [1, 10],
}


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--passes", type=positive_int, default=5, help="measured passes (interleaved)")
    add("--requests", type=positive_int, default=2000, help="requests per run, workers, c>1")
    add("--requests-c1", type=positive_int, default=300, help="requests per run at c=1")
    add(
        "--gather-requests",
        type=positive_int,
        default=1000,
        help="requests per run of the GatherTask and operator shapes at c>1",
    )
    add("--concurrency", type=positive_int, nargs="+", default=[1, 50])
    add("--scenarios", nargs="+", choices=SCENARIOS, default=list(SCENARIOS))
    add("--shapes", nargs="+", choices=SHAPES, default=list(SHAPES))
    add("--parts", nargs="+", choices=PARTS, default=list(PARTS))
    add("--latency-requests", type=positive_int, default=200)
    add("--latency-concurrency", type=positive_int, default=100)
    add("--delay-ms", type=float, default=50.0, help="the latency-bound server's delay")
    add("--memory-tasks", type=positive_int, default=1000)
    add("--memory-runs", type=positive_int, default=3)
    add("--import-runs", type=positive_int, default=7)
    add(
        "--compare-with",
        metavar="DIR",
        help="also measure aioca imported from the source tree DIR (e.g. `git archive main`"
        " unpacked), in rows of its own: a change's before and after in one run",
    )
    add("--no-peers", dest="peers", action="store_false", help="leave out python-binance, ccxt")
    add(
        "--decoder",
        choices=("orjson", "json"),
        default="orjson",
        help="raw aiohttp's decoder, and aioca's (orjson: aioca's own default when installed)",
    )
    add("--quick", action="store_true", help="tiny sizes, one pass: a smoke run (~20 s)")
    add("--json", metavar="FILE", help="also write the results as JSON to FILE")
    add("--check", action="store_true", help="exit 1 when a goal is missed")
    add("--progress", action="store_true", help="say which pass is running, on stderr")
    add("--profile", action="store_true", help="profile one row under cProfile instead")
    add("--profile-scenario", choices=(*SCENARIOS, LATENCY), default="ticker")
    add("--profile-row", choices=SHAPES, default=WORKERS, help="the shape profiled")
    add("--profile-concurrency", type=positive_int, default=50)
    add("--profile-requests", type=positive_int, default=None)
    add("--top", type=positive_int, default=25, help="functions listed by --profile")
    add(
        "--profile-timer",
        choices=("cpu", "wall"),
        default="cpu",
        help="cProfile's clock: process CPU time (default: immune to other processes' load, "
        "but each profiled call costs a system call more), or cProfile's own wall clock "
        "(cheaper per call; on a loaded machine it charges the time the process waits for "
        "a core to whatever ran last, often a socket send)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        given = {a.split("=")[0].lstrip("-").replace("-", "_") for a in argv if a.startswith("--")}
        for name, value in QUICK.items():
            if name not in given:
                setattr(args, name, value)
    args.concurrency = sorted(set(args.concurrency))
    args.scenarios = [s for s in SCENARIOS if s in args.scenarios]
    args.shapes = [s for s in SHAPES if s in args.shapes]
    if args.decoder == "orjson":
        try:
            import orjson  # noqa: F401
        except ImportError:
            parser.error(
                "orjson is not installed (pip install aioca-core[fast]); or --decoder json"
            )
    return args


def main() -> None:
    argv = sys.argv[1:]
    if argv and argv[0] == "--row":
        row_main(argv)
        return
    if argv and argv[0] == "--memory":
        memory_main(argv)
        return
    args = parse(argv)
    from loopback_server import server_process

    start = os.getloadavg()
    notes: list[str] = []
    with ExitStack() as stack:
        command = [sys.executable, str(SERVER), "--canned"]
        servers = {"main": stack.enter_context(server_process(command))}
        if args.profile_scenario == LATENCY if args.profile else "latency" in args.parts:
            delayed = [*command, "--delay-ms", str(args.delay_ms)]
            servers["delay"] = stack.enter_context(server_process(delayed))
        if args.profile:
            run_profile(args, servers)
            return
        the_plan = plan(args)
        workers = start_workers(args, the_plan, servers, notes)
        try:
            rows = run_throughput(args, the_plan, workers, servers, notes)
        finally:
            for worker in workers.values():
                worker.close()
        decoders = {}
        for key, worker in workers.items():
            decoders.setdefault(f"{key.library} ({key.exchange})", worker.decoder)
        memory = run_memory(args, servers) if "memory" in args.parts else None
    imports = run_imports(args) if "import" in args.parts else None
    result = report(args, rows, decoders, memory, imports, notes, (start, os.getloadavg()))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(document(args, rows, memory, imports, result, notes), out, indent=2)
    if args.check and any(goal.passed is False for goal in result):
        sys.exit(1)


if __name__ == "__main__":
    main()
