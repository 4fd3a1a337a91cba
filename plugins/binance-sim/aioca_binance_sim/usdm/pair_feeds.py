"""USDⓈ-M's continuous-contract kline stream and the RPI depth diff stream.

* ``<pair>_<contractType>@continuousKline_<interval>``: the candles of the contract of
  that type (``perpetual``, ``current_quarter``, ``next_quarter``; the simulator lists no
  ``tradifi_perpetual`` contract, so that type sends nothing), from the same
  :meth:`~.market.UsdmMarket.klines` ``/fapi/v1/continuousKlines`` answers from. As
  COIN-M's (:mod:`..pair_feeds`): the candle of now every second, preceded by the one
  that just closed (``"x": true``) the second a new candle opens.
* ``<symbol>@rpiDepth@500ms``: the diffs of the book with Retail Price Improvement
  orders. The simulator has no RPI orders of its own, so that book is the regular one
  (as ``/fapi/v1/rpiDepth`` answers) and its diffs are the depth stream's, once a second:
  ``u`` of second ``s`` is ``book_update_id(s * 1000)``, the ``lastUpdateId`` of
  ``/fapi/v1/rpiDepth`` then.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ..pair_feeds import CANDLE_INTERVALS, candle_payloads, continuous_kline_event

if TYPE_CHECKING:
    from .instruments import UsdmSymbol
    from .market import UsdmMarket

__all__ = ["CONTINUOUS_KLINE", "CONTRACT_TYPES"]

CONTRACT_TYPES = ("perpetual", "current_quarter", "next_quarter", "tradifi_perpetual")
"""The contract types Binance documents for USDⓈ-M's continuous klines."""

CONTINUOUS_KLINE = re.compile(
    r"(?P<pair>[a-z0-9]+)_(?P<contract>" + "|".join(CONTRACT_TYPES) + r")"
    r"@continuousKline_(?P<interval>" + CANDLE_INTERVALS + ")$"
)
"""The topic of a continuous kline stream: no ``symbol`` group (it names a pair), so the
hub passes no symbol and :func:`continuous_kline` resolves the contract."""


def _contract(market: UsdmMarket, pair: str, kind: str) -> UsdmSymbol | None:
    for symbol in market.symbols.values():
        if symbol.pair == pair and symbol.instrument.contract_type == kind:
            return symbol
    return None


def continuous_kline(
    market: UsdmMarket, _: None, match: re.Match[str], second: int
) -> list[dict[str, Any]]:
    """The continuous kline events of ``second`` (none for an unlisted contract)."""
    symbol = _contract(market, match.group("pair").upper(), match.group("contract").upper())
    if symbol is None:
        return []
    interval = match.group("interval")
    now = second * 1000
    core, instrument = market.core, symbol.instrument

    def event(bar: list[Any], closed: bool) -> dict[str, Any]:
        pair = symbol.pair
        return continuous_kline_event(core, instrument, pair, interval, now, bar, closed)

    def bars(end: int | None, at: int) -> list[list[Any]]:
        return market.klines(symbol, interval, None, end, 1, at)

    return candle_payloads(bars, now, event)
