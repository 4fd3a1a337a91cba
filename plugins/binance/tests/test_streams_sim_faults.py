"""The client against the simulator's stream faults: connections that end after a short
lifetime (rotation keeps the depth diff chain whole), a stall (the heartbeat notices), a
drop (a gap, then the stream comes back)."""

from __future__ import annotations

import time
from typing import Any

from binance_ws import until

from aioca.stream import Backoff, Gap, GapReason, Rotated, StreamEvent
from aioca_binance.streams import Message, market_settings, market_stream
from aioca_binance_sim import BinanceSimulator

QUICK = Backoff(initial=0.01, maximum=0.02, minimum=0.005)


class Fast:
    """The simulator's clock, 20 times the wall's: 20 depth diffs a second."""

    def __init__(self) -> None:
        self.start = time.time()

    def __call__(self) -> float:
        return self.start + (time.time() - self.start) * 20


async def test_rotation_keeps_the_diff_chain_whole_across_short_lived_connections() -> None:
    settings = market_settings(
        "coinm",
        heartbeat=None,
        messages_per_second=None,
        backoff=QUICK,
        max_lifetime=1.5,
        rotation_margin=0.7,
        overlap_timeout=1.0,
    )
    events: list[StreamEvent] = []
    async with BinanceSimulator(seed=2, clock=Fast()) as sim:
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
    settings = market_settings("coinm", heartbeat=0.3, messages_per_second=None, backoff=QUICK)
    async with BinanceSimulator(seed=2, clock=Fast()) as sim:
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
    settings = market_settings("coinm", heartbeat=None, messages_per_second=None, backoff=QUICK)
    async with BinanceSimulator(seed=2, clock=Fast()) as sim:
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
            assert stream.stats.reconnects == 1
