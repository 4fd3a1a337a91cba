"""Binance's rate limits: each market's default windows, and the live ones ``exchangeInfo``
reports. Order windows are counted per account (``scope="account"``), the others per IP.

Each market has budgets of its own (a host of its own, see :mod:`.markets`): IP weight per
minute (``REQUEST_WEIGHT``, reported in ``X-MBX-USED-WEIGHT-1M``), orders per account over
several periods (``ORDERS``, ``X-MBX-ORDER-COUNT-10S``/``-1M``/``-1D``) and, on Spot, raw
requests. A request charges its weight to every ``REQUEST_WEIGHT`` window, its order count
to every ``ORDERS`` window (the 10-second ones count :attr:`Endpoint.orders_10s
<aioca_binance.Endpoint.orders_10s>` where Binance counts differently there), 1 to every
``RAW_REQUESTS`` window, and 1 to each of its endpoint's own windows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from aioca import Window

__all__ = [
    "DEFAULT_WINDOWS",
    "MARKET_WINDOWS",
    "costs",
    "windows_from_rate_limits",
]

_INTERVAL_SECONDS = {"SECOND": 1, "MINUTE": 60, "HOUR": 3600, "DAY": 86400}
_HEADER_PREFIX = {"REQUEST_WEIGHT": "X-MBX-USED-WEIGHT-", "ORDERS": "X-MBX-ORDER-COUNT-"}
_ORDERS_10S = "ORDERS_10S"  # the unit of ORDERS windows shorter than a minute
_RAW = "RAW_REQUESTS"  # exchangeInfo says RAW_REQUESTS on Spot, RAW_REQUEST in futures docs

_FUTURES_WINDOWS: tuple[Window, ...] = (
    Window("REQUEST_WEIGHT", 2400, 60, header="X-MBX-USED-WEIGHT-1M"),
    Window("ORDERS", 1200, 60, header="X-MBX-ORDER-COUNT-1M", scope="account"),
    Window(
        "ORDERS_10S", 300, 10, header="X-MBX-ORDER-COUNT-10S", unit=_ORDERS_10S, scope="account"
    ),
)

MARKET_WINDOWS: Mapping[str, tuple[Window, ...]] = {
    # Binance's FAQ "Rate limits on Binance Futures": 2,400 weight/min per IP, 1,200
    # orders/min and 300 per 10 s per account (binance-signing-and-errors.md §4).
    "coinm": _FUTURES_WINDOWS,
    "usdm": (
        *_FUTURES_WINDOWS,
        # GET /fapi/v1/fundingRate and /fundingInfo: "shares 500/5min/IP" (the SDK).
        Window("FUNDING_RATE", 500, 300),
        # /futures/data/*: "IP rate limit 1000 requests/5min" (their notes).
        Window("FUTURES_DATA", 1000, 300),
    ),
    # Spot's REST limits page and exchangeInfo: 6,000 weight/min, 61,000 raw requests per
    # 5 minutes per IP; 50 orders per 10 s and 160,000 per day per account.
    "spot": (
        Window("REQUEST_WEIGHT", 6000, 60, header="X-MBX-USED-WEIGHT-1M"),
        Window(
            "ORDERS_10S", 50, 10, header="X-MBX-ORDER-COUNT-10S", unit=_ORDERS_10S, scope="account"
        ),
        Window(
            "ORDERS_1D",
            160_000,
            86_400,
            header="X-MBX-ORDER-COUNT-1D",
            unit="ORDERS",
            scope="account",
        ),
        Window("RAW_REQUESTS_5M", 61_000, 300, unit=_RAW),
    ),
}
"""Each market's published defaults, used until its ``exchangeInfo`` gives the live ones."""

DEFAULT_WINDOWS: tuple[Window, ...] = MARKET_WINDOWS["coinm"]
"""COIN-M's defaults (the windows before the catalogs knew markets apart)."""

_ENDPOINT_WINDOWS = frozenset(
    window.charges for windows in MARKET_WINDOWS.values() for window in windows
) - {"REQUEST_WEIGHT", "ORDERS", _ORDERS_10S, _RAW}
"""The endpoint-specific windows: exchangeInfo does not report them, they are kept."""


def costs(
    *,
    weight: int,
    orders: int = 0,
    orders_10s: int | None = None,
    limits: Iterable[str] = (),
) -> dict[str, int]:
    """What a request charges: ``weight`` to the REQUEST_WEIGHT windows, ``orders`` to the
    ORDERS windows (``orders_10s`` to those under a minute, when given), 1 to RAW_REQUESTS
    windows and 1 to each of ``limits`` (the endpoint's own windows)."""
    charged = {
        "REQUEST_WEIGHT": weight,
        "ORDERS": orders,
        _ORDERS_10S: orders if orders_10s is None else orders_10s,
        _RAW: 1,
    }
    for unit in limits:
        charged[unit] = 1
    return charged


def windows_from_rate_limits(
    rate_limits: Iterable[Mapping[str, Any]], keep: Iterable[Window] = ()
) -> list[Window]:
    """Limiter windows from exchangeInfo's ``rateLimits`` entries, with the header in which
    Binance reports each one's usage; the endpoint-specific windows of ``keep`` (which
    exchangeInfo does not list) follow them."""
    windows = []
    for entry in rate_limits:
        kind = str(entry.get("rateLimitType", ""))
        if kind == "RAW_REQUEST":
            kind = _RAW
        interval = str(entry.get("interval", ""))
        number = int(entry.get("intervalNum", 1))
        if kind not in ("REQUEST_WEIGHT", "ORDERS", _RAW) or interval not in _INTERVAL_SECONDS:
            continue
        seconds = number * _INTERVAL_SECONDS[interval]
        suffix = f"{number}{interval[0]}"
        name = kind if (interval, number) == ("MINUTE", 1) else f"{kind}_{suffix}"
        prefix = _HEADER_PREFIX.get(kind)
        unit = _ORDERS_10S if kind == "ORDERS" and seconds < 60 else kind
        windows.append(
            Window(
                name,
                int(entry["limit"]),
                seconds,
                header=prefix + suffix if prefix else None,
                unit=unit,
                scope="account" if kind == "ORDERS" else "ip",
            )
        )
    if windows:
        windows += [window for window in keep if window.charges in _ENDPOINT_WINDOWS]
    return windows
