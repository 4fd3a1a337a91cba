"""P processes sharing one IP's weight budget: a limiter per process vs one in Redis.

The Binance simulator (``aioca_binance_sim``, in this process) enforces its REQUEST_WEIGHT
window as Binance does (429, then 418 bans after repeated 429s), scaled down so that a run
takes seconds: ``--limit`` weight per ``--window`` seconds. For each P in ``--processes``,
P worker processes fire mixed-weight catalog tasks (tickers, order books: weight 1, 2 and
5; ``--demand`` windows' worth of weight in all, split among them) at the same instant,
retries off so every 429 shows: once with a limiter per process (``local``: each believes
it has the whole budget), once with the budget split by hand (``split``: each process's
limiter holds 1/P of it, what users do without a shared limiter) and once with one budget
in Redis (``redis``: ``RedisBackend``, leases on); the modes alternate, in the same run.

Printed per run, from the simulator's own count: HTTP 429 and 418 answers; the share of
the allowed weight used over the full windows (the first is joined mid-way, the last runs
out of tasks; goal >= 95%); the p99 queueing delay (task start to its answer) against the
ideal of a perfect shared limiter that admits weight the instant a window has room (goal:
within one window); the client CPU per request (whole worker processes), and what Redis
adds over the split budgets. Then, in one
process: the limiter's own CPU per admission, Redis with leases against the in-process
limiter (goal: <= 20 us added); and a ban injected by one process while the others keep
sending: how long until every other process refuses to send (goal: < 100 ms).

    python benchmarks/shared_limits.py [--processes 2 4 8] [--demand 6] [--limit 600]
                                       [--window 2] [--tasks N] [--check]

Needs ``redis-server`` (Debian package) and the ``redis`` extra.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import statistics
import subprocess
import sys
import time
import uuid
from typing import Any

from aioca import RateLimiter, RetryPolicy, Window, errors
from aioca.limits import redis as redis_limits
from aioca.limits import scripts
from aioca.limits.redis import RedisBackend
from aioca.limits.testing import RedisServer
from aioca_binance import BinanceRestApi
from aioca_binance.coinm import CoinMFetchTicker, CoinMOrderBook, CoinMServerTime
from aioca_binance_sim import BinanceSimulator

SYMBOL = "BTCUSD_PERP"
GOAL_USED = 0.95
GOAL_CPU_US = 20.0
GOAL_BAN_MS = 100.0


# --- the worker process ------------------------------------------------------------------


def _tasks(api: BinanceRestApi, count: int) -> list[Any]:
    kinds = [
        lambda: CoinMFetchTicker(symbol=SYMBOL, api=api),  # weight 1
        lambda: CoinMOrderBook(symbol=SYMBOL, limit=50, api=api),  # weight 2
        lambda: CoinMOrderBook(symbol=SYMBOL, limit=100, api=api),  # weight 5
    ]
    return [kinds[i % len(kinds)]() for i in range(count)]


async def _worker(options: dict[str, Any]) -> dict[str, Any]:
    backend = None
    round_trips: dict[str, int] = {}
    if options["mode"].startswith("redis"):
        if options.get("listen_wait"):  # an earlier setting, compared in the same run
            redis_limits._LISTEN_WAIT = options["listen_wait"]
        backend = RedisBackend(
            options["redis"], prefix=options["prefix"], lease_growth=options["lease_growth"]
        )
        run_script = backend.run

        async def counted(script: str, keys: Any, args: Any) -> Any:
            name = next(
                n
                for n in ("TAKE", "GIVE_BACK", "OBSERVE", "ADD", "HOLD", "NOW")
                if getattr(scripts, n) == script
            )
            reply = await run_script(script, keys, args)
            if name == "TAKE":  # granted (0), refused: window full (2) or banned (1)
                name = {0: "TAKE-granted", 2: "TAKE-refused"}.get(int(reply[0]), "TAKE-banned")
            round_trips[name] = round_trips.get(name, 0) + 1
            return reply

        backend.run = counted  # type: ignore[method-assign]
    api = BinanceRestApi(
        urls={"coinm": options["url"]},
        retry=RetryPolicy(attempts=1),
        limiter_backend=backend,
    )
    try:
        # The live limits, as exchangeInfo gives them (not fetched here: in the local mode
        # the address may already be banned by the time a slow worker starts).
        rate_limits = options["rate_limits"]
        if options["mode"] == "split":  # the budget split by hand: 1/P of it each
            for limit in rate_limits:
                limit["limit"] //= options["processes"]
        api.apply_exchange_info({"rateLimits": rate_limits})
        # Open the connection and reach Redis before the clock starts (in the local mode
        # the address may already be banned by faster workers).
        with contextlib.suppress(errors.AiocaError):
            await CoinMServerTime(api=api).run()
        tasks = _tasks(api, options["tasks"])
        await asyncio.sleep(max(0.0, options["start_at"] - time.time()))
        cpu = time.process_time()
        started = time.time()

        async def timed(task: Any) -> tuple[float, str]:
            try:
                await task.run()
                outcome = "ok"
            except errors.IPBannedError:
                outcome = "418"
            except errors.RateLimitError:
                outcome = "429"
            except errors.AiocaError as exc:
                outcome = type(exc).__name__
            return time.time() - started, outcome

        results = await asyncio.gather(*(timed(task) for task in tasks))
        cpu = time.process_time() - cpu
    finally:
        await api.close()
        if backend is not None:
            await backend.close()
    return {
        "delays": [delay for delay, _ in results],
        "outcomes": [outcome for _, outcome in results],
        "weights": [task.weight for task in tasks],
        "cpu": cpu,
        "started": started,
        "round_trips": round_trips,
    }


# --- the parent: simulator, Redis, runs ------------------------------------------------------


class Recorder:
    """Wraps the simulator's weight and ban checks: weight admitted per window, 429s, 418s."""

    def __init__(self, sim: BinanceSimulator, window: int) -> None:
        self.window = window
        self.admitted: dict[int, int] = {}
        self.refused = {429: 0, 418: 0}
        limits = sim.limits
        charge, check_ban = limits.charge_weight, limits.check_ban

        def charge_weight(ip: str, weight: int, now: float) -> int:
            try:
                used = charge(ip, weight, now)
            except Exception as exc:
                self._count(exc)
                raise
            index = math.floor(now / window)
            self.admitted[index] = self.admitted.get(index, 0) + weight
            return used

        def banned(ip: str, now: float) -> None:
            try:
                check_ban(ip, now)
            except Exception as exc:
                self._count(exc)
                raise

        limits.charge_weight = charge_weight  # type: ignore[method-assign]
        limits.check_ban = banned  # type: ignore[method-assign]

    def _count(self, exc: Exception) -> None:
        status = getattr(exc, "status", None)
        if status in self.refused:
            self.refused[status] += 1

    def reset(self) -> None:
        self.admitted = {}
        self.refused = {429: 0, 418: 0}


def ideal_p99(total: int, limit: int, window: float, started: float) -> float:
    """When a perfect shared limiter would have admitted 99 % of the weight: the window the
    run starts in gives ``limit``, each later one ``limit`` more."""
    first_boundary = (math.floor(started / window) + 1) * window
    needed = 0.99 * total
    if needed <= limit:
        return 0.0
    return first_boundary - started + (math.ceil(needed / limit) - 2) * window


async def run_once(
    mode: str, processes: int, args: argparse.Namespace, sim: BinanceSimulator, redis_url: str
) -> dict[str, Any]:
    sim.reset_limits()
    recorder: Recorder = sim._recorder  # type: ignore[attr-defined]
    # Start on a fresh window boundary plus a little, with every window before it empty.
    now = time.time()
    start_at = (math.floor((now + 2 + 0.4 * processes) / args.window) + 1.3) * args.window
    options = {
        "mode": mode,
        "url": sim.url,
        "redis": redis_url,
        "prefix": f"bench{uuid.uuid4().hex[:8]}",
        "tasks": args.tasks or round(args.demand * args.limit / (8 / 3) / processes),
        "processes": processes,
        "rate_limits": sim.limits.rate_limits_info(),
        "start_at": start_at,
        "listen_wait": args.compare_listen_wait if mode == "redis-before" else None,
        # 'redis-fixed': leases of a fixed size, as before they grew with use
        "lease_growth": (
            1
            if mode == "redis-fixed"
            else int(mode[7:])
            if mode.startswith("redis-g")
            else args.lease_growth
        ),
        "profile": args.profile,
    }
    recorder.reset()
    workers = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            "--worker",
            json.dumps(options),
            stdout=subprocess.PIPE,
        )
        for _ in range(processes)
    ]
    outputs = [await _output(worker, 120) for worker in workers]
    delays = [d for out in outputs for d in out["delays"]]
    outcomes = [o for out in outputs for o in out["outcomes"]]
    total = sum(w for out in outputs for w in out["weights"])
    admitted = dict(sorted(recorder.admitted.items()))
    first = math.floor(start_at / args.window)
    full = [index for index in admitted if first < index < max(admitted)]
    used = (
        sum(admitted[index] for index in full) / (len(full) * args.limit) if full else float("nan")
    )
    ok = outcomes.count("ok")
    return {
        "mode": mode,
        "processes": processes,
        "requests": len(outcomes),
        "ok": ok,
        "http429": recorder.refused[429],
        "http418": recorder.refused[418],
        "used": used,
        "p99": statistics.quantiles(delays, n=100)[98],
        "ideal_p99": ideal_p99(total, args.limit, args.window, start_at),
        "cpu_us": sum(out["cpu"] for out in outputs) / max(1, len(outcomes)) * 1e6,
        "full_windows": len(full),
        "round_trips": {
            name: sum(out["round_trips"].get(name, 0) for out in outputs) / max(1, len(outcomes))
            for name in sorted({name for out in outputs for name in out["round_trips"]})
        },
    }


async def _output(worker: asyncio.subprocess.Process, timeout: float) -> Any:
    """A worker's JSON line; a worker that has not answered in ``timeout`` is killed."""
    try:
        out, _ = await asyncio.wait_for(worker.communicate(), max(1.0, timeout))
    except TimeoutError:
        worker.kill()
        await worker.wait()
        raise RuntimeError("a worker did not finish in time") from None
    return json.loads(out)


async def limiter_cpu(redis_url: str, admissions: int, lease: int) -> tuple[float, float]:
    """CPU per admission (us): the in-process limiter, and Redis with leases of ``lease``
    units (Binance's 2400 weight a minute gives 120 with the default ``lease_cap``): a
    weight-2 request then costs a round trip every ``lease / 2`` admissions."""
    limit = 10**9  # room for every admission: what is measured is the limiter, not waiting
    window = Window("REQUEST_WEIGHT", limit, 60)
    costs = {"REQUEST_WEIGHT": 2, "ORDERS": 0, "RAW_REQUEST": 1}
    local = RateLimiter([window])
    backend = RedisBackend(redis_url, prefix=f"cpu{uuid.uuid4().hex[:8]}", lease_cap=lease / limit)
    shared = backend.limiter("bench", [window])
    await backend.connect()
    results = []
    try:
        for limiter in (local, shared, local, shared):
            cpu = time.process_time()
            for _ in range(admissions):
                if not limiter.try_acquire(costs):
                    await limiter.acquire(costs)
            results.append((time.process_time() - cpu) / admissions * 1e6)
    finally:
        await backend.close()
    return min(results[0::2]), min(results[1::2])


async def round_trip_cpu(redis_url: str, trips: int) -> float:
    """Client CPU (us) of one TAKE round trip that Redis refuses (a full window: nothing
    changes, so it can be repeated): what each round trip a request needs adds."""
    window = Window("REQUEST_WEIGHT", 10, 60)
    backend = RedisBackend(redis_url, prefix=f"rtt{uuid.uuid4().hex[:8]}")
    limiter = backend.limiter("bench", [window])
    await backend.connect()
    try:
        await limiter.acquire({"REQUEST_WEIGHT": 10})
        args = [250, 0.125, 0.05, backend.id, 10, 60_000, 1, 0, 0]
        keys = [limiter.offset_key, limiter.hold_key, *limiter._keys.values()]
        results = []
        for _ in range(3):
            cpu = time.process_time()
            for _ in range(trips):
                await backend.run(scripts.TAKE, keys, args)
            results.append((time.process_time() - cpu) / trips * 1e6)
    finally:
        await backend.close()
    return min(results)


async def _ban_worker(options: dict[str, Any]) -> dict[str, Any]:
    """Send steadily (from leases); worker 0 injects a ban at the moment the parent names
    once every worker said ``ready`` (a worker that started after the ban would measure
    nothing: under load Python starts slowly); every worker notes when its limiter first
    refuses."""
    backend = RedisBackend(options["redis"], prefix=options["prefix"])
    limiter = backend.limiter("bench", [Window("REQUEST_WEIGHT", 10**9, 60)])
    await backend.connect()
    costs = {"REQUEST_WEIGHT": 1}
    await limiter.acquire(costs)
    print("ready", flush=True)
    ban_at = float(await asyncio.to_thread(sys.stdin.readline))
    injected = None
    refused = None
    try:
        while time.time() < ban_at + 1.0:
            if options["injector"] and injected is None and time.time() >= ban_at:
                injected = time.time()
                limiter.ban(limiter.clock() + 5, "injected")
            if not limiter.try_acquire(costs):
                try:
                    await limiter.acquire(costs)
                except errors.IPBannedError:
                    refused = time.time()
                    break
            await asyncio.sleep(0.001)
    finally:
        await backend.close()
    return {"injected": injected, "refused": refused}


async def ban_latency(redis_url: str, processes: int) -> list[float]:
    """Milliseconds from a ban injected in one process to each other process's first
    refusal (``inf`` for one that never refused within a second)."""
    prefix = f"ban{uuid.uuid4().hex[:8]}"
    workers = []
    for number in range(processes):
        options = {"redis": redis_url, "prefix": prefix, "injector": number == 0}
        workers.append(
            await asyncio.create_subprocess_exec(
                sys.executable,
                __file__,
                "--ban-worker",
                json.dumps(options),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
        )
    for worker in workers:  # each connected and sending before the ban
        assert worker.stdout is not None
        line = await asyncio.wait_for(worker.stdout.readline(), 60)
        if line.strip() != b"ready":
            raise RuntimeError(f"a ban worker did not start: {line!r}")
    ban_at = time.time() + 0.5
    for worker in workers:
        assert worker.stdin is not None
        worker.stdin.write(f"{ban_at}\n".encode())
        await worker.stdin.drain()
        worker.stdin.close()
    outputs = []
    for worker in workers:
        assert worker.stdout is not None
        out = await asyncio.wait_for(worker.stdout.read(), ban_at + 30 - time.time())
        await worker.wait()
        outputs.append(json.loads(out))
    injected = outputs[0]["injected"]
    if injected is None:
        return [math.inf]
    return [
        (out["refused"] - injected) * 1000 if out["refused"] is not None else math.inf
        for out in outputs[1:]
    ]


async def main(args: argparse.Namespace) -> int:
    server = RedisServer()
    server.start()
    failures = []
    cpu: dict[tuple[str, int], float] = {}
    trips_per_request: dict[tuple[str, int], float] = {}
    try:
        async with BinanceSimulator(
            weight_limit=args.limit, weight_seconds=args.window, ban_seconds=args.window
        ) as sim:
            sim._recorder = Recorder(sim, args.window)  # type: ignore[attr-defined]
            print(
                f"simulator: {args.limit} weight per {args.window} s; "
                f"tasks worth {args.demand:g} windows of weight split among P processes "
                "(weights 1, 2, 5); retries off"
            )
            header = (
                f"{'mode':<12} {'P':>2} {'requests':>8} {'ok':>6} {'429':>5} {'418':>5} "
                f"{'used':>6} {'windows':>7} {'p99 s':>7} {'ideal':>7} {'cpu us/req':>10}"
            )
            print(header)
            for processes in args.processes:
                modes = ["split", "redis"] if args.no_local else ["local", "split", "redis"]
                # 'redis-gN': lease_growth=N, compared with the others in the same run
                modes[-1:-1] = [f"redis-g{growth}" for growth in args.compare_growth]
                if args.compare_listen_wait:
                    modes.insert(2, "redis-before")
                if args.compare_fixed_leases:
                    modes.insert(2, "redis-fixed")
                for mode in modes:
                    row = await run_once(mode, processes, args, sim, server.url)
                    print(
                        f"{row['mode']:<12} {processes:>2} {row['requests']:>8} {row['ok']:>6} "
                        f"{row['http429']:>5} {row['http418']:>5} {row['used']:>6.1%} "
                        f"{row['full_windows']:>7} {row['p99']:>7.2f} {row['ideal_p99']:>7.2f} "
                        f"{row['cpu_us']:>10.0f}"
                    )
                    cpu[mode, processes] = row["cpu_us"]
                    if mode.startswith("redis"):  # during the run (NOW: the set-up)
                        trips_per_request[mode, processes] = sum(
                            v for n, v in row["round_trips"].items() if n != "NOW"
                        )
                    if mode.startswith("redis"):
                        added = row["cpu_us"] - cpu["split", processes]
                        trips = ", ".join(f"{n} {v:.3f}" for n, v in row["round_trips"].items())
                        print(
                            f"  client CPU per request, Redis over split budgets: {added:+.0f} us;"
                            f" Redis round trips per request: {trips}"
                        )
                        if mode != "redis":
                            continue
                        if row["http429"] or row["http418"] or row["ok"] != row["requests"]:
                            failures.append(f"P={processes}: 429/418 or failures with Redis")
                        if not row["used"] >= GOAL_USED:
                            failures.append(f"P={processes}: used {row['used']:.1%}")
                        if row["p99"] > row["ideal_p99"] + args.window:
                            failures.append(f"P={processes}: p99 beyond one window of ideal")
        local_us, shared_us = await limiter_cpu(server.url, args.admissions, args.lease)
        added = shared_us - local_us
        print(
            f"limiter CPU per admission (weight 2, leases of {args.lease}): in-process "
            f"{local_us:.2f} us, Redis {shared_us:.2f} us: {added:+.2f} us added"
        )
        if added > GOAL_CPU_US:
            failures.append(f"added CPU {added:.1f} us")
        # Whole-worker CPU differences between rows are within this machine's noise (tens
        # of us); the round trips each request needed, times what one costs, are not.
        trip_us = await round_trip_cpu(server.url, 2000)
        print(f"client CPU per Redis round trip: {trip_us:.1f} us")
        for (mode, processes), trips in sorted(trips_per_request.items()):
            estimate = trips * trip_us + added
            print(
                f"  {mode} P={processes}: {trips:.3f} round trips per request in the run "
                f"-> {estimate:.1f} us added per request (round trips + limiter)"
            )
        latencies = await ban_latency(server.url, max(args.processes))
        print(
            f"ban injected in 1 of {max(args.processes)} processes: the others refuse after "
            + ", ".join(f"{ms:.1f}" for ms in sorted(latencies))
            + " ms"
        )
        if max(latencies) > GOAL_BAN_MS:
            failures.append(f"ban took {max(latencies):.1f} ms")
    finally:
        server.kill()
    for failure in failures:
        print(f"FAIL {failure}")
    if not failures:
        print("PASS every goal")
    return 1 if failures and args.check else 0


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, nargs="+", default=[2, 4, 8])
    parser.add_argument(
        "--tasks",
        type=int,
        default=0,
        help="tasks per process (default: --demand windows' worth of weight, split among P)",
    )
    parser.add_argument(
        "--demand", type=float, default=6.0, help="weight of all tasks, in windows' budgets"
    )
    parser.add_argument("--limit", type=int, default=600, help="weight per window")
    parser.add_argument("--window", type=int, default=2, help="window length, seconds")
    parser.add_argument("--admissions", type=int, default=200_000)
    parser.add_argument("--lease", type=int, default=120, help="lease size, CPU measurement")
    parser.add_argument(
        "--compare-listen-wait",
        type=float,
        default=0.0,
        help="also run Redis with the event listener waking every this many seconds "
        "('redis-before': 0.2 was the setting before the listener was woken on close)",
    )
    parser.add_argument(
        "--lease-growth",
        type=int,
        default=4,
        help="lease_growth of the 'redis' rows (the backend's default is 2)",
    )
    parser.add_argument(
        "--compare-fixed-leases",
        action="store_true",
        help="also run Redis with leases of a fixed size ('redis-fixed': lease_growth=1, "
        "the setting before leases grew with use)",
    )
    parser.add_argument(
        "--compare-growth",
        type=int,
        nargs="*",
        default=[],
        metavar="N",
        help="also run Redis with lease_growth=N for each N ('redis-gN' rows)",
    )
    parser.add_argument(
        "--no-local", action="store_true", help="leave out the limiter-per-process rows"
    )
    parser.add_argument(
        "--profile",
        metavar="DIR",
        help="run every worker under cProfile and write its stats to DIR (slows them)",
    )
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--ban-worker", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


if __name__ == "__main__":
    arguments = parse(sys.argv[1:])
    if arguments.worker:
        worker_options = json.loads(arguments.worker)
        if worker_options.get("profile"):  # one cProfile file per worker process
            import cProfile

            profile = cProfile.Profile(time.process_time)
            result = profile.runcall(asyncio.run, _worker(worker_options))
            profile.dump_stats(
                os.path.join(
                    worker_options["profile"],
                    f"{worker_options['mode']}-p{worker_options['processes']}-{os.getpid()}.prof",
                )
            )
            print(json.dumps(result))
        else:
            print(json.dumps(asyncio.run(_worker(json.loads(arguments.worker)))))
    elif arguments.ban_worker:
        print(json.dumps(asyncio.run(_ban_worker(json.loads(arguments.ban_worker)))))
    else:
        os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
        sys.exit(asyncio.run(main(arguments)))
