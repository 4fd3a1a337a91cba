"""Streams ready to open: the protocol of a market (or an account) inside an aioca stream."""

from __future__ import annotations

from typing import Any

from aioca.stream import Stream, StreamSettings

from .protocol import BinanceMarketProtocol, Message

__all__ = ["market_stream"]


def market_stream(
    market: str,
    *topics: str,
    base_url: str | None = None,
    testnet: bool = False,
    typed: bool = True,
    settings: StreamSettings | None = None,
    **options: Any,
) -> Stream[Message]:
    """A stream of ``market``'s ``topics`` (``"btcusdt@aggTrade"``, ``"btcusdt@depth@100ms"``,
    ``"!miniTicker@arr"``): open it with ``async with``. ``options`` go to
    :class:`aioca.stream.Stream` (``session``, ``proxy``)."""
    protocol = BinanceMarketProtocol(
        market, base_url=base_url, testnet=testnet, typed=typed, settings=settings
    )
    return Stream(protocol, topics, **options)
