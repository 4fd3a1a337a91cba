"""Connection attempts admitted in a sliding window: never more than the limit in ANY span.

An exchange that limits connection attempts ("300 per 5 minutes per IP") may count them
over any 5 minutes, not only over clock-aligned ones. A clock-aligned budget (what
:class:`~aioca.RateLimiter` keeps for request weight, which exchanges do count per
aligned minute) lets a full budget through just before a boundary and another just after
it: twice the limit within seconds, which is exactly what a stream reconnecting in a loop
does. So a :class:`ConnectionLimiter` remembers when it admitted its last ``limit``
attempts and admits the next one only once the oldest of them is ``seconds`` (plus a
``margin``) old: however the spans are placed, none holds more than ``limit``.

One limiter serves every stream that shares the budget (a plugin keeps one per host);
the core takes one admission before every connection attempt, first come first served.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping

from ..ratelimit import LimiterStatus, WindowStatus

__all__ = ["ConnectionLimiter"]


class ConnectionLimiter:
    """At most ``limit`` admissions in any ``seconds``-long span, in the order asked.

    ``margin`` seconds are added to the span: an attempt reaches the exchange a little
    after it was admitted, by a delay that varies (DNS, TCP, TLS), and two attempts
    ``seconds`` apart at the client must still be ``seconds`` apart at the exchange.
    ``clock`` is monotonic seconds (``time.monotonic``) and ``sleep`` how the limiter
    waits (``asyncio.sleep``); a test passes a fake clock's.

    :meth:`acquire`, :meth:`try_acquire` and :meth:`status` take and give what a
    :class:`~aioca.RateLimiter`'s do (``{"CONNECTIONS": 1}``; the window named
    ``"CONNECTIONS"``), so code written for the clock-aligned limiter reads this one.
    """

    unit = "CONNECTIONS"

    def __init__(
        self,
        limit: int,
        seconds: float,
        *,
        margin: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(f"limit must be a whole number >= 1, not {limit!r}")
        if not seconds > 0 or not margin >= 0:
            raise ValueError(f"seconds must be > 0 and margin >= 0, not {seconds!r}, {margin!r}")
        self.limit = limit
        self.seconds = seconds
        self.margin = margin
        self.clock = clock
        self.sleep = sleep
        self._admitted: deque[float] = deque(maxlen=limit)
        """When the last ``limit`` admissions happened, oldest first."""
        self._turn = asyncio.Lock()  # first come, first served (asyncio's lock is fair)
        self._waiting = 0

    def delay(self) -> float:
        """Seconds until the next attempt may go (0: now)."""
        admitted = self._admitted
        if len(admitted) < self.limit:
            return 0.0
        return max(0.0, admitted[0] + self.seconds + self.margin - self.clock())

    def _attempts(self, costs: Mapping[str, int] | None) -> int:
        count = 1 if costs is None else costs.get(self.unit, 0)
        if count not in (0, 1):
            raise ValueError(f"one connection attempt at a time, not {count!r}")
        return count

    def try_acquire(self, costs: Mapping[str, int] | None = None) -> bool:
        """Admit one attempt now if it fits and nobody is queued; else change nothing.
        ``costs`` (a :class:`~aioca.RateLimiter`'s form) may say 0 attempts: admitted."""
        if not self._attempts(costs):
            return True
        if self._turn.locked() or self.delay() > 0:
            return False
        self._admitted.append(self.clock())
        return True

    async def acquire(self, costs: Mapping[str, int] | None = None) -> None:
        """Wait for the turn of one attempt (behind those that asked first), then admit
        it. A cancelled waiter leaves the queue without being admitted."""
        if self.try_acquire(costs):
            return
        self._waiting += 1
        try:
            async with self._turn:
                while (wait := self.delay()) > 0:
                    await self.sleep(wait)
                self._admitted.append(self.clock())
        finally:
            self._waiting -= 1

    @property
    def used(self) -> int:
        """Attempts admitted within the last ``seconds``."""
        since = self.clock() - self.seconds
        return sum(1 for at in self._admitted if at > since)

    @property
    def waiting(self) -> int:
        """Attempts queued for admission."""
        return self._waiting

    def status(self) -> LimiterStatus:
        """The window as dashboards see it (a :class:`~aioca.RateLimiter`'s form):
        ``resets_in`` is the wait before one more attempt may go."""
        window = WindowStatus(self.unit, self.used, self.limit, self.delay())
        return LimiterStatus((window,), waiting=self.waiting)

    def __repr__(self) -> str:
        return (
            f"<ConnectionLimiter {self.used}/{self.limit} per {self.seconds:g} s "
            f"waiting={self.waiting}>"
        )
