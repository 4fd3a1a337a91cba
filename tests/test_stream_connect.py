"""Connection attempts that fail are events and counts, never silence; and the optional
limits after which a stream gives up (against servers on 127.0.0.1 the tests start)."""

from __future__ import annotations

import asyncio
import socket
import time
from dataclasses import replace

import pytest

from aioca.stream import (
    Connected,
    ConnectFailed,
    ConnectFailedError,
    Disconnected,
    Gap,
    GapReason,
    Stream,
    StreamEvent,
    StreamSettings,
)

from .test_stream import FAST, SHUTDOWN, Plain, publish, take
from .wsfaultserver import WsFaultServer, until


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (connections are refused at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"ws://127.0.0.1:{port}"


async def test_every_failed_attempt_is_an_event_and_a_count_and_retries_go_on() -> None:
    events: list[StreamEvent] = []
    url = closed_port_url()
    async with Stream(Plain(url), ["t1"]) as stream:
        stream.add_listener(events.append)
        await until(lambda: stream.stats.connect_failures >= 4)
        assert stream.is_open  # retrying, not failed: the default is "for ever"
    failed = [event for event in events if isinstance(event, ConnectFailed)]
    assert len(failed) == stream.stats.connect_failures >= 4
    assert [event.attempt for event in failed] == list(range(1, len(failed) + 1))
    first = failed[0]
    assert first.url == f"{url}/ws"
    assert first.topics == ("t1",)
    assert isinstance(first.error, OSError)  # aiohttp's ClientConnectorError: refused
    assert all(event.retry_in is not None and event.retry_in > 0 for event in failed)
    assert not any(event.successor for event in failed)
    assert stream.stats.connects == 0
    assert "retry in" in str(first)


async def test_max_attempts_ends_the_stream_with_a_typed_error_after_that_many() -> None:
    events: list[StreamEvent] = []
    settings = replace(FAST, max_attempts=3)
    async with Stream(Plain(closed_port_url(), settings), ["t1"]) as stream:
        stream.add_listener(events.append)
        with pytest.raises(ConnectFailedError) as raised:
            await stream.next(5)
    error = raised.value
    assert error.attempts == 3
    assert isinstance(error.__cause__, OSError)
    assert error.last_error is error.__cause__
    failed = [event for event in events if isinstance(event, ConnectFailed)]
    assert [event.attempt for event in failed] == [1, 2, 3]
    assert [event.retry_in is None for event in failed] == [False, False, True]
    assert stream.stats.connect_failures == 3


async def test_max_downtime_gives_up_once_that_long_without_a_connection() -> None:
    slow = replace(FAST.backoff, initial=0.1, maximum=0.1, minimum=0.1)
    settings = replace(FAST, backoff=slow, max_downtime=0.35)
    started = time.monotonic()
    async with Stream(Plain(closed_port_url(), settings), ["t1"]) as stream:
        with pytest.raises(ConnectFailedError) as raised:
            await stream.next(5)
    took = time.monotonic() - started
    assert raised.value.downtime >= 0.35
    assert 0.35 <= took < 0.35 + 0.5  # a refused connection fails at once: no overshoot
    assert raised.value.attempts == stream.stats.connect_failures >= 3


async def test_the_limits_count_from_the_last_connection_and_a_success_resets_them() -> None:
    events: list[StreamEvent] = []
    settings = replace(FAST, max_attempts=3)
    async with WsFaultServer() as server:
        server.handshake_status = 503
        async with Stream(Plain(server.url, settings), ["t1"]) as stream:
            stream.add_listener(events.append)
            await until(lambda: stream.stats.connect_failures == 2)
            server.handshake_status = None  # the third attempt succeeds
            await server.wait_for_subscribers("t1")
            await publish(server, "t1", range(1, 2))
            assert await take(stream, 1) == [1]
            server.handshake_status = 503
            await server.drop()
            gap = await stream.next(5)
            assert isinstance(gap, Gap)
            assert gap.reason is GapReason.DISCONNECTED
            with pytest.raises(ConnectFailedError) as raised:
                await stream.next(5)
    assert raised.value.attempts == 3  # counted from the loss, not from the start
    names = [type(event).__name__ for event in events if not isinstance(event, Gap)]
    assert names == [
        "ConnectFailed",
        "ConnectFailed",
        "Connected",
        "Disconnected",
        "ConnectFailed",
        "ConnectFailed",
        "ConnectFailed",
    ]
    assert stream.stats.connect_failures == 5
    assert isinstance(events[2], Connected)
    assert isinstance(events[3], Disconnected)


async def test_a_rotations_failed_successor_is_an_event_too() -> None:
    events: list[StreamEvent] = []
    settings = replace(FAST, overlap_timeout=0.1, max_attempts=1)
    async with WsFaultServer() as server, Stream(Plain(server.url, settings), ["t1"]) as stream:
        stream.add_listener(events.append)
        await server.wait_for_subscribers("t1")
        server.handshake_status = 503  # every successor attempt fails
        await server.publish("t1", SHUTDOWN)
        await until(lambda: stream.stats.connect_failures >= 2)
        await publish(server, "t1", range(1, 2))
        assert await take(stream, 1) == [1]  # the old connection still serves
    failed = [event for event in events if isinstance(event, ConnectFailed)]
    assert failed
    assert all(event.successor for event in failed)
    assert all(event.retry_in == 0.1 for event in failed)  # never gives up: it is up


def test_the_give_up_limits_are_checked_when_built() -> None:
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="max_attempts"):
            StreamSettings(max_attempts=bad)  # type: ignore[arg-type]
    for wrong in (0, -1.0):
        with pytest.raises(ValueError, match="max_downtime"):
            StreamSettings(max_downtime=wrong)
    assert StreamSettings().max_attempts is None  # retry for ever by default
    assert StreamSettings().max_downtime is None


async def test_giving_up_does_not_wait_for_a_long_pause() -> None:
    """The last pause is cut to the deadline: the error comes at ``max_downtime``, not
    after a whole backoff pause beyond it."""
    slow = replace(FAST.backoff, initial=5.0, maximum=5.0, minimum=5.0)
    settings = replace(FAST, backoff=slow, max_downtime=0.3)
    started = time.monotonic()
    async with Stream(Plain(closed_port_url(), settings), ["t1"]) as stream:
        with pytest.raises(ConnectFailedError):
            await asyncio.wait_for(stream.next(), 3)
    assert time.monotonic() - started < 1.0
    assert stream.stats.connect_failures == 2  # the first, and one at the deadline
