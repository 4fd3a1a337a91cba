"""The bounded buffer between a stream's connections and its consumer.

Never unbounded, never a silent drop: at most ``size`` items wait. When the buffer is full
the policy decides (see :class:`~aioca.stream.StreamSettings`): ``drop_oldest`` removes
the oldest *message* (events are never dropped) and leaves an overflow :class:`Gap` in its
place, whose ``dropped`` count grows while the consumer stays behind; ``block`` makes the
producer wait (:meth:`MessageBuffer.wait_for_room`).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import Any

from .events import Gap, GapReason, StreamEvent, StreamStats
from .settings import OverflowPolicy

__all__ = ["MessageBuffer"]


class MessageBuffer:
    """A FIFO of messages and events with one consumer."""

    __slots__ = (
        "_failure",
        "_on_gap",
        "closed",
        "events",
        "getter",
        "items",
        "policy",
        "room",
        "size",
    )

    def __init__(
        self,
        size: int,
        policy: OverflowPolicy,
        on_gap: Callable[[Gap], None],
    ) -> None:
        self.size = size
        self.policy = policy
        self._on_gap = on_gap
        self.items: deque[Any] = deque()
        self.events = 0
        """At least the number of events in ``items`` (while it is 0, every item is a
        message and the consumer need not look at its type)."""
        self.getter: asyncio.Future[None] | None = None
        self.room: asyncio.Future[None] | None = None
        self._failure: BaseException | None = None
        self.closed = False

    def __len__(self) -> int:
        return len(self.items)

    @property
    def full(self) -> bool:
        return len(self.items) >= self.size

    def put(self, item: Any, stats: StreamStats) -> None:
        """Add a message or an event; with ``drop_oldest``, make room first."""
        items = self.items
        if len(items) >= self.size and self.policy == "drop_oldest":
            self._drop_oldest(stats)
        if isinstance(item, StreamEvent):
            self.events += 1
        items.append(item)
        getter = self.getter
        if getter is not None:
            self.getter = None
            if not getter.done():
                getter.set_result(None)

    def _drop_oldest(self, stats: StreamStats) -> None:
        items = self.items
        index = next((i for i, item in enumerate(items) if not isinstance(item, StreamEvent)), None)
        if index is None:
            return  # only events: they are never dropped (the buffer grows by one)
        del items[index]
        stats.dropped += 1
        before = items[index - 1] if index else None
        if isinstance(before, Gap) and before.reason is GapReason.OVERFLOW:
            before.dropped += 1
            return
        gap = Gap(
            GapReason.OVERFLOW,
            detail=f"the consumer fell {self.size} messages behind",
            dropped=1,
        )
        items.insert(index, gap)
        self.events += 1
        self._on_gap(gap)

    def fail(self, error: BaseException) -> None:
        """Raise ``error`` to the consumer once the items before it are consumed."""
        if self._failure is None:
            self._failure = error
        self._wake()

    def close(self) -> None:
        self.closed = True
        self._wake()

    def _wake(self) -> None:
        for waiter in (self.getter, self.room):
            if waiter is not None and not waiter.done():
                waiter.set_result(None)
        self.getter = self.room = None

    def get_nowait(self) -> Any:
        """The next item; raises ``IndexError`` when there is none."""
        item = self.items.popleft()
        room = self.room
        if room is not None:
            self.room = None
            if not room.done():
                room.set_result(None)
        return item

    async def get(self) -> Any:
        """The next item, waiting for one; ``StopAsyncIteration`` once closed and empty."""
        while True:
            if self.items:
                return self.get_nowait()
            if self._failure is not None:
                failure, self._failure = self._failure, None
                self.closed = True
                raise failure
            if self.closed:
                raise StopAsyncIteration
            getter = self.getter
            if getter is None or getter.done():
                getter = self.getter = asyncio.get_running_loop().create_future()
            await getter

    async def wait_for_room(self) -> None:
        """With ``block``: wait until the consumer took something (or the buffer closed)."""
        while len(self.items) >= self.size and not self.closed:
            room = self.room
            if room is None or room.done():
                room = self.room = asyncio.get_running_loop().create_future()
            await room
