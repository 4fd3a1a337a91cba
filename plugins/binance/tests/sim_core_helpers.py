"""Helpers of the simulator-core tests: raw HTTP requests to one market of a
simulator, signed with HMAC-SHA256 over the exact bytes sent."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any
from urllib.parse import urlencode

import aiohttp
from yarl import URL

from aioca_binance_sim import BinanceSimulator

__all__ = ["call", "signed_query"]


def signed_query(sim: BinanceSimulator, params: dict[str, str], secret: str | None = None) -> str:
    """Signed with the client's clock (the simulator's without its skew fault)."""
    params = {"timestamp": str(int(sim.clock() * 1000)), **params}
    query = urlencode(params)
    key = (secret if secret is not None else sim.api_secret).encode()
    digest = hmac.new(key, query.encode(), hashlib.sha256).hexdigest()
    return f"{query}&signature={digest}"


async def call(
    http: aiohttp.ClientSession,
    sim: BinanceSimulator,
    market: str,
    method: str,
    path: str,
    params: dict[str, str] | None = None,
    *,
    signed: bool = False,
    query: str | None = None,
    body: str | None = None,
    api_key: str | None = None,
) -> tuple[int, Any, Any]:
    """One request; ``query``/``body`` as given (already signed), else ``params``
    (signed with ``signed``) in the query string."""
    if query is None:
        query = signed_query(sim, params or {}) if signed else urlencode(params or {})
    url = f"{sim.urls[market]}{path}" + (f"?{query}" if query else "")
    headers = {"X-MBX-APIKEY": sim.api_key if api_key is None else api_key}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    # encoded=True: the bytes signed are the bytes sent
    request = http.request(
        method, URL(url, encoded=True), headers=headers, data=body.encode() if body else None
    )
    async with request as response:
        text = await response.text()
        if response.content_type != "application/json":
            return response.status, response.headers, text
        return response.status, response.headers, json.loads(text)
