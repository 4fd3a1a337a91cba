"""Synthetic, deterministic Spot market data: one price path per symbol and everything
else derived from it (trades, candles, tickers, the order book).

As for COIN-M (see :mod:`aioca_binance_sim.market`), nothing is stored: a number is a
pure function of (seed, symbol, time bucket), built on :mod:`aioca_binance_sim.noise`
(the Brownian path) and :mod:`aioca_binance_sim.bars` (candle boundaries):

* the **price** follows the path at one-minute resolution, linear in between;
* a **trade** happens every 10 s (trade id = time // 10 s), at the path plus a little
  noise; its size and taker side are drawn from the trade id;
* a **candle** of up to 5 minutes aggregates its trades exactly; longer candles take open
  and close from the trades, high and low from samples of the path, and the volume from
  a sample of their minutes;
* the **book** sits around the last trade: best bid at its price, best ask one tick
  above, each level's quantity redrawn every 10 s. Quantities the account took from a
  level are gone until it is redrawn, so a second order does not find the same liquidity.
"""

from __future__ import annotations

import math
from decimal import Decimal
from functools import lru_cache
from typing import Any, NamedTuple

from ..bars import bar_start, bars_between, next_bar
from ..market import BOOK_REFRESH_SECONDS, book_step, book_update_id, refresh_epoch
from ..noise import path_at, path_grid, unit
from .symbols import SpotSymbol, dec

__all__ = ["BOOK_REFRESH_SECONDS", "MINUTE", "TRADE_MS", "Stats", "Tape", "Trade"]

MINUTE = 60_000
TRADE_MS = 10_000
TRADES_PER_MINUTE = MINUTE // TRADE_MS
BOOK_DEPTH = 5000
_DRIFT = 0.3
_EXACT_MS = 5 * MINUTE
_SAMPLES = 32
_VOLUME_MINUTES = 8


class Trade(NamedTuple):
    id: int
    time: int
    ticks: int
    steps: int
    buyer_maker: bool


class Stats(NamedTuple):
    """A window of the tape: what a candle or a ticker reports."""

    first: Trade
    last: Trade
    high: int
    low: int
    volume: Decimal
    quote_volume: Decimal
    taker_volume: Decimal
    taker_quote_volume: Decimal

    @property
    def trades(self) -> int:
        return self.last.id - self.first.id + 1


def _interval_ms(interval: str) -> int:
    return 1000 if interval == "1s" else 0


def bar_opens(
    interval: str,
    start_time: int | None,
    end_time: int | None,
    limit: int,
    now: int,
    offset: int = 0,
) -> list[int]:
    """Open times of the bars asked for; ``offset`` (ms) shifts the boundaries to a time
    zone (``timeZone``), ``1s`` bars are one second long."""
    if interval == "1s":
        last_allowed = now if end_time is None else min(end_time, now)
        if start_time is not None:
            first = -(-start_time // 1000) * 1000
            return list(range(first, last_allowed + 1, 1000))[:limit]
        last = last_allowed // 1000 * 1000
        return list(range(max(0, last - (limit - 1) * 1000), last + 1, 1000))
    start = None if start_time is None else start_time + offset
    end = None if end_time is None else end_time + offset
    opens = bars_between(interval, start, end, limit, now + offset)
    return [bar - offset for bar in opens]


def bar_close(interval: str, start: int, offset: int = 0) -> int:
    """The close time (inclusive) of the bar opening at ``start``."""
    if interval == "1s":
        return start + 999
    return next_bar(interval, start + offset) - offset - 1


def day_start(ms: int, offset: int) -> int:
    return bar_start("1d", ms + offset) - offset


class Tape:
    """The market data of one seed, for the listed ``symbols``."""

    def __init__(self, symbols: dict[str, SpotSymbol]) -> None:
        self.symbols = symbols
        self._minute = lru_cache(maxsize=20_000)(self._compute_minute)
        self.taken: dict[tuple[str, int], tuple[int, int]] = {}
        """``(symbol, price ticks) -> (book epoch, steps taken)``: liquidity the account
        consumed, until the level is redrawn."""
        self.takes: dict[str, int] = {}
        """How many times the account took liquidity of each symbol: the stream feeds
        know from it whether a book they published is still the book of its second."""
        self.book_depth = BOOK_DEPTH
        """Levels a side (tests of local order books make it small)."""

    # --- the path ------------------------------------------------------------------------

    def path_price(self, spec: SpotSymbol, minute: int) -> float:
        return spec.price * math.exp(path_at(spec.key, minute, spec.sigma, _DRIFT))

    def path_grid(self, spec: SpotSymbol, level: int, first: int, last: int) -> list[float]:
        offsets = path_grid(spec.key, level, first, last, spec.sigma, _DRIFT)
        return [spec.price * math.exp(offset) for offset in offsets]

    # --- trades ------------------------------------------------------------------------

    def _compute_minute(self, symbol: str, minute: int) -> tuple[Trade, ...]:
        spec = self.symbols[symbol]
        start, end = self.path_price(spec, minute), self.path_price(spec, minute + 1)
        return self._trades_from(spec, minute, start, end)

    def _trades_from(
        self, spec: SpotSymbol, minute: int, start: float, end: float
    ) -> tuple[Trade, ...]:
        key = spec.key
        tick = float(spec.tick)
        lot_steps = int(spec.lot / spec.step)
        trades = []
        for j in range(TRADES_PER_MINUTE):
            trade_id = minute * TRADES_PER_MINUTE + j
            price = start + (end - start) * j / TRADES_PER_MINUTE
            if j:
                price *= 1 + 0.0002 * (2 * unit(key, trade_id, 1) - 1)
            steps = 1 + int(unit(key, trade_id, 2) ** 3 * lot_steps)
            trades.append(
                Trade(
                    trade_id,
                    trade_id * TRADE_MS,
                    max(1, round(price / tick)),
                    steps,
                    unit(key, trade_id, 3) < 0.5,
                )
            )
        return tuple(trades)

    def minute_trades(self, spec: SpotSymbol, minute: int) -> tuple[Trade, ...]:
        return self._minute(spec.symbol, minute)

    def trade(self, spec: SpotSymbol, trade_id: int) -> Trade:
        minute, j = divmod(trade_id, TRADES_PER_MINUTE)
        return self.minute_trades(spec, minute)[j]

    def last_trade(self, spec: SpotSymbol, now: int) -> Trade:
        return self.trade(spec, now // TRADE_MS)

    def trades_range(self, spec: SpotSymbol, first_id: int, last_id: int) -> list[Trade]:
        """Trades ``first_id..last_id`` (inclusive), oldest first."""
        if last_id < first_id:
            return []
        first_minute, last_minute = first_id // TRADES_PER_MINUTE, last_id // TRADES_PER_MINUTE
        if last_minute - first_minute > 8:
            prices = self.path_grid(spec, 0, first_minute, last_minute + 1)
            minutes = [
                self._trades_from(spec, minute, prices[i], prices[i + 1])
                for i, minute in enumerate(range(first_minute, last_minute + 1))
            ]
        else:
            minutes = [self.minute_trades(spec, m) for m in range(first_minute, last_minute + 1)]
        return [t for trades in minutes for t in trades if first_id <= t.id <= last_id]

    def trade_json(self, spec: SpotSymbol, trade: Trade) -> dict[str, Any]:
        price, qty = spec.tick * trade.ticks, spec.step * trade.steps
        return {
            "id": trade.id,
            "price": dec(price),
            "qty": dec(qty),
            "quoteQty": dec(price * qty),
            "time": trade.time,
            "isBuyerMaker": trade.buyer_maker,
            "isBestMatch": True,
        }

    # --- windows: candles and tickers ---------------------------------------------------

    def stats(
        self,
        spec: SpotSymbol,
        start: int,
        end: int,
        now: int,
        grid: tuple[int, int, list[float]] | None = None,
    ) -> Stats:
        """The trades from ``start`` to ``end`` (ms, inclusive; never past ``now``)."""
        end = min(end, now)
        first_id = -(-start // TRADE_MS)
        last_id = end // TRADE_MS
        if last_id < first_id:  # no trade in the window (a 1s candle): the last price
            before = self.trade(spec, first_id - 1)
            zero = Decimal(0)
            empty = Trade(first_id, start, before.ticks, 0, before.buyer_maker)
            return Stats(empty, empty._replace(id=first_id - 1), before.ticks, before.ticks,
                         zero, zero, zero, zero)  # fmt: skip
        if end - start <= _EXACT_MS:
            return self._exact(spec, self.trades_range(spec, first_id, last_id))
        return self._sampled(spec, start, end, first_id, last_id, grid)

    def _exact(self, spec: SpotSymbol, trades: list[Trade]) -> Stats:
        tick, step = spec.tick, spec.step
        volume = quote = taker = taker_quote = Decimal(0)
        for trade in trades:
            qty = step * trade.steps
            value = qty * tick * trade.ticks
            volume += qty
            quote += value
            if not trade.buyer_maker:
                taker += qty
                taker_quote += value
        prices = [trade.ticks for trade in trades]
        return Stats(trades[0], trades[-1], max(prices), min(prices),
                     volume, quote, taker, taker_quote)  # fmt: skip

    def _sampled(
        self,
        spec: SpotSymbol,
        start: int,
        end: int,
        first_id: int,
        last_id: int,
        grid: tuple[int, int, list[float]] | None = None,
    ) -> Stats:
        """A long window: open and close from its trades, high and low from samples of the
        path (``grid``: ``(level, first index, values)`` shared by a request's candles),
        the volume from a sample of its trades' sizes (no price path needed for those)."""
        first, last = self.trade(spec, first_id), self.trade(spec, last_id)
        if grid is None:
            grid = self.sample_grid(spec, end - start, start, end)
        level, base, values = grid
        step_minutes = 1 << level
        lo = max(base, -(-start // MINUTE // step_minutes))
        hi = min(base + len(values) - 1, end // MINUTE // step_minutes)
        tick = float(spec.tick)
        sampled = [round(values[i - base] / tick) for i in range(lo, hi + 1)]
        high = max(first.ticks, last.ticks, *sampled)
        low = min(first.ticks, last.ticks, *sampled)
        count = last_id - first_id + 1
        stride = max(1, count // (_VOLUME_MINUTES * TRADES_PER_MINUTE))
        key, lot_steps = spec.key, int(spec.lot / spec.step)
        steps = taker = picked = 0
        for trade_id in range(first_id, last_id + 1, stride):
            size = 1 + int(unit(key, trade_id, 2) ** 3 * lot_steps)
            steps += size
            picked += 1
            if unit(key, trade_id, 3) >= 0.5:
                taker += size
        factor = Decimal(count) / picked
        prices = sampled or [first.ticks, last.ticks]
        average = spec.tick * (sum(prices) / Decimal(len(prices)))
        quantize = Decimal("0.00000001")
        volume = (spec.step * steps * factor).quantize(quantize)
        taker_volume = (spec.step * taker * factor).quantize(quantize)
        return Stats(first, last, high, low, volume, (volume * average).quantize(quantize),
                     taker_volume, (taker_volume * average).quantize(quantize))  # fmt: skip

    def sample_grid(
        self, spec: SpotSymbol, bar_ms: int, start: int, end: int
    ) -> tuple[int, int, list[float]]:
        """About ``_SAMPLES`` path values per bar of ``bar_ms``, over ``start..end``."""
        minutes = max(1, bar_ms // MINUTE)
        level = max(0, int(math.log2(max(1, minutes // _SAMPLES))))
        step_minutes = 1 << level
        lo, hi = -(-start // MINUTE // step_minutes), end // MINUTE // step_minutes
        return level, lo, self.path_grid(spec, level, lo, hi) if hi >= lo else []

    def klines(
        self,
        spec: SpotSymbol,
        interval: str,
        start_time: int | None,
        end_time: int | None,
        limit: int,
        now: int,
        offset: int = 0,
    ) -> list[list[Any]]:
        """Candles as Binance's 12-slot arrays."""
        bars = []
        opens = bar_opens(interval, start_time, end_time, limit, now, offset)
        grid = None
        if opens and bar_close(interval, opens[0], offset) - opens[0] >= _EXACT_MS:
            last_close = min(now, bar_close(interval, opens[-1], offset))
            bar_ms = bar_close(interval, opens[0], offset) - opens[0]
            grid = self.sample_grid(spec, bar_ms, opens[0], last_close)
        for start in opens:
            close = bar_close(interval, start, offset)
            s = self.stats(spec, start, close, now, grid)
            bars.append(
                [
                    start,
                    spec.price_text(s.first.ticks),
                    spec.price_text(s.high),
                    spec.price_text(s.low),
                    spec.price_text(s.last.ticks),
                    dec(s.volume),
                    close,
                    dec(s.quote_volume),
                    s.trades if s.volume else 0,
                    dec(s.taker_volume),
                    dec(s.taker_quote_volume),
                    "0",
                ]
            )
        return bars

    def avg_price(self, spec: SpotSymbol, now: int, minutes: int = 5) -> Decimal:
        """The volume-weighted price of the last ``minutes`` (``avgPrice``)."""
        s = self.stats(spec, now - minutes * MINUTE + 1, now, now)
        if not s.volume:
            return spec.tick * s.last.ticks
        return (s.quote_volume / s.volume).quantize(Decimal("0.00000001"))

    def window_ticker(
        self, spec: SpotSymbol, open_time: int, close_time: int, now: int, full: bool
    ) -> dict[str, Any]:
        """A rolling or trading-day ticker: FULL or MINI keys, as ``/api/v3/ticker``."""
        s = self.stats(spec, open_time, close_time, now)
        text = spec.price_text
        change = s.last.ticks - s.first.ticks
        mini = {
            "symbol": spec.symbol,
            "openPrice": text(s.first.ticks),
            "highPrice": text(s.high),
            "lowPrice": text(s.low),
            "lastPrice": text(s.last.ticks),
            "volume": dec(s.volume),
            "quoteVolume": dec(s.quote_volume),
            "openTime": open_time,
            "closeTime": close_time,
            "firstId": s.first.id,
            "lastId": s.last.id,
            "count": s.trades,
        }
        if not full:
            return mini
        average = s.quote_volume / s.volume if s.volume else spec.tick * s.last.ticks
        head = {
            "symbol": spec.symbol,
            "priceChange": text(change),
            "priceChangePercent": f"{change / s.first.ticks * 100:.3f}",
            "weightedAvgPrice": dec(average),
        }
        return head | {k: v for k, v in mini.items() if k != "symbol"}

    def ticker_24hr(self, spec: SpotSymbol, now: int, full: bool) -> dict[str, Any]:
        open_time = now - 86_400_000
        s = self.stats(spec, open_time, now, now)
        text = spec.price_text
        if not full:
            return self.window_ticker(spec, open_time, now, now, full=False)
        bids, asks = self.book_levels(spec, now, 1)
        (bid, bid_qty), (ask, ask_qty) = bids[0], asks[0]
        change = s.last.ticks - s.first.ticks
        previous = self.trade(spec, s.first.id - 1)
        average = s.quote_volume / s.volume if s.volume else spec.tick * s.last.ticks
        return {
            "symbol": spec.symbol,
            "priceChange": text(change),
            "priceChangePercent": f"{change / s.first.ticks * 100:.3f}",
            "weightedAvgPrice": dec(average),
            "prevClosePrice": text(previous.ticks),
            "lastPrice": text(s.last.ticks),
            "lastQty": spec.qty_text(s.last.steps),
            "bidPrice": text(bid),
            "bidQty": spec.qty_text(bid_qty),
            "askPrice": text(ask),
            "askQty": spec.qty_text(ask_qty),
            "openPrice": text(s.first.ticks),
            "highPrice": text(s.high),
            "lowPrice": text(s.low),
            "volume": dec(s.volume),
            "quoteVolume": dec(s.quote_volume),
            "openTime": open_time,
            "closeTime": now,
            "firstId": s.first.id,
            "lastId": s.last.id,
            "count": s.trades,
        }

    # --- the book ----------------------------------------------------------------------

    def level_steps(self, spec: SpotSymbol, ticks: int, step: int) -> int:
        """The quantity (in steps) resting at ``ticks`` during book ``step`` (the book
        changes every 100 ms, as the futures books do: :func:`~..market.book_step`), less
        what the account took from it since the level was last redrawn."""
        epoch = refresh_epoch(ticks, step)
        lot_steps = int(spec.lot / spec.step)
        drawn = 1 + int(unit(spec.key, ticks * 1_000_003 + epoch, 10) * lot_steps // 2)
        taken = self.taken.get((spec.symbol, ticks))
        if taken is not None and taken[0] == epoch:
            return max(0, drawn - taken[1])
        return drawn

    def take(self, spec: SpotSymbol, ticks: int, step: int, steps: int) -> None:
        """Remove ``steps`` from the level at ``ticks`` during book ``step`` (the account's
        order took them)."""
        epoch = refresh_epoch(ticks, step)
        key = (spec.symbol, ticks)
        previous = self.taken.get(key)
        already = previous[1] if previous is not None and previous[0] == epoch else 0
        self.taken[key] = (epoch, already + steps)
        self.takes[spec.symbol] = self.takes.get(spec.symbol, 0) + 1
        if len(self.taken) > 50_000:  # bounded: old epochs are worthless
            for stale in [k for k, (e, _) in self.taken.items() if e < epoch - 1]:
                del self.taken[stale]

    def best(self, spec: SpotSymbol, now: int) -> tuple[int, int]:
        """Best bid and best ask, in ticks."""
        last = self.last_trade(spec, now).ticks
        return last, last + 1

    def book_levels(
        self, spec: SpotSymbol, now: int, depth: int
    ) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """Up to ``depth`` levels a side as ``(ticks, steps)``, best first (levels emptied
        by the account's orders are left out)."""
        book = book_step(now)
        bid, ask = self.best(spec, now)
        depth = min(depth, self.book_depth)

        def side(start: int, step: int) -> list[tuple[int, int]]:
            levels: list[tuple[int, int]] = []
            ticks = start
            while len(levels) < depth and ticks > 0 and abs(ticks - start) < 2 * BOOK_DEPTH:
                steps = self.level_steps(spec, ticks, book)
                if steps:
                    levels.append((ticks, steps))
                ticks += step
            return levels

        return side(bid, -1), side(ask, 1)

    def depth(self, spec: SpotSymbol, now: int, limit: int) -> dict[str, Any]:
        bids, asks = self.book_levels(spec, now, limit)
        return {
            "lastUpdateId": book_update_id(now),
            "bids": [[spec.price_text(t), spec.qty_text(q)] for t, q in bids],
            "asks": [[spec.price_text(t), spec.qty_text(q)] for t, q in asks],
        }
