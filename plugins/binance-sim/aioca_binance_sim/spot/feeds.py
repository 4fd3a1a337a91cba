"""Spot's market streams, for the simulator's stream hub (:class:`~..streams.StreamHub`).

The payloads come from the same :class:`~.tape.Tape` functions the REST endpoints answer
from, so the two agree. Spot's depth streams run at their documented speed, as the futures
ones do (see :mod:`..feeds`): ``@depth@100ms`` every 100 ms, ``@depth`` / ``@depth@1000ms``
every second; the book changes every 100 ms. Spot's diffs follow Spot's rule (no ``pu``):
a diff at moment ``t`` of a topic of period ``p`` carries ``u`` =
:func:`~..market.book_update_id` of ``t`` (the REST snapshot's ``lastUpdateId`` then) and
``U`` the id of ``t - p`` plus one, so each ``U`` is the previous ``u + 1`` at every speed.
A diff is taken against the book that topic's speed last published (:class:`SpotFeeds`
keeps it), so what the account took between two diffs is in the next one. Keys follow
Binance's documented Spot examples (``spec/binance-ws-streams.json``).

Spot user data comes over the WebSocket API, not a listenKey: the hub's listen-key
routes find no key here (``SpotAccount.listen_key`` stays ``None``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..bars import candle
from ..feeds import Feed, depth_feeds, depth_ids, depth_period, match_feed
from ..market import BOOK_STEP_MS, REFRESH_STEPS, book_step, book_update_id, refreshed_ticks
from .blocks import block_trade_stream
from .symbols import dec
from .tape import TRADE_MS

if TYPE_CHECKING:
    from .symbols import SpotSymbol
    from .tape import Tape
    from .venue import SpotVenue

__all__ = ["SPOT_FEEDS", "SpotAccount", "SpotFeeds", "book_diff", "stream_source"]


def book_diff(
    tape: Tape, spec: SpotSymbol, step: int, since: int
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """What changed in the full-depth book from book step ``since`` to ``step``: the new
    quantity of every changed level, 0 for a level that left the book. While the price
    stood still and the account took nothing, only the redrawn levels are computed."""
    now, before = step * BOOK_STEP_MS, since * BOOK_STEP_MS
    last, previous = tape.best(spec, now), tape.best(spec, before)
    taken = any(symbol == spec.symbol for symbol, _ in tape.taken)
    if last == previous and not taken and step - since < REFRESH_STEPS:
        bid, ask = last

        def changed(low: int, high: int) -> list[tuple[int, int]]:
            ticks = refreshed_ticks(max(low, 1), high, since, step)
            return [(t, tape.level_steps(spec, t, step)) for t in ticks]

        depth = tape.book_depth
        bids = changed(bid - depth + 1, bid + 1)
        bids.reverse()
        return bids, changed(ask, ask + depth)
    old_bids, old_asks = tape.book_levels(spec, before, tape.book_depth)
    new_bids, new_asks = tape.book_levels(spec, now, tape.book_depth)
    return _level_diff(old_bids, new_bids), _level_diff(old_asks, new_asks)


def _level_diff(old: list[tuple[int, int]], new: list[tuple[int, int]]) -> list[tuple[int, int]]:
    before, after = dict(old), dict(new)
    gone = [(tick, 0) for tick in before if tick not in after]
    moved = [(tick, qty) for tick, qty in new if before.get(tick) != qty]
    return moved + gone


def _levels(spec: SpotSymbol, levels: list[tuple[int, int]]) -> list[list[str]]:
    return [[spec.price_text(tick), spec.qty_text(steps)] for tick, steps in levels]


def _spot_depth_period(match: re.Match[str]) -> int:
    """A Spot depth topic's period in ms: ``@100ms`` or ``@1000ms``, 1000 without one."""
    return depth_period(match, default=1000)


def _depth_diff(
    feeds: SpotFeeds, spec: SpotSymbol, match: re.Match[str], moment: int
) -> list[dict[str, Any]]:
    period = _spot_depth_period(match)
    bids, asks = feeds.diff(spec, moment, period)
    ids = depth_ids(moment, period)
    return [
        {
            "e": "depthUpdate",
            "E": ids["E"],
            "s": spec.symbol,
            "U": ids["U"],
            "u": ids["u"],
            "b": _levels(spec, bids),
            "a": _levels(spec, asks),
        }
    ]


def _partial_depth(
    feeds: SpotFeeds, spec: SpotSymbol, match: re.Match[str], moment: int
) -> list[dict[str, Any]]:
    return [feeds.tape.depth(spec, moment, int(match.group("levels")))]


def _trades(
    feeds: SpotFeeds, spec: SpotSymbol, match: re.Match[str], second: int
) -> list[dict[str, Any]]:
    tape = feeds.tape
    if (second * 1000) % TRADE_MS:
        return []
    trade = tape.last_trade(spec, second * 1000)
    common = {
        "p": spec.price_text(trade.ticks),
        "q": spec.qty_text(trade.steps),
    }
    if match.group("kind") == "trade":
        payload = {"e": "trade", "E": trade.time + 1, "s": spec.symbol, "t": trade.id}
        tail = {"T": trade.time, "m": trade.buyer_maker, "M": True}
        return [payload | common | tail]
    payload = {"e": "aggTrade", "E": trade.time + 1, "s": spec.symbol, "a": trade.id}
    tail = {"f": trade.id, "l": trade.id, "T": trade.time, "m": trade.buyer_maker, "M": True}
    return [payload | common | tail]


def _book_ticker(
    feeds: SpotFeeds, spec: SpotSymbol, match: re.Match[str], second: int
) -> list[dict[str, Any]]:
    tape = feeds.tape
    now = second * 1000
    bids, asks = tape.book_levels(spec, now, 1)
    return [
        {
            "u": book_update_id(now),
            "s": spec.symbol,
            "b": spec.price_text(bids[0][0]),
            "B": spec.qty_text(bids[0][1]),
            "a": spec.price_text(asks[0][0]),
            "A": spec.qty_text(asks[0][1]),
        }
    ]


UTC8_MS = 8 * 3_600_000
"""The one offset Spot's kline streams take (``<symbol>@kline_<interval>@+08:00``)."""


def _kline(
    feeds: SpotFeeds, spec: SpotSymbol, match: re.Match[str], second: int
) -> list[dict[str, Any]]:
    tape = feeds.tape
    interval = match.group("interval")
    now = second * 1000
    # "@+08:00": bars open and close in UTC+8 (a day at 16:00 UTC), as REST's timeZone.
    offset = UTC8_MS if match.group("utc8") else 0
    bar = tape.klines(spec, interval, None, now, 1, now, offset)[0]
    first = tape.trade(spec, -(-bar[0] // TRADE_MS)).id
    last = tape.last_trade(spec, now).id
    return [
        {
            "e": "kline",
            "E": now,
            "s": spec.symbol,
            "k": candle(bar, interval, first, last, now >= bar[6], spec.symbol),
        }
    ]


def _ticker(
    feeds: SpotFeeds, spec: SpotSymbol, match: re.Match[str], second: int
) -> list[dict[str, Any]]:
    tape = feeds.tape
    now = second * 1000
    day = tape.ticker_24hr(spec, now, full=True)
    if match.group("kind") == "miniTicker":
        return [
            {
                "e": "24hrMiniTicker",
                "E": now,
                "s": spec.symbol,
                "c": day["lastPrice"],
                "o": day["openPrice"],
                "h": day["highPrice"],
                "l": day["lowPrice"],
                "v": day["volume"],
                "q": day["quoteVolume"],
            }
        ]
    return [
        {
            "e": "24hrTicker",
            "E": now,
            "s": spec.symbol,
            "p": day["priceChange"],
            "P": day["priceChangePercent"],
            "w": day["weightedAvgPrice"],
            "x": day["prevClosePrice"],
            "c": day["lastPrice"],
            "Q": day["lastQty"],
            "b": day["bidPrice"],
            "B": day["bidQty"],
            "a": day["askPrice"],
            "A": day["askQty"],
            "o": day["openPrice"],
            "h": day["highPrice"],
            "l": day["lowPrice"],
            "v": day["volume"],
            "q": day["quoteVolume"],
            "O": day["openTime"],
            "C": day["closeTime"],
            "F": day["firstId"],
            "L": day["lastId"],
            "n": day["count"],
        }
    ]


def _avg_price(
    feeds: SpotFeeds, spec: SpotSymbol, match: re.Match[str], second: int
) -> list[dict[str, Any]]:
    tape = feeds.tape
    now = second * 1000
    average = tape.avg_price(spec, now)
    return [
        {
            "e": "avgPrice",
            "E": now,
            "s": spec.symbol,
            "i": "5m",
            "w": dec(average),
            "T": tape.last_trade(spec, now).time,
        }
    ]


_WINDOW_MS = {"1h": 3_600_000, "4h": 4 * 3_600_000, "1d": 86_400_000}


def _rolling_ticker(
    feeds: SpotFeeds, spec: SpotSymbol, match: re.Match[str], second: int
) -> list[dict[str, Any]]:
    """``<symbol>@ticker_<window>``: the window ending now, as REST's ``/api/v3/ticker``
    with that ``windowSize`` computes it."""
    window = match.group("window")
    now = second * 1000
    ticker = feeds.tape.window_ticker(spec, now - _WINDOW_MS[window], now, now, True)
    return [
        {
            "e": f"{window}Ticker",
            "E": now,
            "s": spec.symbol,
            "p": ticker["priceChange"],
            "P": ticker["priceChangePercent"],
            "o": ticker["openPrice"],
            "h": ticker["highPrice"],
            "l": ticker["lowPrice"],
            "c": ticker["lastPrice"],
            "w": ticker["weightedAvgPrice"],
            "v": ticker["volume"],
            "q": ticker["quoteVolume"],
            "O": ticker["openTime"],
            "C": ticker["closeTime"],
            "F": ticker["firstId"],
            "L": ticker["lastId"],
            "n": ticker["count"],
        }
    ]


def _reference_price(
    feeds: SpotFeeds, spec: SpotSymbol, match: re.Match[str], second: int
) -> list[dict[str, Any]]:
    """The simulator's reference price is the 5-minute average, as its REST
    ``/api/v3/referencePrice`` says."""
    now = second * 1000
    return [
        {
            "e": "referencePrice",
            "s": spec.symbol,
            "r": dec(feeds.tape.avg_price(spec, now)),
            "t": now,
        }
    ]


def _every_symbol(
    build: Callable[[SpotFeeds, SpotSymbol, re.Match[str], int], list[dict[str, Any]]],
) -> Callable[[SpotFeeds, SpotSymbol | None, re.Match[str], int], list[Any]]:
    """An all-market stream (``!miniTicker@arr``) from a per-symbol one: one array of
    every trading symbol's payload per second (the simulator's symbols all trade every
    second, so "only the tickers that changed" is all of them)."""

    def every(
        feeds: SpotFeeds, spec: SpotSymbol | None, match: re.Match[str], second: int
    ) -> list[Any]:
        symbols = feeds.venue.symbols.values()
        return [[item for each in symbols for item in build(feeds, each, match, second)]]

    return every


_SYMBOL = r"(?P<symbol>[a-z0-9]+)"
_INTERVALS = "1s|1m|3m|5m|15m|30m|1h|2h|4h|6h|8h|12h|1d|3d|1w|1M"
SPOT_FEEDS: tuple[Feed, ...] = (
    *depth_feeds(_SYMBOL, "100|1000", _depth_diff, _partial_depth, _spot_depth_period),
    Feed(re.compile(_SYMBOL + r"@(?P<kind>trade|aggTrade)$"), _trades),
    Feed(re.compile(_SYMBOL + r"@bookTicker$"), _book_ticker),
    Feed(re.compile(_SYMBOL + rf"@kline_(?P<interval>{_INTERVALS})(?P<utc8>@\+08:00)?$"), _kline),
    Feed(re.compile(_SYMBOL + r"@(?P<kind>ticker|miniTicker)$"), _ticker),
    Feed(re.compile(_SYMBOL + r"@avgPrice$"), _avg_price),
    Feed(re.compile(_SYMBOL + r"@ticker_(?P<window>1h|4h|1d)$"), _rolling_ticker),
    Feed(re.compile(_SYMBOL + r"@referencePrice$"), _reference_price),
    Feed(re.compile(r"!(?P<kind>miniTicker)@arr$"), _every_symbol(_ticker)),
    Feed(re.compile(r"!ticker_(?P<window>1h|4h|1d)@arr$"), _every_symbol(_rolling_ticker)),
    Feed(re.compile(_SYMBOL + r"@blockTrade$"), block_trade_stream),
)
"""The Spot market streams the simulator serves."""


@dataclass
class SpotAccount:
    """What the hub asks of an account (:class:`~..listen_key.ListenKeyHolder`'s fields):
    Spot has no listen key, and its order events reach the hub through the engine's
    ``listeners`` (the same list)."""

    listeners: list[Callable[..., None]] = field(default_factory=list)
    listen_key: str | None = None
    listen_key_expires: int = 0


Diff = tuple[list[tuple[int, int]], list[tuple[int, int]]]
_KEPT_DIFFS = 64
"""Diffs kept per symbol and speed, so every depth topic of one speed sends the same diff."""


@dataclass
class _Published:
    """The full-depth book at ``moment`` as a depth diff of one speed last published it,
    and the tape's count of the account's takes of that symbol then."""

    moment: int
    bids: dict[int, int]
    asks: dict[int, int]
    takes: int


class SpotFeeds:
    """Spot's streams for a :class:`~..streams.StreamHub`.

    Depth diffs are taken against the book *as published*: each symbol's last published
    book is kept per speed (100 ms, 1000 ms: each speed's diffs span its own period), and
    the diff at moment ``t`` is the change from it to the book of ``t`` now. So liquidity
    the account's orders took after a diff went out (between two publications, through
    the REST API) appears in the next diff of every speed, and a local book built from the
    REST snapshot and the diffs stays equal to the simulator's. While the account took
    nothing since the kept book was published, that book is still the book of its
    moment, and the cheap :func:`book_diff` gives the same answer."""

    def __init__(self, venue: SpotVenue) -> None:
        self.venue = venue
        self.tape = venue.tape
        self.engine = SpotAccount(venue.engine.listeners)
        self._published: dict[tuple[str, int], _Published] = {}
        self._diffs: dict[tuple[str, int], dict[int, Diff]] = {}

    def diff(self, spec: SpotSymbol, moment: int, period: int) -> Diff:
        """The depth diff at ``moment`` (ms) of a topic of ``period`` ms: each level that
        changed since ``moment - period``, with its quantity (0: gone)."""
        key = (spec.symbol, period)
        kept = self._diffs.setdefault(key, {})
        diff = kept.get(moment)
        if diff is not None:
            return diff
        tape = self.tape
        takes = tape.takes.get(spec.symbol, 0)
        step, since = book_step(moment), book_step(moment - period)
        published = self._published.get(key)
        if published is not None and published.moment >= moment:
            return book_diff(tape, spec, step, since)  # long past (catching up): as now
        if published is None or published.moment != moment - period:
            published = self._book(spec, moment - period, takes)
        if published.takes == takes:  # the published book is still its moment's book
            diff = book_diff(tape, spec, step, since)
            bids, asks = dict(published.bids), dict(published.asks)
            for side, changes in ((bids, diff[0]), (asks, diff[1])):
                for tick, steps in changes:
                    if steps:
                        side[tick] = steps
                    else:
                        side.pop(tick, None)
            self._published[key] = _Published(moment, bids, asks, takes)
        else:
            now = self._book(spec, moment, takes)
            diff = (
                _level_diff(list(published.bids.items()), list(now.bids.items())),
                _level_diff(list(published.asks.items()), list(now.asks.items())),
            )
            self._published[key] = now
        kept[moment] = diff
        if len(kept) > _KEPT_DIFFS:
            del kept[min(kept)]
        return diff

    def _book(self, spec: SpotSymbol, moment: int, takes: int) -> _Published:
        bids, asks = self.tape.book_levels(spec, moment, self.tape.book_depth)
        return _Published(moment, dict(bids), dict(asks), takes)

    def find(self, topic: str) -> tuple[Feed, re.Match[str]] | None:
        return match_feed(SPOT_FEEDS, topic)

    def instrument(self, symbol: str) -> SpotSymbol | None:
        return self.venue.symbols.get(symbol)

    def build(
        self, feed: Feed, instrument: SpotSymbol | None, match: re.Match[str], second: int
    ) -> list[Any]:
        """The payloads of ``feed`` in ``second``; ``instrument`` is ``None`` for an
        all-market stream, whose one payload is the array of every symbol's."""
        return feed.build(self, instrument, match, second)

    def order_events(self, order: Any, execution: str, fill: Any, now: int) -> list[Any]:
        return []  # Spot's account events go to WebSocket API subscribers, not a listenKey


def stream_source(venue: SpotVenue) -> tuple[SpotFeeds, tuple[str, ...]]:
    """The source of Spot's stream hub and the paths it is served under."""
    return SpotFeeds(venue), ("",)
