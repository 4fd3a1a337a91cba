"""OKX public channels on the core stream: tickers, trades, and the checksummed book,
against a loopback server that speaks OKX's WebSocket dialect."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from okx_ws_helpers import FAST, OkxDialect, push, requests_sent, ws

from aioca.stream import GapReason, SubscriptionError
from aioca_okx.streams import (
    BookResynced,
    BookUpdated,
    OkxOrderBook,
    OkxPublicProtocol,
    OkxTicker,
    OkxTrade,
    book_checksum,
    okx_settings,
    public_stream,
)


def test_okx_checksum_matches_the_documented_example() -> None:
    # OKX's documented example: bids [3366.1, 7], [3366, 6], asks [3366.8, 9], [3368, 8]
    bids = [["3366.1", "7", "0", "3"], ["3366", "6", "0", "3"]]
    asks = [["3366.8", "9", "0", "3"], ["3368", "8", "0", "3"]]
    text = "3366.1:7:3366.8:9:3366:6:3368:8"
    import zlib

    expected = zlib.crc32(text.encode())
    expected = expected - (1 << 32) if expected >= 1 << 31 else expected
    assert book_checksum(bids, asks) == expected


def test_topics_are_checked_before_anything_is_sent() -> None:
    with pytest.raises(SubscriptionError) as caught:
        OkxPublicProtocol().check_topics(["tickers:BTC-USDT", "nope:BTC-USDT", "tickers"])
    assert len(caught.value.problems) == 2


@pytest.mark.parametrize(
    ("channel", "tier"), [("books-l2-tbt", "VIP5"), ("books50-l2-tbt", "VIP4")]
)
def test_channels_that_need_a_login_are_refused_with_the_reason(channel: str, tier: str) -> None:
    # OKX serves its tick-by-tick books only after a login, to a VIP tier
    # (https://www.okx.com/help/5399923178253); this public stream never logs in
    with pytest.raises(SubscriptionError) as caught:
        OkxPublicProtocol().check_topics(["bbo-tbt:BTC-USDT", f"{channel}:BTC-USDT"])
    (problem,) = caught.value.problems
    assert f"{channel}:BTC-USDT" in problem
    assert "logged-in" in problem
    assert tier in problem


async def test_a_channel_that_needs_a_login_is_refused_before_anything_is_sent() -> None:
    dialect = OkxDialect()
    async with ws.WsFaultServer(dialect) as server:
        stream = public_stream("books-l2-tbt:BTC-USDT", url=server.url, settings=FAST)
        with pytest.raises(SubscriptionError, match="VIP5"):
            await stream.start()
        assert server.history == []  # not even a connection
        async with public_stream("tickers:BTC-USDT", url=server.url, settings=FAST) as stream:
            await server.wait_for_subscribers("tickers:BTC-USDT")
            budget = stream.subscribe_limiter.status()[0].used
            with pytest.raises(SubscriptionError, match="VIP4"):
                await stream.subscribe("trades:BTC-USDT", "books50-l2-tbt:BTC-USDT")
            assert stream.subscribe_limiter.status()[0].used == budget  # none spent
            assert requests_sent(dialect) == [("subscribe", ["tickers:BTC-USDT"])]
            assert stream.topics == {"tickers:BTC-USDT"}


async def test_tickers_and_trades_arrive_typed() -> None:
    async with (
        ws.WsFaultServer(OkxDialect()) as server,
        public_stream(
            "tickers:BTC-USDT", "trades:BTC-USDT", url=server.url, settings=FAST
        ) as stream,
    ):
        await server.wait_for_subscribers("trades:BTC-USDT")
        ticker = {"instType": "SPOT", "instId": "BTC-USDT", "last": "65000.1", "ts": "1"}
        await server.publish("tickers:BTC-USDT", push("tickers", "BTC-USDT", [ticker]))
        trade = {"instId": "BTC-USDT", "tradeId": "9", "px": "65000", "sz": "0.01",
                 "side": "buy", "ts": "2"}  # fmt: skip
        await server.publish("trades:BTC-USDT", push("trades", "BTC-USDT", [trade]))
        first, second = await stream.next(5), await stream.next(5)
    assert first.topic == "tickers:BTC-USDT"
    assert isinstance(first.data[0], OkxTicker)
    assert first.data[0].last == Decimal("65000.1")
    assert isinstance(second.data[0], OkxTrade)
    assert second.data[0].price == Decimal("65000")


async def test_a_push_its_model_cannot_read_is_delivered_as_json_on_the_same_connection(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """OKX changing a field (a price that is no number) neither ends the connection nor
    drops the push: it arrives as the decoded JSON, one warning says so, and the pushes
    after it are typed as before."""
    bad = {"instId": "BTC-USDT", "tradeId": "8", "px": "n/a", "sz": "0.01", "side": "buy",
           "ts": "1"}  # fmt: skip
    good = dict(bad, tradeId="9", px="65000")
    async with (
        ws.WsFaultServer(OkxDialect()) as server,
        public_stream("trades:BTC-USDT", url=server.url, settings=FAST) as stream,
    ):
        await server.wait_for_subscribers("trades:BTC-USDT")
        for trade in (bad, bad, good):
            await server.publish("trades:BTC-USDT", push("trades", "BTC-USDT", [trade]))
        got = [await stream.next(5) for _ in range(3)]
        # one connection ever (the server's count: the stream counts its connection only
        # once the worker resumes after the subscription, which the pushes may beat)
        assert len(server.history) == 1
        assert stream.stats.gaps == 0
    assert [message.data for message in got[:2]] == [[bad], [bad]]
    assert isinstance(got[2].data[0], OkxTrade)
    assert got[2].data[0].price == Decimal("65000")
    warnings = [r for r in caplog.records if "do not fit their model" in r.getMessage()]
    assert len(warnings) == 1
    assert warnings[0].getMessage().startswith("trades pushes do not fit their model")


async def test_a_silent_connection_gets_a_text_ping_and_dies_without_a_pong() -> None:
    dialect = OkxDialect(answer_pings=False)
    async with ws.WsFaultServer(dialect) as server:
        settings = okx_settings(ping_interval=0.1, backoff=FAST.backoff)
        async with public_stream("tickers:BTC-USDT", url=server.url, settings=settings) as s:
            gap = await s.next(3)
            assert gap.reason is GapReason.DISCONNECTED
            assert "'ping'" in gap.detail
            assert dialect.pings >= 1


async def test_the_book_verifies_checksums_and_resubscribes_when_one_fails() -> None:
    dialect = OkxDialect()
    async with ws.WsFaultServer(dialect) as server:
        topic = "books:BTC-USDT"
        async with OkxOrderBook("BTC-USDT", url=server.url, settings=FAST) as book:
            await server.wait_for_subscribers(topic)
            bids = [["100.1", "2", "0", "1"], ["100.0", "3", "0", "1"]]
            asks = [["100.2", "1", "0", "1"], ["100.3", "5", "0", "1"]]
            snapshot = {"bids": bids, "asks": asks, "seqId": 10, "prevSeqId": -1,
                        "checksum": book_checksum(bids, asks), "ts": "1"}  # fmt: skip
            await server.publish(topic, push("books", "BTC-USDT", [snapshot], "snapshot"))
            assert isinstance(await book.next(5), BookResynced)
            new_bids = [["100.1", "0", "0", "0"]]
            after_bids = [["100.0", "3", "0", "1"]]
            update = {"bids": new_bids, "asks": [], "seqId": 11, "prevSeqId": 10,
                      "checksum": book_checksum(after_bids, asks)}  # fmt: skip
            await server.publish(topic, push("books", "BTC-USDT", [update], "update"))
            assert isinstance(await book.next(5), BookUpdated)
            assert book.best_bid() == (Decimal("100.0"), Decimal("3"))
            bad = {"bids": [["99.9", "1", "0", "1"]], "asks": [], "seqId": 12, "prevSeqId": 11,
                   "checksum": 12345}  # fmt: skip
            waiting = asyncio.create_task(book.next(5))
            await server.publish(topic, push("books", "BTC-USDT", [bad], "update"))
            # subscribed again, on the same connection
            await ws.until(
                lambda: [r["op"] for r in dialect.requests][1:] == ["unsubscribe", "subscribe"]
            )
            assert len(server.history) == 1
            assert book.checksum_failures == 1
            assert not book.synced
            await server.publish(topic, push("books", "BTC-USDT", [snapshot], "snapshot"))
            resynced = await waiting
            assert isinstance(resynced, BookResynced)
            assert resynced.reason.startswith("checksum: ")
            assert book.resyncs == 1
            assert book.best_bid() == (Decimal("100.1"), Decimal("2"))


async def test_a_refused_channel_raises_okx_s_message() -> None:
    async with ws.WsFaultServer(OkxDialect()) as server:
        server.refuse.add("tickers:NOPE-USDT")
        async with public_stream("tickers:BTC-USDT", url=server.url, settings=FAST) as stream:
            await server.wait_for_subscribers("tickers:BTC-USDT")
            with pytest.raises(SubscriptionError, match="60018"):
                await stream.subscribe("tickers:NOPE-USDT")
