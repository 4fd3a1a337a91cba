"""Small task classes the core tests share."""

from __future__ import annotations

import asyncio
from typing import Any

from aioca import PreparedRequest, RestApi, Task


class FakeApi(RestApi):
    """A RestApi that is never used for HTTP here: it only identifies an exchange."""

    exchange = "fake"

    def __init__(self, api_key: str = "key", **options: Any) -> None:
        super().__init__(**options)
        self.api_key = api_key

    def sign_request(self, request: PreparedRequest) -> None:
        request.headers["X-KEY"] = self.api_key


class OtherApi(FakeApi):
    exchange = "other"


class FakeExchangeTask(Task):
    exchange = "fake"

    async def __call__(self) -> str:
        return self.api.api_key  # type: ignore[attr-defined, no-any-return]


class OtherExchangeTask(Task):
    exchange = "other"

    async def __call__(self) -> str:
        return self.api.api_key  # type: ignore[attr-defined, no-any-return]


class Value(Task):
    """Returns its value after an optional delay, recording when it started and ended."""

    def __init__(self, value: Any, delay: float = 0.0, log: list[str] | None = None) -> None:
        super().__init__()
        self.value = value
        self.delay = delay
        self.log = log
        self.calls = 0

    async def __call__(self) -> Any:
        self.calls += 1
        if self.log is not None:
            self.log.append(f"start {self.value}")
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.log is not None:
            self.log.append(f"end {self.value}")
        return self.value

    def __str__(self) -> str:
        return f"value {self.value}"


class Fail(Task):
    """Raises ``error`` after an optional delay."""

    def __init__(self, error: Exception, delay: float = 0.0) -> None:
        super().__init__()
        self.error = error
        self.delay = delay

    async def __call__(self) -> Any:
        if self.delay:
            await asyncio.sleep(self.delay)
        raise self.error

    def __str__(self) -> str:
        return f"fail {self.error!r}"


class Flaky(Task):
    """Fails on the passes listed in ``fail_on`` (1-based), returns the pass number otherwise."""

    def __init__(self, fail_on: set[int]) -> None:
        super().__init__()
        self.fail_on = fail_on
        self.calls = 0

    async def __call__(self) -> int:
        self.calls += 1
        if self.calls in self.fail_on:
            raise ConnectionError(f"flap on pass {self.calls}")
        return self.calls


class Named(Task):
    """A task with a fixed name, as the seed's exchange tasks have."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name

    async def __call__(self) -> str:
        return self.name

    def __str__(self) -> str:
        return self.name
