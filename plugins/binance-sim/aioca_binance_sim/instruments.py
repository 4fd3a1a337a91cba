"""The simulated contracts: perpetuals of a few pairs, and BTC and ETH quarterlies.

Quarterly symbols depend on the date (``BTCUSD_261225`` delivers on 25 December 2026, the
last Friday of the quarter, at 08:00 UTC), so they are derived from the simulator's clock
when it starts: the current and the next quarter, as Binance lists them.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from typing import Any

from .noise import stream_key

__all__ = [
    "PAIRS",
    "Instrument",
    "Pair",
    "build_instruments",
    "past_deliveries",
    "quarter_deliveries",
]


@dataclass(frozen=True, slots=True)
class Pair:
    """An underlying: its index, the coin margining its contracts, and how it moves."""

    name: str
    base: str
    price: float
    """The index price the path starts from (its long-run level)."""
    tick_decimals: int
    contract_size: int
    sigma: float
    """Per-minute volatility of the log price."""
    lot: int
    """Largest quantity of one synthetic trade, in contracts."""
    components: tuple[tuple[str, float], ...] = ()
    """A composite index's ``(component pair, weight in quantity)``: its index is the
    weighted sum of the components' indices (Binance prices its composite index contracts,
    DEFIUSDT, so), not a path of its own; empty for a single coin."""


PAIRS: tuple[Pair, ...] = (
    Pair("BTCUSD", "BTC", 90_000.0, 1, 100, 0.0006, 40),
    Pair("ETHUSD", "ETH", 3_000.0, 2, 10, 0.0008, 200),
    Pair("BNBUSD", "BNB", 600.0, 3, 10, 0.0008, 100),
    Pair("SOLUSD", "SOL", 150.0, 3, 10, 0.0010, 100),
    Pair("XRPUSD", "XRP", 2.0, 4, 10, 0.0010, 300),
)
"""Contract size: 100 USD for BTC, 10 USD for the others, as on Binance COIN-M."""

_QUARTERLY_PAIRS = ("BTCUSD", "ETHUSD")
_DELIVERY_HOUR_MS = 8 * 3_600_000


@dataclass(frozen=True, slots=True)
class Instrument:
    """One contract: ``symbol`` (``BTCUSD_PERP``, ``BTCUSD_261225``) of ``pair``."""

    symbol: str
    pair: Pair
    contract_type: str
    delivery_ms: int
    onboard_ms: int
    key: int
    """The noise stream of this contract's own premium and trades."""

    @property
    def perpetual(self) -> bool:
        return self.contract_type == "PERPETUAL"

    @property
    def tick(self) -> float:
        return 10.0**-self.pair.tick_decimals

    def price_text(self, ticks: int) -> str:
        """A price in ticks as Binance writes it (fixed decimals)."""
        decimals = self.pair.tick_decimals
        return f"{ticks / 10**decimals:.{decimals}f}"

    def symbol_info(self) -> dict[str, Any]:
        """This contract's entry in exchangeInfo's ``symbols``."""
        decimals = self.pair.tick_decimals
        tick = f"{10.0**-decimals:.{decimals}f}"
        return {
            "symbol": self.symbol,
            "pair": self.pair.name,
            "contractType": self.contract_type,
            "deliveryDate": self.delivery_ms,
            "onboardDate": self.onboard_ms,
            "contractStatus": "TRADING",
            "contractSize": self.pair.contract_size,
            "marginAsset": self.pair.base,
            "maintMarginPercent": "2.5000",
            "requiredMarginPercent": "5.0000",
            "baseAsset": self.pair.base,
            "quoteAsset": "USD",
            "pricePrecision": decimals,
            "quantityPrecision": 0,
            "baseAssetPrecision": 8,
            "quotePrecision": 8,
            "equalQtyPrecision": 4,
            "triggerProtect": "0.0500",
            "underlyingType": "COIN",
            "underlyingSubType": [],
            "filters": [
                {
                    "filterType": "PRICE_FILTER",
                    "minPrice": tick,
                    "maxPrice": f"{self.pair.price * 20:.{decimals}f}",
                    "tickSize": tick,
                },
                {"filterType": "LOT_SIZE", "minQty": "1", "maxQty": "1000000", "stepSize": "1"},
                {
                    "filterType": "MARKET_LOT_SIZE",
                    "minQty": "1",
                    "maxQty": "100000",
                    "stepSize": "1",
                },
                {"filterType": "MAX_NUM_ORDERS", "limit": 200},
                {"filterType": "MAX_NUM_ALGO_ORDERS", "limit": 100},
                {
                    "filterType": "PERCENT_PRICE",
                    "multiplierUp": "1.0500",
                    "multiplierDown": "0.9500",
                    "multiplierDecimal": "4",
                },
            ],
            # The live API's key: the documentation's example writes "OrderType" (a typo
            # the official Java connector once copied and had to fix), and ccxt reads
            # "orderTypes" to decide which order types a market accepts.
            "orderTypes": [
                "LIMIT",
                "MARKET",
                "STOP",
                "STOP_MARKET",
                "TAKE_PROFIT",
                "TAKE_PROFIT_MARKET",
                "TRAILING_STOP_MARKET",
            ],
            "timeInForce": ["GTC", "IOC", "FOK", "GTX"],
            "liquidationFee": "0.015000",
            "marketTakeBound": "0.05",
        }


def _last_friday(year: int, month: int) -> dt.date:
    last_day = calendar.monthrange(year, month)[1]
    day = dt.date(year, month, last_day)
    return day - dt.timedelta(days=(day.weekday() - calendar.FRIDAY) % 7)


def quarter_deliveries(after_ms: int, count: int) -> list[int]:
    """The next ``count`` quarterly delivery times (ms) after ``after_ms``: the last
    Friday of March, June, September and December, 08:00 UTC."""
    moment = dt.datetime.fromtimestamp(after_ms / 1000, tz=dt.UTC)
    year, month = moment.year, moment.month
    found: list[int] = []
    while len(found) < count:
        if month % 3 == 0:
            day = _last_friday(year, month)
            at = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
            ms = int(at.timestamp() * 1000) + _DELIVERY_HOUR_MS
            if ms > after_ms:
                found.append(ms)
        month += 1
        if month == 13:
            year, month = year + 1, 1
    return found


def past_deliveries(before_ms: int, count: int) -> list[int]:
    """The ``count`` latest quarterly delivery times before ``before_ms``, newest first."""
    found: list[int] = []
    start = before_ms - 400 * 86_400_000 * ((count + 3) // 4)
    for ms in quarter_deliveries(start, count + 8):
        if ms < before_ms:
            found.append(ms)
    return sorted(found, reverse=True)[:count]


def build_instruments(seed: int, now_ms: int) -> dict[str, Instrument]:
    """The contracts listed at ``now_ms``: a perpetual per pair, and the current and next
    quarter of BTCUSD and ETHUSD."""
    instruments: dict[str, Instrument] = {}
    perpetual_delivery = 4_133_404_800_000  # 2100-12-25, as Binance writes it
    for pair in PAIRS:
        symbol = f"{pair.name}_PERP"
        instruments[symbol] = Instrument(
            symbol, pair, "PERPETUAL", perpetual_delivery, 1_597_042_800_000,
            stream_key(seed, symbol),
        )  # fmt: skip
    current, following = quarter_deliveries(now_ms, 2)
    for pair in PAIRS:
        if pair.name not in _QUARTERLY_PAIRS:
            continue
        for kind, delivery in (("CURRENT_QUARTER", current), ("NEXT_QUARTER", following)):
            day = dt.datetime.fromtimestamp(delivery / 1000, tz=dt.UTC).strftime("%y%m%d")
            symbol = f"{pair.name}_{day}"
            onboard = delivery - 180 * 86_400_000
            instruments[symbol] = Instrument(
                symbol, pair, kind, delivery, onboard, stream_key(seed, symbol)
            )
    return instruments
