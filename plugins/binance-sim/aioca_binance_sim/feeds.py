"""What the simulator's market streams say: one builder per stream kind, from the market.

A :class:`Feed` turns a topic (``btcusd_perp@aggTrade``) into the payloads of one second
of simulated time, computed from the same :class:`~.market.Market` functions the REST
endpoints answer from, so the two always agree; trades are the market's trades, and so on.

A feed with a ``period`` (the depth streams: ``@100ms``, ``@500ms``, Binance's 250 ms
without a suffix) is built per moment instead, every ``period`` ms: the book changes every
100 ms (:data:`~.market.BOOK_STEP_MS`), and a diff at moment ``t`` carries ``u`` =
:func:`~.market.book_update_id` of ``t`` (the REST depth snapshot's ``lastUpdateId``
then) and ``pu`` the one of ``t - period``, so the chain is continuous at every speed.

``FEEDS`` is COIN-M's table and :class:`CoinmFeeds` the source its stream hub reads
(with the account's ``ORDER_TRADE_UPDATE`` and ``ACCOUNT_UPDATE`` events); USDⓈ-M has its
own in :mod:`.usdm.feeds`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .bars import candle
from .engine import coin
from .instruments import Instrument
from .liquidations import COINM_LIQUIDATION_FEEDS
from .market import TRADE_MS, Market, book_step, book_update_id
from .market_arrays import array_feeds
from .pair_feeds import CANDLE_INTERVALS, PAIR_FEED_PATTERNS, mark_price_event

if TYPE_CHECKING:
    from .engine import Engine, Order

__all__ = [
    "FEEDS",
    "CoinmFeeds",
    "Feed",
    "depth_ids",
    "depth_period",
    "find_feed",
    "match_feed",
    "modify_id_field",
]

Builder = Callable[[Any, Any, re.Match[str], int], list[dict[str, Any]]]
"""``(market, instrument, match of the topic, second) -> payloads of that second``."""


@dataclass(frozen=True, slots=True)
class Feed:
    """Topics matching ``pattern`` (with a ``symbol`` group) and their payload builder;
    ``sequenced`` feeds carry update ids (a fault can skip one). Without a ``period`` the
    builder takes a second and is called once a simulated second; with one (the topic's
    period in ms, from its match), it takes a moment in ms, called every period.
    A topic is this feed's whenever its name matches: a symbol the market does not list
    is accepted and sends nothing, as on Binance."""

    pattern: re.Pattern[str]
    build: Builder
    sequenced: bool = False
    period: Callable[[re.Match[str]], int] | None = None


def depth_period(match: re.Match[str], default: int = 250) -> int:
    """A depth topic's period in ms: its ``@<n>ms`` suffix (the ``speed`` group), else
    ``default``: futures' 250 (Binance: "Update Speed: 250ms, 500ms, 100ms"), Spot's 1000."""
    speed = match.groupdict().get("speed")
    return int(speed) if speed else default


def depth_feeds(
    symbol: str,
    speeds: str,
    diff: Builder,
    partial: Builder,
    period: Callable[[re.Match[str]], int] = depth_period,
) -> tuple[Feed, Feed]:
    """A market's two depth feeds, the diff stream ``<symbol>@depth[@<n>ms]`` (sequenced)
    and the partial book ``<symbol>@depth<5|10|20>[@<n>ms]``: ``symbol`` the market's
    symbol pattern, ``speeds`` its documented speeds (``"100|500"``), ``period`` a topic's
    period in ms from its match (each is published at its own)."""
    speed = rf"(?:@(?P<speed>{speeds})ms)?$"
    return (
        Feed(re.compile(symbol + r"@depth" + speed), diff, sequenced=True, period=period),
        Feed(re.compile(symbol + r"@depth(?P<levels>5|10|20)" + speed), partial, period=period),
    )


def depth_ids(moment: int, period: int) -> dict[str, int]:
    """The ``E``, ``T``, ``U``, ``u`` and ``pu`` of a depth event at ``moment`` (ms) of a
    topic of ``period`` ms: ``u`` the book's update id then, ``pu`` the one a period before."""
    update = book_update_id(moment)
    previous = book_update_id(moment - period)
    return {"E": moment + 1, "T": moment, "U": previous + 1, "u": update, "pu": previous}


def _depth_diff(
    market: Market, instrument: Instrument, match: re.Match[str], moment: int
) -> list[dict[str, Any]]:
    period = depth_period(match)
    bids, asks = market.book_diff(instrument, book_step(moment), book_step(moment - period))
    text = instrument.price_text
    ids = depth_ids(moment, period)
    return [
        {
            "e": "depthUpdate",
            "E": ids["E"],
            "T": ids["T"],
            "s": instrument.symbol,
            "ps": instrument.pair.name,
            "U": ids["U"],
            "u": ids["u"],
            "pu": ids["pu"],
            "b": [[text(tick), str(qty)] for tick, qty in bids],
            "a": [[text(tick), str(qty)] for tick, qty in asks],
        }
    ]


def _partial_depth(
    market: Market, instrument: Instrument, match: re.Match[str], moment: int
) -> list[dict[str, Any]]:
    bids, asks = market.book(instrument, moment, int(match.group("levels")))
    ids = depth_ids(moment, depth_period(match))
    return [
        {
            "e": "depthUpdate",
            "E": ids["E"],
            "T": ids["T"],
            "s": instrument.symbol,
            "ps": instrument.pair.name,
            "U": ids["U"],
            "u": ids["u"],
            "pu": ids["pu"],
            "b": bids,
            "a": asks,
        }
    ]


def _agg_trades(
    market: Market, instrument: Instrument, match: re.Match[str], second: int
) -> list[dict[str, Any]]:
    if (second * 1000) % TRADE_MS:
        return []
    trade = market.trade(instrument, second * 1000 // TRADE_MS)
    return [
        {
            "e": "aggTrade",
            "E": trade.time + 1,
            "a": trade.id,
            "s": instrument.symbol,
            "p": instrument.price_text(trade.ticks),
            "q": str(trade.qty),
            "f": trade.id,
            "l": trade.id,
            "T": trade.time,
            "m": trade.buyer_maker,
        }
    ]


def _book_ticker(
    market: Market, instrument: Instrument, match: re.Match[str], second: int
) -> list[dict[str, Any]]:
    bids, asks = market.book(instrument, second * 1000, 1)
    return [
        {
            "e": "bookTicker",
            "u": book_update_id(second * 1000),
            "s": instrument.symbol,
            "ps": instrument.pair.name,
            "b": bids[0][0],
            "B": bids[0][1],
            "a": asks[0][0],
            "A": asks[0][1],
            "T": second * 1000,
            "E": second * 1000 + 1,
        }
    ]


def _mark_price(
    market: Market, instrument: Instrument, match: re.Match[str], second: int
) -> list[dict[str, Any]]:
    return [mark_price_event(market, instrument, second * 1000)]


def _kline(
    market: Market, instrument: Instrument, match: re.Match[str], second: int
) -> list[dict[str, Any]]:
    interval = match.group("interval")
    now = second * 1000
    bar = market.klines(instrument, interval, None, now, 1, now)[0]
    first = market.trade(instrument, -(-bar[0] // TRADE_MS)).id
    last = market.last_trade(instrument, now).id
    return [
        {
            "e": "kline",
            "E": now,
            "s": instrument.symbol,
            "k": candle(bar, interval, first, last, now >= bar[6], instrument.symbol),
        }
    ]


def _ticker(
    market: Market, instrument: Instrument, match: re.Match[str], second: int
) -> list[dict[str, Any]]:
    day = market.ticker_24hr(instrument, second * 1000)
    payload = {
        "e": "24hrTicker",
        "E": second * 1000,
        "s": instrument.symbol,
        "ps": instrument.pair.name,
        "p": day["priceChange"],
        "P": day["priceChangePercent"],
        "w": day["weightedAvgPrice"],
        "c": day["lastPrice"],
        "Q": day["lastQty"],
        "o": day["openPrice"],
        "h": day["highPrice"],
        "l": day["lowPrice"],
        "v": day["volume"],
        "q": day["baseVolume"],
        "O": day["openTime"],
        "C": day["closeTime"],
        "F": day["firstId"],
        "L": day["lastId"],
        "n": day["count"],
    }
    if match.group("kind") == "miniTicker":
        keep = ("e", "E", "s", "ps", "c", "o", "h", "l", "v", "q")
        payload = {key: payload[key] for key in keep}
        payload["e"] = "24hrMiniTicker"
    return [payload]


_SYMBOL = r"(?P<symbol>[a-z0-9]+_[a-z0-9]+)"
FEEDS: tuple[Feed, ...] = (
    *depth_feeds(_SYMBOL, "100|500", _depth_diff, _partial_depth),
    Feed(re.compile(_SYMBOL + r"@aggTrade$"), _agg_trades),
    Feed(re.compile(_SYMBOL + r"@bookTicker$"), _book_ticker),
    Feed(re.compile(_SYMBOL + r"@markPrice(?:@1s)?$"), _mark_price),
    Feed(re.compile(_SYMBOL + rf"@kline_(?P<interval>{CANDLE_INTERVALS})$"), _kline),
    Feed(re.compile(_SYMBOL + r"@(?P<kind>ticker|miniTicker)$"), _ticker),
    *array_feeds(Feed, {"bookTicker": _book_ticker, "ticker": _ticker}),
    *(Feed(pattern, build) for pattern, build in PAIR_FEED_PATTERNS),
    *(Feed(pattern, build) for pattern, build in COINM_LIQUIDATION_FEEDS),
)
"""The COIN-M market streams the simulator serves."""


def modify_id_field(execution: str, modify_id: int | None) -> dict[str, str]:
    """The ``M`` of a futures ``ORDER_TRADE_UPDATE``'s order: "modifyId, only pushed for
    AMENDMENT (order modification) events when a modifyId was provided in the request",
    as text (the official SDKs' models type it ``str``); nothing otherwise."""
    if execution != "AMENDMENT" or modify_id is None:
        return {}
    return {"M": str(modify_id)}


def match_feed(feeds: tuple[Feed, ...], topic: str) -> tuple[Feed, re.Match[str]] | None:
    """The first of ``feeds`` whose pattern matches ``topic``, and the match."""
    for feed in feeds:
        match = feed.pattern.match(topic)
        if match is not None:
            return feed, match
    return None


def find_feed(topic: str) -> tuple[Feed, re.Match[str]] | None:
    """COIN-M's feed of ``topic``."""
    return match_feed(FEEDS, topic)


class CoinmFeeds:
    """COIN-M's streams for its :class:`~.streams.StreamHub`: the :data:`FEEDS` of its
    market, and the account's events for orders placed through the REST API."""

    def __init__(self, market: Market, engine: Engine) -> None:
        self.market = market
        self.engine = engine

    def find(self, topic: str) -> tuple[Feed, re.Match[str]] | None:
        return find_feed(topic)

    def instrument(self, symbol: str) -> Instrument | None:
        return self.market.instruments.get(symbol)

    def build(
        self, feed: Feed, instrument: Instrument, match: re.Match[str], second: int
    ) -> list[dict[str, Any]]:
        return feed.build(self.market, instrument, match, second)

    def order_events(self, order: Order, execution: str, fill: Any, now: int) -> list[Any]:
        events = [self._order_update(order, execution, fill, now)]
        if fill is not None:
            events.append(self._account_update(order, now))
        return events

    def _order_update(self, order: Order, execution: str, fill: Any, now: int) -> dict[str, Any]:
        data = order.to_json()
        qty, price, maker, fee, trade_id = (
            fill if fill is not None else (0, Decimal(0), False, Decimal(0), 0)
        )
        decimals = order.instrument.pair.tick_decimals
        return {
            "e": "ORDER_TRADE_UPDATE",
            "E": now,
            "T": now,
            "i": "",
            "o": {
                "s": order.instrument.symbol,
                "c": order.client_id,
                "S": order.side,
                "o": order.type,
                "f": order.time_in_force,
                "q": data["origQty"],
                "p": data["price"],
                "ap": data["avgPrice"],
                "sp": "0",
                "x": execution,
                "X": order.status,
                "i": order.order_id,
                **modify_id_field(execution, order.modify_id),
                "l": str(qty),
                "z": data["executedQty"],
                "L": f"{price:.{decimals}f}" if qty else "0",
                "ma": order.instrument.pair.base,
                "N": order.instrument.pair.base,
                "n": coin(fee),  # as the REST trade's commission: eight decimals
                "T": now,
                "t": trade_id,
                "rp": "0",
                "b": "0",
                "a": "0",
                "m": maker,
                "R": order.reduce_only,
                "wt": "CONTRACT_PRICE",
                "ot": order.type,
                "ps": order.position_side,
                "cp": False,
                "pP": False,
                "si": 0,
                "ss": 0,
                "V": order.stp_mode,
                "pm": order.price_match,
            },
        }

    def _account_update(self, order: Order, now: int) -> dict[str, Any]:
        engine = self.engine
        asset = order.instrument.pair.base
        position = engine.position(order.instrument, order.position_side)
        figures = engine.asset_figures(asset, now)
        return {
            "e": "ACCOUNT_UPDATE",
            "E": now,
            "T": now,
            "i": "",
            "a": {
                "m": "ORDER",
                "B": [
                    {
                        "a": asset,
                        "wb": format(figures["wallet"].quantize(Decimal("1e-8")), "f"),
                        "cw": format(figures["wallet"].quantize(Decimal("1e-8")), "f"),
                        "bc": "0",
                    }
                ],
                "P": [
                    {
                        "s": order.instrument.symbol,
                        "pa": str(position.amount),
                        "ep": format(position.entry.quantize(Decimal("1e-8")), "f"),
                        "bep": format(position.entry.quantize(Decimal("1e-8")), "f"),
                        "cr": "0",
                        "up": format(
                            engine.unrealized(position, now).quantize(Decimal("1e-8")), "f"
                        ),
                        "mt": "cross",
                        "iw": "0",
                        "ps": position.side,
                    }
                ],
            },
        }
