"""Whole ranges of Binance's history endpoints, page by page: :func:`history`.

Binance answers a history endpoint (klines, aggregate trades, funding rates, an account's
income, orders and trades...) one page of at most ``limit`` rows at a time, with rules of
its own per endpoint. ``history(Task, start=..., end=..., **params)`` walks a whole range:

* every page is a normal catalog task run through the API, with the largest ``limit``
  the task's parameter model allows (its ``le=`` bound), so the rate limiter charges each
  page its weight and the retry policy applies;
* no row is returned twice and none is skipped across page boundaries, by the rule of
  each endpoint (the table :data:`RULES`):

  - **klines** of every kind page by time windows that hold at most ``limit`` bars (the
    next window starts 1 ms after the last one ends), so it does not matter that COIN-M
    answers "the most recent ``limit`` bars before ``endTime``"; COIN-M's windows are
    also at most 200 days, its documented maximum;
  - **aggregate trades** start with a time window (shorter than one hour, as Binance
    requires when ``startTime`` and ``endTime`` are both sent) and, once a page is full,
    go on by trade id (``fromId`` = last id + 1, without times: Binance advises against
    sending both) until a trade is past the end;
  - **old trades** (``historicalTrades``) page by ``fromId`` only: they take no times;
  - **everything else** (funding rates, income, orders, trades, the ``/futures/data``
    statistics...) pages by time windows no longer than the endpoint's documented maximum
    span. A page that comes back full may not hold the whole window: where Binance
    documents that a full page is the *oldest* rows from ``startTime`` (USDⓈ-M funding
    rates), the next page starts at the last row's time, the rows of that millisecond
    already returned being skipped; elsewhere the window is halved and asked again, so
    no row is missed whichever end Binance fills a page from;
* the pager stops at the end of the range (or, paging by id, at the newest row);
* its :attr:`~BinanceHistory.cursor` says where it stands after the last row handed out,
  as plain data (``to_json()``): ``history(Task, cursor=saved)`` or
  :meth:`BinanceHistory.resume` goes on from there.

It follows :class:`aioca.history.Pager`, so ``aioca history binance TASK ...`` writes any
of them to CSV or Parquet.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import typing
from collections.abc import AsyncIterator, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from aioca.history import PagingError

from .task import BinanceTask

__all__ = [
    "RULES",
    "BinanceHistory",
    "BinanceHistoryCursor",
    "PageRule",
    "history",
    "page_size_of",
    "rule_for",
]

_HOUR = 3_600_000
_DAY = 24 * _HOUR

Kind = Literal["klines", "agg_trades", "ids", "times"]


@dataclass(frozen=True, slots=True)
class PageRule:
    """How one endpoint pages.

    ``kind``: ``klines``, ``agg_trades``, ``ids`` or ``times`` (see the module);
    ``time_field``: where a row's time is (an index of a list row, a key of an object);
    ``id_field``: its id, for paging by id; ``max_span``: the longest ``startTime`` to
    ``endTime`` Binance accepts, in ms; ``oldest_first``: Binance documents that a full
    page holds the oldest rows from ``startTime``; ``columns``: names of a list row's
    slots; ``key_fields``: what tells two rows of one millisecond apart (else the whole
    row); ``page_size``: the ``limit`` to send where Binance documents a default but no
    maximum (the default: a larger one might be refused); ``note``: the documented rule it
    follows."""

    kind: Kind
    time_field: str | int
    id_field: str | None = None
    max_span: int | None = None
    oldest_first: bool = False
    columns: tuple[str, ...] | None = None
    key_fields: tuple[str, ...] | None = None
    page_size: int | None = None
    note: str = ""


_COINM_KLINE_COLUMNS = (
    "open_time",
    "open",
    "high",
    "low",
    "close",
    "volume",
    "close_time",
    "base_asset_volume",
    "number_of_trades",
    "taker_buy_volume",
    "taker_buy_base_asset_volume",
    "ignore",
)
"""COIN-M's kline slots (volumes in contracts, then in the base asset)."""

_KLINE_COLUMNS = (
    "open_time",
    "open",
    "high",
    "low",
    "close",
    "volume",
    "close_time",
    "quote_asset_volume",
    "number_of_trades",
    "taker_buy_base_asset_volume",
    "taker_buy_quote_asset_volume",
    "ignore",
)
"""USDⓈ-M's and Spot's kline slots."""


def _build_rules() -> dict[tuple[str, str], PageRule]:
    rules: dict[tuple[str, str], PageRule] = {}
    futures_klines = (
        "klines",
        "continuousKlines",
        "indexPriceKlines",
        "markPriceKlines",
        "premiumIndexKlines",
    )
    for name in futures_klines:
        rules["coinm", f"/dapi/v1/{name}"] = PageRule(
            "klines",
            0,
            max_span=200 * _DAY,
            columns=_COINM_KLINE_COLUMNS,
            note="at most 200 days between startTime and endTime; the most recent bars of "
            "the window are returned",
        )
        rules["usdm", f"/fapi/v1/{name}"] = PageRule("klines", 0, columns=_KLINE_COLUMNS)
    for name in ("klines", "uiKlines"):
        rules["spot", f"/api/v3/{name}"] = PageRule("klines", 0, columns=_KLINE_COLUMNS)

    agg = PageRule(
        "agg_trades",
        "T",
        id_field="a",
        max_span=_HOUR,
        key_fields=("a",),
        note="less than 1 hour between startTime and endTime; fromId not sent with them",
    )
    for market, prefix in (("coinm", "/dapi/v1"), ("usdm", "/fapi/v1"), ("spot", "/api/v3")):
        rules[market, f"{prefix}/aggTrades"] = agg
        rules[market, f"{prefix}/historicalTrades"] = PageRule(
            "ids", "time", id_field="id", key_fields=("id",), note="pages by fromId only"
        )
    rules["spot", "/api/v3/historicalBlockTrades"] = PageRule(
        "ids", "time", id_field="id", key_fields=("id",), note="pages by fromId only"
    )

    def times(span_days: float | None = None, **options: Any) -> PageRule:
        span = None if span_days is None else round(span_days * _DAY)
        options.setdefault("time_field", "time")
        return PageRule("times", max_span=span, **options)

    week = "at most 7 days between startTime and endTime"
    day = "at most 24 hours between startTime and endTime"
    rules["coinm", "/dapi/v1/fundingRate"] = times(time_field="fundingTime")
    rules["usdm", "/fapi/v1/fundingRate"] = times(
        time_field="fundingTime",
        oldest_first=True,
        note="a full page is startTime + limit",
    )
    rules["coinm", "/dapi/v1/income"] = times(365, note="at most 1 year between the times")
    rules["usdm", "/fapi/v1/income"] = times(365, note="at most 1 year between the times")
    rules["coinm", "/dapi/v1/allOrders"] = times(7, key_fields=("orderId",), note=week)
    rules["usdm", "/fapi/v1/allOrders"] = times(7, key_fields=("orderId",), note=week)
    rules["spot", "/api/v3/allOrders"] = times(1, key_fields=("orderId",), note=day)
    rules["usdm", "/fapi/v1/allAlgoOrders"] = times(
        7, time_field="createTime", key_fields=("algoId",), note=week
    )
    rules["coinm", "/dapi/v1/userTrades"] = times(7, key_fields=("symbol", "id"), note=week)
    rules["usdm", "/fapi/v1/userTrades"] = times(7, key_fields=("symbol", "id"), note=week)
    rules["spot", "/api/v3/myTrades"] = times(1, key_fields=("id",), note=day)
    rules["spot", "/api/v3/myAllocations"] = times(1, key_fields=("allocationId",), note=day)
    rules["spot", "/api/v3/allOrderList"] = times(
        1, time_field="transactionTime", key_fields=("orderListId",), note=day
    )
    for market, prefix in (("coinm", "/dapi/v1"), ("usdm", "/fapi/v1")):
        rules[market, f"{prefix}/forceOrders"] = times(key_fields=("orderId",))
        rules[market, f"{prefix}/orderAmendment"] = times(key_fields=("amendmentId",))
    # Position margin changes: the docs give a default limit and no maximum, so pages are
    # of the default size.
    rules["coinm", "/dapi/v1/positionMargin/history"] = times(
        page_size=50, note="limit: default 50, no documented maximum"
    )
    rules["usdm", "/fapi/v1/positionMargin/history"] = times(
        30,
        page_size=500,
        note="at most 30 days between startTime and endTime; limit: default 500, no "
        "documented maximum",
    )
    statistics = {
        "coinm": (
            "basis",
            "globalLongShortAccountRatio",
            "openInterestHist",
            "takerBuySellVol",
            "topLongShortAccountRatio",
            "topLongShortPositionRatio",
        ),
        "usdm": (
            "basis",
            "globalLongShortAccountRatio",
            "openInterestHist",
            "takerlongshortRatio",
            "topLongShortAccountRatio",
            "topLongShortPositionRatio",
        ),
    }
    for market, names in statistics.items():
        for name in names:
            rules[market, f"/futures/data/{name}"] = times(
                time_field="timestamp", note="only the latest 30 days are available"
            )
    return rules


RULES: Mapping[tuple[str, str], PageRule] = _build_rules()
"""How each pageable endpoint pages, by ``(market, path)``."""


def rule_for(task_class: type[BinanceTask]) -> PageRule | None:
    """The paging rule of ``task_class``'s endpoint, ``None`` if it does not page."""
    endpoint = getattr(task_class, "endpoint", None)
    if endpoint is None or endpoint.method != "GET":
        return None
    return RULES.get((endpoint.market, endpoint.path))


def page_size_of(task_class: type[BinanceTask]) -> int | None:
    """The largest ``limit`` the task's parameter model allows (its ``le=`` bound)."""
    info = task_class.Params.model_fields.get("limit")
    if info is None:
        return None
    bounds = [getattr(item, "le", None) for item in info.metadata]
    pending = [info.annotation]
    while pending:
        current = pending.pop()
        if typing.get_origin(current) is typing.Annotated:
            for item in getattr(current, "__metadata__", ()):
                items = getattr(item, "metadata", [item])
                bounds += [getattr(part, "le", None) for part in items]
        pending += list(typing.get_args(current))
    found = [bound for bound in bounds if isinstance(bound, int) and bound < 2**62]
    return min(found) if found else None


@dataclass(frozen=True, slots=True)
class BinanceHistoryCursor:
    """Where a :class:`BinanceHistory` stands: every row before it has been handed out.

    Paging by time, rows before ``start`` are done, and so are the rows of the
    millisecond ``start`` whose keys are in ``seen``; paging by id (``from_id`` set), rows
    from ``from_id`` on are to come. ``task`` and ``params`` name the request, ``origin``
    and ``end`` the range (ms, both included), ``page_size`` the ``limit`` sent;
    ``rows``, ``pages`` and ``weight`` count what was done, ``done`` says the range is
    finished. Plain data: ``to_json()`` and ``from_json()``.
    """

    task: str
    params: dict[str, Any]
    page_size: int
    origin: int | None
    end: int | None
    start: int | None
    seen: tuple[str, ...] = ()
    from_id: int | None = None
    rows: int = 0
    pages: int = 0
    weight: int = 0
    done: bool = False

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["seen"] = list(self.seen)
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"), default=str)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BinanceHistoryCursor:
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"not a history cursor: unknown field(s) {sorted(unknown)}")
        values = dict(data)
        values["seen"] = tuple(values.get("seen", ()))
        return cls(**values)

    @classmethod
    def from_json(cls, text: str) -> BinanceHistoryCursor:
        return cls.from_dict(json.loads(text))


@dataclass(slots=True)
class _State:
    start: int | None
    seen: list[str] = field(default_factory=list)
    from_id: int | None = None
    last_id: int | None = None
    last_time: int | None = None
    rows: int = 0
    pages: int = 0
    weight: int = 0
    done: bool = False


def _ms(value: int | dt.datetime | None, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError(f"{name}: a datetime needs a time zone (datetime(..., tzinfo=UTC))")
        return round(value.timestamp() * 1000)
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name}: milliseconds (int) or an aware datetime, not {value!r}")
    return value


_MANAGED = ("startTime", "endTime", "limit")

_UNIT_MS = {"s": 1000, "m": 60_000, "h": _HOUR, "d": _DAY, "w": 7 * _DAY, "M": 28 * _DAY}


def _interval_ms(interval: Any) -> int:
    """The shortest length of a kline ``interval`` (a month counts 28 days: a window of
    ``limit`` such months never holds more than ``limit`` bars)."""
    text = str(getattr(interval, "value", interval))
    number, unit = text[:-1], text[-1:]
    if not number.isdigit() or unit not in _UNIT_MS:
        raise ValueError(f"unknown kline interval {text!r}")
    return int(number) * _UNIT_MS[unit]


def _plain(value: Any) -> Any:
    value = getattr(value, "value", value)  # enum members as their wire value
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


class BinanceHistory:
    """The whole range of one history endpoint (see the module): ``async for row in
    pager`` gives the rows, ``pages()`` the rows of each answered request, ``cursor``
    where it stands. Created by :func:`history`."""

    def __init__(
        self,
        task_class: type[BinanceTask],
        *,
        api: Any = None,
        start: int | dt.datetime | None = None,
        end: int | dt.datetime | None = None,
        page_size: int | None = None,
        cursor: BinanceHistoryCursor | None = None,
        **params: Any,
    ) -> None:
        rule = rule_for(task_class)
        if rule is None:
            raise ValueError(
                f"{task_class.__name__} does not page through a history (pageable: the "
                "tasks of klines, aggTrades, historicalTrades, fundingRate, income, orders "
                "and trades histories, /futures/data statistics)"
            )
        self.task_class = task_class
        self.rule = rule
        self.api = api
        if cursor is not None:
            if params or start is not None or end is not None or page_size is not None:
                raise TypeError("resuming from a cursor takes no other range or parameters")
            if cursor.task != task_class.__name__:
                raise ValueError(f"the cursor is of {cursor.task}, not {task_class.__name__}")
            self._init_from(cursor)
            return
        problems = [name for name in _MANAGED if name in params]
        if rule.kind != "ids" and rule.kind != "agg_trades" and "fromId" in params:
            problems.append("fromId")
        if problems:
            raise TypeError(
                f"the pager sends {', '.join(problems)} itself: give the range as start= "
                "and end= (and page_size= for a smaller limit)"
            )
        size = page_size_of(task_class)
        if page_size is not None:
            if size is not None and not 1 <= page_size <= size:
                raise ValueError(f"page_size must be 1..{size}, not {page_size}")
            if page_size < 1:
                raise ValueError(f"page_size must be 1 or more, not {page_size}")
            size = page_size
        elif size is None:
            size = rule.page_size
        if size is None:
            raise ValueError(
                f"{task_class.__name__} declares no maximum limit: give page_size= (Binance's "
                "documented maximum for the endpoint)"
            )
        origin, stop = _ms(start, "start"), _ms(end, "end")
        if stop is not None:  # the end is excluded: ranges that meet do not overlap
            stop -= 1
        from_id = params.pop("fromId", None)
        if rule.kind == "ids":
            if from_id is None:
                raise ValueError(f"{task_class.__name__} pages by trade id: give fromId=")
            if origin is not None:
                raise ValueError(f"{task_class.__name__} takes no start time: give fromId=")
        elif from_id is not None and origin is not None:
            raise ValueError("give start= or fromId=, not both")
        elif from_id is None and origin is None:
            raise ValueError("give start= (ms or an aware datetime); end= defaults to now")
        if stop is None and rule.kind != "ids":
            stop = int(time.time() * 1000)
        if origin is not None and stop is not None and stop < origin:
            raise ValueError(f"end ({stop + 1}) is not after start ({origin})")
        # Every parameter checked now, all problems at once, before anything is sent.
        probe = self._task(params, self._paging(origin, stop, from_id, size))
        self._params = {name: _plain(value) for name, value in params.items()}
        del probe
        self.page_size = size
        self.origin, self.end = origin, stop
        self._state = _State(start=origin, from_id=from_id)

    def _init_from(self, cursor: BinanceHistoryCursor) -> None:
        self._params = dict(cursor.params)
        self.page_size = cursor.page_size
        self.origin, self.end = cursor.origin, cursor.end
        self._state = _State(
            start=cursor.start,
            seen=list(cursor.seen),
            from_id=cursor.from_id,
            rows=cursor.rows,
            pages=cursor.pages,
            weight=cursor.weight,
            done=cursor.done,
        )

    @classmethod
    def resume(cls, cursor: BinanceHistoryCursor | str, *, api: Any = None) -> BinanceHistory:
        """A pager that goes on from ``cursor`` (or its JSON), its task found by name in
        the ``binance`` catalog."""
        import aioca

        if isinstance(cursor, str):
            cursor = BinanceHistoryCursor.from_json(cursor)
        tasks = aioca.catalog("binance")
        if cursor.task not in tasks:
            raise ValueError(f"the cursor names {cursor.task!r}, which is no Binance task")
        task_class = tasks[cursor.task]
        assert issubclass(task_class, BinanceTask)
        return cls(task_class, api=api, cursor=cursor)

    # --- what the pager shows -----------------------------------------------------------

    @property
    def columns(self) -> tuple[str, ...] | None:
        """Names of a kline's slots; ``None`` for rows that are JSON objects."""
        return self.rule.columns

    @property
    def cursor(self) -> BinanceHistoryCursor:
        """Where the pager stands, after the last row handed out."""
        state = self._state
        return BinanceHistoryCursor(
            task=self.task_class.__name__,
            params=dict(self._params),
            page_size=self.page_size,
            origin=self.origin,
            end=self.end,
            start=state.start,
            seen=tuple(state.seen),
            from_id=state.from_id,
            rows=state.rows,
            pages=state.pages,
            weight=state.weight,
            done=state.done,
        )

    @property
    def progress(self) -> float | None:
        """The share of the time range done (0 to 1); ``None`` paging by id without an end."""
        state = self._state
        if state.done:
            return 1.0
        if self.origin is None or self.end is None:
            return None
        at = state.last_time if state.from_id is not None else state.start
        if at is None:
            return 0.0
        span = self.end - self.origin + 1
        return min(1.0, max(0.0, (at - self.origin) / span))

    @property
    def done(self) -> bool:
        return self._state.done

    # --- rows -----------------------------------------------------------------------------

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._rows()

    async def _rows(self) -> AsyncIterator[Any]:
        async for page in self._walk():
            for row in page:
                self._advance(row)
                yield row

    async def pages(self) -> AsyncIterator[list[Any]]:
        """The rows of each answered request that brought new ones, in order (the cursor
        is past a page once it is handed out)."""
        async for page in self._walk():
            for row in page:
                self._advance(row)
            yield page

    def _time(self, row: Any) -> int:
        return int(row[self.rule.time_field])

    def _id(self, row: Any) -> int:
        assert self.rule.id_field is not None
        return int(row[self.rule.id_field])

    def _key(self, row: Any) -> str:
        fields = self.rule.key_fields
        if fields is not None and isinstance(row, Mapping):
            return json.dumps([row.get(name) for name in fields], separators=(",", ":"))
        return json.dumps(row, sort_keys=True, separators=(",", ":"), default=str)

    def _advance(self, row: Any) -> None:
        """The cursor past ``row``, handed out."""
        state = self._state
        state.rows += 1
        moment = self._time(row)
        state.last_time = moment
        if self.rule.id_field is not None:
            state.last_id = self._id(row)
        if state.from_id is not None:
            state.from_id = self._id(row) + 1
        elif self.rule.kind == "klines":  # one bar per open time
            state.start, state.seen = moment + 1, []
        elif moment == state.start:
            state.seen.append(self._key(row))
        else:
            state.start, state.seen = moment, [self._key(row)]

    @staticmethod
    def _paging(
        start: int | None, end: int | None, from_id: int | None, size: int
    ) -> dict[str, Any]:
        if from_id is not None:
            return {"fromId": from_id, "limit": size}
        return {"startTime": start, "endTime": end, "limit": size}

    def _task(self, params: Mapping[str, Any], paging: Mapping[str, Any]) -> BinanceTask:
        return self.task_class(api=self.api, **params, **paging)

    async def _fetch(self, paging: Mapping[str, Any]) -> list[Any]:
        task = self._task(self._params, paging)
        result = await task.run()
        state = self._state
        state.pages += 1
        state.weight += task.weight
        if not isinstance(result, list):
            raise PagingError(
                f"{task}: expected a list of rows, got {type(result).__name__}",
            )
        return result

    def _window_end(self, start: int, span: int) -> int:
        assert self.end is not None
        return min(self.end, start + span - 1)

    def _span(self) -> int:
        """The longest window asked for at once: the documented maximum span, and for
        klines no more bars than a page holds."""
        assert self.end is not None
        assert self.origin is not None
        span = self.end - self.origin + 1
        if self.rule.max_span is not None:
            span = min(span, self.rule.max_span)
        if self.rule.kind == "klines":
            span = min(span, self.page_size * _interval_ms(self._params.get("interval")))
        if self.rule.kind == "agg_trades":  # "less than 1 hour" between the two
            span = min(span, _HOUR)
        return max(1, span)

    async def _walk(self) -> AsyncIterator[list[Any]]:
        state = self._state
        size = self.page_size
        span = top = self._span() if self.origin is not None and self.end is not None else 0
        while not state.done:
            if state.from_id is not None:
                async for page in self._walk_ids():
                    yield page
                return
            assert state.start is not None
            assert self.end is not None
            start = state.start
            if start > self.end:
                state.done = True
                return
            stop = self._window_end(start, span)
            answer = await self._fetch(self._paging(start, stop, None, size))
            full = len(answer) >= size
            inside = sorted(
                (row for row in answer if start <= self._time(row) <= stop), key=self._time
            )
            seen = set(state.seen)
            new = [
                row for row in inside if not (self._time(row) == start and self._key(row) in seen)
            ]
            kind = self.rule.kind
            if kind == "times" and full and not self.rule.oldest_first:
                if stop == start:
                    raise PagingError(
                        f"{self.task_class.__name__}: {size} rows or more at {start} ms; "
                        "a page cannot hold them all",
                    )
                span = max(1, (stop - start + 1) // 2)  # the window may hold more: halve it
                continue
            if kind == "times" and full and not new:
                raise PagingError(
                    f"{self.task_class.__name__}: {size} rows or more at "
                    f"{self._time(inside[-1]) if inside else start} ms; a page cannot hold them",
                )
            if new:
                yield new
            if kind == "agg_trades" and full and inside:
                state.from_id = max(self._id(row) for row in inside) + 1  # on by id, no times
                continue
            if kind == "times" and full:  # documented oldest-first: on from the last row
                continue
            # The window is complete: on after it.
            if state.start is None or state.start <= stop:
                state.start, state.seen = stop + 1, []
            span = min(top, span * 2)

    async def _walk_ids(self) -> AsyncIterator[list[Any]]:
        state = self._state
        size = self.page_size
        while not state.done:
            assert state.from_id is not None
            first = state.from_id
            answer = await self._fetch(self._paging(None, None, first, size))
            rows = sorted((row for row in answer if self._id(row) >= first), key=self._id)
            finished = len(answer) < size
            if self.end is not None:
                before = [row for row in rows if self._time(row) <= self.end]
                finished = finished or len(before) < len(rows)
                rows = before
            if not rows and not finished:
                raise PagingError(
                    f"{self.task_class.__name__}: a full page from id {first} with no row "
                    f"at or after it",
                )
            if rows:
                yield rows
            if finished:
                state.done = True


def history(
    task_class: type[BinanceTask],
    *,
    api: Any = None,
    start: int | dt.datetime | None = None,
    end: int | dt.datetime | None = None,
    page_size: int | None = None,
    cursor: BinanceHistoryCursor | None = None,
    **params: Any,
) -> BinanceHistory:
    """Every row of ``task_class``'s history from ``start`` up to ``end`` (ms or aware
    datetimes; ``end`` is excluded, so ranges that meet do not overlap, and defaults to
    now), page by page (see the module).

    ``params`` are the task's other parameters (``symbol=``, ``interval=``...); the pager
    sends ``startTime``, ``endTime``, ``limit`` (the largest allowed, or ``page_size``)
    and ``fromId`` itself. Old trades page by id from ``fromId=``. Every parameter is
    checked now, before anything is sent. ``cursor=`` goes on from a saved cursor instead.
    """
    return BinanceHistory(
        task_class,
        api=api,
        start=start,
        end=end,
        page_size=page_size,
        cursor=cursor,
        **params,
    )
