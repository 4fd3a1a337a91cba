"""Shared fixtures: a clean global state for every test, and ``mocked`` (aioresponses)."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses
from aioresponses import core as aioresponses_core
from yarl import URL

import aioca
from aioca import i18n


@pytest.fixture(autouse=True)
def _clean_global_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("AIOCA_LANG", raising=False)
    monkeypatch.setattr(i18n, "_current", None)
    aioca.Task.clear_default_apis()
    yield
    aioca.Task.clear_default_apis()


class _StreamWriterStub:
    output_size = 0


class _CompatResponse(aiohttp.ClientResponse):
    """aioresponses 0.7.9 builds ``ClientResponse`` without the ``stream_writer`` argument
    that aiohttp 3.14 requires (pnuckowski/aioresponses#289); supply a stub."""

    def __init__(self, method: str, url: URL, **kwargs: Any) -> None:
        kwargs.setdefault("stream_writer", _StreamWriterStub())
        super().__init__(method, url, **kwargs)


@pytest.fixture
def mocked(monkeypatch: pytest.MonkeyPatch) -> Iterator[aioresponses]:
    if "stream_writer" in inspect.signature(aiohttp.ClientResponse).parameters:
        monkeypatch.setattr(aioresponses_core, "ClientResponse", _CompatResponse)
    with aioresponses() as m:
        yield m
