"""Shared fixtures: a clean global state for every test, and ``mocked`` (aioresponses)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from aioresponses import aioresponses

from aioca.testing import isolated_state, mocked_responses


@pytest.fixture(autouse=True)
def _clean_global_state() -> Iterator[None]:
    with isolated_state():
        yield


@pytest.fixture
def mocked() -> Iterator[aioresponses]:
    """aioresponses, working with the installed aiohttp (see ``aioca.testing``)."""
    with mocked_responses() as mock:
        yield mock
