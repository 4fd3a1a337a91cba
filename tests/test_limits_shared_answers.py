"""Answers fetched once for many (``SharedCache``): in one process (``LocalCache``), and
across processes through a real redis-server (``RedisBackend.cached``): one fetch for
callers arriving at once, a holder that dies releases the others within ``cache_wait``, a
failed fetch hands over to the next, values expire and are fetched again, Redis out of
reach means each fetches for itself with a warning. And leases cut when another process
moves the shared exchange offset (the lease must not be spent inside the new closing
margin, uncharged to the next window).
"""

from __future__ import annotations

import asyncio
import logging
import math
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Callable

import pytest

from aioca import Window
from aioca.limits import LocalBackend, LocalCache, SharedCache
from aioca.limits.redis import BoundBackend, RedisBackend
from aioca.limits.testing import RedisServer, free_port, redis_backends, redis_server

__all__ = ["redis_backends", "redis_server"]

HOST = "api.example.test"


@pytest.fixture
def backends(redis_backends: Callable[..., RedisBackend]) -> Callable[..., RedisBackend]:
    return redis_backends


class Source:
    """A fetch that counts its calls and takes ``delay`` seconds."""

    def __init__(self, delay: float = 0.05, value: str = '{"symbols": ["BTCUSDT"]}') -> None:
        self.calls = 0
        self.delay = delay
        self.value = value

    async def __call__(self) -> str:
        self.calls += 1
        await asyncio.sleep(self.delay)
        return self.value


# --- the interface --------------------------------------------------------------------------


def test_every_backend_offers_shared_answers() -> None:
    redis = RedisBackend(prefix="iface")
    for backend in (LocalBackend(), redis, redis.bind(account="main")):
        assert isinstance(backend, SharedCache)
    assert isinstance(redis.bind(), BoundBackend)


def test_a_cache_wait_that_is_not_positive_is_refused() -> None:
    with pytest.raises(ValueError, match="cache_wait"):
        RedisBackend(cache_wait=0)


# --- in one process ----------------------------------------------------------------------------


async def test_callers_arriving_at_once_share_one_fetch_in_a_process() -> None:
    cache, source = LocalCache(), Source()
    values = await asyncio.gather(*(cache.cached("info", source, ttl=60) for _ in range(20)))
    assert source.calls == 1
    assert set(values) == {source.value}
    assert await cache.cached("info", source, ttl=60) == source.value
    assert source.calls == 1


async def test_a_local_value_expires_and_is_fetched_again() -> None:
    now = [100.0]
    cache, source = LocalCache(clock=lambda: now[0]), Source(delay=0)
    await cache.cached("info", source, ttl=5)
    now[0] += 4.9
    await cache.cached("info", source, ttl=5)
    assert source.calls == 1
    now[0] += 0.2
    await cache.cached("info", source, ttl=5)
    assert source.calls == 2
    await cache.forget("info")
    await cache.cached("info", source, ttl=5)
    assert source.calls == 3


async def test_a_failed_local_fetch_reaches_its_waiters_and_keeps_nothing() -> None:
    cache = LocalCache()
    calls = 0

    async def failing() -> str:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.02)
        raise ConnectionError("exchange unreachable")

    results = await asyncio.gather(
        *(cache.cached("info", failing, ttl=60) for _ in range(5)), return_exceptions=True
    )
    assert calls == 1
    assert all(isinstance(result, ConnectionError) for result in results)
    assert len(cache) == 0
    working = Source(delay=0)
    assert await cache.cached("info", working, ttl=60) == working.value
    assert working.calls == 1


async def test_a_waiter_fetches_when_the_fetching_caller_is_cancelled() -> None:
    cache, slow, quick = LocalCache(), Source(delay=10), Source(delay=0)
    first = asyncio.ensure_future(cache.cached("info", slow, ttl=60))
    await asyncio.sleep(0.01)
    second = asyncio.ensure_future(cache.cached("info", quick, ttl=60))
    await asyncio.sleep(0.01)
    first.cancel()
    assert await asyncio.wait_for(second, 1) == quick.value
    assert (slow.calls, quick.calls) == (1, 1)


async def test_bad_ttls_and_values_are_refused() -> None:
    cache = LocalCache()
    for ttl in (0, -1, math.inf, math.nan):
        with pytest.raises(ValueError, match="ttl"):
            await cache.cached("info", Source(), ttl=ttl)

    async def not_text() -> str:
        return {"symbols": []}  # type: ignore[return-value]

    with pytest.raises(TypeError, match="text"):
        await cache.cached("info", not_text, ttl=1)


async def test_api_objects_of_a_local_backend_share_its_cache() -> None:
    backend, source = LocalBackend(), Source()
    await asyncio.gather(*(backend.cached("info", source, ttl=60) for _ in range(3)))
    assert source.calls == 1
    assert len(backend.cache) == 1


# --- across processes, in Redis ----------------------------------------------------------------


async def test_processes_asking_at_once_make_one_fetch(
    backends: Callable[..., RedisBackend],
) -> None:
    source = Source(delay=0.2)
    processes = [backends() for _ in range(6)]
    for backend in processes:
        await backend.connect()
    # Each "process" with several callers of its own.
    values = await asyncio.gather(
        *(backend.cached("info", source, ttl=60) for backend in processes for _ in range(3))
    )
    assert source.calls == 1
    assert set(values) == {source.value}
    # A process that starts later reads it without fetching.
    assert await backends().cached("info", source, ttl=60) == source.value
    assert source.calls == 1


async def test_waiting_processes_are_woken_when_the_value_is_stored(
    backends: Callable[..., RedisBackend],
) -> None:
    holder, waiter = backends(), backends()
    for backend in (holder, waiter):
        await backend.connect()
    source = Source(delay=0.3)
    fetching = asyncio.ensure_future(holder.cached("info", source, ttl=60))
    await asyncio.sleep(0.05)
    started = time.monotonic()
    assert await waiter.cached("info", source, ttl=60) == source.value
    await fetching
    # Woken by the event (within ms of the store), not at its next poll.
    assert time.monotonic() - started < 0.25 + 0.1
    assert source.calls == 1


_DIES_HOLDING = textwrap.dedent(
    """
    import asyncio, sys
    from aioca.limits.redis import RedisBackend

    async def never() -> str:
        print("holding", flush=True)
        await asyncio.sleep(3600)
        return ""

    async def main(url, prefix):
        backend = RedisBackend(url, prefix=prefix, cache_wait=1.0)
        await backend.cached("info", never, ttl=60)

    asyncio.run(main(sys.argv[1], sys.argv[2]))
    """
)


async def test_a_holder_that_dies_releases_the_others_within_cache_wait(
    backends: Callable[..., RedisBackend], redis_server: RedisServer
) -> None:
    prefix = f"d{uuid.uuid4().hex[:12]}"
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _DIES_HOLDING, redis_server.url, prefix, stdout=subprocess.PIPE
    )
    try:
        assert child.stdout is not None
        line = await asyncio.wait_for(child.stdout.readline(), 20)
        assert line.strip() == b"holding"
    finally:
        child.kill()  # dies holding the lock
        killed = time.monotonic()
        await child.wait()
    source = Source(delay=0.05)
    waiters = [backends(prefix=prefix, cache_wait=1.0) for _ in range(4)]
    left = await waiters[0]._connection().pttl(f"{{{prefix}}}:cache:info:lock")
    assert 0 < left <= 1000  # the dead process still holds the lock, for this long
    started = time.monotonic()
    values = await asyncio.wait_for(
        asyncio.gather(*(backend.cached("info", source, ttl=60) for backend in waiters)), 5
    )
    elapsed = time.monotonic() - started
    assert set(values) == {source.value}
    assert source.calls == 1  # one waiter took the fetch over, the others read its value
    # Not before the lock's end, and soon after it (a poll, the fetch).
    assert left / 1000 - 0.05 <= elapsed <= left / 1000 + 0.5
    assert time.monotonic() - killed < 1.0 + 0.5


async def test_a_failed_fetch_hands_over_to_a_waiting_process(
    backends: Callable[..., RedisBackend],
) -> None:
    holder, waiter = backends(), backends()
    for backend in (holder, waiter):
        await backend.connect()

    async def failing() -> str:
        await asyncio.sleep(0.1)
        raise ConnectionError("exchange unreachable")

    source = Source(delay=0.05)
    fetching = asyncio.ensure_future(holder.cached("info", failing, ttl=60))
    await asyncio.sleep(0.03)
    started = time.monotonic()
    assert await waiter.cached("info", source, ttl=60) == source.value
    with pytest.raises(ConnectionError):
        await fetching
    assert source.calls == 1
    assert time.monotonic() - started < 0.5


async def test_a_shared_value_expires_and_is_fetched_once_again(
    backends: Callable[..., RedisBackend],
) -> None:
    source = Source(delay=0.05)
    processes = [backends() for _ in range(3)]
    await asyncio.gather(*(backend.cached("info", source, ttl=0.4) for backend in processes))
    assert source.calls == 1
    await asyncio.gather(*(backend.cached("info", source, ttl=0.4) for backend in processes))
    assert source.calls == 1  # each process's copy, until the value expires in Redis
    await asyncio.sleep(0.5)
    await asyncio.gather(*(backend.cached("info", source, ttl=0.4) for backend in processes))
    assert source.calls == 2


async def test_forget_drops_the_value_for_every_process(
    backends: Callable[..., RedisBackend],
) -> None:
    source = Source(delay=0)
    one, two = backends(), backends()
    await one.cached("info", source, ttl=60)
    await two.cached("info", source, ttl=60)
    assert source.calls == 1
    await one.forget("info")
    await asyncio.sleep(0.1)  # the announcement reaches the other process's copy
    await two.cached("info", source, ttl=60)
    assert source.calls == 2


async def test_without_redis_each_process_fetches_for_itself_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="aioca.limits")
    source = Source(delay=0)
    nowhere = [RedisBackend(f"redis://127.0.0.1:{free_port()}/0") for _ in range(3)]
    try:
        values = await asyncio.gather(
            *(backend.cached("info", source, ttl=60) for backend in nowhere)
        )
    finally:
        for backend in nowhere:
            await backend.close()
    assert set(values) == {source.value}
    assert source.calls == 3
    assert "fetches it itself" in caplog.text


# --- another process moves the exchange's offset while a lease is live ----------------------


async def test_a_moved_offset_cuts_leases_at_the_new_closing_margin(
    backends: Callable[..., RedisBackend],
) -> None:
    seconds, safety = 4.0, 0.5
    window = Window("REQUEST_WEIGHT", 1000, seconds)
    spender = backends(lease_cap=0.5, lease_fraction=1.0, safety=safety)
    syncer = backends(safety=safety)
    for backend in (spender, syncer):
        await backend.connect()

    async def share_offset(seconds_before_end: float, extra: float = 0.0) -> float:
        """Share an offset that puts the shared clock ``seconds_before_end`` before a
        window's end; returns it (the exchange's clock minus Redis's)."""
        redis_now = syncer.now()
        end = (math.floor(redis_now / seconds) + 2) * seconds
        relative = end - seconds_before_end - redis_now + extra
        await syncer.share_clock_offset(HOST, relative + syncer._offset, ttl=60)
        return relative

    relative = await share_offset(1.5)
    limiter = spender.limiter(HOST, [window])
    await limiter.acquire({"REQUEST_WEIGHT": 1})  # takes a lease lasting about 1 s
    assert limiter.try_acquire({"REQUEST_WEIGHT": 1})  # spent from the lease
    # Another process's sync moves the exchange's clock 1.1 s ahead: 0.4 s before the
    # window's end now, inside its closing margin.
    await syncer.share_clock_offset(HOST, relative + 1.1 + syncer._offset, ttl=60)
    await asyncio.sleep(0.1)  # the announcement reaches the other process
    # The lease no longer serves, and the limiter's clock is the new one.
    assert not limiter.try_acquire({"REQUEST_WEIGHT": 1})
    assert abs(limiter.clock() - (syncer.now() + relative + 1.1)) < 0.02
    # The request goes to Redis, which charges the next window too (it may arrive there).
    await limiter.acquire({"REQUEST_WEIGHT": 1})
    key = limiter._keys["REQUEST_WEIGHT"]
    counter = await spender._connection().hgetall(key)
    assert int(counter[b"i"]) == math.floor(limiter.clock() / seconds)  # still that window
    assert int(counter[b"n"]) >= 1  # charged to the window after the boundary as well
