"""The client against the simulator's stream faults: connections that end after a short
lifetime (rotation keeps the depth diff chain whole), a stall (the heartbeat notices), a
drop (a gap, then the stream comes back), a server shutdown announced with
``serverShutdown`` (the stream moves to a new connection at once)."""

from __future__ import annotations

import time
from typing import Any

from binance_ws import until
from sim_helpers import FastClock
from sim_streams_helpers import fast_settings

from aioca.stream import Draining, Gap, GapReason, Rotated, StreamEvent
from aioca_binance.streams import Message, market_stream
from aioca_binance_sim import BinanceSimulator


async def test_rotation_keeps_the_diff_chain_whole_across_short_lived_connections() -> None:
    settings = fast_settings("coinm", max_lifetime=1.5, rotation_margin=0.7, overlap_timeout=1.0)
    events: list[StreamEvent] = []
    async with BinanceSimulator(seed=2, clock=FastClock(20.0)) as sim:
        sim.market.book_depth = 20
        sim.streams.faults.lifetime = 1.5  # the server ends every connection at 1.5 s
        stream = market_stream(
            "coinm", "btcusd_perp@depth@100ms", base_url=sim.ws_url, settings=settings
        )
        stream.add_listener(events.append)
        received: list[Any] = []
        async with stream:
            started = time.monotonic()
            while time.monotonic() - started < 5.0:
                received.append(await stream.next(5))
    gaps = [item for item in received if isinstance(item, Gap)]
    assert gaps == []
    diffs = [item.data for item in received if isinstance(item, Message)]
    assert len(diffs) > 50
    chain = [(diff.previous_final_update_id, diff.final_update_id) for diff in diffs]
    broken = [i for i in range(1, len(chain)) if chain[i][0] != chain[i - 1][1]]
    assert broken == []  # nothing lost, nothing twice
    rotations = [event for event in events if isinstance(event, Rotated)]
    assert len(rotations) >= 3
    assert stream.stats.duplicates > 0


async def test_a_stalled_simulator_is_detected_by_the_heartbeat() -> None:
    settings = fast_settings("coinm", heartbeat=0.3)
    async with BinanceSimulator(seed=2, clock=FastClock(20.0)) as sim:
        stream = market_stream(
            "coinm", "btcusd_perp@depth5", base_url=sim.ws_url, settings=settings
        )
        async with stream:
            first = await stream.next(5)
            assert isinstance(first, Message)
            sim.streams.stall()
            started = time.monotonic()
            while not isinstance(item := await stream.next(5), Gap):
                pass
            assert time.monotonic() - started < 1.5 * 0.3 + 0.5
            assert item.reason is GapReason.DISCONNECTED
            after = await stream.next(5)  # a fresh connection, data again
            assert isinstance(after, Message)


async def test_a_dropped_simulator_connection_is_a_gap_then_data_again() -> None:
    settings = fast_settings("coinm")
    async with BinanceSimulator(seed=2, clock=FastClock(20.0)) as sim:
        stream = market_stream(
            "coinm", "btcusd_perp@aggTrade", base_url=sim.ws_url, settings=settings
        )
        async with stream:
            await until(lambda: len(sim.streams.connections) == 1)
            await sim.streams.drop()
            gap = await stream.next(5)
            assert isinstance(gap, Gap)
            assert gap.topics == ("btcusd_perp@aggTrade",)
            assert isinstance(await stream.next(5), Message)
            # Counted once the new connection's subscription is confirmed, which may
            # come after its first message reached the consumer.
            await until(lambda: stream.stats.reconnects == 1)


def _chain_breaks(received: list[Any]) -> list[tuple[int, bool]]:
    """Where the depth diff chain breaks: (index, whether a gap came just before)."""
    breaks, previous, gap_seen = [], None, False
    for index, item in enumerate(received):
        if isinstance(item, Gap):
            gap_seen = True
            continue
        diff = item.data
        if previous is not None and diff.previous_final_update_id != previous:
            breaks.append((index, gap_seen))
        previous, gap_seen = diff.final_update_id, False
    return breaks


async def test_a_server_shutdown_moves_the_stream_to_a_new_connection_with_the_chain_whole() -> (
    None
):
    # No lifetime is configured: only the simulator's serverShutdown starts the successor,
    # and the simulator closes the announced connection one second later.
    settings = fast_settings("coinm", overlap_timeout=2.0)
    events: list[StreamEvent] = []
    async with BinanceSimulator(seed=2, clock=FastClock(20.0)) as sim:
        stream = market_stream(
            "coinm", "btcusd_perp@depth@100ms", base_url=sim.ws_url, settings=settings
        )
        stream.add_listener(events.append)
        received: list[Any] = []
        async with stream:
            while len(received) < 20:
                received.append(await stream.next(5))
            assert await sim.streams.shutdown(grace=1.0) == 1
            started = time.monotonic()
            while time.monotonic() - started < 2.5:
                received.append(await stream.next(5))
            assert len(sim.streams.connections) == 1  # the successor; the old one is gone
    assert [item for item in received if isinstance(item, Gap)] == []
    assert _chain_breaks(received) == []  # nothing lost, nothing twice
    assert [type(e) for e in events if isinstance(e, Draining | Rotated)] == [Draining, Rotated]
    assert stream.stats.reconnects == 0
    assert stream.stats.rotations == 1


async def test_a_server_shutdown_without_grace_is_a_gap_never_a_silent_loss() -> None:
    # The simulator closes the announced connection at once: the successor may not have
    # overlapped it, and then the stream must say so before the successor's diffs.
    settings = fast_settings("coinm", overlap_timeout=2.0)
    async with BinanceSimulator(seed=2, clock=FastClock(20.0)) as sim:
        stream = market_stream(
            "coinm", "btcusd_perp@depth@100ms", base_url=sim.ws_url, settings=settings
        )
        received: list[Any] = []
        async with stream:
            while len(received) < 20:
                received.append(await stream.next(5))
            await sim.streams.shutdown(grace=0.0)
            started = time.monotonic()
            while time.monotonic() - started < 2.0:
                received.append(await stream.next(5))
    gaps = [item for item in received if isinstance(item, Gap)]
    assert [gap.reason for gap in gaps] == [GapReason.DISCONNECTED]  # said once, loudly
    assert all(gap_before for _index, gap_before in _chain_breaks(received))
    assert sum(isinstance(item, Message) for item in received) > 40  # data again after
