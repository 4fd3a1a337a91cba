"""``OkxOrderBooks``: several instruments' books on one connection, each resynced alone.
A checksum failure on one book resubscribes its channel on the same connection
(``unsubscribe`` then ``subscribe``: no new connection, counted by the server's
handshakes) while the other book receives every update, with no gap and no resync; the
connection restart stays the fallback when the resubscribe is refused or its snapshot
does not come."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from okx_ws_helpers import (
    FAST,
    ExchangeBook,
    OkxDialect,
    free_connections,
    requests_sent,
    starting_book,
    ws,
)

from aioca.stream import Gap, GapReason, StreamEvent
from aioca_okx.streams import BookResynced, BookUpdated, OkxOrderBooks, okx_settings

BTC, ETH = "books:BTC-USDT", "books:ETH-USDT"


def corrupted(update: str) -> str:
    """``update`` with a checksum that does not match (a frame damaged on its way)."""
    message = json.loads(update)
    message["data"][0]["checksum"] = 12345
    return json.dumps(message)


def exchange_and_dialect() -> tuple[dict[str, ExchangeBook], OkxDialect]:
    """Two books as OKX holds them, and a server dialect that sends a book's snapshot
    after every subscribe of its channel."""
    exchange = {book.topic: book for book in (starting_book("BTC-USDT"), starting_book("ETH-USDT"))}
    return exchange, OkxDialect(on_subscribe=lambda topic: [exchange[topic].snapshot()])


def open_books(server: Any, **options: Any) -> OkxOrderBooks:
    options.setdefault("settings", FAST)
    return OkxOrderBooks(
        ["BTC-USDT", "ETH-USDT"], url=server.url, limiter=free_connections(), **options
    )


async def started(books: OkxOrderBooks) -> None:
    """Both books built from their first snapshots, on one connection."""
    first = [await books.next(5), await books.next(5)]
    assert {event.inst_id for event in first} == {"BTC-USDT", "ETH-USDT"}
    assert all(isinstance(event, BookResynced) and event.reason == "start" for event in first)


async def test_a_checksum_failure_resyncs_one_book_in_place_the_other_misses_nothing() -> None:
    exchange, dialect = exchange_and_dialect()
    btc, eth = exchange[BTC], exchange[ETH]
    events: list[StreamEvent] = []
    async with ws.WsFaultServer(dialect) as server:
        books = open_books(server)
        books.stream.add_listener(events.append)
        async with books:
            await started(books)
            assert len(server.history) == 1  # both books on one connection
            # BTC's book moves at OKX, but the update arrives damaged: BTC must resync.
            await server.publish(ETH, eth.update([["99.8", "1", "0", "1"]]))
            await server.publish(BTC, corrupted(btc.update([["100.15", "9", "0", "1"]])))
            # ETH goes on while BTC resubscribes, and after
            for step in range(10):
                await server.publish(ETH, eth.update([[f"{98 + step / 10:.1f}", "2", "0", "1"]]))
            eth_seen: list[int | None] = []
            btc_seen: list[BookUpdated | BookResynced] = []
            while len(eth_seen) < 11 or not btc_seen:
                event = await books.next(5)
                if event.inst_id == "ETH-USDT":
                    assert isinstance(event, BookUpdated)
                    assert books["ETH-USDT"].synced
                    eth_seen.append(event.seq_id)
                else:
                    btc_seen.append(event)
            # the damaged update never showed; BTC rebuilt from the fresh snapshot
            (resynced,) = btc_seen
            assert isinstance(resynced, BookResynced)
            assert resynced.reason.startswith("checksum: ")
            assert books["BTC-USDT"].levels(100) == btc.levels()
            assert books["BTC-USDT"].seq_id == btc.seq
            # and both go on
            await server.publish(BTC, btc.update([["100.15", "0", "0", "0"]]))
            await server.publish(ETH, eth.update([["99.9", "0", "0", "0"]]))
            assert {await books.next(5), await books.next(5)} == {
                BookUpdated(btc.seq, "BTC-USDT"),
                BookUpdated(eth.seq, "ETH-USDT"),
            }
            assert books["BTC-USDT"].levels(100) == btc.levels()
            assert books["ETH-USDT"].levels(100) == eth.levels()
            # one connection all along: OKX got one unsubscribe and one subscribe, of BTC
            assert len(server.history) == 1
            assert requests_sent(dialect) == [
                ("subscribe", [BTC, ETH]),
                ("unsubscribe", [BTC]),
                ("subscribe", [BTC]),
            ]
    assert eth_seen == list(range(101, 112))  # every ETH update, in order
    assert books["ETH-USDT"].resyncs == 0
    assert books["BTC-USDT"].resyncs == 1
    assert books["BTC-USDT"].checksum_failures == 1
    gaps = [event for event in events if isinstance(event, Gap)]
    assert [(gap.reason, gap.topics) for gap in gaps] == [(GapReason.SEQUENCE, (BTC,))]
    stats = books.stream.stats
    assert stats.connects == 1
    assert stats.resubscribes == 1
    assert stats.gap_reasons == {"sequence": 1}


class RefusingUnsubscribe(OkxDialect):
    """OKX's dialect, but every ``unsubscribe`` is refused (error 60012)."""

    def handle(self, server: Any, connection: Any, text: str) -> list[str]:
        if text != "ping" and json.loads(text)["op"] == "unsubscribe":
            request = json.loads(text)
            self.requests.append(request)
            error = {"id": request["id"], "event": "error", "code": "60012", "msg": "Bad"}
            return [json.dumps(error)]
        return super().handle(server, connection, text)


async def test_a_refused_resubscribe_falls_back_to_a_new_connection(
    caplog: pytest.LogCaptureFixture,
) -> None:
    exchange, _ = exchange_and_dialect()
    btc, eth = exchange[BTC], exchange[ETH]
    dialect = RefusingUnsubscribe(on_subscribe=lambda topic: [exchange[topic].snapshot()])
    async with ws.WsFaultServer(dialect) as server, open_books(server) as books:
        await started(books)
        await server.publish(BTC, corrupted(btc.update([["100.15", "9", "0", "1"]])))
        resynced = {}
        while len(resynced) < 2:
            event = await books.next(5)
            assert isinstance(event, BookResynced)
            resynced[event.inst_id] = event.reason
        assert len(server.history) == 2  # the fallback: a new connection
        assert books["BTC-USDT"].levels(100) == btc.levels()
        assert books["ETH-USDT"].levels(100) == eth.levels()
    assert resynced["BTC-USDT"].startswith("checksum: ")
    assert resynced["ETH-USDT"] == "gap: disconnected"  # it shared the restarted connection
    assert books.stream.stats.resubscribes == 0
    assert "60012" in caplog.text
    assert "restarting their connection" in caplog.text


async def test_a_resubscribe_whose_snapshot_never_comes_falls_back_to_a_new_connection() -> None:
    exchange, dialect = exchange_and_dialect()
    btc = exchange[BTC]
    snapshots = dialect.on_subscribe
    async with (
        ws.WsFaultServer(dialect) as server,
        open_books(server, snapshot_timeout=0.3) as books,
    ):
        await started(books)
        dialect.on_subscribe = lambda topic: []  # OKX forgets the snapshot once
        await server.publish(BTC, corrupted(btc.update([["100.15", "9", "0", "1"]])))
        reading = asyncio.create_task(books.next(5))
        await ws.until(lambda: len(dialect.requests) == 3)  # unsubscribe, subscribe
        dialect.on_subscribe = snapshots
        assert len(server.history) == 1
        event = await reading
        while event.inst_id != "BTC-USDT":
            event = await books.next(5)
        assert isinstance(event, BookResynced)
        assert event.reason == "no snapshot within 0.3 s"
        assert len(server.history) == 2
        assert books["BTC-USDT"].levels(100) == btc.levels()
    assert books.stream.stats.resubscribes == 1


async def test_an_overflow_resubscribes_every_book_in_place_at_once() -> None:
    exchange, dialect = exchange_and_dialect()
    btc, eth = exchange[BTC], exchange[ETH]
    settings = okx_settings(backoff=FAST.backoff, buffer_size=5)
    async with (
        ws.WsFaultServer(dialect) as server,
        open_books(server, settings=settings) as books,
    ):
        await started(books)
        for step in range(10):  # the consumer does not read: the buffer overflows
            await server.publish(BTC, btc.update([[f"{101 + step}.0", "1", "0", "1"]]))
            await server.publish(ETH, eth.update([[f"{101 + step}.0", "1", "0", "1"]]))
        await ws.until(lambda: books.stream.stats.dropped > 0)
        resynced = {}
        while len(resynced) < 2:
            event = await books.next(5)
            if isinstance(event, BookResynced):
                resynced[event.inst_id] = event.reason
        assert resynced == {"BTC-USDT": "gap: overflow", "ETH-USDT": "gap: overflow"}
        assert books["BTC-USDT"].levels(100) == btc.levels()
        assert books["ETH-USDT"].levels(100) == eth.levels()
        assert len(server.history) == 1
        assert requests_sent(dialect)[1:] == [
            ("unsubscribe", [BTC, ETH]),
            ("subscribe", [BTC, ETH]),
        ]


def test_books_need_an_instrument() -> None:
    with pytest.raises(ValueError, match="at least one"):
        OkxOrderBooks([])
