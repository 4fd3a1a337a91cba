"""Instructions per request, counted by valgrind's callgrind: figures that load does not move.

On a shared machine the timed benchmarks (``user_shapes.py``) move with the other tenants'
load; instruction counts do not, so they are what an A/B of a change to the request path
is judged by (then confirmed as timed ratios). For each case, a client process runs under
``valgrind --tool=callgrind --instr-atstart=no`` against ``loopback_server.py --canned``
(outside valgrind, in its own process), sends a warm-up of ``--warmup`` requests (300, at
C in flight), then switches counting on (``callgrind_control --instr=on``), sends
``--requests`` requests (1,000) and switches it off: the figure is the instructions of the
client process over those requests, divided by their number (Python, aiohttp, the event
loop and the kernel-call wrappers; not the kernel). ``PYTHONHASHSEED=0``.

Cases (the code users write, as in ``user_shapes.py``):

* ``raw``: raw aiohttp, ``async with session.get(url)``, body read, status checked,
  ``orjson.loads``; C workers;
* ``ticker``: ``await CoinMFetchTicker(symbol="BTCUSD_PERP", api=api).run()``, a fresh
  task per request, C workers (the API's limiter has Binance's windows, widened so that
  nothing waits);
* ``account``: the signed ``CoinMAccountInformation(api=api)``, fresh per request;
* ``rerun``: C tasks built once, each worker running its own again and again;
* ``build``: building a fresh ticker task only (no request);
* ``raw-gather`` / ``gather``: ``asyncio.gather`` of N raw requests against one
  ``GatherTask`` of N fresh ticker tasks, both on a pool of C connections (N =
  ``--requests``, in ``--gather-batches`` gathers);
* ``okx-ticker`` / ``okx-balance``: ``OkxFetchTicker`` / the signed ``OkxFetchBalance``,
  fresh per request, against raw-okx (raw aiohttp on the OKX ticker, for reference).

``--compare-with DIR`` counts the aioca cases again with the aioca of the source tree DIR
(``git archive main | tar -x -C DIR``) ahead on ``PYTHONPATH``: a change's before and after.

    python benchmarks/instructions.py [--cases raw ticker account gather raw-gather ...]
        [--requests 1000] [--warmup 300] [--concurrency 50] [--compare-with DIR]
        [--no-valgrind]

Needs valgrind (``apt-get install valgrind``); a case takes 10-60 s under it.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SYMBOL = "BTCUSD_PERP"
INST_ID = "BTC-USDT"
API_KEY = "benchmark-key"
API_SECRET = "benchmark-secret"
PASSPHRASE = "benchmark-passphrase"
WIDE = 10**9
CASES = (
    "raw",
    "ticker",
    "account",
    "rerun",
    "build",
    "raw-gather",
    "gather",
    "raw-okx",
    "okx-ticker",
    "okx-balance",
)
AIOCA_CASES = frozenset(CASES) - {"raw", "raw-gather", "raw-okx"}


def _counting(on: bool) -> None:
    """Switch callgrind's counting for this process (a no-op outside valgrind)."""
    subprocess.run(
        ["callgrind_control", f"--instr={'on' if on else 'off'}", str(os.getpid())],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )


async def _workers(fetch: Any, n: int, c: int) -> None:
    left = iter(range(n))

    async def worker() -> None:
        for _ in left:
            await fetch()

    await asyncio.gather(*(worker() for _ in range(c)))


async def client(case: str, url: str, n: int, warmup: int, c: int, batches: int) -> None:
    """The client process's side: warm up, count ``n`` requests of ``case``."""
    import aiohttp
    import orjson

    if case in ("raw", "raw-gather", "raw-okx"):
        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=c))
        path = (
            f"/api/v5/market/ticker?instId={INST_ID}"
            if case == "raw-okx"
            else f"/dapi/v1/ticker/price?symbol={SYMBOL}"
        )
        target = url + path
        loads = orjson.loads

        async def raw() -> Any:
            async with session.get(target) as response:
                body = await response.read()
                if response.status != 200:
                    raise RuntimeError(f"HTTP {response.status}")
            return loads(body)

        if case == "raw-gather":
            await asyncio.gather(*(raw() for _ in range(warmup)))
            _counting(True)
            for _ in range(batches):
                await asyncio.gather(*(raw() for _ in range(n // batches)))
            _counting(False)
        else:
            await _workers(raw, warmup, c)
            _counting(True)
            await _workers(raw, n, c)
            _counting(False)
        await session.close()
        return

    from aioca import GatherTask, RateLimiter, Window

    if case.startswith("okx"):
        from aioca_okx import ORDER_RATE_WINDOW, OkxRestApi
        from aioca_okx.v5 import OkxFetchBalance, OkxFetchTicker

        public = [
            Window(unit, WIDE, OkxFetchTicker.endpoint.rate_limit.seconds)
            for unit in OkxFetchTicker.endpoint.costs({"instId": INST_ID})
        ]
        private = [
            Window(ORDER_RATE_WINDOW.name, WIDE, ORDER_RATE_WINDOW.seconds),
            *(
                Window(unit, WIDE, OkxFetchBalance.endpoint.rate_limit.seconds)
                for unit in OkxFetchBalance.endpoint.costs({})
            ),
        ]
        api: Any = OkxRestApi(
            API_KEY,
            API_SECRET,
            PASSPHRASE,
            urls={"rest": url},
            rate_limiter=RateLimiter(public),
            user_rate_limiter=RateLimiter(private),
            connection_limit=c,
        )
        if case == "okx-ticker":

            def make() -> Any:
                return OkxFetchTicker(instId=INST_ID, api=api)
        else:

            def make() -> Any:
                return OkxFetchBalance(api=api)
    else:
        from aioca_binance import BinanceRestApi
        from aioca_binance.api import DEFAULT_WINDOWS
        from aioca_binance.coinm import CoinMAccountInformation, CoinMFetchTicker

        windows = [
            Window(w.name, WIDE, w.seconds, header=w.header, unit=w.unit) for w in DEFAULT_WINDOWS
        ]
        api = BinanceRestApi(
            API_KEY,
            API_SECRET,
            urls={"coinm": url},
            rate_limiter=RateLimiter(windows),
            connection_limit=c,
        )
        if case == "account":

            def make() -> Any:
                return CoinMAccountInformation(api=api)
        else:

            def make() -> Any:
                return CoinMFetchTicker(symbol=SYMBOL, api=api)

    async def fresh() -> Any:
        return await make().run()

    if case == "gather":
        await GatherTask(*(make() for _ in range(warmup))).run()
        _counting(True)
        for _ in range(batches):
            await GatherTask(*(make() for _ in range(n // batches))).run()
        _counting(False)
    elif case == "build":
        for _ in range(warmup):
            make()
        _counting(True)
        for _ in range(n):
            make()
        _counting(False)
    else:
        fetch = fresh
        if case == "rerun":
            pool = [make() for _ in range(c)]

            async def rerun() -> Any:
                task = pool.pop()
                try:
                    return await task.run()
                finally:
                    pool.append(task)

            fetch = rerun
        await _workers(fetch, warmup, c)
        _counting(True)
        await _workers(fetch, n, c)
        _counting(False)
    await api.close()


def count(case: str, url: str, args: argparse.Namespace, tree: str | None) -> float:
    """Instructions per request of ``case`` (``tree``: another aioca source tree ahead)."""
    env = dict(os.environ, PYTHONHASHSEED="0")
    if tree is not None:
        root = Path(tree).resolve()
        paths = [
            root,
            root / "plugins" / "binance",
            root / "plugins" / "binance-sim",
            root / "plugins" / "okx",
        ]
        env["PYTHONPATH"] = os.pathsep.join(str(path) for path in paths)
    valgrind = [
        "valgrind",
        "--tool=callgrind",
        "--instr-atstart=no",
        "--callgrind-out-file=/dev/null",
    ]
    command = [
        *([] if args.no_valgrind else valgrind),
        sys.executable,
        str(Path(__file__).resolve()),
        "--client",
        case,
        "--url",
        url,
        "--requests",
        str(args.requests),
        "--warmup",
        str(args.warmup),
        "--concurrency",
        str(args.concurrency),
        "--gather-batches",
        str(args.gather_batches),
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    match = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or (match is None and not args.no_valgrind):
        raise RuntimeError(f"{case}: the client failed:\n{done.stderr[-3000:]}")
    return int(match.group(1)) / args.requests if match else math.nan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="*", choices=CASES, default=["raw", "ticker", "account"])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--gather-batches", type=int, default=1)
    parser.add_argument("--compare-with", metavar="DIR")
    parser.add_argument(
        "--no-valgrind",
        action="store_true",
        help="run the cases without counting (a check that they run; figures shown as nan)",
    )
    parser.add_argument("--client", choices=CASES, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client is not None:
        asyncio.run(
            client(
                args.client,
                args.url,
                args.requests,
                args.warmup,
                args.concurrency,
                args.gather_batches,
            )
        )
        return
    sys.path.insert(0, str(HERE))
    from loopback_server import server_process

    server = [sys.executable, str(HERE / "loopback_server.py"), "--canned"]
    print(f"instructions per request: {args.requests} requests, c={args.concurrency}")
    with server_process(server) as url:
        for case in args.cases:
            line = f"{case:12} {_thousands(count(case, url, args, None))}"
            if args.compare_with and case in AIOCA_CASES:
                line += f"   before: {_thousands(count(case, url, args, args.compare_with))}"
            print(line, flush=True)


def _thousands(figure: float) -> str:
    return "not counted" if math.isnan(figure) else f"{figure / 1000:8.1f}k"


if __name__ == "__main__":
    main()
