"""The Redis limiter across real processes: several Python processes take budget from one
window as fast as they can; together they never pass its limit, and every one is served.
Each admission is counted in the window of the moment it returns, as the exchange counts
a request when it arrives: a process descheduled between the two on a busy machine is
covered by the margin before each boundary (``safety``), which charges a request admitted
then to the next window too. (Without it, this test once saw 26 against 25: a lease spent
just before a boundary, its admission read just after it.)

The window (1 s) is long against the margin (0.1 s), as exchanges' windows are: with a
0.5 s window and the default 0.25 s margin every moment lies in one margin or the other,
each window's budget is charged twice and half of the windows stay empty. Every window of
the run is counted, empty ones too, so that such a loss of throughput fails the test.

The processes start together at a moment the test picks once every one of them has
started and reached Redis (each says so), early in a window. The start used to be a fixed
2.5 s after launch: on a loaded machine starting four interpreters took up to 7.6 s, the
processes then began wherever they happened to, and when that was the last ``safety`` of a
window they filled it there, each request charged to the next window too (it may arrive
there): by design the next window was then spent, and empty by this count.
(tests/test_limits_redis.py covers the rest with one backend per simulated process.)"""

from __future__ import annotations

import json
import math
import select
import subprocess
import sys
import textwrap
import time
import uuid
from collections import Counter

from aioca.limits.testing import RedisServer, redis_server

__all__ = ["redis_server"]

WORKER = textwrap.dedent(
    """
    import asyncio, json, sys, time
    from aioca import Window
    from aioca.limits.redis import RedisBackend

    async def main(url, prefix):
        backend = RedisBackend(url, prefix=prefix, safety=SAFETY)
        limiter = backend.limiter("api.example.test", [Window("W", LIMIT, SECONDS)])
        await backend.connect()
        print("ready", flush=True)
        start_at, until = (float(part) for part in sys.stdin.readline().split())
        await asyncio.sleep(max(0.0, start_at - time.time()))
        admitted = []
        try:
            while True:
                await limiter.acquire({"W": 1})
                now = limiter.clock()
                if now >= until:
                    break
                admitted.append(now)
        finally:
            await backend.close()
        print(json.dumps(admitted), flush=True)

    asyncio.run(main(sys.argv[1], sys.argv[2]))
    """
)
LIMIT, SECONDS, SAFETY = 25, 1.0, 0.1
PROCESSES = 4
START_PHASE = 0.3
"""Where in a window the processes start: past the margin after its boundary, far from
the one before its end."""


def read_line(worker: subprocess.Popen[bytes], deadline: float) -> bytes:
    """The next line ``worker`` prints, waiting at most until ``deadline`` (monotonic)."""
    assert worker.stdout is not None
    ready, _, _ = select.select([worker.stdout], [], [], max(0.0, deadline - time.monotonic()))
    assert ready, "a worker printed nothing in time"
    return worker.stdout.readline()


def test_processes_together_never_pass_a_window_and_all_are_served(
    redis_server: RedisServer,
) -> None:
    prefix = f"p{uuid.uuid4().hex[:10]}"
    source = f"LIMIT, SECONDS, SAFETY = {LIMIT}, {SECONDS}, {SAFETY}\n{WORKER}"
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", source, redis_server.url, prefix],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        for _ in range(PROCESSES)
    ]
    try:
        deadline = time.monotonic() + 60
        assert all(read_line(worker, deadline) == b"ready\n" for worker in workers)
        # The start of a window at least a second away (every process has read its line by
        # then), plus the phase.
        start_at = (math.floor(time.time() / SECONDS) + 2) * SECONDS + START_PHASE
        until = start_at + 4 * SECONDS
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.write(f"{start_at!r} {until!r}\n".encode())
            worker.stdin.close()
        deadline = time.monotonic() + 30
        admitted = [json.loads(read_line(worker, deadline)) for worker in workers]
        assert all(worker.wait(timeout=10) == 0 for worker in workers)
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
            for pipe in (worker.stdin, worker.stdout):
                if pipe is not None:
                    pipe.close()
    per_window: Counter[int] = Counter(
        math.floor(at / SECONDS) for times in admitted for at in times
    )
    assert max(per_window.values()) <= LIMIT, sorted(per_window.items())
    assert all(times for times in admitted)  # nobody starved
    # Every window between the first (joined mid-way) and the last (cut at `until`), empty
    # ones included: each must have been filled.
    first, last = math.floor(start_at / SECONDS), math.floor(until / SECONDS)
    full = [per_window[index] for index in range(first + 1, last)]
    assert len(full) >= 2
    assert sum(full) >= 0.9 * LIMIT * len(full), sorted(per_window.items())
