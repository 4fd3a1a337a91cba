"""Whole histories of USDⓈ-M futures and Spot, against endpoints on 127.0.0.1 that answer
as Binance documents them and refuse what it forbids (a loopback server rather than
aioresponses: a page of 1,500 klines is larger than aioresponses' mocked stream holds).

Every USDⓈ-M and Spot endpoint that pages (``startTime``/``endTime``/``limit``, or
``fromId``/``limit`` for old trades) is served here from a known set of rows, with
several rows in one millisecond, more rows than a page holds, and (where Binance does not
say which end of a window a full page holds) either end. For each:

* the pager sends the documented maximum ``limit`` (the default where Binance documents
  no maximum) on every request, never a window longer than Binance allows (the mock
  answers ``-1127`` as Binance does), never ``fromId`` with times where that is refused;
* every row of the range comes out once, in order, none missing, across every page
  boundary;
* a cursor saved in the middle of a page resumes after the last row handed out: the rows
  before and after it are the whole range.

The table below is written from Binance's docs, independently of ``history.RULES``; a
test makes sure it covers every pageable USDⓈ-M and Spot task of the catalog.
"""

from __future__ import annotations

import asyncio
import csv
import json
import shlex
import subprocess
import sys
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

import aioca
from aioca.errors import InvalidParameterError
from aioca.history import Pager
from aioca_binance import BinanceRestApi, BinanceTask
from aioca_binance.history import BinanceHistory, history, rule_for

MINUTE = 60_000
HOUR = 60 * MINUTE
DAY = 24 * HOUR
JAN_1 = 1_767_225_600_000  # 2026-01-01T00:00:00Z


@dataclass(frozen=True)
class Feed:
    """One pageable endpoint as Binance documents it: ``kind`` ``klines``, ``agg`` (time
    windows of less than an hour or ``fromId``), ``ids`` (``fromId`` only) or ``times``;
    the largest ``limit`` (``page``), the longest window (``span``: ``endTime -
    startTime`` must stay below it), where a row's time and id are, whether a full page is
    documented to hold the oldest rows (``oldest``), and the parameters it needs."""

    task: str
    kind: str
    page: int
    time_key: str | int = "time"
    id_key: str | None = None
    span: int | None = None
    oldest: bool = False
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def market(self) -> str:
        return "usdm" if self.task.startswith("Usdm") else "spot"


SYMBOL = {"symbol": "BTCUSDT"}
KLINE = {"symbol": "BTCUSDT", "interval": "1m"}
WEEK = 7 * DAY  # "The query time period must be less then 7 days"; "cannot be longer than 7 days"
FEEDS = [
    # USDⓈ-M: klines of every kind ("Default 500; max 1500")
    Feed("UsdmKlines", "klines", 1500, 0, params=KLINE),
    Feed(
        "UsdmContinuousKlines",
        "klines",
        1500,
        0,
        params={"pair": "BTCUSDT", "contractType": "PERPETUAL", "interval": "1m"},
    ),
    Feed("UsdmIndexPriceKlines", "klines", 1500, 0, params={"pair": "BTCUSDT", "interval": "1m"}),
    Feed("UsdmMarkPriceKlines", "klines", 1500, 0, params=KLINE),
    Feed("UsdmPremiumIndexKlines", "klines", 1500, 0, params=KLINE),
    # "If both startTime and endTime are sent, time between ... must be less than 1 hour"
    Feed("UsdmAggTrades", "agg", 1000, "T", "a", span=HOUR, params=SYMBOL),
    Feed("UsdmHistoricalTrades", "ids", 500, "time", "id", params=SYMBOL),
    # "If the number of data between startTime and endTime is larger than limit, return
    # as startTime + limit"
    Feed("UsdmFundingRate", "times", 1000, "fundingTime", oldest=True, params=SYMBOL),
    Feed("UsdmIncome", "times", 1000, "time", "tranId"),
    Feed("UsdmAllOrders", "times", 1000, "time", "orderId", span=WEEK, params=SYMBOL),
    Feed("UsdmQueryAllAlgoOrders", "times", 1000, "createTime", "algoId", WEEK, params=SYMBOL),
    Feed("UsdmUserTrades", "times", 1000, "time", "id", span=WEEK + 1, params=SYMBOL),
    Feed("UsdmUsersForceOrders", "times", 100, "time", "orderId"),
    Feed(
        "UsdmGetOrderModifyHistory",
        "times",
        100,
        "time",
        "amendmentId",
        params={"symbol": "BTCUSDT", "orderId": 1},
    ),
    # "Default: 500" and no maximum; "can't be more than 30 days"
    Feed("UsdmGetPositionMarginChangeHistory", "times", 500, span=30 * DAY + 1, params=SYMBOL),
    *(
        Feed(name, "times", 500, "timestamp", params={"symbol": "BTCUSDT", "period": "5m"})
        for name in (
            "UsdmLongShortRatio",
            "UsdmOpenInterestStatistics",
            "UsdmTakerBuySellVolume",
            "UsdmTopTraderLongShortRatioAccounts",
            "UsdmTopTraderLongShortRatioPositions",
        )
    ),
    Feed(
        "UsdmBasis",
        "times",
        500,
        "timestamp",
        params={"pair": "BTCUSDT", "contractType": "PERPETUAL", "period": "5m"},
    ),
    # Spot ("Default 500; max 1000"; "can't be longer than 24 hours")
    Feed("SpotKlines", "klines", 1000, 0, params=KLINE),
    Feed("SpotUiKlines", "klines", 1000, 0, params=KLINE),
    Feed("SpotAggTrades", "agg", 1000, "T", "a", span=HOUR, params=SYMBOL),
    Feed("SpotHistoricalTrades", "ids", 1000, "time", "id", params=SYMBOL),
    Feed("SpotHistoricalBlockTrades", "ids", 1000, "time", "id", params=SYMBOL),
    Feed("SpotAllOrders", "times", 1000, "time", "orderId", span=DAY + 1, params=SYMBOL),
    Feed("SpotMyTrades", "times", 1000, "time", "id", span=DAY + 1, params=SYMBOL),
    Feed("SpotMyAllocations", "times", 1000, "time", "allocationId", DAY + 1, params=SYMBOL),
    Feed("SpotAllOrderList", "times", 1000, "transactionTime", "orderListId", DAY + 1),
]
BY_NAME = {feed.task: feed for feed in FEEDS}


def task_of(feed: Feed) -> type[BinanceTask]:
    task = aioca.catalog("binance")[feed.task]
    assert issubclass(task, BinanceTask)
    return task


# --- the rows and the mocked endpoint -------------------------------------------------------


def make_rows(feed: Feed, count: int, start: int, step: int) -> list[Any]:
    """``count`` rows from ``start``, three to a millisecond (klines: one per minute)."""
    rows: list[Any] = []
    for index in range(count):
        if feed.kind == "klines":
            opened = start + index * MINUTE
            rows.append([opened, "1.0", "2.0", "0.5", f"1.{index}", "10", opened + MINUTE - 1,
                         "100", index, "5", "50", "0"])  # fmt: skip
            continue
        row: dict[str, Any] = {"symbol": "BTCUSDT", "amount": f"0.{index:06d}"}
        row[str(feed.time_key)] = start + (index // 3) * step
        if feed.id_key is not None:
            row[feed.id_key] = 10_000 + index
        rows.append(row)
    return rows


class Endpoint:
    """A mocked Binance endpoint over ``rows``: the documented paging, and Binance's
    refusals of a window too long or a ``limit`` too large."""

    def __init__(self, feed: Feed, rows: list[Any], newest_first: bool) -> None:
        self.feed = feed
        self.rows = rows
        self.newest_first = newest_first
        self.sent: list[dict[str, str]] = []

    def time(self, row: Any) -> int:
        return int(row[self.feed.time_key])

    @staticmethod
    def refuse(code: int, message: str) -> tuple[int, Any]:
        return 400, {"code": code, "msg": message}

    def answer(self, query: dict[str, str]) -> tuple[int, Any]:
        """Binance's answer to ``query``: an HTTP status and the JSON."""
        self.sent.append(query)
        feed = self.feed
        limit = int(query["limit"])
        if limit > feed.page:
            return self.refuse(-1130, "Data sent for parameter 'limit' is not valid.")
        has_times = "startTime" in query or "endTime" in query
        if "fromId" in query:
            if has_times:
                return self.refuse(-1128, "fromId cannot be sent with startTime or endTime.")
            first = int(query["fromId"])
            assert feed.id_key is not None
            return 200, [row for row in self.rows if row[feed.id_key] >= first][:limit]
        assert feed.kind != "ids", "old trades take no times"
        start, end = int(query["startTime"]), int(query["endTime"])
        if feed.span is not None and end - start >= feed.span:
            return self.refuse(-1127, "More than the allowed time between startTime and endTime.")
        inside = [row for row in self.rows if start <= self.time(row) <= end]
        newest = self.newest_first and not feed.oldest
        page = inside[-limit:] if newest else inside[:limit]
        return 200, page


class Binance:
    """The endpoints being served, by path, on one loopback server."""

    def __init__(self) -> None:
        self.endpoints: dict[str, Endpoint] = {}
        self.app = web.Application()
        self.app.router.add_get("/{path:.*}", self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        endpoint = self.endpoints.get(request.path)
        if endpoint is None:
            return web.json_response({"code": -1, "msg": "not served"}, status=404)
        status, payload = endpoint.answer(dict(request.query))
        return web.json_response(payload, status=status)

    def serve(self, feed: Feed, rows: list[Any], newest_first: bool = False) -> Endpoint:
        endpoint = Endpoint(feed, rows, newest_first)
        self.endpoints[task_of(feed).endpoint.path] = endpoint
        return endpoint


@pytest.fixture
async def binance() -> AsyncIterator[tuple[Binance, str]]:
    served = Binance()
    async with TestServer(served.app, host="127.0.0.1") as server:
        yield served, str(server.make_url("")).rstrip("/")


def api(url: str) -> BinanceRestApi:
    return BinanceRestApi("key", "secret", time_sync_interval=None, urls={"usdm": url, "spot": url})


def scenario(feed: Feed) -> tuple[list[Any], dict[str, Any], list[Any]]:
    """The rows served, the pager's range, and the rows the range holds."""
    page = feed.page
    if feed.kind == "klines":  # 2.5 pages of bars, from a start that is not a bar's open
        rows = make_rows(feed, page * 5 // 2 + 40, JAN_1, MINUTE)
        start, end = JAN_1 + 7, JAN_1 + (page * 5 // 2) * MINUTE
        expected = [row for row in rows if start <= row[0] < end]
        return rows, {"start": start, "end": end}, expected
    if feed.kind == "ids":  # 2.5 pages of trades, from an id in the middle of the first
        rows = make_rows(feed, page * 5 // 2, JAN_1, 10)
        first = rows[5][feed.id_key]
        end = rows[-8][feed.time_key]  # the last few are after the end
        expected = [row for row in rows if row[feed.id_key] >= first and row["time"] < end]
        return rows, {"fromId": first, "end": end}, expected
    # Times: 2.5 pages in three days (aggregate trades: in three hours), three rows to a
    # millisecond, some before the start and after the end.
    length = 3 * HOUR if feed.kind == "agg" else 3 * DAY
    count = page * 5 // 2
    step = length // (count // 3 + 1)
    rows = make_rows(feed, count, JAN_1 - 2 * step, step)
    start, end = JAN_1, JAN_1 + length - 2 * step
    expected = [row for row in rows if start <= int(row[feed.time_key]) < end]
    return rows, {"start": start, "end": end}, expected


async def collect(pager: BinanceHistory) -> list[Any]:
    return [row async for row in pager]


# --- the tests ------------------------------------------------------------------------------


def test_every_pageable_usdm_and_spot_task_is_served_here() -> None:
    pageable = {
        name
        for name, task in aioca.catalog("binance").items()
        if task.endpoint.market in ("usdm", "spot") and rule_for(task) is not None
    }
    paged_by_time_or_id = {
        name
        for name, task in aioca.catalog("binance").items()
        if task.endpoint.market in ("usdm", "spot")
        and "limit" in task.Params.model_fields
        and (
            {"startTime", "endTime"} <= task.Params.model_fields.keys()
            or "fromId" in task.Params.model_fields
        )
    }
    assert pageable == paged_by_time_or_id == set(BY_NAME)


def _fills(feed: Feed) -> tuple[bool, ...]:
    """Which ends a full page may hold: both where Binance does not say."""
    return (False, True) if feed.kind in ("times", "klines") and not feed.oldest else (False,)


FILLS = [
    pytest.param(feed, newest, id=f"{feed.task}-{'newest' if newest else 'oldest'}")
    for feed in FEEDS
    for newest in _fills(feed)
]


@pytest.mark.parametrize(("feed", "newest_first"), FILLS)
async def test_the_whole_range_once_in_order_with_the_largest_pages(
    binance: tuple[Binance, str], feed: Feed, newest_first: bool
) -> None:
    served, url = binance
    rows, span, expected = scenario(feed)
    endpoint = served.serve(feed, rows, newest_first)
    async with api(url) as client:
        pager = history(task_of(feed), api=client, **feed.params, **span)
        got = await collect(pager)
    assert len(expected) > 2 * feed.page  # more than two full pages: boundaries crossed
    assert got == expected
    assert pager.done
    assert len(endpoint.sent) >= 3
    assert {int(query["limit"]) for query in endpoint.sent} == {feed.page}
    # Every request named the task's own parameters as given.
    for query in endpoint.sent:
        for name, value in feed.params.items():
            assert query[name] == str(value)


@pytest.mark.parametrize("feed", FEEDS, ids=lambda feed: feed.task)
async def test_a_cursor_saved_within_a_page_resumes_after_the_last_row(
    binance: tuple[Binance, str], feed: Feed
) -> None:
    served, url = binance
    rows, span, expected = scenario(feed)
    served.serve(feed, rows, newest_first=not feed.oldest)
    stop_after = feed.page + feed.page // 2 + 1  # in the middle of the second page or so
    async with api(url) as client:
        pager = history(task_of(feed), api=client, **feed.params, **span)
        first: list[Any] = []
        async for row in pager:
            first.append(row)
            if len(first) == stop_after:
                break
        saved = pager.cursor.to_json()
        assert not json.loads(saved)["done"]
        resumed = BinanceHistory.resume(saved, api=client)
        rest = await collect(resumed)
    assert first + rest == expected
    assert resumed.done
    assert resumed.cursor.rows == len(expected)


def test_the_largest_page_is_documented_for_every_feed() -> None:
    for feed in FEEDS:
        pager = history(task_of(feed), **feed.params, **scenario(feed)[1])
        assert pager.page_size == feed.page, feed.task
        assert isinstance(pager, Pager)


def test_a_window_longer_than_binance_allows_would_be_refused_by_the_mock() -> None:
    # The mock is strict: a window of the documented maximum itself is refused, one ms
    # less is answered (so the pager's windows are proven to stay within the rule).
    feed = BY_NAME["SpotMyTrades"]
    endpoint = Endpoint(feed, make_rows(feed, 3, JAN_1, 1), newest_first=False)

    def query(**values: Any) -> dict[str, str]:
        return {name: str(value) for name, value in values.items()}

    refused = endpoint.answer(query(startTime=JAN_1, endTime=JAN_1 + DAY + 1, limit=5))
    status, rows = endpoint.answer(query(startTime=JAN_1, endTime=JAN_1 + DAY, limit=5))
    assert refused[0] == 400
    assert (status, len(rows)) == (200, 3)
    too_many = endpoint.answer(query(startTime=JAN_1, endTime=JAN_1 + 5, limit=1001))
    assert too_many[0] == 400


# --- limits -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("task_name", "params"),
    [
        ("UsdmQueryAllAlgoOrders", {"symbol": "BTCUSDT"}),
        ("SpotAllOrderList", {}),
        ("SpotMyAllocations", {"symbol": "BTCUSDT"}),
        ("SpotMyPreventedMatches", {"symbol": "BTCUSDT", "orderId": 1}),
    ],
)
def test_documented_maximum_limits_are_enforced_before_sending(
    task_name: str, params: dict[str, Any]
) -> None:
    task = aioca.catalog("binance")[task_name]
    assert dict(task(**params, limit=1000).wire_params())["limit"] == 1000
    with pytest.raises(InvalidParameterError) as raised:
        task(**params, limit=1001)
    assert raised.value.parameter == "limit"


# --- the command line, as the issue writes it -----------------------------------------------


class ThreadedBinance:
    """:class:`Binance` on 127.0.0.1 in a thread of its own, for a command run in a
    subprocess."""

    def __init__(self, served: Binance) -> None:
        self.served = served
        self.url = ""
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._serve()), daemon=True)

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with TestServer(self.served.app, host="127.0.0.1") as server:
            self.url = str(server.make_url("")).rstrip("/")
            self._ready.set()
            await asyncio.wait_for(self._stop.wait(), timeout=300)

    def __enter__(self) -> ThreadedBinance:
        self._thread.start()
        assert self._ready.wait(timeout=10), "the server did not start"
        return self

    def __exit__(self, *exc_info: object) -> None:
        assert self._loop is not None
        assert self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=10)
        assert not self._thread.is_alive()


ISSUE_COMMAND = (
    "aioca history binance UsdmKlines symbol=BTCUSDT interval=1m "
    "--start 2026-01-01 --end 2026-02-01 --out btc.csv"
)


def test_the_issue_s_command_writes_a_month_of_usdm_minutes(tmp_path: Path) -> None:
    feb_1 = JAN_1 + 31 * DAY
    feed = BY_NAME["UsdmKlines"]
    served = Binance()
    endpoint = served.serve(feed, make_rows(feed, 31 * 1440 + 120, JAN_1 - 60 * MINUTE, MINUTE))
    out = tmp_path / "btc.csv"
    command = shlex.split(ISSUE_COMMAND)
    command[0] = str(Path(sys.executable).with_name("aioca"))
    with ThreadedBinance(served) as server:
        done = subprocess.run(
            [*command, "--url", f"usdm={server.url}"],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=tmp_path,
        )
    assert done.returncode == 0, done.stderr
    with out.open(newline="", encoding="utf-8") as file:
        header, *rows = list(csv.reader(file))
    assert header[:7] == ["open_time", "open", "high", "low", "close", "volume", "close_time"]
    assert header[7] == "quote_asset_volume"
    assert [int(row[0]) for row in rows] == list(range(JAN_1, feb_1, MINUTE))
    assert len(endpoint.sent) == 30  # 44,640 minutes in pages of 1,500
    assert {query["limit"] for query in endpoint.sent} == {"1500"}
    assert done.stderr.strip() == "wrote 44640 rows to btc.csv: 30 requests, weight 300"


@pytest.mark.parametrize("market", ["coinm", "usdm", "spot"])
def test_kline_columns_are_the_models_slots(market: str) -> None:
    """The history's CSV columns of klines are written out in aioca_binance.history
    (taking them from the models would load every market's models for one market's
    pager); they must be the slots of the market's generated ``Kline`` model."""
    import importlib

    from aioca_binance.history import RULES

    model = importlib.import_module(f"aioca_binance.{market}.models").Kline
    kline_rules = [rule for (m, _), rule in RULES.items() if m == market and rule.kind == "klines"]
    assert kline_rules
    assert {rule.columns for rule in kline_rules} == {model.slots}
