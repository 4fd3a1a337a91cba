"""P processes starting at once, each needing every market's exchangeInfo: fetched by
each process (``own``) vs once for all through Redis (``redis``: ``RedisBackend``'s shared
answers, what the Binance plugin does with a ``limiter_backend`` that keeps them).

For each P in ``--processes``, P worker processes (each with its own interpreter, API
object and Redis connection) wait for the same instant, then run ``SpotExchangeInfo``,
``UsdmExchangeInfo`` and ``CoinMExchangeInformation`` together; the modes alternate in one
run, on a fresh Redis prefix each time. Printed per run, from the simulator's own count:
exchangeInfo requests received, the weight they charged (Spot's costs 20, the futures
ones 1), and the time each process took to hold all three answers (median and slowest,
from the common start).

    python benchmarks/shared_exchange_info.py [--processes 2 4 8] [--rounds 2] [--check]

Needs ``redis-server`` (Debian package) and the ``redis`` extra.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
import uuid

from aioca import GatherTask
from aioca.limits.redis import RedisBackend
from aioca.limits.testing import RedisServer
from aioca_binance import BinanceRestApi
from aioca_binance.coinm import CoinMExchangeInformation
from aioca_binance.spot import SpotExchangeInfo
from aioca_binance.usdm import UsdmExchangeInfo
from aioca_binance_sim import BinanceSimulator

TASKS = (SpotExchangeInfo, UsdmExchangeInfo, CoinMExchangeInformation)
MARKETS = {"spot": SpotExchangeInfo, "usdm": UsdmExchangeInfo, "coinm": CoinMExchangeInformation}


async def worker(mode: str, redis_url: str, prefix: str, urls: dict[str, str], at: float) -> None:
    async with RedisBackend(redis_url, prefix=prefix) as backend:
        await backend.connect()
        api = BinanceRestApi(
            urls=urls,
            limiter_backend=backend,
            max_clock_offset=None,
            exchange_info_ttl=300.0 if mode == "redis" else None,
        )
        async with api:
            await asyncio.sleep(max(0.0, at - time.time()))
            await GatherTask(*(task(api=api) for task in TASKS)).run()
            print(json.dumps({"took": time.time() - at}))


async def measure(mode: str, processes: int, redis_url: str) -> dict[str, float]:
    async with BinanceSimulator() as sim:
        prefix = f"bench{uuid.uuid4().hex[:10]}"
        at = time.time() + 2.0 + 0.6 * processes  # after every interpreter has started
        children = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                __file__,
                "--worker",
                json.dumps([mode, redis_url, prefix, sim.urls, at]),
                stdout=subprocess.PIPE,
            )
            for _ in range(processes)
        ]
        outputs = [await child.communicate() for child in children]
        if any(child.returncode for child in children):
            raise SystemExit(f"a {mode} worker failed")
        took = sorted(json.loads(out)["took"] for out, _ in outputs)
        requests = sum(sim.requests[m, t.endpoint.path] for m, t in MARKETS.items())
        weight = sum(
            sim.requests[m, t.endpoint.path] * t.endpoint.weight for m, t in MARKETS.items()
        )
    return {
        "requests": requests,
        "weight": weight,
        "p50": statistics.median(took) * 1000,
        "max": took[-1] * 1000,
    }


async def main(args: argparse.Namespace) -> int:
    server = RedisServer()
    server.start()
    missed = False
    try:
        print(f"{'P':>3} {'mode':<6} {'requests':>8} {'weight':>7} {'p50 ms':>8} {'max ms':>8}")
        for processes in args.processes:
            for _ in range(args.rounds):
                for mode in ("own", "redis"):
                    row = await measure(mode, processes, server.url)
                    print(
                        f"{processes:>3} {mode:<6} {row['requests']:>8.0f} {row['weight']:>7.0f}"
                        f" {row['p50']:>8.1f} {row['max']:>8.1f}"
                    )
                    if mode == "redis" and row["requests"] != len(TASKS):
                        missed = True
    finally:
        server.kill()
    return 1 if args.check and missed else 0


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, nargs="+", default=[2, 4, 8])
    parser.add_argument("--rounds", type=int, default=2, help="runs of each mode per P")
    parser.add_argument(
        "--check", action="store_true", help="exit 1 unless redis made one request a market"
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


if __name__ == "__main__":
    arguments = parse(sys.argv[1:])
    if arguments.worker:
        mode, url, prefix, urls, at = json.loads(arguments.worker)
        asyncio.run(worker(mode, url, prefix, urls, at))
    else:
        sys.exit(asyncio.run(main(arguments)))
