"""``SpotVenue``: the state of the simulated Spot market, what its handlers work on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import SimError, bad_symbol
from .engine import SpotEngine
from .symbols import SpotSymbol, build_symbols
from .tape import Tape

__all__ = ["SpotVenue", "build_venue"]


@dataclass(slots=True)
class SpotVenue:
    """The symbols, their market data (``tape``) and the paper account (``engine``)."""

    seed: int
    symbols: dict[str, SpotSymbol]
    tape: Tape
    engine: SpotEngine
    clock: Callable[[], int] | None = None
    opened: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def symbol(self, name: str) -> SpotSymbol:
        found = self.symbols.get(name)
        if found is None:
            raise bad_symbol()
        return found

    def selected(
        self, params: dict[str, Any], *, required: bool = False
    ) -> tuple[list[SpotSymbol], bool]:
        """The symbols a ``symbol`` or ``symbols`` parameter names (all of them when
        neither is sent, unless ``required``), and whether one ``symbol`` was named (the
        answer is then an object, not a list)."""
        if "symbol" in params and "symbols" in params:
            raise SimError(-1128, "Combination of optional parameters invalid.")
        if "symbol" in params:
            chosen, single = [self.symbol(params["symbol"])], True
        elif "symbols" in params:
            names = params["symbols"]
            if (
                not isinstance(names, list)
                or not names
                or not all(isinstance(n, str) for n in names)
            ):
                raise SimError(-1130, "Data sent for parameter 'symbols' is not valid.")
            if len(set(names)) < len(names):
                raise SimError(-1151, "Symbol is present multiple times in the list.")
            chosen, single = [self.symbol(name) for name in names], False
        elif required:
            raise SimError(
                -1102, "Param 'symbol' or 'symbols' must be sent, but both were empty/null!"
            )
        else:
            chosen, single = list(self.symbols.values()), False
        status = params.get("symbolStatus")
        if status is not None and status != "TRADING":
            if "symbol" in params or "symbols" in params:
                raise SimError(
                    -1220, "The symbol's status does not match the requested symbolStatus."
                )
            chosen = []
        return chosen, single


def build_venue(seed: int, now_ms: int, clock: Callable[[], int] | None = None) -> SpotVenue:
    """The Spot market of a simulator started at ``now_ms`` with ``seed``; ``clock`` is
    the server's clock in ms."""
    symbols = build_symbols(seed)
    tape = Tape(symbols)
    engine = SpotEngine(tape, symbols, funded_ms=now_ms)
    return SpotVenue(seed, symbols, tape, engine, clock, now_ms)
