"""Helpers of the Spot simulator's tests: a venue at a fixed time, handlers called
directly (parameters already converted, as the server hands them over), Binance's
documented Spot examples, and a comparison of answer shapes (keys and value types)."""

from __future__ import annotations

import json
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import aioca_binance_sim
from aioca_binance_sim.context import HANDLERS, Call
from aioca_binance_sim.spot import SpotVenue, build_venue

__all__ = ["T0", "SpotDesk", "documented", "shape_problems"]

T0 = 1_780_000_000_000
"""2026-05-28 20:26:40 UTC: the tests' clock starts here."""

_SPEC = Path(aioca_binance_sim.__file__).parent / "spec" / "binance-spot-responses.json"


@cache
def _responses() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(_SPEC.read_text())
    return data


def documented(key: str, index: int = 0) -> Any:
    """Binance's documented example for ``"METHOD /path"`` (``index``: which example
    where the page gives several)."""
    entry = _responses()[key]
    if "examples" in entry:
        return entry["examples"][index]
    return entry["example"]


def documented_keys() -> list[str]:
    return sorted(_responses())


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    return type(value).__name__


def shape_problems(answer: Any, example: Any, where: str = "$") -> list[str]:
    """How ``answer`` differs in shape from ``example``: missing or extra keys, other
    value types; a list's items must each have the shape of one of the example's items
    (an empty list, an empty example object, matches anything)."""
    if isinstance(example, dict) and isinstance(answer, dict):
        if not example:
            return []
        problems = []
        missing, extra = example.keys() - answer.keys(), answer.keys() - example.keys()
        if missing:
            problems.append(f"{where}: missing {sorted(missing)}")
        if extra:
            problems.append(f"{where}: extra {sorted(extra)}")
        for key in example.keys() & answer.keys():
            problems += shape_problems(answer[key], example[key], f"{where}.{key}")
        return problems
    if isinstance(example, list) and isinstance(answer, list):
        if not example or not answer:
            return []
        if all(not isinstance(item, (dict, list)) for item in example) and len(example) == len(
            answer
        ):  # a positional array (a candle, a book level)
            problems = []
            for i, (got, want) in enumerate(zip(answer, example, strict=True)):
                problems += shape_problems(got, want, f"{where}[{i}]")
            return problems
        problems = []
        for i, item in enumerate(answer):
            candidates = example
            for tag in ("filterType", "type"):  # each filter, each order type has its keys
                if isinstance(item, dict) and tag in item:
                    same = [c for c in example if c.get(tag) == item[tag]]
                    candidates = same if same or tag == "filterType" else candidates
            if not candidates:
                continue
            options = [shape_problems(item, candidate, f"{where}[{i}]") for candidate in candidates]
            if all(options):
                problems += min(options, key=len)
        return problems
    if example is None or _kind(answer) == _kind(example):
        return []
    return [f"{where}: {_kind(answer)} where Binance sends {_kind(example)}"]


class SpotDesk:
    """A Spot venue and a clock: ``desk.call("GET", "/api/v3/order", symbol=...)``."""

    def __init__(self, seed: int = 7, now: int = T0) -> None:
        self.venue: SpotVenue = build_venue(seed, now, lambda: self.now)
        self.now = now

    def call(self, method: str, path: str, **params: Any) -> Any:
        handler = HANDLERS[("spot", method, path)]
        return handler(Call(self.venue, params, self.now))

    def last(self, symbol: str = "BTCUSDT") -> Decimal:
        """The last public trade's price."""
        spec = self.venue.symbols[symbol]
        return spec.tick * self.venue.tape.last_trade(spec, self.now).ticks

    def price(self, factor: str, symbol: str = "BTCUSDT") -> Decimal:
        """``factor`` times the last price, on the tick."""
        spec = self.venue.symbols[symbol]
        return (self.last(symbol) * Decimal(factor)).quantize(spec.tick)

    def order(self, **params: Any) -> Any:
        params.setdefault("symbol", "BTCUSDT")
        return self.call("POST", "/api/v3/order", **params)

    def free(self, asset: str) -> Decimal:
        return self.venue.engine.free[asset]

    def locked(self, asset: str) -> Decimal:
        return self.venue.engine.locked[asset]
