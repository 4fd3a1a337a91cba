"""Shared by the OKX plugin's stream tests: the core's loopback WebSocket server
(``tests/wsfaultserver.py``), a dialect that answers like OKX's public endpoint, OKX's
pushes, and an order book as OKX holds it (its snapshots and updates).

(Named ``okx_ws_helpers``: the plugins' test directories are not packages, so two helper
modules of the same name would clash in one pytest run.)
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from aioca.stream import Backoff, ConnectionLimiter
from aioca_okx.streams import book_checksum, okx_settings


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
    id, one event per channel, refused channels answered with OKX's error 60018 (which
    names no ``arg``). By default a refusal is the request's only answer; with
    ``answer_each``, every channel is answered in the request's order, the refused one
    with the error (channels accepted before it and after it are subscribed).
    ``on_subscribe(topic)``, when set, returns pushes sent after the answer (OKX's
    snapshot of a ``books`` channel)."""

    def __init__(
        self,
        answer_pings: bool = True,
        on_subscribe: Callable[[str], list[str]] | None = None,
        *,
        answer_each: bool = False,
    ) -> None:
        self.answer_pings = answer_pings
        self.on_subscribe = on_subscribe
        self.answer_each = answer_each
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
                if not self.answer_each:
                    return [json.dumps(error)]
                replies.append(json.dumps(error))
                continue
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


def requests_sent(dialect: OkxDialect) -> list[tuple[str, list[str]]]:
    """Every request the server received, in order: ``(op, topics)``."""
    return [
        (request["op"], [f"{arg['channel']}:{arg['instId']}" for arg in request["args"]])
        for request in dialect.requests
    ]


@dataclass
class ExchangeBook:
    """The book of ``inst`` as OKX holds it: what its snapshots and updates are made of."""

    inst: str = "BTC-USDT"
    bids: dict[Decimal, list[str]] = field(default_factory=dict)
    asks: dict[Decimal, list[str]] = field(default_factory=dict)
    seq: int = 100

    @property
    def topic(self) -> str:
        return f"books:{self.inst}"

    def levels(self) -> tuple[list[list[str]], list[list[str]]]:
        bids = [self.bids[p] for p in sorted(self.bids, reverse=True)]
        asks = [self.asks[p] for p in sorted(self.asks)]
        return bids, asks

    def snapshot(self) -> str:
        bids, asks = self.levels()
        item = {"bids": bids, "asks": asks, "seqId": self.seq, "prevSeqId": -1,
                "checksum": book_checksum(bids, asks)}  # fmt: skip
        return push("books", self.inst, [item], "snapshot")

    def update(self, bids: list[list[str]], asks: list[list[str]] = []) -> str:  # noqa: B006
        """Change the book and return the update that says so (with the right checksum)."""
        for side, levels in ((self.bids, bids), (self.asks, asks)):
            for level in levels:
                if Decimal(level[1]) == 0:
                    side.pop(Decimal(level[0]), None)
                else:
                    side[Decimal(level[0])] = level
        previous, self.seq = self.seq, self.seq + 1
        item = {"bids": bids, "asks": asks, "seqId": self.seq, "prevSeqId": previous,
                "checksum": book_checksum(*self.levels())}  # fmt: skip
        return push("books", self.inst, [item], "update")


def starting_book(inst: str = "BTC-USDT") -> ExchangeBook:
    book = ExchangeBook(inst)
    for price, size in (("100.1", "2"), ("100.0", "3"), ("99.9", "4")):
        book.bids[Decimal(price)] = [price, size, "0", "1"]
    for price, size in (("100.2", "1"), ("100.3", "5")):
        book.asks[Decimal(price)] = [price, size, "0", "1"]
    return book
