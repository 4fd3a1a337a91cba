"""The simulator's all-market futures streams (USDⓈ-M ``!bookTicker``, ``!miniTicker@arr``,
``!ticker@arr``, ``!markPrice@arr[@1s]``, ``!assetIndex@arr``, ``!contractInfo``; COIN-M
``!bookTicker``, ``!miniTicker@arr``, ``!ticker@arr``, ``!contractInfo``): shaped as Binance
documents them, received typed by aioca's client, equal to REST's answers at the same
moment, and ``!contractInfo`` sent for a contract change and only then."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any, Literal

import pytest
from sim_helpers import FakeClock
from sim_streams_helpers import (
    API_PREFIX,
    by_topic,
    documented_streams,
    futures_symbols,
    publish_and_read,
    published,
    rest_get,
    shape,
    subscribed,
)

from aioca_binance.streams import coinm, usdm
from aioca_binance.streams.structs import struct_of
from aioca_binance_sim import BinanceSimulator
from aioca_binance_sim.contracts import ContractChanges

USDM_TOPICS = {
    "!bookTicker": usdm.AllBookTickers,
    "!miniTicker@arr": usdm.AllMarketMiniTickers,
    "!ticker@arr": usdm.AllMarketTickers,
    "!markPrice@arr": usdm.MarkPriceForAllMarket,
    "!markPrice@arr@1s": usdm.MarkPriceForAllMarket,
    "!assetIndex@arr": usdm.AssetIndex,
}
COINM_TOPICS = {
    "!bookTicker": coinm.AllBookTickers,
    "!miniTicker@arr": coinm.AllMarketMiniTickers,
    "!ticker@arr": coinm.AllMarketTickers,
}
ARRAYS = {"!miniTicker@arr", "!ticker@arr", "!markPrice@arr", "!markPrice@arr@1s"}
ARRAYS |= {"!assetIndex@arr"}


@pytest.mark.parametrize(
    ("market", "topic"),
    [("usdm", topic) for topic in USDM_TOPICS] + [("coinm", topic) for topic in COINM_TOPICS],
)
def test_every_payload_of_every_symbol_is_shaped_as_documented(market: str, topic: str) -> None:
    documented = "!markPrice@arr@1s" if topic == "!markPrice@arr" else topic
    expected = shape(documented_streams(market)[documented])

    async def build() -> tuple[list[Any], set[str]]:
        async with BinanceSimulator(seed=3) as sim:
            second = sim.now_ms() // 1000
            second -= second % 3  # a second of the 3 s mark price array too
            return published(sim, market, topic, second), set(futures_symbols(sim, market))

    payloads, symbols = asyncio.run(build())
    if topic in ARRAYS:  # one array a second
        (payload,) = payloads
        items = payload
        assert all(shape([item]) == expected for item in items)
    else:  # one payload per symbol
        items = payloads
        assert all(shape(item) == expected for item in items)
    names = {item["s"] for item in items}
    if topic == "!assetIndex@arr":  # one per margin coin: its USDT perpetual's base
        coins = {name for name in symbols if name.endswith("USDT")} - {"DEFIUSDT"}  # an index
        assert names == {f"{name[:-4]}USD" for name in coins}
    else:
        assert names == symbols
        assert len(items) == len(symbols)


def test_the_3s_mark_price_array_comes_every_third_second_the_1s_one_every_second() -> None:
    async def build() -> list[tuple[int, int]]:
        async with BinanceSimulator(seed=3) as sim:
            first = sim.now_ms() // 1000
            return [
                (
                    len(published(sim, "usdm", "!markPrice@arr", second)),
                    len(published(sim, "usdm", "!markPrice@arr@1s", second)),
                )
                for second in range(first, first + 9)
            ]

    counts = asyncio.run(build())
    assert [slow for slow, _ in counts].count(1) == 3
    assert [slow for slow, _ in counts].count(0) == 6
    assert [fast for _, fast in counts] == [1] * 9


def test_usdm_arrays_equal_rest_at_the_same_moment() -> None:
    async def build() -> tuple[dict[str, Any], dict[str, Any]]:
        async with BinanceSimulator(seed=5, clock=FakeClock(1_795_000_002.0)) as sim:
            now = sim.now_ms()
            assert now % 3000 == 0  # a second of the 3 s mark price array
            streamed = {topic: published(sim, "usdm", topic, now // 1000) for topic in USDM_TOPICS}
            answers = {
                path: await rest_get(sim, "usdm", API_PREFIX["usdm"] + path)
                for path in ("/ticker/bookTicker", "/ticker/24hr", "/premiumIndex", "/assetIndex")
            }
            return streamed, answers

    streamed, answers = asyncio.run(build())
    books = {row["symbol"]: row for row in answers["/ticker/bookTicker"]}
    assert {item["s"] for item in streamed["!bookTicker"]} == set(books)
    for item in streamed["!bookTicker"]:
        row = books[item["s"]]
        assert [item[k] for k in "bBaA"] == [
            row[k] for k in ("bidPrice", "bidQty", "askPrice", "askQty")
        ]
        assert item["T"] == row["time"]
    days = {row["symbol"]: row for row in answers["/ticker/24hr"]}
    ticker_names = {"p": "priceChange", "P": "priceChangePercent", "w": "weightedAvgPrice"}
    ticker_names |= {"c": "lastPrice", "Q": "lastQty", "o": "openPrice", "h": "highPrice"}
    ticker_names |= {"l": "lowPrice", "v": "volume", "q": "quoteVolume", "O": "openTime"}
    ticker_names |= {"C": "closeTime", "F": "firstId", "L": "lastId", "n": "count"}
    _equal_by_symbol(streamed["!ticker@arr"][0], days, ticker_names)
    mini_names = {key: ticker_names[key] for key in "cohlvq"}
    _equal_by_symbol(streamed["!miniTicker@arr"][0], days, mini_names)
    marks = {row["symbol"]: row for row in answers["/premiumIndex"]}
    mark_names = {"p": "markPrice", "i": "indexPrice", "P": "estimatedSettlePrice"}
    mark_names |= {"r": "lastFundingRate", "T": "nextFundingTime", "E": "time"}
    _equal_by_symbol(streamed["!markPrice@arr@1s"][0], marks, mark_names)
    assert streamed["!markPrice@arr"] == streamed["!markPrice@arr@1s"]
    indices = {row["symbol"]: row for row in answers["/assetIndex"]}
    index_names = {"i": "index", "b": "bidBuffer", "a": "askBuffer", "B": "bidRate"}
    index_names |= {"A": "askRate", "q": "autoExchangeBidBuffer", "g": "autoExchangeAskBuffer"}
    index_names |= {"Q": "autoExchangeBidRate", "G": "autoExchangeAskRate", "E": "time"}
    _equal_by_symbol(streamed["!assetIndex@arr"][0], indices, index_names)


def test_coinm_arrays_equal_rest_at_the_same_moment() -> None:
    async def build() -> tuple[dict[str, Any], dict[str, Any]]:
        async with BinanceSimulator(seed=5, clock=FakeClock()) as sim:
            now = sim.now_ms()
            assert now % 1000 == 0
            streamed = {
                topic: published(sim, "coinm", topic, now // 1000) for topic in COINM_TOPICS
            }
            answers = {
                path: await rest_get(sim, "coinm", API_PREFIX["coinm"] + path)
                for path in ("/ticker/bookTicker", "/ticker/24hr")
            }
            return streamed, answers

    streamed, answers = asyncio.run(build())
    books = {row["symbol"]: row for row in answers["/ticker/bookTicker"]}
    book_names = {"ps": "pair", "b": "bidPrice", "B": "bidQty", "a": "askPrice", "A": "askQty"}
    _equal_by_symbol(streamed["!bookTicker"], books, book_names | {"T": "time"})
    days = {row["symbol"]: row for row in answers["/ticker/24hr"]}
    ticker_names = {"ps": "pair", "p": "priceChange", "P": "priceChangePercent"}
    ticker_names |= {"w": "weightedAvgPrice", "c": "lastPrice", "Q": "lastQty", "o": "openPrice"}
    ticker_names |= {"h": "highPrice", "l": "lowPrice", "v": "volume", "q": "baseVolume"}
    ticker_names |= {"O": "openTime", "C": "closeTime", "F": "firstId", "L": "lastId"}
    ticker_names |= {"n": "count"}
    _equal_by_symbol(streamed["!ticker@arr"][0], days, ticker_names)
    mini_names = {key: ticker_names[key] for key in ("ps", "c", "o", "h", "l", "v", "q")}
    _equal_by_symbol(streamed["!miniTicker@arr"][0], days, mini_names)


def _equal_by_symbol(
    items: list[dict[str, Any]], rows: dict[str, dict[str, Any]], names: dict[str, str]
) -> None:
    """Every streamed item equals REST's row of its symbol under ``names`` (stream key to
    REST key), and every REST row has its item."""
    assert {item["s"] for item in items} == set(rows)
    for item in items:
        row = rows[item["s"]]
        got = {key: item[key] for key in names}
        assert got == {key: row[name] for key, name in names.items()}, item["s"]


MARK_ARRAYS = {"!markPrice@arr", "!markPrice@arr@1s"}


@pytest.mark.parametrize("market", ["usdm", "coinm"])
async def test_aioca_s_market_stream_receives_every_all_market_stream_typed(market: str) -> None:
    """Every all-market stream but the mark price arrays (see the next test)."""
    topics = USDM_TOPICS if market == "usdm" else COINM_TOPICS
    topics = {topic: model for topic, model in topics.items() if topic not in MARK_ARRAYS}
    clock = FakeClock()
    async with BinanceSimulator(seed=4, clock=clock) as sim:
        symbols = set(futures_symbols(sim, market))
        async with subscribed(sim, market, *topics) as (stream, hub):
            seen = by_topic(await publish_and_read(stream, hub, clock, 3), topics)
    for topic, model in topics.items():
        assert seen[topic], topic
        if topic in ARRAYS:
            for array in seen[topic]:
                assert isinstance(array, list)
                assert all(isinstance(item, model) for item in array), topic
            items = seen[topic][-1]
        else:
            assert all(isinstance(item, model) for item in seen[topic]), topic
            items = seen[topic][-len(symbols) :]
        names = {getattr(item, "symbol", None) or item.asset_index_symbol for item in items}
        if topic == "!assetIndex@arr":
            coins = {s for s in symbols if s.endswith("USDT")} - {"DEFIUSDT"}  # an index
            assert names == {f"{s[:-4]}USD" for s in coins}
        else:
            assert names == symbols, topic
    seconds = {topic: len(seen[topic]) for topic in topics if topic in ARRAYS}
    arrays = {"!miniTicker@arr": 3, "!ticker@arr": 3}  # one array a second, 3 published
    assert seconds == (arrays | {"!assetIndex@arr": 3} if market == "usdm" else arrays)
    assert len(seen["!bookTicker"]) == 3 * len(symbols)  # one per symbol a second


async def test_the_mark_price_arrays_arrive_every_third_second_and_every_second() -> None:
    clock = FakeClock()
    async with BinanceSimulator(seed=4, clock=clock) as sim:
        symbols = set(futures_symbols(sim, "usdm"))
        async with subscribed(sim, "usdm", *sorted(MARK_ARRAYS)) as (stream, hub):
            seen = by_topic(await publish_and_read(stream, hub, clock, 3), MARK_ARRAYS)
    assert [len(seen["!markPrice@arr"]), len(seen["!markPrice@arr@1s"])] == [1, 3]
    for arrays in seen.values():
        for array in arrays:
            assert {_field(item, "s", "symbol") for item in array} == symbols


@pytest.mark.parametrize("typed", [True, "struct"])
async def test_the_mark_price_arrays_arrive_typed(typed: bool | Literal["struct"]) -> None:
    """The arrays hold the delivery contracts, whose funding rate the simulator (as REST's
    premiumIndex, and Binance for COIN-M) sends as ``""``: ``None``, the message typed."""
    clock = FakeClock()
    kind = usdm.MarkPriceForAllMarket if typed is True else struct_of(usdm.MarkPriceForAllMarket)
    async with (
        BinanceSimulator(seed=4, clock=clock) as sim,
        subscribed(sim, "usdm", *sorted(MARK_ARRAYS), typed=typed) as (stream, hub),
    ):
        seen = by_topic(await publish_and_read(stream, hub, clock, 3), MARK_ARRAYS)
    for arrays in seen.values():
        assert arrays
        for array in arrays:
            assert all(type(item) is kind for item in array)
            delivery = {item.symbol for item in array if "_" in item.symbol}
            assert delivery, "no delivery contract: nothing blank was read"
            assert len(delivery) < len(array)
            for item in array:
                assert (item.funding_rate is None) == (item.symbol in delivery), item
                assert isinstance(item.mark_price, Decimal)


def _field(item: Any, wire: str, name: str) -> Any:
    """``item``'s field, whether it came typed or as JSON."""
    return item[wire] if isinstance(item, dict) else getattr(item, name)


@pytest.mark.parametrize(
    ("market", "symbol", "status_key"),
    [("usdm", "ETHUSDT", "status"), ("coinm", "ETHUSD_PERP", "contractStatus")],
)
async def test_contract_info_arrives_after_a_change_and_not_before(
    market: str, symbol: str, status_key: str
) -> None:
    clock = FakeClock()
    model = usdm.ContractInfo if market == "usdm" else coinm.ContractInfo
    async with (
        BinanceSimulator(seed=4, clock=clock) as sim,
        subscribed(sim, market, "!contractInfo") as (stream, hub),
    ):
        before = await publish_and_read(stream, hub, clock, 5)
        listed_before = await _listed_status(sim, market, symbol, status_key)
        clock.advance(0.25)  # mid-second: the change waits for the next second
        at = sim.set_contract_status(market, symbol, "SETTLING")
        listed_mid = await _listed_status(sim, market, symbol, status_key)
        after = await publish_and_read(stream, hub, clock, 3)
        listed_after = await _listed_status(sim, market, symbol, status_key)
        later = await publish_and_read(stream, hub, clock, 3)
    assert before == []
    assert listed_before == listed_mid == "TRADING"
    assert listed_after == "SETTLING"
    (message,) = after
    event = message.data
    assert isinstance(event, model)
    assert event.symbol == symbol
    assert event.contract_status == "SETTLING"
    assert event.event_time == at
    assert at % 1000 == 0
    brackets = "notional_bracket_updates" if market == "usdm" else "bracket_list"
    assert getattr(event, brackets) is None  # brackets unchanged: no bks
    assert later == []


async def _listed_status(sim: BinanceSimulator, market: str, symbol: str, key: str) -> str:
    info = await rest_get(sim, market, API_PREFIX[market] + "/exchangeInfo")
    (entry,) = [row for row in info["symbols"] if row["symbol"] == symbol]
    return entry[key]  # type: ignore[no-any-return]


@pytest.mark.parametrize(("market", "symbol"), [("usdm", "BTCUSDT"), ("coinm", "BTCUSD_PERP")])
def test_contract_info_is_shaped_as_documented_without_brackets(market: str, symbol: str) -> None:
    """Binance: "bks field only shows up when bracket gets updated"; a status change
    carries every other documented field."""
    documented = dict(documented_streams(market)["!contractInfo"])
    del documented["bks"]

    async def build() -> list[Any]:
        async with BinanceSimulator(seed=3) as sim:
            at = sim.set_contract_status(market, symbol, "CLOSE")
            assert published(sim, market, "!contractInfo", at // 1000 - 1) == []
            return published(sim, market, "!contractInfo", at // 1000)

    (event,) = asyncio.run(build())
    assert shape(event) == shape(documented)
    assert event["cs"] == "CLOSE"


def test_contract_status_changes_are_checked_and_can_be_undone() -> None:
    changes = ContractChanges()
    with pytest.raises(ValueError, match="unknown contract status 'HALTED'"):
        changes.change("BTCUSDT", "HALTED", 1_000)
    changes.change("BTCUSDT", "SETTLING", 1_500)
    changes.change("BTCUSDT", "TRADING", 4_200)
    assert [changes.status("BTCUSDT", t) for t in (1_999, 2_000, 4_999, 5_000)] == [
        "TRADING",
        "SETTLING",
        "SETTLING",
        "TRADING",
    ]
    assert changes.status("ETHUSDT", 9_000) == "TRADING"
    assert [c.status for c in changes.in_second(5)] == ["TRADING"]


async def test_the_simulator_refuses_a_change_of_an_unknown_contract_or_market() -> None:
    async with BinanceSimulator(seed=1) as sim:
        with pytest.raises(ValueError, match="no usdm contract 'BTCUSD_PERP'"):
            sim.set_contract_status("usdm", "BTCUSD_PERP", "CLOSE")
        with pytest.raises(ValueError, match="no futures market 'spot'"):
            sim.set_contract_status("spot", "BTCUSDT", "CLOSE")
        assert sim.market.contracts.changes == []
