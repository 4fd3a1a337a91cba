"""The core stream against a fault-injecting WebSocket server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, NamedTuple

import pytest
from aiohttp import web

from aioca import RateLimiter, TaskOperator, TaskRing, Window
from aioca.stream import (
    Backoff,
    Connected,
    ConnectionLimiter,
    Draining,
    Frame,
    Gap,
    GapReason,
    NextMessage,
    Reply,
    Request,
    Restart,
    Rotate,
    Rotated,
    Stream,
    StreamClosedError,
    StreamError,
    StreamEvent,
    StreamProtocol,
    StreamSettings,
    SubscriptionError,
)
from aioca.stream.connection import Link

from .wsfaultserver import WsFaultServer, until

FAST = StreamSettings(
    heartbeat=None,
    connect_timeout=2.0,
    backoff=Backoff(initial=0.02, maximum=0.05, minimum=0.01),
)


class Plain(StreamProtocol[int]):
    """Frames ``{"topic": t, "seq": n}``; subscriptions ``{"op": "sub", ...}``."""

    def __init__(self, base: str, settings: StreamSettings = FAST, *, in_url: bool = False):
        self.base = base
        self.settings = settings
        self.in_url = in_url
        self.prepared = 0
        self.next_id = 0

    async def prepare(self, session: Any, group: str) -> None:
        self.prepared += 1

    def check_topics(self, topics: Sequence[str]) -> None:
        bad = [f"{topic!r} is not a topic" for topic in topics if not topic.startswith("t")]
        if bad:
            raise SubscriptionError(bad)

    def url(self, group: str, topics: Sequence[str]) -> str:
        if self.in_url:
            return f"{self.base}/ws?topics={','.join(topics)}"
        return f"{self.base}/ws"

    def topics_in_url(self, group: str, topics: Sequence[str]) -> Sequence[str]:
        return topics if self.in_url else ()

    def _request(self, op: str, topics: Sequence[str]) -> list[Request]:
        self.next_id += 1
        return [Request({"op": op, "topics": list(topics), "id": self.next_id}, self.next_id)]

    def subscribe(self, topics: Sequence[str]) -> list[Request]:
        return self._request("sub", topics)

    def unsubscribe(self, topics: Sequence[str]) -> list[Request]:
        return self._request("unsub", topics)

    def parse(self, text: str) -> Frame[int] | Reply | Restart | Rotate | None:
        data = json.loads(text)
        if "id" in data:
            return Reply(data["id"], data.get("error"))
        if data.get("expired"):
            return Restart(GapReason.SESSION, "the token expired")
        if data.get("shutdown"):
            return Rotate("the server shuts down")
        return Frame(data["topic"], data["seq"])


def frame(topic: str, seq: int) -> str:
    return json.dumps({"topic": topic, "seq": seq})


async def publish(
    server: WsFaultServer, topic: str, seqs: range, to: Sequence[Any] | None = None
) -> None:
    for seq in seqs:
        await server.publish(topic, frame(topic, seq), to)


async def take(stream: Stream[Any], count: int, timeout: float = 5.0) -> list[Any]:
    return [await stream.next(timeout) for _ in range(count)]


async def test_messages_arrive_in_order_as_the_protocol_parses_them() -> None:
    async with WsFaultServer() as server, Stream(Plain(server.url), ["t1"]) as stream:
        await server.wait_for_subscribers("t1")
        await publish(server, "t1", range(1, 6))
        assert await take(stream, 5) == [1, 2, 3, 4, 5]
        assert stream.stats.received == stream.stats.delivered == 5
        assert stream.stats.gaps == 0


class Tick(NamedTuple):
    topic: str
    seq: int


class Carried(Plain):
    """Messages that carry their topic (``message_type``): no Frame around them."""

    message_type = Tick

    def parse(self, text: str) -> Any:
        parsed = super().parse(text)
        if isinstance(parsed, Frame):
            return Tick(parsed.topic, parsed.message)
        return parsed


async def test_a_message_of_the_protocols_message_type_is_delivered_as_it_is() -> None:
    async with WsFaultServer() as server, Stream(Carried(server.url), ["t1", "t2"]) as stream:
        await server.wait_for_subscribers("t2")
        await publish(server, "t1", range(1, 3))
        await publish(server, "t2", range(1, 2))
        got = await take(stream, 3)
        assert got == [Tick("t1", 1), Tick("t1", 2), Tick("t2", 1)]
        assert all(type(item) is Tick for item in got)
        await stream.unsubscribe("t1")
        for seq in (3, 4):  # frames in flight after the unsubscribe: dropped by topic
            await server.connections[0].ws.send_str(frame("t1", seq))
        await publish(server, "t2", range(2, 3))
        assert await take(stream, 1) == [Tick("t2", 2)]
        assert stream.stats.received == stream.stats.delivered == 4


def _text_frame(text: str) -> bytes:
    """One unmasked server-to-client WebSocket text frame (payload under 126 bytes)."""
    payload = text.encode()
    assert len(payload) < 126
    return bytes((0x81, len(payload))) + payload


async def test_a_burst_read_at_once_reaches_a_waiting_consumer_before_the_reader_ends_it() -> None:
    # 1000 frames in one write: the socket hands them over in one read. The reader lets
    # the waiting consumer run after a handful, rather than buffering all 1000 first.
    burst = b"".join(_text_frame(frame("t1", seq)) for seq in range(1, 1001))

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        assert request.transport is not None
        request.transport.write(burst)
        async for _ in ws:
            pass
        return ws

    app = web.Application()
    app.router.add_get("/ws", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"ws://127.0.0.1:{runner.addresses[0][1]}"
    try:
        async with Stream(Plain(url, in_url=True), ["t1"]) as stream:
            first = await stream.next(5)
            received_then = stream.stats.received
            rest = await take(stream, 999)
    finally:
        await runner.cleanup()
    assert [first, *rest] == list(range(1, 1001))
    assert received_then <= 200  # handed over after 128, not after the whole burst
    assert stream.stats.delivered == 1000


async def test_topics_in_the_url_need_no_subscribe_request() -> None:
    async with WsFaultServer() as server, Stream(Plain(server.url, in_url=True), ["t1"]) as s:
        await server.wait_for_subscribers("t1")
        await publish(server, "t1", range(1, 3))
        assert await take(s, 2) == [1, 2]
        assert server.history[0].received == []


async def test_bad_topics_are_refused_before_anything_is_sent() -> None:
    async with WsFaultServer() as server:
        stream = Stream(Plain(server.url), ["t1", "x", "y"])
        with pytest.raises(SubscriptionError) as caught:
            await stream.start()
        assert caught.value.problems == ("'x' is not a topic", "'y' is not a topic")
        assert server.history == []


async def test_reconnects_and_resubscribes_after_a_drop_with_a_gap() -> None:
    events: list[StreamEvent] = []
    connected_again = asyncio.Event()

    def listen(event: StreamEvent) -> None:
        events.append(event)
        if [type(e).__name__ for e in events].count("Connected") == 2:
            connected_again.set()

    async with WsFaultServer() as server, Stream(Plain(server.url), ["t1", "t2"]) as stream:
        stream.add_listener(listen)
        await server.wait_for_subscribers("t2")
        await publish(server, "t1", range(1, 4))
        assert await take(stream, 3) == [1, 2, 3]
        await server.drop()
        gap = await stream.next(5)
        assert isinstance(gap, Gap)
        assert gap.reason is GapReason.DISCONNECTED
        assert gap.topics == ("t1", "t2")
        await server.wait_for_subscribers("t1")
        await server.wait_for_subscribers("t2")
        await publish(server, "t2", range(10, 12))
        assert await take(stream, 2) == [10, 11]
        assert len(server.history) == 2
        # The new connection reads while it subscribes, so its first frames can arrive
        # before the connect is counted and announced: wait for that, briefly.
        await asyncio.wait_for(connected_again.wait(), 5)
        assert stream.stats.reconnects == 1
        assert stream.stats.gaps == 1
        assert [type(e).__name__ for e in events].count("Connected") == 2
        assert gap in events


async def test_a_stall_is_detected_by_the_heartbeat_within_one_and_a_half_intervals() -> None:
    settings = replace(FAST, heartbeat=0.2)
    async with WsFaultServer() as server, Stream(Plain(server.url, settings), ["t1"]) as stream:
        await server.wait_for_subscribers("t1")
        await publish(server, "t1", range(1, 2))
        assert await take(stream, 1) == [1]
        server.stall()
        started = time.monotonic()
        gap = await stream.next(3)
        detected = time.monotonic() - started
        assert isinstance(gap, Gap)
        assert gap.reason is GapReason.DISCONNECTED
        assert detected < 1.5 * 0.2 + 0.25  # the documented bound, plus scheduling slack
        await server.wait_for_connections(2)
        await server.wait_for_subscribers("t1")
        await publish(server, "t1", range(2, 3))
        assert await take(stream, 1) == [2]


async def test_an_idle_timeout_reconnects_a_silent_connection() -> None:
    settings = replace(FAST, idle_timeout=0.2)
    async with WsFaultServer() as server, Stream(Plain(server.url, settings), ["t1"]) as stream:
        gap = await stream.next(3)
        assert isinstance(gap, Gap)
        assert "no frame for 0.2 s" in gap.detail
        await server.wait_for_connections(2)


async def test_a_server_close_is_a_gap_and_the_stream_comes_back() -> None:
    async with WsFaultServer() as server, Stream(Plain(server.url), ["t1"]) as stream:
        await server.wait_for_subscribers("t1")
        # Connected on the client's side too: the server sees the SUBSCRIBE before the
        # client has its answer, and a close in between is a failed attempt (nothing was
        # delivered, so no gap), which a loaded machine made happen here.
        await until(lambda: stream.stats.connects == 1)
        await server.close_all(code=1001)
        gap = await stream.next(5)
        assert isinstance(gap, Gap)
        assert "1001" in gap.detail
        await server.wait_for_subscribers("t1")
        await publish(server, "t1", range(7, 8))
        assert await take(stream, 1) == [7]


class Tagged(Plain):
    """Messages ``(topic, seq)``: a test can tell every topic's sequence apart."""

    def parse(self, text: str) -> Any:
        parsed = super().parse(text)
        if isinstance(parsed, Frame):
            return Frame(parsed.topic, (parsed.topic, parsed.message))
        return parsed


async def test_rotation_loses_nothing_and_duplicates_nothing() -> None:
    # Connections live 1.2 s on the server; the stream rotates them after 0.6 s.
    settings = replace(FAST, max_lifetime=1.2, rotation_margin=0.6, overlap_timeout=1.0)
    events: list[StreamEvent] = []
    async with (
        WsFaultServer(lifetime=1.2) as server,
        Stream(Tagged(server.url, settings), ["t1", "t2"]) as stream,
    ):
        stream.add_listener(events.append)
        await server.wait_for_subscribers("t2")

        async def producer() -> None:
            # in bursts, as exchanges send: a connection's reader may take a whole burst
            # before the other connection's reader takes its first frame
            for first in range(1, 1201, 4):
                for seq in range(first, first + 4):
                    await server.publish("t1", frame("t1", seq))
                    await server.publish("t2", frame("t2", seq))
                await asyncio.sleep(0.01)

        task = asyncio.create_task(producer())
        got: list[Any] = []
        while got.count(("t1", 1200)) + got.count(("t2", 1200)) < 2:
            got.append(await stream.next(5))
        await task
        with pytest.raises(TimeoutError):  # nothing after the last ones: no late duplicate
            got.append(await stream.next(0.2))
    assert not [item for item in got if isinstance(item, Gap)]
    rotations = [e for e in events if isinstance(e, Rotated)]
    assert len(rotations) >= 2
    assert not any(r.gap for r in rotations)
    assert stream.stats.rotations == len(rotations)
    assert stream.stats.duplicates > 0
    assert stream.stats.gaps == 0
    # both topics, every number exactly once and in order
    for topic in ("t1", "t2"):
        assert [seq for name, seq in got if name == topic] == list(range(1, 1201))


# The two connections of a rotation are read by two tasks: which one the event loop serves
# first is arbitrary, so either may be several frames ahead of the other when their first
# common frame is found. The server below sends to one connection only, to fix the order.
# Rotation starts 0.5 s after a connection opened (max_lifetime / 2); the server never
# ends a connection by itself unless the test says so.
ROTATING = replace(FAST, max_lifetime=1.0, rotation_margin=0.7, overlap_timeout=3.0)


async def _old_and_successor(server: WsFaultServer, stream: Stream[Any]) -> tuple[Any, Any]:
    """Wait for the rotation's successor to subscribe ``t1``; the two server connections."""
    await server.wait_for_subscribers("t1")
    first = server.subscribed("t1")
    await publish(server, "t1", range(1, 2), to=first)  # never to the successor
    assert await take(stream, 1) == [1]
    await server.wait_for_subscribers("t1", 2)
    old, successor = server.subscribed("t1")
    assert [old] == first
    return old, successor


async def test_rotation_when_the_old_connection_is_ahead_delivers_nothing_twice() -> None:
    # The race behind a broken depth-diff chain: the old connection delivered 2 and 3
    # before the successor's 2 was read. Matching 2 proves the overlap, but the successor's
    # 3 is a duplicate too (it must be dropped, not delivered again).
    events: list[StreamEvent] = []
    async with WsFaultServer() as server, Stream(Plain(server.url, ROTATING), ["t1"]) as stream:
        stream.add_listener(events.append)
        old, successor = await _old_and_successor(server, stream)
        await publish(server, "t1", range(2, 4), to=[old])
        assert await take(stream, 2) == [2, 3]
        await publish(server, "t1", range(2, 5), to=[successor])
        assert await take(stream, 1) == [4]
        await until(lambda: any(isinstance(e, Rotated) for e in events))
        await publish(server, "t1", range(5, 6))
        assert await take(stream, 1) == [5]
        rotated = next(e for e in events if isinstance(e, Rotated))
        assert rotated == Rotated(("t1",), duplicates=2, gap=False)  # the successor's 2 and 3
        assert stream.stats.gaps == 0
        with pytest.raises(TimeoutError):  # and nothing else: no late duplicate
            await stream.next(0.1)


async def test_rotation_when_the_successor_is_ahead_switches_on_the_old_connections_frame() -> None:
    # The successor read 2 and 3 before the old connection did, and the old connection
    # ends right after its 2: the overlap is found when the old connection's 2 arrives (the
    # successor's 3 follows at once), not left to the successor's next frame, which never
    # came while the old connection lived (that was a gap, then 2 and 3 again).
    async with WsFaultServer() as server, Stream(Plain(server.url, ROTATING), ["t1"]) as stream:
        old, successor = await _old_and_successor(server, stream)
        await publish(server, "t1", range(2, 4), to=[successor])
        await until(lambda: stream.stats.received == 3)
        await publish(server, "t1", range(2, 3), to=[old])
        await old.ws.close(code=1000, message=b"lifetime")
        assert await take(stream, 2) == [2, 3]
        await until(lambda: stream.stats.rotations == 1)
        assert stream.stats.duplicates == 1  # the successor's 2
        await publish(server, "t1", range(4, 5))
        assert await take(stream, 1) == [4]
        with pytest.raises(TimeoutError):
            await stream.next(0.1)
        assert stream.stats.gaps == 0


async def test_a_successor_failing_after_the_switch_is_a_gap_not_a_silent_loss() -> None:
    # t1 switched to the successor, so the old connection's 3 was dropped; the successor
    # dies before sending 3: the stream keeps the old connection and must say that t1 has
    # a hole (t2, which never switched, lost nothing).
    async with (
        WsFaultServer() as server,
        Stream(Plain(server.url, ROTATING), ["t1", "t2"]) as stream,
    ):
        await server.wait_for_subscribers("t2")
        old, successor = await _old_and_successor(server, stream)
        await server.wait_for_subscribers("t2", 2)
        await publish(server, "t1", range(2, 3))
        assert await take(stream, 1) == [2]
        await until(lambda: stream.stats.received == 3)  # both 2s: t1 switched
        await publish(server, "t1", range(3, 4), to=[old])
        await until(lambda: stream.stats.received == 4)
        await server.abort(successor)
        gap = await stream.next(5)
        assert isinstance(gap, Gap)
        assert gap.topics == ("t1",)
        assert gap.reason is GapReason.DISCONNECTED
        await publish(server, "t1", range(4, 5))
        await publish(server, "t2", range(10, 11))
        assert await take(stream, 2) == [4, 10]
        assert stream.stats.rotations == 0


SHUTDOWN = json.dumps({"shutdown": True})


async def test_a_shutdown_notice_rotates_at_once_without_a_gap() -> None:
    # No lifetime is configured: only the notice can start the successor. The old
    # connection goes on delivering until the switch, then the server closes it.
    events: list[StreamEvent] = []
    settings = replace(FAST, overlap_timeout=3.0)
    async with WsFaultServer() as server, Stream(Plain(server.url, settings), ["t1"]) as stream:
        stream.add_listener(events.append)
        await server.wait_for_subscribers("t1")
        [old] = server.subscribed("t1")
        await publish(server, "t1", range(1, 3))
        assert await take(stream, 2) == [1, 2]
        await server.publish("t1", SHUTDOWN)
        await server.wait_for_subscribers("t1", 2)  # the successor, at once
        successor = next(c for c in server.subscribed("t1") if c is not old)
        await publish(server, "t1", range(3, 5), to=[old])
        await publish(server, "t1", range(5, 7))  # both connections: the overlap
        await until(lambda: stream.stats.rotations == 1)
        await old.ws.close(code=1001, message=b"shutdown")
        await publish(server, "t1", range(7, 8), to=[successor])
        got = await take(stream, 5)
        assert got == [3, 4, 5, 6, 7]
        with pytest.raises(TimeoutError):  # nothing twice, nothing after
            await stream.next(0.2)
    draining = [e for e in events if isinstance(e, Draining)]
    assert len(draining) == 1
    assert draining[0].topics == ("t1",)
    assert draining[0].detail == "the server shuts down"
    assert [e for e in events if isinstance(e, Rotated)] == [
        Rotated(("t1",), duplicates=2, gap=False)  # 5 and 6 came twice, delivered once
    ]
    assert stream.stats.gaps == 0
    assert stream.stats.reconnects == 0


async def test_a_shutdown_before_any_overlap_is_a_gap_not_a_silent_loss() -> None:
    # The server closes the old connection right after its notice, and the successor's
    # first frame is one the old connection never sent: messages may be missing between
    # them, so the consumer gets a gap before the successor's frames.
    settings = replace(FAST, overlap_timeout=3.0)
    async with WsFaultServer() as server, Stream(Plain(server.url, settings), ["t1"]) as stream:
        await server.wait_for_subscribers("t1")
        [old] = server.subscribed("t1")
        await publish(server, "t1", range(1, 2))
        assert await take(stream, 1) == [1]
        await server.publish("t1", SHUTDOWN)
        await server.wait_for_subscribers("t1", 2)
        successor = next(c for c in server.subscribed("t1") if c is not old)
        await publish(server, "t1", range(5, 6), to=[successor])
        await until(lambda: stream.stats.received == 2)
        await old.ws.close(code=1001, message=b"shutdown")
        gap = await stream.next(5)
        assert isinstance(gap, Gap)
        assert gap.topics == ("t1",)
        assert gap.reason is GapReason.DISCONNECTED
        assert await take(stream, 1) == [5]
        await publish(server, "t1", range(6, 7))
        assert await take(stream, 1) == [6]
        assert stream.stats.reconnects == 0  # the successor carried on


async def test_a_shutdown_when_no_successor_can_open_is_a_gap_then_a_reconnect() -> None:
    settings = replace(FAST, overlap_timeout=0.2)
    async with WsFaultServer() as server, Stream(Plain(server.url, settings), ["t1"]) as stream:
        await server.wait_for_subscribers("t1")
        server.handshake_status = 503  # every successor attempt fails
        await server.publish("t1", SHUTDOWN)
        await asyncio.sleep(0.5)  # a few attempts, the old connection still serves
        await publish(server, "t1", range(1, 2))
        assert await take(stream, 1) == [1]
        await server.close_all()
        server.handshake_status = None
        gap = await stream.next(5)
        assert isinstance(gap, Gap)
        assert gap.reason is GapReason.DISCONNECTED
        await server.wait_for_subscribers("t1")
        await publish(server, "t1", range(2, 3))
        assert await take(stream, 1) == [2]
        # Counted once the new connection's subscription is confirmed, which may come
        # after its first message reached the consumer.
        await until(lambda: stream.stats.reconnects == 1)


async def test_closing_a_connection_never_swallows_a_cancellation() -> None:
    # asyncio.wait_for (Python 3.11) returns normally when the task awaiting it is
    # cancelled in the loop turn in which the awaited close ends: a stream's worker
    # cancelled while it closed the old connection of a rotation went on rotating, and
    # `async with stream` never exited. Here the close ends at once, as when the server's
    # answer is already in.
    class AnsweredSocket:
        closed = False

        async def close(self) -> bool:
            self.closed = True
            return True

    socket = AnsweredSocket()
    link = Link(socket, "ws://127.0.0.1:9/ws", None)  # type: ignore[arg-type]
    closing = asyncio.create_task(link.close())
    await asyncio.sleep(0)  # the close is under way
    closing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await closing
    await link.close()  # and the socket was closed all the same
    assert socket.closed
    assert link.ended.done()


async def test_overflow_drops_the_oldest_and_says_how_many() -> None:
    settings = replace(FAST, buffer_size=10)
    events: list[StreamEvent] = []
    async with WsFaultServer() as server, Stream(Plain(server.url, settings), ["t1"]) as stream:
        stream.add_listener(events.append)
        await server.wait_for_subscribers("t1")
        await publish(server, "t1", range(1, 51))
        await server.publish("t1", json.dumps({"id": -1, "ok": True}))  # a marker reply
        await until(lambda: stream.stats.received >= 50)
        items = await take(stream, 11)
    gap = items[0]
    assert isinstance(gap, Gap)
    assert gap.reason is GapReason.OVERFLOW
    # ten messages fit (the gap event takes no message's place): the newest ten are kept
    assert gap.dropped == 40
    assert items[1:] == list(range(41, 51))
    assert stream.stats.dropped == 40
    assert stream.stats.delivered == 10  # the gap is not a message delivered
    assert [e for e in events if isinstance(e, Gap)] == [gap]
    assert stream.stats.gap_reasons == {"overflow": 1}


async def test_overflow_never_drops_an_event() -> None:
    settings = replace(FAST, buffer_size=3)
    async with WsFaultServer() as server, Stream(Plain(server.url, settings), ["t1"]) as stream:
        await server.wait_for_subscribers("t1")
        await publish(server, "t1", range(1, 3))
        await until(lambda: stream.stats.received >= 2)
        await server.drop()
        await until(lambda: stream.stats.gaps >= 1)
        await server.wait_for_subscribers("t1")
        await publish(server, "t1", range(3, 10))
        await until(lambda: stream.stats.received >= 9)
        items = []
        while stream._buffer:
            items.append(await stream.next(1))
    reasons = [item.reason for item in items if isinstance(item, Gap)]
    assert GapReason.DISCONNECTED in reasons
    assert GapReason.OVERFLOW in reasons
    assert items[-1] == 9
    messages = [item for item in items if not isinstance(item, Gap)]
    assert stream.stats.delivered == len(messages)
    assert stream.stats.delivered + stream.stats.dropped == stream.stats.received == 9


async def test_block_policy_loses_nothing_when_the_consumer_is_slow() -> None:
    settings = replace(FAST, buffer_size=5, overflow="block")
    async with WsFaultServer() as server, Stream(Plain(server.url, settings), ["t1"]) as stream:
        await server.wait_for_subscribers("t1")
        await publish(server, "t1", range(1, 101))
        await asyncio.sleep(0.1)
        assert len(stream._buffer) <= 5
        assert await take(stream, 100) == list(range(1, 101))
        assert stream.stats.dropped == 0


async def test_subscribe_and_unsubscribe_while_open() -> None:
    async with WsFaultServer() as server, Stream(Plain(server.url), ["t1"]) as stream:
        await server.wait_for_subscribers("t1")
        await stream.subscribe("t2")
        assert stream.topics == {"t1", "t2"}
        await publish(server, "t2", range(1, 2))
        assert await take(stream, 1) == [1]
        await stream.unsubscribe("t1")
        assert server.subscribed("t1") == []
        await publish(server, "t2", range(2, 3))
        assert await take(stream, 1) == [2]
        assert len(server.history) == 1


async def test_topics_beyond_the_limit_are_split_across_connections() -> None:
    settings = replace(FAST, max_topics_per_connection=2)
    topics = ["t1", "t2", "t3", "t4", "t5"]
    async with WsFaultServer() as server, Stream(Plain(server.url, settings), topics) as stream:
        for topic in topics:
            await server.wait_for_subscribers(topic)
        assert sorted(len(c.topics) for c in server.connections) == [1, 2, 2]
        await stream.subscribe("t6")
        await server.wait_for_subscribers("t6")
        assert sorted(len(c.topics) for c in server.connections) == [2, 2, 2]
        for topic in topics:
            await server.publish(topic, frame(topic, 1))
        assert sorted(await take(stream, 5)) == [1] * 5


async def test_a_refused_handshake_ends_the_stream_with_an_error() -> None:
    async with WsFaultServer() as server:
        server.handshake_status = 404
        async with Stream(Plain(server.url), ["t1"]) as stream:
            with pytest.raises(StreamError, match="HTTP 404"):
                await stream.next(5)


async def test_a_server_error_on_the_handshake_is_retried() -> None:
    async with WsFaultServer() as server:
        server.handshake_status = 503
        async with Stream(Plain(server.url), ["t1"]) as stream:
            await asyncio.sleep(0.2)
            server.handshake_status = None
            await server.wait_for_subscribers("t1")
            await publish(server, "t1", range(1, 2))
            assert await take(stream, 1) == [1]
            assert stream.stats.gaps == 0  # never connected before: nothing was missed


async def test_a_subscription_the_exchange_refuses_raises() -> None:
    async with WsFaultServer() as server, Stream(Plain(server.url), ["t1"]) as stream:
        await server.wait_for_subscribers("t1")
        server.refuse.add("t9")
        with pytest.raises(SubscriptionError, match="unknown topic t9"):
            await stream.subscribe("t9")


class OnePerTopic(Plain):
    """One request per topic, as an exchange that answers each topic of a call."""

    def subscribe(self, topics: Sequence[str]) -> list[Request]:
        return [request for topic in topics for request in self._request("sub", [topic])]

    def unsubscribe(self, topics: Sequence[str]) -> list[Request]:
        return [request for topic in topics for request in self._request("unsub", [topic])]


async def test_a_call_refused_part_way_takes_back_what_the_exchange_accepted() -> None:
    """``subscribe("t2", "t9", "t3")``: t2 is accepted, t9 refused (t3 never sent). The
    call fails, and t2 is unsubscribed on the connection that took it: nothing the stream
    does not hold stays subscribed at the exchange until the connection is renewed."""
    async with WsFaultServer() as server, Stream(OnePerTopic(server.url), ["t1"]) as stream:
        await server.wait_for_subscribers("t1")
        server.refuse.add("t9")
        with pytest.raises(SubscriptionError, match="unknown topic t9"):
            await stream.subscribe("t2", "t9", "t3")
        (connection,) = server.connections
        assert connection.topics == {"t1"}
        ops = [(json.loads(text)["op"], json.loads(text)["topics"]) for text in connection.received]
        assert ops[-5:] == [
            ("sub", ["t2"]),
            ("sub", ["t9"]),
            ("unsub", ["t2"]),
            ("unsub", ["t9"]),
            ("unsub", ["t3"]),
        ]
        assert stream.topics == {"t1"}
        await publish(server, "t1", range(1, 3))
        assert await take(stream, 2) == [1, 2]  # the stream carries on


async def test_a_refused_call_leaves_alone_a_topic_another_call_subscribed_meanwhile() -> None:
    """Three calls queue behind the stream's lock: ``subscribe("t8")`` holds it,
    ``subscribe("t2")`` and ``subscribe("t9", "t2")`` wait (t2 is not held when either
    starts). The second subscribes t2; the third is refused for t9, and its take-back must
    not drop or unsubscribe t2, which the second call holds."""
    async with WsFaultServer() as server, Stream(Plain(server.url), ["t1"]) as stream:
        await server.wait_for_subscribers("t1")
        server.refuse.add("t9")
        calls = [stream.subscribe("t8"), stream.subscribe("t2"), stream.subscribe("t9", "t2")]
        first, second, third = await asyncio.gather(*calls, return_exceptions=True)
        assert (first, second) == (None, None)
        assert isinstance(third, SubscriptionError)
        assert stream.topics == {"t1", "t8", "t2"}
        (connection,) = server.connections
        assert connection.topics == {"t1", "t8", "t2"}
        await publish(server, "t2", range(1, 3))
        assert await take(stream, 2) == [1, 2]


async def test_a_call_refused_on_one_connection_takes_back_its_topics_on_the_others() -> None:
    """Two topics a connection: ``subscribe("t3", "t9")`` puts t3 on the first connection
    (room for one) and t9 on the second, which the exchange refuses. The call fails as a
    whole: the stream lists none of its topics, and t3 is unsubscribed where it was
    accepted."""
    settings = replace(FAST, max_topics_per_connection=2)
    async with (
        WsFaultServer() as server,
        Stream(Plain(server.url, settings), ["t1", "t2", "t4"]) as stream,
    ):
        await server.wait_for_connections(2)
        await server.wait_for_subscribers("t4")
        await stream.unsubscribe("t2")  # room for one on the first connection
        server.refuse.add("t9")
        with pytest.raises(SubscriptionError, match="unknown topic t9"):
            await stream.subscribe("t3", "t9")
        assert stream.topics == {"t1", "t4"}
        assert not server.subscribed("t3")
        await publish(server, "t1", range(1, 3))
        assert await take(stream, 2) == [1, 2]


@pytest.fixture
def slow_handshake(monkeypatch: pytest.MonkeyPatch) -> None:
    """The client learns that its handshake succeeded 0.3 s after the server did: what a
    busy machine does to the client's task, made certain. The server then already has
    the topics of the URL while the stream still waits for its connection."""
    from aioca.stream import shard

    real = shard.open_link

    async def slow(*args: Any, **kwargs: Any) -> Link:
        link = await real(*args, **kwargs)
        try:
            await asyncio.sleep(0.3)
        except BaseException:
            await link.close()
            raise
        return link

    monkeypatch.setattr(shard, "open_link", slow)


@pytest.mark.usefixtures("slow_handshake")
async def test_a_refusal_while_the_connection_opens_is_the_callers_error() -> None:
    async with WsFaultServer() as server:
        server.refuse.add("t9")
        async with Stream(Plain(server.url, in_url=True), ["t1"]) as stream:
            await server.wait_for_subscribers("t1")  # the stream is not connected yet
            assert stream.stats.connects == 0
            with pytest.raises(SubscriptionError, match="unknown topic t9"):
                await stream.subscribe("t9")
            assert stream.topics == frozenset({"t1"})
            await publish(server, "t1", range(1, 3))  # the stream lives on
            assert await take(stream, 2) == [1, 2]


@pytest.mark.usefixtures("slow_handshake")
async def test_a_topic_added_while_the_connection_opens_is_subscribed_on_it() -> None:
    async with (
        WsFaultServer() as server,
        Stream(Plain(server.url, in_url=True), ["t1"]) as stream,
    ):
        await server.wait_for_subscribers("t1")
        assert stream.stats.connects == 0
        await stream.subscribe("t2")
        assert [sorted(c.topics) for c in server.connections] == [["t1", "t2"]]
        await publish(server, "t2", range(1, 3))
        assert await take(stream, 2) == [1, 2]


async def test_a_restart_request_gives_a_session_gap_and_a_fresh_prepare() -> None:
    protocol = Plain("")
    async with WsFaultServer() as server:
        protocol.base = server.url
        async with Stream(protocol, ["t1"]) as stream:
            await server.wait_for_subscribers("t1")
            assert protocol.prepared == 1
            await server.publish("t1", json.dumps({"expired": True}))
            gap = await stream.next(5)
            assert isinstance(gap, Gap)
            assert gap.reason is GapReason.SESSION
            await server.wait_for_connections(2)
            await server.wait_for_subscribers("t1")
            assert protocol.prepared == 2


async def test_subscriptions_are_paced_to_the_message_rate() -> None:
    settings = replace(FAST, messages_per_second=20)
    async with WsFaultServer() as server, Stream(Plain(server.url, settings), ["t1"]) as stream:
        await server.wait_for_subscribers("t1")
        started = time.monotonic()
        for topic in ("t2", "t3", "t4", "t5"):
            await stream.subscribe(topic)
        assert time.monotonic() - started >= 3 * 0.05 - 0.01


@pytest.mark.parametrize(
    "make",
    [lambda: ConnectionLimiter(3, 60), lambda: RateLimiter([Window("CONNECTIONS", 3, 60)])],
    ids=["sliding", "clock-aligned"],
)
async def test_every_connection_attempt_is_charged_to_the_connection_limiter(
    make: Callable[[], ConnectionLimiter | RateLimiter],
) -> None:
    limiter = make()
    async with WsFaultServer() as server:
        protocol = Plain(server.url)
        protocol.connection_limiter = limiter
        async with Stream(protocol, ["t1"]) as stream:
            for count in (1, 2, 3):
                await until(lambda count=count: stream.stats.connects == count)  # type: ignore[misc]
                await server.drop()
            await asyncio.sleep(0.3)
            assert len(server.history) == 3  # the fourth waits for the window
            assert limiter.waiting == 1
            assert stream.stats.gaps == 3


async def test_closing_ends_iteration_and_refuses_reuse() -> None:
    async with WsFaultServer() as server:
        stream = Stream(Plain(server.url), ["t1"])
        async with stream:
            await server.wait_for_subscribers("t1")
        with pytest.raises(StopAsyncIteration):
            await stream.__anext__()
        with pytest.raises(StreamClosedError):
            await stream.next()
        with pytest.raises(StreamClosedError):
            await stream.start()
        with pytest.raises(StreamClosedError):
            await stream.subscribe("t2")


async def test_a_task_awaits_the_next_message() -> None:
    async with WsFaultServer() as server, Stream(Plain(server.url), ["t1"]) as stream:
        await server.wait_for_subscribers("t1")
        await publish(server, "t1", range(1, 4))
        task = NextMessage(stream, count=2, timeout=5)
        assert await task.run() == [1, 2]
        assert await NextMessage(stream, timeout=5).run() == 3
        with pytest.raises(TimeoutError):
            await NextMessage(stream, timeout=0.05).run()


def test_the_sync_facade_and_a_ring_under_one_operator() -> None:
    import threading

    loop = asyncio.new_event_loop()
    server = WsFaultServer()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        asyncio.run_coroutine_threadsafe(server.__aenter__(), loop).result(5)

        def feed() -> None:
            async def go() -> None:
                await server.wait_for_subscribers("t1")
                await publish(server, "t1", range(1, 6))

            asyncio.run_coroutine_threadsafe(go(), loop).result(5)

        stream = Stream(Plain(server.url), ["t1"])
        threading.Timer(0.05, feed).start()
        assert list(stream.messages_sync(limit=3)) == [1, 2, 3]
        assert not stream.is_open

        other = Stream(Plain(server.url), ["t1"])
        threading.Timer(0.05, feed).start()
        ring = TaskRing(NextMessage(other, timeout=5), iter_num=3)
        results = [task.result for task in TaskOperator(ring).finish_task_generator()]
        assert results == [1, 2, 3]
    finally:
        asyncio.run_coroutine_threadsafe(server.__aexit__(None, None, None), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


def test_settings_are_checked_when_built() -> None:
    with pytest.raises(ValueError, match="buffer_size"):
        StreamSettings(buffer_size=0)
    with pytest.raises(ValueError, match="overflow"):
        StreamSettings(overflow="drop_everything")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="heartbeat"):
        StreamSettings(heartbeat=-1)
    assert StreamSettings(max_lifetime=86400, rotation_margin=600).rotate_after == 85800


def test_backoff_grows_with_jitter_up_to_its_maximum() -> None:
    import random

    backoff = Backoff(initial=1, maximum=8, minimum=0)
    rng = random.Random(1)
    delays = [[backoff.delay(attempt, rng) for _ in range(200)] for attempt in (1, 2, 3, 4, 6)]
    assert [max(d) <= cap for d, cap in zip(delays, (1, 2, 4, 8, 8), strict=True)] == [True] * 5
    assert max(delays[-1]) > 4  # jitter spreads over the whole range
    assert len({round(d, 6) for d in delays[0]}) > 100


def test_connected_is_a_stream_event() -> None:
    assert isinstance(Connected("ws://x", ("t",)), StreamEvent)


async def test_subscribing_while_reconnecting_waits_for_the_new_connection() -> None:
    slow = replace(FAST, backoff=Backoff(initial=0.3, maximum=0.3, minimum=0.3))
    async with WsFaultServer() as server, Stream(Plain(server.url, slow), ["t1"]) as stream:
        await server.wait_for_subscribers("t1")
        await until(lambda: stream.stats.connects == 1)  # (see the server close test)
        await server.drop()
        await until(lambda: stream.stats.gaps == 1)
        await stream.subscribe("t2")  # no connection now: nothing raised
        await server.wait_for_subscribers("t2")
        assert server.subscribed("t1")
        await publish(server, "t2", range(1, 2))
        items = [await stream.next(5) for _ in range(2)]
        assert items[1] == 1


async def test_a_refused_topic_is_not_kept() -> None:
    async with WsFaultServer() as server, Stream(Plain(server.url), ["t1"]) as stream:
        await server.wait_for_subscribers("t1")
        server.refuse.add("t9")
        with pytest.raises(SubscriptionError):
            await stream.subscribe("t9")
        assert stream.topics == {"t1"}
