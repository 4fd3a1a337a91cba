"""Synthetic, deterministic COIN-M market data: one price path per pair, and everything
else derived from it.

Nothing is stored: every number is a pure function of (seed, instrument, time bucket), so
two simulators with the same seed agree, any time range can be answered in any order, and
memory stays flat (a bounded cache keeps recent minutes warm).

How the pieces fit, so that the endpoints agree with each other and with time:

* the **index** of a pair follows a Brownian path at one-minute resolution (see
  :mod:`.noise`); between minutes it is interpolated linearly; a composite index's
  (``Pair.components``) is the weighted sum of its components' indices;
* a contract's **mark price** is the index times ``1 + premium`` (a slow funding-like
  wobble for perpetuals, a basis that decays to zero at delivery for quarterlies);
* **trades** happen every 10 s (trade id = time // 10 s), at the mark price plus a little
  noise, the one at each full minute exactly at the mark price;
* a **candle** of up to 5 minutes is the exact aggregate of its trades; longer candles take
  their open and close from the trades too, and their high, low and volume from samples
  of the path (a longer candle's high can thus be slightly below the highest of its
  one-minute candles); the candle of the current minute only counts trades up to now;
* the **ticker** is the last trade, the **book** sits around it (best bid at the last
  price, best ask one tick above), the 24 h ticker is the rolling window ending now.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any, NamedTuple

from .bars import bars_between, next_bar
from .contracts import ContractChanges
from .instruments import Instrument, Pair, past_deliveries
from .noise import path_at, path_grid, stream_key, unit, value_noise

__all__ = [
    "BOOK_REFRESH_SECONDS",
    "BOOK_STEP_MS",
    "REFRESH_STEPS",
    "TRADES_PER_MINUTE",
    "TRADE_MS",
    "Market",
    "Trade",
    "book_step",
    "book_update_id",
    "refresh_epoch",
    "refreshed_ticks",
]

MINUTE = 60_000
TRADE_MS = 10_000
TRADES_PER_MINUTE = MINUTE // TRADE_MS
_YEAR_MS = 365 * 86_400_000
_DRIFT = 0.3
_EXACT_MINUTES = 5
_SAMPLES_PER_BAR = 32
_FUNDING_MS = 8 * 3_600_000
BOOK_REFRESH_SECONDS = 10
"""Every level of the book changes its quantity once in this many seconds."""
BOOK_STEP_MS = 100
"""The book changes every 100 ms (a "step"): as often as the fastest diff stream
(``@depth@100ms``) publishes, so each of its updates has something to say."""
REFRESH_STEPS = BOOK_REFRESH_SECONDS * 1000 // BOOK_STEP_MS
"""Book steps between two drawings of one level's quantity."""
_IDS_PER_STEP = 1000


def book_step(ms: int) -> int:
    """The book step of the moment ``ms``: the book is constant within one."""
    return ms // BOOK_STEP_MS


def book_update_id(ms: int) -> int:
    """The book's update id at ``ms``: 1000 per step, so the id of step ``k`` is
    ``k * 1000`` (``id // 1000`` is the step, what :meth:`Market.book_levels` takes), and a
    diff covering steps ``j+1..k`` has ``U = j*1000 + 1``, ``u = k*1000``, ``pu = j*1000``:
    the chain is continuous at any speed."""
    return book_step(ms) * _IDS_PER_STEP


def refresh_epoch(tick: int, step: int) -> int:
    """Which drawing of the quantity at price ``tick`` stands during book ``step``: a level
    is redrawn once every :data:`REFRESH_STEPS`, at a step that depends on its price, so a
    hundredth of the levels change every 100 ms and a tenth every second (diffs of a
    sensible size at every speed). Shared by every market's book (futures and Spot)."""
    return (step + tick % REFRESH_STEPS) // REFRESH_STEPS


def refreshed_ticks(low: int, high: int, since: int, step: int) -> list[int]:
    """The price ticks in ``low..high - 1`` redrawn after step ``since`` up to ``step``
    (ascending): what changed in a book whose price stood still, found without computing
    the rest of it. Meant for ``step - since < REFRESH_STEPS`` (past that, every level may
    have changed)."""
    period = REFRESH_STEPS
    residues = [(-moment) % period for moment in range(since + 1, step + 1)]
    return sorted(
        tick for residue in residues for tick in range(low + (residue - low) % period, high, period)
    )


class Trade(NamedTuple):
    id: int
    time: int
    ticks: int
    qty: int
    buyer_maker: bool


def _fmt(value: float, decimals: int = 8) -> str:
    return f"{value:.{decimals}f}"


class Market:
    """The market data of one seed, for the listed ``instruments``."""

    def __init__(self, seed: int, instruments: dict[str, Instrument]) -> None:
        self.seed = seed
        self.instruments = instruments
        self.pairs: dict[str, Pair] = {}
        for instrument in instruments.values():
            self.pairs.setdefault(instrument.pair.name, instrument.pair)
        self._index_keys = {name: stream_key(seed, name, "index") for name in self.pairs}
        self._minute = lru_cache(maxsize=20_000)(self._compute_minute)
        self.book_depth = 1000
        """Levels per side of the full book (REST depth and the diff stream agree on it)."""
        self.contracts = ContractChanges()
        """The contracts' status changes (exchangeInfo and ``!contractInfo`` read them)."""

    # --- the paths -------------------------------------------------------------------

    def index_at(self, pair: Pair, minute: int) -> float:
        """The index of ``pair`` at the start of ``minute`` (minutes since the epoch)."""
        if pair.components:
            pairs = self.pairs
            return sum(w * self.index_at(pairs[name], minute) for name, w in pair.components)
        offset = path_at(self._index_keys[pair.name], minute, pair.sigma, _DRIFT)
        return pair.price * math.exp(offset)

    def index_grid(self, pair: Pair, level: int, first: int, last: int) -> list[float]:
        """The index at minutes ``i * 2**level``, ``i`` in ``first..last``."""
        if pair.components:
            grids = [
                (weight, self.index_grid(self.pairs[name], level, first, last))
                for name, weight in pair.components
            ]
            return [sum(w * grid[i] for w, grid in grids) for i in range(last - first + 1)]
        key = self._index_keys[pair.name]
        offsets = path_grid(key, level, first, last, pair.sigma, _DRIFT)
        return [pair.price * math.exp(offset) for offset in offsets]

    def premium(self, instrument: Instrument, minute: float) -> float:
        """Mark over index, minus one."""
        wobble = value_noise(instrument.key, minute, 240.0)
        if instrument.perpetual:
            return 0.0004 * wobble + 0.0001
        to_delivery = max(0.0, instrument.delivery_ms - minute * MINUTE) / _YEAR_MS
        return 0.07 * to_delivery + 0.0004 * wobble

    def index_price(self, pair: Pair, ms: int) -> float:
        minute, rest = divmod(ms, MINUTE)
        left = self.index_at(pair, minute)
        if not rest:
            return left
        return left + (self.index_at(pair, minute + 1) - left) * rest / MINUTE

    def mark_price(self, instrument: Instrument, ms: int) -> float:
        return self.index_price(instrument.pair, ms) * (1 + self.premium(instrument, ms / MINUTE))

    def mark_at(self, instrument: Instrument, minute: int, index: float) -> float:
        return index * (1 + self.premium(instrument, float(minute)))

    # --- trades ------------------------------------------------------------------------

    def _compute_minute(self, symbol: str, minute: int) -> tuple[Trade, ...]:
        instrument = self.instruments[symbol]
        pair = instrument.pair
        start = self.mark_at(instrument, minute, self.index_at(pair, minute))
        end = self.mark_at(instrument, minute + 1, self.index_at(pair, minute + 1))
        return self._trades_from(instrument, minute, start, end)

    def _trades_from(
        self, instrument: Instrument, minute: int, start: float, end: float
    ) -> tuple[Trade, ...]:
        key = instrument.key
        scale = 10**instrument.pair.tick_decimals
        lot = instrument.pair.lot
        trades = []
        for j in range(TRADES_PER_MINUTE):
            trade_id = minute * TRADES_PER_MINUTE + j
            price = start + (end - start) * j / TRADES_PER_MINUTE
            if j:
                price *= 1 + 0.0002 * (2 * unit(key, trade_id, 1) - 1)
            qty = 1 + int(unit(key, trade_id, 2) ** 3 * lot)
            trades.append(
                Trade(
                    trade_id,
                    trade_id * TRADE_MS,
                    max(1, round(price * scale)),
                    qty,
                    unit(key, trade_id, 3) < 0.5,
                )
            )
        return tuple(trades)

    def minute_trades(self, instrument: Instrument, minute: int) -> tuple[Trade, ...]:
        return self._minute(instrument.symbol, minute)

    def trade(self, instrument: Instrument, trade_id: int) -> Trade:
        minute, j = divmod(trade_id, TRADES_PER_MINUTE)
        return self.minute_trades(instrument, minute)[j]

    def last_trade(self, instrument: Instrument, now: int) -> Trade:
        return self.trade(instrument, now // TRADE_MS)

    def trades_range(self, instrument: Instrument, first_id: int, last_id: int) -> list[Trade]:
        """Trades ``first_id..last_id`` (inclusive), oldest first."""
        result: list[Trade] = []
        minute = first_id // TRADES_PER_MINUTE
        while minute * TRADES_PER_MINUTE <= last_id:
            for trade in self.minute_trades(instrument, minute):
                if first_id <= trade.id <= last_id:
                    result.append(trade)
            minute += 1
        return result

    # --- candles ---------------------------------------------------------------------

    def klines(
        self,
        instrument: Instrument,
        interval: str,
        start_time: int | None,
        end_time: int | None,
        limit: int,
        now: int,
    ) -> list[list[Any]]:
        """Trade candles of ``instrument``, as Binance's 12-slot arrays."""
        opens = bars_between(interval, start_time, end_time, limit, now)
        if not opens:
            return []
        closes = [next_bar(interval, start) for start in opens]
        samples = self._sampler(
            instrument.pair, opens[0], closes[-1], closes[0] - opens[0], now,
            lambda minute, index: self.mark_at(instrument, minute, index),
        )  # fmt: skip
        minutes: dict[int, tuple[Trade, ...]] = {}
        if (closes[0] - opens[0]) // MINUTE <= _EXACT_MINUTES:
            minutes = self._minutes_between(instrument, opens[0], min(closes[-1] - 1, now))
        return [
            self._trade_bar(instrument, start, close, now, samples, minutes)
            for start, close in zip(opens, closes, strict=True)
        ]

    def _minutes_between(
        self, instrument: Instrument, start: int, end: int
    ) -> dict[int, tuple[Trade, ...]]:
        """The trades of every minute from ``start`` to ``end`` (ms), from one grid of the
        path: the same numbers as :meth:`minute_trades`, several times faster in bulk."""
        first, last = start // MINUTE, end // MINUTE
        index = self.index_grid(instrument.pair, 0, first, last + 1)
        marks = [self.mark_at(instrument, first + i, value) for i, value in enumerate(index)]
        return {
            minute: self._trades_from(instrument, minute, marks[i], marks[i + 1])
            for i, minute in enumerate(range(first, last + 1))
        }

    def _trade_bar(
        self,
        instrument: Instrument,
        start: int,
        close: int,
        now: int,
        samples: Callable[[int, int], list[float]],
        minutes: dict[int, tuple[Trade, ...]],
    ) -> list[Any]:
        first_minute = start // MINUTE
        last_ms = min(close - 1, now)
        last_minute = last_ms // MINUTE
        size = instrument.pair.contract_size
        if last_minute - first_minute < _EXACT_MINUTES:
            trades = [
                trade
                for minute in range(first_minute, last_minute + 1)
                for trade in minutes.get(minute) or self.minute_trades(instrument, minute)
                if trade.time <= last_ms
            ]
            prices = [trade.ticks for trade in trades]
            volume = sum(trade.qty for trade in trades)
            scale = 10**instrument.pair.tick_decimals
            base = sum(trade.qty * size * scale / trade.ticks for trade in trades)
            taker = [trade for trade in trades if not trade.buyer_maker]
            taker_volume = sum(trade.qty for trade in taker)
            taker_base = sum(trade.qty * size * scale / trade.ticks for trade in taker)
            first, last, count = trades[0], trades[-1], len(trades)
            high, low = max(prices), min(prices)
        else:
            first = self.minute_trades(instrument, first_minute)[0]
            last = self.last_trade(instrument, last_ms)
            scale = 10**instrument.pair.tick_decimals
            sampled = [round(value * scale) for value in samples(first_minute, last_minute)]
            high = max(first.ticks, last.ticks, *sampled)
            low = min(first.ticks, last.ticks, *sampled)
            count = last.id - first.id + 1
            volume, taker_volume = self._volume_estimate(instrument, first_minute, last_minute)
            volume = max(volume, 1)
            average = (high + low) / 2 / scale
            base = volume * size / average
            taker_base = taker_volume * size / average
        return [
            start,
            instrument.price_text(first.ticks),
            instrument.price_text(high),
            instrument.price_text(low),
            instrument.price_text(last.ticks),
            str(volume),
            close - 1,
            _fmt(base),
            count,
            str(taker_volume),
            _fmt(taker_base),
            "0",
        ]

    def _volume_estimate(
        self, instrument: Instrument, first_minute: int, last_minute: int
    ) -> tuple[int, int]:
        """Contracts traded (and bought by takers) from ``first_minute`` to ``last_minute``,
        estimated from up to 16 minutes spread over the span: O(1) whatever its length."""
        minutes = last_minute - first_minute + 1
        step = max(1, minutes // 16)
        picked = range(first_minute, last_minute + 1, step)
        key, lot = instrument.key, instrument.pair.lot
        total = taker = 0
        for minute in picked:
            for j in range(TRADES_PER_MINUTE):
                trade_id = minute * TRADES_PER_MINUTE + j
                qty = 1 + int(unit(key, trade_id, 2) ** 3 * lot)
                total += qty
                if unit(key, trade_id, 3) >= 0.5:
                    taker += qty
        factor = minutes / len(picked)
        return round(total * factor), round(taker * factor)

    def _sampler(
        self,
        pair: Pair,
        start: int,
        end: int,
        bar_ms: int,
        now: int,
        value: Callable[[int, float], float],
    ) -> Callable[[int, int], list[float]]:
        """Samples of ``value(minute, index)`` on one grid over ``start..end`` (ms): about
        ``_SAMPLES_PER_BAR`` per bar, computed once for the whole request."""
        bar_minutes = max(1, bar_ms // MINUTE)
        level = max(0, int(math.log2(max(1, bar_minutes // _SAMPLES_PER_BAR))))
        step = 1 << level
        first = start // MINUTE // step
        last = min(end, now) // MINUTE // step
        grid = self.index_grid(pair, level, first, last) if last >= first else []

        def samples(first_minute: int, last_minute: int) -> list[float]:
            lo = max(first, -(-first_minute // step))
            hi = min(last, last_minute // step)
            return [value(i * step, grid[i - first]) for i in range(lo, hi + 1)]

        return samples

    def path_klines(
        self,
        pair: Pair,
        interval: str,
        start_time: int | None,
        end_time: int | None,
        limit: int,
        now: int,
        value: Callable[[int, float], float],
        decimals: int,
    ) -> list[list[Any]]:
        """Candles of a price that does not trade (index, mark, premium): open and close
        from the path, high and low from samples; the volumes are ``"0"`` and the count is
        the number of data points, as Binance sends them."""
        opens = bars_between(interval, start_time, end_time, limit, now)
        if not opens:
            return []
        closes = [next_bar(interval, start) for start in opens]
        samples = self._sampler(pair, opens[0], closes[-1], closes[0] - opens[0], now, value)
        bars = []
        for start, close in zip(opens, closes, strict=True):
            first_minute = start // MINUTE
            last_minute = min(close - 1, now) // MINUTE
            open_value = value(first_minute, self.index_at(pair, first_minute))
            close_value = value(last_minute, self.index_at(pair, last_minute))
            values = [open_value, close_value, *samples(first_minute, last_minute)]
            bars.append(
                [
                    start,
                    _fmt(open_value, decimals),
                    _fmt(max(values), decimals),
                    _fmt(min(values), decimals),
                    _fmt(close_value, decimals),
                    "0",
                    close - 1,
                    "0",
                    last_minute - first_minute + 1,
                    "0",
                    "0",
                    "0",
                ]
            )
        return bars

    # --- tickers and book --------------------------------------------------------------

    def ticker_price(self, instrument: Instrument, now: int) -> dict[str, Any]:
        last = self.last_trade(instrument, now)
        return {
            "symbol": instrument.symbol,
            "ps": instrument.pair.name,
            "price": instrument.price_text(last.ticks),
            "time": last.time,
        }

    def book(
        self, instrument: Instrument, now: int, depth: int
    ) -> tuple[list[list[str]], list[list[str]]]:
        """Up to ``depth`` bid and ask levels (at most :attr:`book_depth`): the best bid at
        the last trade, the best ask one tick above (see :meth:`level_qty` for the
        quantities)."""
        bids, asks = self.book_levels(instrument, book_step(now), min(depth, self.book_depth))
        text = instrument.price_text
        return (
            [[text(tick), str(qty)] for tick, qty in bids.items()],
            [[text(tick), str(qty)] for tick, qty in asks.items()],
        )

    def level_qty(self, instrument: Instrument, tick: int, step: int) -> int:
        """The quantity resting at price ``tick`` during book ``step`` (:func:`book_step`):
        it changes once every ``BOOK_REFRESH_SECONDS``, at a step that depends on the
        price, so a hundredth of the levels change every 100 ms and a tenth every second
        (diffs of a sensible size at every speed)."""
        epoch = refresh_epoch(tick, step)
        return 1 + int(unit(instrument.key, tick * 1_000_003 + epoch, 10) * instrument.pair.lot * 3)

    def book_levels(
        self, instrument: Instrument, step: int, depth: int | None = None
    ) -> tuple[dict[int, int], dict[int, int]]:
        """The book during ``step`` (:func:`book_step`; the update id's ``// 1000``) as
        ``{price ticks: quantity}``, bids best first."""
        depth = self.book_depth if depth is None else depth
        last = self.last_trade(instrument, step * BOOK_STEP_MS).ticks
        qty = self.level_qty
        bids = {tick: qty(instrument, tick, step) for tick in range(last, last - depth, -1)}
        asks = {tick: qty(instrument, tick, step) for tick in range(last + 1, last + 1 + depth)}
        return bids, asks

    def book_diff(
        self, instrument: Instrument, step: int, since: int
    ) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """What changed in the full-depth book from step ``since`` to ``step``: the new
        quantity of every changed level (bids best first, asks best first), 0 for a level
        that left the book. While the price stands still only the levels whose refresh
        falls in the interval are computed (a hundredth of the book a step), so a 100 ms
        stream costs about what a 1 s one does."""
        last = self.last_trade(instrument, step * BOOK_STEP_MS).ticks
        before = self.last_trade(instrument, since * BOOK_STEP_MS).ticks
        depth = self.book_depth
        if last == before and step - since < REFRESH_STEPS:
            qty = self.level_qty

            def changed(low: int, high: int) -> list[tuple[int, int]]:
                ticks = refreshed_ticks(low, high, since, step)
                return [(tick, qty(instrument, tick, step)) for tick in ticks]

            bids = changed(last - depth + 1, last + 1)
            bids.reverse()
            return bids, changed(last + 1, last + 1 + depth)
        old_bids, old_asks = self.book_levels(instrument, since)
        new_bids, new_asks = self.book_levels(instrument, step)
        return _level_diff(old_bids, new_bids), _level_diff(old_asks, new_asks)

    def book_ticker(self, instrument: Instrument, now: int) -> dict[str, Any]:
        bids, asks = self.book(instrument, now, 1)
        return {
            "lastUpdateId": book_update_id(now),
            "symbol": instrument.symbol,
            "pair": instrument.pair.name,
            "bidPrice": bids[0][0],
            "bidQty": bids[0][1],
            "askPrice": asks[0][0],
            "askQty": asks[0][1],
            "time": now,
        }

    def ticker_24hr(self, instrument: Instrument, now: int) -> dict[str, Any]:
        """The rolling 24 hours ending now."""
        open_time = now - 86_400_000
        first = self.trade(instrument, -(-open_time // TRADE_MS))
        last = self.last_trade(instrument, now)
        samples = self._sampler(
            instrument.pair, open_time, now, 86_400_000, now,
            lambda minute, index: self.mark_at(instrument, minute, index),
        )  # fmt: skip
        scale = 10**instrument.pair.tick_decimals
        sampled = [round(v * scale) for v in samples(open_time // MINUTE + 1, now // MINUTE)]
        high = max(first.ticks, last.ticks, *sampled)
        low = min(first.ticks, last.ticks, *sampled)
        volume, _ = self._volume_estimate(instrument, open_time // MINUTE, now // MINUTE)
        average = sum(sampled) / len(sampled) if sampled else (high + low) / 2
        change = last.ticks - first.ticks
        return {
            "symbol": instrument.symbol,
            "pair": instrument.pair.name,
            "priceChange": instrument.price_text(change),
            "priceChangePercent": f"{change / first.ticks * 100:.3f}",
            "weightedAvgPrice": instrument.price_text(round(average)),
            "lastPrice": instrument.price_text(last.ticks),
            "lastQty": str(last.qty),
            "openPrice": instrument.price_text(first.ticks),
            "highPrice": instrument.price_text(high),
            "lowPrice": instrument.price_text(low),
            "volume": str(volume),
            "baseVolume": _fmt(volume * instrument.pair.contract_size * scale / average),
            "openTime": open_time,
            "closeTime": now,
            "firstId": first.id,
            "lastId": last.id,
            "count": last.id - first.id + 1,
        }

    # --- derivatives data --------------------------------------------------------------

    def funding_rate(self, instrument: Instrument, funding_time: int) -> float:
        return 0.0001 + 0.0002 * (2 * unit(instrument.key, funding_time // _FUNDING_MS, 20) - 1)

    def next_funding_time(self, now: int) -> int:
        return (now // _FUNDING_MS + 1) * _FUNDING_MS

    def funding_times(
        self, start_time: int | None, end_time: int | None, limit: int, now: int
    ) -> list[int]:
        last = (min(now, end_time) if end_time is not None else now) // _FUNDING_MS
        if start_time is not None:
            first = -(-start_time // _FUNDING_MS)
            return [i * _FUNDING_MS for i in range(first, min(last, first + limit - 1) + 1)]
        return [i * _FUNDING_MS for i in range(max(0, last - limit + 1), last + 1)]

    def premium_index(self, instrument: Instrument, now: int) -> dict[str, Any]:
        index = self.index_price(instrument.pair, now)
        mark = self.mark_price(instrument, now)
        decimals = 8
        perpetual = instrument.perpetual
        next_funding = self.next_funding_time(now)
        return {
            "symbol": instrument.symbol,
            "pair": instrument.pair.name,
            "markPrice": _fmt(mark, decimals),
            "indexPrice": _fmt(index, decimals),
            "estimatedSettlePrice": _fmt(self.index_price(instrument.pair, now - 30_000)),
            "lastFundingRate": (
                _fmt(self.funding_rate(instrument, next_funding)) if perpetual else ""
            ),
            "interestRate": "0.00010000" if perpetual else "",
            "nextFundingTime": next_funding if perpetual else 0,
            "time": now,
        }

    def open_interest(self, instrument: Instrument, ms: int) -> int:
        base = 2_000_000 if instrument.perpetual else 400_000
        if instrument.pair.name != "BTCUSD":
            base //= 4
        return round(base * (1 + 0.2 * value_noise(instrument.key, ms / MINUTE, 1440.0, 30)))

    def period_times(
        self, period_ms: int, start_time: int | None, end_time: int | None, limit: int, now: int
    ) -> list[int]:
        """Timestamps of the ``/futures/data`` statistics: period boundaries, oldest first."""
        return self.funding_like(period_ms, start_time, end_time, limit, now)

    @staticmethod
    def funding_like(
        step: int, start_time: int | None, end_time: int | None, limit: int, now: int
    ) -> list[int]:
        last = (min(now, end_time) if end_time is not None else now) // step
        if start_time is not None:
            first = -(-start_time // step)
            return [i * step for i in range(first, min(last, first + limit - 1) + 1)]
        return [i * step for i in range(max(0, last - limit + 1), last + 1)]

    def ratio(self, stream: str, pair: Pair, ms: int) -> float:
        """A long share in (0.3, 0.7) for the long/short statistics."""
        return 0.5 + 0.2 * value_noise(stream_key(self.seed, pair.name, stream), ms / MINUTE, 720.0)

    def deliveries(self, pair: Pair, now: int, count: int = 8) -> list[tuple[int, float]]:
        return [(ms, self.index_price(pair, ms)) for ms in past_deliveries(now, count)]


def _level_diff(old: dict[int, int], new: dict[int, int]) -> list[tuple[int, int]]:
    changes = [(tick, qty) for tick, qty in new.items() if old.get(tick) != qty]
    changes += [(tick, 0) for tick in old if tick not in new]
    return changes


def symbols_of(instruments: Iterable[Instrument], pair: str) -> list[Instrument]:
    return [instrument for instrument in instruments if instrument.pair.name == pair]
