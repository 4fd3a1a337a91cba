"""Handlers of the public USDⓈ-M endpoints: market data and the ``/futures/data``
statistics, shaped as Binance's documented responses
(``binance-usdm-responses.json``)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from ..context import Call, Handler, handles
from ..errors import SimError
from ..instruments import past_deliveries
from ..market import MINUTE, TRADE_MS, Market, book_update_id
from . import sessions
from .composites import index_info_rows
from .instruments import UsdmSymbol
from .market_arrays import asset_index_rows
from .venue import UsdmVenue

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
_STATS_DAYS = 30


def usdm(path: str, method: str = "GET") -> Callable[[Handler], Handler]:
    """Register a USDⓈ-M handler of ``METHOD path``."""
    return handles(method, path, market="usdm")


def venue_of(call: Call) -> UsdmVenue:
    venue: Any = call.venue
    if not isinstance(venue, UsdmVenue):
        raise TypeError(f"a USDⓈ-M handler got {type(venue).__name__}")
    return venue


def rate_limits(call: Call) -> list[dict[str, Any]]:
    """The budgets the server enforces on this market, as exchangeInfo lists them."""
    if call.limits is not None:
        return call.limits.rate_limits_info()
    return venue_of(call).rate_limits


def _times(call: Call) -> tuple[int | None, int | None]:
    start, end = call.params.get("startTime"), call.params.get("endTime")
    if start is not None and end is not None and start > end:
        raise SimError(-1023, "Start time is greater than end time.")
    return start, end


def _one_or_all(call: Call, rows: list[dict[str, Any]]) -> Any:
    """A single object when ``symbol`` was sent, the list otherwise (as Binance does)."""
    return rows[0] if "symbol" in call.params else rows


@usdm("/fapi/v1/ping")
def ping(call: Call) -> Any:
    return {}


@usdm("/fapi/v1/time")
def server_time(call: Call) -> Any:
    return {"serverTime": call.now}


@usdm("/fapi/v1/exchangeInfo")
def exchange_info(call: Call) -> Any:
    venue = venue_of(call)
    assets = sorted({s.quote for s in venue.symbols.values()} | {"BTC", "BNB"})
    return {
        "exchangeFilters": [],
        "rateLimits": rate_limits(call),
        "serverTime": call.now,
        "assets": [
            {
                "asset": asset,
                "marginAvailable": True,
                "autoAssetExchange": "0" if asset in ("USDT", "USDC") else "-0.10",
            }
            for asset in assets
        ],
        "symbols": [
            venue.market.core.contracts.listed(s.symbol_info(), "status", call.now)
            for s in venue.symbols.values()
        ],
        "timezone": "UTC",
    }


def _book(call: Call, limits: tuple[int, ...], default: int) -> Any:
    venue = venue_of(call)
    symbol = venue.symbol(call.params["symbol"])
    limit = call.params.get("limit", default)
    if limit not in limits:
        raise SimError(-4021, f"'{limit}' is not valid depth limit.")
    bids, asks = venue.market.book(symbol, call.now, limit)
    return {
        "lastUpdateId": book_update_id(call.now),
        "E": call.now,
        "T": call.now - 1,
        "bids": bids,
        "asks": asks,
    }


@usdm("/fapi/v1/depth")
def depth(call: Call) -> Any:
    return _book(call, _DEPTH_LIMITS, 500)


@usdm("/fapi/v1/rpiDepth")
def rpi_depth(call: Call) -> Any:
    """The book with Retail Price Improvement orders: the simulator has none of its own,
    so it is the regular book (Binance takes only ``limit=1000``)."""
    return _book(call, (1000,), 1000)


@usdm("/fapi/v1/trades")
def recent_trades(call: Call) -> Any:
    venue = venue_of(call)
    symbol = venue.symbol(call.params["symbol"])
    limit = call.params.get("limit", 500)
    if not 1 <= limit <= 1000:
        raise SimError(-1130, "Data sent for parameter 'limit' is not valid.")
    last = call.now // TRADE_MS
    trades = venue.market.trades(symbol, last - limit + 1, last)
    return [venue.market.trade_json(symbol, trade) for trade in trades]


@usdm("/fapi/v1/historicalTrades")
def historical_trades(call: Call) -> Any:
    venue = venue_of(call)
    symbol = venue.symbol(call.params["symbol"])
    limit = call.params.get("limit", 100)
    if not 1 <= limit <= 500:
        raise SimError(-1130, "Data sent for parameter 'limit' is not valid.")
    last = call.now // TRADE_MS
    first = call.params.get("fromId", last - limit + 1)
    if first > last:
        return []
    trades = venue.market.trades(symbol, first, min(last, first + limit - 1))
    return [venue.market.trade_json(symbol, trade) for trade in trades]


@usdm("/fapi/v1/aggTrades")
def agg_trades(call: Call) -> Any:
    """One trade per aggregate: the simulated trades never share a price and a time."""
    venue = venue_of(call)
    symbol = venue.symbol(call.params["symbol"])
    limit = call.params.get("limit", 500)
    start, end = _times(call)
    last = call.now // TRADE_MS
    if "fromId" in call.params:
        first = call.params["fromId"]
        stop = min(last, first + limit - 1)
    elif start is not None or end is not None:
        if start is not None and end is not None and end - start > 3_600_000:
            raise SimError(-1127, "More than 1 hours between startTime and endTime.")
        if start is None:
            assert end is not None
            stop = min(last, end // TRADE_MS)
            first = stop - limit + 1
        else:
            first = -(-start // TRADE_MS)
            stop = min(last, (end if end is not None else start + 3_600_000) // TRADE_MS)
            stop = min(stop, first + limit - 1)
    else:
        first, stop = last - limit + 1, last
    trades = venue.market.trades(symbol, first, stop) if stop >= first else []
    return [
        {
            "a": trade.id,
            "p": symbol.price_text(symbol.ticks_price(trade.ticks)),
            "q": symbol.qty_text(symbol.steps_qty(trade.qty)),
            "f": trade.id,
            "l": trade.id,
            "T": trade.time,
            "m": trade.buyer_maker,
        }
        for trade in trades
    ]


def _kline_args(call: Call) -> tuple[str, int | None, int | None, int]:
    start, end = _times(call)
    limit = call.params.get("limit", 500)
    if not 1 <= limit <= 1500:
        raise SimError(-1130, "Data sent for parameter 'limit' is not valid.")
    interval = call.params["interval"]
    if interval == "1s":
        raise SimError(-1120, "Invalid interval.")
    return interval, start, end, limit


@usdm("/fapi/v1/klines")
def klines(call: Call) -> Any:
    venue = venue_of(call)
    symbol = venue.symbol(call.params["symbol"])
    return venue.market.klines(symbol, *_kline_args(call), call.now)


@usdm("/fapi/v1/continuousKlines")
def continuous_klines(call: Call) -> Any:
    venue = venue_of(call)
    symbol = venue.by_contract_type(call.params["pair"], call.params["contractType"])
    return venue.market.klines(symbol, *_kline_args(call), call.now)


def _pair_symbol(venue: UsdmVenue, pair: str) -> UsdmSymbol:
    return venue.by_contract_type(pair, "PERPETUAL")


@usdm("/fapi/v1/indexPriceKlines")
def index_price_klines(call: Call) -> Any:
    venue = venue_of(call)
    symbol = _pair_symbol(venue, call.params["pair"])
    return venue.market.path_klines(symbol, "index", *_kline_args(call), call.now)


@usdm("/fapi/v1/markPriceKlines")
def mark_price_klines(call: Call) -> Any:
    venue = venue_of(call)
    symbol = venue.symbol(call.params["symbol"])
    return venue.market.path_klines(symbol, "mark", *_kline_args(call), call.now)


@usdm("/fapi/v1/premiumIndexKlines")
def premium_index_klines(call: Call) -> Any:
    venue = venue_of(call)
    symbol = venue.symbol(call.params["symbol"])
    return venue.market.path_klines(symbol, "premium", *_kline_args(call), call.now)


@usdm("/fapi/v1/ticker/price")
def ticker_price(call: Call) -> Any:
    venue = venue_of(call)
    rows = [venue.market.ticker_price(s, call.now) for s in venue.selected(call.params)]
    return _one_or_all(call, rows)


@usdm("/fapi/v2/ticker/price")
def ticker_price_v2(call: Call) -> Any:
    return ticker_price(call)


@usdm("/fapi/v1/ticker/bookTicker")
def book_ticker(call: Call) -> Any:
    venue = venue_of(call)
    rows = [venue.market.book_ticker(s, call.now) for s in venue.selected(call.params)]
    return _one_or_all(call, rows)


@usdm("/fapi/v1/ticker/24hr")
def ticker_24hr(call: Call) -> Any:
    venue = venue_of(call)
    rows = [venue.market.ticker_24hr(s, call.now) for s in venue.selected(call.params)]
    return _one_or_all(call, rows)


@usdm("/fapi/v1/premiumIndex")
def premium_index(call: Call) -> Any:
    venue = venue_of(call)
    rows = [venue.market.premium_index(s, call.now) for s in venue.selected(call.params)]
    return _one_or_all(call, rows)


@usdm("/fapi/v1/fundingRate")
def funding_rate(call: Call) -> Any:
    venue = venue_of(call)
    start, end = _times(call)
    limit = call.params.get("limit", 100)
    if not 1 <= limit <= 1000:
        raise SimError(-1130, "Data sent for parameter 'limit' is not valid.")
    chosen = [s for s in venue.selected(call.params) if s.instrument.perpetual]
    rows = []
    for at in venue.market.core.funding_times(start, end, limit, call.now):
        for s in chosen:
            rows.append(
                {
                    "symbol": s.name,
                    "fundingRate": f"{venue.market.funding_rate(s, at):.8f}",
                    "fundingTime": at,
                    "markPrice": f"{venue.market.mark_price(s, at):.8f}",
                }
            )
    return rows[-limit:] if start is None else rows[:limit]


@usdm("/fapi/v1/fundingInfo")
def funding_info(call: Call) -> Any:
    venue = venue_of(call)
    return [
        {
            "symbol": s.name,
            "adjustedFundingRateCap": "0.02000000",
            "adjustedFundingRateFloor": "-0.02000000",
            "fundingIntervalHours": 8,
            "disclaimer": False,
        }
        for s in venue.symbols.values()
        if s.instrument.perpetual
    ]


@usdm("/fapi/v1/openInterest")
def open_interest(call: Call) -> Any:
    venue = venue_of(call)
    symbol = venue.symbol(call.params["symbol"])
    return {
        "openInterest": symbol.qty_text(venue.market.open_interest(symbol, call.now)),
        "symbol": symbol.name,
        "time": call.now,
    }


@usdm("/fapi/v1/constituents")
def constituents(call: Call) -> Any:
    venue = venue_of(call)
    symbol = venue.symbol(call.params["symbol"])
    index = venue.market.index_price(symbol, call.now)
    base, quote = symbol.base, symbol.quote
    sources = (
        ("binance", f"{base}{quote}", "0.40000000", "1.00000"),
        ("coinbase", f"{base}-{quote}", "0.20000000", "1.00020"),
        ("okex", f"{base}-{quote}", "0.20000000", "0.99985"),
        ("bybit", f"{base}{quote}", "0.20000000", "0.99995"),
    )
    return {
        "symbol": symbol.name,
        "time": call.now,
        "constituents": [
            {
                "exchange": exchange,
                "symbol": name,
                "price": f"{index * Decimal(factor):.8f}",
                "weight": weight,
            }
            for exchange, name, weight, factor in sources
        ],
    }


@usdm("/fapi/v1/assetIndex")
def asset_index(call: Call) -> Any:
    """The multi-assets mode's asset index: each margin coin's USD value with its
    haircut buffers (the ``!assetIndex@arr`` stream's rows too)."""
    rows = asset_index_rows(venue_of(call).market, call.now)
    if "symbol" in call.params:
        if call.params["symbol"] not in rows:
            raise SimError(-1121, "Invalid symbol.")
        return rows[call.params["symbol"]]
    return list(rows.values())


@usdm("/fapi/v1/indexInfo")
def index_info(call: Call) -> Any:
    """The composite index contracts' components and weights (the ``@compositeIndex``
    stream's too); a list even for one symbol, empty for a symbol that is not one."""
    venue = venue_of(call)
    rows = index_info_rows(venue.market, call.now)
    if "symbol" in call.params:
        name = venue.symbol(call.params["symbol"]).name
        return [row for row in rows if row["symbol"] == name]
    return rows


@usdm("/fapi/v1/insuranceBalance")
def insurance_balance(call: Call) -> Any:
    venue = venue_of(call)
    groups: dict[str, list[str]] = {}
    for s in venue.symbols.values():
        groups.setdefault(s.quote, []).append(s.name)
    rows: list[dict[str, Any]] = []
    for asset, names in groups.items():
        wobble = 1 + 0.01 * venue.market.ratio("insurance", venue.symbols[names[0]], call.now)
        rows.append(
            {
                "symbols": sorted(names),
                "assets": [
                    {
                        "asset": asset,
                        "marginBalance": f"{Decimal(300_000_000 * wobble):.8f}",
                        "updateTime": call.now // 3_600_000 * 3_600_000,
                    }
                ],
            }
        )
    if "symbol" in call.params:
        name = venue.symbol(call.params["symbol"]).name
        return next(row for row in rows if name in row["symbols"])
    return rows


@usdm("/fapi/v1/symbolAdlRisk")
def symbol_adl_risk(call: Call) -> Any:
    venue = venue_of(call)
    rows = []
    for s in venue.selected(call.params):
        share = venue.market.ratio("adl", s, call.now)
        risk = "low" if share < 0.45 else "medium" if share < 0.6 else "high"
        rows.append({"symbol": s.name, "adlRisk": risk, "updateTime": call.now // 1000 * 1000})
    return _one_or_all(call, rows)


@usdm("/fapi/v1/tradingSchedule")
def trading_schedule(call: Call) -> Any:
    """The sessions of TradFi perpetuals' underlying markets, from the simulator's
    calendar (:mod:`.sessions`; the ``tradingSession`` stream reads the same)."""
    return sessions.schedule(call.now)


@usdm("/fapi/v1/convert/exchangeInfo")
def convert_exchange_info(call: Call) -> Any:
    pairs = [
        (a, b) for a in ("BTC", "ETH", "BNB", "USDT", "USDC") for b in ("USDT", "USDC") if a != b
    ]
    fro, to = call.params.get("fromAsset"), call.params.get("toAsset")
    if fro is None and to is None:
        raise SimError(
            -1102, "Param 'fromAsset' or 'toAsset' must be sent, but both were empty/null!"
        )
    return [
        {
            "fromAsset": a,
            "toAsset": b,
            "fromAssetMinAmount": "0.0004" if a in ("BTC", "ETH") else "20",
            "fromAssetMaxAmount": "50" if a in ("BTC", "ETH") else "2500000",
            "toAssetMinAmount": "20",
            "toAssetMaxAmount": "2500000",
        }
        for a, b in pairs
        if (fro is None or a == fro) and (to is None or b == to)
    ]


# --- /futures/data statistics ---------------------------------------------------------
#
# Timestamps are numbers: the documentation's examples write them as strings, but the
# official SDK's models (StrictInt) and the live API have integers.


def _stat_times(call: Call) -> list[int]:
    start, end = _times(call)
    period = _PERIOD_MS[call.params["period"]]
    limit = call.params.get("limit", 30)
    if not 1 <= limit <= 500:
        raise SimError(-1130, "Data sent for parameter 'limit' is not valid.")
    oldest = call.now - _STATS_DAYS * 86_400_000
    if start is not None and start < oldest:
        start = oldest
    times = Market.funding_like(period, start, end, limit, call.now)
    return [at for at in times if at >= oldest]


@usdm("/futures/data/openInterestHist")
def open_interest_hist(call: Call) -> Any:
    venue = venue_of(call)
    symbol = venue.symbol(call.params["symbol"])
    rows = []
    for at in _stat_times(call):
        total = venue.market.open_interest(symbol, at)
        index = venue.market.index_price(symbol, at)
        supply = Decimal(19_800_000 if symbol.base == "BTC" else 120_000_000)
        rows.append(
            {
                "symbol": symbol.name,
                "sumOpenInterest": f"{total:.8f}",
                "sumOpenInterestValue": f"{total * index:.8f}",
                "CMCCirculatingSupply": f"{supply + at // 86_400_000 % 1000:.3f}",
                "timestamp": at,
            }
        )
    return rows


def _ratio_rows(call: Call, stream: str) -> list[dict[str, Any]]:
    venue = venue_of(call)
    symbol = venue.symbol(call.params["symbol"])
    rows = []
    for at in _stat_times(call):
        long_share = venue.market.ratio(stream, symbol, at)
        rows.append(
            {
                "symbol": symbol.name,
                "longShortRatio": f"{long_share / (1 - long_share):.4f}",
                "longAccount": f"{long_share:.4f}",
                "shortAccount": f"{1 - long_share:.4f}",
                "timestamp": at,
            }
        )
    return rows


@usdm("/futures/data/globalLongShortAccountRatio")
def global_long_short(call: Call) -> Any:
    return _ratio_rows(call, "global")


@usdm("/futures/data/topLongShortAccountRatio")
def top_long_short_accounts(call: Call) -> Any:
    return _ratio_rows(call, "top-accounts")


@usdm("/futures/data/topLongShortPositionRatio")
def top_long_short_positions(call: Call) -> Any:
    return _ratio_rows(call, "top-positions")


@usdm("/futures/data/takerlongshortRatio")
def taker_long_short(call: Call) -> Any:
    """Taker buy and sell volumes of each period, from the simulated trades."""
    venue = venue_of(call)
    symbol = venue.symbol(call.params["symbol"])
    period = _PERIOD_MS[call.params["period"]]
    rows = []
    for at in _stat_times(call):
        first, last = (at - period) // MINUTE, at // MINUTE - 1
        volume, taker = venue.market.core._volume_estimate(symbol.instrument, first, last)
        buy, sell = symbol.steps_qty(taker), symbol.steps_qty(volume - taker)
        rows.append(
            {
                "buySellRatio": f"{buy / sell:.4f}" if sell else "0.0000",
                "buyVol": f"{buy:.4f}",
                "sellVol": f"{sell:.4f}",
                "timestamp": at,
            }
        )
    return rows


@usdm("/futures/data/basis")
def basis(call: Call) -> Any:
    venue = venue_of(call)
    symbol = venue.by_contract_type(call.params["pair"], call.params["contractType"])
    rows = []
    for at in _stat_times(call):
        index = venue.market.index_price(symbol, at)
        futures = venue.market.mark_price(symbol, at)
        rate = (futures - index) / index
        perpetual = symbol.instrument.perpetual
        days = max(Decimal(1), Decimal(symbol.instrument.delivery_ms - at) / 86_400_000)
        rows.append(
            {
                "indexPrice": f"{index:.8f}",
                "contractType": symbol.instrument.contract_type,
                "basisRate": f"{rate:.4f}",
                "futuresPrice": symbol.price_text(futures),
                "annualizedBasisRate": "" if perpetual else f"{rate * 365 / days:.4f}",
                "basis": f"{futures - index:.8f}",
                "pair": symbol.pair,
                "timestamp": at,
            }
        )
    return rows


@usdm("/futures/data/delivery-price")
def delivery_price(call: Call) -> Any:
    venue = venue_of(call)
    symbol = _pair_symbol(venue, call.params["pair"])
    if not any(
        s.pair == symbol.pair and not s.instrument.perpetual for s in venue.symbols.values()
    ):
        return []
    return [
        {
            "deliveryTime": at,
            "deliveryPrice": round(
                float(venue.market.index_price(symbol, at)), symbol.tick_decimals
            ),
        }
        for at in past_deliveries(call.now, 8)
    ]
