"""OKX public WebSocket channels on aioca's core (:mod:`aioca.stream`): tickers, trades and
order books whose every update is checked against OKX's checksum.

* :mod:`~aioca_okx.streams.protocol`: topics, requests, typed messages, and
  :class:`OkxStream` (``public_stream``), which keeps OKX's subscribe budget;
* :mod:`~aioca_okx.streams.book`: :class:`OkxOrderBooks` (several instruments on one
  connection) and :class:`OkxOrderBook` (one), each book resubscribed in place for a
  fresh snapshot whenever its continuity is lost;
* :mod:`~aioca_okx.streams.limits`: OKX's connection and subscription limits.
* :mod:`~aioca_okx.streams.replies`: OKX's per-channel answers to a request, gathered into
  its one outcome (nothing OKX refuses is dropped).
"""

from __future__ import annotations

from .book import BookResynced, BookUpdated, OkxBook, OkxOrderBook, OkxOrderBooks, book_checksum
from .limits import connection_limiter, subscribe_limiter
from .protocol import (
    CHANNELS,
    LOGIN_CHANNELS,
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
    "LOGIN_CHANNELS",
    "PUBLIC_URL",
    "SETTINGS",
    "BookResynced",
    "BookUpdated",
    "OkxBook",
    "OkxBookMessage",
    "OkxMessage",
    "OkxOrderBook",
    "OkxOrderBooks",
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
