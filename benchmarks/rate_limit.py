"""How much of an exchange's weight budget aioca's rate limiter uses, and whether it gets a 429.

A loopback COIN-M server (``loopback_server.py``, in its own process) counts request weight
the way Binance does, in clock-aligned windows with a scaled-down limit (600 weight per
10 s by default), and answers 429 to a request that would go over. A burst of mixed-weight
catalog tasks (tickers, order books and klines of weight 1 to 20) worth ``--seconds`` of
budget is fired at once, as one ``GatherTask`` run by a ``TaskOperator``, through a
``BinanceRestApi`` whose limiter has one window of the same size. Retries are off, so
every 429 shows.

Printed: the weight the server admitted in each window; the share of the allowed weight
used over the full windows (the first window is joined mid-way and the last one runs out
of tasks; goal >= 95%); the number of 429s (goal 0); and the queueing delay per request,
both the whole wait in the limiter (mostly the burst waiting its turn for budget) and the
*extra* delay over an ideal limiter that admits the same requests in the same order the
instant the server's window has room (that is what the limiter's ``--safety`` margin and
its wake-ups cost).

The burst is fired at once, at whatever point of a window the clock is; ``--start-phase P``
fires it at fraction ``P`` of a window instead. A burst fired within ``--safety`` seconds
after a window boundary gets 429s: the limiter still charges that moment to the window that
just ended, while the server counts it in the new one (``--start-phase 0.01`` shows it).

    python benchmarks/rate_limit.py [--window 10] [--limit 600] [--seconds 60] [--tasks N]
                                    [--safety 0.25] [--start-phase P] [--seed 1] [--check]
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import itertools
import math
import random
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from loopback_server import (  # benchmarks/ is on sys.path when run as a script
    server_process,
    usage_header,
)

from aioca import GatherTask, RateLimiter, RetryPolicy, TaskOperator, Window, errors
from aioca_binance import BinanceRestApi
from aioca_binance.coinm import CoinMFetchKline, CoinMFetchTicker, CoinMOrderBook
from aioca_binance.task import BinanceTask

SERVER = Path(__file__).with_name("loopback_server.py")
WINDOW_NAME = "REQUEST_WEIGHT"  # the name BinanceRestApi.costs() charges request weight to
GOAL_USED = 0.95
DEFAULT_SAFETY: float = inspect.signature(RateLimiter).parameters["safety"].default

# The burst's mix: (label, catalog task factory); each kind equally likely.
MIX: tuple[tuple[str, Callable[[BinanceRestApi], BinanceTask]], ...] = (
    ("ticker symbol", lambda api: CoinMFetchTicker(api=api, symbol="BTCUSD_PERP")),
    ("ticker pair", lambda api: CoinMFetchTicker(api=api, pair="BTCUSD")),
    ("depth 5", lambda api: CoinMOrderBook(api=api, symbol="BTCUSD_PERP", limit=5)),
    ("depth 100", lambda api: CoinMOrderBook(api=api, symbol="BTCUSD_PERP", limit=100)),
    ("depth 500", lambda api: CoinMOrderBook(api=api, symbol="BTCUSD_PERP", limit=500)),
    ("depth 1000", lambda api: CoinMOrderBook(api=api, symbol="BTCUSD_PERP", limit=1000)),
    ("klines 50", lambda api: _kline(api, 50)),
    ("klines 200", lambda api: _kline(api, 200)),
    ("klines 1000", lambda api: _kline(api, 1000)),
    ("klines 1500", lambda api: _kline(api, 1500)),
)


def _kline(api: BinanceRestApi, limit: int) -> BinanceTask:
    return CoinMFetchKline(api=api, symbol="BTCUSD_PERP", interval="1m", limit=limit)


class TimedRateLimiter(RateLimiter):
    """A limiter that records, for every request, when it asked and when it was admitted."""

    def __init__(self, windows: list[Window], *, safety: float) -> None:
        super().__init__(windows, safety=safety)
        self._order = itertools.count()
        self.admissions: list[tuple[int, float, float, int]] = []
        """(order of asking, asked at, admitted at, weight) per request."""

    async def acquire(self, costs: Mapping[str, int], max_wait: float | None = None) -> None:
        order, asked = next(self._order), time.time()
        await super().acquire(costs, max_wait=max_wait)
        self.admissions.append((order, asked, time.time(), costs.get(WINDOW_NAME, 0)))


@dataclass
class Outcome:
    started: float
    finished: float
    burst_weight: int
    tasks: int
    failed_429: int
    other_errors: list[str]
    admissions: list[tuple[int, float, float, int]]
    server_log: list[tuple[float, int, int]]


@contextmanager
def loopback_server(window: int, limit: int) -> Iterator[str]:
    """Run ``loopback_server.py`` in a child process; yields its base URL."""
    command = [sys.executable, str(SERVER), "--window", str(window), "--limit", str(limit)]
    with server_process(command) as url:
        yield url


def make_burst(
    api: BinanceRestApi, rng: random.Random, target_weight: int, tasks: int | None
) -> list[BinanceTask]:
    """``tasks`` random tasks of the mix, or as many as it takes to reach ``target_weight``."""
    burst: list[BinanceTask] = []
    weight = 0
    while (len(burst) < tasks) if tasks is not None else (weight < target_weight):
        _label, factory = rng.choice(MIX)
        task = factory(api)
        burst.append(task)
        weight += task.weight
    return burst


async def run_burst(args: argparse.Namespace, url: str) -> Outcome:
    window = Window(WINDOW_NAME, args.limit, args.window, header=usage_header(args.window))
    limiter = TimedRateLimiter([window], safety=args.safety)
    api = BinanceRestApi(
        urls={"coinm": url},
        retry=RetryPolicy(attempts=1),  # a 429 is counted, not retried away
        rate_limiter=limiter,
        time_sync_interval=None,
    )
    rng = random.Random(args.seed)
    target = math.ceil(args.limit * args.seconds / args.window)
    async with api:
        burst = make_burst(api, rng, target, args.tasks)
        if args.start_phase is not None:
            now = time.time()
            start = (math.floor(now / args.window) + args.start_phase) * args.window
            await asyncio.sleep((start - now) % args.window)
        started = time.time()
        await TaskOperator().run_single_task(GatherTask(*burst)).arun(on_error="continue")
        finished = time.time()
    async with aiohttp.ClientSession() as session, session.get(url + "/_stats") as response:
        stats: dict[str, Any] = await response.json()
    failed_429 = sum(isinstance(task.exception, errors.RateLimitError) for task in burst)
    others = [
        f"{type(task.exception).__name__}: {task.exception}"
        for task in burst
        if task.exception is not None and not isinstance(task.exception, errors.RateLimitError)
    ]
    return Outcome(
        started=started,
        finished=finished,
        burst_weight=sum(task.weight for task in burst),
        tasks=len(burst),
        failed_429=failed_429,
        other_errors=others,
        admissions=sorted(limiter.admissions),
        server_log=[(float(t), int(w), int(s)) for t, w, s in stats["requests"]],
    )


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (``p`` in 0..100) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def ideal_admissions(
    admissions: list[tuple[int, float, float, int]], limit: int, seconds: int, started: float
) -> list[float]:
    """When a perfect limiter would admit each request: in the order asked, the moment the
    server's window (starting from an empty one at ``started``) has room for it."""
    index, used, ideal = math.floor(started / seconds), 0, []
    for _order, asked, _admitted, weight in admissions:
        if used + weight > limit:
            index, used = index + 1, 0
        used += weight
        ideal.append(max(asked, index * seconds))
    return ideal


def report(args: argparse.Namespace, url: str, outcome: Outcome) -> bool:
    seconds, limit = args.window, args.limit
    log = outcome.server_log
    admitted = [(t, w) for t, w, status in log if status == 200]
    refused = [t for t, _w, status in log if status == 429]
    first = math.floor(outcome.started / seconds)
    last = math.floor(max(t for t, _w in admitted) / seconds) if admitted else first
    last = max([last, *(math.floor(t / seconds) for t in refused)])
    print(
        f"loopback server {url}: {limit} weight per {seconds} s window "
        f"({usage_header(seconds)}); limiter safety margin {args.safety:g} s"
    )
    print(
        f"burst: {outcome.tasks} tasks, {outcome.burst_weight} weight "
        f"({outcome.burst_weight / limit:.1f} windows' worth), weights 1-20, seed {args.seed}"
    )
    print()
    print(f"{'window':<8}{'starts at':>11}{'used':>7}{'limit':>7}{'used %':>8}{'429s':>6}  note")
    full_used = full_windows = 0
    for index in range(first, last + 1):
        used = sum(w for t, w in admitted if math.floor(t / seconds) == index)
        rejected = sum(1 for t in refused if math.floor(t / seconds) == index)
        full = first < index < last
        note = "full" if full else "first (joined mid-way)" if index == first else "last"
        if full:
            full_used, full_windows = full_used + used, full_windows + 1
        start = index * seconds - outcome.started
        print(
            f"{index - first:<8}{start:>10.2f}s{used:>7}{limit:>7}"
            f"{100 * used / limit:>7.1f}%{rejected:>6}  {note}"
        )
    print()
    waits = [admitted_at - asked for _o, asked, admitted_at, _w in outcome.admissions]
    ideal = ideal_admissions(outcome.admissions, limit, seconds, outcome.started)
    extra = [
        max(0.0, admitted_at - best)
        for (_o, _asked, admitted_at, _w), best in zip(outcome.admissions, ideal, strict=True)
    ]
    server_weight = sum(w for _t, w, _s in log)
    fraction = full_used / (limit * full_windows) if full_windows else None
    rows: list[tuple[str, str]] = [
        (
            f"weight used in full windows ({full_windows})",
            f"{100 * fraction:.1f} %" if fraction is not None else "n/a",
        ),
        ("HTTP 429 responses (server)", str(len(refused))),
        ("requests failed with a 429 (client)", str(outcome.failed_429)),
        ("burst weight, catalog / server", f"{outcome.burst_weight} / {server_weight}"),
        ("limiter wait p50 (s)", f"{percentile(waits, 50):.3f}" if waits else "n/a"),
        ("limiter wait p99 (s)", f"{percentile(waits, 99):.3f}" if waits else "n/a"),
        ("extra queueing delay p50 (s)", f"{percentile(extra, 50):.3f}" if extra else "n/a"),
        ("extra queueing delay p99 (s)", f"{percentile(extra, 99):.3f}" if extra else "n/a"),
        ("elapsed (s)", f"{outcome.finished - outcome.started:.2f}"),
    ]
    print(f"{'measurement':<44}{'value':>14}")
    for name, value in rows:
        print(f"{name:<44}{value:>14}")
    print()
    used_ok = fraction is not None and fraction >= GOAL_USED
    if fraction is None:
        why = "no full window: make --seconds at least 3 windows"
    else:
        why = f"{100 * fraction:.1f} %"
    print(f"{'PASS' if used_ok else 'FAIL'} weight used in full windows >= 95%: {why}")
    no_429 = not refused
    print(f"{'PASS' if no_429 else 'FAIL'} no HTTP 429: {len(refused)}")
    return used_ok and no_429


def positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive whole number, not {text}")
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--window", type=positive_int, default=10, help="window length, seconds")
    parser.add_argument("--limit", type=positive_int, default=600, help="weight per window")
    parser.add_argument(
        "--seconds", type=float, default=60, help="size the burst to need this much budget"
    )
    parser.add_argument("--tasks", type=positive_int, help="burst size in tasks (not --seconds)")
    parser.add_argument(
        "--safety", type=float, default=DEFAULT_SAFETY, help="the limiter's safety margin, s"
    )
    parser.add_argument(
        "--start-phase",
        type=float,
        help="fire the burst at this fraction (0..1) of a window, not at once",
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the burst's mix")
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    args = parser.parse_args()
    if args.limit < 20:
        parser.error("--limit must be at least 20, the heaviest request's weight")
    if args.seconds <= 0 or args.safety < 0:
        parser.error("--seconds must be positive and --safety at least 0")
    if args.start_phase is not None and not 0 <= args.start_phase < 1:
        parser.error("--start-phase must be in [0, 1)")
    try:
        usage_header(args.window)
    except ValueError as exc:
        parser.error(str(exc))
    with loopback_server(args.window, args.limit) as url:
        outcome = asyncio.run(run_burst(args, url))
    passed = report(args, url, outcome)
    if outcome.other_errors:
        print(f"INVALID: {len(outcome.other_errors)} requests failed otherwise, e.g.")
        print(f"  {outcome.other_errors[0]}")
        sys.exit(2)
    if args.check and not passed:
        sys.exit(1)


if __name__ == "__main__":
    main()
