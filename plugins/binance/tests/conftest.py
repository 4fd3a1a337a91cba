"""Fixtures of the Binance plugin's tests: a clean global state, and ``mocked``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from aioresponses import aioresponses

import aioca
from aioca import i18n
from aioca.testing import mocked_responses


@pytest.fixture(autouse=True)
def _clean_global_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("AIOCA_LANG", raising=False)
    monkeypatch.setattr(i18n, "_current", None)
    aioca.Task.clear_default_apis()
    yield
    aioca.Task.clear_default_apis()


@pytest.fixture
def mocked() -> Iterator[aioresponses]:
    """aioresponses, working with the installed aiohttp (see ``aioca.testing``)."""
    with mocked_responses() as mock:
        yield mock
