"""USDⓈ-M composite indices: ``GET /fapi/v1/indexInfo`` and the ``<symbol>@compositeIndex``
stream, both from :func:`index_info_rows` so the two agree.

A composite index contract (``DEFIUSDT``, see :data:`.instruments.COMPOSITES`) lists its
component assets with their weight in quantity (``w``, ``weightInQuantity``) and their
share of the index at the listing prices (``W``, ``weightInPercentage``); its index price
is the weighted sum of the components' indices (``Market.index_at``). The stream sends,
every second, the index price (``p``, the contract's ``/fapi/v1/premiumIndex``
``indexPrice`` at that moment) and each component's index price (``i``, its perpetual's
``indexPrice`` then), keys in the order of Binance's documented example.

Only composite index contracts have data (REST: "Only for composite index symbols"; the
stream: "Composite index information for index symbols pushed every second"), but the
stream is named by its pattern, ``<symbol>@compositeIndex``, and the spec's own example
stream is ``btcusdt@compositeIndex`` (``wss://fstream.binance.com/ws/btcusdt@compositeIndex``),
a contract that is no index. So the hub accepts a subscription naming any symbol
(``{"result": null, "id": n}``, as for any stream, listed or not) and sends nothing for
one that is no composite index.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import re

    from .instruments import UsdmSymbol
    from .market import UsdmMarket

__all__ = ["composite_index", "index_info_rows"]

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
    index prices of the contract and of each component at that moment; none for a
    contract that is no composite index."""
    if not symbol.components:
        return []
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
