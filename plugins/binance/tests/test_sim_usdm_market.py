"""USDⓈ-M market data: deterministic per seed, consistent across endpoints (candles are
their trades, the book sits at the last trade, the mark price of premiumIndex is the one
positions are valued at), and the ``/futures/data`` statistics computed from it."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

import pytest
from sim_usdm_helpers import START_MS, Desk

from aioca_binance_sim.errors import SimError

D = Decimal
BTC = "BTCUSDT"
MINUTE = 60_000


def _answers(desk: Desk) -> list[Any]:
    return [
        desk("GET", "/fapi/v1/depth", symbol=BTC, limit=10),
        desk("GET", "/fapi/v1/trades", symbol=BTC, limit=20),
        desk("GET", "/fapi/v1/klines", symbol=BTC, interval="15m", limit=10),
        desk("GET", "/fapi/v1/premiumIndex", symbol="ETHUSDC"),
        desk("GET", "/fapi/v1/fundingRate", symbol=BTC, limit=5),
    ]


def test_market_data_is_a_function_of_the_seed() -> None:
    assert _answers(Desk(seed=11)) == _answers(Desk(seed=11))
    assert _answers(Desk(seed=11)) != _answers(Desk(seed=12))


def test_a_one_minute_candle_is_its_trades() -> None:
    desk = Desk()
    start = (desk.now // MINUTE - 3) * MINUTE
    (bar,) = desk("GET", "/fapi/v1/klines", symbol=BTC, interval="1m", startTime=start, limit=1)
    trades = desk(
        "GET", "/fapi/v1/aggTrades", symbol=BTC, startTime=start, endTime=start + MINUTE - 1
    )
    prices = [D(t["p"]) for t in trades]
    assert bar[0] == start
    assert bar[6] == start + MINUTE - 1
    assert (D(bar[1]), D(bar[4])) == (prices[0], prices[-1])
    assert (D(bar[2]), D(bar[3])) == (max(prices), min(prices))
    assert D(bar[5]) == sum(D(t["q"]) for t in trades)
    assert D(bar[7]) == pytest.approx(sum(D(t["p"]) * D(t["q"]) for t in trades), rel=D("1e-9"))
    assert bar[8] == len(trades)
    taker_buys = [t for t in trades if not t["m"]]
    assert D(bar[9]) == sum(D(t["q"]) for t in taker_buys)


def test_the_book_and_the_tickers_sit_at_the_last_trade() -> None:
    desk = Desk()
    last = desk("GET", "/fapi/v1/trades", symbol=BTC, limit=1)[0]
    book = desk("GET", "/fapi/v1/depth", symbol=BTC, limit=5)
    assert book["bids"][0][0] == last["price"]
    assert D(book["asks"][0][0]) == D(last["price"]) + D("0.1")
    assert desk("GET", "/fapi/v1/ticker/price", symbol=BTC)["price"] == last["price"]
    ticker = desk("GET", "/fapi/v1/ticker/bookTicker", symbol=BTC)
    assert [ticker["bidPrice"], ticker["askPrice"]] == [book["bids"][0][0], book["asks"][0][0]]
    day = desk("GET", "/fapi/v1/ticker/24hr", symbol=BTC)
    assert day["lastPrice"] == last["price"]
    assert D(day["lowPrice"]) <= D(day["lastPrice"]) <= D(day["highPrice"])
    assert day["closeTime"] - day["openTime"] == 86_400_000
    assert len(desk("GET", "/fapi/v1/ticker/price")) == len(desk.venue.symbols)
    _refused = pytest.raises(SimError)
    with _refused as caught:
        desk("GET", "/fapi/v1/depth", symbol=BTC, limit=7)
    assert caught.value.code == -4021


def test_mark_index_and_premium_agree() -> None:
    desk = Desk()
    index = desk("GET", "/fapi/v1/premiumIndex", symbol=BTC)
    mark, spot = D(index["markPrice"]), D(index["indexPrice"])
    assert index["nextFundingTime"] % 28_800_000 == 0
    assert index["nextFundingTime"] > desk.now
    assert abs(mark / spot - 1) < D("0.001")
    minute = desk.now // MINUTE * MINUTE
    bars = {
        kind: desk("GET", f"/fapi/v1/{kind}", **args, interval="1m", startTime=minute, limit=1)[0]
        for kind, args in (
            ("markPriceKlines", {"symbol": BTC}),
            ("indexPriceKlines", {"pair": BTC}),
            ("premiumIndexKlines", {"symbol": BTC}),
        )
    }
    opened_mark, opened_index = D(bars["markPriceKlines"][1]), D(bars["indexPriceKlines"][1])
    assert D(bars["premiumIndexKlines"][1]) == pytest.approx(
        opened_mark / opened_index - 1, abs=D("1e-7")
    )
    position_mark = desk.venue.market.mark_price(desk.venue.symbols[BTC], desk.now)
    assert position_mark == mark


def test_funding_history_every_eight_hours() -> None:
    desk = Desk()
    rows = desk("GET", "/fapi/v1/fundingRate", symbol=BTC, limit=4)
    times = [r["fundingTime"] for r in rows]
    assert [b - a for a, b in itertools.pairwise(times)] == [28_800_000] * 3
    assert times[-1] <= desk.now
    info = {r["symbol"] for r in desk("GET", "/fapi/v1/fundingInfo")}
    assert BTC in info
    assert all("_" not in name for name in info)  # perpetuals only


def test_quarterlies_continuous_klines_and_basis() -> None:
    desk = Desk(start_ms=START_MS)
    names = [s["symbol"] for s in desk("GET", "/fapi/v1/exchangeInfo")["symbols"]]
    assert "BTCUSDT_261225" in names
    assert "BTCUSDT_270326" in names
    quarter = desk("GET", "/fapi/v1/continuousKlines", pair=BTC, contractType="CURRENT_QUARTER",
                   interval="1h", limit=2)  # fmt: skip
    direct = desk("GET", "/fapi/v1/klines", symbol="BTCUSDT_261225", interval="1h", limit=2)
    assert quarter == direct
    (row,) = desk(
        "GET", "/futures/data/basis", pair=BTC, contractType="CURRENT_QUARTER", period="1h", limit=1
    )
    assert D(row["basis"]) == pytest.approx(
        D(row["futuresPrice"]) - D(row["indexPrice"]), abs=D("0.1")
    )
    assert row["annualizedBasisRate"] != ""
    with pytest.raises(SimError) as caught:
        desk(
            "GET",
            "/fapi/v1/continuousKlines",
            pair="SOLUSDT",
            contractType="CURRENT_QUARTER",
            interval="1h",
        )
    assert caught.value.code == -4104


def test_statistics_come_from_the_simulated_market() -> None:
    desk = Desk()
    rows = desk("GET", "/futures/data/openInterestHist", symbol=BTC, period="5m", limit=3)
    assert [r["timestamp"] % 300_000 for r in rows] == [0, 0, 0]
    at = rows[-1]["timestamp"]
    s = desk.venue.symbols[BTC]
    assert D(rows[-1]["sumOpenInterest"]) == desk.venue.market.open_interest(s, at)
    assert D(rows[-1]["sumOpenInterestValue"]) == pytest.approx(
        D(rows[-1]["sumOpenInterest"]) * desk.venue.market.index_price(s, at), rel=D("1e-6")
    )
    for path in (
        "globalLongShortAccountRatio",
        "topLongShortAccountRatio",
        "topLongShortPositionRatio",
    ):
        for row in desk("GET", f"/futures/data/{path}", symbol=BTC, period="1h", limit=5):
            long, short = D(row["longAccount"]), D(row["shortAccount"])
            assert long + short == pytest.approx(1, abs=D("0.0002"))
            assert D(row["longShortRatio"]) == pytest.approx(long / short, abs=D("0.002"))
    (taker,) = desk("GET", "/futures/data/takerlongshortRatio", symbol=BTC, period="1d", limit=1)
    assert D(taker["buySellRatio"]) == pytest.approx(
        D(taker["buyVol"]) / D(taker["sellVol"]), abs=D("0.001")
    )
    assert desk("GET", "/futures/data/openInterestHist", symbol=BTC, period="1h",
                startTime=desk.now - 40 * 86_400_000, limit=500)[0]["timestamp"] >= (
        desk.now - 30 * 86_400_000
    )  # fmt: skip
