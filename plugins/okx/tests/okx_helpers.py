"""Shared by the OKX plugin's tests: fake credentials, envelopes, a signature computed
independently of the plugin, and a recording OKX stand-in on 127.0.0.1.

(Named ``okx_helpers``, not ``helpers``: the plugins' test directories are not packages,
so two modules of the same name would clash in one pytest run.)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

KEY = "key_1-aaaaaaaaaaaaaaaaaaaa"
SECRET = "secret_1-bbbbbbbbbbbbbbbbbbbb"
PASSPHRASE = "passphrase_1-cccccccccccc"
LOCAL = "http://127.0.0.1:9"


def envelope(data: Any = None, code: str = "0", msg: str = "", **extra: Any) -> dict[str, Any]:
    """An OKX answer: ``{"code": ..., "msg": ..., "data": [...]}``."""
    return {"code": code, "msg": msg, "data": [] if data is None else data, **extra}


def expected_signature(
    secret: str, timestamp: str, method: str, request_path: str, body: str = ""
) -> str:
    """OKX's documented signature, computed here without the plugin's code:
    base64(HMAC-SHA256(secret, timestamp + METHOD + requestPath + body))."""
    prehash = timestamp + method.upper() + request_path + body
    digest = hmac.new(secret.encode(), prehash.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


@dataclass(frozen=True)
class RawRequest:
    """A request exactly as the server received it."""

    method: str
    path_qs: str
    headers: Mapping[str, str]
    body: bytes


class OkxStandIn:
    """An aiohttp server on 127.0.0.1 that records every request byte for byte and answers
    each path with a configured payload (``{"code": "0", "data": []}`` otherwise)."""

    def __init__(self) -> None:
        self.requests: list[RawRequest] = []
        self.answers: dict[str, tuple[int, Any]] = {}
        self.url = ""

    def answer(self, path: str, payload: Any, status: int = 200) -> None:
        self.answers[path] = (status, payload)

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.requests.append(
            RawRequest(request.method, request.raw_path, dict(request.headers), body)
        )
        status, payload = self.answers.get(request.path, (200, envelope()))
        return web.Response(
            status=status, text=json.dumps(payload), content_type="application/json"
        )


@asynccontextmanager
async def okx_stand_in() -> AsyncIterator[OkxStandIn]:
    stand_in = OkxStandIn()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", stand_in._handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    stand_in.url = str(server.make_url("")).rstrip("/")
    try:
        yield stand_in
    finally:
        await server.close()
