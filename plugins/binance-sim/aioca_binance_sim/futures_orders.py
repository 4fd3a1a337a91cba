"""Order rules both futures markets share: Binance states them alike for COIN-M and
USDⓈ-M, so both engines apply them from here rather than each its own copy.

- A post-only (``GTX``) order that would take is refused with -5022 GTX_ORDER_REJECT
  ("Due to the order could not be executed as maker, the Post Only order will be
  rejected."): the USDⓈ-M error page lists it, and the COIN-M extract
  (``plugins/binance/spec/binance-signing-and-errors.md`` § 6.1) notes that this 50xx
  reject shows up in COIN-M order responses too; nothing is placed, nothing reported.
- A modification resets the order's self-trade prevention mode to ``NONE`` (Binance's STP
  FAQ; Binance applies STP to COIN-M as to USDⓈ-M since 2024-12-10) and the point from
  which public trades may fill it: a trade before the modification met the old price, not
  the new one.
"""

from __future__ import annotations

from typing import Protocol

from .errors import SimError

__all__ = ["refuse_taking_post_only", "reset_on_modify"]


def refuse_taking_post_only(time_in_force: str | None, takes: bool) -> None:
    """Refuse (-5022) a ``GTX`` order that would take from the book at once."""
    if time_in_force == "GTX" and takes:
        raise SimError(
            -5022,
            "Due to the order could not be executed as maker, the Post Only order will be "
            "rejected.",
        )


class _Modified(Protocol):
    stp_mode: str
    checked_ms: int


def reset_on_modify(order: _Modified, now: int) -> None:
    """What a modification resets besides price and quantity: the STP mode, and the time
    from which public trades are scanned for the order's new price."""
    order.stp_mode = "NONE"
    order.checked_ms = now
