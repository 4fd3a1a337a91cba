"""Every diff of a simulator's depth streams while a fake clock moves in 62.5 ms steps,
with the REST snapshot before and the REST book after: the shared body of the depth-speed
tests of the three markets (``test_sim_streams_fidelity.py``,
``test_sim_streams_spot_speed.py``)."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from binance_ws import until
from sim_helpers import FakeClock
from sim_streams_helpers import rest_get

from aioca_binance_sim import BinanceSimulator

__all__ = ["DEPTH", "apply_levels", "follow_depth"]

DEPTH = {
    "coinm": ("btcusd_perp", "/dapi/v1/depth"),
    "usdm": ("btcusdt", "/fapi/v1/depth"),
    "spot": ("btcusdt", "/api/v3/depth"),
}
"""Each market's symbol (as a topic names it) and its REST depth path."""


def apply_levels(book: dict[str, str], levels: list[list[str]]) -> None:
    """A diff's levels applied to one side of a book: absolute quantities, 0 removes."""
    for price, qty in levels:
        if float(qty) == 0:
            book.pop(price, None)
        else:
            book[price] = qty


def _small_book(sim: BinanceSimulator, market: str) -> None:
    """60 levels a side: a REST snapshot of 100 holds the whole book, so the diffs of
    every level can be checked against it."""
    if market == "spot":
        sim.venues["spot"].tape.book_depth = 60
    elif market == "coinm":
        sim.market.book_depth = 60
    else:
        sim.venues["usdm"].market.core.book_depth = 60


async def follow_depth(
    market: str,
    suffixes: list[str],
    seconds: int,
    *,
    kind: str = "depth",
    between: Callable[[BinanceSimulator, int], Awaitable[None]] | None = None,
) -> dict[str, Any]:
    """Every diff of ``<symbol>@<kind><suffix>`` for each of ``suffixes`` while a fake
    clock moves ``seconds`` in 62.5 ms steps (exact in binary: the clock ends on a whole
    second) with the hub publishing after each (then ``between(sim, step)``: the
    account's orders...), the REST snapshot taken before and the REST book at the end."""
    symbol, path = DEPTH[market]
    topics = [f"{symbol}@{kind}{suffix}" for suffix in suffixes]
    clock = FakeClock()
    async with BinanceSimulator(seed=9, clock=clock) as sim:
        hub = sim.market_streams[market]
        hub.publish_interval = 3600.0  # the test publishes
        _small_book(sim, market)
        url = f"{sim.ws_urls[market]}/stream?streams={'/'.join(topics)}"
        received: dict[str, list[Any]] = {topic: [] for topic in topics}
        async with aiohttp.ClientSession() as http, http.ws_connect(url) as ws:
            await until(lambda: bool(hub.connections))
            snapshot = await rest_get(sim, market, path, symbol=symbol.upper(), limit=100)
            start = clock.now
            for step in range(1, seconds * 16 + 1):
                clock.now = start + step / 16
                await hub.publish()
                if between is not None:
                    await between(sim, step)
            final = await rest_get(sim, market, path, symbol=symbol.upper(), limit=100)
            with contextlib.suppress(TimeoutError):
                while True:
                    frame = await ws.receive_json(timeout=0.3)
                    received[frame["stream"]].append(frame["data"])
    return {"diffs": received, "snapshot": snapshot, "final": final}
