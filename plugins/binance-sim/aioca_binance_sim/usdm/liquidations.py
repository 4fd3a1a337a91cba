"""USDⓈ-M's liquidation streams, ``<symbol>@forceOrder`` and ``!forceOrder@arr``: the
market's liquidations of other traders (:func:`~..liquidations.market_liquidation`, the
same seeded ones as COIN-M's, in the symbol's quantity steps), and the account's own.

The account can be liquidated on USDⓈ-M (``UsdmEngine._liquidate``, at a trade time,
when the mark price eats its margin): the stream of the second after it then carries
that liquidation order, with the figures ``/fapi/v1/forceOrders`` answers for it (side,
limit and average price, quantity, time). Binance pushes only the latest liquidation of
a symbol in each 1000 ms; the simulator's rule is that in a window with the account's
liquidation, that one is the symbol's (the last of them if several positions of the
symbol were closed at once), not the synthetic other trader's.

The engine settles what happened since the last request lazily (``catch_up``); before
it builds a window, the feed catches the engine up to that window's end, as a request
at that moment would, so a liquidation reaches the stream without waiting for a REST
call (and its user-data events with it). The window has passed when it is built (the
hub builds seconds up to now), so the account never runs ahead of the clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..feeds import Feed
from ..liquidations import force_order_event, market_liquidation

if TYPE_CHECKING:
    from .feeds import UsdmFeeds
    from .instruments import UsdmSymbol

__all__ = ["USDM_LIQUIDATION_FEEDS", "AccountFeed", "own_liquidation_orders"]


@dataclass(frozen=True, slots=True)
class AccountFeed(Feed):
    """A feed whose builder takes the market's feed source (:class:`~.feeds.UsdmFeeds`,
    market and account) instead of the market alone."""


def own_liquidation_orders(feeds: UsdmFeeds, symbol: UsdmSymbol, second: int) -> list[Any]:
    """The account's liquidation orders of ``symbol`` in the window of ``second``
    (``[second * 1000 - 1000, second * 1000)``), oldest first, the engine caught up to
    the window's end first."""
    engine = feeds.engine
    engine.catch_up(second * 1000 - 1)
    start = second * 1000 - 1000
    orders = (engine.orders[order_id] for order_id in engine.liquidations)
    return [o for o in orders if o.symbol is symbol and start <= o.time < second * 1000]


def _force_order(
    feeds: UsdmFeeds, symbol: UsdmSymbol, match: re.Match[str], second: int
) -> list[dict[str, Any]]:
    own = own_liquidation_orders(feeds, symbol, second)
    if own:
        data = own[-1].to_json(with_time=True)
        order = {
            "s": symbol.name,
            "S": data["side"],
            "o": data["type"],
            "f": data["timeInForce"],
            "q": data["origQty"],
            "p": data["price"],
            "ap": symbol.price_text(own[-1].average_price()),
            "X": data["status"],
            "l": data["executedQty"],  # filled at once, whole
            "z": data["executedQty"],
            "T": data["updateTime"],
        }
        return [force_order_event(second, order)]
    liquidation = market_liquidation(feeds.market.core, symbol.instrument, second)
    if liquidation is None:
        return []
    qty = symbol.qty_text(symbol.steps_qty(liquidation.qty))
    order = {
        "s": symbol.name,
        "S": liquidation.side,
        "o": "LIMIT",
        "f": "IOC",
        "q": qty,
        "p": symbol.price_text(symbol.ticks_price(liquidation.price)),
        "ap": symbol.price_text(symbol.ticks_price(liquidation.average)),
        "X": "FILLED",
        "l": qty,
        "z": qty,
        "T": liquidation.time,
    }
    return [force_order_event(second, order)]


def _all_force_orders(
    feeds: UsdmFeeds, symbol: Any, match: re.Match[str], second: int
) -> list[dict[str, Any]]:
    """Every symbol's liquidation of ``second``, one message each, as Binance sends them."""
    return [
        payload
        for each in feeds.venue.symbols.values()
        for payload in _force_order(feeds, each, match, second)
    ]


USDM_LIQUIDATION_FEEDS: tuple[Feed, ...] = (
    AccountFeed(re.compile(r"(?P<symbol>[a-z0-9]+(?:_[0-9]+)?)@forceOrder$"), _force_order),
    AccountFeed(re.compile(r"!forceOrder@arr$"), _all_force_orders),
)
"""USDⓈ-M's liquidation streams, for its feed table."""
