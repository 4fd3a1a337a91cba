"""Driving a simulator's depth stream second by second while a client's local order book
follows it, comparing the book with the simulator's own after every event: the shared
body of the order-book tests of the three markets."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from binance_ws import until
from sim_helpers import FakeClock

from aioca.stream import StreamSettings
from aioca_binance import BinanceRestApi
from aioca_binance.streams import BookUpdate, LocalOrderBook, Resynced
from aioca_binance_sim import BinanceSimulator
from aioca_binance_sim.market import book_update_id

__all__ = ["BookRun", "follow_book", "orders_mid_second", "simulated_book"]

Sides = tuple[dict[Decimal, Decimal], dict[Decimal, Decimal]]


@dataclass
class BookRun:
    """What a run saw: every event, how many were compared and how many differed."""

    events: list[Any] = field(default_factory=list)
    checked: int = 0
    mismatches: int = 0

    @property
    def updates(self) -> list[BookUpdate]:
        return [event for event in self.events if isinstance(event, BookUpdate)]

    @property
    def resync_reasons(self) -> list[str]:
        """``start``, then ``gap``/``sequence``... for each resync, in order."""
        return [e.reason.split(":")[0] for e in self.events if isinstance(e, Resynced)]


@contextlib.asynccontextmanager
async def simulated_book(
    sim: BinanceSimulator, market: str, symbol: str, settings: StreamSettings
) -> AsyncIterator[tuple[BinanceRestApi, LocalOrderBook, Any]]:
    """``sim.api()``, a :class:`LocalOrderBook` of ``symbol`` following ``market``'s
    depth stream, and that market's stream hub with its publisher idle (the test publishes,
    second by second, with :func:`follow_book`); the API and the book closed at the end."""
    hub = sim.market_streams[market]
    hub.publish_interval = 3600.0
    api = sim.api()
    book = LocalOrderBook(
        market, symbol, api=api, limit=1000, base_url=sim.ws_urls[market], settings=settings
    )
    async with api, book:
        yield api, book, hub


def orders_mid_second(
    clock: FakeClock, place: Callable[[str], Awaitable[None]], *, every: int = 7
) -> Callable[[int], Awaitable[None]]:
    """A ``between`` hook for :func:`follow_book`: at every ``every``-th step, 0.4 s after
    that second's diff went out (before the next), ``place(side)`` sends the account's
    order, ``"BUY"`` and ``"SELL"`` in turn; then the clock is back on the whole second
    the hub publishes from."""

    async def between(step: int) -> None:
        if step % every != 3:
            return
        clock.advance(0.4)
        await place("BUY" if step % (2 * every) == 3 else "SELL")
        clock.advance(-0.4)

    return between


async def follow_book(
    book: LocalOrderBook,
    hub: Any,
    clock: FakeClock,
    expected: Callable[[int], Sides],
    update_id: Callable[[int], int],
    *,
    symbol: str,
    steps: int,
    drops: Collection[int] = (),
    skips: Collection[int] = (),
    between: Callable[[int], Awaitable[None]] | None = None,
    snapshots: Callable[[], int] | None = None,
) -> BookRun:
    """Publish ``steps`` seconds of ``hub`` (its publisher idle: the test publishes),
    dropping every connection at the steps in ``drops`` and leaving out the diff of the
    steps in ``skips``; after each published second, wait until ``book`` has reached
    ``update_id(second)``, then await ``between(step)`` (what happens before the next
    publication: the account's orders...). ``expected(update_id)`` is the simulator's own
    book then. A depth topic publishes every 100-1000 ms (its speed), its ids those of
    :func:`~aioca_binance_sim.market.book_update_id`: the wait is then for the last diff
    of the second, whatever ``update_id`` says.

    ``snapshots()`` (Spot: the simulator's count of ``/api/v3/depth`` requests) is for
    Spot's rule, which drops a diff whose ``u`` is the snapshot's ``lastUpdateId``: a book
    that asked for its snapshot at a publication (start, drop, skipped update) holds every
    diff published so far in it and starts with the next publication, so that step waits
    for the request instead of the book, and the next step checks the book again."""
    run = BookRun()
    progressed = asyncio.Event()

    async def reached(target: int) -> None:
        async with asyncio.timeout(5.0):
            while not (book.synced and book.update_id >= target):
                await progressed.wait()
                progressed.clear()

    async def consume() -> None:
        async for event in book:
            run.events.append(event)
            run.checked += 1
            if (book.bids, book.asks) != expected(book.update_id):
                run.mismatches += 1
            progressed.set()

    def target(second: int) -> int:
        topics = hub.connections[0].topics if hub.connections else set()
        found = [hub.source.find(topic) for topic in topics]
        if any(f is not None and f[0].period is not None for f in found):
            return max(update_id(second), book_update_id(second * 1000))
        return update_id(second)

    async def synced_or_asked(snapshots: Callable[[], int], goal: int, asked: int) -> bool:
        """Wait until the book reached ``goal`` or asked for a snapshot (more than
        ``asked``): whether it is to be checked now (not waiting for the next diff)."""
        await until(lambda: (book.synced and book.update_id >= goal) or snapshots() > asked)
        return book.synced or snapshots() == asked

    consumer = asyncio.create_task(consume())
    try:
        await until(lambda: len(hub.connections) == 1)
        await until(lambda: bool(hub.connections[0].topics))
        for step in range(steps):
            clock.advance(1.0)
            asked = snapshots() if snapshots is not None else 0
            if step in drops:
                await hub.drop()
                await until(lambda: len(hub.connections) == 1)
            if step in skips:
                hub.skip_update(symbol)
                await hub.publish()
                continue  # nothing to see until the next diff shows the jump
            await hub.publish()
            goal = target(int(clock.now))
            if snapshots is None or await synced_or_asked(snapshots, goal, asked):
                await reached(goal)
            if between is not None:
                await between(step)
    finally:
        consumer.cancel()
        await asyncio.gather(consumer, return_exceptions=True)
    return run
