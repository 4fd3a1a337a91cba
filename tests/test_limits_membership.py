"""How many processes share a budget, counted in Redis while it answers, and the share
each takes when it stops answering (``on_failure="local"``): 1/N of each budget, unless
``degraded_share`` says otherwise. See aioca/limits/membership.py.

Each "process" is a :class:`RedisBackend` of its own, as in tests/test_limits_redis.py,
except where a process must die without a word: that one is a real process, killed."""

from __future__ import annotations

import asyncio
import logging
import math
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from redis.asyncio.connection import Connection

from aioca import Window
from aioca.limits.redis import RedisBackend, RedisRateLimiter
from aioca.limits.testing import RedisServer, redis_backends, redis_server

from .wsfaultserver import until

__all__ = ["redis_backends", "redis_server"]

HOST = "api.example.test"


@pytest.fixture
def backends(redis_backends: Callable[..., RedisBackend]) -> Callable[..., RedisBackend]:
    return redis_backends


@pytest.fixture
def server() -> Iterator[RedisServer]:
    """A Redis of this test's own, to pause or kill (ask for it before ``backends``: they
    close first, while it still answers)."""
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        if server.process is not None:
            server.resume()  # a paused server is let go before it is killed
        server.kill()


def window(limit: int = 40, seconds: float = 2.0) -> Window:
    return Window("W", limit, seconds)


async def degrade(limiter: RedisRateLimiter) -> None:
    """One request through ``limiter`` with Redis not answering: it enters the local mode,
    and (the window under way counted as spent) waits for the next window."""
    limiter._leases["W"].units = 0  # the lease is spent: the next request asks Redis
    await asyncio.wait_for(limiter.acquire({"W": 1}), 5)
    assert limiter.degraded


async def test_processes_that_degrade_together_take_one_nth_each_and_fill_the_budget(
    caplog: pytest.LogCaptureFixture, server: RedisServer, backends: Callable[..., RedisBackend]
) -> None:
    # The heartbeat is long: the counts below come from the joins' announcements.
    made = [
        backends(url=server.url, on_failure="local", timeout=0.2, retry_interval=60, heartbeat=60)
        for _ in range(4)
    ]
    limiters = [backend.limiter(HOST, [window()]) for backend in made]
    for limiter in limiters:
        await limiter.acquire({"W": 1})
    await until(lambda: all(limiter.processes == {"W": 4} for limiter in limiters))
    server.pause()
    with caplog.at_level(logging.WARNING, logger="aioca.limits"):
        await asyncio.gather(*(degrade(limiter) for limiter in limiters))
    assert caplog.text.count("holding 1/4 of each budget (4 processes shared it") == 4
    # Together, in one window: 40 of 40, 10 each, and not one more.
    seconds = 2.0
    index = math.floor(limiters[0].clock() / seconds)
    assert limiters[0].clock() - index * seconds < 1.0  # early in the window
    for limiter in limiters:
        for _ in range(9):
            await asyncio.wait_for(limiter.acquire({"W": 1}), 0.5)
    assert {math.floor(limiter.clock() / seconds) for limiter in limiters} == {index}
    for limiter in limiters:
        (status,) = limiter.status().windows
        assert (status.used, status.limit) == (10, 10)
    left = (index + 1) * seconds - limiters[0].clock()
    assert left > 0.3
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(limiters[0].acquire({"W": 1}), left - 0.1)
    server.resume()  # the backends close at once


async def test_an_explicit_degraded_share_wins_over_the_count(
    caplog: pytest.LogCaptureFixture, server: RedisServer, backends: Callable[..., RedisBackend]
) -> None:
    options: dict[str, Any] = {"url": server.url, "on_failure": "local", "timeout": 0.2}
    options["retry_interval"] = 60
    given = backends(degraded_share=0.5, **options).limiter(HOST, [window()])
    counted = [backends(**options).limiter(HOST, [window()]) for _ in range(2)]
    for limiter in [given, *counted]:
        await limiter.acquire({"W": 1})
    await until(lambda: all(limiter.processes == {"W": 3} for limiter in [given, *counted]))
    server.pause()
    with caplog.at_level(logging.WARNING, logger="aioca.limits"):
        await asyncio.gather(*(degrade(limiter) for limiter in [given, *counted]))
    assert [limiter.status().windows[0].limit for limiter in [given, *counted]] == [20, 13, 13]
    assert caplog.text.count("holding 50% of each budget (degraded_share)") == 1
    assert caplog.text.count("holding 1/3 of each budget (3 processes") == 2
    server.resume()


async def test_each_scope_is_counted_apart(
    caplog: pytest.LogCaptureFixture, server: RedisServer, backends: Callable[..., RedisBackend]
) -> None:
    """Weight is shared by the processes on one address, orders by those of one account:
    two processes of account A and one of account B on one address."""
    windows = [window(40), Window("ORDERS", 10, 2.0, scope="account")]
    options: dict[str, Any] = {"url": server.url, "on_failure": "local", "timeout": 0.2}
    options["retry_interval"] = 60
    limiters = [backends(**options).limiter(HOST, windows, account=account) for account in "AAB"]
    for limiter in limiters:
        await limiter.acquire({"W": 1, "ORDERS": 1})
    await until(lambda: [limiter.processes["ORDERS"] for limiter in limiters] == [2, 2, 1])
    assert [limiter.processes["W"] for limiter in limiters] == [3, 3, 3]
    server.pause()
    limiter = limiters[0]
    limiter._leases["ORDERS"].units = 0
    with caplog.at_level(logging.WARNING, logger="aioca.limits"):
        await degrade(limiter)
    assert [(s.name, s.limit) for s in limiter.status().windows] == [("W", 13), ("ORDERS", 5)]
    assert "1/3 of W (3 processes shared it" in caplog.text
    assert "1/2 of ORDERS (2 processes shared it" in caplog.text
    server.resume()


async def test_a_process_that_closes_leaves_at_once(
    backends: Callable[..., RedisBackend],
) -> None:
    staying, leaving = (backends(heartbeat=60).limiter(HOST, [window()]) for _ in range(2))
    for limiter in (staying, leaving):
        await limiter.acquire({"W": 1})
    await until(lambda: staying.processes == {"W": 2})
    await leaving.backend.close()
    await until(lambda: staying.processes == {"W": 1}, 1.0)  # not 3 heartbeats: 180 s


DIES = textwrap.dedent(
    """
    import asyncio, sys
    from aioca import Window
    from aioca.limits.redis import RedisBackend

    async def main(url, prefix):
        backend = RedisBackend(url, prefix=prefix, heartbeat=0.2)
        limiter = backend.limiter("api.example.test", [Window("W", 40, 2.0)])
        await limiter.acquire({"W": 1})
        print("joined", flush=True)
        await asyncio.sleep(60)  # killed meanwhile, without a word

    asyncio.run(main(sys.argv[1], sys.argv[2]))
    """
)


async def test_the_membership_of_a_process_that_died_expires(
    backends: Callable[..., RedisBackend],
) -> None:
    living = backends(heartbeat=0.2)
    limiter = living.limiter(HOST, [window()])
    await limiter.acquire({"W": 1})
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", DIES, living.url, living.prefix, stdout=subprocess.PIPE
    )
    try:
        assert process.stdout is not None
        assert await asyncio.wait_for(process.stdout.readline(), 30) == b"joined\n"
        await until(lambda: limiter.processes == {"W": 2})
    finally:
        process.kill()
        await process.wait()
    # Its membership lasted 3 heartbeats (0.6 s): the living one's renewals (its event
    # listener's: it makes no request) find it gone.
    await until(lambda: limiter.processes == {"W": 1}, 3.0)


async def test_the_renewal_rides_on_a_round_trip_the_request_makes_anyway(
    backends: Callable[..., RedisBackend], monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = backends(heartbeat=60, lease_cap=0)  # no lease: a round trip per request
    limiter = backend.limiter(HOST, [window()])
    await limiter.acquire({"W": 1})
    other = backends(heartbeat=60).limiter(HOST, [window()])
    await other.acquire({"W": 1})
    await until(lambda: limiter.processes == {"W": 2})
    sends: list[Any] = []
    send = Connection.send_packed_command

    async def counted(self: Connection, command: Any, check_health: bool = True) -> None:
        if self in pool._in_use_connections:  # this process's, not the other's
            sends.append(command)
        await send(self, command, check_health)

    assert backend._client is not None
    pool: Any = backend._client.connection_pool

    monkeypatch.setattr(Connection, "send_packed_command", counted)
    await limiter.acquire({"W": 1})
    assert len(sends) == 1  # a heartbeat not due: the request's own round trip
    backend.membership.missed()  # a renewal due now
    backend.membership.counts.clear()
    await limiter.acquire({"W": 1})
    assert len(sends) == 2  # still one round trip for the request, the renewal with it
    assert b"EVALSHA" in sends[1][0]
    assert b"ZADD" in sends[1][0]
    assert limiter.processes == {"W": 2}


async def test_a_process_that_never_reached_redis_assumes_a_count(
    caplog: pytest.LogCaptureFixture,
) -> None:
    nowhere = f"redis://127.0.0.1:{RedisServer().port}/0"
    backend = RedisBackend(nowhere, prefix="gone", on_failure="local", assumed_processes=5)
    try:
        limiter = backend.limiter(HOST, [window(40)])
        assert limiter.processes == {"W": None}
        with (
            caplog.at_level(logging.WARNING, logger="aioca.limits"),
            pytest.raises(TimeoutError),  # the window under way is counted as spent
        ):
            await asyncio.wait_for(limiter.acquire({"W": 1}), 0.1)
        assert limiter.status().windows[0].limit == 8
        assert "1/5 of each budget (Redis never counted the processes" in caplog.text
    finally:
        await backend.close()


def test_bad_membership_options_are_named_together() -> None:
    with pytest.raises(ValueError, match="assumed_processes") as caught:
        RedisBackend(assumed_processes=0, heartbeat=0, degraded_share=2)
    assert "heartbeat" in str(caught.value)
    assert "degraded_share" in str(caught.value)
