"""OKX v5 tasks: public market data (:mod:`.market`), the trading account
(:mod:`.account`) and order book trading (:mod:`.trade`), and ``CATALOG``."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

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

_TASKS: tuple[type[OkxTask], ...] = (
    # public data and market data
    OkxServerTime,
    OkxFetchInstruments,
    OkxFetchTicker,
    OkxFetchTickers,
    OkxFetchOrderBook,
    OkxFetchCandles,
    OkxFetchHistoryCandles,
    OkxFetchTrades,
    OkxFetchFundingRate,
    OkxFetchFundingRateHistory,
    OkxFetchMarkPrice,
    OkxFetchOpenInterest,
    # trading account
    OkxFetchBalance,
    OkxFetchPositions,
    # order book trading
    OkxPlaceOrder,
    OkxPlaceBatchOrders,
    OkxCancelOrder,
    OkxCancelBatchOrders,
    OkxAmendOrder,
    OkxAmendBatchOrders,
    OkxFetchOrder,
    OkxFetchOpenOrders,
    OkxFetchOrderHistory,
    OkxFetchFills,
)

CATALOG: Mapping[str, type[OkxTask]] = MappingProxyType({cls.__name__: cls for cls in _TASKS})
"""Every OKX task class by name (read-only): what the plugin registers."""
