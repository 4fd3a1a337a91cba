"""OKX public WebSocket channels on aioca's core (:mod:`aioca.stream`): tickers, trades and
order books whose every update is checked against OKX's checksum.

* :mod:`~aioca_okx.streams.protocol`: topics, requests, typed messages, and
  :class:`OkxStream` (``public_stream``), which keeps OKX's subscribe budget;
* :mod:`~aioca_okx.streams.book`: :class:`OkxOrderBook`, resubscribed for a fresh
  snapshot whenever continuity is lost;
* :mod:`~aioca_okx.streams.limits`: OKX's connection and subscription limits.
"""

from __future__ import annotations

from .book import BookResynced, BookUpdated, OkxOrderBook, book_checksum
from .limits import connection_limiter, subscribe_limiter
from .protocol import (
    CHANNELS,
    PUBLIC_URL,
    SETTINGS,
    OkxBookMessage,
    OkxMessage,
    OkxPublicProtocol,
    OkxStream,
    OkxTicker,
    OkxTrade,
    okx_settings,
    public_stream,
)

__all__ = [
    "CHANNELS",
    "PUBLIC_URL",
    "SETTINGS",
    "BookResynced",
    "BookUpdated",
    "OkxBookMessage",
    "OkxMessage",
    "OkxOrderBook",
    "OkxPublicProtocol",
    "OkxStream",
    "OkxTicker",
    "OkxTrade",
    "book_checksum",
    "connection_limiter",
    "okx_settings",
    "public_stream",
    "subscribe_limiter",
]
