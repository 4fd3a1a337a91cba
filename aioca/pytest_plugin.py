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

Async tests run with pytest-asyncio (installed by the ``test`` extra). A project does not
need ``asyncio_mode = "auto"``: in pytest-asyncio's default strict mode, mark each async
test ``@pytest.mark.asyncio`` (or a whole module with ``pytestmark =
pytest.mark.asyncio``). An async test that uses aioca's fixtures without the mark fails
with a message saying so, instead of pytest's "async def functions are not natively
supported".
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

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


_ASYNC_HINT = (
    "{name} is an async test using aioca's fixtures ({fixtures}) but nothing runs it: {missing}"
)


def _aioca_fixtures(item: pytest.Function) -> list[str]:
    """The fixtures of ``item`` that come from aioca or an aioca plugin: named ``aioca_*``
    or giving an object of an ``aioca*`` package (a plugin's API, simulator...)."""
    found = []
    for name, value in item.funcargs.items():
        module = type(value).__module__ or ""
        if name.startswith("aioca_") or module.split(".")[0].startswith("aioca"):
            found.append(name)
    return found


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> Any:
    """Say what an async test needs when nothing would run it (see the module docstring)."""
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    if pyfuncitem.get_closest_marker("asyncio") or pyfuncitem.get_closest_marker("anyio"):
        return None
    fixtures = _aioca_fixtures(pyfuncitem)
    if not fixtures:
        return None
    has_asyncio = pyfuncitem.config.pluginmanager.hasplugin("asyncio")
    if has_asyncio and pyfuncitem.config.getini("asyncio_mode") == "auto":
        return None
    if has_asyncio:
        missing = (
            'mark it @pytest.mark.asyncio, or set asyncio_mode = "auto" in the pytest '
            "configuration (pytest-asyncio is in strict mode)"
        )
    else:
        missing = (
            "install pytest-asyncio (pip install 'aioca-core[test]') and mark it "
            "@pytest.mark.asyncio"
        )
    pytest.fail(
        _ASYNC_HINT.format(name=pyfuncitem.name, fixtures=", ".join(fixtures), missing=missing),
        pytrace=False,
    )
