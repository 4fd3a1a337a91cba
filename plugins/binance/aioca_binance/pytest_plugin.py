"""The Binance plugin's pytest fixtures (``pytest11`` entry point ``aioca_binance``).

- ``binance_sim``: a running :class:`~aioca_binance_sim.BinanceSimulator` for one test
  (in a background thread, so sync and async tests can both use it), with small rate
  limits' worth of state of its own: orders, balances and windows start fresh each test.
- ``binance_api``: a :class:`~aioca_binance.BinanceRestApi` bound to that simulator and
  set as the default API of Binance tasks; its session is closed after the test.
- ``binance_mock``: :class:`BinanceMock`, aioresponses with Binance-aware helpers:
  ``binance_mock.reply(CoinMFetchTicker, [...])`` and
  ``binance_mock.error(CoinMNewOrder, "TOO_MANY_REQUESTS")``, which answers with
  Binance's own code, message and HTTP status.

Like aioca's own plugin it only offers fixtures; nothing happens in a test that does not
ask for them.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from aioca import Task
from aioca.testing import mocked_responses

from .api import MAINNET_URLS, BinanceRestApi
from .error_codes import ERROR_CODES, code_named

if TYPE_CHECKING:
    from aioresponses import aioresponses

    from aioca_binance_sim import BinanceSimulator

__all__ = ["BinanceMock", "binance_api", "binance_mock", "binance_sim"]

_STATUS_OF_CODE = {-1003: 429, -1000: 500, -1001: 503, -1006: 503, -1007: 503, -1008: 503}
"""HTTP status Binance uses with a code, where it is not 400."""


class BinanceMock:
    """aioresponses (``.mock``) with helpers that speak Binance: endpoints by task class
    or path, errors by code or by name."""

    def __init__(self, mock: aioresponses, base_url: str = MAINNET_URLS["coinm"]) -> None:
        self.mock = mock
        self.base_url = base_url.rstrip("/")

    def _target(
        self, endpoint: type[Task] | str, method: str | None
    ) -> tuple[str, re.Pattern[str]]:
        if isinstance(endpoint, str):
            path, verb = endpoint, (method or "GET")
        else:
            declared = getattr(endpoint, "endpoint", None)
            if declared is None:
                raise TypeError(f"{endpoint!r} is not a Binance catalog task class")
            path, verb = declared.path, method or declared.method
        pattern = re.compile(rf"^{re.escape(self.base_url + path)}(\?.*)?$")
        return verb.upper(), pattern

    def reply(
        self,
        endpoint: type[Task] | str,
        payload: Any,
        *,
        method: str | None = None,
        status: int = 200,
        headers: dict[str, str] | None = None,
        repeat: bool = False,
    ) -> None:
        """Answer the next request to ``endpoint`` (a task class, or a path with
        ``method``) with ``payload`` as JSON."""
        verb, pattern = self._target(endpoint, method)
        self.mock.add(pattern, verb, status=status, payload=payload, headers=headers, repeat=repeat)

    def error(
        self,
        endpoint: type[Task] | str,
        error: int | str,
        msg: str | None = None,
        *,
        method: str | None = None,
        status: int | None = None,
        retry_after: float | None = None,
        repeat: bool = False,
    ) -> None:
        """Answer with Binance's error ``error`` (a code such as -2013, or its documented
        name such as ``"NO_SUCH_ORDER"``): its message unless ``msg`` is given, and the
        HTTP status Binance pairs with it (429 for TOO_MANY_REQUESTS, 400 for most)."""
        code = code_named(error) if isinstance(error, str) else error
        documented = ERROR_CODES.get(code)
        text = msg or (documented.msg if documented else "error")
        headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else None
        self.reply(
            endpoint,
            {"code": code, "msg": text},
            method=method,
            status=status or _STATUS_OF_CODE.get(code, 400),
            headers=headers,
            repeat=repeat,
        )


@pytest.fixture
def binance_sim() -> Iterator[BinanceSimulator]:
    """A Binance COIN-M simulator on 127.0.0.1, fresh for the test (``sim.url``,
    ``sim.api_key``, ``sim.api_secret``, ``sim.faults``)."""
    from .simulator import background_simulator

    with background_simulator() as simulator:
        yield simulator


def _sync_binance_api(binance_sim: BinanceSimulator) -> Iterator[BinanceRestApi]:
    with Task.using_default_api(binance_sim.api()) as api:
        yield api


async def _async_binance_api(binance_sim: BinanceSimulator) -> AsyncIterator[BinanceRestApi]:
    async with binance_sim.api() as api:
        with Task.using_default_api(api):
            yield api


binance_api: Any
try:
    import pytest_asyncio
except ImportError:  # pragma: no cover - aioca's test extra brings pytest-asyncio
    # Without pytest-asyncio an async fixture cannot run: async tests close the API
    # themselves (async with), and the synchronous operator closes what it opens.
    binance_api = pytest.fixture(_sync_binance_api, name="binance_api")
else:
    binance_api = pytest_asyncio.fixture(_async_binance_api, name="binance_api")
binance_api.__doc__ = """A BinanceRestApi bound to ``binance_sim`` and the default API of
Binance tasks created in the test; its session is closed afterwards."""


@pytest.fixture
def binance_mock() -> Iterator[BinanceMock]:
    """Mocked Binance COIN-M (mainnet URLs): see :class:`BinanceMock`."""
    with mocked_responses() as mock:
        yield BinanceMock(mock)
