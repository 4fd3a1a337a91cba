"""The simulator's USDⓈ-M continuous-contract klines and RPI depth diffs: typed through
aioca's client, and saying what ``/fapi/v1/continuousKlines`` and ``/fapi/v1/rpiDepth``
answer at the same fake-clock moment. (Their shapes: the documented-shape test of
``test_sim_streams_usdm.py``, which covers every served topic.)"""

from __future__ import annotations

import itertools

from sim_helpers import FakeClock
from sim_streams_helpers import (
    by_topic,
    candle_row,
    publish_and_read,
    published,
    raw_frames,
    rest_get,
    subscribed,
)

from aioca_binance.streams import usdm as models
from aioca_binance_sim import BinanceSimulator
from aioca_binance_sim.usdm.feeds import find_usdm_feed

TOPICS = {
    "btcusdt_perpetual@continuousKline_1m": models.ContinuousContractKlineCandlestick,
    "ethusdt_current_quarter@continuousKline_1h": models.ContinuousContractKlineCandlestick,
    "btcusdt@rpiDepth@500ms": models.RpiDiffBookDepth,
}


def test_the_documented_forms_are_served_and_others_are_not() -> None:
    for topic in (
        "btcusdt_perpetual@continuousKline_1M",
        "btcusdt_next_quarter@continuousKline_3d",
        "btcusdt_tradifi_perpetual@continuousKline_1m",
        "btcusdt@rpiDepth@500ms",
    ):
        assert find_usdm_feed(topic) is not None, topic
    for topic in (
        "btcusdt_perp@continuousKline_1m",  # a contract type, not a symbol
        "btcusdt_perpetual@continuousKline_1s",  # not documented for this stream
        "btcusdt@rpiDepth",  # 500ms only
        "btcusdt@rpiDepth@100ms",
    ):
        assert find_usdm_feed(topic) is None, topic


async def test_continuous_klines_and_rpi_depth_arrive_typed_through_the_client() -> None:
    clock = FakeClock()
    async with (
        BinanceSimulator(seed=4, clock=clock) as sim,
        subscribed(sim, "usdm", *TOPICS) as (stream, hub),
    ):
        received = await publish_and_read(stream, hub, clock, 3)
        paths = {c.path for c in hub.connections}
    seen = by_topic(received)
    assert sorted(seen) == sorted(TOPICS)
    for topic, model in TOPICS.items():
        assert all(isinstance(data, model) for data in seen[topic]), topic
    perpetual = seen["btcusdt_perpetual@continuousKline_1m"][-1]
    assert (perpetual.pair, perpetual.contract_type) == ("BTCUSDT", "PERPETUAL")
    assert perpetual.kline.interval == "1m"
    quarter = seen["ethusdt_current_quarter@continuousKline_1h"][-1]
    assert (quarter.pair, quarter.contract_type) == ("ETHUSDT", "CURRENT_QUARTER")
    diffs = seen["btcusdt@rpiDepth@500ms"]
    assert len(diffs) >= 2
    for before, after in itertools.pairwise(diffs):
        assert after.previous_final_update_id == before.final_update_id
    assert {"/public/stream", "/market/stream"} <= paths  # the client's routes, served


async def test_continuous_klines_say_what_rest_answers_at_the_same_moment() -> None:
    clock = FakeClock()
    clock.advance(3600 - clock.now % 3600)  # an hour opens now: 1m and 1h candles close
    topics = [
        "btcusdt_perpetual@continuousKline_1m",
        "btcusdt_perpetual@continuousKline_1h",
        "btcusdt_next_quarter@continuousKline_1m",
        "btcusdt_tradifi_perpetual@continuousKline_1m",  # not listed: nothing
    ]
    async with BinanceSimulator(seed=7, clock=clock) as sim:
        now = sim.now_ms()
        got = await raw_frames(sim, "usdm", topics)
        assert sim.now_ms() == now
        answers = {
            topic: await rest_get(
                sim,
                "usdm",
                "/fapi/v1/continuousKlines",
                pair="BTCUSDT",
                contractType=topic.split("@")[0].removeprefix("btcusdt_").upper(),
                interval=topic.rsplit("_", 1)[1],
                limit=2,
            )
            for topic in topics[:3]
        }
        mid = clock.now
        clock.advance(23)  # and mid-candle: one event, the candle so far
        later = await raw_frames(sim, "usdm", topics[:1])
        so_far = await rest_get(
            sim, "usdm", "/fapi/v1/continuousKlines", pair="BTCUSDT", contractType="PERPETUAL",
            interval="1m", limit=1,
        )  # fmt: skip
        last_trade = await rest_get(sim, "usdm", "/fapi/v1/aggTrades", symbol="BTCUSDT", limit=1)
    assert got["btcusdt_tradifi_perpetual@continuousKline_1m"] == []
    for topic, rows in answers.items():
        closed, current = got[topic]
        assert [closed["k"]["x"], current["k"]["x"]] == [True, False], topic
        assert [candle_row(closed["k"]), candle_row(current["k"])] == [row[:11] for row in rows]
        assert current["k"]["t"] == now
        assert closed["k"]["T"] == now - 1
        for k in (closed["k"], current["k"]):  # trade ids: the candle's first and last
            assert k["L"] - k["f"] + 1 == k["n"]
        assert closed["ps"] == current["ps"] == "BTCUSDT"
    assert got["btcusdt_next_quarter@continuousKline_1m"][0]["ct"] == "NEXT_QUARTER"
    *passed, candle = later["btcusdt_perpetual@continuousKline_1m"]
    assert len(passed) == 22  # the hub catches up second by second
    assert candle["E"] == (mid + 23) * 1000
    assert candle["k"]["x"] is False
    assert candle_row(candle["k"]) == so_far[0][:11]
    assert candle["k"]["L"] == last_trade[-1]["a"]
    assert candle["k"]["L"] - candle["k"]["f"] + 1 == candle["k"]["n"]


async def test_rpi_depth_diffs_continue_the_rest_rpi_book() -> None:
    """A diff published at moment ``t`` (every 500 ms) carries ``u`` =
    ``/fapi/v1/rpiDepth``'s ``lastUpdateId`` at ``t``, ``pu`` the one at ``t - 500 ms``, and
    every level it names has the quantity the REST book has then (0: gone from the book's
    1000 levels)."""
    clock = FakeClock()
    async with BinanceSimulator(seed=8, clock=clock) as sim:
        clock.advance(1.5)
        before = await rest_get(sim, "usdm", "/fapi/v1/rpiDepth", symbol="BTCUSDT", limit=1000)
        clock.advance(0.5)
        got = await raw_frames(sim, "usdm", ["btcusdt@rpiDepth@500ms"])
        after = await rest_get(sim, "usdm", "/fapi/v1/rpiDepth", symbol="BTCUSDT", limit=1000)
    (diff,) = got["btcusdt@rpiDepth@500ms"]
    assert diff["u"] == after["lastUpdateId"]
    assert diff["pu"] == before["lastUpdateId"]
    assert diff["b"] or diff["a"]
    for side, levels in (("b", after["bids"]), ("a", after["asks"])):
        book = dict(map(tuple, levels))
        old = dict(map(tuple, before["bids" if side == "b" else "asks"]))
        for price, qty in diff[side]:
            if float(qty) == 0:
                assert price not in book
            else:
                assert book[price] == qty
        # And nothing else changed: the old book plus the diff is the new book.
        updated = {**old, **dict(map(tuple, diff[side]))}
        assert {p: q for p, q in updated.items() if float(q) != 0} == book


# --- tradingSession: the simulator's calendar, as REST's tradingSchedule lists it ----------

DOCUMENTED_TYPES = {
    "EQUITY": {"PRE_MARKET", "REGULAR", "AFTER_MARKET", "OVERNIGHT", "NO_TRADING"},
    "COMMODITY": {"REGULAR", "NO_TRADING"},
}
EVENTS = {"EquityUpdate": "EQUITY", "CommodityUpdate": "COMMODITY"}


async def test_trading_sessions_reproduce_binance_s_documented_examples() -> None:
    # The stream's example: an overnight U.S. equity session, 8-9 December 2025.
    async with BinanceSimulator(seed=1, clock=FakeClock(1765244143.0)) as sim:
        equity, _ = published(sim, "usdm", "tradingSession", 1765244143)
    assert {k: equity[k] for k in "etTS"} == {
        "e": "EquityUpdate", "t": 1765242000000, "T": 1765270800000, "S": "OVERNIGHT",
    }  # fmt: skip
    # The REST example, queried at its updateTime: the sessions it shows are listed.
    async with BinanceSimulator(seed=1, clock=FakeClock(1761286643.918)) as sim:
        schedule = await rest_get(sim, "usdm", "/fapi/v1/tradingSchedule")
    listed = {
        market: {(s["startTime"], s["endTime"], s["type"]) for s in entry["sessions"]}
        for market, entry in schedule["marketSchedules"].items()
    }
    assert {
        (1761177600000, 1761206400000, "OVERNIGHT"),
        (1761206400000, 1761226200000, "PRE_MARKET"),
    } <= listed["EQUITY"]
    assert (1761744600000, 1761768000000, "REGULAR") in listed["COMMODITY"]


async def test_the_schedule_is_two_weeks_of_back_to_back_documented_sessions() -> None:
    clock = FakeClock()
    async with BinanceSimulator(seed=1, clock=clock) as sim:
        schedule = await rest_get(sim, "usdm", "/fapi/v1/tradingSchedule")
        now = sim.now_ms()
    assert set(schedule["marketSchedules"]) == set(DOCUMENTED_TYPES)
    day = 86_400_000
    anchor = (now // day - 1) * day  # "starting from the day prior to the query time"
    for market, entry in schedule["marketSchedules"].items():
        sessions = entry["sessions"]
        assert {s["type"] for s in sessions} == DOCUMENTED_TYPES[market]
        for before, after in itertools.pairwise(sessions):
            assert before["endTime"] == after["startTime"]  # no hole, no overlap
            assert before["type"] != after["type"]
        assert sessions[0]["startTime"] <= anchor - 7 * day < sessions[0]["endTime"]
        assert sessions[-1]["startTime"] <= anchor + 7 * day < sessions[-1]["endTime"]
        regular = [s for s in sessions if s["type"] == "REGULAR"]
        assert len(regular) == 10  # two weeks of five trading days
        assert {s["endTime"] - s["startTime"] for s in regular} == {390 * 60_000}  # 6.5 h


async def test_the_stream_says_the_session_rest_lists_at_the_same_moment() -> None:
    """Every six hours for ten days (a weekend, and the end of U.S. summer time on
    2 November 2025 in between): each market's message is the REST session under way."""
    clock = FakeClock(1761800000.0)
    checked = 0
    async with BinanceSimulator(seed=1, clock=clock) as sim:
        for _ in range(40):
            clock.advance(6 * 3600 + 17)
            now = sim.now_ms()
            events = published(sim, "usdm", "tradingSession", now // 1000)
            schedule = (await rest_get(sim, "usdm", "/fapi/v1/tradingSchedule"))["marketSchedules"]
            assert [e["e"] for e in events] == list(EVENTS)
            for event in events:
                (session,) = [
                    s
                    for s in schedule[EVENTS[event["e"]]]["sessions"]
                    if s["startTime"] <= now < s["endTime"]
                ]
                assert event["E"] == now
                assert (event["t"], event["T"], event["S"]) == (
                    session["startTime"], session["endTime"], session["type"],
                )  # fmt: skip
                checked += 1
    assert checked == 80


async def test_trading_sessions_arrive_typed_through_the_client() -> None:
    clock = FakeClock()
    async with (
        BinanceSimulator(seed=4, clock=clock) as sim,
        subscribed(sim, "usdm", "tradingSession") as (stream, hub),
    ):
        seen = [message.data for message in await publish_and_read(stream, hub, clock, 1)]
    assert [type(data) for data in seen] == [models.TradingSession] * 2
    assert [data.event_type for data in seen] == list(EVENTS)
    for data in seen:
        assert data.session_start_time <= sim.now_ms() < data.session_end_time
        assert data.session_type in DOCUMENTED_TYPES[EVENTS[data.event_type]]
