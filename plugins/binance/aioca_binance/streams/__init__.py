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
    from .factory import futures_user_stream, market_stream, spot_user_stream
    from .markets import MAINNET_STREAM_URLS, TESTNET_STREAM_URLS, market_settings
    from .protocol import BinanceMarketProtocol, Message, combined_url, raw_url
    from .spec import StreamModel, StreamSpec
    from .user import FuturesUserDataProtocol, SpotUserDataProtocol

__all__ = [
    "MAINNET_STREAM_URLS",
    "TESTNET_STREAM_URLS",
    "BinanceMarketProtocol",
    "BookSnapshot",
    "BookUpdate",
    "FuturesUserDataProtocol",
    "LocalOrderBook",
    "Message",
    "Resynced",
    "SpotUserDataProtocol",
    "StreamModel",
    "StreamSpec",
    "combined_url",
    "futures_user_stream",
    "market_settings",
    "market_stream",
    "raw_url",
    "spot_user_stream",
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
    "futures_user_stream": "factory",
    "spot_user_stream": "factory",
    "FuturesUserDataProtocol": "user",
    "SpotUserDataProtocol": "user",
    "LocalOrderBook": "book",
    "BookSnapshot": "book",
    "BookUpdate": "book",
    "Resynced": "book",
}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
