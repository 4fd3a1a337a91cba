"""Several egress addresses: the documented way past one IP's weight limit.

An exchange counts request weight per IP address. A machine with several addresses can
bind one API object to each (``local_address=``); each then has its own weight budget
(its own limiter, local or shared), and an :class:`EgressPool` sends each task through the
API object whose budget has the most room. Order counts are per account, whatever the
address: the pool does not multiply them (give the API objects one shared account label,
see :meth:`RedisBackend.bind <aioca.limits.redis.RedisBackend.bind>`).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ..task import BaseTask, Task

if TYPE_CHECKING:
    from ..rest import RestApi

__all__ = ["EgressPool", "RoutedTask"]

ApiT = TypeVar("ApiT", bound="RestApi")


class EgressPool(Generic[ApiT]):
    """API objects that differ in the local address their requests leave from.

    ``EgressPool.over(["192.0.2.10", "192.0.2.11"], lambda ip: MyExchangeApi(key, secret,
    local_address=ip))`` builds one per address; :meth:`choose` picks the one with the
    most budget left for a URL, :meth:`route` wraps a task so that every run of it (in a
    ring, say) goes through the best one at that moment.
    """

    def __init__(self, apis: Sequence[ApiT]) -> None:
        problems = []
        if not apis:
            problems.append("an EgressPool needs at least one API object")
        addresses = [api.local_address for api in apis]
        if len(set(addresses)) != len(addresses):
            problems.append(f"each API object needs its own local_address, got {addresses}")
        if problems:
            raise ValueError("; ".join(problems))
        self.apis: tuple[ApiT, ...] = tuple(apis)
        self._turn = itertools.cycle(range(len(self.apis)))
        self._in_flight = [0] * len(self.apis)

    @classmethod
    def over(cls, addresses: Sequence[str], make: Callable[[str], ApiT]) -> EgressPool[ApiT]:
        """One API object per address, made by ``make(address)`` (which should pass it as
        ``local_address=``)."""
        return cls([make(address) for address in addresses])

    def headroom(self, api: ApiT, url: str | None = None) -> float:
        """The share of its tightest window ``api`` has left (1.0 when nothing is spent,
        -1.0 while banned), for the host of ``url``, else over every host it has used."""
        from ..rest import PreparedRequest

        if url is not None:
            limiter = api.rate_limiter_for(PreparedRequest("GET", url))
            if limiter.banned_until is not None:
                return -1.0
            statuses = list(limiter.status())
        else:
            statuses = [status for group in api.rate_limit_status().values() for status in group]
        shares = [1 - status.used / status.limit for status in statuses if status.limit > 0]
        return min(shares, default=1.0)

    def choose(self, url: str | None = None) -> ApiT:
        """An API object that is not banned and has room (more than 5 % of its tightest
        window left) if there is one; among those, the one with the fewest tasks under way
        through this pool (they are what will spend its room next), then the most room,
        then in turn."""
        start = next(self._turn)
        order = [(start + offset) % len(self.apis) for offset in range(len(self.apis))]
        rooms = {i: self.headroom(self.apis[i], url) for i in order}
        best = max(
            order,
            key=lambda i: (
                rooms[i] >= 0,
                rooms[i] > 0.05,
                -self._in_flight[i],
                rooms[i],
                -order.index(i),
            ),
        )
        return self.apis[best]

    def route(self, task: Task, url: str | None = None) -> RoutedTask:
        """``task`` wrapped so that each run first binds it to :meth:`choose`'s API."""
        return RoutedTask(self, task, url)

    async def close(self) -> None:
        """Close every API object's session."""
        for api in self.apis:
            await api.close()

    def __iter__(self) -> Iterator[ApiT]:
        return iter(self.apis)

    def __len__(self) -> int:
        return len(self.apis)

    def __repr__(self) -> str:
        return f"<EgressPool {[api.local_address for api in self.apis]}>"


class RoutedTask(BaseTask):
    """A task that, on every run, goes through the pool's API object with the most room."""

    def __init__(self, pool: EgressPool[Any], task: Task, url: str | None = None) -> None:
        self.pool = pool
        self.task = task
        self.url = url

    async def __call__(self) -> Any:
        pool = self.pool
        api = pool.choose(self.url)
        index = pool.apis.index(api)
        self.task.api = api
        pool._in_flight[index] += 1
        try:
            return await self.task.run()
        finally:
            pool._in_flight[index] -= 1

    def __str__(self) -> str:
        return str(self.task)
