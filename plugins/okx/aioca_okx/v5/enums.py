"""The values OKX accepts for enum parameters, as ``Literal`` types (pydantic refuses any
other value before a request is sent), and the shapes of ids OKX checks."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

__all__ = [
    "Bar",
    "ClOrdId",
    "DerivativeInstType",
    "HistoryState",
    "InstId",
    "InstType",
    "MarginInstType",
    "OrdType",
    "PendingState",
    "PosSide",
    "Side",
    "TdMode",
    "TgtCcy",
]

InstType = Literal["SPOT", "MARGIN", "SWAP", "FUTURES", "OPTION"]
"""Instrument type."""

MarginInstType = Literal["MARGIN", "SWAP", "FUTURES", "OPTION"]
"""Instrument types that have a mark price."""

DerivativeInstType = Literal["SWAP", "FUTURES", "OPTION"]
"""Instrument types with open interest."""

TdMode = Literal["cross", "isolated", "cash", "spot_isolated"]
"""Trade mode: margin (cross or isolated), non-margin (cash), or spot isolated."""

Side = Literal["buy", "sell"]

PosSide = Literal["long", "short", "net"]
"""Position side: ``net`` in net mode, ``long``/``short`` in long/short mode."""

OrdType = Literal[
    "market",
    "limit",
    "post_only",
    "fok",
    "ioc",
    "optimal_limit_ioc",
    "mmp",
    "mmp_and_post_only",
]
"""Order type."""

PRICED_ORDER_TYPES = frozenset({"limit", "post_only", "fok", "ioc", "mmp", "mmp_and_post_only"})
"""Order types that need ``px``."""

TgtCcy = Literal["base_ccy", "quote_ccy"]
"""Unit of ``sz`` for spot market orders."""

PendingState = Literal["live", "partially_filled"]

HistoryState = Literal["canceled", "filled", "mmp_canceled"]

Bar = Literal[
    "1s",
    "1m",
    "3m",
    "5m",
    "15m",
    "30m",
    "1H",
    "2H",
    "4H",
    "6H",
    "12H",
    "1D",
    "2D",
    "3D",
    "1W",
    "1M",
    "3M",
    "6Hutc",
    "12Hutc",
    "1Dutc",
    "2Dutc",
    "3Dutc",
    "1Wutc",
    "1Mutc",
    "3Mutc",
]
"""Candle period: Hong Kong time by default, ``utc`` suffix for UTC-aligned candles."""

InstId = Annotated[str, Field(pattern=r"^[A-Z0-9]+(-[A-Z0-9]+){1,4}$")]
"""An instrument id: ``BTC-USDT``, ``BTC-USD-SWAP``, ``BTC-USD-240329``,
``BTC-USD-240329-60000-C`` (upper case; OKX does not know ``btc-usdt``)."""

ClOrdId = Annotated[str, Field(pattern=r"^[A-Za-z0-9]{1,32}$")]
"""A client order id: 1 to 32 letters and digits."""
