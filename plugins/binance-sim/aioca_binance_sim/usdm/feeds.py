"""USDⓈ-M's market streams and user-data events, for the simulator's stream hub.

The payloads come from the same :class:`~.market.UsdmMarket` functions the REST endpoints
answer from, so the two agree: a depth diff at moment ``t`` (every 100, 250 or 500 ms, as
the topic says) has ``u`` = ``book_update_id(t)`` (the REST depth snapshot's
``lastUpdateId`` then) and ``pu`` the ``u`` a period before (see :mod:`..feeds`); trades
are the market's trades. Keys follow Binance's documented USDⓈ-M examples
(``spec/binance-ws-streams.json``): no ``ps`` (pair) as COIN-M has, ``nq`` on aggregate
trades, quote volumes in the stablecoin.

Served, as Binance routes them, under ``/public`` (depth, book ticker), ``/market`` (the
other market streams) and ``/private``, and also at the root (``/stream``, ``/ws/...``):
the paths are not checked against the stream's kind. User data: ``/ws/<listenKey>``, or
``/private/ws?listenKey=<listenKey>`` as Binance's private route takes it
(``ORDER_TRADE_UPDATE`` for each order event, ``ACCOUNT_UPDATE`` after each fill; a
modification's is ``x`` AMENDMENT, see :meth:`.engine.UsdmEngine.modify`).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..bars import candle
from ..feeds import Feed, depth_feeds, depth_ids, depth_period, match_feed, modify_id_field
from ..market import TRADE_MS, book_step, book_update_id
from ..pair_feeds import CANDLE_INTERVALS
from .composites import composite_index
from .engine import money
from .liquidations import USDM_LIQUIDATION_FEEDS, AccountFeed
from .market_arrays import array_feeds
from .pair_feeds import CONTINUOUS_KLINE, continuous_kline
from .sessions import TRADING_SESSION, trading_session

if TYPE_CHECKING:
    from .engine import Order, UsdmEngine
    from .instruments import UsdmSymbol
    from .market import UsdmMarket
    from .venue import UsdmVenue

__all__ = ["USDM_FEEDS", "UsdmFeeds", "find_usdm_feed", "stream_source"]

ROUTES = ("", "/public", "/market", "/private")


def _levels(symbol: UsdmSymbol, levels: list[tuple[int, int]]) -> list[list[str]]:
    price, qty = symbol.ticks_price, symbol.steps_qty
    return [[symbol.price_text(price(tick)), symbol.qty_text(qty(lots))] for tick, lots in levels]


def _depth_event(
    symbol: UsdmSymbol, moment: int, period: int, bids: Any, asks: Any
) -> dict[str, Any]:
    ids = depth_ids(moment, period)
    return {"e": "depthUpdate", "E": ids["E"], "T": ids["T"], "s": symbol.name} | {
        "U": ids["U"],
        "u": ids["u"],
        "pu": ids["pu"],
        "b": bids,
        "a": asks,
    }


def _diff(market: UsdmMarket, symbol: UsdmSymbol, moment: int, period: int) -> dict[str, Any]:
    since = book_step(moment - period)
    bids, asks = market.core.book_diff(symbol.instrument, book_step(moment), since)
    return _depth_event(symbol, moment, period, _levels(symbol, bids), _levels(symbol, asks))


def _depth_diff(
    market: UsdmMarket, symbol: UsdmSymbol, match: re.Match[str], moment: int
) -> list[dict[str, Any]]:
    return [_diff(market, symbol, moment, depth_period(match))]


def _rpi_depth_diff(
    market: UsdmMarket, symbol: UsdmSymbol, match: re.Match[str], moment: int
) -> list[dict[str, Any]]:
    return [_diff(market, symbol, moment, _RPI_PERIOD)]


def _partial_depth(
    market: UsdmMarket, symbol: UsdmSymbol, match: re.Match[str], moment: int
) -> list[dict[str, Any]]:
    bids, asks = market.book(symbol, moment, int(match.group("levels")))
    return [_depth_event(symbol, moment, depth_period(match), bids, asks)]


def _agg_trades(
    market: UsdmMarket, symbol: UsdmSymbol, match: re.Match[str], second: int
) -> list[dict[str, Any]]:
    if (second * 1000) % TRADE_MS:
        return []
    trade = market.core.trade(symbol.instrument, second * 1000 // TRADE_MS)
    qty = symbol.qty_text(symbol.steps_qty(trade.qty))
    return [
        {
            "e": "aggTrade",
            "E": trade.time + 1,
            "s": symbol.name,
            "a": trade.id,
            "p": symbol.price_text(symbol.ticks_price(trade.ticks)),
            "q": qty,
            "nq": qty,  # without RPI orders' part: the simulator has none
            "f": trade.id,
            "l": trade.id,
            "T": trade.time,
            "m": trade.buyer_maker,
        }
    ]


def _book_ticker(
    market: UsdmMarket, symbol: UsdmSymbol, match: re.Match[str], second: int
) -> list[dict[str, Any]]:
    best = market.book_ticker(symbol, second * 1000)
    return [
        {
            "e": "bookTicker",
            "u": book_update_id(second * 1000),
            "E": second * 1000 + 1,
            "T": second * 1000,
            "s": symbol.name,
            "b": best["bidPrice"],
            "B": best["bidQty"],
            "a": best["askPrice"],
            "A": best["askQty"],
        }
    ]


def _mark_price(
    market: UsdmMarket, symbol: UsdmSymbol, match: re.Match[str], second: int
) -> list[dict[str, Any]]:
    info = market.premium_index(symbol, second * 1000)
    return [
        {
            "e": "markPriceUpdate",
            "E": second * 1000,
            "s": symbol.name,
            "p": info["markPrice"],
            "i": info["indexPrice"],
            "P": info["estimatedSettlePrice"],
            "r": info["lastFundingRate"],
            "T": info["nextFundingTime"],
        }
    ]


def _kline(
    market: UsdmMarket, symbol: UsdmSymbol, match: re.Match[str], second: int
) -> list[dict[str, Any]]:
    interval = match.group("interval")
    now = second * 1000
    bar = market.klines(symbol, interval, None, now, 1, now)[0]
    first = market.core.trade(symbol.instrument, -(-bar[0] // TRADE_MS)).id
    last = market.core.last_trade(symbol.instrument, now).id
    return [
        {
            "e": "kline",
            "E": now,
            "s": symbol.name,
            "k": candle(bar, interval, first, last, now >= bar[6], symbol.name),
        }
    ]


def _ticker(
    market: UsdmMarket, symbol: UsdmSymbol, match: re.Match[str], second: int
) -> list[dict[str, Any]]:
    day = market.ticker_24hr(symbol, second * 1000)
    payload = {
        "e": "24hrTicker",
        "E": second * 1000,
        "s": symbol.name,
        "p": day["priceChange"],
        "P": day["priceChangePercent"],
        "w": day["weightedAvgPrice"],
        "c": day["lastPrice"],
        "Q": day["lastQty"],
        "o": day["openPrice"],
        "h": day["highPrice"],
        "l": day["lowPrice"],
        "v": day["volume"],
        "q": day["quoteVolume"],
        "O": day["openTime"],
        "C": day["closeTime"],
        "F": day["firstId"],
        "L": day["lastId"],
        "n": day["count"],
    }
    if match.group("kind") == "miniTicker":
        keep = ("e", "E", "s", "c", "o", "h", "l", "v", "q")
        payload = {key: payload[key] for key in keep}
        payload["e"] = "24hrMiniTicker"
    return [payload]


_RPI_PERIOD = 500
"""The RPI diff stream's period, Binance's 500 ms (the topic has no other speed)."""
_SYMBOL = r"(?P<symbol>[a-z0-9]+(?:_[0-9]+)?)"
USDM_FEEDS: tuple[Feed, ...] = (
    *depth_feeds(_SYMBOL, "100|250|500", _depth_diff, _partial_depth),
    Feed(re.compile(_SYMBOL + r"@aggTrade$"), _agg_trades),
    Feed(re.compile(_SYMBOL + r"@bookTicker$"), _book_ticker),
    Feed(re.compile(_SYMBOL + r"@markPrice(?:@1s)?$"), _mark_price),
    Feed(re.compile(_SYMBOL + rf"@kline_(?P<interval>{CANDLE_INTERVALS})$"), _kline),
    Feed(re.compile(_SYMBOL + r"@(?P<kind>ticker|miniTicker)$"), _ticker),
    *array_feeds({"bookTicker": _book_ticker, "ticker": _ticker, "markPrice": _mark_price}),
    Feed(CONTINUOUS_KLINE, continuous_kline),
    # The simulator has no RPI orders: the RPI book is the regular one (see .pair_feeds).
    Feed(
        re.compile(_SYMBOL + r"@rpiDepth@500ms$"),
        _rpi_depth_diff,
        sequenced=True,
        period=lambda match: _RPI_PERIOD,
    ),
    Feed(TRADING_SESSION, trading_session),
    Feed(re.compile(_SYMBOL + r"@compositeIndex$"), composite_index),
    *USDM_LIQUIDATION_FEEDS,
)
"""The USDⓈ-M market streams the simulator serves."""


def find_usdm_feed(topic: str) -> tuple[Feed, re.Match[str]] | None:
    """USDⓈ-M's feed of ``topic``."""
    return match_feed(USDM_FEEDS, topic)


class UsdmFeeds:
    """USDⓈ-M's streams for a :class:`~..streams.StreamHub`."""

    def __init__(self, venue: UsdmVenue) -> None:
        self.venue = venue
        self.market = venue.market
        self.engine: UsdmEngine = venue.engine

    def find(self, topic: str) -> tuple[Feed, re.Match[str]] | None:
        return find_usdm_feed(topic)

    def instrument(self, symbol: str) -> UsdmSymbol | None:
        return self.venue.symbols.get(symbol)

    def build(
        self, feed: Feed, instrument: UsdmSymbol, match: re.Match[str], second: int
    ) -> list[dict[str, Any]]:
        if isinstance(feed, AccountFeed):  # the account's liquidations too (.liquidations)
            return feed.build(self, instrument, match, second)
        return feed.build(self.market, instrument, match, second)

    def order_events(self, order: Order, execution: str, fill: Any, now: int) -> list[Any]:
        events = [self._order_update(order, execution, fill, now)]
        if fill is not None:
            events.append(self._account_update(order, now))
        return events

    def _order_update(self, order: Order, execution: str, fill: Any, now: int) -> dict[str, Any]:
        data = order.to_json()
        s = order.symbol
        qty, price, maker, fee, trade_id = (
            fill if fill is not None else (Decimal(0), Decimal(0), False, Decimal(0), 0)
        )
        return {
            "e": "ORDER_TRADE_UPDATE",
            "E": now,
            "T": now,
            "o": {
                "s": s.name,
                "c": order.client_id,
                "S": order.side,
                "o": order.type,
                "f": order.time_in_force,
                "q": data["origQty"],
                "p": data["price"],
                "ap": data["avgPrice"],
                "sp": data["stopPrice"],
                "x": execution,
                "X": order.status,
                "i": order.order_id,
                **modify_id_field(execution, order.modify_id),
                "l": s.qty_text(qty),
                "z": data["executedQty"],
                "L": s.price_text(price) if qty else "0",
                "N": s.margin_asset,
                "n": money(fee),  # as the REST trade's commission: eight decimals
                "T": now,
                "t": trade_id,
                "b": "0",
                "a": "0",
                "m": maker,
                "R": order.reduce_only,
                "wt": order.working_type,
                "ot": data["origType"],
                "ps": order.position_side,
                "cp": order.close_position,
                "rp": "0",
                "pP": order.price_protect,
                "si": 0,
                "ss": 0,
                "V": order.stp_mode,
                "pm": order.price_match,
                "gtd": order.good_till,
                "er": "0",  # no expiry reason: the simulator expires no order this way
            },
        }

    def _account_update(self, order: Order, now: int) -> dict[str, Any]:
        engine = self.engine
        s = order.symbol
        asset = s.margin_asset
        wallet = engine.account.balances.get(asset, Decimal(0))
        position = engine.position(s, order.position_side)
        eight = Decimal("1e-8")
        isolated = s.name in engine.account.isolated
        return {
            "e": "ACCOUNT_UPDATE",
            "E": now,
            "T": now,
            "a": {
                "m": "ORDER",
                "B": [
                    {
                        "a": asset,
                        "wb": format(wallet.quantize(eight), "f"),
                        "cw": format(wallet.quantize(eight), "f"),
                        "bc": "0",
                    }
                ],
                "P": [
                    {
                        "s": s.name,
                        "pa": s.qty_text(position.amount),
                        "ep": format(position.entry.quantize(eight), "f"),
                        "bep": format(position.entry.quantize(eight), "f"),
                        "cr": "0",
                        "up": format(engine.unrealized(position, now).quantize(eight), "f"),
                        "mt": "isolated" if isolated else "cross",
                        "iw": format(position.isolated_margin.quantize(eight), "f"),
                        "ps": position.side,
                    }
                ],
            },
        }


def stream_source(venue: UsdmVenue) -> tuple[UsdmFeeds, tuple[str, ...]]:
    """The source of USDⓈ-M's stream hub and the paths it is served under."""
    return UsdmFeeds(venue), ROUTES
