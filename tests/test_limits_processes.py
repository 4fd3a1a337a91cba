"""The Redis limiter across real processes: several Python processes take budget from one
window as fast as they can; together they never pass its limit, and every one is served.
Each admission is counted in the window of the moment it returns, as the exchange counts
a request when it arrives: a process descheduled between the two on a busy machine is
covered by the margin before each boundary (``safety``), which charges a request admitted
then to the next window too. (Without it, this test once saw 26 against 25.)
(tests/test_limits_redis.py covers the rest with one backend per simulated process.)"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import textwrap
import time
import uuid

from aioca.limits.testing import RedisServer, redis_server

__all__ = ["redis_server"]

WORKER = textwrap.dedent(
    """
    import asyncio, json, sys, time
    from aioca import Window
    from aioca.limits.redis import RedisBackend

    async def main(url, prefix, start_at, until):
        backend = RedisBackend(url, prefix=prefix)
        limiter = backend.limiter("api.example.test", [Window("W", 25, 0.5)])
        await backend.connect()
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
        print(json.dumps(admitted))

    asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])))
    """
)


def test_processes_together_never_pass_a_window_and_all_are_served(
    redis_server: RedisServer,
) -> None:
    prefix = f"p{uuid.uuid4().hex[:10]}"
    start_at = time.time() + 2.5  # every process has started and connected by then
    until = start_at + 2.0
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, redis_server.url, prefix, str(start_at), str(until)],
            stdout=subprocess.PIPE,
        )
        for _ in range(4)
    ]
    admitted = [json.loads(worker.communicate(timeout=30)[0]) for worker in workers]
    assert all(worker.returncode == 0 for worker in workers)
    per_window: dict[int, int] = {}
    for times in admitted:
        for at in times:
            index = math.floor(at / 0.5)
            per_window[index] = per_window.get(index, 0) + 1
    assert max(per_window.values()) <= 25
    assert all(times for times in admitted)  # nobody starved
    full = [count for index, count in per_window.items() if index != min(per_window)]
    assert sum(full) >= 0.9 * 25 * len(full)  # and the budget was used
