"""``Stream.resubscribe``: topics subscribed afresh on the connection that carries them,
which stays open (an exchange that sends a snapshot on every subscription gives a fresh
one of those topics alone), and ``Stream.restart(..., topics=...)``, the fallback that
renews only the connections of some topics. Against the loopback server of the core's
stream tests (``{"op": "sub"|"unsub", "topics": [...], "id": n}``, answered by id)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from aioca.stream import (
    Gap,
    GapReason,
    Resubscribed,
    Stream,
    StreamClosedError,
    StreamEvent,
    SubscriptionError,
)

from .test_stream import FAST, Plain, publish, take
from .wsfaultserver import WsFaultServer, until


def requests(server: WsFaultServer, connection: int = 0) -> list[tuple[str, list[str]]]:
    """What one connection was sent, in order: ``(op, topics)``."""
    sent = [json.loads(text) for text in server.history[connection].received]
    return [(request["op"], request["topics"]) for request in sent]


async def test_a_resubscribe_renews_one_topic_on_the_same_connection() -> None:
    events: list[StreamEvent] = []
    async with WsFaultServer() as server, Stream(Plain(server.url), ["t1", "t2"]) as stream:
        stream.add_listener(events.append)
        await server.wait_for_subscribers("t2")
        await publish(server, "t1", range(1, 3))
        await publish(server, "t2", range(1, 3))
        assert await take(stream, 4) == [1, 2, 1, 2]
        await stream.resubscribe("t1")
        # one connection, sent unsubscribe then subscribe of t1 alone
        assert len(server.history) == 1
        assert requests(server)[1:] == [("unsub", ["t1"]), ("sub", ["t1"])]
        assert server.history[0].topics == {"t1", "t2"}
        # every topic goes on, without a gap
        await publish(server, "t2", range(3, 5))
        await publish(server, "t1", range(3, 4))
        assert await take(stream, 3) == [3, 4, 3]
        assert stream.topics == {"t1", "t2"}
    assert stream.stats.gaps == 0
    assert stream.stats.connects == 1
    assert stream.stats.resubscribes == 1
    assert [e for e in events if isinstance(e, (Gap, Resubscribed))] == [
        Resubscribed(f"{server.url}/ws", ("t1",))
    ]


async def test_topics_not_subscribed_are_refused_before_anything_is_sent() -> None:
    async with WsFaultServer() as server, Stream(Plain(server.url), ["t1"]) as stream:
        await server.wait_for_subscribers("t1")
        sent = len(server.history[0].received)
        with pytest.raises(SubscriptionError) as caught:
            await stream.resubscribe("t1", "t7", "t8")
        assert caught.value.problems == ("'t7' is not subscribed", "'t8' is not subscribed")
        assert len(server.history[0].received) == sent
    assert stream.stats.resubscribes == 0


async def test_before_the_stream_opens_its_own_topics_need_nothing() -> None:
    stream = Stream(Plain("ws://127.0.0.1:1"), ["t1"])
    await stream.resubscribe("t1")  # the opening subscribes it
    with pytest.raises(SubscriptionError, match="'t2' is not subscribed"):
        await stream.resubscribe("t2")
    await stream.aclose()
    with pytest.raises(StreamClosedError):
        await stream.resubscribe("t1")


async def test_a_refusal_raises_and_a_restart_by_topic_renews_that_connection_alone() -> None:
    settings = replace(FAST, max_topics_per_connection=1)  # t1 and t2 on two connections
    events: list[StreamEvent] = []
    async with (
        WsFaultServer() as server,
        Stream(Plain(server.url, settings), ["t1", "t2"]) as stream,
    ):
        stream.add_listener(events.append)
        await server.wait_for_subscribers("t1")
        await server.wait_for_subscribers("t2")
        assert len(server.history) == 2
        server.refuse.add("t1")
        with pytest.raises(SubscriptionError, match="unknown topic t1"):
            await stream.resubscribe("t1")
        assert stream.stats.resubscribes == 0
        assert len(server.history) == 2  # a refusal closes nothing
        server.refuse.clear()
        (other,) = server.subscribed("t2")
        stream.restart(GapReason.DISCONNECTED, "resubscribe refused", topics=["t1"])
        gap = await stream.next(5)
        assert isinstance(gap, Gap)
        assert gap.topics == ("t1",)
        await until(lambda: len(server.history) == 3 and bool(server.subscribed("t1")))
        assert server.subscribed("t2") == [other]  # t2's connection untouched
        await publish(server, "t2", range(1, 2))
        await publish(server, "t1", range(1, 2))
        assert sorted(await take(stream, 2)) == [1, 1]
    assert stream.stats.gap_reasons == {"disconnected": 1}


async def test_a_connection_that_is_down_is_left_to_its_reconnection() -> None:
    async with WsFaultServer() as server, Stream(Plain(server.url), ["t1", "t2"]) as stream:
        await server.wait_for_subscribers("t2")
        server.handshake_status = 503  # the reconnection waits
        await server.drop()
        gap = await stream.next(5)
        assert isinstance(gap, Gap)
        await stream.resubscribe("t1")  # nothing to send: the reconnection subscribes all
        assert stream.stats.resubscribes == 0
        server.handshake_status = None
        await until(lambda: bool(server.subscribed("t1")) and bool(server.subscribed("t2")))
        assert requests(server, -1) == [("sub", ["t1", "t2"])]


async def test_a_reply_that_never_comes_is_a_timeout() -> None:
    settings = replace(FAST, connect_timeout=0.2)
    async with WsFaultServer() as server, Stream(Plain(server.url, settings), ["t1"]) as stream:
        await server.wait_for_subscribers("t1")
        server.dialect.handle = lambda *args: []  # type: ignore[method-assign]
        with pytest.raises(TimeoutError):
            await stream.resubscribe("t1")
        assert stream.stats.resubscribes == 0
        assert len(server.history) == 1
