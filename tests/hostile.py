"""A hostile HTTP server on 127.0.0.1, and the memory probe run in a child process.

``HostileServer`` answers every request with a handler the test gives (an
``aiohttp.web`` handler), records what it received, and is started and stopped by
``async with``. Run as a script, this module is the child process of the memory tests:
``python hostile.py gzip-bomb|plain-body|declared-body`` starts such a server and an API
in one fresh process, sends one request, and prints a JSON line with the peak RSS growth
(``VmHWM`` from ``/proc``) and the error raised, so that a test asserts what the request
cost in memory, not only that it failed. The module depends on aiohttp and aioca only
(not on the ``tests`` package), so it runs by its path.
"""

from __future__ import annotations

import asyncio
import json
import sys
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from multidict import CIMultiDictProxy

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(slots=True)
class Received:
    method: str
    path: str
    query_string: str
    body: bytes
    headers: CIMultiDictProxy[str]


class HostileServer:
    """An aiohttp server on a free port of 127.0.0.1 that answers with ``handler``."""

    def __init__(self, handler: Handler | None = None) -> None:
        self.handler = handler
        self.received: list[Received] = []
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.received.append(
            Received(request.method, request.path, request.query_string, body, request.headers)
        )
        if self.handler is None:
            return web.json_response({"ok": True, "path": request.path})
        return await self.handler(request)

    def url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def __aenter__(self) -> HostileServer:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = self._runner.addresses[0][1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


def gzip_bomb(inflated: int = 1 << 30) -> bytes:
    """``inflated`` zero bytes, gzip-compressed in one member (1 GiB → about 1 MB)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(1 << 20)
    parts = [compressor.compress(block) for _ in range(inflated // len(block))]
    parts.append(compressor.flush())
    return b"".join(parts)


def _peak_rss_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


async def _probe(kind: str) -> dict[str, Any]:
    from aioca import PreparedRequest, RestApi, RetryPolicy

    class Api(RestApi):
        exchange = "hostile"

        def sign_request(self, request: PreparedRequest) -> None:
            pass

    chunk = bytes(1 << 20)
    bomb = gzip_bomb() if kind == "gzip-bomb" else b""

    async def handler(request: web.Request) -> web.StreamResponse:
        if kind == "gzip-bomb":
            return web.Response(
                body=bomb, headers={"Content-Encoding": "gzip", "Content-Type": "text/plain"}
            )
        response = web.StreamResponse()
        if kind == "declared-body":
            response.content_length = 100 * len(chunk)
        else:
            response.enable_chunked_encoding()
        await response.prepare(request)
        try:
            for _ in range(100):  # 100 MiB
                await response.write(chunk)
        except (ConnectionError, RuntimeError):
            pass  # the client hung up, as it should
        return response

    async with HostileServer(handler) as server:
        api = Api(retry=RetryPolicy(attempts=1), timeout=60)
        before = _peak_rss_kib()
        try:
            await api.request("GET", server.url("/big"))
            error = None
        except Exception as exc:
            error = type(exc).__name__
        after = _peak_rss_kib()
        # The connection was closed, not returned to the pool half-read: the next works.
        server.handler = None
        follow_up = await api.request("GET", server.url("/next"))
        await api.close()
    return {
        "kind": kind,
        "error": error,
        "peak_rss_growth_mib": (after - before) / 1024,
        "follow_up": follow_up,
        "bomb_bytes": len(bomb),
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(_probe(sys.argv[1]))))
