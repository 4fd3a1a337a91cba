"""Helpers of the simulator's stream tests: Binance's documented stream payloads, read from
the spec, and the shape to compare a payload with them by; stream settings that neither
wait on Binance's limits nor for a reconnection; what a simulator's hub publishes for one
simulated second. One definition for every test file."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from spec_files import SPEC_DIR

from aioca.stream import Backoff, StreamSettings
from aioca_binance.streams import market_settings
from aioca_binance_sim import BinanceSimulator

__all__ = [
    "QUICK",
    "documented_events",
    "documented_fields",
    "documented_streams",
    "fast_settings",
    "published",
    "shape",
    "ws_spec",
]


@cache
def _spec_text() -> str:
    return (SPEC_DIR / "binance-ws-streams.json").read_text(encoding="utf-8")


def ws_spec() -> dict[str, Any]:
    """``binance-ws-streams.json``, parsed afresh at each call: a test may change what it
    gets (drop a field its case leaves out) without changing another test's."""
    data: dict[str, Any] = json.loads(_spec_text())
    return data


def documented_streams(market: str) -> dict[str, Any]:
    """Binance's example payload of each of ``market``'s streams, by the example's stream
    name (``"btcusdt@aggTrade"``, ``"!ticker@arr"``)."""
    streams = ws_spec()["markets"][market]["streams"]
    return {entry["example_stream"]: entry["example_payload"] for entry in streams}


def documented_fields(market: str) -> dict[str, Any]:
    """The fields Binance lists for each of ``market``'s streams, by the example's stream
    name: what an array documented by its element's fields only (``[{}]``) must carry."""
    streams = ws_spec()["markets"][market]["streams"]
    return {entry["example_stream"]: entry["payload_fields"] for entry in streams}


def documented_events(market: str) -> dict[str, Any]:
    """Binance's example payload of each of ``market``'s user-data events, by event name
    (``"executionReport"``, ``"ORDER_TRADE_UPDATE"``)."""
    events = ws_spec()["markets"][market]["user_data_events"]
    return {entry["event"]: entry["example_payload"] for entry in events}


def shape(value: Any, *, ordered: bool = False) -> Any:
    """Keys and value types, recursively (lists by their first item): what a payload must
    share with Binance's example, whatever the values. ``ordered``: an object as a list of
    ``(key, shape)`` pairs, so that the order of its keys counts too."""
    if isinstance(value, dict):
        if ordered:
            return [(key, shape(item, ordered=True)) for key, item in value.items()]
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0], ordered=ordered)] if value else []
    return type(value).__name__


QUICK = Backoff(initial=0.01, maximum=0.02, minimum=0.005)
"""Reconnection within 20 ms: a test that drops a connection does not wait for it."""


def fast_settings(market: str, **changes: Any) -> StreamSettings:
    """``market``'s stream settings for a test: no heartbeat, no message throttle, and
    :data:`QUICK` reconnections, then ``changes`` (a lifetime, an overlap timeout, a
    heartbeat of its own...): a test waits on neither Binance's limits nor a reconnection."""
    fast: dict[str, Any] = {"heartbeat": None, "messages_per_second": None, "backoff": QUICK}
    return market_settings(market, **(fast | changes))


def published(sim: BinanceSimulator, market: str, topic: str, second: int) -> list[Any]:
    """What ``market``'s hub publishes on ``topic`` for the simulated ``second``, built as
    the hub builds it, without a connection: every payload of that second (none: ``[]``),
    for the symbol the topic names, or for the pair or all-market stream it is."""
    source = sim.market_streams[market].source
    found = source.find(topic)
    assert found is not None, f"the {market} hub serves no {topic}"
    feed, match = found
    name = match.groupdict().get("symbol")  # none: a pair or all-market stream
    instrument = source.instrument(name.upper()) if name is not None else None
    payloads: list[Any] = source.build(feed, instrument, match, second)
    return payloads
