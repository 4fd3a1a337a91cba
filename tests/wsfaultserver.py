"""A fault-injecting WebSocket server on 127.0.0.1 for stream tests.

``async with WsFaultServer() as server:`` serves WebSocket connections on a free port.
Clients subscribe to topics; :meth:`WsFaultServer.publish` sends one frame to every
connection subscribed to a topic (the *same text* on each, as an exchange does, which is
what lets a client find the overlap of two connections). Faults on demand:

* :meth:`drop` aborts every connection (no close frame, as a broken network), and
  :meth:`abort` one of them;
* :meth:`stall` stops sending and reading on every connection without closing it, so
  pings go unanswered (a half-dead peer);
* :meth:`close_all` closes every connection with a close frame;
* ``lifetime`` closes each connection that many seconds after it opened (an exchange's
  24 h limit, in seconds);
* ``handshake_status`` refuses the next handshakes with that HTTP status;
* ``refuse`` lists topics whose subscription is answered with an error.

A *dialect* reads subscriptions: :class:`PlainDialect` (``{"op": "sub", "topics": [...],
"id": n}``, topics also from ``?topics=a,b``). Plugins' tests pass their exchange's.
The module depends on aiohttp only, so plugin tests load it by its path.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiohttp import web

__all__ = ["Dialect", "PlainDialect", "ServerConnection", "WsFaultServer", "until"]


@dataclass(eq=False)
class ServerConnection:
    """One client connection as the server sees it."""

    ws: web.WebSocketResponse
    path: str
    query: dict[str, str]
    topics: set[str] = field(default_factory=set)
    received: list[str] = field(default_factory=list)
    opened: float = 0.0
    stalled: bool = False
    transport: Any = None


class Dialect(Protocol):
    def initial_topics(self, connection: ServerConnection) -> Iterable[str]: ...

    def handle(self, server: WsFaultServer, connection: ServerConnection, text: str) -> list[str]:
        """Apply a client message; return the frames to send back."""
        ...


class PlainDialect:
    def initial_topics(self, connection: ServerConnection) -> Iterable[str]:
        raw = connection.query.get("topics", "")
        return [topic for topic in raw.split(",") if topic]

    def handle(self, server: WsFaultServer, connection: ServerConnection, text: str) -> list[str]:
        request = json.loads(text)
        topics = request.get("topics", [])
        refused = [topic for topic in topics if topic in server.refuse]
        if refused:
            return [json.dumps({"id": request.get("id"), "error": f"unknown topic {refused[0]}"})]
        if request.get("op") == "sub":
            connection.topics.update(topics)
        elif request.get("op") == "unsub":
            connection.topics.difference_update(topics)
        return [json.dumps({"id": request.get("id"), "ok": True})]


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait (polling every 5 ms) until ``condition()`` holds; ``TimeoutError`` after
    ``timeout`` seconds."""
    for _ in range(int(timeout / 0.005) + 1):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise TimeoutError(f"not true after {timeout} s: {condition}")


class WsFaultServer:
    def __init__(
        self,
        dialect: Dialect | None = None,
        *,
        lifetime: float | None = None,
        path: str = "/{tail:.*}",
    ) -> None:
        self.dialect: Dialect = dialect or PlainDialect()
        self.lifetime = lifetime
        self.handshake_status: int | None = None
        self.refuse: set[str] = set()
        self.connections: list[ServerConnection] = []
        self.history: list[ServerConnection] = []
        self._path = path
        self._runner: web.AppRunner | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.url = ""
        self.port = 0

    async def __aenter__(self) -> WsFaultServer:
        app = web.Application()
        app.router.add_get(self._path, self._handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self.url = f"ws://127.0.0.1:{self.port}"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        for task in list(self._tasks):
            task.cancel()
        for connection in list(self.connections):
            await self.abort(connection)
        if self._runner is not None:
            await self._runner.cleanup()

    # --- the handler ---------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if self.handshake_status is not None:
            return web.Response(status=self.handshake_status, text="refused")
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        loop = asyncio.get_running_loop()
        connection = ServerConnection(
            ws, request.path, dict(request.query), opened=loop.time(), transport=request.transport
        )
        connection.topics.update(self.dialect.initial_topics(connection))
        self.connections.append(connection)
        self.history.append(connection)
        if self.lifetime is not None:
            task = loop.create_task(self._expire(connection, self.lifetime))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        try:
            async for message in ws:
                if message.type != 1:  # not TEXT
                    continue
                connection.received.append(message.data)
                for reply in self.dialect.handle(self, connection, message.data):
                    await ws.send_str(reply)
        finally:
            if connection in self.connections:
                self.connections.remove(connection)
        return ws

    async def _expire(self, connection: ServerConnection, after: float) -> None:
        await asyncio.sleep(after)
        if connection in self.connections:
            await connection.ws.close(code=1000, message=b"lifetime")

    # --- what tests do ---------------------------------------------------------------------

    def subscribed(self, topic: str) -> list[ServerConnection]:
        return [c for c in self.connections if topic in c.topics and not c.stalled]

    async def publish(
        self, topic: str, text: str, to: Iterable[ServerConnection] | None = None
    ) -> int:
        """Send ``text`` to every live connection subscribed to ``topic`` (only to those of
        ``to`` when given: one connection lagging behind another); how many got it."""
        sent = 0
        targets = self.subscribed(topic)
        if to is not None:
            chosen = list(to)
            targets = [connection for connection in targets if connection in chosen]
        for connection in targets:
            if connection.ws.closed:
                continue
            try:
                await connection.ws.send_str(text)
            except (ConnectionError, RuntimeError):
                continue
            sent += 1
        return sent

    async def wait_for_subscribers(self, topic: str, count: int = 1, timeout: float = 5.0) -> None:
        await until(lambda: len(self.subscribed(topic)) >= count, timeout)

    async def wait_for_connections(self, count: int, timeout: float = 5.0) -> None:
        await until(lambda: len(self.history) >= count, timeout)

    async def abort(self, connection: ServerConnection) -> None:
        """Abort one connection: no close frame, as when the network breaks."""
        transport = connection.transport
        if transport is not None:
            transport.abort()
        if connection in self.connections:
            self.connections.remove(connection)

    async def drop(self) -> None:
        for connection in list(self.connections):
            await self.abort(connection)

    def stall(self) -> None:
        """Stop sending and reading (so pings go unanswered) without closing."""
        for connection in self.connections:
            connection.stalled = True
            if connection.transport is not None:
                connection.transport.pause_reading()

    async def close_all(self, code: int = 1001) -> None:
        for connection in list(self.connections):
            await connection.ws.close(code=code, message=b"going away")
