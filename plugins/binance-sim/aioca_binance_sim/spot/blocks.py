"""Spot's block trades: one every :data:`BLOCK_PERIOD_MS` (every quarter hour, its id
the number of quarter hours since the epoch), at the last public trade's price, ten
times that trade's size, its maker side the trade's.

Binance reports block trades apart from the order book's trades (they are negotiated
off the book), through ``GET /api/v3/historicalBlockTrades`` and the
``<symbol>@blockTrade`` stream; the simulator's two answer from :func:`block_trade`, so
they agree, and neither enters the tape's trades, candles or tickers.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

from .symbols import dec
from .tape import MINUTE

if TYPE_CHECKING:
    from .feeds import SpotFeeds
    from .symbols import SpotSymbol
    from .tape import Tape

__all__ = ["BLOCK_PERIOD_MS", "BlockTrade", "block_trade", "block_trade_stream"]

BLOCK_PERIOD_MS = 15 * MINUTE
BLOCK_SIZE = 10
"""A block trade's size in regular trades (of the last public trade at its time)."""


class BlockTrade(NamedTuple):
    id: int
    time: int
    price: Decimal
    qty: Decimal
    buyer_maker: bool

    def to_json(self) -> dict[str, Any]:
        """As ``GET /api/v3/historicalBlockTrades`` lists it."""
        return {
            "id": self.id,
            "price": dec(self.price),
            "qty": dec(self.qty),
            "quoteQty": dec(self.price * self.qty),
            "time": self.time,
            "isBuyerMaker": self.buyer_maker,
        }


def block_trade(tape: Tape, spec: SpotSymbol, block_id: int) -> BlockTrade:
    """Block trade ``block_id`` of ``spec``, at ``block_id * BLOCK_PERIOD_MS``."""
    time = block_id * BLOCK_PERIOD_MS
    trade = tape.last_trade(spec, time)
    price, qty = spec.tick * trade.ticks, spec.step * trade.steps * BLOCK_SIZE
    return BlockTrade(block_id, time, price, qty, trade.buyer_maker)


def block_trade_stream(
    feeds: SpotFeeds, spec: SpotSymbol, match: re.Match[str], second: int
) -> list[dict[str, Any]]:
    """``<symbol>@blockTrade``: the block trade of ``second``, if one happened then."""
    now = second * 1000
    if now % BLOCK_PERIOD_MS:
        return []
    block = block_trade(feeds.tape, spec, now // BLOCK_PERIOD_MS)
    return [
        {
            "e": "blockTrade",
            "E": block.time + 1,
            "s": spec.symbol,
            "t": block.id,
            "p": dec(block.price),
            "q": dec(block.qty),
            "T": block.time,
            "m": block.buyer_maker,
        }
    ]
