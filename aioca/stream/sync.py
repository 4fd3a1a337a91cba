"""Streams beside tasks: the synchronous facade and :class:`NextMessage`.

``stream.messages_sync(limit)`` is for scripts without async code, as
``TaskOperator.finish_task_generator()`` is for tasks: one event loop of its own for the
whole iteration, everything closed when the loop ends or the caller breaks out.

:class:`NextMessage` is a task whose result is the stream's next message (or gap): put it
in a ``TaskRing`` beside REST tasks and one operator runs both, the stream receiving in
the background between passes (its buffer holds what arrives meanwhile).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from ..task import Task
from ..taskoperator import _new_runner, _refuse_inside_event_loop

if TYPE_CHECKING:
    from .core import Stream
    from .events import Gap

__all__ = ["NextMessage", "iterate_sync"]

MessageT = TypeVar("MessageT")


def iterate_sync(stream: Stream[MessageT], limit: int | None = None) -> Iterator[MessageT | Gap]:
    """See :meth:`Stream.messages_sync`."""
    _refuse_inside_event_loop("Stream.messages_sync()", "'async for message in stream'")
    if limit is not None and limit < 0:
        raise ValueError(f"limit must be >= 0 or None, not {limit!r}")
    return _iterate(stream, limit)


def _iterate(stream: Stream[MessageT], limit: int | None) -> Iterator[MessageT | Gap]:
    runner = _new_runner()
    try:
        runner.run(stream.start())
        count = 0
        while limit is None or count < limit:
            try:
                item = runner.run(stream.__anext__())
            except StopAsyncIteration:
                return
            count += 1
            yield item
    finally:
        try:
            runner.run(stream.aclose())
        finally:
            runner.close()


class NextMessage(Task):
    """A task whose result is the next ``count`` items of ``stream`` (one item when
    ``count`` is 1, else a list), waiting at most ``timeout`` seconds for each.

    The stream opens on the first run, on the running loop; close it with
    ``await stream.aclose()`` (the synchronous operator's loop ends it when it closes).
    """

    def __init__(
        self, stream: Stream[Any], count: int = 1, *, timeout: float | None = None
    ) -> None:
        super().__init__()
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValueError(f"count must be a whole number >= 1, not {count!r}")
        self.stream = stream
        self.count = count
        self.timeout = timeout

    async def __call__(self) -> Any:
        stream = self.stream
        if not stream.is_open:
            await stream.start()
        items = [await stream.next(self.timeout) for _ in range(self.count)]
        return items[0] if self.count == 1 else items

    def __str__(self) -> str:
        return f"NextMessage({type(self.stream.protocol).__name__}, count={self.count})"
