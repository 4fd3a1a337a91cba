"""The operator: runs the tasks of a queue, one top-level task at a time.

Async first: ``await op.arun()`` and ``async for task in op.finished():`` run in the
caller's event loop. The synchronous ``op.run()`` and ``op.finish_task_generator()`` (the
seed's API) are thin wrappers that keep one event loop alive for the whole run, so HTTP
sessions and their pooled connections are reused from task to task, and close every
session opened on that loop when the run ends, also when the caller leaves the generator
early.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from typing import Any, Literal, Self, TypeVar

from .clock import SYSTEM_TIMER, Timer
from .errors import EventLoopRunningError
from .queues import GenericTaskQueue, TaskQueue, TaskRing
from .rest import close_apis_on_running_loop
from .task import BaseTask

__all__ = ["ErrorPolicy", "TaskOperater", "TaskOperator"]

ErrorPolicy = Literal["raise", "continue"]
_POLICIES = ("raise", "continue")
_T = TypeVar("_T")


def _check_policy(on_error: str) -> ErrorPolicy:
    if on_error not in _POLICIES:
        raise ValueError(f"on_error must be 'raise' or 'continue', not {on_error!r}")
    return on_error  # type: ignore[return-value]


def _refuse_inside_event_loop(call: str, alternative: str) -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    raise EventLoopRunningError(
        f"{call} cannot run inside a running event loop (async code, Jupyter): "
        f"use {alternative} instead"
    )


class TaskOperator:
    """Runs the tasks of its queue (``taskqueue``) and records each result on its task.

    ``on_error="raise"`` (the default) stops at the first failed task and raises its
    exception; ``on_error="continue"`` leaves the error on the task (``task.exception``),
    yields the task like any other, and goes on: a ring that polls for hours survives a
    transient failure. ``timer`` is where the operator waits between tasks and passes (a
    :class:`aioca.testing.FakeClock` in tests: a ring's intervals take no time).
    """

    def __init__(
        self,
        queue: GenericTaskQueue | None = None,
        *,
        on_error: ErrorPolicy = "raise",
        timer: Timer | None = None,
    ) -> None:
        self.on_error: ErrorPolicy = _check_policy(on_error)
        self.timer: Timer = timer if timer is not None else SYSTEM_TIMER
        self.taskqueue: GenericTaskQueue | None = None
        if queue is not None:
            self.add_queue(queue)

    def add_queue(self, queue: GenericTaskQueue) -> Self:
        """Set the queue to run (``TaskQueue``, ``TaskStack`` or ``TaskRing``); returns self."""
        if not isinstance(queue, GenericTaskQueue):
            raise TypeError(
                "add_queue() takes a task queue (TaskQueue, TaskStack or TaskRing), "
                f"not {type(queue).__name__}; wrap a single task with run_single_task()"
            )
        self.taskqueue = queue
        return self

    def run_single_task(self, task: BaseTask) -> Self:
        """Set a ``TaskQueue`` holding just ``task`` as the queue; returns self."""
        return self.add_queue(TaskQueue(task))

    def repeat_single_task(
        self, task: BaseTask, iter_num: int | None = None, iter_interval: float = 0
    ) -> Self:
        """Set a ``TaskRing`` holding just ``task`` as the queue; returns self."""
        return self.add_queue(TaskRing(task, iter_num=iter_num, iter_interval=iter_interval))

    runSingleTask = run_single_task  # noqa: N815 - the seed README's spelling
    repeatSingleTask = repeat_single_task  # noqa: N815 - the seed README's spelling

    def _queue(self) -> GenericTaskQueue:
        if self.taskqueue is None:
            raise RuntimeError("the operator has no queue: call add_queue(queue) first")
        return self.taskqueue

    # --- async API -----------------------------------------------------------------------

    async def finished(
        self, exec_interval: float = 0, *, on_error: ErrorPolicy | None = None
    ) -> AsyncIterator[BaseTask]:
        """Run the queue, yielding each top-level task once it has finished, result set.

        ``exec_interval`` seconds pass between one yielded task and the next run (not after
        the last one); a ring's ``iter_interval`` adds to it between passes.
        """
        policy = _check_policy(on_error or self.on_error)
        if exec_interval < 0:
            raise ValueError(f"exec_interval must be >= 0 seconds, not {exec_interval!r}")
        first = True
        for pause, task in self._queue().schedule():
            delay = pause if first else pause + exec_interval
            first = False
            if delay > 0:
                await self.timer.sleep(delay)
            try:
                await task.run()
            except Exception:
                if policy == "raise":
                    raise
            yield task

    async def arun(self, *, on_error: ErrorPolicy | None = None) -> Self:
        """Run every task of the queue; returns self. Results are on the tasks.

        What iterating :meth:`finished` does, without the async generator: a queue of
        single requests pays for one less step of the event loop's machinery per task."""
        policy = _check_policy(on_error or self.on_error)
        for pause, task in self._queue().schedule():
            if pause > 0:
                await self.timer.sleep(pause)
            try:
                await task.run()
            except Exception:
                if policy == "raise":
                    raise
        return self

    # --- sync API --------------------------------------------------------------------------

    def run(self, *, on_error: ErrorPolicy | None = None) -> Self:
        """Synchronous :meth:`arun`: runs the whole queue in one event loop and closes the
        HTTP sessions opened on it. Not callable inside a running event loop."""
        _refuse_inside_event_loop("TaskOperator.run()", "'await op.arun()'")
        _check_policy(on_error or self.on_error)
        self._queue()
        with _new_runner() as runner:
            try:
                runner.run(self.arun(on_error=on_error))
            finally:
                runner.run(close_apis_on_running_loop())
        return self

    def finish_task_generator(
        self, exec_interval: float = 0, *, on_error: ErrorPolicy | None = None
    ) -> Iterator[BaseTask]:
        """Synchronous :meth:`finished`: a generator yielding each finished task.

        One event loop serves the whole iteration; its HTTP sessions are closed when the
        generator ends or is closed (``break`` out of the ``for`` loop closes it).
        """
        _refuse_inside_event_loop(
            "TaskOperator.finish_task_generator()", "'async for task in op.finished()'"
        )
        _check_policy(on_error or self.on_error)
        if exec_interval < 0:
            raise ValueError(f"exec_interval must be >= 0 seconds, not {exec_interval!r}")
        self._queue()
        return _drive(lambda: self.finished(exec_interval, on_error=on_error))

    fishih_task_generator = finish_task_generator
    """The seed README's spelling of :meth:`finish_task_generator`."""


TaskOperater = TaskOperator
"""The seed README's spelling of :class:`TaskOperator`."""


def _new_runner() -> asyncio.Runner:
    """The event loop of a synchronous run: uvloop's when installed (the `fast` extra) and
    not turned off with ``AIOCA_UVLOOP=0``, else asyncio's own."""
    if os.environ.get("AIOCA_UVLOOP", "1") != "0":
        try:
            import uvloop
        except ImportError:
            pass
        else:
            return asyncio.Runner(loop_factory=uvloop.new_event_loop)
    return asyncio.Runner()


async def _next(iterator: AsyncIterator[_T]) -> tuple[bool, _T | None]:
    try:
        return True, await anext(iterator)
    except StopAsyncIteration:
        return False, None


def _drive(start: Callable[[], AsyncIterator[_T]]) -> Iterator[_T]:
    """Iterate an async iterator from sync code, on one event loop kept for the whole run."""
    runner = _new_runner()
    iterator = start()
    try:
        while True:
            more, item = runner.run(_next(iterator))
            if not more:
                return
            yield item  # type: ignore[misc]
    finally:
        try:
            closer: Coroutine[Any, Any, None] | None = getattr(iterator, "aclose", lambda: None)()
            if closer is not None:
                runner.run(closer)
            runner.run(close_apis_on_running_loop())
        finally:
            runner.close()
