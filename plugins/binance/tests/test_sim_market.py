"""The simulator's market data: deterministic per seed, and consistent across endpoints
and with time (ticker, candles, trades, book, 24 h statistics, mark price)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from sim_helpers import FakeClock

from aioca_binance import BinanceRestApi
from aioca_binance.coinm import (
    CoinMExchangeInformation,
    CoinMFetchKline,
    CoinMFetchTicker,
    CoinMIndexPriceAndMarkPrice,
    CoinMOrderBook,
    CoinMRecentTradesList,
    CoinMSymbolOrderBookTicker,
    CoinMTicker24hrPriceChangeStatistics,
)
from aioca_binance_sim import BinanceSimulator

BTC = "BTCUSD_PERP"
START = 1_795_000_000.0  # 2026-11-18


async def klines(sim: BinanceSimulator, **params: Any) -> Any:
    async with sim.api() as api:
        return await CoinMFetchKline(api=api, **params).run()


async def test_same_seed_same_data_other_seed_other_data() -> None:
    params = {"symbol": BTC, "interval": "1m", "limit": 50, "endTime": 1_790_000_000_000}
    results = []
    for seed in (5, 5, 6):
        async with BinanceSimulator(seed=seed) as sim:
            results.append(await klines(sim, **params))
    assert results[0] == results[1]
    assert results[0] != results[2]
    assert len(results[0]) == 50
    assert results[0][-1][0] == 1_790_000_000_000 // 60_000 * 60_000


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START - 2.5)  # 37.5 s into a minute


@pytest.fixture
async def sim(clock: FakeClock) -> AsyncIterator[BinanceSimulator]:
    async with BinanceSimulator(seed=2, clock=clock) as simulator:
        yield simulator


@pytest.fixture
async def api(sim: BinanceSimulator) -> AsyncIterator[BinanceRestApi]:
    async with sim.api() as client:
        yield client


async def test_ticker_book_trades_and_last_candle_agree(
    sim: BinanceSimulator, api: BinanceRestApi
) -> None:
    (ticker,) = await CoinMFetchTicker(symbol=BTC, api=api).run()
    last_candle = (await CoinMFetchKline(symbol=BTC, interval="1m", limit=1, api=api).run())[0]
    assert ticker["price"] == last_candle[4]
    assert last_candle[8] == 4  # trades at :00, :10, :20, :30 of the current minute
    trades = await CoinMRecentTradesList(symbol=BTC, limit=10, api=api).run()
    assert trades[-1]["price"] == ticker["price"]
    assert trades[-1]["time"] == ticker["time"] <= sim.now_ms()
    assert [t["id"] for t in trades] == list(range(trades[0]["id"], trades[0]["id"] + 10))
    (book_ticker,) = await CoinMSymbolOrderBookTicker(symbol=BTC, api=api).run()
    book = await CoinMOrderBook(symbol=BTC, limit=5, api=api).run()
    assert book["bids"][0] == [book_ticker["bidPrice"], book_ticker["bidQty"]]
    assert (
        Decimal(book_ticker["bidPrice"])
        <= Decimal(ticker["price"])
        < Decimal(book_ticker["askPrice"])
    )
    assert [Decimal(p) for p, _ in book["bids"]] == sorted(
        (Decimal(p) for p, _ in book["bids"]), reverse=True
    )
    (day,) = await CoinMTicker24hrPriceChangeStatistics(symbol=BTC, api=api).run()
    assert day["lastPrice"] == ticker["price"]
    assert Decimal(day["lowPrice"]) <= Decimal(day["lastPrice"]) <= Decimal(day["highPrice"])
    assert day["count"] == day["lastId"] - day["firstId"] + 1 == 8640
    (premium,) = await CoinMIndexPriceAndMarkPrice(symbol=BTC, api=api).run()
    mark = Decimal(premium["markPrice"])
    assert abs(mark / Decimal(ticker["price"]) - 1) < Decimal("0.002")


async def test_a_five_minute_candle_aggregates_its_one_minute_candles(api: BinanceRestApi) -> None:
    end = int(START * 1000) - 3_600_000
    (five,) = await CoinMFetchKline(symbol=BTC, interval="5m", limit=1, endTime=end, api=api).run()
    ones = await CoinMFetchKline(
        symbol=BTC, interval="1m", startTime=five[0], endTime=five[6], api=api
    ).run()
    assert len(ones) == 5
    assert five[1] == ones[0][1]
    assert five[4] == ones[-1][4]
    assert Decimal(five[2]) == max(Decimal(c[2]) for c in ones)
    assert Decimal(five[3]) == min(Decimal(c[3]) for c in ones)
    assert int(five[5]) == sum(int(c[5]) for c in ones)
    assert five[8] == sum(c[8] for c in ones) == 30
    hour = await CoinMFetchKline(symbol=BTC, interval="1h", limit=3, endTime=end, api=api).run()
    for candle in hour:
        low, high = Decimal(candle[3]), Decimal(candle[2])
        assert low <= Decimal(candle[1]) <= high
        assert low <= Decimal(candle[4]) <= high
        assert candle[8] == 360


async def test_time_moves_the_market(clock: FakeClock, api: BinanceRestApi) -> None:
    before = await CoinMFetchKline(symbol=BTC, interval="1m", limit=2, api=api).run()
    clock.advance(60)
    after = await CoinMFetchKline(symbol=BTC, interval="1m", limit=2, api=api).run()
    assert after[0][0] == before[1][0]
    assert after[0][:6] != before[1][:6] or after[0][8] > before[1][8]  # the minute completed
    assert after[1][0] == before[1][0] + 60_000


async def test_exchange_info_lists_perpetuals_quarterlies_and_the_configured_limits(
    clock: FakeClock,
) -> None:
    async with (
        BinanceSimulator(
            clock=clock, weight_limit=100, order_limit_10s=7, order_limit_1m=70
        ) as sim,
        sim.api() as api,
    ):
        info = await CoinMExchangeInformation(api=api).run()
        assert [w.limit for w in api.rate_limits()] == [100, 70, 7]
    symbols = {s["symbol"]: s for s in info["symbols"]}
    assert {"BTCUSD_PERP", "ETHUSD_PERP", "BTCUSD_261225", "BTCUSD_270326"} <= set(symbols)
    assert symbols["BTCUSD_261225"]["contractType"] == "CURRENT_QUARTER"
    assert symbols["BTCUSD_PERP"]["contractSize"] == 100
    assert symbols["ETHUSD_PERP"]["contractSize"] == 10
    assert info["serverTime"] == sim.now_ms()
