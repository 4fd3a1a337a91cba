"""``ServerClock``: an exchange's clock, as far as this process knows it.

Signed requests carry a timestamp that the exchange checks against its own clock (one
outside a receive window, or some seconds away, is refused), so a plugin signs with the
exchange's time: ours plus an offset measured by reading the exchange's server-time
endpoint. One ``ServerClock`` per API object holds that offset and decides when to measure
it again, in one place for every plugin:

* :meth:`ServerClock.sync_if_due` before a signed request, every ``interval`` seconds,
  one measurement at a time however many requests are waiting (a lock per event loop);
* :meth:`ServerClock.resync_after` when the exchange refused a timestamp: one measurement
  for all the requests refused together;
* every failure is a :class:`~aioca.errors.ClockSyncError` (the signed request was not
  sent, an order was not placed), bounded by a timeout, and an answer that cannot be the
  time (not a positive integer, further than ``max_offset`` from ours) is refused rather
  than believed. A rate limit (429, 418) and a failed connection are raised as they are:
  they also mean nothing was sent, and say more.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from . import errors
from .task import current_task

__all__ = ["DEFAULT_MAX_CLOCK_OFFSET", "SYSTEM_TIMER", "ServerClock", "SystemTimer", "Timer"]

DEFAULT_MAX_CLOCK_OFFSET = 86_400.0
"""A server time more than a day from ours is not believed: no real clock is that far off,
and signing with it would make every signed request fail."""

logger = logging.getLogger("aioca")


class Timer(Protocol):
    """Where the framework reads the time and waits: calling it gives the time in seconds
    (``time.time()``'s scale), :meth:`sleep` waits. :class:`SystemTimer` is the real one;
    :class:`aioca.testing.FakeClock` is one whose time moves only when told, so that a
    test of retries, pauses or rate limits runs in no time and sees every wait.
    ``RestApi(timer=...)``, ``RateLimiter(..., sleep=...)`` and ``TaskOperator(timer=...)``
    take one."""

    def __call__(self) -> float: ...

    async def sleep(self, delay: float) -> None: ...


class SystemTimer:
    """The real time: ``time.time()`` and ``asyncio.sleep()``."""

    __slots__ = ()

    def __call__(self) -> float:
        return time.time()

    async def sleep(self, delay: float) -> None:
        await asyncio.sleep(delay)

    def __repr__(self) -> str:
        return "<SystemTimer>"


SYSTEM_TIMER = SystemTimer()
"""The timer used when none is given."""

ServerTimeReader = Callable[[], Awaitable[Any]]
"""Reads the exchange's time: returns it in milliseconds (anything else is refused)."""


class ServerClock:
    """The offset of an exchange's clock from ours, and when to measure it again.

    ``read`` returns the exchange's time in milliseconds (a plugin reads its server-time
    endpoint); ``url`` names that endpoint in errors. ``interval`` is how many seconds a
    measurement is trusted (``None``: measured only when asked); ``max_offset`` the largest
    offset believed, in seconds (``None``: any, for a simulator running at another date);
    ``timeout`` bounds one measurement, retries included. ``resync`` says whether a
    request refused for its timestamp measures again and is sent once more (the
    pipeline's rule for every signed request; ``False`` leaves the offset alone).
    """

    def __init__(
        self,
        read: ServerTimeReader,
        *,
        url: str | None = None,
        exchange: str | None = None,
        interval: float | None = 600.0,
        max_offset: float | None = DEFAULT_MAX_CLOCK_OFFSET,
        timeout: float | None = 10.0,
        resync: bool = True,
    ) -> None:
        self.read = read
        self.url = url
        self.exchange = exchange
        self.interval = interval
        self.max_offset = max_offset
        self.timeout = timeout
        self.resync = resync
        self.offset_ms = 0
        """The exchange's time minus ours, in milliseconds."""
        self.synced_at: float | None = None
        """``time.monotonic()`` of the last measurement, ``None`` before the first."""
        self._lock: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None

    def time(self) -> float:
        """The exchange's current time in seconds, as far as known."""
        return time.time() + self.offset_ms / 1000

    def time_ms(self) -> int:
        """The exchange's current time in milliseconds (a request's ``timestamp``)."""
        return int(time.time() * 1000) + self.offset_ms

    @property
    def due(self) -> bool:
        """Whether a signed request should measure the offset first."""
        if self.interval is None:
            return False
        synced = self.synced_at
        return synced is None or time.monotonic() - synced >= self.interval

    async def sync(self, read: ServerTimeReader | None = None, url: str | None = None) -> int:
        """Measure the offset now (with ``read``, else the clock's reader); returns it in
        milliseconds. Raises :class:`~aioca.errors.ClockSyncError` when the time cannot be
        read or cannot be believed, and leaves the offset as it was."""
        reader = read if read is not None else self.read
        where = url if url is not None else self.url
        sent = time.time()
        failure: errors.RequestError | None = None
        try:
            async with asyncio.timeout(self.timeout):
                server_ms = await reader()
        except TimeoutError:
            failure = errors.RequestTimeoutError(
                f"no server time within {self.timeout} s",
                exchange=self.exchange,
                method="GET",
                url=where,
            )
        except (errors.RateLimitError, errors.ConnectError):
            raise  # nothing sent, and they say why more exactly
        except errors.RequestError as exc:
            failure = exc
        if failure is not None:
            reason = f"the server time could not be read ({type(failure).__name__}: "
            raise self._error(f"{reason}{failure.message})", where) from failure
        received = time.time()
        local_ms = int((sent + received) / 2 * 1000)
        if type(server_ms) is not int or server_ms <= 0:
            shown = repr(server_ms)[:100]
            raise self._error(f"the server time {shown} is not a positive integer", where)
        bound = self.max_offset
        if bound is not None and abs(server_ms - local_ms) > bound * 1000:
            hours = abs(server_ms - local_ms) / 3_600_000
            raise self._error(
                f"the server time {server_ms} is {hours:.0f} h from this machine's clock: "
                "refused as implausible (check the URL, or the machine's clock)",
                where,
            )
        self.offset_ms = server_ms - local_ms
        self.synced_at = time.monotonic()
        logger.debug("clock offset from %s: %d ms", where or self.exchange, self.offset_ms)
        return self.offset_ms

    async def sync_if_due(
        self, read: ServerTimeReader | None = None, url: str | None = None
    ) -> None:
        """Measure the offset if it is :attr:`due`, one measurement at a time: requests
        waiting meanwhile use the one that finished."""
        if not self.due:
            return
        async with self._loop_lock():
            if self.due:  # another request may have measured it meanwhile
                await self.sync(read, url)

    async def resync_after(
        self, started: float, read: ServerTimeReader | None = None, url: str | None = None
    ) -> None:
        """Measure again after the exchange refused a timestamp of a request sent at
        ``started`` (``time.monotonic()``): once for every request refused together, a
        request that started before the latest measurement just uses it."""
        async with self._loop_lock():
            if self.synced_at is None or self.synced_at < started:
                await self.sync(read, url)

    def _loop_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if self._lock is None or self._lock[0] is not loop:
            self._lock = (loop, asyncio.Lock())
        return self._lock[1]

    def _error(self, reason: str, url: str | None) -> errors.ClockSyncError:
        task = current_task()
        return errors.ClockSyncError(
            f"{reason}; a signed request needs it, so nothing was sent",
            exchange=self.exchange,
            task_name=str(task) if task is not None else None,
            method="GET",
            url=url,
        )

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_lock"] = None  # a lock belongs to one event loop: a copy makes its own
        return state

    def __repr__(self) -> str:
        return f"<ServerClock offset={self.offset_ms} ms interval={self.interval}>"
