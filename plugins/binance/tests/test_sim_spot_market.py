"""The Spot simulator's market data: deterministic per seed, consistent between endpoints
(candles, trades, tickers, book), and the exchange rules of exchangeInfo."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

import pytest
from sim_spot_helpers import T0, SpotDesk

from aioca_binance_sim.errors import SimError
from aioca_binance_sim.spot.tape import TRADE_MS

BTC = "BTCUSDT"
INTERVALS = ["1s", "1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d",
             "3d", "1w", "1M"]  # fmt: skip


@pytest.fixture
def desk() -> SpotDesk:
    return SpotDesk()


def refused(desk: SpotDesk, path: str, code: int, msg: str, **params: Any) -> None:
    with pytest.raises(SimError) as caught:
        desk.call("GET", path, **params)
    assert (caught.value.code, caught.value.msg) == (code, msg)


def test_the_same_seed_gives_the_same_market_and_another_seed_another() -> None:
    def sample(seed: int) -> Any:
        desk = SpotDesk(seed)
        return (
            desk.call("GET", "/api/v3/klines", symbol=BTC, interval="1h", limit=50),
            desk.call("GET", "/api/v3/depth", symbol="ETHBTC", limit=20),
            desk.call("GET", "/api/v3/trades", symbol="SOLUSDT", limit=20),
        )

    assert sample(7) == sample(7)
    assert sample(7) != sample(8)


@pytest.mark.parametrize("interval", INTERVALS)
def test_candles_of_every_interval(desk: SpotDesk, interval: str) -> None:
    bars = desk.call("GET", "/api/v3/klines", symbol=BTC, interval=interval, limit=30)
    assert 0 < len(bars) <= 30
    for bar, following in itertools.pairwise(bars):
        assert bar[6] == following[0] - 1  # close time: just before the next open
    for bar in bars:
        open_, high, low, close = (Decimal(v) for v in bar[1:5])
        assert low <= min(open_, close)
        assert high >= max(open_, close)
        assert Decimal(bar[9]) <= Decimal(bar[5])  # taker volume within the volume
        assert bar[0] <= T0
    assert bars[-1][0] <= T0 <= bars[-1][6]
    assert desk.call("GET", "/api/v3/uiKlines", symbol=BTC, interval=interval, limit=30) == bars


def test_the_last_candle_closes_at_the_last_trade(desk: SpotDesk) -> None:
    last_price = desk.call("GET", "/api/v3/ticker/price", symbol=BTC)["price"]
    for interval in ("1m", "1h", "1d"):
        bars = desk.call("GET", "/api/v3/klines", symbol=BTC, interval=interval, limit=2)
        assert bars[-1][4] == last_price
    assert desk.call("GET", "/api/v3/ticker/24hr", symbol=BTC)["lastPrice"] == last_price
    assert desk.call("GET", "/api/v3/trades", symbol=BTC, limit=1)[0]["price"] == last_price


def test_five_minute_candles_aggregate_the_trades_exactly(desk: SpotDesk) -> None:
    start = (T0 // 300_000 - 3) * 300_000
    (bar,) = desk.call("GET", "/api/v3/klines", symbol=BTC, interval="5m", startTime=start,
                       limit=1)  # fmt: skip
    first_id = start // TRADE_MS
    trades = desk.call("GET", "/api/v3/historicalTrades", symbol=BTC, fromId=first_id, limit=30)
    assert bar[1] == trades[0]["price"]
    assert bar[4] == trades[-1]["price"]
    assert Decimal(bar[2]) == max(Decimal(t["price"]) for t in trades)
    assert Decimal(bar[5]) == sum(Decimal(t["qty"]) for t in trades)
    assert bar[8] == len(trades)


def test_candles_by_time_range(desk: SpotDesk) -> None:
    start = T0 - 10 * 3_600_000
    bars = desk.call("GET", "/api/v3/klines", symbol=BTC, interval="1h", startTime=start,
                     endTime=start + 3 * 3_600_000)  # fmt: skip
    assert [b[0] for b in bars] == [start // 3_600_000 * 3_600_000 + h * 3_600_000
                                    for h in range(1, 4)]  # fmt: skip


def test_a_time_zone_moves_the_day_boundaries(desk: SpotDesk) -> None:
    utc = desk.call("GET", "/api/v3/klines", symbol=BTC, interval="1d", limit=2)
    shanghai = desk.call("GET", "/api/v3/klines", symbol=BTC, interval="1d", limit=2,
                         timeZone="+08:00")  # fmt: skip
    assert utc[-1][0] % 86_400_000 == 0
    assert (shanghai[-1][0] + 8 * 3_600_000) % 86_400_000 == 0
    refused(desk, "/api/v3/klines", -1130, "Data sent for parameter 'timeZone' is not valid.",
            symbol=BTC, interval="1d", timeZone="+15:00")  # fmt: skip


def test_trades_are_consecutive_and_agg_trades_match(desk: SpotDesk) -> None:
    trades = desk.call("GET", "/api/v3/trades", symbol=BTC, limit=50)
    ids = [t["id"] for t in trades]
    assert ids == list(range(ids[0], ids[0] + 50))
    assert trades[-1]["time"] <= T0
    for trade in trades:
        assert Decimal(trade["quoteQty"]) == Decimal(trade["price"]) * Decimal(trade["qty"])
    aggregated = desk.call("GET", "/api/v3/aggTrades", symbol=BTC, fromId=ids[0], limit=50)
    assert [(a["a"], a["p"], a["q"], a["T"]) for a in aggregated] == [
        (t["id"], t["price"], t["qty"], t["time"]) for t in trades
    ]
    refused(desk, "/api/v3/aggTrades", -1127, "More than 1 hours between startTime and endTime.",
            symbol=BTC, startTime=T0 - 7_200_000, endTime=T0)  # fmt: skip


def test_the_book(desk: SpotDesk) -> None:
    book = desk.call("GET", "/api/v3/depth", symbol=BTC, limit=100)
    bids = [Decimal(p) for p, _ in book["bids"]]
    asks = [Decimal(p) for p, _ in book["asks"]]
    assert len(bids) == len(asks) == 100
    assert bids == sorted(bids, reverse=True)
    assert asks == sorted(asks)
    assert bids[0] < asks[0]
    assert len(desk.call("GET", "/api/v3/depth", symbol=BTC, limit=9000)["bids"]) == 5000
    ticker = desk.call("GET", "/api/v3/ticker/bookTicker", symbol=BTC)
    assert [ticker["bidPrice"], ticker["bidQty"]] == book["bids"][0]
    assert [ticker["askPrice"], ticker["askQty"]] == book["asks"][0]


def test_the_market_moves(desk: SpotDesk) -> None:
    before = desk.call("GET", "/api/v3/ticker/price", symbol=BTC)["price"]
    desk.now += 3_600_000
    assert desk.call("GET", "/api/v3/ticker/price", symbol=BTC)["price"] != before


def test_tickers(desk: SpotDesk) -> None:
    full = desk.call("GET", "/api/v3/ticker/24hr", symbol=BTC)
    assert full["closeTime"] - full["openTime"] == 86_400_000
    assert Decimal(full["lowPrice"]) <= Decimal(full["lastPrice"]) <= Decimal(full["highPrice"])
    change = Decimal(full["lastPrice"]) - Decimal(full["openPrice"])
    assert Decimal(full["priceChange"]) == change
    assert len(desk.call("GET", "/api/v3/ticker/24hr")) == len(desk.venue.symbols)
    mini = desk.call("GET", "/api/v3/ticker/24hr", symbol=BTC, type="MINI")
    assert "priceChange" not in mini
    assert mini["lastPrice"] == full["lastPrice"]
    hour = desk.call("GET", "/api/v3/ticker", symbol=BTC, windowSize="1h")
    assert hour["closeTime"] - hour["openTime"] == 3_600_000
    assert hour["count"] == 361  # a trade every 10 s, both ends included (T0 is one)
    day = desk.call("GET", "/api/v3/ticker/tradingDay", symbol=BTC)
    assert day["openTime"] % 86_400_000 == 0
    assert day["closeTime"] == day["openTime"] + 86_399_999
    several = desk.call("GET", "/api/v3/ticker/price", symbols=["ETHBTC", BTC])
    assert [t["symbol"] for t in several] == ["ETHBTC", BTC]
    refused(desk, "/api/v3/ticker", -1102,
            "Param 'symbol' or 'symbols' must be sent, but both were empty/null!")  # fmt: skip
    avg = desk.call("GET", "/api/v3/avgPrice", symbol=BTC)
    assert avg["mins"] == 5
    assert abs(Decimal(avg["price"]) / Decimal(full["lastPrice"]) - 1) < Decimal("0.02")


def test_exchange_info(desk: SpotDesk) -> None:
    info = desk.call("GET", "/api/v3/exchangeInfo")
    assert {s["symbol"] for s in info["symbols"]} >= {"BTCUSDT", "ETHUSDT", "BNBBTC"}
    btc = next(s for s in info["symbols"] if s["symbol"] == BTC)
    filters = {f["filterType"]: f for f in btc["filters"]}
    assert filters["PRICE_FILTER"]["tickSize"] == "0.01000000"
    assert filters["LOT_SIZE"]["stepSize"] == "0.00001000"
    assert filters["NOTIONAL"]["minNotional"] == "5.00000000"
    assert {"MARKET_LOT_SIZE", "ICEBERG_PARTS", "MAX_NUM_ORDERS"} <= filters.keys()
    assert (btc["baseAsset"], btc["quoteAsset"]) == ("BTC", "USDT")
    assert "STOP_LOSS_LIMIT" in btc["orderTypes"]
    kinds = {(r["rateLimitType"], r["interval"]) for r in info["rateLimits"]}
    assert {("REQUEST_WEIGHT", "MINUTE"), ("ORDERS", "SECOND"), ("ORDERS", "DAY")} <= kinds
    one = desk.call("GET", "/api/v3/exchangeInfo", symbol="ETHBTC")
    assert [s["symbol"] for s in one["symbols"]] == ["ETHBTC"]
    two = desk.call("GET", "/api/v3/exchangeInfo", symbols=["ETHBTC", BTC])
    assert [s["symbol"] for s in two["symbols"]] == ["ETHBTC", BTC]
    assert desk.call("GET", "/api/v3/exchangeInfo", permissions="MARGIN")["symbols"] == []
    hidden = desk.call("GET", "/api/v3/exchangeInfo", symbol=BTC, showPermissionSets=False)
    assert hidden["symbols"][0]["permissionSets"] == []
    assert desk.call("GET", "/api/v3/exchangeInfo", symbolStatus="HALT")["symbols"] == []


@pytest.mark.parametrize(
    ("params", "code", "msg"),
    [
        ({"symbol": "NOPE"}, -1121, "Invalid symbol."),
        ({"symbols": ["BTCUSDT", "NOPE"]}, -1121, "Invalid symbol."),
        ({"symbols": ["BTCUSDT", "BTCUSDT"]}, -1151,
         "Symbol is present multiple times in the list."),
        ({"symbol": "BTCUSDT", "symbols": ["BTCUSDT"]}, -1128,
         "Combination of optional parameters invalid."),
        ({"symbol": "BTCUSDT", "symbolStatus": "BREAK"}, -1220,
         "The symbol's status does not match the requested symbolStatus."),
    ],
)  # fmt: skip
def test_exchange_info_refusals(
    desk: SpotDesk, params: dict[str, Any], code: int, msg: str
) -> None:
    refused(desk, "/api/v3/exchangeInfo", code, msg, **params)
