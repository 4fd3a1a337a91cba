"""aioca's pytest plugin (the ``pytest11`` entry point ``aioca``): fixtures for testing
tasks and exchange plugins without a network.

Installed with aioca, it is active in every pytest run, so it only *offers* fixtures and
changes nothing by itself:

- ``aioca_isolated``: the global state of a fresh interpreter for one test (no default
  API objects, English texts). Make it automatic for a whole project with
  ``usefixtures = ["aioca_isolated"]`` in the pytest configuration.
- ``aioca_mock``: :func:`aioca.testing.mocked_responses`, i.e. aioresponses working with
  the installed aiohttp; every request that no registered response matches fails.
- ``aioca_clock``: a :class:`aioca.testing.FakeClock`, a time that moves only when waited
  on or advanced: give it as ``timer=`` to an API or an operator, or to a limiter as its
  ``clock`` and ``sleep``.

Exchange plugins add their own fixtures the same way (a simulator, an API bound to it).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from .testing import FakeClock, isolated_state, mocked_responses

if TYPE_CHECKING:
    from aioresponses import aioresponses

__all__ = ["aioca_clock", "aioca_isolated", "aioca_mock"]


@pytest.fixture
def aioca_isolated() -> Iterator[None]:
    """No default APIs, English texts and no ``AIOCA_LANG`` during the test."""
    with isolated_state():
        yield


@pytest.fixture
def aioca_mock() -> Iterator[aioresponses]:
    """aioresponses, working with the installed aiohttp (see :mod:`aioca.testing`)."""
    with mocked_responses() as mock:
        yield mock


@pytest.fixture
def aioca_clock() -> FakeClock:
    """A fake clock starting at 0: ``RestApi(timer=aioca_clock)``,
    ``TaskOperator(timer=aioca_clock)``, ``RateLimiter(windows, clock=aioca_clock,
    sleep=aioca_clock.sleep)``. Waits of minutes take no time; ``aioca_clock.sleeps``
    lists them."""
    return FakeClock()
