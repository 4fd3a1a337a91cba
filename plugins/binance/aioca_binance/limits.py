"""Binance's rate limits: the default windows, and the live ones ``exchangeInfo`` reports.

Binance counts IP weight per minute (``REQUEST_WEIGHT``, reported in
``X-MBX-USED-WEIGHT-1M``), orders per account over several periods (``ORDERS``,
``X-MBX-ORDER-COUNT-10S``/``-1M``) and, on Spot, raw requests. Each request charges its
weight to every ``REQUEST_WEIGHT`` window, its order count to every ``ORDERS`` window and 1
to every ``RAW_REQUEST`` window, whatever their periods.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from aioca import Window

__all__ = ["DEFAULT_WINDOWS", "costs", "windows_from_rate_limits"]

_INTERVAL_SECONDS = {"SECOND": 1, "MINUTE": 60, "HOUR": 3600, "DAY": 86400}
_HEADER_PREFIX = {"REQUEST_WEIGHT": "X-MBX-USED-WEIGHT-", "ORDERS": "X-MBX-ORDER-COUNT-"}

DEFAULT_WINDOWS: tuple[Window, ...] = (
    Window("REQUEST_WEIGHT", 2400, 60, header="X-MBX-USED-WEIGHT-1M"),
    Window("ORDERS", 1200, 60, header="X-MBX-ORDER-COUNT-1M", scope="account"),
    Window("ORDERS_10S", 300, 10, header="X-MBX-ORDER-COUNT-10S", unit="ORDERS", scope="account"),
)
"""Binance futures' published defaults (IP weight per minute, orders per minute and per
10 s, counted per account) until ``exchangeInfo`` gives the account's live limits."""


def costs(*, weight: int, orders: int = 0) -> dict[str, int]:
    """What a request charges: ``weight`` to the REQUEST_WEIGHT windows, ``orders`` to
    the ORDERS windows and 1 to RAW_REQUEST windows, whatever their periods."""
    return {"REQUEST_WEIGHT": weight, "ORDERS": orders, "RAW_REQUEST": 1}


def windows_from_rate_limits(rate_limits: Iterable[Mapping[str, Any]]) -> list[Window]:
    """Limiter windows from exchangeInfo's ``rateLimits`` entries, with the header in which
    Binance reports each one's usage."""
    windows = []
    for entry in rate_limits:
        kind = str(entry.get("rateLimitType", ""))
        interval = str(entry.get("interval", ""))
        number = int(entry.get("intervalNum", 1))
        if kind not in ("REQUEST_WEIGHT", "ORDERS", "RAW_REQUEST") or interval not in (
            _INTERVAL_SECONDS
        ):
            continue
        suffix = f"{number}{interval[0]}"
        name = kind if (interval, number) == ("MINUTE", 1) else f"{kind}_{suffix}"
        prefix = _HEADER_PREFIX.get(kind)
        windows.append(
            Window(
                name,
                int(entry["limit"]),
                number * _INTERVAL_SECONDS[interval],
                header=prefix + suffix if prefix else None,
                unit=kind,
                scope="account" if kind == "ORDERS" else "ip",
            )
        )
    return windows
