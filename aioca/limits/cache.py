"""Answers worth fetching once for many: a value kept under a name for a while, and one
fetch at a time per name.

An exchange's instrument list (its symbols, their filters, its live rate limits) is the
same for every API object and changes rarely, yet each process that starts fetches it,
and N processes starting at once fetch it N times, each charging the shared weight
budget. A backend that offers :class:`~aioca.limits.SharedCache` keeps such an answer
under a name: the first caller fetches it, callers arriving meanwhile wait for that
fetch, and later callers get the kept text until its time to live ends.
:class:`LocalCache` does this within one process (what :class:`~aioca.limits.LocalBackend`
uses); :class:`aioca.limits.redis.RedisBackend` does it across processes and machines.

Values are text (e.g. JSON): every caller decodes its own copy, so no caller can change
what another one sees.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable

__all__ = ["LocalCache", "SingleFlight", "check_text", "check_ttl"]


def check_ttl(ttl: float) -> float:
    """``ttl`` as seconds, or a :class:`ValueError` naming it: kept values must expire."""
    if isinstance(ttl, bool) or not isinstance(ttl, int | float) or not 0 < ttl < math.inf:
        raise ValueError(f"ttl must be a positive, finite number of seconds, not {ttl!r}")
    return float(ttl)


def check_text(name: str, value: object) -> str:
    """``value`` when it is text: what a shared cache stores and hands out."""
    if not isinstance(value, str):
        raise TypeError(f"the fetch of {name!r} must return text (str), not {type(value).__name__}")
    return value


class SingleFlight:
    """The calls under way in this process, by name: the first caller of a name runs its
    call, callers arriving before it ends wait for its outcome (its value or its error)
    instead of running their own. A caller cancelled while waiting leaves the call alone;
    when the running caller is cancelled, a waiting one runs the call itself."""

    def __init__(self) -> None:
        self._running: dict[str, asyncio.Future[str]] = {}

    async def run(self, name: str, call: Callable[[], Awaitable[str]]) -> str:
        while True:
            running = self._running.get(name)
            if running is None:
                break
            try:
                return await asyncio.shield(running)
            except asyncio.CancelledError:
                if not running.cancelled():
                    raise  # this caller was cancelled, not the call
        outcome: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._running[name] = outcome
        try:
            value = await call()
        except asyncio.CancelledError:
            outcome.cancel()  # the waiting callers try again
            raise
        except BaseException as exc:
            outcome.set_exception(exc)
            outcome.exception()  # retrieved: no "never retrieved" log when nobody waits
            raise
        else:
            outcome.set_result(value)
            return value
        finally:
            del self._running[name]

    def __len__(self) -> int:
        return len(self._running)


class LocalCache:
    """Values kept in this process for ``ttl`` seconds each (on the monotonic clock), with
    one fetch at a time per name. The in-process :class:`~aioca.limits.SharedCache`:
    every API object given the same :class:`~aioca.limits.LocalBackend` shares it."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._values: dict[str, tuple[float, str]] = {}
        self._flights = SingleFlight()

    async def cached(self, name: str, fetch: Callable[[], Awaitable[str]], *, ttl: float) -> str:
        """The value kept under ``name``; when there is none (or it expired), the one
        ``await fetch()`` returns, kept for ``ttl`` seconds. A fetch that fails keeps
        nothing, and its error reaches every caller that waited for it."""
        ttl = check_ttl(ttl)
        found = self._values.get(name)
        if found is not None and found[0] > self.clock():
            return found[1]
        return await self._flights.run(name, lambda: self._fetch(name, fetch, ttl))

    async def _fetch(self, name: str, fetch: Callable[[], Awaitable[str]], ttl: float) -> str:
        found = self._values.get(name)  # a flight that ended just before this one began
        if found is not None and found[0] > self.clock():
            return found[1]
        value = check_text(name, await fetch())
        now = self.clock()
        for old in [key for key, (until, _) in self._values.items() if until <= now]:
            del self._values[old]  # expired values do not pile up
        self._values[name] = (now + ttl, value)
        return value

    async def forget(self, name: str) -> None:
        """Drop the value kept under ``name``: the next caller fetches it again."""
        self._values.pop(name, None)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"<LocalCache values={len(self._values)}>"
