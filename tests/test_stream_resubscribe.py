"""``Stream.resubscribe``: topics subscribed afresh on the connection that carries them,
which stays open (an exchange that sends a snapshot on every subscription gives a fresh
one of those topics alone), and ``Stream.restart(..., topics=...)``, the fallback that
renews only the connections of some topics. Against the loopback server of the core's
stream tests (``{"op": "sub"|"unsub", "topics": [...], "id": n}``, answered by id)."""

from __future__ import annotations

import asyncio
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
from .wsfaultserver import PlainDialect, ServerConnection, WsFaultServer, until


class Unanswered(PlainDialect):
    """Leaves the requests of ``op`` unanswered until :meth:`answer` (the first ``count``
    of them; ``None``: all), applied (``apply``) or lost; answers the others."""

    def __init__(self, op: str, count: int | None = None, *, apply: bool = True) -> None:
        self.op = op
        self.count = count
        self.apply = apply
        self.held: list[tuple[ServerConnection, int]] = []

    def handle(self, server: WsFaultServer, connection: ServerConnection, text: str) -> list[str]:
        request = json.loads(text)
        if request.get("op") != self.op or self.count == 0:
            return super().handle(server, connection, text)
        if self.apply:
            super().handle(server, connection, text)
        if self.count is not None:
            self.count -= 1
        self.held.append((connection, request["id"]))
        return []

    async def answer(self) -> None:
        for connection, request_id in self.held:
            await connection.ws.send_str(json.dumps({"id": request_id, "ok": True}))
        self.held.clear()


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


async def _renewed_and_serving_t1(server: WsFaultServer, stream: Stream[int]) -> None:
    """The stream's next item is a ``disconnected`` gap, a second connection subscribes
    ``t1``, and its messages arrive."""
    gap = await stream.next(5)
    assert isinstance(gap, Gap)
    assert gap.reason is GapReason.DISCONNECTED
    await until(lambda: len(server.history) == 2 and bool(server.subscribed("t1")))
    await publish(server, "t1", range(1, 2))
    assert await take(stream, 1) == [1]


async def test_an_unanswered_unsubscribe_is_a_timeout_and_renews_the_connection() -> None:
    """Whether the exchange applied the unsubscribe is unknown: the connection is renewed
    (a gap), and its successor subscribes every topic."""
    settings = replace(FAST, connect_timeout=0.2)
    async with WsFaultServer() as server, Stream(Plain(server.url, settings), ["t1"]) as stream:
        await server.wait_for_subscribers("t1")
        server.dialect = Unanswered("unsub")
        with pytest.raises(TimeoutError):
            await stream.resubscribe("t1")
        assert stream.stats.resubscribes == 0
        server.dialect = PlainDialect()
        await _renewed_and_serving_t1(server, stream)


async def test_a_resubscribe_cancelled_after_its_unsubscribe_never_leaves_the_topic_unserved() -> (
    None
):
    """Cancelled between its halves, the topic is off a connection that stays open: the
    connection is renewed, with a gap, and the topic is served again."""
    async with WsFaultServer() as server, Stream(Plain(server.url), ["t1", "t2"]) as stream:
        await server.wait_for_subscribers("t2")
        dialect = server.dialect = Unanswered("sub", apply=False)
        resubscribing = asyncio.create_task(stream.resubscribe("t1"))
        await until(lambda: bool(dialect.held))  # the unsubscribe is applied and answered
        assert server.history[0].topics == {"t2"}
        resubscribing.cancel()
        with pytest.raises(asyncio.CancelledError):
            await resubscribing
        server.dialect = PlainDialect()
        await _renewed_and_serving_t1(server, stream)
        assert stream.topics == {"t1", "t2"}
    assert stream.stats.resubscribes == 0


class RefusingSubscribe(PlainDialect):
    """Answers a subscribe with an error (an unsubscribe is applied as usual)."""

    def handle(self, server: WsFaultServer, connection: ServerConnection, text: str) -> list[str]:
        request = json.loads(text)
        if request.get("op") == "sub":
            return [json.dumps({"id": request["id"], "error": "busy"})]
        return super().handle(server, connection, text)


async def test_a_refused_subscribe_renews_the_connection() -> None:
    async with WsFaultServer() as server, Stream(Plain(server.url), ["t1", "t2"]) as stream:
        await server.wait_for_subscribers("t2")
        server.dialect = RefusingSubscribe()
        with pytest.raises(SubscriptionError, match="busy"):
            await stream.resubscribe("t1")
        server.dialect = PlainDialect()
        gap = await stream.next(5)
        assert isinstance(gap, Gap)
        await until(lambda: len(server.history) == 2 and bool(server.subscribed("t1")))
        assert requests(server, -1) == [("sub", ["t1", "t2"])]


async def test_a_connection_being_opened_is_waited_for() -> None:
    """Its subscription is on the wire: the pair goes out after its answer, not across it."""
    dialect = Unanswered("sub", count=1)
    async with WsFaultServer(dialect) as server, Stream(Plain(server.url), ["t1", "t2"]) as stream:
        await until(lambda: bool(dialect.held))
        resubscribing = asyncio.create_task(stream.resubscribe("t1"))
        await asyncio.sleep(0.05)
        assert requests(server) == [("sub", ["t1", "t2"])]  # nothing sent across it
        await dialect.answer()
        await resubscribing
        assert requests(server) == [("sub", ["t1", "t2"]), ("unsub", ["t1"]), ("sub", ["t1"])]
    assert stream.stats.resubscribes == 1


async def test_a_restart_by_topic_names_topics_it_does_not_carry() -> None:
    async with WsFaultServer() as server, Stream(Plain(server.url), ["t1"]) as stream:
        await server.wait_for_subscribers("t1")
        with pytest.raises(TypeError, match="not the string 't1'"):
            stream.restart(GapReason.DISCONNECTED, "why", topics="t1")
        with pytest.raises(SubscriptionError, match="'t9' is not subscribed"):
            stream.restart(GapReason.DISCONNECTED, "why", topics=["t1", "t9"])
        await asyncio.sleep(0.05)
        assert len(server.history) == 1  # nothing restarted
    assert stream.stats.gaps == 0
