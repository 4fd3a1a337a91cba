"""A :class:`~aioca_binance_sim.BinanceSimulator` on its own event loop in a daemon thread.

Synchronous code (the demo, the seed's ``TaskOperater().run()``, sync tests) runs its own
event loops and would stop a simulator living on one of them; a simulator in a thread
serves them all, and async tests too.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .server import BinanceSimulator

__all__ = ["background_simulator"]

_START_TIMEOUT = 30.0


@contextmanager
def background_simulator(**options: Any) -> Iterator[BinanceSimulator]:
    """Start ``BinanceSimulator(**options)`` in a thread; yield it running; stop it after.

    ``sim.url``, ``sim.api_key`` and ``sim.api_secret`` are usable from any thread and
    any event loop; change runtime knobs (``sim.faults``) freely, they are plain values.
    """
    simulator = BinanceSimulator(**options)  # bad options fail here, before any thread
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="aioca-binance-sim", daemon=True)
    thread.start()
    try:
        asyncio.run_coroutine_threadsafe(simulator.start(), loop).result(_START_TIMEOUT)
        try:
            yield simulator
        finally:
            asyncio.run_coroutine_threadsafe(simulator.stop(), loop).result(_START_TIMEOUT)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(_START_TIMEOUT)
        loop.close()
