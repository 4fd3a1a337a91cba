"""OKX v5 tasks: public market data (:mod:`.market`), the trading account
(:mod:`.account`) and order book trading (:mod:`.trade`), and ``CATALOG``.

Imported on first use: registering the exchange reads only the names below, and
``from aioca_okx.v5 import OkxFetchTicker`` or ``CATALOG["OkxFetchTicker"]`` imports the one
module that defines the class (the pydantic models cost tens of milliseconds at start-up).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from aioca.lazy import LazyCatalog, lazy_exports

if TYPE_CHECKING:
    from ..task import OkxTask
    from .account import OkxFetchBalance, OkxFetchPositions
    from .market import (
        OkxFetchCandles,
        OkxFetchFundingRate,
        OkxFetchFundingRateHistory,
        OkxFetchHistoryCandles,
        OkxFetchInstruments,
        OkxFetchMarkPrice,
        OkxFetchOpenInterest,
        OkxFetchOrderBook,
        OkxFetchTicker,
        OkxFetchTickers,
        OkxFetchTrades,
        OkxServerTime,
    )
    from .trade import (
        OkxAmendBatchOrders,
        OkxAmendOrder,
        OkxCancelBatchOrders,
        OkxCancelOrder,
        OkxFetchFills,
        OkxFetchOpenOrders,
        OkxFetchOrder,
        OkxFetchOrderHistory,
        OkxPlaceBatchOrders,
        OkxPlaceOrder,
    )

__all__ = [
    "CATALOG",
    "OkxAmendBatchOrders",
    "OkxAmendOrder",
    "OkxCancelBatchOrders",
    "OkxCancelOrder",
    "OkxFetchBalance",
    "OkxFetchCandles",
    "OkxFetchFills",
    "OkxFetchFundingRate",
    "OkxFetchFundingRateHistory",
    "OkxFetchHistoryCandles",
    "OkxFetchInstruments",
    "OkxFetchMarkPrice",
    "OkxFetchOpenInterest",
    "OkxFetchOpenOrders",
    "OkxFetchOrder",
    "OkxFetchOrderBook",
    "OkxFetchOrderHistory",
    "OkxFetchPositions",
    "OkxFetchTicker",
    "OkxFetchTickers",
    "OkxFetchTrades",
    "OkxPlaceBatchOrders",
    "OkxPlaceOrder",
    "OkxServerTime",
]

_INDEX: dict[str, str] = {
    "OkxServerTime": "market",
    "OkxFetchInstruments": "market",
    "OkxFetchTicker": "market",
    "OkxFetchTickers": "market",
    "OkxFetchOrderBook": "market",
    "OkxFetchCandles": "market",
    "OkxFetchHistoryCandles": "market",
    "OkxFetchTrades": "market",
    "OkxFetchFundingRate": "market",
    "OkxFetchFundingRateHistory": "market",
    "OkxFetchMarkPrice": "market",
    "OkxFetchOpenInterest": "market",
    "OkxFetchBalance": "account",
    "OkxFetchPositions": "account",
    "OkxPlaceOrder": "trade",
    "OkxPlaceBatchOrders": "trade",
    "OkxCancelOrder": "trade",
    "OkxCancelBatchOrders": "trade",
    "OkxAmendOrder": "trade",
    "OkxAmendBatchOrders": "trade",
    "OkxFetchOrder": "trade",
    "OkxFetchOpenOrders": "trade",
    "OkxFetchOrderHistory": "trade",
    "OkxFetchFills": "trade",
}
"""Every task, in the order of OKX's documentation, and the module that defines it."""

CATALOG: Mapping[str, type[OkxTask]] = LazyCatalog(__name__, _INDEX)
"""Every OKX task class by name (read-only): what the plugin registers."""

__getattr__, __dir__ = lazy_exports(__name__, _INDEX, globals())
