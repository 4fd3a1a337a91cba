"""Task: result lifecycle, naming, and the default API per exchange."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from aioca import FunctionTask, Task
from aioca.errors import MissingApiError

from .helpers import Fail, FakeApi, FakeExchangeTask, OtherApi, OtherExchangeTask, Value


class Ping(Task):
    """A seed-style task: no __init__ of its own."""

    async def __call__(self) -> str:
        return "pong"


class NoSuperInit(Task):
    """A user task whose __init__ forgets super().__init__()."""

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol

    async def __call__(self) -> str:
        return self.symbol


def test_task_is_abstract() -> None:
    with pytest.raises(TypeError):
        Task()  # type: ignore[abstract]


def test_result_is_none_before_the_task_has_run() -> None:
    assert Value(1).result is None
    assert Value(1).exception is None


async def test_run_sets_result_and_returns_it() -> None:
    task = Value(42)
    assert await task.run() == 42
    assert task.result == 42
    assert task.exception is None


def test_result_cannot_be_assigned() -> None:
    task = Value(1)
    with pytest.raises(AttributeError):
        task.result = 5  # type: ignore[misc]


async def test_failed_task_keeps_its_exception_and_result_stays_none() -> None:
    error = ValueError("bad")
    task = Fail(error)
    with pytest.raises(ValueError, match="bad"):
        await task.run()
    assert task.exception is error
    assert task.result is None


async def test_later_failure_resets_result_and_later_success_clears_exception() -> None:
    outcomes: list[Any] = [1, RuntimeError("flap"), 3]

    class Sequence(Task):
        async def __call__(self) -> Any:
            outcome = outcomes.pop(0)
            if isinstance(outcome, Exception):
                raise outcome
            return outcome

    task = Sequence()
    await task.run()
    assert task.result == 1
    with pytest.raises(RuntimeError):
        await task.run()
    assert task.result is None
    assert isinstance(task.exception, RuntimeError)
    await task.run()
    assert task.result == 3
    assert task.exception is None


async def test_cancellation_is_not_recorded_as_a_failure() -> None:
    task = Value(1, delay=10)
    runner = asyncio.ensure_future(task.run())
    await asyncio.sleep(0)
    runner.cancel()
    with pytest.raises(asyncio.CancelledError):
        await runner
    assert task.exception is None
    assert task.result is None


def test_default_str_names_class_and_arguments() -> None:
    class Kline(Task):
        def __init__(self, symbol: str, *, limit: int = 1) -> None:
            super().__init__()

        async def __call__(self) -> None:
            return None

    assert str(Kline("BTCUSD_PERP", limit=5)) == "Kline('BTCUSD_PERP', limit=5)"
    assert str(Ping()) == "Ping()"


def test_str_leaves_out_the_api_argument() -> None:
    assert str(Ping(api=FakeApi())) == "Ping()"


def test_repr_shows_name_and_state() -> None:
    assert repr(Value(1)) == "<Value 'value 1' new>"


async def test_user_init_without_super_still_gets_state_and_default_api() -> None:
    api = FakeApi()
    Task.set_default_api(api)
    task = NoSuperInit("BTCUSD_PERP")
    assert task.api is api
    assert await task.run() == "BTCUSD_PERP"
    assert task.result == "BTCUSD_PERP"


def test_seed_example_default_api_is_taken_at_creation() -> None:
    api1 = FakeApi(api_key="key_1")
    api2 = FakeApi(api_key="key_2")
    Task.set_default_api(api1)
    task1 = FakeExchangeTask()
    Task.set_default_api(api2)
    task2 = FakeExchangeTask()
    assert task1.api.api_key == "key_1"  # type: ignore[attr-defined]
    assert task2.api.api_key == "key_2"  # type: ignore[attr-defined]


def test_explicit_api_wins_over_the_default() -> None:
    Task.set_default_api(FakeApi(api_key="default"))
    mine = FakeApi(api_key="mine")
    assert FakeExchangeTask(api=mine).api is mine


def test_api_can_be_changed_per_instance() -> None:
    task = Ping()
    api1, api2 = FakeApi(), FakeApi()
    task.api = api1
    assert task.api is api1
    task.api = api2
    assert task.api is api2


def test_defaults_are_kept_per_exchange() -> None:
    fake, other = FakeApi(), OtherApi()
    Task.set_default_api(fake)
    Task.set_default_api(other)
    assert FakeExchangeTask().api is fake
    assert OtherExchangeTask().api is other


def test_task_without_exchange_takes_the_most_recent_default() -> None:
    fake, other = FakeApi(), OtherApi()
    Task.set_default_api(other)
    Task.set_default_api(fake)
    assert Ping().api is fake
    assert Task.get_default_api() is fake
    assert Task.get_default_api("other") is other


def test_exchange_task_does_not_take_another_exchanges_default() -> None:
    Task.set_default_api(OtherApi())
    with pytest.raises(MissingApiError, match="exchange 'fake'"):
        _ = FakeExchangeTask().api


async def test_task_without_api_fails_clearly_when_run() -> None:
    task = FakeExchangeTask()
    with pytest.raises(MissingApiError, match=r"set_default_api") as caught:
        await task.run()
    assert not isinstance(caught.value, AttributeError)
    assert task.exception is caught.value


async def test_function_task_runs_any_coroutine_function_each_time() -> None:
    calls: list[int] = []

    async def fetch(x: int, *, scale: int) -> int:
        calls.append(x)
        return x * scale

    task = FunctionTask(fetch, 3, scale=2, name="triple")
    assert await task.run() == 6
    assert await task.run() == 6
    assert calls == [3, 3]
    assert str(task) == "triple"


def test_function_task_default_name_shows_function_and_arguments() -> None:
    async def status(url: str) -> str:
        return url

    task = FunctionTask(status, "http://127.0.0.1")
    assert str(task).endswith("status('http://127.0.0.1')")


def test_function_task_rejects_non_callables() -> None:
    with pytest.raises(TypeError, match="coroutine function"):
        FunctionTask(42)  # type: ignore[arg-type]


async def test_duration_is_the_tasks_own_time_for_each_run() -> None:
    import asyncio

    from aioca import FunctionTask, SerialTask

    slow = FunctionTask(asyncio.sleep, 0.12, name="slow")
    quick = FunctionTask(asyncio.sleep, 0.02, name="quick")
    assert quick.duration is None
    both = SerialTask(slow, quick)
    await both.run()
    assert slow.duration is not None
    assert 0.11 <= slow.duration < 0.5
    assert quick.duration is not None
    assert 0.015 <= quick.duration < 0.1
    assert both.duration is not None
    assert both.duration >= slow.duration + quick.duration


async def test_a_failed_run_has_a_duration_too() -> None:
    from aioca import FunctionTask

    async def fail() -> None:
        raise ValueError("no")

    task = FunctionTask(fail)
    with pytest.raises(ValueError, match="no"):
        await task.run()
    assert task.duration is not None
    assert task.duration >= 0


class LeavesACallbackBehind(Task):
    """Schedules a callback that outlives the run, as a pooled connection's reader does:
    asyncio copies the running context (and so the running task) into it."""

    handle: asyncio.TimerHandle | None = None

    async def __call__(self) -> list[int]:
        LeavesACallbackBehind.handle = asyncio.get_running_loop().call_later(3600, print)
        return list(range(1000))


async def test_a_finished_task_is_not_kept_alive_by_callbacks_it_scheduled() -> None:
    import gc
    import weakref

    task = LeavesACallbackBehind()
    await task.run()
    gone = weakref.ref(task)
    del task
    gc.collect()
    try:
        assert gone() is None, "the context copied into the callback still holds the task"
    finally:
        assert LeavesACallbackBehind.handle is not None
        LeavesACallbackBehind.handle.cancel()
