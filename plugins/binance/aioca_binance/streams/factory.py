"""Streams ready to open: the protocol of a market (or an account) inside an aioca stream."""

from __future__ import annotations

from typing import Any, Literal

from aioca.stream import Stream, StreamSettings

from .protocol import BinanceMarketProtocol, Message
from .user import USER_TOPIC, FuturesUserDataProtocol, SpotUserDataProtocol, UserEvent

__all__ = ["futures_user_stream", "market_stream", "spot_user_stream"]


def market_stream(
    market: str,
    *topics: str,
    base_url: str | None = None,
    testnet: bool = False,
    typed: bool | Literal["struct"] = True,
    settings: StreamSettings | None = None,
    combined: bool = True,
    **options: Any,
) -> Stream[Message]:
    """A stream of ``market``'s ``topics`` (``"btcusdt@aggTrade"``, ``"btcusdt@depth@100ms"``,
    ``"!miniTicker@arr"``): open it with ``async with``. ``typed``: pydantic models
    (``True``), msgspec structs of the same shape, faster (``"struct"``), or the decoded
    JSON (``False``). ``combined=False``: Binance's raw form, ``/ws/<stream>``, for one
    topic (the same messages; a stream of several topics needs the combined form).
    ``options`` go to :class:`aioca.stream.Stream` (``session``, ``proxy``)."""
    protocol = BinanceMarketProtocol(
        market,
        base_url=base_url,
        testnet=testnet,
        typed=typed,
        settings=settings,
        combined=combined,
    )
    return Stream(protocol, topics, **options)


def futures_user_stream(
    api: Any,
    market: str = "usdm",
    *,
    base_url: str | None = None,
    testnet: bool = False,
    keepalive_interval: float = 30 * 60.0,
    typed: bool = True,
    settings: StreamSettings | None = None,
    **options: Any,
) -> Stream[UserEvent]:
    """The user data stream of a futures account (``"usdm"`` or ``"coinm"``): its
    events (``ORDER_TRADE_UPDATE``, ``ACCOUNT_UPDATE``...), typed, with the listenKey
    created, kept alive and recreated as needed. ``api`` is a ``BinanceRestApi`` with an
    API key."""
    protocol = FuturesUserDataProtocol(
        api,
        market,
        base_url=base_url,
        testnet=testnet,
        keepalive_interval=keepalive_interval,
        typed=typed,
        settings=settings,
    )
    return Stream(protocol, [USER_TOPIC], **options)


def spot_user_stream(
    api: Any,
    *,
    url: str | None = None,
    testnet: bool = False,
    typed: bool = True,
    settings: StreamSettings | None = None,
    **options: Any,
) -> Stream[UserEvent]:
    """A Spot account's events (``executionReport``, ``outboundAccountPosition``...) over
    the WebSocket API's signed subscription; ``api`` is a ``BinanceRestApi`` with an API
    key and its secret (HMAC) or private key (Ed25519, RSA)."""
    protocol = SpotUserDataProtocol(api, url=url, testnet=testnet, typed=typed, settings=settings)
    return Stream(protocol, [USER_TOPIC], **options)
