"""Handlers of the public COIN-M endpoints: market data and the ``/futures/data``
statistics, shaped as Binance's documented responses
(``plugins/binance/spec/binance-coinm-responses.json``)."""

from __future__ import annotations

from typing import Any

from .context import Call, Venue, handles
from .errors import SimError
from .instruments import Instrument
from .market import TRADE_MS, book_update_id

__all__: list[str] = []

_DEPTH_LIMITS = (5, 10, 20, 50, 100, 500, 1000)
_PERIOD_MS = {
    "5m": 300_000,
    "15m": 900_000,
    "30m": 1_800_000,
    "1h": 3_600_000,
    "2h": 7_200_000,
    "4h": 14_400_000,
    "6h": 21_600_000,
    "12h": 43_200_000,
    "1d": 86_400_000,
}


def _times(call: Call) -> tuple[int | None, int | None]:
    start, end = call.params.get("startTime"), call.params.get("endTime")
    if start is not None and end is not None and start > end:
        raise SimError(-1023, "Start time is greater than end time.")
    return start, end


@handles("GET", "/dapi/v1/ping")
def ping(call: Call) -> Any:
    return {}


@handles("GET", "/dapi/v1/time")
def server_time(call: Call) -> Any:
    return {"serverTime": call.now}


@handles("GET", "/dapi/v1/exchangeInfo")
def exchange_info(call: Call) -> Any:
    return {
        "timezone": "UTC",
        "serverTime": call.now,
        "rateLimits": call.venue.limits.rate_limits_info(),
        "exchangeFilters": [],
        "symbols": [
            call.venue.market.contracts.listed(i.symbol_info(), "contractStatus", call.now)
            for i in call.venue.instruments.values()
        ],
    }


@handles("GET", "/dapi/v1/depth")
def depth(call: Call) -> Any:
    instrument = call.venue.instrument(call.params["symbol"])
    limit = call.params.get("limit", 500)
    if limit not in _DEPTH_LIMITS:
        raise SimError(-4021, f"'{limit}' is not valid depth limit.")
    bids, asks = call.venue.market.book(instrument, call.now, limit)
    return {
        "lastUpdateId": book_update_id(call.now),
        "symbol": instrument.symbol,
        "pair": instrument.pair.name,
        "E": call.now,
        "T": call.now - 1,
        "bids": bids,
        "asks": asks,
    }


def _trade_json(instrument: Instrument, trade: Any) -> dict[str, Any]:
    scale = 10**instrument.pair.tick_decimals
    base = trade.qty * instrument.pair.contract_size * scale / trade.ticks
    return {
        "id": trade.id,
        "price": instrument.price_text(trade.ticks),
        "qty": str(trade.qty),
        "baseQty": f"{base:.8f}",
        "time": trade.time,
        "isBuyerMaker": trade.buyer_maker,
    }


@handles("GET", "/dapi/v1/trades")
def recent_trades(call: Call) -> Any:
    instrument = call.venue.instrument(call.params["symbol"])
    limit = call.params.get("limit", 500)
    last = call.now // TRADE_MS
    trades = call.venue.market.trades_range(instrument, last - limit + 1, last)
    return [_trade_json(instrument, trade) for trade in trades]


@handles("GET", "/dapi/v1/historicalTrades")
def historical_trades(call: Call) -> Any:
    instrument = call.venue.instrument(call.params["symbol"])
    limit = call.params.get("limit", 100)
    last = call.now // TRADE_MS
    first = call.params.get("fromId", last - limit + 1)
    if first > last:
        return []
    trades = call.venue.market.trades_range(instrument, first, min(last, first + limit - 1))
    return [_trade_json(instrument, trade) for trade in trades]


@handles("GET", "/dapi/v1/aggTrades")
def agg_trades(call: Call) -> Any:
    """One trade per aggregate: the simulated trades never share a price and a time."""
    instrument = call.venue.instrument(call.params["symbol"])
    limit = call.params.get("limit", 500)
    start, end = _times(call)
    last = call.now // TRADE_MS
    if "fromId" in call.params:
        first = call.params["fromId"]
        stop = min(last, first + limit - 1)
    elif start is not None or end is not None:
        if start is not None and end is not None and end - start > 3_600_000:
            raise SimError(-1127, "More than 1 hours between startTime and endTime.")
        first = -(-start // TRADE_MS) if start is not None else (end or 0) // TRADE_MS - limit + 1
        stop = min(last, (end if end is not None else start + 3_600_000) // TRADE_MS)  # type: ignore[operator]
        stop = min(stop, first + limit - 1)
    else:
        first, stop = last - limit + 1, last
    trades = call.venue.market.trades_range(instrument, first, stop) if stop >= first else []
    return [
        {
            "a": trade.id,
            "p": instrument.price_text(trade.ticks),
            "q": str(trade.qty),
            "f": trade.id,
            "l": trade.id,
            "T": trade.time,
            "m": trade.buyer_maker,
        }
        for trade in trades
    ]


def _kline_args(call: Call) -> tuple[str, int | None, int | None, int]:
    start, end = _times(call)
    return call.params["interval"], start, end, call.params.get("limit", 500)


@handles("GET", "/dapi/v1/klines")
def klines(call: Call) -> Any:
    instrument = call.venue.instrument(call.params["symbol"])
    return call.venue.market.klines(instrument, *_kline_args(call), call.now)


@handles("GET", "/dapi/v1/continuousKlines")
def continuous_klines(call: Call) -> Any:
    instrument = call.venue.by_contract_type(call.params["pair"], call.params["contractType"])
    return call.venue.market.klines(instrument, *_kline_args(call), call.now)


@handles("GET", "/dapi/v1/indexPriceKlines")
def index_price_klines(call: Call) -> Any:
    market = call.venue.market
    pair = call.venue.pair(call.params["pair"])
    return market.path_klines(pair, *_kline_args(call), call.now, lambda minute, index: index, 8)


@handles("GET", "/dapi/v1/markPriceKlines")
def mark_price_klines(call: Call) -> Any:
    market = call.venue.market
    instrument = call.venue.instrument(call.params["symbol"])
    return market.path_klines(
        instrument.pair,
        *_kline_args(call),
        call.now,
        lambda minute, index: market.mark_at(instrument, minute, index),
        8,
    )


@handles("GET", "/dapi/v1/premiumIndexKlines")
def premium_index_klines(call: Call) -> Any:
    market = call.venue.market
    instrument = call.venue.instrument(call.params["symbol"])
    return market.path_klines(
        instrument.pair,
        *_kline_args(call),
        call.now,
        lambda minute, index: market.premium(instrument, float(minute)),
        8,
    )


@handles("GET", "/dapi/v1/ticker/price")
def ticker_price(call: Call) -> Any:
    market = call.venue.market
    return [market.ticker_price(i, call.now) for i in call.venue.selected(call.params)]


@handles("GET", "/dapi/v1/ticker/bookTicker")
def book_ticker(call: Call) -> Any:
    market = call.venue.market
    return [market.book_ticker(i, call.now) for i in call.venue.selected(call.params)]


@handles("GET", "/dapi/v1/ticker/24hr")
def ticker_24hr(call: Call) -> Any:
    market = call.venue.market
    return [market.ticker_24hr(i, call.now) for i in call.venue.selected(call.params)]


@handles("GET", "/dapi/v1/premiumIndex")
def premium_index(call: Call) -> Any:
    market = call.venue.market
    return [market.premium_index(i, call.now) for i in call.venue.selected(call.params)]


@handles("GET", "/dapi/v1/fundingRate")
def funding_rate(call: Call) -> Any:
    instrument = call.venue.instrument(call.params["symbol"])
    if not instrument.perpetual:
        return []
    start, end = _times(call)
    market = call.venue.market
    times = market.funding_times(start, end, call.params.get("limit", 100), call.now)
    return [
        {
            "symbol": instrument.symbol,
            "fundingTime": at,
            "fundingRate": f"{market.funding_rate(instrument, at):.8f}",
            "markPrice": f"{market.mark_price(instrument, at):.8f}",
        }
        for at in times
    ]


@handles("GET", "/dapi/v1/fundingInfo")
def funding_info(call: Call) -> Any:
    return [
        {
            "symbol": i.symbol,
            "adjustedFundingRateCap": "0.00375000",
            "adjustedFundingRateFloor": "-0.00375000",
            "fundingIntervalHours": 8,
            "disclaimer": False,
        }
        for i in call.venue.instruments.values()
        if i.perpetual
    ]


@handles("GET", "/dapi/v1/openInterest")
def open_interest(call: Call) -> Any:
    instrument = call.venue.instrument(call.params["symbol"])
    return {
        "symbol": instrument.symbol,
        "pair": instrument.pair.name,
        "openInterest": str(call.venue.market.open_interest(instrument, call.now)),
        "contractType": instrument.contract_type,
        "time": call.now,
    }


@handles("GET", "/dapi/v1/constituents")
def constituents(call: Call) -> Any:
    name = call.params["symbol"]
    pair_name = call.venue.instrument(name).pair.name if "_" in name else name
    pair = call.venue.pair(pair_name)
    base = pair.base.lower()
    return {
        "symbol": pair.name,
        "time": call.now,
        "constituents": [
            {"exchange": "binance", "symbol": f"{pair.base}USDT"},
            {"exchange": "coinbase", "symbol": f"{pair.base}-USD"},
            {"exchange": "kraken", "symbol": f"{pair.base}/USD"},
            {"exchange": "bitstamp", "symbol": f"{base}usd"},
        ],
    }


@handles("GET", "/futures/data/delivery-price")
def delivery_price(call: Call) -> Any:
    pair = call.venue.pair(call.params["pair"])
    return [
        {"deliveryTime": at, "deliveryPrice": round(price, pair.tick_decimals)}
        for at, price in call.venue.market.deliveries(pair, call.now)
    ]


# --- /futures/data statistics ---------------------------------------------------------


def _stat_times(call: Call) -> list[int]:
    start, end = _times(call)
    period = _PERIOD_MS[call.params["period"]]
    times: list[int] = call.venue.market.period_times(
        period, start, end, call.params.get("limit", 30), call.now
    )
    return times


def _stat_instruments(call: Call) -> list[Instrument]:
    pair = call.params["pair"]
    kind = call.params.get("contractType", "ALL")
    venue: Venue = call.venue
    if kind == "ALL":
        return venue.of_pair(pair)
    return [venue.by_contract_type(pair, kind)]


@handles("GET", "/futures/data/openInterestHist")
def open_interest_hist(call: Call) -> Any:
    market = call.venue.market
    instruments = _stat_instruments(call)
    rows = []
    for at in _stat_times(call):
        total = sum(market.open_interest(i, at) for i in instruments)
        index = market.index_price(instruments[0].pair, at)
        rows.append(
            {
                "pair": call.params["pair"],
                "contractType": call.params.get("contractType", "ALL"),
                "sumOpenInterest": str(total),
                "sumOpenInterestValue": f"{total * instruments[0].pair.contract_size / index:.8f}",
                "timestamp": at,
            }
        )
    return rows


def _ratio_rows(call: Call, stream: str, long_key: str, short_key: str) -> list[dict[str, Any]]:
    market = call.venue.market
    pair = call.venue.pair(call.params["pair"])
    if "contractType" in call.params:
        _stat_instruments(call)
    rows = []
    for at in _stat_times(call):
        long_share = market.ratio(stream, pair, at)
        rows.append(
            {
                "pair": pair.name,
                "longShortRatio": f"{long_share / (1 - long_share):.4f}",
                long_key: f"{long_share:.4f}",
                short_key: f"{1 - long_share:.4f}",
                "timestamp": at,
            }
        )
    return rows


@handles("GET", "/futures/data/globalLongShortAccountRatio")
def global_long_short(call: Call) -> Any:
    return _ratio_rows(call, "global", "longAccount", "shortAccount")


@handles("GET", "/futures/data/topLongShortAccountRatio")
def top_long_short_accounts(call: Call) -> Any:
    return _ratio_rows(call, "top-accounts", "longAccount", "shortAccount")


@handles("GET", "/futures/data/topLongShortPositionRatio")
def top_long_short_positions(call: Call) -> Any:
    return _ratio_rows(call, "top-positions", "longPosition", "shortPosition")


@handles("GET", "/futures/data/takerBuySellVol")
def taker_buy_sell(call: Call) -> Any:
    market = call.venue.market
    instruments = _stat_instruments(call)
    period = _PERIOD_MS[call.params["period"]]
    rows = []
    for at in _stat_times(call):
        first, last = (at - period) // 60_000, at // 60_000 - 1
        buy = sell = 0
        for instrument in instruments:
            volume, taker_buy = market._volume_estimate(instrument, first, last)
            buy += taker_buy
            sell += volume - taker_buy
        index = market.index_price(instruments[0].pair, at)
        size = instruments[0].pair.contract_size
        rows.append(
            {
                "pair": call.params["pair"],
                "contractType": call.params["contractType"],
                "takerBuyVol": str(buy),
                "takerSellVol": str(sell),
                "takerBuyVolValue": f"{buy * size / index:.8f}",
                "takerSellVolValue": f"{sell * size / index:.8f}",
                "timestamp": at,
            }
        )
    return rows


@handles("GET", "/futures/data/basis")
def basis(call: Call) -> Any:
    market = call.venue.market
    instrument = call.venue.by_contract_type(call.params["pair"], call.params["contractType"])
    rows = []
    for at in _stat_times(call):
        index = market.index_price(instrument.pair, at)
        futures = market.mark_price(instrument, at)
        rate = (futures - index) / index
        days = (
            max(1.0, (instrument.delivery_ms - at) / 86_400_000)
            if not instrument.perpetual
            else 365.0
        )
        rows.append(
            {
                "indexPrice": f"{index:.8f}",
                "contractType": instrument.contract_type,
                "basisRate": f"{rate:.4f}",
                "futuresPrice": f"{futures:.{instrument.pair.tick_decimals}f}",
                "annualizedBasisRate": f"{rate * 365 / days:.4f}",
                "basis": f"{futures - index:.8f}",
                "pair": instrument.pair.name,
                "timestamp": at,
            }
        )
    return rows
