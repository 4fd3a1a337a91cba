"""Order rules both futures markets share: Binance states them alike for COIN-M and
USDⓈ-M, so both engines apply them from here rather than each its own copy.

- A taker walks the book (:func:`walk_book`): each price level from the best opposite
  one up to its limit gives what rests there, so an order larger than the level at the
  touch fills in part there and goes on (or rests, for a limit order, or expires, for
  MARKET and IOC).
- A ``FOK`` order the book cannot fill whole at once is refused with -5021
  FOK_ORDER_REJECT ("Due to the order could not be filled immediately, the FOK order has
  been rejected."), and a post-only (``GTX``) order that would take with -5022
  GTX_ORDER_REJECT ("Due to the order could not be executed as maker, the Post Only order
  will be rejected."): the USDⓈ-M error page lists both, and the COIN-M extract
  (``plugins/binance/spec/binance-signing-and-errors.md`` § 6.1) notes that these two
  50xx rejects ("FOK/GTX reject") show up in COIN-M order responses too; nothing is
  placed, nothing reported.
- Self-trade prevention (:func:`take`): a taker that reaches the account's own resting
  order acts by its ``selfTradePreventionMode``, which both markets' new-order pages list
  (EXPIRE_TAKER, EXPIRE_MAKER, EXPIRE_BOTH; NONE lets the orders be), where Binance says
  it acts: COIN-M "``selfTradePreventionMode`` is only effective when ``timeInForce`` set
  to ``IOC`` or ``GTC``", USDⓈ-M's STP FAQ adds ``GTD`` (COIN-M has no GTD).
- A modification resets the order's self-trade prevention mode to ``NONE`` (Binance's STP
  FAQ; Binance applies STP to COIN-M as to USDⓈ-M since 2024-12-10) and the point from
  which public trades may fill it: a trade before the modification met the old price, not
  the new one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Protocol, TypeVar

from .errors import SimError

__all__ = [
    "STP_MODES",
    "STP_TIFS",
    "own_makers",
    "refuse_taking_post_only",
    "refuse_unfillable_fok",
    "reset_on_modify",
    "take",
    "walk_book",
]

STP_MODES = ("EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH")
"""The self-trade prevention modes that act (``NONE`` does not)."""
STP_TIFS = ("GTC", "IOC", "GTD")
"""The times in force self-trade prevention acts for (not FOK, not GTX)."""
MAX_BOOK_LEVELS = 1000
"""How many price levels a taker walks at most (the simulated books' depth)."""

Quantity = TypeVar("Quantity", int, Decimal)
"""COIN-M counts contracts (``int``), USDⓈ-M the base asset (``Decimal``)."""


class _Matched(Protocol):
    """What the shared rules read of an order (both engines' ``Order`` have it)."""

    side: str
    type: str
    price: Decimal
    status: str
    time_in_force: str
    stp_mode: str

    @property
    def is_open(self) -> bool: ...


Matched = TypeVar("Matched", bound=_Matched)


def refuse_taking_post_only(time_in_force: str | None, takes: bool) -> None:
    """Refuse (-5022) a ``GTX`` order that would take from the book at once."""
    if time_in_force == "GTX" and takes:
        raise SimError(
            -5022,
            "Due to the order could not be executed as maker, the Post Only order will be "
            "rejected.",
        )


def refuse_unfillable_fok(
    time_in_force: str | None, levels: list[tuple[Decimal, Quantity]], quantity: Quantity
) -> None:
    """Refuse (-5021) a ``FOK`` order the book ``levels`` it would take cannot fill whole
    (one that would not take at all has none)."""
    if time_in_force == "FOK" and sum(qty for _, qty in levels) < quantity:
        raise SimError(
            -5021,
            "Due to the order could not be filled immediately, the FOK order has been rejected.",
        )


def walk_book(
    side: str,
    best: tuple[int, int],
    limit_ticks: int | None,
    quantity: Quantity,
    level_qty: Callable[[int], Quantity],
    price_of: Callable[[int], Decimal],
) -> list[tuple[Decimal, Quantity]]:
    """The ``(price, quantity)`` a taker of ``quantity`` gets, walking the book from the
    best opposite level (``best`` is ``(bid, ask)`` in ticks) up to its limit (None for
    MARKET): at each level what rests there (``level_qty`` of its ticks), until it has
    all it wants."""
    step = 1 if side == "BUY" else -1
    tick = best[1] if side == "BUY" else best[0]
    left = quantity
    result: list[tuple[Decimal, Quantity]] = []
    for _ in range(MAX_BOOK_LEVELS):
        if limit_ticks is not None and (
            tick > limit_ticks if side == "BUY" else tick < limit_ticks
        ):
            break
        got = min(left, level_qty(tick))
        result.append((price_of(tick), got))
        left -= got
        if not left:
            break
        tick += step
    return result


def _better(side: str, price: Decimal, than: Decimal) -> bool:
    """Whether a taker on ``side`` meets ``price`` before ``than``."""
    return price < than if side == "BUY" else price > than


def own_makers(taker: Matched, orders: Iterable[Matched], limit: Decimal | None) -> list[Matched]:
    """The account's own open LIMIT orders ``taker`` could meet: the other side, priced at
    or inside its ``limit`` (any, for a MARKET taker, whose limit is None)."""
    return [
        order
        for order in orders
        if order is not taker
        and order.is_open
        and order.side != taker.side
        and order.type == "LIMIT"
        and (limit is None or not _better(taker.side, limit, order.price))
    ]


def take(
    taker: Matched,
    levels: list[tuple[Decimal, Quantity]],
    makers: list[Matched],
    fill: Callable[[Decimal, Quantity], None],
    close: Callable[[Matched, str], None],
) -> None:
    """A new (announced) taker takes its book ``levels`` and meets the account's own
    resting ``makers`` (:func:`own_makers`) by its STP mode: the ones its walk reaches
    (a level at or beyond their price) are met; EXPIRE_MAKER expires those and the taker
    goes on, EXPIRE_TAKER stops the taker before the nearest (the levels better than its
    price still fill), EXPIRE_BOTH does both; an order so ended is ``EXPIRED_IN_MATCH``.
    What is left then of a MARKET or IOC taker expires (a limit one rests)."""
    stops_taker = False
    if taker.stp_mode in STP_MODES and taker.time_in_force in STP_TIFS:
        met = [m for m in makers if any(not _better(taker.side, p, m.price) for p, _ in levels)]
        if met:
            if taker.stp_mode in ("EXPIRE_MAKER", "EXPIRE_BOTH"):
                for maker in met:
                    close(maker, "EXPIRED_IN_MATCH")
            if taker.stp_mode in ("EXPIRE_TAKER", "EXPIRE_BOTH"):
                nearest = (min if taker.side == "BUY" else max)(m.price for m in met)
                levels = [(p, q) for p, q in levels if _better(taker.side, p, nearest)]
                stops_taker = True
    for price, qty in levels:
        fill(price, qty)
    if taker.is_open and stops_taker:
        close(taker, "EXPIRED_IN_MATCH")
    if taker.is_open and (taker.type == "MARKET" or taker.time_in_force == "IOC"):
        close(taker, "EXPIRED")


class _Modified(Protocol):
    stp_mode: str
    checked_ms: int


def reset_on_modify(order: _Modified, now: int) -> None:
    """What a modification resets besides price and quantity: the STP mode, and the time
    from which public trades are scanned for the order's new price."""
    order.stp_mode = "NONE"
    order.checked_ms = now
