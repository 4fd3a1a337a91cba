"""A stalled connection is detected within ``1.5 * heartbeat`` of its last frame, however
aiohttp rounds its timers: the core's watchdog, on a fake clock at the default 10 s
heartbeat and against servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from aioca.stream import Gap, GapReason, Stream
from aioca.stream import connection as connection_module
from aioca.stream.connection import Link

from .test_stream import FAST, Plain, publish, take
from .wsfaultserver import WsFaultServer


async def test_a_stall_is_detected_within_the_bound_when_aiohttp_rounds_its_timers() -> None:
    """aiohttp rounds a timer up to the whole second when it is longer than its
    connector's ``timeout_ceil_threshold`` (5 s by default: the default 10 s heartbeat
    took up to 17 s). A threshold of 0 makes it round every timer, so a short heartbeat
    shows what 10 s did: with aiohttp's heartbeat, detection would take about 1-2 s."""
    heartbeat = 0.2
    settings = replace(FAST, heartbeat=heartbeat)
    connector = aiohttp.TCPConnector(timeout_ceil_threshold=0)
    async with (
        aiohttp.ClientSession(connector=connector) as session,
        WsFaultServer() as server,
        Stream(Plain(server.url, settings), ["t1"], session=session) as stream,
    ):
        await server.wait_for_subscribers("t1")
        for round_ in range(2):  # twice: the bound holds after a reconnection too
            await publish(server, "t1", range(round_, round_ + 1))
            assert await take(stream, 1) == [round_]
            server.stall()
            started = time.monotonic()
            gap = await stream.next(5)
            detected = time.monotonic() - started
            assert detected < 1.5 * heartbeat + 0.2  # the documented bound, plus slack
            assert isinstance(gap, Gap)
            assert gap.reason is GapReason.DISCONNECTED
            assert "not even a pong" in gap.detail
            await server.wait_for_subscribers("t1")


async def test_a_quiet_connection_that_answers_pings_stays_up() -> None:
    heartbeat = 0.1
    settings = replace(FAST, heartbeat=heartbeat)
    async with WsFaultServer() as server, Stream(Plain(server.url, settings), ["t1"]) as stream:
        await server.wait_for_subscribers("t1")
        await asyncio.sleep(12 * heartbeat)  # silent, but each ping is answered
        await publish(server, "t1", range(1, 2))
        assert await take(stream, 1) == [1]
        assert len(server.history) == 1
        assert stream.stats.gaps == 0


async def test_the_servers_pings_are_answered() -> None:
    """aiohttp's autoping is off (the watchdog sees the pongs): the link answers pings."""
    pongs: asyncio.Queue[bytes] = asyncio.Queue()

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=False)
        await ws.prepare(request)
        async for message in ws:
            if message.type is aiohttp.WSMsgType.TEXT:  # the subscription: answer, ping
                await ws.send_str('{"id": 1}')
                await ws.ping(b"are you there")
            elif message.type is aiohttp.WSMsgType.PONG:
                await pongs.put(message.data)
        return ws

    app = web.Application()
    app.router.add_get("/ws", handler)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with Stream(Plain(f"ws://127.0.0.1:{port}"), ["t1"]):
            assert await asyncio.wait_for(pongs.get(), 5) == b"are you there"
    finally:
        await runner.cleanup()


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.3  # not a whole second: rounding would show
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def wait(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += max(seconds, 0.0)
        await asyncio.sleep(0)


class FakeSocket:
    """Answers the first ping ``answer_after`` seconds later, then stays silent."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.pings: list[float] = []
        self.link: Link | None = None

    async def ping(self, data: bytes = b"") -> None:
        self.pings.append(self.clock.now)
        if len(self.pings) == 1:
            assert self.link is not None
            self.link.fresh = True  # the pong (as the pump marks it)

    async def close(self) -> None:
        pass


async def test_the_watchdog_pings_and_ends_at_the_exact_moments_at_a_10_s_heartbeat(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """At the default heartbeat (10 s, above aiohttp's 5 s rounding threshold): the
    ping 10 s after the last frame, the end 15 s after it, never later, and no rounding
    (the clock starts at 1000.3 s)."""
    clock = FakeClock()
    monkeypatch.setattr(connection_module, "_now", clock)
    monkeypatch.setattr(connection_module, "_wait", clock.wait)
    socket = FakeSocket(clock)
    link = Link(socket, "ws://test", None)  # type: ignore[arg-type]
    socket.link = link
    assert link.heard == 1000.3

    async def pump(link: Link, idle_timeout: Any, ping: Any) -> None:
        await asyncio.get_running_loop().create_future()  # a peer that sends nothing

    link.start_reading(pump, None, None, heartbeat=10.0)
    await asyncio.wait_for(link.ended, 5)
    # Pinged 10 s after the connection opened; the pong came at once (credited to the
    # look before it, 1.25 s earlier: never later than it came); pinged again 10 s
    # after that, and ended 15 s after it, not a microsecond later.
    assert socket.pings == [pytest.approx(1010.3), pytest.approx(1020.3)]
    assert clock.now == pytest.approx(1025.3, abs=1e-6)
    assert all(wait <= 10.0 / 8 + 1e-9 for wait in clock.waits)  # looks every 1.25 s
    assert isinstance(link.error, TimeoutError)
    assert "no frame for 15 s" in str(link.error)
    assert link.reader is not None
    assert link.reader.cancelled()


async def test_the_watchdog_does_not_count_the_consumers_silence(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """While the pump waits for room in the buffer (overflow ``block``) the peer is not
    read, so its silence is not its fault: the watchdog waits for the pump."""
    clock = FakeClock()
    caught_up = asyncio.Event()  # the consumer is behind for 100 s

    async def wait(seconds: float) -> None:
        await clock.wait(seconds)
        if clock.now >= 1100.0:
            caught_up.set()

    monkeypatch.setattr(connection_module, "_now", clock)
    monkeypatch.setattr(connection_module, "_wait", wait)
    socket = FakeSocket(clock)
    socket.pings.append(0.0)  # no pong from this socket
    link = Link(socket, "ws://test", None)  # type: ignore[arg-type]
    link.paused = True

    async def pump(link: Link, idle_timeout: Any, ping: Any) -> None:
        await caught_up.wait()
        link.paused = False
        resumed.now = clock.now
        await asyncio.get_running_loop().create_future()

    resumed = FakeClock()
    link.start_reading(pump, None, None, heartbeat=10.0)
    await asyncio.wait_for(link.ended, 5)
    assert resumed.now >= 1100.0
    # Counted from when the pump went on (to the watchdog's look before it).
    assert resumed.now + 15.0 - 10.0 / 8 <= clock.now <= resumed.now + 15.0
    assert isinstance(link.error, TimeoutError)
