"""Candle boundaries: where the bars of each Binance kline interval start and end.

Fixed intervals are aligned to the epoch (as Binance aligns them: a day starts at 00:00
UTC, ``3d`` bars every third day since 1970-01-01), weeks start on Monday and months on
the first of the month.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

__all__ = ["INTERVAL_MS", "bar_start", "bars_between", "candle", "next_bar"]

_MINUTE = 60_000
_DAY = 86_400_000
_MONDAY_OFFSET = 4 * _DAY  # 1970-01-05 was the first Monday after the epoch

INTERVAL_MS: dict[str, int] = {
    "1m": _MINUTE,
    "3m": 3 * _MINUTE,
    "5m": 5 * _MINUTE,
    "15m": 15 * _MINUTE,
    "30m": 30 * _MINUTE,
    "1h": 60 * _MINUTE,
    "2h": 120 * _MINUTE,
    "4h": 240 * _MINUTE,
    "6h": 360 * _MINUTE,
    "8h": 480 * _MINUTE,
    "12h": 720 * _MINUTE,
    "1d": _DAY,
    "3d": 3 * _DAY,
    "1w": 7 * _DAY,
    "1M": 31 * _DAY,  # the longest month: only used as an upper bound
}
"""Bar length of each interval (``1M`` varies; its bars come from the calendar)."""


def _month_start(ms: int, months_ahead: int = 0) -> int:
    moment = dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)
    index = moment.year * 12 + moment.month - 1 + months_ahead
    start = dt.datetime(index // 12, index % 12 + 1, 1, tzinfo=dt.UTC)
    return int(start.timestamp() * 1000)


def bar_start(interval: str, ms: int) -> int:
    """The open time of the bar that contains ``ms``."""
    if interval == "1M":
        return _month_start(ms)
    length = INTERVAL_MS[interval]
    offset = _MONDAY_OFFSET if interval == "1w" else 0
    return (ms - offset) // length * length + offset


def next_bar(interval: str, start: int, steps: int = 1) -> int:
    """The open time ``steps`` bars after the bar opening at ``start`` (negative: before)."""
    if interval == "1M":
        return _month_start(start, steps)
    return start + steps * INTERVAL_MS[interval]


def bars_between(
    interval: str, start_time: int | None, end_time: int | None, limit: int, now: int
) -> list[int]:
    """Open times of the bars Binance returns for ``startTime``/``endTime``/``limit``: bars
    opening at or after ``startTime`` and at or before ``endTime`` (and never in the
    future), the first ``limit`` of them when ``startTime`` is given, else the last."""
    last_allowed = now if end_time is None else min(end_time, now)
    if start_time is not None:
        first = bar_start(interval, start_time)
        if first < start_time:
            first = next_bar(interval, first)
        opens: list[int] = []
        current = first
        while current <= last_allowed and len(opens) < limit:
            opens.append(current)
            current = next_bar(interval, current)
        return opens
    last = bar_start(interval, last_allowed)
    if last < 0:
        return []
    opens = [last]
    while len(opens) < limit:
        previous = next_bar(interval, opens[-1], -1)
        if previous < 0:
            break
        opens.append(previous)
    opens.reverse()
    return opens


def candle(
    bar: list[Any],
    interval: str,
    first: int,
    last: int,
    closed: bool,
    symbol: str | None = None,
) -> dict[str, Any]:
    """A kline stream's candle (its ``k`` object) from ``bar``, a REST kline row: the
    same fields, keys in Binance's order, with the bar's ``first`` and ``last`` trade ids;
    ``symbol`` where the stream names it there (kline streams do, continuous ones not)."""
    k: dict[str, Any] = {"t": bar[0], "T": bar[6]}
    if symbol is not None:
        k["s"] = symbol
    k |= {"i": interval, "f": first, "L": last, "o": bar[1], "c": bar[4], "h": bar[2]}
    k |= {"l": bar[3], "v": bar[5], "n": bar[8], "x": closed, "q": bar[7], "V": bar[9]}
    k |= {"Q": bar[10], "B": "0"}
    return k
