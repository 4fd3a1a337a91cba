"""GatherTask.as_completed: children yielded as they finish, results released after use,
failures raised together at the end, no child cut off by an early exit."""

from __future__ import annotations

import asyncio
import contextlib
import time
import weakref
from typing import Any, ClassVar

import pytest

from aioca import GatherTask, Task

from .helpers import Fail, Value


async def collect(gather: GatherTask, **options: Any) -> list[Any]:
    """The children's results in the order they were yielded, read inside the loop."""
    seen = []
    async with contextlib.aclosing(gather.as_completed(**options)) as finished:
        async for task in finished:
            seen.append(task.result)
    return seen


async def test_children_come_in_the_order_they_finish_and_run_concurrently() -> None:
    gather = GatherTask(Value("slow", 0.3), Value("fast", 0.1), Value("middle", 0.2))
    started = time.perf_counter()
    assert await collect(gather) == ["fast", "middle", "slow"]
    elapsed = time.perf_counter() - started
    assert elapsed < 0.5, f"three children of at most 0.3 s took {elapsed:.2f} s"


async def test_each_result_is_released_once_the_loop_asks_for_the_next() -> None:
    children = [Value(i, 0.01 * i) for i in range(5)]
    yielded: list[Value] = []
    async for task in GatherTask(*children).as_completed():
        assert task.result is not None
        # Every child yielded before has let its result go; the ones not yet yielded may
        # hold theirs (two can finish before the loop asks again on a loaded machine).
        assert [previous.result for previous in yielded] == [None] * len(yielded)
        yielded.append(task)
    assert sorted(yielded, key=children.index) == children
    assert [child.result for child in children] == [None] * 5
    assert [child.calls for child in children] == [1] * 5


async def test_release_false_keeps_every_result() -> None:
    children = [Value(i, 0.001 * (5 - i)) for i in range(5)]
    assert sorted(await collect(GatherTask(*children), release=False)) == list(range(5))
    assert [child.result for child in children] == list(range(5))


class Payload(Task):
    """A result big enough to matter, dropped when released."""

    alive: ClassVar[weakref.WeakSet[Any]] = weakref.WeakSet()

    async def __call__(self) -> Any:
        await asyncio.sleep(0)
        result = Bulk()
        Payload.alive.add(result)
        return result


class Bulk:
    pass


async def test_released_results_are_freed_while_the_loop_goes_on() -> None:
    count = 200
    async for index, _task in aenumerate(GatherTask(*(Payload() for _ in range(count)))):
        # Every child may have finished by now, but those already yielded are gone.
        assert len(Payload.alive) <= count - index, f"results kept after {index} were used"
    assert len(Payload.alive) == 0


async def aenumerate(gather: GatherTask) -> Any:
    index = 0
    async for task in gather.as_completed():
        yield index, task
        index += 1


async def test_failures_are_raised_together_after_every_success_was_yielded() -> None:
    first, second = ValueError("one"), KeyError("two")
    failing = [Fail(first), Fail(second, delay=0.02)]
    gather = GatherTask(Value("a", 0.01), failing[0], Value("b", 0.03), failing[1])
    seen: list[Any] = []

    async def consume() -> None:
        async for task in gather.as_completed():
            seen.append(task.result)

    with pytest.raises(ExceptionGroup) as caught:
        await consume()
    assert seen == ["a", "b"]
    assert set(map(id, caught.value.exceptions)) == {id(first), id(second)}
    assert "2 of 4 tasks" in str(caught.value)
    assert [task.exception for task in failing] == [first, second]


async def test_leaving_the_loop_early_waits_for_the_children_still_running() -> None:
    slow = Value("slow", 0.2)
    gather = GatherTask(Value("fast"), slow, Fail(ValueError("late"), delay=0.1))
    async with contextlib.aclosing(gather.as_completed()) as finished:
        async for task in finished:
            assert task.result == "fast"
            break
    assert slow.result == "slow", "an early exit must not cut a request in flight off"
    assert slow.calls == 1
    assert isinstance(gather.tasks[2].exception, ValueError)


async def test_an_error_in_the_loop_body_is_the_one_raised() -> None:
    slow = Value("slow", 0.1)
    gather = GatherTask(Value("fast"), slow)

    async def consume() -> None:
        async with contextlib.aclosing(gather.as_completed()) as finished:
            async for _task in finished:
                raise LookupError("mine")

    with pytest.raises(LookupError, match="mine"):
        await consume()
    assert slow.result == "slow"


async def test_cancelling_the_loop_cancels_the_children_still_running() -> None:
    slow = Value("slow", 10)
    gather = GatherTask(Value("fast"), slow)
    seen = []

    async def consume() -> None:
        async for task in gather.as_completed():
            seen.append(task)

    consumer = asyncio.ensure_future(consume())
    await asyncio.sleep(0.05)
    consumer.cancel()
    with pytest.raises(asyncio.CancelledError):
        await consumer
    assert len(seen) == 1
    assert slow.result is None
    pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    assert pending == [], "cancelled children must have unwound"


async def test_iterating_is_not_a_run_of_the_gather_itself() -> None:
    gather = GatherTask(Value(1), Value(2))
    assert await collect(gather) == [1, 2]
    assert gather.result is None
    assert gather.exception is None
    assert await gather.run() == [1, 2], "a later run still runs every child"


async def test_nested_composites_are_yielded_whole() -> None:
    inner = GatherTask(Value("x"), Value("y"))
    seen = await collect(GatherTask(inner, Value("z", 0.05)))
    assert seen == [["x", "y"], "z"]


class Counted(Task):
    """Records how many of its kind run at once."""

    running = 0
    most = 0

    def __init__(self, value: int) -> None:
        super().__init__()
        self.value = value

    async def __call__(self) -> int:
        Counted.running += 1
        Counted.most = max(Counted.most, Counted.running)
        try:
            await asyncio.sleep(0.001 * (self.value % 3))
            return self.value
        finally:
            Counted.running -= 1


async def test_concurrency_bounds_the_children_running_or_waiting_to_be_seen() -> None:
    Counted.running = Counted.most = 0
    children = [Counted(i) for i in range(40)]
    unseen_at_most = 0
    seen = []
    async for task in GatherTask(*children).as_completed(concurrency=4):
        seen.append(task.result)
        await asyncio.sleep(0.002)  # a slow loop body: finished children must not pile up
        finished_unseen = sum(child.result is not None for child in children) - 1
        unseen_at_most = max(unseen_at_most, finished_unseen)
    assert sorted(seen) == list(range(40))
    assert Counted.most <= 4
    assert unseen_at_most <= 4, f"{unseen_at_most} finished children waited to be seen"


async def test_leaving_early_starts_no_more_children() -> None:
    children = [Value(i, 0.01) for i in range(10)]
    async with contextlib.aclosing(GatherTask(*children).as_completed(concurrency=2)) as it:
        async for _task in it:
            break
    assert sum(child.calls for child in children) == 3, "two at first, one started on taking"


async def test_concurrency_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        async for _task in GatherTask(Value(1)).as_completed(concurrency=0):
            pass
