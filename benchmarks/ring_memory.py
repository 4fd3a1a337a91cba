"""Whether a long-running ``TaskRing`` leaks memory or connections when requests fail.

A ``TaskRing`` of 10 small tasks (``CoinMFetchTicker``, weight 1) runs ``--passes`` times
(a pass is one run of the ring: its 10 tasks) with ``on_error="continue"``, against a
loopback server in its own process (``latency.py --serve``, answering at once) that makes
every ``--fail-every``-th request fail, 1% by default, in turn as HTTP 500 (Binance's
-1001), HTTP 400 (-1121, invalid symbol) and a connection closed without an answer.

``--mode serial`` (the default) puts the 10 tasks in the ring itself, so the operator runs
them one after another, as a ring polling 10 endpoints is written; ``--mode gather`` puts
one ``GatherTask`` of the 10 in the ring, which runs them concurrently (about twice the
request rate, and up to 10 connections at once instead of one).

The API has no rate-limit windows (``RateLimiter([])``): Binance's default limiter allows
2400 weight a minute, 40 of these requests a second, so 1,000,000 of them would take
7 hours; the loopback server counts no weight, and the limiter stays on the request path
(admission and header reading still run), so its cost is in the figures. Retries are off
(``RetryPolicy(attempts=1)``) so that every injected failure surfaces on its task.

Printed: the resident set size (``VmRSS``), Python objects tracked by the garbage
collector and open connections at the start, after a warm-up (the first 5% of passes), at
every further 5% and at the end, each after ``gc.collect()`` (the server's count is read
with a request, so it includes the connection that carries it). Goals: RSS growth from the
warm-up to the end under 5 MB; open connections (the API's pool: acquired and idle, and
the server's count, including its peak) never above the pool size; every injected failure
visible as its task's ``exception``.

The issue asks for 100,000 passes (1,000,000 requests). On 2 cores the serial ring does
5,000 to 7,600 requests a second (1,000,000 in 131 s when measured), so the default runs
all 100,000 passes, in 2 to 3.5 minutes; ``--passes`` sets fewer (or more).

    python benchmarks/ring_memory.py [--passes 100000] [--mode serial|gather]
                                     [--fail-every 100] [--check]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from latency import FAILURES, STATS, delay_server  # benchmarks/ is on sys.path as a script

from aioca import (
    BaseTask,
    GatherTask,
    RateLimiter,
    RetryPolicy,
    TaskOperator,
    TaskRing,
    errors,
)
from aioca_binance import BinanceRestApi
from aioca_binance.coinm import CoinMFetchTicker

ISSUE_PASSES = 100_000
TASKS = 10
GOAL_RSS_MB = 5.0
SYMBOLS = ("BTCUSD_PERP", "ETHUSD_PERP", "BNBUSD_PERP", "XRPUSD_PERP", "ADAUSD_PERP")

# What each injected failure must surface as on its task.
EXPECTED: dict[str, type[errors.AiocaError]] = {
    "http 500": errors.ExchangeServerError,
    "http 400": errors.BadSymbolError,
    "dropped": errors.NetworkError,
}


def rss_kb(field_name: str = "VmRSS") -> int:
    """A size from ``/proc/self/status``, in kB (``VmRSS`` now, ``VmHWM`` the peak)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field_name} in /proc/self/status (Linux only)")


def open_sockets() -> int:
    """Sockets this process has open, from ``/proc/self/fd``."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # closed since listed (the listing's own fd)
            count += os.readlink(f"/proc/self/fd/{fd}").startswith("socket:")
    return count


def pool_connections(api: BinanceRestApi) -> int:
    """Connections in the API's aiohttp pool, acquired and idle (aiohttp's private state:
    no public API counts them)."""
    session = api._session
    if session is None:
        return 0
    connector: Any = session.connector
    idle = sum(len(connections) for connections in connector._conns.values())
    return len(connector._acquired) + idle


@dataclass
class Checkpoint:
    passes: int
    elapsed: float
    rss_kb: int
    objects: int
    pooled: int
    sockets: int
    server_open: int
    errors: int


@dataclass
class Outcome:
    mode: str
    passes: int
    pool_size: int
    seconds: float
    checkpoints: list[Checkpoint]
    warm: Checkpoint
    end: Checkpoint
    peak_rss_kb: int
    base_sockets: int
    server: dict[str, Any]
    errors: Counter[str] = field(default_factory=Counter)
    """Exceptions on tasks, by class."""
    failures: Counter[str] = field(default_factory=Counter)
    """Exceptions on tasks, by the kind of injected failure their class stands for."""
    unexpected: list[str] = field(default_factory=list)
    failed_passes: int = 0


def build_ring(api: BinanceRestApi, mode: str, passes: int) -> TaskRing:
    tasks = [CoinMFetchTicker(api=api, symbol=SYMBOLS[i % len(SYMBOLS)]) for i in range(TASKS)]
    if mode == "gather":
        return TaskRing(GatherTask(*tasks), iter_num=passes)
    return TaskRing(*tasks, iter_num=passes)


async def run_ring(args: argparse.Namespace, url: str) -> Outcome:
    base_sockets = open_sockets()  # the event loop's own, before any connection
    api = BinanceRestApi(
        urls={"coinm": url},
        rate_limiter=RateLimiter([]),  # no windows: see the module docstring
        retry=RetryPolicy(attempts=1),  # every injected failure surfaces on its task
        time_sync_interval=None,
    )
    ring = build_ring(api, args.mode, args.passes)
    warm_at = max(1, round(args.passes * 0.05))
    step = max(1, round(args.passes * 0.05))
    marks = {warm_at, args.passes, *range(step, args.passes, step)}
    error_kinds: Counter[str] = Counter()  # by exception class
    error_failures: Counter[str] = Counter()  # by the injected failure they stand for
    unexpected: list[str] = []
    failed_passes = 0
    checkpoints: list[Checkpoint] = []

    async def checkpoint(passes: int, elapsed: float) -> Checkpoint:
        gc.collect()
        sockets, pooled = open_sockets(), pool_connections(api)  # before the stats request
        stats = await api.request("GET", url + STATS) if passes else {"connections_open": 0}
        point = Checkpoint(
            passes=passes,
            elapsed=elapsed,
            rss_kb=rss_kb(),
            objects=len(gc.get_objects()),
            pooled=pooled,
            sockets=sockets - base_sockets,
            server_open=stats["connections_open"],
            errors=sum(error_kinds.values()),
        )
        checkpoints.append(point)
        return point

    def note(task: BaseTask) -> bool:
        exc = task.exception
        if exc is None:
            return False
        error_kinds[type(exc).__name__] += 1
        kind = next((kind for kind, cls in EXPECTED.items() if isinstance(exc, cls)), None)
        if kind is None:
            unexpected.append(f"{type(exc).__name__}: {exc}")
        else:
            error_failures[kind] += 1
        return True

    async with api:
        await checkpoint(0, 0.0)
        operator = TaskOperator(ring, on_error="continue")
        passes = done_in_pass = 0
        pass_failed = False
        paused = 0.0  # time spent in checkpoints, left out of the elapsed time
        started = time.perf_counter()
        async for task in operator.finished():
            if isinstance(task, GatherTask):
                failed = [note(child) for child in task.tasks]
                if any(failed) and not isinstance(task.exception, BaseExceptionGroup):
                    unexpected.append(f"GatherTask without its ExceptionGroup: {task!r}")
                pass_failed, done_in_pass = any(failed), TASKS
            else:
                pass_failed = note(task) or pass_failed
                done_in_pass += 1
            if done_in_pass < TASKS:
                continue
            passes += 1
            failed_passes += pass_failed
            pass_failed, done_in_pass = False, 0
            if passes in marks:
                now = time.perf_counter()
                point = await checkpoint(passes, now - started - paused)
                if passes == warm_at:
                    warm = point
                paused += time.perf_counter() - now
        seconds = time.perf_counter() - started - paused
        end = checkpoints[-1]
        server = await api.request("GET", url + STATS)
        pool_size = api.connection_limit
    return Outcome(
        mode=args.mode,
        passes=passes,
        pool_size=pool_size,
        seconds=seconds,
        checkpoints=checkpoints,
        warm=warm,
        end=end,
        peak_rss_kb=rss_kb("VmHWM"),
        base_sockets=base_sockets,
        server=server,
        errors=error_kinds,
        failures=error_failures,
        unexpected=unexpected,
        failed_passes=failed_passes,
    )


def report(args: argparse.Namespace, url: str, outcome: Outcome) -> bool:
    requests = outcome.passes * TASKS
    print(
        f"loopback server {url}: answers at once; every {args.fail_every}th request fails, "
        f"in turn as {', '.join(FAILURES)}"
    )
    how = (
        "one GatherTask of them in the ring (concurrent)"
        if outcome.mode == "gather"
        else "the tasks in the ring itself, one after another"
    )
    print(
        f"TaskRing of {TASKS} CoinMFetchTicker tasks, {how} (--mode {outcome.mode}); "
        'on_error="continue", no retries, no rate-limit windows'
    )
    why = (
        "all of them"
        if outcome.passes >= ISSUE_PASSES
        else "fewer, as --passes asked; the default runs them all"
    )
    print(
        f"passes: {outcome.passes:,} of the issue's {ISSUE_PASSES:,} ({why}); "
        f"{requests:,} requests in {outcome.seconds:.1f} s, {requests / outcome.seconds:,.0f}/s"
    )
    print()
    print(
        f"{'pass':>9}{'elapsed s':>11}{'RSS MB':>9}{'objects':>10}{'pooled':>8}"
        f"{'sockets':>9}{'server open':>13}{'errors':>9}  note"
    )
    for point in outcome.checkpoints:
        note = (
            "start"
            if point.passes == 0
            else "warm-up"
            if point is outcome.warm
            else "end"
            if point is outcome.end
            else ""
        )
        print(
            f"{point.passes:>9}{point.elapsed:>11.1f}{point.rss_kb / 1024:>9.1f}"
            f"{point.objects:>10}{point.pooled:>8}{point.sockets:>9}{point.server_open:>13}"
            f"{point.errors:>9}  {note}".rstrip()
        )
    print()
    warm, end, server = outcome.warm, outcome.end, outcome.server
    growth_mb = (end.rss_kb - warm.rss_kb) / 1024
    injected: dict[str, int] = server["failures"]
    seen = sum(outcome.errors.values())
    expected_total = sum(injected.values())
    rows = [
        ("RSS after warm-up / at end (MB)", f"{warm.rss_kb / 1024:.1f} / {end.rss_kb / 1024:.1f}"),
        ("RSS growth after warm-up (MB)", f"{growth_mb:+.2f}"),
        ("peak RSS, VmHWM (MB)", f"{outcome.peak_rss_kb / 1024:.1f}"),
        ("Python objects after warm-up / at end", f"{warm.objects} / {end.objects}"),
        ("connections in the pool, warm-up / end", f"{warm.pooled} / {end.pooled}"),
        ("client sockets, warm-up / end", f"{warm.sockets} / {end.sockets}"),
        ("connections open at the server, peak", str(server["connections_peak"])),
        ("connections opened in all (server)", str(server["connections_opened"])),
        ("requests served (server)", str(server["requests"])),
        ("errors on tasks", str(seen)),
        ("passes with a failed task", str(outcome.failed_passes)),
    ]
    print(f"{'measurement':<42}{'value':>16}")
    for name, value in rows:
        print(f"{name:<42}{value:>16}")
    print()
    print(f"{'injected failure':<18}{'server':>8}{'on tasks':>10}  as")
    for kind in FAILURES:
        print(
            f"{kind:<18}{injected.get(kind, 0):>8}{outcome.failures[kind]:>10}  "
            f"{EXPECTED[kind].__name__}"
        )
    others = sorted(outcome.errors.items())
    print(f"errors on tasks by class: {', '.join(f'{n} {c}' for n, c in others) or 'none'}")
    print()
    rss_ok = growth_mb < GOAL_RSS_MB
    print(f"{'PASS' if rss_ok else 'FAIL'} RSS growth after warm-up < 5 MB: {growth_mb:+.2f} MB")
    most = max(server["connections_peak"], *(max(p.pooled, p.sockets) for p in outcome.checkpoints))
    bounded = most <= outcome.pool_size
    print(
        f"{'PASS' if bounded else 'FAIL'} open connections <= pool size ({outcome.pool_size}): "
        f"at most {most}, {end.pooled} at the end"
    )
    visible = Counter(injected) == outcome.failures and not outcome.unexpected
    print(
        f"{'PASS' if visible else 'FAIL'} every injected failure is on its task: "
        f"{seen} of {expected_total}"
    )
    return rss_ok and bounded and visible


def positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive whole number, not {text}")
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--passes", type=positive_int, default=ISSUE_PASSES, help="runs of the ring"
    )
    parser.add_argument("--mode", choices=("serial", "gather"), default="serial")
    parser.add_argument(
        "--fail-every", type=positive_int, default=100, help="fail every N-th request"
    )
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    args = parser.parse_args()
    with delay_server(0, args.fail_every) as url:
        outcome = asyncio.run(run_ring(args, url))
    passed = report(args, url, outcome)
    if args.check and not passed:
        sys.exit(1)


if __name__ == "__main__":
    main()
