"""Binance-flavoured helpers for the plugin's tests over real HTTP on 127.0.0.1.

The fault-injecting server itself is the core's ``tests/faultserver.py``. The plugin's
tests cannot import it as ``tests.faultserver``: pytest puts this directory (which is no
package) on ``sys.path``, not the repository root, so that import works only when the
root happens to be on the path (``python -m pytest`` run from it) and fails under a plain
``pytest``. The module is therefore loaded from its file, which depends on aiohttp only;
one copy of the server serves both suites.

On top of it: a COIN-M server (``/dapi/v1/time`` answering the local clock plus an offset),
Binance's error bodies, the IP weights Binance publishes for the endpoints these tests
call (for the server's budget mode, independently of the plugin's own declarations), and
a check of a request's HMAC signature.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib.util
import re
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

__all__ = [
    "ACCOUNT",
    "EXCHANGE_INFO",
    "ORDER",
    "TICKER",
    "TIME",
    "TIMESTAMP_ERROR",
    "Fault",
    "FaultServer",
    "LeakGuard",
    "Recorded",
    "WeightLimit",
    "binance_error",
    "binance_server",
    "binance_weight",
    "exception_texts",
    "server_time",
    "signature_is_valid",
]


def _load_fault_server() -> ModuleType:
    name = "_aioca_tests_faultserver"
    module = sys.modules.get(name)
    if module is not None:
        return module
    path = Path(__file__).resolve().parents[3] / "tests" / "faultserver.py"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load the core's fault server from {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # before running it: dataclasses look their module up
    spec.loader.exec_module(module)
    return module


_core = _load_fault_server()
Fault = _core.Fault
FaultServer = _core.FaultServer
Recorded = _core.Recorded
WeightLimit = _core.WeightLimit
exception_texts = _core.exception_texts
LeakGuard = _core.LeakGuard

TIME = "/dapi/v1/time"
EXCHANGE_INFO = "/dapi/v1/exchangeInfo"
ACCOUNT = "/dapi/v1/account"
ORDER = "/dapi/v1/order"
TICKER = "/dapi/v1/ticker/price"
DEPTH = "/dapi/v1/depth"


def server_time(offset_ms: int = 0) -> Any:
    """A ``Fault`` answering ``{"serverTime": ...}``: the local clock plus ``offset_ms``."""
    return Fault.ok(lambda request: {"serverTime": int(time.time() * 1000) + offset_ms})


def binance_error(code: int, msg: str, *, status: int = 400, **options: Any) -> Any:
    """A ``Fault`` answering Binance's error body ``{"code": ..., "msg": ...}``."""
    return Fault.status(status, {"code": code, "msg": msg}, **options)


TIMESTAMP_ERROR = binance_error(-1021, "Timestamp for this request is outside of the recvWindow.")

_DEPTH_WEIGHTS = ((50, 2), (100, 5), (500, 10), (1000, 20))


def binance_weight(request: Any) -> int:
    """The IP weight Binance's COIN-M documentation gives the request (1 when not listed)."""
    if request.path == TICKER:
        return 1 if request.param("symbol") else 2
    if request.path == DEPTH:
        limit = int(request.param("limit") or 500)
        return next((weight for upper, weight in _DEPTH_WEIGHTS if limit <= upper), 20)
    if request.path == ACCOUNT:
        return 5
    if request.path == ORDER and request.method == "POST":
        return 0
    return 1


def binance_server(*, time_offset_ms: int = 0, **options: Any) -> Any:
    """A ``FaultServer`` whose ``/dapi/v1/time`` answers the local clock plus the offset."""
    routes = {TIME: server_time(time_offset_ms), **options.pop("routes", {})}
    return FaultServer(routes=routes, **options)


_SIGNATURE = re.compile(r"&?signature=([^&]*)$")


def signature_is_valid(request: Any, secret: str) -> bool:
    """Whether the request's ``signature`` (last of the query or of the form body) is the
    HMAC-SHA256 of the rest of the query string followed by the rest of the body."""
    query, body = request.query_string, request.body.decode()
    signature = None
    parts = []
    for text in (query, body):
        match = _SIGNATURE.search(text)
        if match:
            signature = match.group(1)
            text = text[: match.start()]
        parts.append(text)
    if signature is None:
        return False
    expected = hmac.new(secret.encode(), "".join(parts).encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(signature, expected)
