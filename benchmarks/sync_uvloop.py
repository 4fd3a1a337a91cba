"""What uvloop changes for the synchronous operator, which runs on it when it is installed.

``TaskOperator.run()`` (the seed's synchronous facade) runs its queue on uvloop's event
loop when uvloop is installed (the ``fast`` extra) and ``AIOCA_UVLOOP`` is not ``0``.
This script measures the difference: each run is a fresh interpreter that sends, through
``op.run()``, a ``TaskQueue`` of ``--batches`` ``GatherTask``s of ``--concurrency``
catalog tasks (``ticker``: ``CoinMFetchTicker``; ``account``: the signed
``CoinMAccountInformation``) to the canned loopback server of ``throughput.py`` (in its own
process), once with ``AIOCA_UVLOOP=1`` and once with ``AIOCA_UVLOOP=0``, alternating,
``--rounds`` times. Reported, as medians: requests per second (wall clock of ``op.run()``,
which includes opening the connections), client CPU per request, and uvloop's gain.

    python benchmarks/sync_uvloop.py [--rounds 5] [--batches 40] [--concurrency 50]
        [--scenarios ticker account]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from loopback_server import server_process  # benchmarks/ is on sys.path when run as a script

SERVER = Path(__file__).with_name("loopback_server.py")
SCENARIOS = ("ticker", "account")
LOOPS = {"uvloop": "1", "asyncio": "0"}


def child(scenario: str, url: str, batches: int, concurrency: int) -> None:
    """One measured run, in this interpreter: prints ``{"seconds", "cpu", "loop"}``."""
    from aioca import FunctionTask, GatherTask, RateLimiter, TaskOperator, TaskQueue
    from aioca_binance import BinanceRestApi
    from aioca_binance.coinm import CoinMAccountInformation, CoinMFetchTicker

    api = BinanceRestApi(
        "bench-api-key",
        "bench-api-secret",
        urls={"coinm": url},
        rate_limiter=RateLimiter([]),
        time_sync_interval=None,
    )

    def task() -> CoinMFetchTicker | CoinMAccountInformation:
        if scenario == "ticker":
            return CoinMFetchTicker(api=api, symbol="BTCUSD_PERP")
        return CoinMAccountInformation(api=api)

    def queue() -> TaskQueue:
        return TaskQueue(
            *(GatherTask(*(task() for _ in range(concurrency))) for _ in range(batches))
        )

    loops: list[str] = []

    async def which_loop() -> None:
        loops.append(type(asyncio.get_running_loop()).__module__)

    TaskOperator(TaskQueue(FunctionTask(which_loop))).run()
    TaskOperator(queue()).run()  # warm-up: code paths, the first validator build
    operator = TaskOperator(queue())  # on_error="raise": a failed request ends the run
    started, cpu = time.perf_counter(), time.process_time()
    operator.run()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(json.dumps({"seconds": seconds, "cpu": cpu, "loop": loops[0]}))


def run_child(loop: str, scenario: str, url: str, args: argparse.Namespace) -> dict[str, Any]:
    env = dict(os.environ, AIOCA_UVLOOP=LOOPS[loop])
    command = [sys.executable, __file__, "--child", scenario, url]
    command += ["--batches", str(args.batches), "--concurrency", str(args.concurrency)]
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the {loop} run failed:\n{done.stdout}{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    if not str(result["loop"]).startswith(loop):
        raise SystemExit(f"AIOCA_UVLOOP={LOOPS[loop]} ran on {result['loop']}, not {loop}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--scenarios", nargs="+", choices=SCENARIOS, default=list(SCENARIOS))
    parser.add_argument("--child", nargs=2, metavar=("SCENARIO", "URL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], args.batches, args.concurrency)
        return
    try:
        import uvloop  # noqa: F401
    except ImportError:
        print("uvloop is not installed (pip install aioca-core[fast]): nothing to compare")
        return
    n = args.batches * args.concurrency
    command = [sys.executable, str(SERVER), "--canned", "--http", "asyncio"]
    samples: dict[tuple[str, str], list[dict[str, Any]]] = {}
    with server_process(command) as url:
        for number in range(args.rounds):  # interleaved, the loop that goes first alternating
            for scenario in args.scenarios:
                order = list(LOOPS) if number % 2 == 0 else list(reversed(LOOPS))
                for loop in order:
                    samples.setdefault((scenario, loop), []).append(
                        run_child(loop, scenario, url, args)
                    )
    print(
        f"op.run() of {args.batches} GatherTasks of {args.concurrency} tasks ({n} requests) "
        f"per run; medians of {args.rounds} interleaved runs, each in a fresh interpreter"
    )
    print()
    print(f"{'scenario':<10}{'loop':<10}{'req/s':>8}{'cpu us':>8}{'gain':>7}")
    for scenario in args.scenarios:
        rates = {}
        for loop in ("asyncio", "uvloop"):
            runs = samples[(scenario, loop)]
            rate = statistics.median(n / s["seconds"] for s in runs)
            cpu = statistics.median(s["cpu"] / n * 1e6 for s in runs)
            rates[loop] = rate
            gain = f"{rate / rates['asyncio']:.2f}x" if loop == "uvloop" else ""
            print(f"{scenario:<10}{loop:<10}{rate:>8.0f}{cpu:>8.1f}{gain:>7}".rstrip())


if __name__ == "__main__":
    main()
