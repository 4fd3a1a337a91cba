"""Task queues: the order in which an operator runs top-level tasks.

``TaskQueue`` is first in, first out; ``TaskStack`` last in, first out; ``TaskRing`` repeats
its tasks first in, first out, ``iter_num`` times (forever when ``None``), pausing
``iter_interval`` seconds between passes. Running a queue does not empty it: the same queue
can be run again. Each pass of a ring takes a snapshot of its tasks, so tasks added or
removed while a ring runs take effect from the next pass.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Self

from .container import TaskContainer
from .i18n import localize
from .task import BaseTask

__all__ = ["GenericTaskQueue", "TaskQueue", "TaskRing", "TaskStack"]

_FOOTER = "-" * 23


class GenericTaskQueue(TaskContainer):
    """Base of the task queues. Iterating a queue (``next(queue)``) gives the tasks of one
    run in order, then raises ``StopIteration``; the next iteration starts over."""

    _cursor: Iterator[BaseTask] | None = None

    def _passes(self) -> Iterator[list[BaseTask]]:
        """The batches of tasks to run, one batch per pass."""
        yield list(self._tasks)

    def _pause_between_passes(self) -> float:
        return 0.0

    def schedule(self) -> Iterator[tuple[float, BaseTask]]:
        """What an operator runs: ``(pause, task)`` pairs, where ``pause`` is the time to
        wait before running ``task`` (a ring's interval before each pass but the first)."""
        pause_between = self._pause_between_passes()
        for number, batch in enumerate(self._passes()):
            pause = pause_between if number else 0.0
            for task in batch:
                yield pause, task
                pause = 0.0

    def __iter__(self) -> Self:
        self._cursor = None
        return self

    def __next__(self) -> BaseTask:
        if self._cursor is None:
            self._cursor = (task for _, task in self.schedule())
        try:
            return next(self._cursor)
        except StopIteration:
            self._cursor = None
            raise

    def _copy(self) -> Self:
        clone = super()._copy()
        clone._cursor = None
        return clone

    def format_tasks(self) -> str:
        header = localize(
            f"-------Task queue ({len(self._tasks)})-------",
            f"-------当前任务队列({len(self._tasks)})-------",
        )
        lines = [header]
        for index, task in enumerate(self._tasks):
            lines.append(f"Task {index}")
            lines.extend(task._tree_lines(0))
        lines.append(_FOOTER)
        return "\n".join(lines)


class TaskQueue(GenericTaskQueue):
    """Runs its tasks once, first in, first out."""


class TaskStack(GenericTaskQueue):
    """Runs its tasks once, last in, first out."""

    def _passes(self) -> Iterator[list[BaseTask]]:
        yield self._tasks[::-1]


class TaskRing(GenericTaskQueue):
    """Runs its tasks first in, first out, ``iter_num`` times (forever when ``None``),
    pausing ``iter_interval`` seconds between passes (not after the last one).

    Each task's ``result`` is refreshed on every pass. An empty ring ends at once instead
    of spinning.
    """

    def __init__(
        self, *tasks: BaseTask, iter_num: int | None = None, iter_interval: float = 0
    ) -> None:
        if iter_num is not None and (
            isinstance(iter_num, bool) or not isinstance(iter_num, int) or iter_num < 0
        ):
            raise ValueError(f"iter_num must be a whole number >= 0 or None, not {iter_num!r}")
        if isinstance(iter_interval, bool) or not isinstance(iter_interval, int | float):
            raise ValueError(f"iter_interval must be a number of seconds, not {iter_interval!r}")
        if iter_interval < 0:
            raise ValueError(f"iter_interval must be >= 0 seconds, not {iter_interval!r}")
        super().__init__(*tasks)
        self.iter_num = iter_num
        self.iter_interval = float(iter_interval)

    def _pause_between_passes(self) -> float:
        return self.iter_interval

    def _passes(self) -> Iterator[list[BaseTask]]:
        done = 0
        while self.iter_num is None or done < self.iter_num:
            batch = list(self._tasks)
            if not batch:
                return
            yield batch
            done += 1
