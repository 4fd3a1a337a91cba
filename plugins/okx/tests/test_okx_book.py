"""``OkxOrderBook`` when continuity is lost: an overflow of the stream's buffer, an update
whose checksum fails, an update out of sequence. OKX sends a snapshot only when a channel
is subscribed, so the book must subscribe again every time (on the same connection:
unsubscribe, then subscribe), must say so (a gap counted and passed to listeners), and
must never show an update it refused."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest
from okx_ws_helpers import (
    FAST,
    ExchangeBook,
    OkxDialect,
    free_connections,
    push,
    requests_sent,
    starting_book,
    ws,
)

from aioca.stream import Gap, GapReason, StreamEvent
from aioca_okx.streams import BookResynced, BookUpdated, OkxOrderBook, okx_settings

RESUBSCRIBED = [("unsubscribe", ["books:BTC-USDT"]), ("subscribe", ["books:BTC-USDT"])]
"""What the book sends on its connection to resync: OKX answers each with an event, and
sends a snapshot after the subscribe's."""

TOPIC = "books:BTC-USDT"


async def test_an_overflow_gap_resubscribes_and_the_book_is_right_again() -> None:
    exchange = starting_book()
    dialect = OkxDialect(on_subscribe=lambda topic: [exchange.snapshot()])
    settings = okx_settings(backoff=FAST.backoff, buffer_size=5)
    async with ws.WsFaultServer(dialect) as server:
        book = OkxOrderBook("BTC-USDT", url=server.url, settings=settings,
                            limiter=free_connections())  # fmt: skip
        async with book:
            first = await book.next(5)
            assert isinstance(first, BookResynced)
            assert first.reason == "start"
            for step in range(20):  # the consumer does not read: the buffer overflows
                price = f"{101 + step}.0"
                await server.publish(TOPIC, exchange.update([[price, "1", "0", "1"]]))
            await ws.until(lambda: book.stream.stats.dropped > 0)
            seen = [await book.next(5)]
            while not isinstance(seen[-1], BookResynced):
                seen.append(await book.next(5))
            resynced = seen[-1]
            assert resynced.reason == "gap: overflow"
            assert book.synced
            assert book.resyncs == 1
            assert len(server.history) == 1  # subscribed again, on the same connection
            assert requests_sent(dialect)[1:] == RESUBSCRIBED
            assert book.seq_id == exchange.seq == 120
            assert book.levels(100) == exchange.levels()
            assert book.best_bid() == (Decimal("120.0"), Decimal("1"))
            # and it goes on from the fresh snapshot
            await server.publish(TOPIC, exchange.update([[f"{120}.0", "0", "0", "0"]]))
            assert await book.next(5) == BookUpdated(121, "BTC-USDT")
            assert book.levels(100) == exchange.levels()
            assert book.best_bid() == (Decimal("119.0"), Decimal("1"))
    assert book.stream.stats.gap_reasons == {"overflow": 1}  # no connection closed
    assert book.stream.stats.resubscribes == 1


BAD_CHECKSUM = "checksum"
OUT_OF_SEQUENCE = "sequence"
UNREADABLE = "unreadable"


def refused_update(kind: str, exchange: ExchangeBook) -> dict[str, Any]:
    """An update that would move the best bid and remove an ask, but that the book must
    refuse: a wrong checksum, a ``prevSeqId`` that skips one, or levels its model cannot
    read (delivered as JSON by the stream)."""
    bids, asks = [["100.15", "9", "0", "1"]], [["100.2", "0", "0", "0"]]
    if kind == UNREADABLE:
        return {"bids": {"100.15": "9"}, "asks": asks, "seqId": exchange.seq + 1,
                "prevSeqId": exchange.seq, "checksum": 12345}  # fmt: skip
    if kind == BAD_CHECKSUM:
        return {"bids": bids, "asks": asks, "seqId": exchange.seq + 1,
                "prevSeqId": exchange.seq, "checksum": 12345}  # fmt: skip
    return {"bids": bids, "asks": asks, "seqId": exchange.seq + 2,
            "prevSeqId": exchange.seq + 1, "checksum": 12345}  # fmt: skip


@pytest.mark.parametrize("kind", [BAD_CHECKSUM, OUT_OF_SEQUENCE, UNREADABLE])
async def test_a_refused_update_is_a_gap_and_never_shows_in_the_book(kind: str) -> None:
    exchange = starting_book()
    dialect = OkxDialect()
    async with ws.WsFaultServer(dialect) as server:
        book = OkxOrderBook("BTC-USDT", url=server.url, settings=FAST,
                            limiter=free_connections())  # fmt: skip
        async with book:
            events: list[StreamEvent] = []
            book.stream.add_listener(events.append)
            await server.wait_for_subscribers(TOPIC)
            await server.publish(TOPIC, exchange.snapshot())
            assert isinstance(await book.next(5), BookResynced)
            # an update that passes first: the book is live
            await server.publish(TOPIC, exchange.update([["99.9", "6", "0", "2"]]))
            assert await book.next(5) == BookUpdated(101, "BTC-USDT")
            before = book.levels(100)
            task = asyncio.create_task(book.next(5))
            item = push("books", "BTC-USDT", [refused_update(kind, exchange)], "update")
            await server.publish(TOPIC, item)
            await ws.until(lambda: not book.synced)
            # The book still shows its last consistent state, not the refused update.
            assert book.levels(100) == before
            assert book.best_bid() == (Decimal("100.1"), Decimal("2"))
            assert book.best_ask() == (Decimal("100.2"), Decimal("1"))
            assert book.checksum_failures == (1 if kind == BAD_CHECKSUM else 0)
            # The gap is counted and passed to the listeners.
            await ws.until(lambda: book.stream.stats.gaps == 1)
            assert book.stream.stats.gap_reasons == {"sequence": 1}
            gaps = [event for event in events if isinstance(event, Gap)]
            assert len(gaps) == 1
            assert gaps[0].reason is GapReason.SEQUENCE
            assert gaps[0].topics == (TOPIC,)
            assert kind in gaps[0].detail
            # OKX's remedy: subscribed again on the same connection, the fresh snapshot
            # rebuilds the book.
            await ws.until(lambda: requests_sent(dialect)[1:] == RESUBSCRIBED)
            assert len(server.history) == 1
            assert server.subscribed(TOPIC) == server.history
            assert book.levels(100) == before
            exchange.update([["100.05", "7", "0", "1"]])
            await server.publish(TOPIC, exchange.snapshot())
            resynced = await task
    assert isinstance(resynced, BookResynced)
    assert resynced.reason.startswith(kind)
    assert book.synced
    assert book.resyncs == 1
    assert book.levels(100) == exchange.levels()
    assert book.stream.stats.gaps == 1
    assert book.stream.stats.connects == 1


async def test_unreadable_pushes_while_resyncing_resubscribe_once() -> None:
    """OKX changed a field: every push of the book is unreadable. The first takes the book
    out of step and resubscribes it; those that follow before the fresh snapshot are
    ignored, as any update while the book waits for its snapshot: not a gap and a
    resubscribe (two requests of the hourly budget) each."""
    exchange = starting_book()
    dialect = OkxDialect()
    async with ws.WsFaultServer(dialect) as server:
        book = OkxOrderBook("BTC-USDT", url=server.url, settings=FAST,
                            limiter=free_connections())  # fmt: skip
        async with book:
            await server.wait_for_subscribers(TOPIC)
            await server.publish(TOPIC, exchange.snapshot())
            assert isinstance(await book.next(5), BookResynced)
            task = asyncio.create_task(book.next(5))
            for _ in range(3):
                item = push("books", "BTC-USDT", [refused_update(UNREADABLE, exchange)], "update")
                await server.publish(TOPIC, item)
            await ws.until(lambda: requests_sent(dialect)[1:3] == RESUBSCRIBED)
            await server.publish(TOPIC, exchange.snapshot())
            resynced = await task
            await asyncio.sleep(0.1)  # a second resubscribe would be on its way
            assert requests_sent(dialect)[1:] == RESUBSCRIBED
    assert isinstance(resynced, BookResynced)
    assert resynced.reason.startswith(UNREADABLE)
    assert book.stream.stats.gaps == 1
    assert book.resyncs == 1


async def test_a_snapshot_whose_checksum_fails_is_not_taken() -> None:
    exchange = starting_book()
    dialect = OkxDialect()
    async with ws.WsFaultServer(dialect) as server:
        book = OkxOrderBook("BTC-USDT", url=server.url, settings=FAST,
                            limiter=free_connections())  # fmt: skip
        async with book:
            await server.wait_for_subscribers(TOPIC)
            bids, asks = exchange.levels()
            item = {"bids": bids, "asks": asks, "seqId": 5, "prevSeqId": -1, "checksum": 1}
            task = asyncio.create_task(book.next(5))
            await server.publish(TOPIC, push("books", "BTC-USDT", [item], "snapshot"))
            await ws.until(lambda: book.checksum_failures == 1)
            assert book.bids == {}
            assert book.asks == {}
            await ws.until(lambda: requests_sent(dialect)[1:] == RESUBSCRIBED)
            await server.publish(TOPIC, exchange.snapshot())
            resynced = await task
    assert isinstance(resynced, BookResynced)
    assert resynced.reason.startswith("checksum: ")
    assert len(server.history) == 1
    assert book.levels(100) == exchange.levels()


async def test_an_overdue_snapshot_resubscribes_again() -> None:
    exchange = starting_book()
    async with ws.WsFaultServer(OkxDialect()) as server:
        book = OkxOrderBook("BTC-USDT", url=server.url, settings=FAST, snapshot_timeout=0.3,
                            limiter=free_connections())  # fmt: skip
        async with book:
            await server.wait_for_subscribers(TOPIC)  # no snapshot comes on this one
            dialect = server.dialect
            dialect.on_subscribe = lambda topic: [exchange.snapshot()]
            resynced = await book.next(5)
    assert isinstance(resynced, BookResynced)
    assert resynced.reason == "no snapshot within 0.3 s"
    assert len(server.history) == 2
    assert book.levels(100) == exchange.levels()


async def test_a_lost_connection_resyncs_from_the_reconnection_s_snapshot() -> None:
    exchange = starting_book()
    dialect = OkxDialect(on_subscribe=lambda topic: [exchange.snapshot()])
    async with ws.WsFaultServer(dialect) as server:
        book = OkxOrderBook("BTC-USDT", url=server.url, settings=FAST,
                            limiter=free_connections())  # fmt: skip
        async with book:
            assert isinstance(await book.next(5), BookResynced)
            exchange.update([["100.05", "7", "0", "1"]])  # while the connection is down
            await server.drop()
            # read only once the reconnection is up and its snapshot is in
            await ws.until(lambda: len(server.history) == 2 and bool(server.subscribed(TOPIC)))
            await ws.until(lambda: book.stream.stats.received == 2)
            resynced = await book.next(5)
            assert isinstance(resynced, BookResynced)
            assert resynced.reason == "gap: disconnected"
            assert book.levels(100) == exchange.levels()
            # the reconnection subscribed again: the book opened no connection of its own
            await asyncio.sleep(0.2)
            assert len(server.history) == 2
            assert book.synced
