"""Test helpers for aioca users and plugin authors (needs the ``test`` extra).

``isolated_state()`` gives a test the global state of a fresh interpreter: no default API
objects, English texts, ``AIOCA_LANG`` unset; what was there before comes back afterwards.

``FakeClock`` is a rate limiter's clock that moves only when the limiter sleeps (or, held,
when the test says so), so limits over minutes are tested in milliseconds; the pytest
fixture ``aioca_clock`` installs one.

``mocked_responses()`` is ``aioresponses()`` made to work with every aiohttp release we
support: aioresponses 0.7.9 builds ``ClientResponse`` without the ``stream_writer``
argument that aiohttp 3.14 requires (upstream issue pnuckowski/aioresponses#289), so the
shim supplies a stub while it is missing.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import aiohttp
from yarl import URL

if TYPE_CHECKING:
    from aioresponses import aioresponses

from . import i18n
from .task import _defaults

__all__ = ["FakeClock", "isolated_state", "mocked_responses", "settle"]


class _StreamWriterStub:
    output_size = 0


class _CompatResponse(aiohttp.ClientResponse):
    def __init__(self, method: str, url: URL, **kwargs: Any) -> None:
        kwargs.setdefault("stream_writer", _StreamWriterStub())
        super().__init__(method, url, **kwargs)


@contextlib.contextmanager
def mocked_responses(**options: Any) -> Iterator[aioresponses]:
    """``aioresponses(**options)`` as a context manager, with the aiohttp 3.14 shim.

    aioresponses comes with the ``test`` extra; without it this raises an ImportError that
    says how to install it."""
    try:
        from aioresponses import aioresponses, core
    except ImportError as exc:
        raise ImportError(
            "mocked responses (the aioca_mock fixture) need aioresponses, which aioca's "
            "'test' extra installs: pip install 'aioca-core[test]'"
        ) from exc

    needs_shim = "stream_writer" in inspect.signature(aiohttp.ClientResponse).parameters
    original = core.ClientResponse  # type: ignore[attr-defined]
    if needs_shim:
        core.ClientResponse = _CompatResponse  # type: ignore[attr-defined]
    try:
        with aioresponses(**options) as mock:
            yield mock
    finally:
        core.ClientResponse = original  # type: ignore[attr-defined]


@contextlib.contextmanager
def isolated_state() -> Iterator[None]:
    """No default APIs, English texts and no ``AIOCA_LANG`` inside; restored on exit."""
    saved_env = os.environ.pop("AIOCA_LANG", None)
    saved_language = i18n._current
    i18n._current = None
    try:
        with _defaults.scope():
            _defaults.clear()
            yield
    finally:
        i18n._current = saved_language
        os.environ.pop("AIOCA_LANG", None)
        if saved_env is not None:
            os.environ["AIOCA_LANG"] = saved_env


class FakeClock:
    """A clock whose time moves only when something waits on it, or when the test
    advances it: a :class:`aioca.clock.Timer`.

    Give it as ``timer=`` to a ``RestApi`` (its retry pauses, and the clock and waits of
    the limiters it makes) or a ``TaskOperator`` (its intervals), or to a limiter as
    ``RateLimiter(windows, clock=fake, sleep=fake.sleep)``. By default a sleep moves the
    clock at once and is recorded in ``sleeps``; with ``held = True`` sleepers wait until
    :meth:`advance` moves the clock past their deadline, to test what happens meanwhile.
    """

    def __init__(self, now: float = 0.0) -> None:
        self.now = now
        self.held = False
        self.sleeps: list[float] = []
        self._tick: asyncio.Future[None] | None = None

    def __call__(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        """Wait ``delay`` seconds of this clock's time."""
        self.sleeps.append(delay)
        if not self.held:
            self.now += delay
            await asyncio.sleep(0)
            return
        deadline = self.now + delay
        while self.now < deadline:
            if self._tick is None:
                self._tick = asyncio.get_running_loop().create_future()
            await asyncio.shield(self._tick)

    async def advance(self, seconds: float) -> None:
        """Held mode: move the clock, wake the sleepers whose time has come, let them run."""
        self.now += seconds
        tick, self._tick = self._tick, None
        if tick is not None:
            tick.set_result(None)
        await settle()


async def settle() -> None:
    """Let every task that can make progress run until it blocks again."""
    for _ in range(50):
        await asyncio.sleep(0)
