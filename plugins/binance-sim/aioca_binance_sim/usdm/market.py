"""USDⓈ-M market data: the COIN-M machinery's paths, trades and book (one seeded random
walk per pair, see :mod:`aioca_binance_sim.market`), written the USDⓈ-M way.

The shared :class:`Market` counts quantities in integer lots; here a lot is one quantity
step of the symbol (``0.001`` BTC), so a trade of 250 lots is ``0.250`` BTC. What
differs from COIN-M is only the writing: volumes in the base coin, quote volumes in the
stablecoin (``qty * price``), no ``pair`` or ``baseVolume`` keys.

Quote volumes of candles longer than five minutes and of the 24 h ticker are estimated
as ``volume * (high + low + close) / 3``: the shared market estimates those volumes from
samples, not from every trade (see ``Market._volume_estimate``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..instruments import Instrument
from ..market import MINUTE, TRADE_MS, Market, Trade, book_step
from ..noise import stream_key, value_noise
from .instruments import UsdmSymbol

__all__ = ["UsdmMarket"]

_OPEN_INTEREST_USD = {"BTC": 8_000_000_000, "ETH": 4_000_000_000}
_OTHER_OPEN_INTEREST_USD = 400_000_000


class UsdmMarket:
    """The market data of one seed for the USDⓈ-M ``symbols``."""

    def __init__(self, seed: int, symbols: dict[str, UsdmSymbol]) -> None:
        self.seed = seed
        self.symbols = symbols
        self.core = Market(seed, {name: s.instrument for name, s in symbols.items()})
        """The shared price machinery (paths, trades, book levels in lots)."""

    # --- prices ------------------------------------------------------------------------

    def last_trade(self, symbol: UsdmSymbol, now: int) -> Trade:
        return self.core.last_trade(symbol.instrument, now)

    def last_price(self, symbol: UsdmSymbol, now: int) -> Decimal:
        return symbol.ticks_price(self.last_trade(symbol, now).ticks)

    def mark_price(self, symbol: UsdmSymbol, now: int) -> Decimal:
        """The mark price, rounded to 8 decimals as Binance writes it."""
        return Decimal(f"{self.core.mark_price(symbol.instrument, now):.8f}")

    def index_price(self, symbol: UsdmSymbol, now: int) -> Decimal:
        return Decimal(f"{self.core.index_price(symbol.instrument.pair, now):.8f}")

    def best_prices(self, symbol: UsdmSymbol, now: int) -> tuple[int, int]:
        """Best bid and best ask, in ticks (the bid at the last trade, the ask a tick up)."""
        last = self.last_trade(symbol, now).ticks
        return last, last + 1

    def level_steps(self, symbol: UsdmSymbol, tick: int, now: int) -> int:
        """The quantity resting at ``tick`` now, in quantity steps."""
        return self.core.level_qty(symbol.instrument, tick, book_step(now))

    def trades(self, symbol: UsdmSymbol, first_id: int, last_id: int) -> list[Trade]:
        return self.core.trades_range(symbol.instrument, first_id, last_id)

    # --- answers -----------------------------------------------------------------------

    def trade_json(self, symbol: UsdmSymbol, trade: Trade) -> dict[str, Any]:
        qty = symbol.steps_qty(trade.qty)
        price = symbol.ticks_price(trade.ticks)
        return {
            "id": trade.id,
            "price": symbol.price_text(price),
            "qty": symbol.qty_text(qty),
            "quoteQty": f"{qty * price:.{symbol.tick_decimals + symbol.step_decimals}f}",
            "time": trade.time,
            "isBuyerMaker": trade.buyer_maker,
            "isRPITrade": False,
        }

    def book(self, symbol: UsdmSymbol, now: int, depth: int) -> tuple[list[Any], list[Any]]:
        bids, asks = self.core.book_levels(
            symbol.instrument, book_step(now), min(depth, self.core.book_depth)
        )
        price, qty = symbol.ticks_price, symbol.steps_qty
        return (
            [[symbol.price_text(price(t)), symbol.qty_text(qty(q))] for t, q in bids.items()],
            [[symbol.price_text(price(t)), symbol.qty_text(qty(q))] for t, q in asks.items()],
        )

    def _linear_bar(self, symbol: UsdmSymbol, bar: list[Any], exact: float | None) -> list[Any]:
        """A COIN-M candle (volumes in lots) rewritten with base and quote volumes."""
        volume = symbol.steps_qty(int(bar[5]))
        taker = symbol.steps_qty(int(bar[9]))
        typical = (Decimal(bar[2]) + Decimal(bar[3]) + Decimal(bar[4])) / 3
        quote = Decimal(exact) if exact is not None else volume * typical
        taker_quote = quote * taker / volume if volume else Decimal(0)
        return [
            bar[0], bar[1], bar[2], bar[3], bar[4], symbol.qty_text(volume), bar[6],
            f"{quote:.8f}", bar[8], symbol.qty_text(taker), f"{taker_quote:.8f}", "0",
        ]  # fmt: skip

    def klines(
        self,
        symbol: UsdmSymbol,
        interval: str,
        start: int | None,
        end: int | None,
        limit: int,
        now: int,
    ) -> list[list[Any]]:
        bars = self.core.klines(symbol.instrument, interval, start, end, limit, now)
        result = []
        for bar in bars:
            exact = None
            if bar[6] + 1 - bar[0] <= 5 * MINUTE:
                trades = self._bar_trades(symbol.instrument, bar[0], min(bar[6], now))
                exact = sum(
                    float(symbol.steps_qty(t.qty) * symbol.ticks_price(t.ticks)) for t in trades
                )
            result.append(self._linear_bar(symbol, bar, exact))
        return result

    def _bar_trades(self, instrument: Instrument, start: int, last_ms: int) -> list[Trade]:
        first = -(-start // TRADE_MS)
        return self.core.trades_range(instrument, first, last_ms // TRADE_MS)

    def path_klines(
        self, symbol: UsdmSymbol, kind: str, interval: str, start: int | None,
        end: int | None, limit: int, now: int,
    ) -> list[list[Any]]:  # fmt: skip
        """Candles of the index (``kind="index"``), the mark price or the premium."""
        core, instrument = self.core, symbol.instrument
        if kind == "index":
            return core.path_klines(
                instrument.pair, interval, start, end, limit, now, lambda m, index: index, 8
            )
        if kind == "mark":
            return core.path_klines(
                instrument.pair, interval, start, end, limit, now,
                lambda m, index: core.mark_at(instrument, m, index), 8,
            )  # fmt: skip
        return core.path_klines(
            instrument.pair, interval, start, end, limit, now,
            lambda m, index: core.premium(instrument, float(m)), 8,
        )  # fmt: skip

    def ticker_24hr(self, symbol: UsdmSymbol, now: int) -> dict[str, Any]:
        data = self.core.ticker_24hr(symbol.instrument, now)
        volume = symbol.steps_qty(int(data["volume"]))
        average = Decimal(data["weightedAvgPrice"])
        return {
            "symbol": symbol.name,
            "priceChange": data["priceChange"],
            "priceChangePercent": data["priceChangePercent"],
            "weightedAvgPrice": data["weightedAvgPrice"],
            "lastPrice": data["lastPrice"],
            "lastQty": symbol.qty_text(symbol.steps_qty(int(data["lastQty"]))),
            "openPrice": data["openPrice"],
            "highPrice": data["highPrice"],
            "lowPrice": data["lowPrice"],
            "volume": symbol.qty_text(volume),
            "quoteVolume": f"{volume * average:.8f}",
            "openTime": data["openTime"],
            "closeTime": data["closeTime"],
            "firstId": data["firstId"],
            "lastId": data["lastId"],
            "count": data["count"],
        }

    def ticker_price(self, symbol: UsdmSymbol, now: int) -> dict[str, Any]:
        last = self.last_trade(symbol, now)
        return {
            "symbol": symbol.name,
            "price": symbol.price_text(symbol.ticks_price(last.ticks)),
            "time": last.time,
        }

    def book_ticker(self, symbol: UsdmSymbol, now: int) -> dict[str, Any]:
        bids, asks = self.book(symbol, now, 1)
        return {
            "symbol": symbol.name,
            "bidPrice": bids[0][0],
            "bidQty": bids[0][1],
            "askPrice": asks[0][0],
            "askQty": asks[0][1],
            "time": now,
        }

    # --- derivatives data --------------------------------------------------------------

    def funding_rate(self, symbol: UsdmSymbol, funding_time: int) -> Decimal:
        return Decimal(f"{self.core.funding_rate(symbol.instrument, funding_time):.8f}")

    def premium_index(self, symbol: UsdmSymbol, now: int) -> dict[str, Any]:
        perpetual = symbol.instrument.perpetual
        next_funding = self.core.next_funding_time(now)
        estimate = self.core.index_price(symbol.instrument.pair, now - 30_000)
        return {
            "symbol": symbol.name,
            "markPrice": f"{self.mark_price(symbol, now):.8f}",
            "indexPrice": f"{self.index_price(symbol, now):.8f}",
            "estimatedSettlePrice": f"{estimate:.8f}",
            "lastFundingRate": (
                f"{self.funding_rate(symbol, next_funding):.8f}" if perpetual else ""
            ),
            "interestRate": "0.00010000" if perpetual else "",
            "nextFundingTime": next_funding if perpetual else 0,
            "time": now,
        }

    def open_interest(self, symbol: UsdmSymbol, ms: int) -> Decimal:
        """Open interest in the base coin: a slowly wandering USD value over the price."""
        usd = _OPEN_INTEREST_USD.get(symbol.base, _OTHER_OPEN_INTEREST_USD)
        if symbol.quote == "USDC":
            usd //= 10
        if not symbol.instrument.perpetual:
            usd //= 20
        wobble = 1 + 0.2 * value_noise(symbol.instrument.key, ms / MINUTE, 1440.0, 30)
        price = self.core.index_price(symbol.instrument.pair, ms)
        return (Decimal(usd * wobble / price)).quantize(symbol.step)

    def ratio(self, stream: str, symbol: UsdmSymbol, ms: int) -> float:
        """A long share in (0.3, 0.7) for the long/short statistics."""
        key = stream_key(self.seed, "usdm", symbol.name, stream)
        return 0.5 + 0.2 * value_noise(key, ms / MINUTE, 720.0)
