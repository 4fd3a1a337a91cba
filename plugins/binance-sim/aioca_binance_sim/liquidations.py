"""Other traders' liquidations, for the ``<symbol>@forceOrder`` and ``!forceOrder@arr``
streams: a seeded function of (contract, second), computed from the market like its
trades, so two simulators with the same seed push the same liquidations and nothing is
stored.

Binance pushes, per symbol, at most the latest liquidation of each 1000 ms, and nothing
for a second without one. The simulator's stream of second ``s`` (published with event
time ``s * 1000``) carries the liquidation of the window ``[s * 1000 - 1000, s * 1000)``,
so every liquidation it pushes has already happened. In each window a contract has one
with probability :data:`CHANCE`; its figures are plausible by construction:

* the side follows the price: after a falling trade mostly longs are closed (``SELL``),
  after a rising one mostly shorts (``BUY``);
* it fills whole (``FILLED``, LIMIT IOC as Binance shows them) at the book's best price on
  its side during that window (``ap``: the best bid for a sale, the best ask for a
  purchase: what REST's depth showed then), and no more than that level held;
* its limit price ``p`` (the bankruptcy price) lies 0.1 % to 1 % beyond ``ap``, on the
  tick, within the contract's ``PERCENT_PRICE`` band (5 %);
* its quantity is a whole number of lots, from one lot up to the market's largest trade,
  so within ``LOT_SIZE``.

This module serves COIN-M (:data:`COINM_LIQUIDATION_FEEDS`, whose paper account is never
liquidated, as ``/dapi/v1/forceOrders`` answers); USDⓈ-M writes the same liquidations
its way and adds the account's own (:mod:`.usdm.liquidations`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, NamedTuple

from .instruments import Instrument
from .market import Market, book_step
from .noise import unit

__all__ = [
    "CHANCE",
    "COINM_LIQUIDATION_FEEDS",
    "Liquidation",
    "force_order_event",
    "market_liquidation",
]

CHANCE = 0.1
"""The probability that a contract has a liquidation in a given second."""

_LEVEL = 50
"""The noise levels 50..54 of the contract's stream are the liquidations' (the market's
trades, book and funding use other levels)."""


class Liquidation(NamedTuple):
    """One liquidation order, filled whole: prices in ticks, quantity in lots."""

    time: int
    """When it filled (ms)."""
    side: str
    """``SELL`` closes a long position, ``BUY`` a short one."""
    price: int
    """The order's limit price (the bankruptcy price), beyond ``average``."""
    average: int
    """The price it filled at: the book's best price on its side."""
    qty: int


def market_liquidation(market: Market, instrument: Instrument, second: int) -> Liquidation | None:
    """The liquidation of ``instrument`` pushed for ``second`` (one in the window
    ``[second * 1000 - 1000, second * 1000)``), or ``None`` for none."""
    key = instrument.key
    if unit(key, second, _LEVEL) >= CHANCE:
        return None
    time = (second - 1) * 1000 + int(unit(key, second, _LEVEL + 1) * 1000)
    last = market.last_trade(instrument, time)
    before = market.trade(instrument, last.id - 1)
    odds = 0.5 if last.ticks == before.ticks else 0.8 if last.ticks < before.ticks else 0.2
    sell = unit(key, second, _LEVEL + 2) < odds
    bids, asks = market.book_levels(instrument, book_step(time), 1)
    ((average, resting),) = (bids if sell else asks).items()
    qty = 1 + int(unit(key, second, _LEVEL + 3) ** 2 * instrument.pair.lot)
    through = max(1, round(average * (0.001 + 0.009 * unit(key, second, _LEVEL + 4))))
    return Liquidation(
        time=time,
        side="SELL" if sell else "BUY",
        price=average - through if sell else average + through,
        average=average,
        qty=min(qty, resting),
    )


def force_order_event(second: int, order: dict[str, Any]) -> dict[str, Any]:
    """A ``forceOrder`` event of ``second`` carrying ``order`` (its ``o``)."""
    return {"e": "forceOrder", "E": second * 1000, "o": order}


def _coinm_order(instrument: Instrument, liquidation: Liquidation) -> dict[str, Any]:
    text = instrument.price_text
    qty = str(liquidation.qty)
    return {
        "s": instrument.symbol,
        "ps": instrument.pair.name,
        "S": liquidation.side,
        "o": "LIMIT",
        "f": "IOC",
        "q": qty,
        "p": text(liquidation.price),
        "ap": text(liquidation.average),
        "X": "FILLED",
        "l": qty,
        "z": qty,
        "T": liquidation.time,
    }


def _coinm_force_order(
    market: Market, instrument: Instrument, match: re.Match[str], second: int
) -> list[dict[str, Any]]:
    liquidation = market_liquidation(market, instrument, second)
    if liquidation is None:
        return []
    return [force_order_event(second, _coinm_order(instrument, liquidation))]


def _coinm_all_force_orders(
    market: Market, instrument: Any, match: re.Match[str], second: int
) -> list[dict[str, Any]]:
    """Every contract's liquidation of ``second``, one message each, as Binance sends
    them (the all-market stream is not an array, whatever its name says)."""
    return [
        payload
        for each in market.instruments.values()
        for payload in _coinm_force_order(market, each, match, second)
    ]


COINM_LIQUIDATION_FEEDS: tuple[
    tuple[re.Pattern[str], Callable[[Market, Any, re.Match[str], int], list[Any]]], ...
] = (
    (re.compile(r"(?P<symbol>[a-z0-9]+_[a-z0-9]+)@forceOrder$"), _coinm_force_order),
    (re.compile(r"!forceOrder@arr$"), _coinm_all_force_orders),
)
"""COIN-M's liquidation streams, as ``(topic pattern, builder)`` for its feed table."""
