"""The trading sessions of TradFi perpetuals' underlying markets: a fixed weekly calendar,
read by ``/fapi/v1/tradingSchedule`` and the ``tradingSession`` stream alike.

Binance publishes the sessions of six underlying markets; the simulator keeps the two whose
REST keys Binance documents, ``EQUITY`` (the U.S. equity market, stream event
``EquityUpdate``) and ``COMMODITY`` (``CommodityUpdate``), on New York time (U.S.
daylight-saving rule: from the second Sunday of March to the first Sunday of November):

* ``EQUITY``, Monday to Friday: ``PRE_MARKET`` 04:00-09:30, ``REGULAR`` 09:30-16:00,
  ``AFTER_MARKET`` 16:00-20:00, then ``OVERNIGHT`` to 04:00 (from Sunday 20:00, and on
  no Friday night); ``NO_TRADING`` from Friday 20:00 to Sunday 20:00;
* ``COMMODITY``: ``REGULAR`` 09:30-16:00 Monday to Friday, ``NO_TRADING`` otherwise.

This reproduces Binance's documented examples (the overnight session of 8-9 December
2025, the pre-market of 23 October 2025, the commodity session of 29 October 2025). It has
no holidays and no early closes; the Korean, Hong Kong, China equity and FX markets are
left out (their REST keys are not documented).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from typing import Any, NamedTuple

__all__ = [
    "MARKETS",
    "TRADING_SESSION",
    "Session",
    "schedule",
    "session_at",
    "sessions_between",
    "trading_session",
]

_DAY_MS = 86_400_000
_HOUR_MS = 3_600_000


class Session(NamedTuple):
    start: int
    """First millisecond (UTC, ms since the epoch)."""
    end: int
    """First millisecond after it."""
    type: str


_Boundaries = dict[int, tuple[tuple[int, str], ...]]
"""Weekday (Monday 0) -> (minutes after local midnight, the session that starts then)."""
_WEEKDAY_EQUITY = ((240, "PRE_MARKET"), (570, "REGULAR"), (960, "AFTER_MARKET"))
_EQUITY: _Boundaries = {
    **dict.fromkeys(range(4), (*_WEEKDAY_EQUITY, (1200, "OVERNIGHT"))),
    4: (*_WEEKDAY_EQUITY, (1200, "NO_TRADING")),
    6: ((1200, "OVERNIGHT"),),
}
_COMMODITY: _Boundaries = dict.fromkeys(range(5), ((570, "REGULAR"), (960, "NO_TRADING")))

MARKETS: dict[str, tuple[str, _Boundaries]] = {
    "EQUITY": ("EquityUpdate", _EQUITY),
    "COMMODITY": ("CommodityUpdate", _COMMODITY),
}
"""Each market's REST key, its stream event type and its weekly calendar."""

TRADING_SESSION = re.compile(r"tradingSession$")
"""The stream's topic: one for every market (no ``symbol`` group)."""


def _nth_sunday(year: int, month: int, n: int) -> dt.date:
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(6 - first.weekday()) % 7 + 7 * (n - 1))


def _new_york_offset_ms(day: dt.date) -> int:
    """UTC minus New York time on ``day``, after 02:00 (when the clocks change)."""
    summer = _nth_sunday(day.year, 3, 2) <= day < _nth_sunday(day.year, 11, 1)
    return (4 if summer else 5) * _HOUR_MS


def _changes(calendar: _Boundaries, first: dt.date, last: dt.date) -> list[tuple[int, str]]:
    """Every session start from local day ``first`` to ``last``, in UTC ms, merged where a
    session continues one of the same type."""
    changes: list[tuple[int, str]] = []
    day = first
    while day <= last:
        midnight = (day - dt.date(1970, 1, 1)).days * _DAY_MS + _new_york_offset_ms(day)
        for minutes, kind in calendar.get(day.weekday(), ()):
            if not changes or changes[-1][1] != kind:
                changes.append((midnight + minutes * 60_000, kind))
        day += dt.timedelta(days=1)
    return changes


def sessions_between(market: str, start: int, end: int) -> list[Session]:
    """The sessions of ``market`` that overlap ``start..end`` (ms), oldest first."""
    calendar = MARKETS[market][1]
    first = dt.date(1970, 1, 1) + dt.timedelta(days=start // _DAY_MS - 4)
    last = dt.date(1970, 1, 1) + dt.timedelta(days=end // _DAY_MS + 4)
    changes = _changes(calendar, first, last)
    return [
        Session(at, following, kind)
        for (at, kind), (following, _) in itertools.pairwise(changes)
        if following > start and at <= end
    ]


def session_at(market: str, ms: int) -> Session:
    """The session of ``market`` under way at ``ms``."""
    return next(s for s in sessions_between(market, ms, ms) if s.start <= ms < s.end)


def schedule(now: int) -> dict[str, Any]:
    """``/fapi/v1/tradingSchedule``'s answer at ``now``: every market's sessions from a
    week before to a week after the start of the day before ``now`` (UTC)."""
    anchor = (now // _DAY_MS - 1) * _DAY_MS
    start, end = anchor - 7 * _DAY_MS, anchor + 7 * _DAY_MS
    return {
        "updateTime": now // _DAY_MS * _DAY_MS,
        "marketSchedules": {
            market: {
                "sessions": [
                    {"startTime": s.start, "endTime": s.end, "type": s.type}
                    for s in sessions_between(market, start, end)
                ]
            }
            for market in MARKETS
        },
    }


def trading_session(
    market: object, _: None, match: re.Match[str], second: int
) -> list[dict[str, Any]]:
    """The ``tradingSession`` stream's messages of ``second``: one per market, the session
    under way (as ``/fapi/v1/tradingSchedule`` lists it)."""
    now = second * 1000
    events = []
    for name, (event, _calendar) in MARKETS.items():
        session = session_at(name, now)
        events.append(
            {"e": event, "E": now, "t": session.start, "T": session.end, "S": session.type}
        )
    return events
