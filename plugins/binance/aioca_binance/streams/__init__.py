"""Binance WebSocket streams on aioca's core (:mod:`aioca.stream`).

* :func:`market_stream`: market data of Spot, USDⓈ-M or COIN-M, typed
  (``aioca_binance.streams.spot`` etc. hold one model per stream, generated from the spec);
* :func:`futures_user_stream`: a futures account's events through the listenKey
  lifecycle (created, kept alive, recreated with a gap when it expires);
* :func:`spot_user_stream`: a Spot account's events through the WebSocket API's signed
  subscription;
* :class:`LocalOrderBook`: a local order book kept in step with the diff stream, the way
  Binance documents it, resynced (and announced) on every gap.

::

    async with market_stream("spot", "btcusdt@aggTrade") as stream:
        async for message in stream:
            print(message.stream, message.data.price)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aioca.lazy import lazy_exports

if TYPE_CHECKING:
    from .book import BookSnapshot, BookUpdate, LocalOrderBook, Resynced
    from .factory import market_stream
    from .markets import MAINNET_STREAM_URLS, TESTNET_STREAM_URLS, market_settings
    from .protocol import BinanceMarketProtocol, Message, combined_url, raw_url
    from .spec import StreamModel, StreamSpec

__all__ = [
    "MAINNET_STREAM_URLS",
    "TESTNET_STREAM_URLS",
    "BinanceMarketProtocol",
    "BookSnapshot",
    "BookUpdate",
    "LocalOrderBook",
    "Message",
    "Resynced",
    "StreamModel",
    "StreamSpec",
    "combined_url",
    "market_settings",
    "market_stream",
    "raw_url",
]

_EXPORTS = {
    "MAINNET_STREAM_URLS": "markets",
    "TESTNET_STREAM_URLS": "markets",
    "market_settings": "markets",
    "BinanceMarketProtocol": "protocol",
    "Message": "protocol",
    "combined_url": "protocol",
    "raw_url": "protocol",
    "StreamModel": "spec",
    "StreamSpec": "spec",
    "market_stream": "factory",
    "LocalOrderBook": "book",
    "BookSnapshot": "book",
    "BookUpdate": "book",
    "Resynced": "book",
}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
