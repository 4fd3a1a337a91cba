"""Helpers of the USDⓈ-M simulator's tests: a venue at a fixed time, handlers called
directly (a ``Call`` with parameters converted as the server converts them), and the
comparison of an answer with Binance's documented example of its endpoint."""

from __future__ import annotations

import json
from decimal import Decimal
from functools import cache
from typing import Any

from sim_helpers import FakeClock
from spec_files import SPEC_DIR

from aioca_binance_sim.context import HANDLERS, Call
from aioca_binance_sim.usdm import UsdmVenue, build_venue

__all__ = ["START_MS", "Desk", "documented", "shape_problems", "spec_endpoints"]

START_MS = 1_795_000_000_000
"""2026-11-17 10:13:20 UTC: a fixed start, so the quarterly symbols are known."""


@cache
def _responses() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SPEC_DIR / "binance-usdm-responses.json").read_text())
    return data


@cache
def spec_endpoints() -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads((SPEC_DIR / "binance-usdm-rest.json").read_text())
    return data


def documented(method: str, path: str) -> list[Any]:
    """Every documented example answer of ``METHOD path`` (several when the page shows
    alternatives: with or without ``symbol``, one-way or hedge mode...)."""
    entry = _responses()[f"{method} {path}"]
    if "examples" in entry:
        return list(entry["examples"])
    return [entry["example"]]


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"  # JSON has one number type (the docs write 0 and 0.0 alike)
    return type(value).__name__


def shape_problems(
    mine: Any, doc: Any, where: str = "$", extra: frozenset[str] = frozenset()
) -> list[str]:
    """How ``mine`` differs from ``doc`` in shape: a key of the example missing, a key
    the example does not have (unless in ``extra``), a value of another JSON type. List
    items are compared with the example's items: objects with any of them (an error
    object in a batch answer with the error example), scalars by position."""
    if _kind(mine) != _kind(doc):
        return [f"{where}: {_kind(mine)} where the example has {_kind(doc)}"]
    if isinstance(doc, dict):
        problems = [f"{where}: no {key!r}" for key in doc if key not in mine]
        problems += [
            f"{where}: extra {key!r}" for key in mine if key not in doc and key not in extra
        ]
        for key in doc:
            if key in mine:
                problems += shape_problems(mine[key], doc[key], f"{where}.{key}", extra)
        return problems
    if isinstance(doc, list) and doc and mine:
        if all(not isinstance(item, dict | list) for item in doc) and len(doc) == len(mine):
            problems = []
            for i, (a, b) in enumerate(zip(mine, doc, strict=True)):
                problems += shape_problems(a, b, f"{where}[{i}]", extra)
            return problems
        problems = []
        for i, item in enumerate(mine):
            tries = [shape_problems(item, d, f"{where}[{i}]", extra) for d in doc]
            if all(tries):
                problems += min(tries, key=len)
        return problems
    return []


class Desk:
    """One USDⓈ-M venue and a clock: ``desk("POST", "/fapi/v1/order", symbol=...)``
    answers as the handler would over HTTP (or raises its ``SimError``)."""

    def __init__(
        self, seed: int = 3, start_ms: int = START_MS, venue: UsdmVenue | None = None
    ) -> None:
        self.now = start_ms
        self.venue: UsdmVenue = venue if venue is not None else build_venue(seed, start_ms, None)
        self.clock: FakeClock | None = None

    @classmethod
    def of(cls, venue: UsdmVenue, clock: FakeClock) -> Desk:
        """A desk on a running simulator's venue, its time the simulator's clock."""
        desk = cls(start_ms=int(clock() * 1000), venue=venue)
        desk.clock = clock
        return desk

    def __call__(self, method: str, path: str, **params: Any) -> Any:
        handler = HANDLERS[("usdm", method, path)]
        if self.clock is not None:
            self.now = int(self.clock() * 1000)
        return handler(Call(self.venue, params, self.now))

    def advance(self, ms: int) -> None:
        self.now += ms
        if self.clock is not None:
            self.clock.advance(ms / 1000)

    @property
    def engine(self) -> Any:
        return self.venue.engine

    def last(self, symbol: str) -> Decimal:
        s = self.venue.symbols[symbol]
        return self.venue.market.last_price(s, self.now)

    def price(self, symbol: str, factor: str) -> Decimal:
        """``factor`` times the last price, on the symbol's tick."""
        s = self.venue.symbols[symbol]
        return (self.last(symbol) * Decimal(factor)).quantize(s.tick)
