"""Per market: WebSocket base URLs, the connection rules as stream settings, the catalogs.

Numbers from ``spec/binance-ws-streams.json`` (``connection_rules``): a connection lives
24 hours; 1,024 streams per connection; 5 incoming messages per second on Spot, 10 on
futures (pings, pongs and subscribe requests all count, so we send at most 4 and 8);
300 connection attempts per 5 minutes per IP.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import replace
from types import ModuleType
from urllib.parse import urlsplit

from aioca import Window
from aioca.stream import ConnectionLimiter, StreamSettings

__all__ = [
    "MAINNET_STREAM_URLS",
    "MARKETS",
    "TESTNET_STREAM_URLS",
    "catalog",
    "connection_limiter",
    "market_settings",
]

MARKETS = ("spot", "usdm", "coinm")

MAINNET_STREAM_URLS: Mapping[str, str] = {
    "spot": "wss://stream.binance.com:9443",
    "usdm": "wss://fstream.binance.com",
    "coinm": "wss://dstream.binance.com",
}
TESTNET_STREAM_URLS: Mapping[str, str] = {
    "spot": "wss://stream.testnet.binance.vision",
    "usdm": "wss://fstream.binancefuture.com",
    "coinm": "wss://dstream.binancefuture.com",
}

_DAY = 24 * 3600.0
_SETTINGS = {
    "spot": StreamSettings(
        heartbeat=10.0,
        max_lifetime=_DAY,
        rotation_margin=3600.0,
        max_topics_per_connection=1024,
        messages_per_second=4.0,
    ),
    "usdm": StreamSettings(
        heartbeat=10.0,
        max_lifetime=_DAY,
        rotation_margin=3600.0,
        max_topics_per_connection=1024,
        messages_per_second=8.0,
    ),
}
_SETTINGS["coinm"] = _SETTINGS["usdm"]
_CONNECTIONS = Window("CONNECTIONS", 300, 300)
_limiters: dict[str, ConnectionLimiter] = {}


def check_market(market: str) -> str:
    if market not in MARKETS:
        raise ValueError(f"unknown market {market!r}: use {', '.join(MARKETS)}")
    return market


def market_settings(market: str, **changes: object) -> StreamSettings:
    """The stream settings of ``market`` (its documented limits), with ``changes``."""
    settings = _SETTINGS[check_market(market)]
    return replace(settings, **changes) if changes else settings  # type: ignore[arg-type]


def catalog(market: str) -> ModuleType:
    """The generated module of ``market``: its models, ``STREAMS`` and ``EVENTS``."""
    return importlib.import_module(f"{__package__}.{check_market(market)}")


def connection_limiter(url: str) -> ConnectionLimiter:
    """The limiter of connection attempts to ``url``'s host (300 per 5 minutes, in any 5
    minutes: a sliding window), shared by every stream of this process: market streams, raw
    or combined, and a futures account's user data (its listenKey connections go to the
    market streams' host)."""
    host = urlsplit(url).netloc
    limiter = _limiters.get(host)
    if limiter is None:
        limiter = _limiters[host] = ConnectionLimiter(_CONNECTIONS.limit, _CONNECTIONS.seconds)
    return limiter
