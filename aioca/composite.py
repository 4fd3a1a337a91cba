"""Composite tasks: ``GatherTask`` runs its children concurrently, ``SerialTask`` in order.

Both are tasks themselves, so they nest. Their ``result`` is the list of their children's
results (nested lists for nested composites), read live from the children, so a child's
failure never hides what its siblings fetched: the failed child's slot is ``None`` and its
exception stays on the child.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Iterator
from typing import Any

from .container import TaskContainer
from .i18n import localize
from .task import BaseTask

__all__ = ["CompositeTask", "GatherTask", "SerialTask"]


class CompositeTask(TaskContainer, BaseTask[list[Any]]):
    """A task made of tasks. ``result`` is ``None`` before the first run, then the list of
    the children's results as they stand; ``exception`` is the composite's own failure."""

    def __init__(self, *tasks: BaseTask) -> None:
        TaskContainer.__init__(self, *tasks)

    @property
    def result(self) -> list[Any]:
        """The children's results as they stand (``None`` before the composite's first
        run, like every task's result)."""
        if not self._has_run:
            return None  # type: ignore[return-value]
        return [task.result for task in self._tasks]

    def _label(self) -> str:
        raise NotImplementedError

    def _forget_outcome(self) -> None:
        super()._forget_outcome()
        for task in self._tasks:
            task._forget_outcome()

    def __str__(self) -> str:
        return f"{self._label()}({len(self._tasks)})"

    def _tree_lines(self, depth: int) -> Iterator[str]:
        yield f"{'    ' * depth}{self}:"
        for task in self._tasks:
            yield from task._tree_lines(depth + 1)

    def format_tasks(self) -> str:
        return BaseTask.format_tasks(self)


class GatherTask(CompositeTask):
    """Runs its children concurrently: N requests take about as long as the slowest one.

    Every child is allowed to finish even when a sibling fails: cancelling a request in
    flight (an order, say) would leave its outcome unknown. The failures are then raised
    together as one ``ExceptionGroup``. Cancelling the ``GatherTask`` cancels the children
    still running and waits for them to unwind.
    """

    def _label(self) -> str:
        return localize("GatherTask", "并发任务")

    async def __call__(self) -> list[Any]:
        outcomes = await asyncio.gather(
            *(task.run() for task in self._tasks), return_exceptions=True
        )
        failures = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
        if failures:
            raise BaseExceptionGroup(
                f"{len(failures)} of {len(self._tasks)} tasks in {self} failed", failures
            )
        return outcomes

    async def as_completed(
        self, *, release: bool = True, concurrency: int | None = None
    ) -> AsyncIterator[BaseTask]:
        """Run the children concurrently and yield each one as it finishes, for results
        consumed on arrival rather than kept until the last one lands (a thousand pages of
        candles need not all sit in memory)::

            async with contextlib.aclosing(gather.as_completed()) as finished:
                async for task in finished:
                    store(task.result)

        ``release`` (the default) clears a child's ``result`` once the loop asks for the
        next one: keep what you need from it inside the loop body. ``concurrency`` bounds
        the children running or waiting to be looked at (all of them by default): a child
        starts when the loop takes a finished one, so memory stays flat however many
        children there are and however slow the loop body is. Children that fail are
        not yielded; their exceptions are raised together as one ``ExceptionGroup`` once
        every child has finished, as :meth:`run` would (nothing is lost silently).

        As with :meth:`run`, no child is cancelled because a sibling failed, nor because the
        loop stopped early: leaving the loop (``break``, an exception in its body) waits for
        the children still running, whose results and exceptions are then kept on them
        (an order in flight must not be cut off); those not started yet are not started.
        Cancelling the iterating task cancels the children running. This is not a run of
        the ``GatherTask`` itself: its own ``result`` and ``exception`` are left as they
        were.
        """
        finished: deque[asyncio.Future[Any]] = deque()
        arrived = asyncio.Event()

        def on_done(future: asyncio.Future[Any]) -> None:
            finished.append(future)
            arrived.set()

        if concurrency is not None and concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, not {concurrency!r}")
        waiting = iter(self._tasks)
        children: dict[asyncio.Future[Any], BaseTask] = {}

        def start_next() -> None:
            task = next(waiting, None)
            if task is not None:
                future = asyncio.ensure_future(task.run())
                future.add_done_callback(on_done)
                children[future] = task

        for _ in range(len(self._tasks) if concurrency is None else concurrency):
            start_next()
        failures: list[BaseException] = []
        try:
            while children:
                if not finished:
                    arrived.clear()
                    await arrived.wait()
                    continue
                future = finished.popleft()
                task = children.pop(future)
                start_next()  # in flight while the loop body runs
                if future.cancelled():  # a child that cancelled itself: a failure to report
                    failures.append(asyncio.CancelledError(f"{task} was cancelled"))
                    continue
                failure = future.exception()
                if failure is not None:
                    failures.append(failure)
                    continue
                yield task
                if release:
                    task._forget_outcome()
        except asyncio.CancelledError:
            for future in children:
                future.cancel()
            raise
        finally:
            if children:  # left early (or cancelled): the rest finish before we return
                await asyncio.wait(children)
                for future in children:  # their failures stay on the tasks (``exception``)
                    if not future.cancelled():
                        future.exception()
        if failures:
            raise BaseExceptionGroup(
                f"{len(failures)} of {len(self._tasks)} tasks in {self} failed", failures
            )


class SerialTask(CompositeTask):
    """Runs its children one after another, in order; stops at the first failure and
    raises it. Children after the failed one are not run in that pass, and their
    ``result`` is cleared so that no stale value passes for a fresh one."""

    def _label(self) -> str:
        return localize("SerialTask", "串行任务")

    async def __call__(self) -> list[Any]:
        results = []
        for index, task in enumerate(self._tasks):
            try:
                results.append(await task.run())
            except Exception:
                for skipped in self._tasks[index + 1 :]:
                    skipped._forget_outcome()
                raise
        return results
