"""USDⓈ-M's all-market streams: ``!bookTicker``, ``!miniTicker@arr``, ``!ticker@arr``,
``!markPrice@arr`` (and ``@1s``), ``!assetIndex@arr`` and ``!contractInfo``; and the one
asset's ``<assetSymbol>@assetIndex`` (``btcusd@assetIndex``), which Binance documents
only in the description of ``!assetIndex@arr``: its row of that array, alone.

Each is made of the per-symbol payloads of :mod:`.feeds` (or of the REST endpoint's rows,
for the asset index), so its values equal REST's at the same moment: ``!bookTicker`` is
``/fapi/v1/ticker/bookTicker``, the tickers ``/fapi/v1/ticker/24hr``, the mark prices
``/fapi/v1/premiumIndex``, the asset index ``/fapi/v1/assetIndex`` (``?symbol=`` for one
asset).

Timing, as documented or as close as a once-a-second simulator gets: ``!bookTicker``
(real time on Binance) sends one payload per symbol per simulated second, the arrays one
array per second (every symbol trades every second, so "only the tickers that changed" is
all of them), ``!markPrice@arr`` every third second and ``!markPrice@arr@1s`` every
second, ``!contractInfo`` one event per contract change made through
:meth:`~aioca_binance_sim.BinanceSimulator.set_contract_status` or
:meth:`~aioca_binance_sim.BinanceSimulator.set_leverage_brackets` (see :mod:`..contracts`),
and nothing otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..contracts import contract_info_events
from ..feeds import Feed

if TYPE_CHECKING:
    from .instruments import UsdmSymbol
    from .market import UsdmMarket


__all__ = ["array_feeds", "asset_index_rows"]

PerSymbol = Callable[["UsdmMarket", "UsdmSymbol", re.Match[str], int], list[dict[str, Any]]]
AllSymbols = Callable[["UsdmMarket", "UsdmSymbol | None", re.Match[str], int], list[Any]]


def asset_index_rows(market: UsdmMarket, now: int) -> dict[str, dict[str, Any]]:
    """``/fapi/v1/assetIndex``'s rows by symbol (``BTCUSD``): each margin coin's USD value
    (the index of its USDT perpetual) with its haircut buffers. A composite index
    (``DEFIUSDT``) is no margin asset: it has no row."""
    rows = {}
    for s in market.symbols.values():
        if s.components or s.name != f"{s.base}USDT":
            continue
        index = market.index_price(s, now)
        rows[f"{s.base}USD"] = {
            "symbol": f"{s.base}USD",
            "time": now,
            "index": f"{index:.8f}",
            "bidBuffer": "0.05000000",
            "askBuffer": "0.05000000",
            "bidRate": f"{index * Decimal('0.95'):.8f}",
            "askRate": f"{index * Decimal('1.05'):.8f}",
            "autoExchangeBidBuffer": "0.02500000",
            "autoExchangeAskBuffer": "0.02500000",
            "autoExchangeBidRate": f"{index * Decimal('0.975'):.8f}",
            "autoExchangeAskRate": f"{index * Decimal('1.025'):.8f}",
        }
    return rows


_ASSET_INDEX_KEYS = {
    "i": "index",
    "b": "bidBuffer",
    "a": "askBuffer",
    "B": "bidRate",
    "A": "askRate",
    "q": "autoExchangeBidBuffer",
    "g": "autoExchangeAskBuffer",
    "Q": "autoExchangeBidRate",
    "G": "autoExchangeAskRate",
}
"""The stream's keys and REST's names of the same values."""


def _asset_index_event(row: dict[str, Any], now: int) -> dict[str, Any]:
    """The stream's item of one REST row."""
    return {"e": "assetIndexUpdate", "E": now, "s": row["symbol"]} | {
        short: row[long] for short, long in _ASSET_INDEX_KEYS.items()
    }


def _asset_index(
    market: UsdmMarket, symbol: UsdmSymbol | None, match: re.Match[str], second: int
) -> list[Any]:
    now = second * 1000
    return [[_asset_index_event(row, now) for row in asset_index_rows(market, now).values()]]


def _one_asset_index(
    market: UsdmMarket, symbol: UsdmSymbol | None, match: re.Match[str], second: int
) -> list[Any]:
    """``<assetSymbol>@assetIndex``: the asset's item of ``!assetIndex@arr``, alone (nothing
    for an asset the index does not list, as for any unknown symbol)."""
    now = second * 1000
    row = asset_index_rows(market, now).get(match.group("asset").upper())
    return [] if row is None else [_asset_index_event(row, now)]


def _each_symbol(build: PerSymbol) -> AllSymbols:
    """``!bookTicker``: every symbol's payload, one message each."""

    def every(
        market: UsdmMarket, symbol: UsdmSymbol | None, match: re.Match[str], second: int
    ) -> list[Any]:
        return [item for s in market.symbols.values() for item in build(market, s, match, second)]

    return every


def _array(build: PerSymbol, every_seconds: int = 1) -> AllSymbols:
    """An ``@arr`` stream: one array of every symbol's payload, every ``every_seconds``."""

    def array(
        market: UsdmMarket, symbol: UsdmSymbol | None, match: re.Match[str], second: int
    ) -> list[Any]:
        if second % every_seconds:
            return []
        symbols = market.symbols.values()
        return [[item for s in symbols for item in build(market, s, match, second)]]

    return array


def _contract_info(
    market: UsdmMarket, symbol: UsdmSymbol | None, match: re.Match[str], second: int
) -> list[Any]:
    def head(name: str) -> dict[str, Any] | None:
        s = market.symbols.get(name)
        if s is None:
            return None
        instrument = s.instrument
        return {
            "s": s.name,
            "ps": s.pair,
            "ct": instrument.contract_type,
            "dt": instrument.delivery_ms,
            "ot": instrument.onboard_ms,
        }

    return list(contract_info_events(market.core.contracts, second, head))


def array_feeds(per_symbol: dict[str, PerSymbol]) -> tuple[Feed, ...]:
    """The all-market feeds, from :mod:`.feeds`' per-symbol builders (``bookTicker``,
    ``ticker``, ``markPrice``) so the two never disagree."""
    return (
        Feed(re.compile(r"!bookTicker$"), _each_symbol(per_symbol["bookTicker"])),
        Feed(re.compile(r"!(?P<kind>ticker|miniTicker)@arr$"), _array(per_symbol["ticker"])),
        Feed(re.compile(r"!markPrice@arr$"), _array(per_symbol["markPrice"], every_seconds=3)),
        Feed(re.compile(r"!markPrice@arr@1s$"), _array(per_symbol["markPrice"])),
        Feed(re.compile(r"!assetIndex@arr$"), _asset_index),
        # "asset", not "symbol": an asset index (BTCUSD) is no contract the hub looks up
        Feed(re.compile(r"(?P<asset>[a-z0-9]+)@assetIndex$"), _one_asset_index),
        Feed(re.compile(r"!contractInfo$"), _contract_info),
    )
