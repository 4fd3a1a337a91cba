"""USDⓈ-M composite indices: ``GET /fapi/v1/indexInfo`` and the ``<symbol>@compositeIndex``
stream, both from :func:`index_info_rows` so the two agree.

A composite index contract (``DEFIUSDT``, see :data:`.instruments.COMPOSITES`) lists its
component assets with their weight in quantity (``w``, ``weightInQuantity``) and their
share of the index at the listing prices (``W``, ``weightInPercentage``); its index price
is the weighted sum of the components' indices (``Market.index_at``). The stream sends,
every second, the index price (``p``, the contract's ``/fapi/v1/premiumIndex``
``indexPrice`` at that moment) and each component's index price (``i``, its perpetual's
``indexPrice`` then), keys in the order of Binance's documented example.

Only composite index contracts have the stream (REST notes "Only for composite index
symbols"): its topic names them (``defiusdt@compositeIndex``), so the simulator refuses a
subscription to ``btcusdt@compositeIndex`` as an unknown stream.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from .instruments import COMPOSITES

if TYPE_CHECKING:
    from .instruments import UsdmSymbol
    from .market import UsdmMarket

__all__ = ["COMPOSITE_INDEX", "composite_index", "index_info_rows"]

COMPOSITE_INDEX = re.compile(
    "(?P<symbol>" + "|".join(re.escape(c.symbol.lower()) for c in COMPOSITES) + ")@compositeIndex$"
)
"""The topic of a composite index stream: one of the listed composite index symbols."""

_COMPONENT_KEYS = {"b": "baseAsset", "q": "quoteAsset", "w": "weightInQuantity"}
_COMPONENT_KEYS |= {"W": "weightInPercentage"}
"""The stream's keys of a component and REST's names of the same values."""


def _row(symbol: UsdmSymbol, now: int) -> dict[str, Any]:
    return {
        "symbol": symbol.name,
        "time": now,
        "component": "baseAsset",
        "baseAssetList": [
            {
                "baseAsset": c.base,
                "quoteAsset": c.quote,
                "weightInQuantity": f"{c.weight:.8f}",
                "weightInPercentage": f"{c.share:.8f}",
            }
            for c in symbol.components
        ],
    }


def index_info_rows(market: UsdmMarket, now: int) -> list[dict[str, Any]]:
    """``/fapi/v1/indexInfo``'s rows: one per composite index contract."""
    return [_row(s, now) for s in market.symbols.values() if s.components]


def composite_index(
    market: UsdmMarket, symbol: UsdmSymbol, match: re.Match[str], second: int
) -> list[dict[str, Any]]:
    """The ``compositeIndex`` event of ``symbol`` in ``second``: its REST row, with the
    index prices of the contract and of each component at that moment."""
    now = second * 1000
    row = _row(symbol, now)
    components = []
    for c, listed in zip(symbol.components, row["baseAssetList"], strict=True):
        item = {short: listed[long] for short, long in _COMPONENT_KEYS.items()}
        item["i"] = f"{market.index_price(market.symbols[c.symbol], now):.8f}"
        components.append(item)
    return [
        {
            "e": "compositeIndex",
            "E": now,
            "s": symbol.name,
            "p": f"{market.index_price(symbol, now):.8f}",  # as premiumIndex writes it
            "C": row["component"],
            "c": components,
        }
    ]
