"""Shared by the OKX plugin's stream tests: the core's loopback WebSocket server
(``tests/wsfaultserver.py``), a dialect that answers like OKX's public endpoint, and
OKX's pushes.

(Named ``okx_ws_helpers``: the plugins' test directories are not packages, so two helper
modules of the same name would clash in one pytest run.)
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aioca.stream import Backoff, ConnectionLimiter
from aioca_okx.streams import okx_settings


def _load() -> Any:
    name = "_aioca_tests_wsfaultserver"
    if name in sys.modules:
        return sys.modules[name]
    path = Path(__file__).resolve().parents[3] / "tests" / "wsfaultserver.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


ws = _load()
FAST = okx_settings(backoff=Backoff(0.01, 0.02, minimum=0.005))


def free_connections() -> ConnectionLimiter:
    """A connection limiter that never waits in a test's time (OKX's real one is tested
    on its own): 1,000 attempts a second."""
    return ConnectionLimiter(1000, 1.0, margin=0)


class OkxDialect:
    """OKX's public endpoint: ``ping`` → ``pong``, subscribe and unsubscribe answered by
    id, refused channels answered with OKX's error 60018. ``on_subscribe(topic)``, when
    set, returns pushes sent after the answer (OKX's snapshot of a ``books`` channel)."""

    def __init__(
        self,
        answer_pings: bool = True,
        on_subscribe: Callable[[str], list[str]] | None = None,
    ) -> None:
        self.answer_pings = answer_pings
        self.on_subscribe = on_subscribe
        self.pings = 0
        self.requests: list[dict[str, Any]] = []

    def initial_topics(self, connection: Any) -> list[str]:
        return []

    def handle(self, server: Any, connection: Any, text: str) -> list[str]:
        if text == "ping":
            self.pings += 1
            return ["pong"] if self.answer_pings else []
        request = json.loads(text)
        self.requests.append(request)
        replies, pushes = [], []
        for arg in request["args"]:
            topic = f"{arg['channel']}:{arg['instId']}"
            if topic in server.refuse:
                msg = f"Wrong URL or channel:{arg['channel']},instId:{arg['instId']} doesn't exist."
                error = {"id": request["id"], "event": "error", "code": "60018", "msg": msg}
                return [json.dumps(error)]
            if request["op"] == "subscribe":
                connection.topics.add(topic)
                if self.on_subscribe is not None:
                    pushes += self.on_subscribe(topic)
            else:
                connection.topics.discard(topic)
            replies.append(json.dumps({"id": request["id"], "event": request["op"], "arg": arg}))
        return replies + pushes


def push(channel: str, inst: str, data: list[dict[str, Any]], action: str | None = None) -> str:
    message: dict[str, Any] = {"arg": {"channel": channel, "instId": inst}, "data": data}
    if action:
        message["action"] = action
    return json.dumps(message)
