"""COIN-M's pair and candle streams: continuous-contract klines, the index price, the mark
price of every contract of a pair, and the index and mark price klines.

Each payload is built from the same :class:`~.market.Market` function the matching REST
endpoint answers from, at the same moment, so the two agree:

* ``<pair>_<contractType>@continuousKline_<interval>``: ``/dapi/v1/continuousKlines``;
* ``<pair>@indexPrice`` (and ``@1s``): ``indexPrice`` of ``/dapi/v1/premiumIndex``;
* ``<pair>@markPrice`` (and ``@1s``): one array of ``/dapi/v1/premiumIndex?pair=<pair>``'s
  rows, one ``markPriceUpdate`` per listed contract of the pair;
* ``<pair>@indexPriceKline_<interval>``: ``/dapi/v1/indexPriceKlines``;
* ``<symbol>@markPriceKline_<interval>``: ``/dapi/v1/markPriceKlines``.

A candle stream sends the candle of now every second; the second a new candle opens, it
first sends the one that just closed, complete, with ``"x": true`` (as Binance does). The
index and mark prices have no trades: their candles' ``f`` and ``L`` are the times of the
first and last data point (the index is a path sampled once a minute, so ``n`` data
points are ``n`` minute starts), their volumes ``"0"``, as Binance writes them.

Pair topics name no listed symbol, so their patterns have no ``symbol`` group (the hub
then passes no instrument) but a ``pair`` group, and a ``contract`` group for continuous
klines: :func:`_of_pair` and :func:`_of_contract_type` resolve them (a pair or contract
type the simulator does not list sends nothing, as an unlisted symbol does).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .bars import candle
from .instruments import Instrument, Pair
from .market import MINUTE, TRADE_MS, Market, symbols_of

__all__ = [
    "CANDLE_INTERVALS",
    "CONTRACT_TYPES",
    "PAIR_FEED_PATTERNS",
    "candle_payloads",
    "continuous_kline_event",
]

CANDLE_INTERVALS = "1m|3m|5m|15m|30m|1h|2h|4h|6h|8h|12h|1d|3d|1w|1M"
"""The intervals Binance documents for the candle streams."""

CONTRACT_TYPES = ("perpetual", "current_quarter", "next_quarter")
"""COIN-M's contract types as a continuous kline topic names them."""

Bars = Callable[[int | None, int], list[list[Any]]]
"""``(end_time, now) -> [the REST candle containing end_time]`` (``None``: now)."""


def candle_payloads(
    bars: Bars, now: int, event: Callable[[list[Any], bool], dict[str, Any]]
) -> list[dict[str, Any]]:
    """The candle events of the second starting at ``now``: the candle of now, preceded
    by the one that just closed when a new one opens at ``now``."""
    (bar,) = bars(None, now)
    payloads = []
    if bar[0] == now:
        (closed,) = bars(now - 1, now)
        payloads.append(event(closed, True))
    payloads.append(event(bar, False))
    return payloads


def mark_price_event(market: Market, instrument: Instrument, now: int) -> dict[str, Any]:
    """A COIN-M contract's ``markPriceUpdate`` at ``now`` (ms), from REST premiumIndex's
    answer at that moment: ``<symbol>@markPrice`` sends it alone, ``<pair>@markPrice`` in
    the array of the pair's contracts."""
    info = market.premium_index(instrument, now)
    return {
        "e": "markPriceUpdate",
        "E": now,
        "s": instrument.symbol,
        "p": info["markPrice"],
        "P": info["estimatedSettlePrice"],
        "i": info["indexPrice"],
        "r": info["lastFundingRate"],
        "T": info["nextFundingTime"],
    }


def continuous_kline_event(
    trades: Any, instrument: Any, pair: str, interval: str, now: int, bar: list[Any], closed: bool
) -> dict[str, Any]:
    """A ``continuous_kline`` event of ``bar`` (a REST kline row) at ``now``: ``f``/``L``
    the ids of the bar's first trade and of its last one so far, from ``trades`` (the
    market's trade tape, COIN-M's or USDⓈ-M's); both markets send this same shape."""
    return {
        "e": "continuous_kline",
        "E": now,
        "ps": pair,
        "ct": instrument.contract_type,
        "k": candle(
            bar,
            interval,
            trades.trade(instrument, -(-bar[0] // TRADE_MS)).id,
            trades.last_trade(instrument, min(bar[6], now)).id,
            closed,
        ),
    }


def _continuous_kline(
    market: Market, instrument: Instrument, match: re.Match[str], second: int
) -> list[dict[str, Any]]:
    interval = match.group("interval")
    now = second * 1000

    def event(bar: list[Any], closed: bool) -> dict[str, Any]:
        pair = instrument.pair.name
        return continuous_kline_event(market, instrument, pair, interval, now, bar, closed)

    return candle_payloads(
        lambda end, at: market.klines(instrument, interval, None, end, 1, at), now, event
    )


def _path_kline_event(
    kind: str, pair: Pair, symbol: str, interval: str, now: int
) -> Callable[[list[Any], bool], dict[str, Any]]:
    def event(bar: list[Any], closed: bool) -> dict[str, Any]:
        return {
            "e": kind,
            "E": now,
            "ps": pair.name,
            "k": {
                "t": bar[0],
                "T": bar[6],
                "s": symbol,
                "i": interval,
                "f": bar[0],
                "L": bar[0] + (bar[8] - 1) * MINUTE,  # the last data point: a minute start
                "o": bar[1],
                "c": bar[4],
                "h": bar[2],
                "l": bar[3],
                "v": "0",
                "n": bar[8],
                "x": closed,
                "q": "0",
                "V": "0",
                "Q": "0",
                "B": "0",
            },
        }

    return event


def _index_price_kline(
    market: Market, pair: Pair, match: re.Match[str], second: int
) -> list[dict[str, Any]]:
    interval = match.group("interval")
    now = second * 1000
    return candle_payloads(
        lambda end, at: market.path_klines(
            pair, interval, None, end, 1, at, lambda minute, index: index, 8
        ),
        now,
        _path_kline_event("indexPrice_kline", pair, "0", interval, now),
    )


def _mark_price_kline(
    market: Market, instrument: Instrument, match: re.Match[str], second: int
) -> list[dict[str, Any]]:
    interval = match.group("interval")
    now = second * 1000
    return candle_payloads(
        lambda end, at: market.path_klines(
            instrument.pair,
            interval,
            None,
            end,
            1,
            at,
            lambda minute, index: market.mark_at(instrument, minute, index),
            8,
        ),
        now,
        _path_kline_event("markPrice_kline", instrument.pair, instrument.symbol, interval, now),
    )


def _index_price(
    market: Market, pair: Pair, match: re.Match[str], second: int
) -> list[dict[str, Any]]:
    now = second * 1000
    return [
        {
            "e": "indexPriceUpdate",
            "E": now,
            "i": pair.name,
            "p": f"{market.index_price(pair, now):.8f}",  # as premiumIndex writes it
        }
    ]


def _pair_mark_prices(market: Market, pair: Pair, match: re.Match[str], second: int) -> list[Any]:
    now = second * 1000
    rows = [
        mark_price_event(market, instrument, now)
        for instrument in symbols_of(market.instruments.values(), pair.name)
    ]
    return [rows]  # one message: the array of the pair's contracts


def _of_pair(build: Callable[[Market, Pair, re.Match[str], int], list[Any]]) -> Any:
    """A builder taking the pair the topic's ``pair`` group names."""

    def built(market: Market, _: None, match: re.Match[str], second: int) -> list[Any]:
        pair = market.pairs.get(match.group("pair").upper())
        return [] if pair is None else build(market, pair, match, second)

    return built


def _of_contract_type(
    build: Callable[[Market, Instrument, re.Match[str], int], list[Any]],
) -> Any:
    """A builder taking the contract of the pair and contract type the topic names."""

    def built(market: Market, _: None, match: re.Match[str], second: int) -> list[Any]:
        pair, kind = match.group("pair").upper(), match.group("contract").upper()
        for instrument in symbols_of(market.instruments.values(), pair):
            if instrument.contract_type == kind:
                return build(market, instrument, match, second)
        return []

    return built


_PAIR = r"(?P<pair>[a-z0-9]+)"
_CONTINUOUS = _PAIR + r"_(?P<contract>" + "|".join(CONTRACT_TYPES) + ")"
_SYMBOL = r"(?P<symbol>[a-z0-9]+_[a-z0-9]+)"
_INTERVAL = r"(?P<interval>" + CANDLE_INTERVALS + ")$"

PAIR_FEED_PATTERNS: tuple[tuple[re.Pattern[str], Any], ...] = (
    (
        re.compile(_CONTINUOUS + r"@continuousKline_" + _INTERVAL),
        _of_contract_type(_continuous_kline),
    ),
    (re.compile(_PAIR + r"@indexPrice(?:@1s)?$"), _of_pair(_index_price)),
    (re.compile(_PAIR + r"@markPrice(?:@1s)?$"), _of_pair(_pair_mark_prices)),
    (re.compile(_PAIR + r"@indexPriceKline_" + _INTERVAL), _of_pair(_index_price_kline)),
    (re.compile(_SYMBOL + r"@markPriceKline_" + _INTERVAL), _mark_price_kline),
)
"""The patterns and builders of these streams, for COIN-M's feed table."""
