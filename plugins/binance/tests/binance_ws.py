"""Binance's WebSocket dialect on the core's fault-injecting WebSocket server.

The server is the core's ``tests/wsfaultserver.py`` (loaded from its file, as
``binance_faults`` loads the HTTP one). :class:`BinanceDialect` reads subscriptions the
way Binance's stream servers do: the streams of a combined URL (``?streams=a/b``), then
``{"method": "SUBSCRIBE" | "UNSUBSCRIBE", "params": [...], "id": n}`` answered with
``{"result": null, "id": n}``, and an error body for a refused stream.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType
from typing import Any

__all__ = ["BinanceDialect", "WsFaultServer", "combined", "until"]


def _load() -> ModuleType:
    name = "_aioca_tests_wsfaultserver"
    module = sys.modules.get(name)
    if module is not None:
        return module
    path = Path(__file__).resolve().parents[3] / "tests" / "wsfaultserver.py"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load the core's WebSocket server from {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


_core = _load()
WsFaultServer = _core.WsFaultServer
until = _core.until


class BinanceDialect:
    def initial_topics(self, connection: Any) -> Iterable[str]:
        raw = connection.query.get("streams", "")
        return [topic for topic in raw.split("/") if topic]

    def handle(self, server: Any, connection: Any, text: str) -> list[str]:
        request = json.loads(text)
        params = request.get("params", [])
        refused = [topic for topic in params if topic in server.refuse]
        if refused:
            error = {"code": 2, "msg": f"Invalid request: unknown stream {refused[0]}"}
            return [json.dumps({"error": error, "id": request.get("id")})]
        if request.get("method") == "SUBSCRIBE":
            connection.topics.update(params)
        elif request.get("method") == "UNSUBSCRIBE":
            connection.topics.difference_update(params)
        elif request.get("method") == "LIST_SUBSCRIPTIONS":
            return [json.dumps({"result": sorted(connection.topics), "id": request["id"]})]
        return [json.dumps({"result": None, "id": request.get("id")})]


def combined(stream: str, data: Any) -> str:
    return json.dumps({"stream": stream, "data": data}, separators=(",", ":"))
