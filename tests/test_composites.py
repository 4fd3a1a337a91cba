"""GatherTask and SerialTask: concurrency, order, nesting, results and error semantics."""

from __future__ import annotations

import asyncio
import time

import pytest

from aioca import GatherTask, SerialTask, Task

from .helpers import Fail, Value


class Gate(Task):
    """Succeeds until ``fail`` is set."""

    fail = False

    async def __call__(self) -> str:
        if self.fail:
            raise ConnectionError("down")
        return "up"


def test_composite_result_is_none_before_the_first_run() -> None:
    assert GatherTask(Value(1)).result is None
    assert SerialTask(Value(1)).result is None


async def test_gather_runs_children_concurrently() -> None:
    gather = GatherTask(*(Value(i, delay=0.2) for i in range(10)))
    started = time.perf_counter()
    await gather.run()
    elapsed = time.perf_counter() - started
    assert gather.result == list(range(10))
    assert elapsed < 0.35, f"10 x 0.2 s children took {elapsed:.2f} s: not concurrent"


async def test_serial_runs_children_in_order_one_at_a_time() -> None:
    log: list[str] = []
    serial = SerialTask(Value("a", 0.01, log), Value("b", 0, log), Value("c", 0.01, log))
    assert await serial.run() == ["a", "b", "c"]
    assert log == ["start a", "end a", "start b", "end b", "start c", "end c"]


async def test_nested_composites_give_nested_result_lists() -> None:
    tree = GatherTask(
        SerialTask(Value("btc1"), Value("btc2")),
        SerialTask(Value("eth1"), Value("eth2")),
    )
    await tree.run()
    assert tree.result == [["btc1", "btc2"], ["eth1", "eth2"]]
    assert tree.result[0][1] == "btc2"


async def test_gather_lets_every_child_finish_when_one_fails() -> None:
    slow = Value("slow", delay=0.1)
    gather = GatherTask(Fail(ValueError("early")), slow)
    with pytest.raises(ExceptionGroup):
        await gather.run()
    assert slow.result == "slow", "a failing child must not cancel its in-flight sibling"
    assert slow.calls == 1


async def test_gather_raises_all_failures_together_and_keeps_sibling_results() -> None:
    first, second = ValueError("one"), KeyError("two")
    failing1, failing2 = Fail(first), Fail(second, delay=0.01)
    gather = GatherTask(Value(1), failing1, Value(3), failing2)
    with pytest.raises(ExceptionGroup) as caught:
        await gather.run()
    assert len(caught.value.exceptions) == 2
    assert set(map(id, caught.value.exceptions)) == {id(first), id(second)}
    assert gather.result == [1, None, 3, None]
    assert gather.exception is caught.value
    assert failing1.exception is first
    assert failing2.exception is second


async def test_serial_stops_at_the_first_failure_and_raises_it() -> None:
    error = RuntimeError("stop")
    after = Value("never")
    serial = SerialTask(Value("done"), Fail(error), after)
    with pytest.raises(RuntimeError) as caught:
        await serial.run()
    assert caught.value is error
    assert serial.exception is error
    assert after.calls == 0
    assert serial.result == ["done", None, None]


async def test_serial_clears_stale_results_of_children_skipped_after_a_failure() -> None:
    after = Value("fresh")
    gate = Gate()
    serial = SerialTask(gate, after)
    await serial.run()
    assert serial.result == ["up", "fresh"]
    gate.fail = True
    with pytest.raises(ConnectionError):
        await serial.run()
    assert after.result is None, "a skipped child must not show last pass's value as current"


async def test_failure_inside_nested_serial_surfaces_in_the_outer_group() -> None:
    error = ValueError("deep")
    tree = GatherTask(SerialTask(Value(1), Fail(error)), Value(2))
    with pytest.raises(ExceptionGroup) as caught:
        await tree.run()
    assert caught.value.exceptions == (error,)
    assert tree.result == [[1, None], 2]


async def test_cancelling_a_gather_cancels_its_children_and_waits_for_them() -> None:
    cleaned: list[str] = []

    class Slow(Task):
        def __init__(self, name: str) -> None:
            super().__init__()
            self.name = name

        async def __call__(self) -> None:
            try:
                await asyncio.sleep(10)
            finally:
                cleaned.append(self.name)

    gather = GatherTask(Slow("a"), SerialTask(Slow("b"), Slow("never")))
    runner = asyncio.ensure_future(gather.run())
    await asyncio.sleep(0.01)
    runner.cancel()
    with pytest.raises(asyncio.CancelledError):
        await runner
    assert sorted(cleaned) == ["a", "b"]
    assert gather.exception is None
    pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    assert pending == [], "children must not outlive a cancelled composite"


async def test_composite_can_be_run_again() -> None:
    counter = Value(1)
    gather = GatherTask(counter)
    await gather.run()
    await gather.run()
    assert counter.calls == 2
    assert gather.result == [1]


def test_plus_returns_a_new_composite_and_leaves_the_original() -> None:
    a, b = Value(1), Value(2)
    gather = GatherTask(a)
    bigger = gather + b
    assert isinstance(bigger, GatherTask)
    assert bigger.tasks == (a, b)
    assert gather.tasks == (a,)


def test_minus_returns_a_new_composite_and_leaves_the_original() -> None:
    a, b = Value(1), Value(2)
    serial = SerialTask(a, b)
    smaller = serial - a
    assert isinstance(smaller, SerialTask)
    assert smaller.tasks == (b,)
    assert serial.tasks == (a, b)


def test_in_place_add_and_remove() -> None:
    a, b, c = Value(1), Value(2), Value(3)
    gather = GatherTask(a)
    same = gather
    gather += b
    gather.add_tasks(c)
    assert gather is same
    assert gather.tasks == (a, b, c)
    gather -= b
    assert gather.tasks == (a, c)


def test_removal_is_by_identity_and_first_occurrence() -> None:
    a = Value(1)
    twin = Value(1)
    gather = GatherTask(a, twin, a)
    gather -= a
    assert gather.tasks == (twin, a)
    with pytest.raises(ValueError, match="not in this GatherTask"):
        gather -= Value(1)


def test_only_tasks_can_be_added() -> None:
    with pytest.raises(TypeError, match="holds tasks"):
        GatherTask("not a task")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        SerialTask() + 5  # type: ignore[operator]


def test_len_counts_direct_children() -> None:
    assert len(GatherTask(Value(1), SerialTask(Value(2), Value(3)))) == 2


async def test_serial_clears_stale_results_inside_skipped_composites() -> None:
    inner = GatherTask(Value(1), Value(2))
    gate = Gate()
    serial = SerialTask(gate, inner)
    await serial.run()
    assert serial.result == ["up", [1, 2]]
    gate.fail = True
    with pytest.raises(ConnectionError):
        await serial.run()
    assert serial.result == [None, [None, None]]
