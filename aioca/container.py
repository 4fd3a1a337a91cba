"""What composites and queues share: an ordered list of tasks edited with ``+`` and ``-``.

The seed README calls this ``BaseMultiTaskOperate``. ``a + t`` and ``a - t`` return a new
container and leave ``a`` alone; ``+=``, ``-=`` and :meth:`add_tasks` change ``a`` in place.
Removal is by identity, because two tasks with equal parameters are still two requests.
"""

from __future__ import annotations

import copy
from typing import Self

from .task import BaseTask

__all__ = ["BaseMultiTaskOperate", "TaskContainer"]


class TaskContainer:
    """An ordered list of tasks with the seed's ``+``/``-``/``add_tasks``/``show_tasks`` API."""

    _tasks: list[BaseTask]

    def __init__(self, *tasks: BaseTask) -> None:
        self._tasks = []
        self.add_tasks(*tasks)

    @property
    def tasks(self) -> tuple[BaseTask, ...]:
        """The tasks held, in the order they were added."""
        return tuple(self._tasks)

    def add_tasks(self, *tasks: BaseTask) -> Self:
        """Append tasks (plain or composite) in place; returns ``self`` for chaining."""
        for task in tasks:
            if not isinstance(task, BaseTask):
                raise TypeError(
                    f"{type(self).__name__} holds tasks (Task, GatherTask, SerialTask), "
                    f"not {type(task).__name__}"
                )
        self._tasks.extend(tasks)
        return self

    def remove_task(self, task: BaseTask) -> Self:
        """Remove the first occurrence of ``task`` (by identity) in place.

        Raises ``ValueError`` when the task is not held.
        """
        for index, held in enumerate(self._tasks):
            if held is task:
                del self._tasks[index]
                return self
        raise ValueError(f"{task!r} is not in this {type(self).__name__}")

    def _copy(self) -> Self:
        clone = copy.copy(self)
        clone._tasks = list(self._tasks)
        return clone

    def __add__(self, task: BaseTask) -> Self:
        return self._copy().add_tasks(task)

    def __sub__(self, task: BaseTask) -> Self:
        return self._copy().remove_task(task)

    def __iadd__(self, task: BaseTask) -> Self:
        return self.add_tasks(task)

    def __isub__(self, task: BaseTask) -> Self:
        return self.remove_task(task)

    def __len__(self) -> int:
        return len(self._tasks)

    def format_tasks(self) -> str:
        """The tree ``show_tasks()`` prints, as a string."""
        raise NotImplementedError

    def show_tasks(self) -> None:
        """Print the task tree in the seed README's layout."""
        print(self.format_tasks())


BaseMultiTaskOperate = TaskContainer
"""The seed README's name for :class:`TaskContainer`."""
