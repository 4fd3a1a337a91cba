"""What a rate limiter is to the request path, and where API objects get theirs from.

:class:`Limiter` is the interface :class:`~aioca.RestApi` calls on every request: the
in-process :class:`~aioca.RateLimiter` is one implementation, the Redis-backed
:class:`~aioca.limits.redis.RedisRateLimiter` another. :class:`LimiterBackend` is what
makes limiters for an API object that was given ``limiter_backend=``: one per host (and per
egress address), so every API object of every process that uses the same backend shares
one budget.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Protocol, runtime_checkable

from ..errors import AiocaError
from ..ratelimit import LimiterStatus, RateLimiter, Window
from .cache import LocalCache

__all__ = [
    "Limiter",
    "LimiterBackend",
    "LimiterUnavailableError",
    "LocalBackend",
    "SharedCache",
    "SharedClock",
]


@runtime_checkable
class Limiter(Protocol):
    """Admission of requests against a set of budgets: what the request path calls.

    ``try_acquire`` is the synchronous fast path (charge and return ``True``, or change
    nothing); ``acquire`` waits its turn; ``observe`` reconciles with the usage headers of a
    response; ``pause`` and ``ban`` hold every request after an HTTP 429 or 418
    (``acquire``'s ``max_wait`` bounds how long a pause may hold a request). ``clock``
    is the limiter's idea of the exchange's time, the one ``ban``'s ``until`` and
    ``observe``'s ``sent_at`` are on.
    """

    clock: Callable[[], float]

    def try_acquire(self, costs: Mapping[str, int]) -> bool: ...

    def acquire(
        self, costs: Mapping[str, int], max_wait: float | None = None
    ) -> Awaitable[None]: ...

    def observe(self, headers: Mapping[str, str], sent_at: float | None = None) -> None: ...

    def pause(self, seconds: float) -> None: ...

    def ban(self, until: float, message: str = "") -> None: ...

    def status(self) -> LimiterStatus: ...

    def set_windows(self, windows: Iterable[Window]) -> None: ...

    @property
    def windows(self) -> tuple[Window, ...]: ...

    @property
    def reads_headers(self) -> bool: ...

    @property
    def banned_until(self) -> float | None: ...

    @property
    def paused_until(self) -> float | None: ...


class LimiterBackend(Protocol):
    """Where an API object given ``limiter_backend=`` gets the limiter of each host.

    ``windows`` are the API's budgets for that host (:meth:`RestApi.rate_limits
    <aioca.RestApi.rate_limits>`), ``clock`` its clock, and ``local_address`` the address
    its requests leave from, when it binds one (each address has its own weight budget).
    """

    def limiter(
        self,
        host: str,
        windows: Sequence[Window],
        *,
        clock: Callable[[], float],
        local_address: str | None = None,
    ) -> Limiter: ...


@runtime_checkable
class SharedClock(Protocol):
    """A backend that shares the exchange's clock offset between processes: one server
    time sync serves them all. Offsets are seconds, the exchange's clock minus this
    process's. Both methods treat the backend being out of reach as "nothing shared"
    (``None``, nothing stored) rather than failing the sync. ``ttl`` is the sync
    interval: an offset shared longer ago than that may be refreshed before it expires, by
    the one process to which :meth:`clock_offset` then answers ``None``."""

    async def clock_offset(self, host: str) -> float | None: ...

    async def share_clock_offset(self, host: str, offset: float, ttl: float = 600.0) -> None: ...


@runtime_checkable
class SharedCache(Protocol):
    """A backend that keeps answers worth fetching once for every API object using it
    (an exchange's instrument list and live limits), with one fetch at a time per name
    however many callers arrive at once (see :mod:`aioca.limits.cache`).

    ``cached`` returns the text kept under ``name``, or else the text ``await fetch()``
    returns, then kept for ``ttl`` seconds; callers arriving while a fetch is under way
    wait for it rather than fetch again. A backend out of reach never fails the call: the
    caller fetches for itself (with a warning). ``forget`` drops the kept value so that
    the next caller fetches it again."""

    async def cached(
        self, name: str, fetch: Callable[[], Awaitable[str]], *, ttl: float
    ) -> str: ...

    async def forget(self, name: str) -> None: ...


class LocalBackend:
    """The default: one in-process :class:`~aioca.RateLimiter` per host and address, shared
    by every API object given this backend (several keys on one IP, in one process), and
    a :class:`~aioca.limits.LocalCache` of their shared answers (:class:`SharedCache`)."""

    def __init__(self, *, safety: float = 0.25) -> None:
        self.safety = safety
        self._limiters: dict[tuple[str, str | None], RateLimiter] = {}
        self.cache = LocalCache()
        """The answers kept for every API object of this backend (exchange information)."""

    def limiter(
        self,
        host: str,
        windows: Sequence[Window],
        *,
        clock: Callable[[], float],
        local_address: str | None = None,
    ) -> RateLimiter:
        key = (host, local_address)
        limiter = self._limiters.get(key)
        if limiter is None:
            limiter = self._limiters[key] = RateLimiter(windows, clock=clock, safety=self.safety)
        return limiter

    async def cached(self, name: str, fetch: Callable[[], Awaitable[str]], *, ttl: float) -> str:
        """See :class:`SharedCache`: kept in this process (:attr:`cache`)."""
        return await self.cache.cached(name, fetch, ttl=ttl)

    async def forget(self, name: str) -> None:
        await self.cache.forget(name)

    def __repr__(self) -> str:
        return f"<LocalBackend limiters={len(self._limiters)}>"


class LimiterUnavailableError(AiocaError):
    """The shared limiter cannot be reached (or answers too slowly) and is configured to
    fail closed: the request was not sent. ``cause`` names what went wrong."""

    def __init__(self, message: str, *, cause: str | None = None) -> None:
        super().__init__(message)
        self.msg = message
        self.cause = cause
