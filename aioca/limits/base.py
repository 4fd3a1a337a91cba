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

__all__ = ["Limiter", "LimiterBackend", "LimiterUnavailableError", "LocalBackend", "SharedClock"]


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
    (``None``, nothing stored) rather than failing the sync."""

    async def clock_offset(self, host: str) -> float | None: ...

    async def share_clock_offset(self, host: str, offset: float, ttl: float = 600.0) -> None: ...


class LocalBackend:
    """The default: one in-process :class:`~aioca.RateLimiter` per host and address, shared
    by every API object given this backend (several keys on one IP, in one process)."""

    def __init__(self, *, safety: float = 0.25) -> None:
        self.safety = safety
        self._limiters: dict[tuple[str, str | None], RateLimiter] = {}

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

    def __repr__(self) -> str:
        return f"<LocalBackend limiters={len(self._limiters)}>"


class LimiterUnavailableError(AiocaError):
    """The shared limiter cannot be reached (or answers too slowly) and is configured to
    fail closed: the request was not sent. ``cause`` names what went wrong."""

    def __init__(self, message: str, *, cause: str | None = None) -> None:
        super().__init__(message)
        self.msg = message
        self.cause = cause
