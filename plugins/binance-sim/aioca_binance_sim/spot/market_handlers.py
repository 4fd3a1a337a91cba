"""Spot's public endpoints: exchange rules, the book, trades, candles, tickers."""

from __future__ import annotations

import re
from typing import Any

from ..context import Call, handles
from ..errors import SimError, invalid_parameter
from .blocks import BLOCK_PERIOD_MS, block_trade
from .symbols import RATE_LIMITS, SpotSymbol, dec
from .tape import MINUTE, TRADE_MS, day_start
from .venue import SpotVenue

__all__ = ["parse_time_zone"]

_SPOT = "spot"
_TIME_ZONE = re.compile(r"^([+-]?)(\d{1,2})(?::(\d{2}))?$")
_WINDOW = re.compile(r"^(\d{1,2})([mhd])$")
_UNIT_MS = {"m": MINUTE, "h": 60 * MINUTE, "d": 1440 * MINUTE}


def _venue(call: Call) -> SpotVenue:
    venue: SpotVenue = call.venue
    return venue


def _limit(params: dict[str, Any], default: int, most: int) -> int:
    """``limit``, capped at the endpoint's maximum as Binance caps it; below 1 refused."""
    limit: int = params.get("limit", default)
    if limit < 1:
        raise invalid_parameter("limit")
    return min(limit, most)


def parse_time_zone(params: dict[str, Any]) -> int:
    """``timeZone`` (``"+08:00"``, ``"-5"``, ``"0"``) as an offset in ms, within
    Binance's range [-12:00, +14:00]."""
    text = params.get("timeZone")
    if text is None:
        return 0
    match = _TIME_ZONE.match(text)
    if match is None:
        raise invalid_parameter("timeZone")
    sign, hours, minutes = match.groups()
    offset = (int(hours) * 60 + int(minutes or 0)) * MINUTE * (-1 if sign == "-" else 1)
    if not -12 * 60 * MINUTE <= offset <= 14 * 60 * MINUTE or int(minutes or 0) >= 60:
        raise invalid_parameter("timeZone")
    return offset


@handles("GET", "/api/v3/ping", market=_SPOT)
def ping(call: Call) -> Any:
    return {}


@handles("GET", "/api/v3/time", market=_SPOT)
def server_time(call: Call) -> Any:
    return {"serverTime": call.now}


@handles("GET", "/api/v3/exchangeInfo", market=_SPOT)
def exchange_info(call: Call) -> Any:
    venue, params = _venue(call), call.params
    chosen, _ = venue.selected(params)
    if params.get("permissions", "SPOT") != "SPOT":  # every symbol trades on SPOT only
        chosen = []
    show_sets = params.get("showPermissionSets", True)
    limits = getattr(call, "limits", None)
    rate_limits = limits.rate_limits_info() if limits is not None else RATE_LIMITS
    sor_symbols = [s.symbol for s in venue.symbols.values() if s.base == "BTC" and s.quote != "BTC"]
    return {
        "timezone": "UTC",
        "serverTime": call.now,
        "rateLimits": rate_limits,
        "exchangeFilters": [],
        "symbols": [spec.info(show_sets) for spec in chosen],
        "sors": [{"baseAsset": "BTC", "symbols": sor_symbols}],
    }


@handles("GET", "/api/v3/executionRules", market=_SPOT)
def execution_rules(call: Call) -> Any:
    chosen, _ = _venue(call).selected(call.params)
    rule = {
        "ruleType": "PRICE_RANGE",
        "bidLimitMultUp": "5",
        "bidLimitMultDown": "0.2",
        "askLimitMultUp": "5",
        "askLimitMultDown": "0.2",
    }
    return {"symbolRules": [{"symbol": spec.symbol, "rules": [dict(rule)]} for spec in chosen]}


@handles("GET", "/api/v3/depth", market=_SPOT)
def depth(call: Call) -> Any:
    venue = _venue(call)
    venue.selected({k: v for k, v in call.params.items() if k in ("symbol", "symbolStatus")})
    spec = venue.symbol(call.params["symbol"])
    return venue.tape.depth(spec, call.now, _limit(call.params, 100, 5000))


def _trades(call: Call, spec: SpotSymbol, default_last: int) -> list[dict[str, Any]]:
    venue = _venue(call)
    limit = _limit(call.params, 500, 1000)
    last_id = call.now // TRADE_MS
    if "fromId" in call.params:
        first = call.params["fromId"]
        last = min(last_id, first + limit - 1)
    else:
        last, first = default_last, default_last - limit + 1
    return [
        venue.tape.trade_json(spec, t) for t in venue.tape.trades_range(spec, max(0, first), last)
    ]


@handles("GET", "/api/v3/trades", market=_SPOT)
def trades(call: Call) -> Any:
    spec = _venue(call).symbol(call.params["symbol"])
    return _trades(call, spec, call.now // TRADE_MS)


@handles("GET", "/api/v3/historicalTrades", market=_SPOT)
def historical_trades(call: Call) -> Any:
    spec = _venue(call).symbol(call.params["symbol"])
    return _trades(call, spec, call.now // TRADE_MS)


@handles("GET", "/api/v3/historicalBlockTrades", market=_SPOT)
def historical_block_trades(call: Call) -> Any:
    """A block trade every 15 minutes (:mod:`.blocks`, as ``<symbol>@blockTrade``
    streams them)."""
    venue, params = _venue(call), call.params
    spec = venue.symbol(params["symbol"])
    limit = _limit(params, 500, 1000)
    first = max(0, params["fromId"])
    last = min(call.now // BLOCK_PERIOD_MS, first + limit - 1)
    return [
        block_trade(venue.tape, spec, block_id).to_json() for block_id in range(first, last + 1)
    ]


@handles("GET", "/api/v3/aggTrades", market=_SPOT)
def agg_trades(call: Call) -> Any:
    """Each synthetic trade is its own aggregate (one taker order, one price)."""
    venue, params = _venue(call), call.params
    spec = venue.symbol(params["symbol"])
    limit = _limit(params, 500, 1000)
    now_id = call.now // TRADE_MS
    start, end = params.get("startTime"), params.get("endTime")
    if "fromId" in params:
        first = params["fromId"]
        last = min(now_id, first + limit - 1)
    elif start is not None or end is not None:
        if start is not None and end is not None and end - start > 60 * MINUTE:
            raise SimError(-1127, "More than 1 hours between startTime and endTime.")
        if start is None:
            assert end is not None
            start = end - 60 * MINUTE
        if end is None:
            end = start + 60 * MINUTE
        first = -(-start // TRADE_MS)
        last = min(now_id, end // TRADE_MS, first + limit - 1)
    else:
        last, first = now_id, now_id - limit + 1
    return [
        {
            "a": t.id,
            "p": spec.price_text(t.ticks),
            "q": spec.qty_text(t.steps),
            "f": t.id,
            "l": t.id,
            "T": t.time,
            "m": t.buyer_maker,
            "M": True,
        }
        for t in venue.tape.trades_range(spec, max(0, first), last)
    ]


def _klines(call: Call) -> Any:
    venue, params = _venue(call), call.params
    spec = venue.symbol(params["symbol"])
    offset = parse_time_zone(params)
    return venue.tape.klines(
        spec,
        params["interval"],
        params.get("startTime"),
        params.get("endTime"),
        _limit(params, 500, 1000),
        call.now,
        offset,
    )


@handles("GET", "/api/v3/klines", market=_SPOT)
def klines(call: Call) -> Any:
    return _klines(call)


@handles("GET", "/api/v3/uiKlines", market=_SPOT)
def ui_klines(call: Call) -> Any:
    """The same candles (Binance tunes uiKlines for charts; the simulator's are already
    continuous)."""
    return _klines(call)


@handles("GET", "/api/v3/avgPrice", market=_SPOT)
def avg_price(call: Call) -> Any:
    venue = _venue(call)
    spec = venue.symbol(call.params["symbol"])
    last = venue.tape.last_trade(spec, call.now)
    return {"mins": 5, "price": dec(venue.tape.avg_price(spec, call.now)), "closeTime": last.time}


def _one_or_list(items: list[dict[str, Any]], single: bool) -> Any:
    return items[0] if single else items


@handles("GET", "/api/v3/ticker/24hr", market=_SPOT)
def ticker_24hr(call: Call) -> Any:
    venue = _venue(call)
    chosen, single = venue.selected(call.params)
    full = call.params.get("type", "FULL") == "FULL"
    return _one_or_list([venue.tape.ticker_24hr(s, call.now, full) for s in chosen], single)


@handles("GET", "/api/v3/ticker/price", market=_SPOT)
def ticker_price(call: Call) -> Any:
    venue = _venue(call)
    chosen, single = venue.selected(call.params)
    items = [
        {"symbol": s.symbol, "price": s.price_text(venue.tape.last_trade(s, call.now).ticks)}
        for s in chosen
    ]
    return _one_or_list(items, single)


@handles("GET", "/api/v3/ticker/bookTicker", market=_SPOT)
def book_ticker(call: Call) -> Any:
    venue = _venue(call)
    chosen, single = venue.selected(call.params)
    items = []
    for spec in chosen:
        bids, asks = venue.tape.book_levels(spec, call.now, 1)
        items.append(
            {
                "symbol": spec.symbol,
                "bidPrice": spec.price_text(bids[0][0]),
                "bidQty": spec.qty_text(bids[0][1]),
                "askPrice": spec.price_text(asks[0][0]),
                "askQty": spec.qty_text(asks[0][1]),
            }
        )
    return _one_or_list(items, single)


@handles("GET", "/api/v3/ticker", market=_SPOT)
def rolling_ticker(call: Call) -> Any:
    venue, params = _venue(call), call.params
    chosen, single = venue.selected(params, required=True)
    match = _WINDOW.match(params.get("windowSize", "1d"))
    if match is None:
        raise invalid_parameter("windowSize")
    window = int(match.group(1)) * _UNIT_MS[match.group(2)]
    full = params.get("type", "FULL") == "FULL"
    items = [
        venue.tape.window_ticker(s, call.now - window, call.now, call.now, full) for s in chosen
    ]
    return _one_or_list(items, single)


@handles("GET", "/api/v3/ticker/tradingDay", market=_SPOT)
def trading_day(call: Call) -> Any:
    venue, params = _venue(call), call.params
    chosen, single = venue.selected(params, required=True)
    offset = parse_time_zone(params)
    start = day_start(call.now, offset)
    full = params.get("type", "FULL") == "FULL"
    items = [
        venue.tape.window_ticker(s, start, start + 86_400_000 - 1, call.now, full) for s in chosen
    ]
    return _one_or_list(items, single)


@handles("GET", "/api/v3/referencePrice", market=_SPOT)
def reference_price(call: Call) -> Any:
    """The simulator sets every symbol's reference price to its 5-minute average."""
    venue = _venue(call)
    spec = venue.symbol(call.params["symbol"])
    return {
        "symbol": spec.symbol,
        "referencePrice": dec(venue.tape.avg_price(spec, call.now)),
        "timestamp": call.now,
    }


@handles("GET", "/api/v3/referencePrice/calculation", market=_SPOT)
def reference_price_calculation(call: Call) -> Any:
    venue = _venue(call)
    venue.selected({k: v for k, v in call.params.items() if k in ("symbol", "symbolStatus")})
    return {
        "symbol": call.params["symbol"],
        "calculationType": "ARITHMETIC_MEAN",
        "bucketCount": 10,
        "bucketWidthMs": 30_000,
    }
