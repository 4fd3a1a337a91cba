"""Test helpers for aioca users and plugin authors (needs the ``test`` extra).

``isolated_state()`` gives a test the global state of a fresh interpreter: no default API
objects, English texts, ``AIOCA_LANG`` unset; what was there before comes back afterwards.

``mocked_responses()`` is ``aioresponses()`` made to work with every aiohttp release we
support: aioresponses 0.7.9 builds ``ClientResponse`` without the ``stream_writer``
argument that aiohttp 3.14 requires (upstream issue pnuckowski/aioresponses#289), so the
shim supplies a stub while it is missing.
"""

from __future__ import annotations

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

__all__ = ["isolated_state", "mocked_responses"]


class _StreamWriterStub:
    output_size = 0


class _CompatResponse(aiohttp.ClientResponse):
    def __init__(self, method: str, url: URL, **kwargs: Any) -> None:
        kwargs.setdefault("stream_writer", _StreamWriterStub())
        super().__init__(method, url, **kwargs)


@contextlib.contextmanager
def mocked_responses(**options: Any) -> Iterator[aioresponses]:
    """``aioresponses(**options)`` as a context manager, with the aiohttp 3.14 shim."""
    from aioresponses import aioresponses, core

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
