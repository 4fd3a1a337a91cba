"""The simulator's USDⓈ-M futures market: linear perpetuals and quarterlies margined in
USDT and USDC, a paper account with one-way and hedge positions, orders and algo orders,
and Binance's ``/fapi`` and ``/futures/data`` endpoints.

``build_venue(seed, now_ms, clock)`` makes the market's state (``Call.venue`` of every
USDⓈ-M request); importing this package registers the handlers
(``@handles(..., market="usdm")``); ``stream_source(venue)`` gives its WebSocket streams
(:mod:`.feeds`).

Modelled with the simulator's own numbers where Binance publishes none (each choice is
written in the method's docstring): liquidation (``UsdmEngine._liquidate``: the mark
price checked every 10 s against each isolated position's and each asset's cross
maintenance margin), the ADL quantile (``UsdmEngine.adl_quantile``), Multi-Assets mode
(``UsdmEngine.set_multi_assets``: USDT and USDC pooled one for one as cross margin) and
self-trade prevention (``UsdmEngine._prevent_self_trade``).

Left out on purpose, each answered in the documented shape: auto-deleveraging (no
other trader: ``forceOrders`` with ``autoCloseType=ADL`` is empty), ``priceProtect``,
RPI liquidity (``rpiDepth`` and the ``rpiDepth@500ms`` stream are the regular book) and
TradFi contracts (``tradingSchedule`` and the ``tradingSession`` stream give the sessions
of the U.S. equity and commodity markets from a fixed weekly calendar, :mod:`.sessions`).
One composite index contract is listed, ``DEFIUSDT`` (a basket of the simulator's own
coins; ``indexInfo`` and the ``@compositeIndex`` stream, :mod:`.composites`).
"""

from __future__ import annotations

from . import account_handlers, market_handlers
from .engine import UsdmEngine
from .feeds import stream_source
from .instruments import UsdmSymbol
from .market import UsdmMarket
from .venue import UsdmVenue, build_venue

__all__ = ["UsdmEngine", "UsdmMarket", "UsdmSymbol", "UsdmVenue", "build_venue", "stream_source"]

del account_handlers, market_handlers  # imported for their registrations
