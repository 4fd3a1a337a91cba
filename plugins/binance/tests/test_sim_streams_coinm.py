"""The simulator's COIN-M market streams: every documented stream it serves is shaped as
Binance documents it; the pair and candle streams (continuous-contract klines, the index
price, the mark prices of a pair, index and mark price klines) arrive typed through
aioca's client and say what the REST endpoints answer at the same fake-clock moment."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest
from sim_helpers import FakeClock
from sim_streams_helpers import (
    candle_row,
    documented_streams,
    publish_and_read,
    published,
    raw_frames,
    rest_get,
    shape,
    subscribed,
    topics_of,
)

from aioca_binance.streams import coinm as models
from aioca_binance_sim import BinanceSimulator
from aioca_binance_sim.feeds import find_feed

PAIR_TOPICS = {
    "btcusd_perpetual@continuousKline_1m": models.ContinuousContractKlineCandlestick,
    "btcusd_current_quarter@continuousKline_4h": models.ContinuousContractKlineCandlestick,
    "btcusd@indexPrice": models.IndexPrice,
    "btcusd@indexPrice@1s": models.IndexPrice,
    "btcusd@markPrice": models.MarkPriceOfAllSymbolsOfAPair,
    "btcusd@markPrice@1s": models.MarkPriceOfAllSymbolsOfAPair,
    "btcusd@indexPriceKline_1m": models.IndexKlineCandlestick,
    "btcusd_perp@markPriceKline_1m": models.MarkPriceKlineCandlestick,
}


@pytest.mark.parametrize(
    "topic",
    # Liquidations come in some seconds only, contract changes on demand: shaped in
    # test_sim_streams_liquidations.py and test_sim_streams_arrays.py.
    [
        t
        for t in documented_streams("coinm")
        if find_feed(t) is not None and "forceOrder" not in t and t != "!contractInfo"
    ],
)
def test_every_served_stream_is_shaped_as_binance_documents_it(topic: str) -> None:
    async def build() -> list[Any]:
        async with BinanceSimulator(seed=3) as sim:
            second = sim.now_ms() // 1000
            second -= second % 60  # a second with a trade in it, where a candle opens
            return published(sim, "coinm", topic, second)

    payloads = asyncio.run(build())
    assert payloads
    expected = shape(documented_streams("coinm")[topic])
    for payload in payloads:
        got = shape(payload)
        # Levels: the documented diff may list none on a side; ours list some.
        for side in ("b", "a"):
            if isinstance(got, dict) and got.get(side) and expected.get(side) == []:
                expected[side] = got[side]
        assert got == expected


def test_the_served_streams_cover_the_pair_and_candle_streams() -> None:
    served = {topic for topic in documented_streams("coinm") if find_feed(topic) is not None}
    assert {
        "btcusd_perp@aggTrade",
        "btcusd_perp@depth@100ms",
        "btcusd_perp@depth10@100ms",
        "btcusd_perp@bookTicker",
        "btcusd_perp@markPrice@1s",
        "btcusd_perp@kline_1m",
        "btcusd_perp@ticker",
        "btcusd_perp@miniTicker",
        "btcusd_perpetual@continuousKline_1m",
        "btcusd@indexPrice@1s",
        "btcusd@markPrice@1s",
        "btcusd@indexPriceKline_1m",
        "btcusd_perp@markPriceKline_1m",
    } <= served
    for topic in (
        "btcusd@indexPrice",
        "btcusd@markPrice",
        "btcusd_next_quarter@continuousKline_1M",
    ):
        assert find_feed(topic) is not None, topic  # the documented forms without @1s, ...


def test_a_pair_or_contract_type_the_simulator_does_not_list_sends_nothing() -> None:
    async def build() -> list[list[Any]]:
        async with BinanceSimulator(seed=3) as sim:
            second = sim.now_ms() // 1000
            return [
                published(sim, "coinm", topic, second)
                for topic in ("dogeusd@indexPrice", "dogeusd_perpetual@continuousKline_1m")
            ]

    assert asyncio.run(build()) == [[], []]


async def test_pair_and_candle_streams_arrive_typed_through_the_client() -> None:
    clock = FakeClock()
    async with BinanceSimulator(seed=4, clock=clock) as sim:
        contracts = {
            i.symbol for i in sim.venues["coinm"].instruments.values() if i.pair.name == "BTCUSD"
        }
        async with subscribed(sim, "coinm", *PAIR_TOPICS) as (stream, hub):
            received = await publish_and_read(
                stream, hub, clock, 5, enough=lambda got: len(topics_of(got)) == len(PAIR_TOPICS)
            )
    seen: dict[str, Any] = {}
    for message in received:
        seen.setdefault(message.stream, message.data)
    assert sorted(seen) == sorted(PAIR_TOPICS)
    for topic, model in PAIR_TOPICS.items():
        data = seen[topic]
        items = data if isinstance(data, list) else [data]
        assert items, topic
        assert all(isinstance(item, model) for item in items), topic
    assert {mark.symbol for mark in seen["btcusd@markPrice"]} == contracts
    assert seen["btcusd@indexPrice"].pair == "BTCUSD"
    assert seen["btcusd@indexPrice"].index_price > 0
    perpetual = seen["btcusd_perpetual@continuousKline_1m"]
    assert (perpetual.pair, perpetual.contract_type) == ("BTCUSD", "PERPETUAL")
    assert seen["btcusd_current_quarter@continuousKline_4h"].contract_type == "CURRENT_QUARTER"
    assert seen["btcusd_perp@markPriceKline_1m"].kline.symbol == "BTCUSD_PERP"


async def test_the_streams_say_what_rest_answers_at_the_same_moment() -> None:
    clock = FakeClock()
    clock.advance(60 - clock.now % 60)  # a minute opens now: the closed candle comes too
    topics = [
        "btcusd_perpetual@continuousKline_1m",
        "btcusd_current_quarter@continuousKline_1m",
        "btcusd@indexPrice",
        "btcusd@markPrice@1s",
        "btcusd@indexPriceKline_1m",
        "btcusd_perp@markPriceKline_1m",
    ]
    async with BinanceSimulator(seed=5, clock=clock) as sim:
        now = sim.now_ms()
        assert now % 60_000 == 0
        got = await raw_frames(sim, "coinm", topics)
        assert sim.now_ms() == now  # REST answers at the moment the streams were built
        rest = {
            "perpetual": await rest_get(
                sim, "coinm", "/dapi/v1/continuousKlines", pair="BTCUSD", contractType="PERPETUAL",
                interval="1m", limit=2,
            ),
            "quarter": await rest_get(
                sim, "coinm", "/dapi/v1/continuousKlines", pair="BTCUSD",
                contractType="CURRENT_QUARTER", interval="1m", limit=2,
            ),
            "premium": await rest_get(sim, "coinm", "/dapi/v1/premiumIndex", pair="BTCUSD"),
            "index": await rest_get(
                sim, "coinm", "/dapi/v1/indexPriceKlines", pair="BTCUSD", interval="1m", limit=2
            ),
            "mark": await rest_get(
                sim, "coinm", "/dapi/v1/markPriceKlines", symbol="BTCUSD_PERP", interval="1m",
                limit=2,
            ),
        }  # fmt: skip
    # Continuous klines: the candle that just closed (x), then the one opening now.
    for topic, answer in (
        ("btcusd_perpetual@continuousKline_1m", rest["perpetual"]),
        ("btcusd_current_quarter@continuousKline_1m", rest["quarter"]),
    ):
        closed, current = got[topic]
        assert [closed["k"]["x"], current["k"]["x"]] == [True, False]
        assert [candle_row(closed["k"]), candle_row(current["k"])] == [row[:11] for row in answer]
        assert current["k"]["t"] == now
        for k in (closed["k"], current["k"]):  # trade ids: the candle's first and last
            assert k["L"] - k["f"] + 1 == k["n"]
    # The index price and every contract's mark price, as premiumIndex writes them.
    by_symbol = {row["symbol"]: row for row in rest["premium"]}
    ((index,),) = [got["btcusd@indexPrice"]]
    assert index["p"] == by_symbol["BTCUSD_PERP"]["indexPrice"]
    assert index["E"] == now
    ((marks,),) = [got["btcusd@markPrice@1s"]]
    assert {m["s"] for m in marks} == set(by_symbol)
    for mark in marks:
        row = by_symbol[mark["s"]]
        assert [mark["p"], mark["i"], mark["P"], mark["r"], mark["T"]] == [
            row["markPrice"], row["indexPrice"], row["estimatedSettlePrice"],
            row["lastFundingRate"], row["nextFundingTime"],
        ]  # fmt: skip
    # Index and mark price klines: open, high, low, close, times and data-point count.
    for topic, answer in (
        ("btcusd@indexPriceKline_1m", rest["index"]),
        ("btcusd_perp@markPriceKline_1m", rest["mark"]),
    ):
        closed, current = got[topic]
        assert [closed["k"]["x"], current["k"]["x"]] == [True, False]
        for event, row in zip((closed, current), answer, strict=True):
            k = event["k"]
            assert [k["t"], k["o"], k["h"], k["l"], k["c"], k["T"], k["n"]] == [
                row[0], row[1], row[2], row[3], row[4], row[6], row[8],
            ]  # fmt: skip
            assert k["L"] - k["f"] == (k["n"] - 1) * 60_000


async def test_a_candle_in_progress_agrees_with_rest_mid_interval() -> None:
    clock = FakeClock()
    clock.advance(60 - clock.now % 60 + 37)  # 37 s into a minute, 4 h bar well under way
    topics = ["btcusd_perpetual@continuousKline_4h", "btcusd_perp@markPriceKline_4h"]
    async with BinanceSimulator(seed=6, clock=clock) as sim:
        got = await raw_frames(sim, "coinm", topics)
        continuous = await rest_get(
            sim, "coinm", "/dapi/v1/continuousKlines", pair="BTCUSD", contractType="PERPETUAL",
            interval="4h", limit=1,
        )  # fmt: skip
        mark = await rest_get(
            sim, "coinm", "/dapi/v1/markPriceKlines", symbol="BTCUSD_PERP", interval="4h", limit=1
        )
        trades = await rest_get(sim, "coinm", "/dapi/v1/aggTrades", symbol="BTCUSD_PERP", limit=1)
    (candle,) = got["btcusd_perpetual@continuousKline_4h"]
    assert candle["k"]["x"] is False
    assert candle_row(candle["k"]) == continuous[0][:11]
    assert candle["k"]["L"] == trades[-1]["a"]  # the last trade so far
    assert candle["k"]["L"] - candle["k"]["f"] + 1 == candle["k"]["n"]
    (marked,) = got["btcusd_perp@markPriceKline_4h"]
    k = marked["k"]
    assert [k["o"], k["h"], k["l"], k["c"], k["n"]] == [
        mark[0][1],
        mark[0][2],
        mark[0][3],
        mark[0][4],
        mark[0][8],
    ]
    assert Decimal(k["l"]) <= Decimal(k["c"]) <= Decimal(k["h"])
