"""Spot user-data events that are not an order's own: ``listStatus`` (an order list's
state), ``balanceUpdate`` (a deposit or withdrawal) and ``externalLockUpdate`` (part of a
balance locked or unlocked by something outside Spot trading), keys in the order of
Binance's documented examples (``user-data-stream.md``, ``spec/binance-ws-streams.json``).

Binance says only that a ``listStatus`` is sent "in addition to the ``executionReport``"
of an order list's order; the simulator sends one per action on the list (its placement,
a leg's fill, expiry or cancellation, with what that set off), after that action's
``executionReport`` events, carrying the list's state as the action left it: what the
REST answer of that action (or ``GET /api/v3/orderList`` right after) shows. An
amendment (Order Amend Keep Priority) of a leg that changed its client id is such an
action too: its ``listStatus`` has ``l`` UPDATED, as Binance's Order Amend Keep Priority
FAQ says, and the list's new client ids in ``O``; the list's own ``listStatusType`` (REST)
stays what it was.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .orders import OrderList

__all__ = ["balance_update", "external_lock_update", "list_status"]


def list_status(order_list: OrderList, now: int, status_type: str | None = None) -> dict[str, Any]:
    """The ``listStatus`` event of ``order_list`` as it is at ``now``; ``l`` is
    ``status_type`` (``UPDATED`` for an amendment of a leg's client id), else the list's
    own ``listStatusType``."""
    symbol = order_list.spec.symbol
    return {
        "e": "listStatus",
        "E": now,
        "s": symbol,
        "g": order_list.list_id,
        "c": order_list.contingency,
        "l": status_type or order_list.status_type,
        "L": order_list.order_status,
        "r": "NONE",
        "C": order_list.client_id,
        "T": now,
        "O": [{"s": o.symbol, "i": o.order_id, "c": o.client_id} for o in order_list.orders],
    }


def balance_update(asset: str, delta: Decimal, now: int) -> dict[str, Any]:
    """The ``balanceUpdate`` event of a deposit (``delta`` > 0) or withdrawal (< 0)."""
    return {"e": "balanceUpdate", "E": now, "a": asset, "d": f"{delta:.8f}", "T": now}


def external_lock_update(asset: str, delta: Decimal, now: int) -> dict[str, Any]:
    """The ``externalLockUpdate`` event of an external lock (``delta`` > 0) or unlock
    (< 0)."""
    return {"e": "externalLockUpdate", "E": now, "a": asset, "d": f"{delta:.8f}", "T": now}
