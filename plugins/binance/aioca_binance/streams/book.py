"""``LocalOrderBook``: a Binance order book kept locally, the way Binance documents it.

1. Open the diff stream (``<symbol>@depth@100ms``) and buffer its events.
2. Take a REST depth snapshot.
3. Drop buffered events older than the snapshot (futures: ``u < lastUpdateId``; Spot:
   ``u <= lastUpdateId``).
4. The first event applied must straddle the snapshot (futures: ``U <= lastUpdateId <=
   u``; Spot: ``U <= lastUpdateId + 1 <= u``); if the snapshot is older than every
   buffered event, take another.
5. Every later event must continue the one before (futures: ``pu`` equals the previous
   ``u``; Spot: ``U`` is the previous ``u + 1``); quantities are absolute, 0 removes
   the level.

Anything else (a stream gap, a jump in the ids, a failed snapshot) starts again at 1,
and the book says so: iterating it yields :class:`Resynced` after every (re)build and
:class:`BookUpdate` after every applied event. Between a gap and the next
:class:`Resynced`, ``book.synced`` is ``False`` and the book keeps its last consistent
state; it never shows a half-applied one.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
from collections import deque
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Self

from aioca.stream import Gap, Stream, StreamSettings

from .markets import check_market, market_settings
from .protocol import BinanceMarketProtocol

__all__ = ["BookSnapshot", "BookUpdate", "LocalOrderBook", "Resynced"]

logger = logging.getLogger("aioca.binance.book")
Snapshot = Mapping[str, Any]
SnapshotFetcher = Callable[[str, int], Coroutine[Any, Any, Snapshot]]
_DEPTH_PATHS = {"spot": "/api/v3/depth", "usdm": "/fapi/v1/depth", "coinm": "/dapi/v1/depth"}
_MAX_BUFFERED = 10_000
Level = tuple[Decimal, Decimal]


@dataclass(frozen=True, slots=True)
class BookUpdate:
    """One diff event was applied: the book is now at ``update_id``."""

    update_id: int
    event_time: int | None


@dataclass(frozen=True, slots=True)
class Resynced:
    """The book was (re)built from a snapshot and is consistent again at ``update_id``;
    ``reason`` says why it had to (``"start"``, ``"gap: ..."``, ``"sequence: ..."``)."""

    update_id: int
    reason: str


@dataclass(frozen=True, slots=True)
class BookSnapshot:
    """A copy of the book: ``bids`` best first, ``asks`` best first."""

    update_id: int
    bids: list[Level]
    asks: list[Level]


class LocalOrderBook:
    """The order book of ``symbol`` on ``market``, always consistent with Binance's.

    Snapshots come from ``api`` (a :class:`~aioca_binance.BinanceRestApi`; its
    ``urls[market]`` is the REST base) through the public ``request``, or from
    ``snapshot``, a coroutine function ``(symbol, limit) -> depth JSON``. ``limit`` is the
    snapshot's depth, ``speed`` the diff stream's (``"100ms"``, ``""`` for the default).
    Other keyword arguments go to the :class:`aioca.stream.Stream`.
    """

    def __init__(
        self,
        market: str,
        symbol: str,
        *,
        api: Any = None,
        snapshot: SnapshotFetcher | None = None,
        limit: int = 1000,
        speed: str = "100ms",
        base_url: str | None = None,
        testnet: bool = False,
        settings: StreamSettings | None = None,
        **options: Any,
    ) -> None:
        self.market = check_market(market)
        self.symbol = symbol.upper()
        if snapshot is None and api is None:
            raise ValueError("LocalOrderBook needs api= (a BinanceRestApi) or snapshot=")
        self._fetch = snapshot or self._rest_snapshot
        self.api = api
        self.limit = limit
        self.topic = f"{symbol.lower()}@depth" + (f"@{speed}" if speed else "")
        protocol = BinanceMarketProtocol(
            market,
            base_url=base_url,
            testnet=testnet,
            typed=False,
            settings=settings or market_settings(market, overflow="drop_oldest"),
        )
        self.stream: Stream[Any] = Stream(protocol, [self.topic], **options)
        self.bids: dict[Decimal, Decimal] = {}
        self.asks: dict[Decimal, Decimal] = {}
        self.update_id = 0
        self.synced = False
        self.resyncs = 0
        """How many times the book was rebuilt after it had been consistent."""
        self._futures = market != "spot"
        self._pending: deque[dict[str, Any]] = deque()
        self._reason = "start"
        self._snapshot_task: asyncio.Task[Snapshot] | None = None
        self._stale: set[asyncio.Task[Snapshot]] = set()
        """Snapshots cancelled by a resync and not finished yet: awaited before the next
        one starts (never two requests at once) and when the book closes."""
        self._snapshot: Snapshot | None = None
        self._events: deque[BookUpdate | Resynced] = deque()

    # --- life cycle ------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        await self.stream.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        self._drop_snapshot()
        await self._await_stale()
        await self.stream.aclose()

    # --- queries -------------------------------------------------------------------------

    def best_bid(self) -> Level | None:
        """``(price, quantity)`` of the highest bid, ``None`` for an empty side."""
        if not self.bids:
            return None
        price = max(self.bids)
        return price, self.bids[price]

    def best_ask(self) -> Level | None:
        if not self.asks:
            return None
        price = min(self.asks)
        return price, self.asks[price]

    def depth(self, levels: int = 10) -> tuple[list[Level], list[Level]]:
        """The best ``levels`` bids (highest first) and asks (lowest first)."""
        bids = heapq.nlargest(levels, self.bids.items())
        asks = heapq.nsmallest(levels, self.asks.items())
        return bids, asks

    def spread(self) -> Decimal | None:
        bid, ask = self.best_bid(), self.best_ask()
        return None if bid is None or ask is None else ask[0] - bid[0]

    def snapshot(self, levels: int | None = None) -> BookSnapshot:
        count = max(len(self.bids), len(self.asks)) if levels is None else levels
        bids, asks = self.depth(count)
        return BookSnapshot(self.update_id, bids, asks)

    # --- the loop ----------------------------------------------------------------------------

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> BookUpdate | Resynced:
        while not self._events:
            if not self.stream.is_open:
                await self.stream.start()
            if self.synced:
                item = await self.stream.__anext__()
                self._receive(item)
                continue
            await self._resync_step()
        return self._events.popleft()

    async def next(self, timeout: float | None = None) -> BookUpdate | Resynced:
        async with asyncio.timeout(timeout):
            return await self.__anext__()

    def _receive(self, item: Any) -> None:
        if isinstance(item, Gap):
            self._lose(f"gap: {item.reason.value}")
            return
        event = item.data
        if self.synced:
            self._apply_next(event)
        else:
            self._buffer(event)

    def _buffer(self, event: dict[str, Any]) -> None:
        self._pending.append(event)
        if len(self._pending) > _MAX_BUFFERED:
            self._pending.popleft()

    def _lose(self, reason: str) -> None:
        """Continuity is gone: keep the last consistent state, rebuild from a snapshot."""
        if self.synced:
            self.resyncs += 1
        self.synced = False
        self._reason = reason
        self._pending.clear()
        self._drop_snapshot()
        self._snapshot = None

    def _drop_snapshot(self) -> None:
        """Cancel the snapshot in flight, if any: it would answer for a book that is gone,
        and its request spends weight. Its outcome (a cancellation, or an error that beat
        the cancellation) is retrieved, never left for the event loop to complain of."""
        task, self._snapshot_task = self._snapshot_task, None
        if task is None:
            return
        task.cancel()
        if not task.done():
            self._stale.add(task)
            task.add_done_callback(self._stale.discard)
        task.add_done_callback(_retrieve)

    async def _await_stale(self) -> None:
        if self._stale:
            await asyncio.gather(*self._stale, return_exceptions=True)

    async def _resync_step(self) -> None:
        """While not synced: buffer events until a snapshot is in, then try to start."""
        loop = asyncio.get_running_loop()
        await self._await_stale()  # a cancelled snapshot ends before another starts
        if self._snapshot is not None and self._pending:
            self._start_from(self._snapshot)
            if self.synced or self._events:
                return
        task = self._snapshot_task
        if task is None and self._snapshot is None:
            task = self._snapshot_task = loop.create_task(self._fetch(self.symbol, self.limit))
        if task is not None and task.done():
            self._snapshot_task = None
            try:
                self._snapshot = task.result()
            except Exception as exc:
                logger.warning("order book snapshot of %s failed: %r", self.symbol, exc)
                await asyncio.sleep(1.0)
            return
        waiting: set[asyncio.Future[Any]] = {task} if task is not None else set()
        receiving = loop.create_task(self.stream.__anext__())
        try:
            await asyncio.wait({receiving, *waiting}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not receiving.done():
                receiving.cancel()
                await asyncio.gather(receiving, return_exceptions=True)
        if receiving.done() and not receiving.cancelled():
            self._receive(receiving.result())

    def _start_from(self, snapshot: Snapshot) -> None:
        last = int(snapshot["lastUpdateId"])
        pending = self._pending
        futures = self._futures
        while pending and (pending[0]["u"] < last if futures else pending[0]["u"] <= last):
            pending.popleft()  # older than the snapshot
        if not pending:
            return  # keep the snapshot: wait for an event after it
        first = pending[0]
        target = last if futures else last + 1
        if not first["U"] <= target <= first["u"]:
            # The snapshot is older than every event we hold: take a newer one.
            logger.info(
                "order book snapshot of %s too old (%d < %d)", self.symbol, last, first["U"]
            )
            self._snapshot = None
            return
        bids = {Decimal(p): Decimal(q) for p, q in snapshot["bids"]}
        asks = {Decimal(p): Decimal(q) for p, q in snapshot["asks"]}
        previous = None
        for event in pending:
            if previous is not None and not self._continues(previous, event):
                self._pending.clear()
                self._snapshot = None
                self._reason = f"sequence: {event['U']} after {previous}"
                return
            _apply_levels(bids, event["b"])
            _apply_levels(asks, event["a"])
            previous = event["u"]
        pending.clear()
        self._snapshot = None
        self.bids, self.asks = bids, asks
        self.update_id = previous if previous is not None else last
        self.synced = True
        self._events.append(Resynced(self.update_id, self._reason))

    def _continues(self, previous: int, event: Mapping[str, Any]) -> bool:
        if self._futures:
            return bool(event["pu"] == previous)
        return bool(event["U"] == previous + 1)

    def _apply_next(self, event: dict[str, Any]) -> None:
        if event["u"] <= self.update_id:
            return  # already in the book (a duplicate after a snapshot)
        if not self._continues(self.update_id, event):
            expected = self.update_id
            self._lose(f"sequence: {event.get('pu', event['U'])} does not follow {expected}")
            self._buffer(event)
            return
        _apply_levels(self.bids, event["b"])
        _apply_levels(self.asks, event["a"])
        self.update_id = event["u"]
        self._events.append(BookUpdate(self.update_id, event.get("E")))

    async def _rest_snapshot(self, symbol: str, limit: int) -> Snapshot:
        url = self.api.urls[self.market] + _DEPTH_PATHS[self.market]
        result: Snapshot = await self.api.request("GET", url, {"symbol": symbol, "limit": limit})
        return result

    def __repr__(self) -> str:
        state = "synced" if self.synced else "syncing"
        return f"<LocalOrderBook {self.market} {self.symbol} {state} at {self.update_id}>"


def _retrieve(task: asyncio.Task[Snapshot]) -> None:
    """Read a dropped snapshot's outcome, so that its error is not reported as never
    retrieved (the book no longer needs it)."""
    if not task.cancelled():
        task.exception()


def _apply_levels(side: dict[Decimal, Decimal], levels: list[list[str]]) -> None:
    for price_text, qty_text in levels:
        price = Decimal(price_text)
        if qty_text == "0" or Decimal(qty_text) == 0:
            side.pop(price, None)
        else:
            side[price] = Decimal(qty_text)
