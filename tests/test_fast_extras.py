"""The `fast` extra: orjson and uvloop are used when installed, and can be done without."""

from __future__ import annotations

import asyncio
import json
import sys
import types
from typing import Any

import pytest

from aioca import TaskOperator, TaskQueue, rest

from .helpers import FakeApi, Value


def test_json_decoder_is_orjson_when_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    def fast(body: bytes) -> Any:
        return "fast"

    monkeypatch.setattr(rest, "_fast_loads", fast)
    assert rest.default_json_loads() is fast
    assert FakeApi().json_loads is fast


def test_json_decoder_falls_back_to_the_standard_library(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rest, "_fast_loads", None)
    assert rest.default_json_loads() is json.loads
    assert FakeApi().json_loads is json.loads


def test_a_given_decoder_wins() -> None:
    def mine(body: bytes) -> Any:
        return body

    assert FakeApi(json_loads=mine).json_loads is mine


@pytest.fixture
def fake_uvloop(monkeypatch: pytest.MonkeyPatch) -> list[asyncio.AbstractEventLoop]:
    created: list[asyncio.AbstractEventLoop] = []

    def new_event_loop() -> asyncio.AbstractEventLoop:
        loop = asyncio.new_event_loop()
        created.append(loop)
        return loop

    module = types.ModuleType("uvloop")
    module.new_event_loop = new_event_loop  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "uvloop", module)
    return created


def test_sync_run_uses_uvloop_when_installed(fake_uvloop: list[asyncio.AbstractEventLoop]) -> None:
    task = Value(1)
    TaskOperator(TaskQueue(task)).run()
    assert len(fake_uvloop) == 1
    assert task.result == 1


def test_sync_generator_uses_uvloop_when_installed(
    fake_uvloop: list[asyncio.AbstractEventLoop],
) -> None:
    operator = TaskOperator(TaskQueue(Value(1), Value(2)))
    assert [task.result for task in operator.finish_task_generator()] == [1, 2]
    assert len(fake_uvloop) == 1


def test_aioca_uvloop_0_turns_uvloop_off(
    fake_uvloop: list[asyncio.AbstractEventLoop], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIOCA_UVLOOP", "0")
    TaskOperator(TaskQueue(Value(1))).run()
    assert fake_uvloop == []


def test_without_uvloop_asyncio_runs_the_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)  # import uvloop raises ImportError
    task = Value(1)
    TaskOperator(TaskQueue(task)).run()
    assert task.result == 1
