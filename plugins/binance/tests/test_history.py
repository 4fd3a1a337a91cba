"""``aioca_binance.history``: whole ranges page by page, against the simulator (klines of
every kind, aggregate trades, old trades, funding rates, statistics) and against a mocked
endpoint whose rows share milliseconds (income): no row twice, none missing, across
every page boundary; resumption from a saved cursor; the weight of every page charged
through the limiter."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from aioresponses import CallbackResult

from aioca import RateLimiter, Window, errors
from aioca.history import Pager, PagingError
from aioca.testing import mocked_responses
from aioca_binance import BinanceRestApi
from aioca_binance.coinm import (
    CoinMCompressedAggregateTradesList,
    CoinMContinuousContractKlineCandlestickData,
    CoinMFetchKline,
    CoinMGetFundingRateHistoryOfPerpetualFutures,
    CoinMGetIncomeHistory,
    CoinMIndexPriceKlineCandlestickData,
    CoinMMarkPriceKlineCandlestickData,
    CoinMOldTradesLookup,
    CoinMOpenInterestStatistics,
    CoinMOrderBook,
    CoinMPremiumIndexKlineData,
    CoinMServerTime,
)
from aioca_binance.history import (
    RULES,
    BinanceHistory,
    BinanceHistoryCursor,
    PageRule,
    history,
    page_size_of,
)
from aioca_binance.limits import DEFAULT_WINDOWS

MINUTE = 60_000
HOUR = 60 * MINUTE
DAY = 24 * HOUR
JAN_1 = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def spy_fetches(pager: BinanceHistory) -> list[dict[str, Any]]:
    """Record the paging parameters of every request the pager sends."""
    sent: list[dict[str, Any]] = []
    fetch = pager._fetch

    async def recording(paging: Any) -> list[Any]:
        sent.append(dict(paging))
        return await fetch(paging)

    pager._fetch = recording  # type: ignore[method-assign]
    return sent


async def collect(pager: BinanceHistory) -> list[Any]:
    return [row async for row in pager]


# --- klines -------------------------------------------------------------------------------


async def test_one_minute_klines_over_three_days_have_no_gap_and_no_duplicate(binance_sim):
    async with binance_sim.api() as api:
        pager = history(
            CoinMFetchKline,
            api=api,
            symbol="BTCUSD_PERP",
            interval="1m",
            start=JAN_1,
            end=JAN_1 + 3 * DAY,
        )
        sent = spy_fetches(pager)
        rows = await collect(pager)
        opens = [row[0] for row in rows]
        assert len(rows) == 3 * 1440
        assert opens == list(range(JAN_1, JAN_1 + 3 * DAY, MINUTE))
        # The documented maximum limit, from the model's bound, on every page.
        assert page_size_of(CoinMFetchKline) == 1500
        assert [page["limit"] for page in sent] == [1500, 1500, 1500]
        # Each window holds at most a page of bars; the next starts 1 ms after it.
        for first, second in itertools.pairwise(sent):
            assert second["startTime"] == first["endTime"] + 1
            assert first["endTime"] - first["startTime"] + 1 <= 1500 * MINUTE
        # Bars across a page boundary are the exchange's own: the same as asked directly.
        boundary = sent[1]["startTime"]
        direct = await CoinMFetchKline(
            api=api,
            symbol="BTCUSD_PERP",
            interval="1m",
            startTime=boundary - 2 * MINUTE,
            limit=4,
        ).run()
        index = opens.index(boundary - 2 * MINUTE)
        assert rows[index : index + 4] == direct
        assert pager.done
        assert pager.progress == 1.0


@pytest.mark.parametrize(
    ("task", "params"),
    [
        (CoinMFetchKline, {"symbol": "BTCUSD_PERP"}),
        (
            CoinMContinuousContractKlineCandlestickData,
            {"pair": "BTCUSD", "contractType": "PERPETUAL"},
        ),
        (CoinMIndexPriceKlineCandlestickData, {"pair": "BTCUSD"}),
        (CoinMMarkPriceKlineCandlestickData, {"symbol": "BTCUSD_PERP"}),
        (CoinMPremiumIndexKlineData, {"symbol": "BTCUSD_PERP"}),
    ],
)
async def test_every_kind_of_kline_pages_without_gaps(binance_sim, task, params):
    async with binance_sim.api() as api:
        pager = history(
            task,
            api=api,
            interval="5m",
            start=JAN_1 + 7,
            end=JAN_1 + 2 * DAY,
            page_size=97,
            **params,
        )
        rows = await collect(pager)
    opens = [row[0] for row in rows]
    # The first bar opens at or after start (the one opening at JAN_1 is before it).
    assert opens == list(range(JAN_1 + 5 * MINUTE, JAN_1 + 2 * DAY, 5 * MINUTE))
    assert pager.cursor.pages == -(-(2 * DAY - 7) // (97 * 5 * MINUTE))


@pytest.mark.parametrize(
    ("interval", "start", "end", "expected"),
    [
        # Calendar months: 2023-01 .. 2025-12, pages of 5 months (windows of 5 x 28 days).
        ("1M", "2023-01-01", "2026-01-01", 36),
        ("1w", "2024-01-01", "2026-01-01", 105),
        ("3d", "2025-01-01", "2026-01-01", 121),
        ("1d", "2024-01-01", "2026-01-01", 731),
    ],
)
async def test_long_intervals_page_by_calendar(binance_sim, interval, start, end, expected):
    def ms(day: str) -> int:
        return int(dt.datetime.fromisoformat(day).replace(tzinfo=dt.UTC).timestamp() * 1000)

    async with binance_sim.api() as api:
        pager = history(
            CoinMFetchKline,
            api=api,
            symbol="BTCUSD_PERP",
            interval=interval,
            start=ms(start),
            end=ms(end),
            page_size=5,
        )
        sent = spy_fetches(pager)
        rows = await collect(pager)
    opens = [row[0] for row in rows]
    assert len(opens) == len(set(opens)) == expected
    assert opens == sorted(opens)
    assert all(ms(start) <= value < ms(end) for value in opens)
    # No gap: each bar's close time is 1 ms before the next bar's open time.
    assert all(row[6] + 1 == after[0] for row, after in itertools.pairwise(rows))
    # COIN-M's documented maximum of 200 days between startTime and endTime.
    assert all(page["endTime"] - page["startTime"] <= 200 * DAY for page in sent)


# --- trades -------------------------------------------------------------------------------


async def test_aggregate_trades_start_by_time_then_page_by_id(binance_sim):
    start = JAN_1 + 5 * HOUR + 12_345
    async with binance_sim.api() as api:
        pager = history(
            CoinMCompressedAggregateTradesList,
            api=api,
            symbol="BTCUSD_PERP",
            start=start,
            end=start + 6 * HOUR,
            page_size=250,
        )
        sent = spy_fetches(pager)
        rows = await collect(pager)
    ids = [row["a"] for row in rows]
    # One trade every 10 s in the simulator: 6 hours are 2,160 trades, ids consecutive.
    assert len(rows) == 2160
    assert ids == list(range(ids[0], ids[0] + 2160))
    assert all(start <= row["T"] < start + 6 * HOUR for row in rows)
    assert rows[0]["T"] - start < 10_000
    # The first request is a time window of less than an hour; then by id, without times.
    assert sent[0]["endTime"] - sent[0]["startTime"] < HOUR
    assert all(set(page) == {"fromId", "limit"} for page in sent[1:])
    assert [page["fromId"] for page in sent[1:]] == [ids[0] + 250 * n for n in range(1, 9)]


async def test_aggregate_trades_walk_empty_hours_by_time_windows(binance_sim):
    # A page size larger than an hour of trades: every window is complete, no id paging.
    async with binance_sim.api() as api:
        pager = history(
            CoinMCompressedAggregateTradesList,
            api=api,
            symbol="BTCUSD_PERP",
            start=JAN_1,
            end=JAN_1 + 3 * HOUR,
        )
        sent = spy_fetches(pager)
        rows = await collect(pager)
    assert len(rows) == 3 * 360
    assert [(page["startTime"], page["endTime"]) for page in sent] == [
        (JAN_1 + n * HOUR, JAN_1 + (n + 1) * HOUR - 1) for n in range(3)
    ]


async def test_old_trades_page_by_id_until_the_newest(binance_sim):
    async with binance_sim.api() as api:
        newest = (await CoinMOldTradesLookup(api=api, symbol="BTCUSD_PERP", limit=1).run())[0]
        # Weight 200 a page: four pages in all stay within a minute's 2,400.
        first = newest["id"] - 1234
        pager = history(
            CoinMOldTradesLookup, api=api, symbol="BTCUSD_PERP", fromId=first, page_size=450
        )
        rows = await collect(pager)
    assert pager.cursor.pages == 3
    ids = [row["id"] for row in rows]
    assert ids[:1235] == list(range(first, first + 1235))
    assert ids == list(range(first, first + len(ids)))  # a trade or two may have come since
    assert pager.done
    assert pager.cursor.from_id == ids[-1] + 1


# --- time-keyed histories -------------------------------------------------------------------


async def test_funding_rates_by_halved_windows(binance_sim):
    # COIN-M does not document which rows a full page holds: full windows are halved.
    async with binance_sim.api() as api:
        pager = history(
            CoinMGetFundingRateHistoryOfPerpetualFutures,
            api=api,
            symbol="BTCUSD_PERP",
            start=JAN_1,
            end=JAN_1 + 60 * DAY,
            page_size=7,
        )
        rows = await collect(pager)
    times = [row["fundingTime"] for row in rows]
    assert times == list(range(JAN_1, JAN_1 + 60 * DAY, 8 * HOUR))


async def test_statistics_page_over_their_period(binance_sim):
    async with binance_sim.api() as api:
        now = (await CoinMServerTime(api=api).run())["serverTime"]
        start = now // DAY * DAY - 2 * DAY
        pager = history(
            CoinMOpenInterestStatistics,
            api=api,
            pair="BTCUSD",
            contractType="PERPETUAL",
            period="15m",
            start=start,
            end=start + DAY,
            page_size=13,
        )
        rows = await collect(pager)
    assert [row["timestamp"] for row in rows] == list(range(start, start + DAY, 15 * MINUTE))


# --- ties and either page order: a mocked income endpoint ----------------------------------

INCOME_URL = re.compile(r"^https://dapi\.binance\.com/dapi/v1/income\?.*$")


def income_rows() -> list[dict[str, Any]]:
    """1,000 income rows; three share each millisecond (a trade's pnl, fee, funding)."""
    rows = []
    for index in range(1000):
        rows.append(
            {
                "symbol": "BTCUSD_PERP",
                "incomeType": ("REALIZED_PNL", "COMMISSION", "FUNDING_FEE")[index % 3],
                "income": f"0.{index:08d}",
                "asset": "BTC",
                "info": "",
                "time": JAN_1 + (index // 3) * 1000,
                "tranId": 10_000 + index,
                "tradeId": "",
            }
        )
    return rows


def serve_income(rows: list[dict[str, Any]], newest_first: bool) -> Any:
    """Binance's income endpoint over ``rows``: a full page holds the oldest (or newest)
    ``limit`` rows of the window."""

    def reply(url: Any, **kwargs: Any) -> CallbackResult:
        query = url.query
        start, end = int(query["startTime"]), int(query["endTime"])
        limit = int(query["limit"])
        inside = [row for row in rows if start <= row["time"] <= end]
        page = inside[-limit:] if newest_first else inside[:limit]
        return CallbackResult(payload=page[::-1] if newest_first else page)

    return reply


@pytest.fixture
def income_mock() -> Iterator[Any]:
    with mocked_responses() as mock:
        yield mock


@pytest.mark.parametrize("newest_first", [False, True])
async def test_rows_sharing_a_millisecond_are_neither_lost_nor_repeated(income_mock, newest_first):
    rows = income_rows()
    income_mock.get(INCOME_URL, callback=serve_income(rows, newest_first), repeat=True)
    async with BinanceRestApi("key", "secret", time_sync_interval=None) as api:
        pager = history(CoinMGetIncomeHistory, api=api, start=JAN_1, end=JAN_1 + DAY, page_size=50)
        got = await collect(pager)
    # Every row once; rows of one millisecond in the order the server sent them.
    assert sorted(row["tranId"] for row in got) == [row["tranId"] for row in rows]
    assert [row["time"] for row in got] == [row["time"] for row in rows]


async def test_a_documented_oldest_first_endpoint_goes_on_from_the_last_row(
    income_mock, monkeypatch
):
    rows = income_rows()
    income_mock.get(INCOME_URL, callback=serve_income(rows, False), repeat=True)
    key = ("coinm", "/dapi/v1/income")
    monkeypatch.setitem(RULES, key, PageRule("times", "time", oldest_first=True))  # type: ignore[index]
    async with BinanceRestApi("key", "secret", time_sync_interval=None) as api:
        pager = history(CoinMGetIncomeHistory, api=api, start=JAN_1, end=JAN_1 + DAY, page_size=50)
        sent = spy_fetches(pager)
        got = await collect(pager)
    assert [row["tranId"] for row in got] == [row["tranId"] for row in rows]
    # 1,000 rows in pages of 50, each starting at the last row's millisecond: no halving.
    assert len(sent) <= 22
    # A page boundary inside a millisecond: the next page starts at that millisecond.
    assert sent[1]["startTime"] == got[49]["time"]


async def test_more_rows_at_one_instant_than_a_page_holds_is_an_error(income_mock):
    rows = [dict(row, time=JAN_1) for row in income_rows()[:10]]
    income_mock.get(INCOME_URL, callback=serve_income(rows, False), repeat=True)
    async with BinanceRestApi("key", "secret", time_sync_interval=None) as api:
        pager = history(CoinMGetIncomeHistory, api=api, start=JAN_1, end=JAN_1 + 1, page_size=5)
        with pytest.raises(PagingError, match="5 rows or more at"):
            await collect(pager)


# --- resuming -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("task", "params", "span", "stop_after"),
    [
        (CoinMFetchKline, {"symbol": "BTCUSD_PERP", "interval": "1m", "page_size": 400}, DAY, 999),
        # Stopped in the first (time) window, then once paging by id.
        (
            CoinMCompressedAggregateTradesList,
            {"symbol": "BTCUSD_PERP", "page_size": 150},
            2 * HOUR,
            75,
        ),
        (
            CoinMCompressedAggregateTradesList,
            {"symbol": "BTCUSD_PERP", "page_size": 150},
            2 * HOUR,
            500,
        ),
        (
            CoinMGetFundingRateHistoryOfPerpetualFutures,
            {"symbol": "BTCUSD_PERP", "page_size": 4},
            40 * DAY,
            5,
        ),
    ],
)
async def test_a_saved_cursor_resumes_after_the_last_row(
    binance_sim, task, params, span, stop_after
):
    async with binance_sim.api() as api:
        whole = await collect(history(task, api=api, start=JAN_1, end=JAN_1 + span, **params))
        pager = history(task, api=api, start=JAN_1, end=JAN_1 + span, **params)
        first: list[Any] = []
        async for row in pager:  # stopped in the middle of a page
            first.append(row)
            if len(first) == stop_after:
                break
        saved = pager.cursor.to_json()
        assert not json.loads(saved)["done"]
        resumed = BinanceHistory.resume(saved, api=api)
        rest = await collect(resumed)
    assert first + rest == whole
    assert resumed.cursor.rows == len(whole)
    assert resumed.done


async def test_a_cursor_round_trips_and_names_its_task(binance_sim):
    async with binance_sim.api() as api:
        pager = history(
            CoinMFetchKline,
            api=api,
            symbol="BTCUSD_PERP",
            interval="1h",
            start=JAN_1,
            end=JAN_1 + DAY,
        )
        async for _ in pager.pages():
            break
        cursor = pager.cursor
        assert BinanceHistoryCursor.from_json(cursor.to_json()) == cursor
        assert cursor.task == "CoinMFetchKline"
        assert cursor.params == {"symbol": "BTCUSD_PERP", "interval": "1h"}
        with pytest.raises(ValueError, match="cursor is of CoinMFetchKline"):
            history(CoinMMarkPriceKlineCandlestickData, api=api, cursor=cursor)
        with pytest.raises(ValueError, match="unknown field"):
            BinanceHistoryCursor.from_json('{"task": "CoinMFetchKline", "bogus": 1}')
        assert isinstance(pager, Pager)


# --- the rate limiter -------------------------------------------------------------------------


async def test_every_page_is_charged_its_weight_through_the_limiter(binance_sim):
    charged: list[int] = []
    charge = binance_sim.limits.charge_weight

    def recording(ip: str, weight: int, now: float) -> int:
        charged.append(weight)
        return charge(ip, weight, now)

    binance_sim.limits.charge_weight = recording
    limiter = RateLimiter(DEFAULT_WINDOWS, clock=lambda: 1_000.0)  # a window that never rolls
    async with binance_sim.api(rate_limiter=limiter) as api:
        pager = history(
            CoinMFetchKline,
            api=api,
            symbol="BTCUSD_PERP",
            interval="1m",
            start=JAN_1,
            end=JAN_1 + DAY,
        )
        await collect(pager)
    # 1,440 bars: one page of 1,440 (weight 10 above 1,000 rows).
    assert pager.cursor.pages == 1
    used = {window.name: window.used for window in limiter.status()}
    assert charged == [10]
    assert used["REQUEST_WEIGHT"] == pager.cursor.weight == 10

    charged.clear()
    async with binance_sim.api(rate_limiter=limiter) as api:
        pager = history(
            CoinMFetchKline,
            api=api,
            symbol="BTCUSD_PERP",
            interval="1m",
            start=JAN_1,
            end=JAN_1 + DAY,
            page_size=99,
        )
        await collect(pager)
    assert charged == [1] * 15  # 15 pages of at most 99 bars, weight 1 each
    assert pager.cursor.weight == 15


async def test_the_limiter_holds_pages_that_would_exceed_the_budget(binance_sim):
    now = [1_000.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    windows = [Window("REQUEST_WEIGHT", 25, 60)]
    limiter = RateLimiter(windows, clock=lambda: now[0], sleep=sleep)
    async with binance_sim.api(rate_limiter=limiter) as api:
        pager = history(
            CoinMFetchKline,
            api=api,
            symbol="BTCUSD_PERP",
            interval="1m",
            start=JAN_1,
            end=JAN_1 + 3 * DAY,
            page_size=1000,
        )
        rows = await collect(pager)
    assert len(rows) == 3 * 1440
    assert pager.cursor.pages == 5  # weight 5 each: 25 fits in a minute, no more
    assert slept == []
    pager = None
    async with binance_sim.api(rate_limiter=limiter) as api:
        pager = history(
            CoinMFetchKline,
            api=api,
            symbol="BTCUSD_PERP",
            interval="1m",
            start=JAN_1,
            end=JAN_1 + DAY,
            page_size=1000,
        )
        await collect(pager)
    assert slept, "the sixth and seventh pages waited for the next minute"


# --- bad input, before anything is sent -------------------------------------------------------


def test_refusals_say_what_to_do() -> None:
    with mocked_responses():  # any request would fail the test
        with pytest.raises(ValueError, match="does not page"):
            history(CoinMOrderBook, symbol="BTCUSD_PERP", start=JAN_1)
        with pytest.raises(ValueError, match="give start="):
            history(CoinMFetchKline, symbol="BTCUSD_PERP", interval="1m")
        with pytest.raises(TypeError, match="sends startTime, limit itself"):
            history(CoinMFetchKline, symbol="X", interval="1m", startTime=1, limit=5, start=1)
        with pytest.raises(ValueError, match="pages by trade id: give fromId="):
            history(CoinMOldTradesLookup, symbol="BTCUSD_PERP")
        with pytest.raises(ValueError, match="not after start"):
            history(CoinMFetchKline, symbol="X", interval="1m", start=JAN_1, end=JAN_1)
        with pytest.raises(ValueError, match="time zone"):
            history(CoinMFetchKline, symbol="X", interval="1m", start=dt.datetime(2026, 1, 1))
        with pytest.raises(ValueError, match=r"page_size must be 1\.\.1500"):
            history(CoinMFetchKline, symbol="X", interval="1m", start=JAN_1, page_size=2000)
        with pytest.raises(errors.InvalidParameterError) as caught:
            history(CoinMFetchKline, symbol="X", interval="7m", bogus=1, start=JAN_1)
        assert {name for name, _ in caught.value.problems} >= {"interval", "bogus"}


def test_aware_datetimes_are_times() -> None:
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    pager = history(
        CoinMFetchKline, symbol="X", interval="1m", start=start, end=start + dt.timedelta(days=1)
    )
    assert (pager.origin, pager.end) == (JAN_1, JAN_1 + DAY - 1)


def test_every_rule_names_a_catalog_endpoint_of_its_market() -> None:
    import aioca

    endpoints = {
        (task.endpoint.market, task.endpoint.path)
        for task in aioca.catalog("binance").values()
        if hasattr(task, "endpoint")
    }
    markets = {market for market, _ in endpoints}
    for key in RULES:
        if key[0] in markets:
            assert key in endpoints, key
    # Every catalog endpoint with startTime and limit (or fromId and limit) has a rule.
    for task in aioca.catalog("binance").values():
        fields = set(task.Params.model_fields)
        if "limit" in fields and ({"startTime", "fromId"} & fields):
            assert (task.endpoint.market, task.endpoint.path) in RULES, task.__name__
