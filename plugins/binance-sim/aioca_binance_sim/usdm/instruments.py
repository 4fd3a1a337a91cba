"""The simulated USDⓈ-M contracts: linear perpetuals margined in USDT and USDC, the
current and next quarter of BTCUSDT and ETHUSDT, and a composite index perpetual
(``DEFIUSDT``, see :data:`COMPOSITES`).

A USDⓈ-M contract is quoted and margined in a stablecoin and sized in the base coin
(``0.001`` BTC steps for BTCUSDT), so profit is ``qty * (exit - entry)`` in the quote
asset. The price paths, trades and book come from the COIN-M market machinery
(:class:`aioca_binance_sim.market.Market`), fed with COIN-M :class:`Instrument` objects
whose ``lot`` counts *quantity steps* instead of contracts; what only USDⓈ-M has (the
step size, the filters, the margin asset) lives in :class:`UsdmSymbol`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..instruments import Instrument, Pair, quarter_deliveries
from ..noise import stream_key

__all__ = ["COMPOSITES", "SYMBOLS", "Component", "UsdmSymbol", "build_symbols"]


@dataclass(frozen=True, slots=True)
class _Listing:
    symbol: str
    base: str
    quote: str
    price: float
    tick_decimals: int
    step_decimals: int
    sigma: float
    lot_steps: int
    """Largest synthetic trade, in quantity steps."""
    min_notional: int
    max_leverage: int


SYMBOLS: tuple[_Listing, ...] = (
    _Listing("BTCUSDT", "BTC", "USDT", 90_000.0, 1, 3, 0.0006, 2000, 100, 125),
    _Listing("ETHUSDT", "ETH", "USDT", 3_000.0, 2, 3, 0.0008, 20_000, 20, 100),
    _Listing("BNBUSDT", "BNB", "USDT", 600.0, 2, 2, 0.0008, 5_000, 5, 75),
    _Listing("SOLUSDT", "SOL", "USDT", 150.0, 3, 0, 0.0010, 300, 5, 75),
    _Listing("XRPUSDT", "XRP", "USDT", 2.0, 4, 1, 0.0010, 100_000, 5, 75),
    _Listing("BTCUSDC", "BTC", "USDC", 90_000.0, 1, 3, 0.0006, 1000, 5, 125),
    _Listing("ETHUSDC", "ETH", "USDC", 3_000.0, 2, 3, 0.0008, 10_000, 5, 100),
)
"""Perpetuals: tick and step decimals, minimum notional and maximum leverage as Binance
lists these symbols (rounded where it changes them from time to time)."""


@dataclass(frozen=True, slots=True)
class _CompositeListing:
    symbol: str
    base: str
    quote: str
    weights: tuple[tuple[str, str], ...]
    """``(component base asset, weight in quantity)``: units of the asset in one unit of
    the index; each component is priced by its perpetual's index (``ETH`` + ``USDT``)."""
    tick_decimals: int
    step_decimals: int
    lot_steps: int
    min_notional: int
    max_leverage: int


COMPOSITES: tuple[_CompositeListing, ...] = (
    _CompositeListing(
        "DEFIUSDT", "DEFI", "USDT",
        (("ETH", "0.1"), ("BNB", "0.5"), ("SOL", "1"), ("XRP", "125")),
        1, 3, 3000, 5, 25,
    ),
)  # fmt: skip
"""Composite index perpetuals, as Binance lists a few (``DEFIUSDT`` is its documented
example of ``indexInfo`` and ``<symbol>@compositeIndex``). The simulator prices no DeFi
token, so its ``DEFIUSDT`` is a basket of its own USDT perpetuals' coins, weighted to 30 %
ETH, 30 % BNB, 15 % SOL and 25 % XRP at their listing prices (an index of 1,000 then)."""

_QUARTERLY = ("BTCUSDT", "ETHUSDT")
_PERPETUAL_DELIVERY = 4_133_404_800_000  # 2100-12-25, as Binance writes it
_ONBOARD = 1_569_398_400_000


@dataclass(frozen=True, slots=True)
class Component:
    """One asset of a composite index: ``weight`` units of ``base`` per unit of the index,
    priced by the index of the perpetual ``symbol``; ``share`` is its part of the index at
    the listing prices (Binance's ``weightInPercentage``, fixed between rebalances)."""

    base: str
    quote: str
    weight: Decimal
    share: Decimal

    @property
    def symbol(self) -> str:
        return self.base + self.quote


@dataclass(frozen=True, slots=True)
class UsdmSymbol:
    """One USDⓈ-M contract: the market's :class:`Instrument` and its trading rules."""

    instrument: Instrument
    base: str
    quote: str
    step_decimals: int
    min_notional: int
    max_leverage: int
    components: tuple[Component, ...] = ()
    """A composite index contract's assets (empty for a coin's contract)."""

    @property
    def name(self) -> str:
        return self.instrument.symbol

    @property
    def pair(self) -> str:
        return self.instrument.pair.name

    @property
    def margin_asset(self) -> str:
        return self.quote

    @property
    def tick_decimals(self) -> int:
        return self.instrument.pair.tick_decimals

    @property
    def tick(self) -> Decimal:
        return Decimal(1).scaleb(-self.tick_decimals)

    @property
    def step(self) -> Decimal:
        return Decimal(1).scaleb(-self.step_decimals)

    @property
    def max_qty(self) -> Decimal:
        return Decimal(1000 * self.instrument.pair.lot).scaleb(-self.step_decimals)

    @property
    def market_max_qty(self) -> Decimal:
        return Decimal(100 * self.instrument.pair.lot).scaleb(-self.step_decimals)

    @property
    def max_price(self) -> Decimal:
        return Decimal(round(self.instrument.pair.price * 20))

    def price_text(self, value: Decimal | float) -> str:
        return f"{value:.{self.tick_decimals}f}"

    def qty_text(self, value: Decimal | int) -> str:
        return f"{Decimal(value):.{self.step_decimals}f}"

    def steps_qty(self, steps: int) -> Decimal:
        """A quantity in steps (the market's trade and book quantities) as a Decimal."""
        return Decimal(steps).scaleb(-self.step_decimals)

    def ticks_price(self, ticks: int) -> Decimal:
        return Decimal(ticks).scaleb(-self.tick_decimals)

    def symbol_info(self) -> dict[str, Any]:
        """This contract's entry in exchangeInfo's ``symbols``."""
        tick = self.price_text(self.tick)
        instrument = self.instrument
        return {
            "symbol": self.name,
            "pair": self.pair,
            "contractType": instrument.contract_type,
            "deliveryDate": instrument.delivery_ms,
            "onboardDate": instrument.onboard_ms,
            "status": "TRADING",
            "maintMarginPercent": "2.5000",
            "requiredMarginPercent": "5.0000",
            "baseAsset": self.base,
            "quoteAsset": self.quote,
            "marginAsset": self.quote,
            "pricePrecision": self.tick_decimals,
            "quantityPrecision": self.step_decimals,
            "baseAssetPrecision": 8,
            "quotePrecision": 8,
            # The spec's only example is a coin ("COIN"). "INDEX" for a composite index is
            # not from the spec: it is what Binance's live exchangeInfo gives its index
            # contracts (BTCDOMUSDT), unchecked against a documented example.
            "underlyingType": "INDEX" if self.components else "COIN",
            "underlyingSubType": ["Index"] if self.components else ["Layer-1"],
            "settlePlan": 0,
            "triggerProtect": "0.0500",
            "filters": [
                {
                    "filterType": "PRICE_FILTER",
                    "maxPrice": str(self.max_price),
                    "minPrice": tick,
                    "tickSize": tick,
                },
                {
                    "filterType": "LOT_SIZE",
                    "maxQty": self.qty_text(self.max_qty),
                    "minQty": self.qty_text(self.step),
                    "stepSize": self.qty_text(self.step),
                },
                {
                    "filterType": "MARKET_LOT_SIZE",
                    "maxQty": self.qty_text(self.market_max_qty),
                    "minQty": self.qty_text(self.step),
                    "stepSize": self.qty_text(self.step),
                },
                {"filterType": "MAX_NUM_ORDERS", "limit": 200},
                {"filterType": "MAX_NUM_ALGO_ORDERS", "limit": 10},
                {"filterType": "MIN_NOTIONAL", "notional": str(self.min_notional)},
                {
                    "filterType": "PERCENT_PRICE",
                    "multiplierUp": "1.0500",
                    "multiplierDown": "0.9500",
                    "multiplierDecimal": "4",
                },
            ],
            # The live API's key (the documentation's example writes "OrderType"; ccxt
            # reads "orderTypes"), as the COIN-M simulator sends it.
            "orderTypes": [
                "LIMIT",
                "MARKET",
                "STOP",
                "STOP_MARKET",
                "TAKE_PROFIT",
                "TAKE_PROFIT_MARKET",
                "TRAILING_STOP_MARKET",
            ],
            "timeInForce": ["GTC", "IOC", "FOK", "GTX", "GTD"],
            "liquidationFee": "0.012500",
            "marketTakeBound": "0.05",
        }


def _pair(listing: _Listing) -> Pair:
    return Pair(
        listing.symbol,
        listing.base,
        listing.price,
        listing.tick_decimals,
        1,
        listing.sigma,
        listing.lot_steps,
    )


def _composite(listing: _CompositeListing, seed: int) -> UsdmSymbol:
    """The perpetual of a composite index: its pair's index is the weighted sum of its
    components' (see ``Market.index_at``), starting from the listing prices."""
    prices = {s.symbol: Decimal(str(s.price)) for s in SYMBOLS}
    weights = [(base, Decimal(weight)) for base, weight in listing.weights]
    values = [weight * prices[base + listing.quote] for base, weight in weights]
    level = sum(values, Decimal(0))
    eight = Decimal("1e-8")
    components = tuple(
        Component(base, listing.quote, weight, (value / level).quantize(eight))
        for (base, weight), value in zip(weights, values, strict=True)
    )
    pair = Pair(
        listing.symbol,
        listing.base,
        float(level),
        listing.tick_decimals,
        1,
        0.0,  # no path of its own: the components move it
        listing.lot_steps,
        tuple((c.symbol, float(c.weight)) for c in components),
    )
    key = stream_key(seed, "usdm", listing.symbol)
    instrument = Instrument(listing.symbol, pair, "PERPETUAL", _PERPETUAL_DELIVERY, _ONBOARD, key)
    return UsdmSymbol(
        instrument,
        listing.base,
        listing.quote,
        listing.step_decimals,
        listing.min_notional,
        listing.max_leverage,
        components,
    )


def build_symbols(seed: int, now_ms: int) -> dict[str, UsdmSymbol]:
    """The contracts listed at ``now_ms``: a perpetual per listing, the current and next
    quarter of BTCUSDT and ETHUSDT (``BTCUSDT_261225``), and the composite indices'
    perpetuals."""
    symbols: dict[str, UsdmSymbol] = {}
    quarters = quarter_deliveries(now_ms, 2)
    for listing in SYMBOLS:
        pair = _pair(listing)
        contracts = [(listing.symbol, "PERPETUAL", _PERPETUAL_DELIVERY, _ONBOARD)]
        if listing.symbol in _QUARTERLY:
            for kind, delivery in zip(("CURRENT_QUARTER", "NEXT_QUARTER"), quarters, strict=True):
                day = dt.datetime.fromtimestamp(delivery / 1000, tz=dt.UTC).strftime("%y%m%d")
                onboard = delivery - 180 * 86_400_000
                contracts.append((f"{listing.symbol}_{day}", kind, delivery, onboard))
        for name, kind, delivery, onboard in contracts:
            instrument = Instrument(
                name, pair, kind, delivery, onboard, stream_key(seed, "usdm", name)
            )
            symbols[name] = UsdmSymbol(
                instrument,
                listing.base,
                listing.quote,
                listing.step_decimals,
                listing.min_notional,
                listing.max_leverage if kind == "PERPETUAL" else 75,
            )
    for composite in COMPOSITES:
        symbols[composite.symbol] = _composite(composite, seed)
    return symbols
