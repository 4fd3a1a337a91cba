"""``ServerClock``: the exchange's time, measured once at a time, bounded, and never a
nonsense value believed."""

from __future__ import annotations

import asyncio
import pickle
import time
from typing import Any

import pytest

from aioca import ServerClock, errors


def reader(*answers: Any, delay: float = 0.0) -> tuple[Any, list[float]]:
    """A reader answering ``answers`` in turn (a callable answer is called, an exception
    raised); ``calls`` records when each read started."""
    calls: list[float] = []
    pending = list(answers)

    async def read() -> Any:
        calls.append(time.monotonic())
        if delay:
            await asyncio.sleep(delay)
        answer = pending.pop(0) if len(pending) > 1 else pending[0]
        if isinstance(answer, BaseException):
            raise answer
        return answer() if callable(answer) else answer

    return read, calls


def now_ms(offset: int = 0) -> int:
    return int(time.time() * 1000) + offset


async def test_a_sync_measures_the_offset_and_the_time_follows() -> None:
    read, calls = reader(lambda: now_ms(5000))
    clock = ServerClock(read, url="http://x/time")
    assert clock.due
    offset = await clock.sync()
    assert abs(offset - 5000) < 50
    assert abs(clock.time_ms() - now_ms(5000)) < 50
    assert abs(clock.time() - (time.time() + 5)) < 0.05
    assert not clock.due
    assert len(calls) == 1


async def test_concurrent_requests_share_one_measurement() -> None:
    read, calls = reader(lambda: now_ms(), delay=0.05)
    clock = ServerClock(read)
    await asyncio.gather(*(clock.sync_if_due() for _ in range(20)))
    assert len(calls) == 1


async def test_requests_refused_together_resync_once() -> None:
    read, calls = reader(lambda: now_ms(), delay=0.02)
    clock = ServerClock(read, interval=None)
    started = time.monotonic()
    await asyncio.gather(*(clock.resync_after(started) for _ in range(10)))
    assert len(calls) == 1
    await clock.resync_after(time.monotonic())  # a request sent after it: measured again
    assert len(calls) == 2


async def test_without_an_interval_nothing_is_due() -> None:
    read, calls = reader(lambda: now_ms())
    clock = ServerClock(read, interval=None)
    await clock.sync_if_due()
    assert calls == []


@pytest.mark.parametrize("answer", ["soon", None, -5, 0, True, 1.5e12, 10**20])
async def test_an_answer_that_is_not_a_time_is_refused(answer: Any) -> None:
    read, _ = reader(answer)
    clock = ServerClock(read, url="http://x/time", exchange="ex")
    clock.offset_ms = 123
    with pytest.raises(errors.ClockSyncError) as caught:
        await clock.sync()
    assert clock.offset_ms == 123  # left as it was
    assert clock.synced_at is None
    assert "nothing was sent" in str(caught.value)
    assert (caught.value.exchange, caught.value.url) == ("ex", "http://x/time")


async def test_a_time_further_than_max_offset_is_refused_unless_allowed() -> None:
    read, _ = reader(lambda: now_ms(2 * 86_400_000))
    with pytest.raises(errors.ClockSyncError, match="48 h"):
        await ServerClock(read).sync()
    trusting = ServerClock(read, max_offset=None)
    assert abs(await trusting.sync() - 2 * 86_400_000) < 50


async def test_a_failed_read_is_a_clock_error_with_its_cause() -> None:
    failure = errors.ExchangeServerError("down", status=503, url="http://x/time")
    read, _ = reader(failure)
    with pytest.raises(errors.ClockSyncError) as caught:
        await ServerClock(read).sync()
    assert caught.value.__cause__ is failure
    assert "ExchangeServerError" in str(caught.value)


async def test_a_hanging_read_is_bounded_by_the_timeout() -> None:
    read, _ = reader(lambda: now_ms(), delay=30)
    started = time.monotonic()
    with pytest.raises(errors.ClockSyncError, match=r"no server time within 0\.2 s"):
        await ServerClock(read, timeout=0.2).sync()
    assert time.monotonic() - started < 0.5


@pytest.mark.parametrize(
    "failure",
    [errors.RateLimitError("slow down", retry_after=5), errors.ConnectError("refused")],
)
async def test_a_rate_limit_or_a_failed_connection_is_raised_as_it_is(
    failure: errors.RequestError,
) -> None:
    read, _ = reader(failure)
    with pytest.raises(type(failure)) as caught:
        await ServerClock(read).sync()
    assert caught.value is failure


async def test_a_clock_pickles_without_its_lock() -> None:
    clock = ServerClock(_module_reader, interval=5.0)
    await clock.sync_if_due()
    twin = pickle.loads(pickle.dumps(clock))
    assert (twin.offset_ms, twin.interval) == (clock.offset_ms, 5.0)
    await twin.sync()


async def _module_reader() -> int:
    return now_ms()
