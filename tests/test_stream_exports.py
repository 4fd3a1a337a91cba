"""Everything the core's streams raise or tell their listeners is importable from
``aioca.stream``: a consumer catches ``HandshakeRefusedError`` or checks for
``ConnectFailed`` without reaching into the package's modules. Found by walking every
module of the package, so that the next exception or event added cannot be forgotten."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from types import ModuleType

import aioca.stream
from aioca.stream import StreamEvent


def stream_modules() -> list[ModuleType]:
    package = aioca.stream
    names = [info.name for info in pkgutil.iter_modules(package.__path__, package.__name__ + ".")]
    assert len(names) >= 10  # the walk found the package's modules
    return [importlib.import_module(name) for name in names]


def public_exceptions_and_events() -> dict[str, type]:
    """Every public exception and event class defined (not imported) in a module of
    ``aioca.stream``."""
    found: dict[str, type] = {}
    for module in stream_modules():
        for name, value in vars(module).items():
            if name.startswith("_") or not inspect.isclass(value):
                continue
            if value.__module__ != module.__name__:
                continue  # imported there, defined elsewhere
            if issubclass(value, (BaseException, StreamEvent)):
                found[name] = value
    return found


def test_every_exception_and_event_of_the_core_is_exported() -> None:
    found = public_exceptions_and_events()
    # the walk sees what it must (a walk that found nothing would pass vacuously)
    for name in ("HandshakeRefusedError", "HandshakeFailedError", "StreamError", "Gap"):
        assert name in found
    missing = sorted(name for name in found if name not in aioca.stream.__all__)
    assert missing == []
    for name, cls in found.items():
        assert getattr(aioca.stream, name) is cls, name


def test_the_exports_are_all_there() -> None:
    for name in aioca.stream.__all__:
        assert hasattr(aioca.stream, name), name
    assert len(set(aioca.stream.__all__)) == len(aioca.stream.__all__)
