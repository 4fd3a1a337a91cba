"""COIN-M's all-market streams: ``!bookTicker``, ``!miniTicker@arr``, ``!ticker@arr`` and
``!contractInfo``.

Each is made of :mod:`.feeds`' per-symbol payloads, so its values equal REST's at the same
moment (``/dapi/v1/ticker/bookTicker``, ``/dapi/v1/ticker/24hr``). ``!bookTicker`` (real
time on Binance) sends one payload per contract per simulated second, the arrays one array
of every contract per second (every contract trades every second, so "only the tickers that
changed" is all of them), and ``!contractInfo`` one event per contract change made through
:meth:`~aioca_binance_sim.BinanceSimulator.set_contract_status` or
:meth:`~aioca_binance_sim.BinanceSimulator.set_leverage_brackets` (see :mod:`.contracts`),
nothing otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .contracts import contract_info_events

if TYPE_CHECKING:
    from .feeds import Feed
    from .instruments import Instrument
    from .market import Market

__all__ = ["array_feeds"]

PerSymbol = Callable[["Market", "Instrument", re.Match[str], int], list[dict[str, Any]]]
AllSymbols = Callable[["Market", "Instrument | None", re.Match[str], int], list[Any]]


def _each_symbol(build: PerSymbol) -> AllSymbols:
    """``!bookTicker``: every contract's payload, one message each."""

    def every(
        market: Market, instrument: Instrument | None, match: re.Match[str], second: int
    ) -> list[Any]:
        contracts = market.instruments.values()
        return [item for each in contracts for item in build(market, each, match, second)]

    return every


def _array(build: PerSymbol) -> AllSymbols:
    """An ``@arr`` stream: one array of every contract's payload per second."""

    def array(
        market: Market, instrument: Instrument | None, match: re.Match[str], second: int
    ) -> list[Any]:
        contracts = market.instruments.values()
        return [[item for each in contracts for item in build(market, each, match, second)]]

    return array


def _contract_info(
    market: Market, instrument: Instrument | None, match: re.Match[str], second: int
) -> list[Any]:
    def head(symbol: str) -> dict[str, Any] | None:
        contract = market.instruments.get(symbol)
        if contract is None:
            return None
        return {
            "s": contract.symbol,
            "ps": contract.pair.name,
            "ct": contract.contract_type,
            "dt": contract.delivery_ms,
            "ot": contract.onboard_ms,
        }

    return list(contract_info_events(market.contracts, second, head))


def array_feeds(feed: type[Feed], per_symbol: dict[str, PerSymbol]) -> tuple[Feed, ...]:
    """The all-market feeds, from :mod:`.feeds`' per-symbol builders (``bookTicker``,
    ``ticker``) so the two never disagree; ``feed`` is :class:`.feeds.Feed`, passed in
    because :mod:`.feeds` imports this module to build its table."""
    return (
        feed(re.compile(r"!bookTicker$"), _each_symbol(per_symbol["bookTicker"])),
        feed(re.compile(r"!(?P<kind>ticker|miniTicker)@arr$"), _array(per_symbol["ticker"])),
        feed(re.compile(r"!contractInfo$"), _contract_info),
    )
