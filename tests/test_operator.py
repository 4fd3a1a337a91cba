"""TaskOperator: running queues async and sync, intervals, error policy, loop and sessions."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator

import pytest

from aioca import GatherTask, Task, TaskOperater, TaskOperator, TaskQueue, TaskRing, TaskStack
from aioca.errors import EventLoopRunningError
from aioca.testing import FakeClock

from .helpers import Fail, FakeApi, Flaky, Value


@pytest.fixture
def timer() -> FakeClock:
    """The operators' timer: their pauses are recorded (``timer.sleeps``), not slept."""
    return FakeClock()


@pytest.fixture
def sleeps(timer: FakeClock) -> list[float]:
    return timer.sleeps


class SessionUser(Task):
    """Opens its API's HTTP session (as a request would) and records the event loop."""

    loops: list[asyncio.AbstractEventLoop]

    def __init__(self, api: FakeApi, loops: list[asyncio.AbstractEventLoop]) -> None:
        super().__init__(api=api)
        self.loops = loops

    async def __call__(self) -> int:
        self.loops.append(asyncio.get_running_loop())
        session = self.api._get_session()
        return id(session)


# --- async API -------------------------------------------------------------------------


async def test_arun_runs_every_task_and_returns_the_operator() -> None:
    a, b = Value(1), Value(2)
    operator = TaskOperator().add_queue(TaskQueue(a, b))
    assert await operator.arun() is operator
    assert (a.result, b.result) == (1, 2)


async def test_arun_pauses_and_handles_errors_as_iterating_finished_does(
    sleeps: list[float],
    timer: FakeClock,
) -> None:
    flaky = Flaky({2})
    ring = TaskRing(flaky, Value("v"), iter_num=3, iter_interval=0.25)
    assert await TaskOperator(ring, on_error="continue", timer=timer).arun() is not None
    assert (flaky.calls, flaky.result) == (3, 3)
    assert sleeps == [0.25, 0.25]  # between passes, not before the first or after the last

    failing, never = Flaky({1}), Value("never")
    with pytest.raises(ConnectionError):
        await TaskOperator(TaskQueue(failing, never), timer=timer).arun()
    assert isinstance(failing.exception, ConnectionError)
    assert never.calls == 0  # "raise" stops at the first failure


async def test_finished_yields_each_task_after_it_ran_in_queue_order() -> None:
    a, b, c = Value("a"), Value("b"), Value("c")
    seen = [(task, task.result) async for task in TaskOperator(TaskStack(a, b, c)).finished()]
    assert seen == [(c, "c"), (b, "b"), (a, "a")]


async def test_ring_result_is_refreshed_on_every_pass() -> None:
    flaky = Flaky(fail_on=set())
    results = [task.result async for task in TaskOperator(TaskRing(flaky, iter_num=3)).finished()]
    assert results == [1, 2, 3]


async def test_exec_interval_sleeps_between_yielded_tasks_not_after_the_last(
    sleeps: list[float],
    timer: FakeClock,
) -> None:
    operator = TaskOperator(TaskQueue(Value(1), Value(2), Value(3)), timer=timer)
    async for _ in operator.finished(exec_interval=0.5):
        pass
    assert sleeps == [0.5, 0.5]


async def test_ring_interval_sleeps_between_passes_not_after_the_last(
    sleeps: list[float], timer: FakeClock
) -> None:
    ring = TaskRing(Value(1), Value(2), iter_num=3, iter_interval=2)
    await TaskOperator(ring, timer=timer).arun()
    assert sleeps == [2.0, 2.0]


async def test_ring_interval_and_exec_interval_add_up_between_passes(
    sleeps: list[float], timer: FakeClock
) -> None:
    ring = TaskRing(Value(1), Value(2), iter_num=2, iter_interval=2)
    async for _ in TaskOperator(ring, timer=timer).finished(exec_interval=0.5):
        pass
    assert sleeps == [0.5, 2.5, 0.5]


async def test_real_ring_interval_is_waited(monkeypatch: pytest.MonkeyPatch) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    await TaskOperator(TaskRing(Value(1), iter_num=3, iter_interval=0.05)).arun()
    assert 0.1 <= loop.time() - started < 0.5


async def test_on_error_raise_stops_at_the_first_failure() -> None:
    error = ValueError("bad")
    after = Value("after")
    operator = TaskOperator(TaskQueue(Value(1), Fail(error), after))
    with pytest.raises(ValueError, match="bad"):
        await operator.arun()
    assert after.calls == 0


async def test_on_error_continue_yields_the_failed_task_and_goes_on() -> None:
    error = ValueError("bad")
    failing, after = Fail(error), Value("after")
    operator = TaskOperator(TaskQueue(failing, after), on_error="continue")
    seen = [task async for task in operator.finished()]
    assert seen == [failing, after]
    assert failing.exception is error
    assert after.result == "after"


async def test_on_error_continue_keeps_a_ring_alive_through_transient_failures() -> None:
    flaky = Flaky(fail_on={2, 3})
    ring = TaskRing(flaky, iter_num=5)
    outcomes = [
        (task.result, type(task.exception).__name__ if task.exception else None)
        async for task in TaskOperator(ring, on_error="continue").finished()
    ]
    assert outcomes == [
        (1, None),
        (None, "ConnectionError"),
        (None, "ConnectionError"),
        (4, None),
        (5, None),
    ]


async def test_on_error_can_be_overridden_for_one_run() -> None:
    operator = TaskOperator(TaskQueue(Fail(ValueError("x")), Value(2)))
    await operator.arun(on_error="continue")
    with pytest.raises(ValueError, match="x"):
        await operator.arun()


async def test_gather_failure_in_a_queue_raises_the_exception_group() -> None:
    gather = GatherTask(Value(1), Fail(KeyError("k")))
    with pytest.raises(ExceptionGroup):
        await TaskOperator(TaskQueue(gather)).arun()
    assert gather.result == [1, None]


def test_bad_on_error_is_rejected() -> None:
    with pytest.raises(ValueError, match="on_error"):
        TaskOperator(on_error="ignore")  # type: ignore[arg-type]


# --- building the operator ----------------------------------------------------------------


def test_add_queue_returns_the_operator_and_sets_taskqueue() -> None:
    queue = TaskQueue()
    operator = TaskOperator()
    assert operator.add_queue(queue) is operator
    assert operator.taskqueue is queue


@pytest.mark.parametrize("not_a_queue", [Value(1), GatherTask(), [Value(1)], None])
def test_add_queue_rejects_anything_but_a_task_queue(not_a_queue: object) -> None:
    with pytest.raises(TypeError, match="task queue"):
        TaskOperator().add_queue(not_a_queue)  # type: ignore[arg-type]


def test_run_single_task_wraps_the_task_in_a_queue() -> None:
    task = Value(1)
    operator = TaskOperator()
    assert operator.runSingleTask(task) is operator
    assert isinstance(operator.taskqueue, TaskQueue)
    assert operator.taskqueue.tasks == (task,)
    operator.run()
    assert task.result == 1


def test_repeat_single_task_wraps_the_task_in_a_ring() -> None:
    task = Value(1)
    operator = TaskOperator()
    assert operator.repeat_single_task(task, iter_num=3) is operator
    assert isinstance(operator.taskqueue, TaskRing)
    assert operator.repeatSingleTask(task).taskqueue.iter_num is None  # type: ignore[union-attr]
    operator.repeat_single_task(task, iter_num=3).run()
    assert task.calls == 3


def test_seed_spellings_are_aliases() -> None:
    assert TaskOperater is TaskOperator
    assert TaskOperator.fishih_task_generator is TaskOperator.finish_task_generator
    assert TaskOperator.runSingleTask is TaskOperator.run_single_task


def test_running_without_a_queue_says_what_to_do() -> None:
    with pytest.raises(RuntimeError, match="add_queue"):
        TaskOperator().run()


# --- sync API --------------------------------------------------------------------------------


def test_sync_run_runs_the_queue_and_the_queue_can_run_again() -> None:
    a = Value(1)
    queue = TaskQueue(a)
    operator = TaskOperator(queue)
    assert operator.run() is operator
    assert operator.run() is operator
    assert a.calls == 2
    assert queue.tasks == (a,)


def test_sync_run_raises_the_task_error() -> None:
    with pytest.raises(ValueError, match="bad"):
        TaskOperator(TaskQueue(Fail(ValueError("bad")))).run()


def test_sync_run_uses_one_loop_and_one_session_then_closes_it() -> None:
    api = FakeApi()
    loops: list[asyncio.AbstractEventLoop] = []
    first, second = SessionUser(api, loops), SessionUser(api, loops)
    TaskOperator(TaskQueue(first, second)).run()
    assert loops[0] is loops[1], "the whole run must share one event loop"
    assert first.result == second.result, "the session must be reused across tasks"
    assert api.closed, "the operator closes the sessions opened on its loop"
    gc.collect()  # an unclosed session would warn here, and warnings are errors


def test_sync_generator_yields_each_finished_task_on_one_loop() -> None:
    api = FakeApi()
    loops: list[asyncio.AbstractEventLoop] = []
    tasks = [SessionUser(api, loops) for _ in range(3)]
    seen = []
    for task in TaskOperator(TaskQueue(*tasks)).finish_task_generator():
        seen.append(task)
        assert task.result is not None
        assert not api.closed, "the session stays open while the generator runs"
    assert seen == tasks
    assert len(set(map(id, loops))) == 1
    assert api.closed


def test_breaking_out_of_the_sync_generator_closes_the_sessions() -> None:
    api = FakeApi()
    loops: list[asyncio.AbstractEventLoop] = []
    ring = TaskRing(SessionUser(api, loops))
    for count, _ in enumerate(TaskOperator(ring).fishih_task_generator(), start=1):
        if count == 3:
            break
    assert api.closed
    gc.collect()


def test_sync_generator_with_on_error_continue_yields_failures() -> None:
    failing, fine = Fail(ValueError("x")), Value(2)
    operator = TaskOperator(TaskQueue(failing, fine), on_error="continue")
    seen = list(operator.finish_task_generator())
    assert seen == [failing, fine]
    assert isinstance(failing.exception, ValueError)


def test_sync_generator_raises_with_on_error_raise_and_cleans_up() -> None:
    api = FakeApi()
    loops: list[asyncio.AbstractEventLoop] = []
    queue = TaskQueue(SessionUser(api, loops), Fail(ValueError("x")), Value(3))
    generator: Iterator[Task] = TaskOperator(queue).finish_task_generator()  # type: ignore[assignment]
    next(generator)
    with pytest.raises(ValueError, match="x"):
        next(generator)
    assert api.closed


async def test_sync_run_inside_a_running_loop_refuses_and_names_the_async_api() -> None:
    task = Value(1)
    operator = TaskOperator(TaskQueue(task))
    with pytest.raises(EventLoopRunningError, match=r"await op\.arun\(\)") as caught:
        operator.run()
    assert isinstance(caught.value, RuntimeError)
    assert task.calls == 0


async def test_sync_generator_inside_a_running_loop_refuses_at_call_time() -> None:
    task = Value(1)
    operator = TaskOperator(TaskQueue(task))
    with pytest.raises(EventLoopRunningError, match=r"async for task in op\.finished\(\)"):
        operator.finish_task_generator()
    assert task.calls == 0
