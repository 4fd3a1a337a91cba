"""The USDⓈ-M venue: what a USDⓈ-M handler finds in ``Call.venue``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import SimError, bad_symbol
from .engine import UsdmEngine
from .instruments import UsdmSymbol, build_symbols
from .market import UsdmMarket

__all__ = ["RATE_LIMITS", "UsdmVenue", "build_venue"]

RATE_LIMITS: tuple[dict[str, Any], ...] = (
    {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 2400},
    {"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1, "limit": 1200},
    {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 300},
)
"""Binance's USDⓈ-M defaults, listed when a request comes without the server's limits
(``Call.limits``, the budgets the server enforces, comes first)."""


@dataclass(slots=True)
class UsdmVenue:
    """The simulated USDⓈ-M exchange's state: market data and the paper account."""

    market: UsdmMarket
    engine: UsdmEngine
    symbols: dict[str, UsdmSymbol]
    clock: Callable[[], int] | None = None
    """The server's clock, in ms (handlers use ``Call.now``)."""
    rate_limits: list[dict[str, Any]] = field(default_factory=lambda: list(RATE_LIMITS))

    def symbol(self, name: str) -> UsdmSymbol:
        found = self.symbols.get(name)
        if found is None:
            raise bad_symbol()
        return found

    def selected(self, params: dict[str, Any]) -> list[UsdmSymbol]:
        """The symbols a ``symbol`` parameter names, or all of them."""
        if "symbol" in params:
            return [self.symbol(params["symbol"])]
        return list(self.symbols.values())

    def by_contract_type(self, pair: str, contract_type: str) -> UsdmSymbol:
        matches = [s for s in self.symbols.values() if s.pair == pair]
        if not matches:
            raise SimError(-4087, "Invalid pair.")
        for s in matches:
            if s.instrument.contract_type == contract_type:
                return s
        raise SimError(-4104, "Invalid contract type.")


def build_venue(seed: int, now_ms: int, clock: Callable[[], int] | None = None) -> UsdmVenue:
    """The USDⓈ-M venue of ``seed``, its contracts listed as of ``now_ms`` (quarterly
    symbols depend on the date) and its wallet funded then."""
    symbols = build_symbols(seed, now_ms)
    market = UsdmMarket(seed, symbols)
    return UsdmVenue(market, UsdmEngine(market, funded_ms=now_ms), symbols, clock)
