"""The simulated Spot symbols and their exchange rules (``exchangeInfo``'s filters).

A handful of pairs quoted in USDT, USDC and BTC, with Binance's usual tick and step sizes.
Prices and quantities are kept as integer counts of ticks and steps wherever the engine
computes, so no float rounding ever decides a fill; they become Binance's fixed
eight-decimal strings only when written.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..errors import SimError
from ..noise import stream_key

__all__ = [
    "ORDER_TYPES",
    "SPOT_SYMBOLS",
    "SpotSymbol",
    "build_symbols",
    "dec",
    "filter_failure",
]

ORDER_TYPES = (
    "LIMIT",
    "LIMIT_MAKER",
    "MARKET",
    "STOP_LOSS",
    "STOP_LOSS_LIMIT",
    "TAKE_PROFIT",
    "TAKE_PROFIT_LIMIT",
)
STP_MODES = ("NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH", "DECREMENT", "TRANSFER")
MAX_NUM_ORDERS = 200
MAX_NUM_ALGO_ORDERS = 5
MAX_NUM_ORDER_LISTS = 20
ICEBERG_PARTS = 100
MIN_TRAILING_DELTA = 10
MAX_TRAILING_DELTA = 2000
"""TRAILING_DELTA's bounds in BIPS, both directions (Binance's usual 10..2000)."""
EXCHANGE_MAX_NUM_ORDERS = 1000


def dec(value: Decimal | int | float, places: int = 8) -> str:
    """A number as Binance writes it: fixed ``places`` decimals."""
    return f"{Decimal(value):.{places}f}"


def filter_failure(name: str) -> SimError:
    return SimError(-1013, f"Filter failure: {name}")


@dataclass(frozen=True, slots=True)
class SpotSymbol:
    """One trading pair: its assets, how it moves, and its filters."""

    symbol: str
    base: str
    quote: str
    price: float
    """Where the price path is anchored (its long-run level), in quote per base."""
    tick: Decimal
    step: Decimal
    min_notional: Decimal
    sigma: float
    """Per-minute volatility of the log price."""
    lot: Decimal
    """Largest size of one synthetic trade, in base asset."""
    max_qty: Decimal = Decimal("9000")
    market_max_qty: Decimal = Decimal("100")
    key: int = 0
    """The noise stream of this symbol (set by :func:`build_symbols`)."""

    @property
    def min_price(self) -> Decimal:
        return self.tick

    @property
    def max_price(self) -> Decimal:
        return Decimal(self.price * 100).quantize(self.tick)

    def price_text(self, ticks: int) -> str:
        return dec(self.tick * ticks)

    def qty_text(self, steps: int) -> str:
        return dec(self.step * steps)

    def to_ticks(self, price: Decimal) -> int:
        return int(price / self.tick)

    def to_steps(self, qty: Decimal) -> int:
        return int(qty / self.step)

    def filters(self) -> list[dict[str, Any]]:
        """The symbol's filters as ``exchangeInfo`` lists them."""
        return [
            {
                "filterType": "PRICE_FILTER",
                "minPrice": dec(self.min_price),
                "maxPrice": dec(self.max_price),
                "tickSize": dec(self.tick),
            },
            {
                "filterType": "LOT_SIZE",
                "minQty": dec(self.step),
                "maxQty": dec(self.max_qty),
                "stepSize": dec(self.step),
            },
            {"filterType": "ICEBERG_PARTS", "limit": ICEBERG_PARTS},
            {
                "filterType": "MARKET_LOT_SIZE",
                "minQty": dec(0),
                "maxQty": dec(self.market_max_qty),
                "stepSize": dec(0),
            },
            {
                "filterType": "TRAILING_DELTA",
                "minTrailingAboveDelta": MIN_TRAILING_DELTA,
                "maxTrailingAboveDelta": MAX_TRAILING_DELTA,
                "minTrailingBelowDelta": MIN_TRAILING_DELTA,
                "maxTrailingBelowDelta": MAX_TRAILING_DELTA,
            },
            {
                "filterType": "PERCENT_PRICE_BY_SIDE",
                "bidMultiplierUp": "5",
                "bidMultiplierDown": "0.2",
                "askMultiplierUp": "5",
                "askMultiplierDown": "0.2",
                "avgPriceMins": 5,
            },
            {
                "filterType": "NOTIONAL",
                "minNotional": dec(self.min_notional),
                "applyMinToMarket": True,
                "maxNotional": dec(9_000_000),
                "applyMaxToMarket": False,
                "avgPriceMins": 5,
            },
            {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": MAX_NUM_ORDERS},
            {"filterType": "MAX_NUM_ORDER_LISTS", "maxNumOrderLists": MAX_NUM_ORDER_LISTS},
            {"filterType": "MAX_NUM_ALGO_ORDERS", "maxNumAlgoOrders": MAX_NUM_ALGO_ORDERS},
        ]

    def info(self, show_permission_sets: bool = True) -> dict[str, Any]:
        """The symbol's entry in ``exchangeInfo``."""
        return {
            "symbol": self.symbol,
            "status": "TRADING",
            "baseAsset": self.base,
            "baseAssetPrecision": 8,
            "quoteAsset": self.quote,
            "quotePrecision": 8,
            "quoteAssetPrecision": 8,
            "baseCommissionPrecision": 8,
            "quoteCommissionPrecision": 8,
            "orderTypes": list(ORDER_TYPES),
            "icebergAllowed": True,
            "ocoAllowed": True,
            "otoAllowed": True,
            "opoAllowed": True,
            "quoteOrderQtyMarketAllowed": True,
            "allowTrailingStop": True,
            "cancelReplaceAllowed": True,
            "amendAllowed": True,
            "pegInstructionsAllowed": True,
            "isSpotTradingAllowed": True,
            "isMarginTradingAllowed": False,
            "filters": self.filters(),
            "permissions": [],
            "permissionSets": [["SPOT"]] if show_permission_sets else [],
            "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
            "allowedSelfTradePreventionModes": list(STP_MODES),
        }

    # --- the filters, enforced --------------------------------------------------------

    def check_price(self, price: Decimal) -> None:
        """PRICE_FILTER: within bounds and a whole number of ticks."""
        if price < self.min_price or price > self.max_price or (price - self.min_price) % self.tick:
            raise filter_failure("PRICE_FILTER")

    def check_quantity(self, qty: Decimal, *, market: bool = False) -> None:
        """LOT_SIZE (and MARKET_LOT_SIZE for market orders, whose step is not enforced:
        Binance lists it as 0)."""
        if qty < self.step or qty > self.max_qty or qty % self.step:
            raise filter_failure("LOT_SIZE")
        if market and qty > self.market_max_qty:
            raise filter_failure("MARKET_LOT_SIZE")

    def check_notional(self, notional: Decimal, *, market: bool = False) -> None:
        if notional < self.min_notional or (not market and notional > 9_000_000):
            raise filter_failure("NOTIONAL")

    def check_trailing_delta(self, side: str, kind: str, delta: int) -> None:
        """TRAILING_DELTA: the "above" bounds for a buy stop loss and a sell take profit
        (their trigger is above the market), the "below" bounds for the others."""
        if not MIN_TRAILING_DELTA <= delta <= MAX_TRAILING_DELTA:
            raise filter_failure("TRAILING_DELTA")

    def check_percent_price(self, side: str, price: Decimal, average: Decimal) -> None:
        """PERCENT_PRICE_BY_SIDE: a limit price within 0.2x..5x of the 5-minute average."""
        if not average * Decimal("0.2") <= price <= average * 5:
            raise filter_failure("PERCENT_PRICE_BY_SIDE")


SPOT_SYMBOLS: tuple[SpotSymbol, ...] = (
    SpotSymbol("BTCUSDT", "BTC", "USDT", 95_000.0, Decimal("0.01"), Decimal("0.00001"),
               Decimal("5"), 0.0006, Decimal("0.8"), max_qty=Decimal("9000"),
               market_max_qty=Decimal("100")),
    SpotSymbol("ETHUSDT", "ETH", "USDT", 3_300.0, Decimal("0.01"), Decimal("0.0001"),
               Decimal("5"), 0.0008, Decimal("12"), market_max_qty=Decimal("2000")),
    SpotSymbol("BNBUSDT", "BNB", "USDT", 650.0, Decimal("0.01"), Decimal("0.001"),
               Decimal("5"), 0.0008, Decimal("40"), max_qty=Decimal("90000"),
               market_max_qty=Decimal("5000")),
    SpotSymbol("SOLUSDT", "SOL", "USDT", 180.0, Decimal("0.01"), Decimal("0.001"),
               Decimal("5"), 0.0010, Decimal("200"), max_qty=Decimal("90000"),
               market_max_qty=Decimal("20000")),
    SpotSymbol("XRPUSDT", "XRP", "USDT", 2.2, Decimal("0.0001"), Decimal("0.1"),
               Decimal("5"), 0.0010, Decimal("20000"), max_qty=Decimal("9000000"),
               market_max_qty=Decimal("2000000")),
    SpotSymbol("BTCUSDC", "BTC", "USDC", 95_000.0, Decimal("0.01"), Decimal("0.00001"),
               Decimal("5"), 0.0006, Decimal("0.5"), market_max_qty=Decimal("100")),
    SpotSymbol("ETHBTC", "ETH", "BTC", 0.035, Decimal("0.00001"), Decimal("0.0001"),
               Decimal("0.0001"), 0.0006, Decimal("10"), max_qty=Decimal("100000"),
               market_max_qty=Decimal("2000")),
    SpotSymbol("BNBBTC", "BNB", "BTC", 0.0068, Decimal("0.000001"), Decimal("0.001"),
               Decimal("0.0001"), 0.0006, Decimal("30"), max_qty=Decimal("100000"),
               market_max_qty=Decimal("5000")),
)  # fmt: skip
"""The listed symbols; their prices start near Binance's of late 2025."""


def build_symbols(seed: int) -> dict[str, SpotSymbol]:
    """The symbols of one simulator, each with the noise stream of ``seed``."""
    from dataclasses import replace

    return {
        spec.symbol: replace(spec, key=stream_key(seed, "spot", spec.symbol))
        for spec in SPOT_SYMBOLS
    }


RATE_LIMITS: list[dict[str, Any]] = [
    {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000},
    {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
    {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": 200000},
    {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5, "limit": 61000},
]
"""Binance Spot's published budgets (its ``exchangeInfo``)."""
