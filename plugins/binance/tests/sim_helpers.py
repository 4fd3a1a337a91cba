"""Helpers of the simulator's tests: a controllable clock and a fast one, an API client
that follows the controllable one, a simulator on
its own thread (for the synchronous operator, which runs its own event loop), Binance's
documented response examples, and order prices that rest or cross the simulated book."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from functools import cache
from typing import Any

from spec_files import SPEC_DIR

from aioca_binance import BinanceRestApi
from aioca_binance_sim import BinanceSimulator

__all__ = [
    "FakeClock",
    "FastClock",
    "documented_example",
    "follow_clock",
    "limit_price",
]


class FakeClock:
    """A clock the test moves: ``clock()`` is the time in seconds, ``advance()`` moves it."""

    def __init__(self, start: float = 1_795_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class FastClock:
    """The wall's clock, ``factor`` times faster from the moment it is made: for a test
    whose simulator must move on its own (a peer's client reading its streams, a stall
    noticed by a heartbeat), not step by step as with :class:`FakeClock`."""

    def __init__(self, factor: float) -> None:
        self.start = time.time()
        self.factor = factor

    def __call__(self) -> float:
        return self.start + (time.time() - self.start) * self.factor


def follow_clock(api: BinanceRestApi, sim: BinanceSimulator) -> None:
    """Put ``api``'s timestamps in the simulator's time, a :class:`FakeClock`'s: else the
    simulator refuses a signed request as out of its receive window. Each timestamp reads
    the simulator's clock (an offset taken once would drift ahead of a clock that stands
    still by the real time the test takes: past Binance's 1 s on a loaded machine, -1021);
    the offset is set too, for the limiter's clock, which runs on in real time."""
    clock = api.server_clock
    assert clock is not None, "follow_clock needs an API with a server clock"
    api.time_offset_ms = sim.now_ms() - int(time.time() * 1000)
    clock.time_ms = sim.now_ms  # type: ignore[method-assign]


@cache
def _responses() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SPEC_DIR / "binance-coinm-responses.json").read_text())
    return data


def documented_example(method: str, path: str) -> Any:
    """Binance's documented example response of ``METHOD path`` (the USD-M reference
    example where COIN-M documents none)."""
    entry = _responses()[f"{method} {path}"]
    for key in ("example", "examples", "reference_example_usdm"):
        value = entry.get(key)
        if value is not None:
            return value[0] if key == "examples" else value
    raise LookupError(f"no example for {method} {path}")


def limit_price(sim: BinanceSimulator, symbol: str, factor: float) -> Decimal:
    """A price ``factor`` times the last simulated trade, on the symbol's tick."""
    instrument = sim.market.instruments[symbol]
    ticks = sim.market.last_trade(instrument, sim.now_ms()).ticks
    decimals = instrument.pair.tick_decimals
    return Decimal(round(ticks * factor)).scaleb(-decimals)
