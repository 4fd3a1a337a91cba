"""Composite tasks: ``GatherTask`` runs its children concurrently, ``SerialTask`` in order.

Both are tasks themselves, so they nest. Their ``result`` is the list of their children's
results (nested lists for nested composites), read live from the children, so a child's
failure never hides what its siblings fetched: the failed child's slot is ``None`` and its
exception stays on the child.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
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
