"""The simulated Binance Spot market (``/api/v3``): symbols with Binance's filters, a
moving market (book, trades, candles, tickers), and a paper account with orders, order
lists, balances, commissions and trades.

``build_venue(seed, now_ms, clock)`` makes its state; importing the package registers
its handlers (``@handles(..., market="spot")``); ``stream_source(venue)`` gives its
WebSocket market streams (:mod:`.feeds`).
"""

from __future__ import annotations

from . import account_handlers, market_handlers
from .feeds import stream_source
from .venue import SpotVenue, build_venue

__all__ = ["SpotVenue", "build_venue", "stream_source"]

del account_handlers, market_handlers  # imported for their registrations
