"""The position settings both futures markets share, with Binance's refusals: the margin
type of a symbol and the account's position mode follow the same rules on COIN-M and
USDⓈ-M, so both engines change them here."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sized
from decimal import Decimal
from typing import Protocol

from .errors import SimError

__all__ = ["change_margin_type", "change_position_mode"]


class _Settings(Protocol):
    isolated: set[str]
    dual_side: bool


class _Held(Protocol):
    @property
    def amount(self) -> Decimal | int: ...  # contracts (COIN-M) or a base quantity


def change_margin_type(
    account: _Settings,
    positions: Mapping[tuple[str, str], _Held],
    open_orders: Sized,
    symbol: str,
    margin_type: str,
) -> None:
    """ISOLATED or CROSSED for ``symbol``: refused when it is already so (-4046), or while
    the symbol has open orders (-4047) or a position (-4048)."""
    isolated = margin_type == "ISOLATED"
    if isolated == (symbol in account.isolated):
        raise SimError(-4046, "No need to change margin type.")
    if len(open_orders):
        raise SimError(-4047, "Margin type cannot be changed if there exists open orders.")
    if any(held.amount for (name, _), held in positions.items() if name == symbol):
        raise SimError(-4048, "Margin type cannot be changed if there exists position.")
    if isolated:
        account.isolated.add(symbol)
    else:
        account.isolated.discard(symbol)


def change_position_mode(
    account: _Settings, positions: Iterable[_Held], open_orders: Sized, dual: bool
) -> None:
    """Hedge (``dual``) or one-way mode: refused when it is already so (-4059), or while
    the account has open orders (-4067) or any position (-4068)."""
    if dual == account.dual_side:
        raise SimError(-4059, "No need to change position side.")
    if len(open_orders):
        raise SimError(-4067, "Position side cannot be changed if there exists open orders.")
    if any(held.amount for held in positions):
        raise SimError(-4068, "Position side cannot be changed if there exists position.")
    account.dual_side = dual
