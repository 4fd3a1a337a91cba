"""What a handler works with: the venue's state and the request being answered.

Handlers are plain functions registered per ``(METHOD, path)`` with :func:`handles`; the
server looks them up once, at start, in a table built from the catalog.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .engine import Engine
from .errors import SimError
from .instruments import Instrument, Pair
from .limits import RateLimits
from .market import Market

__all__ = ["HANDLERS", "Call", "Handler", "Venue", "handles"]


@dataclass(slots=True)
class Venue:
    """The simulated exchange's state: market data, the account, the rate limits."""

    market: Market
    engine: Engine
    instruments: dict[str, Instrument]
    limits: RateLimits

    def instrument(self, symbol: str) -> Instrument:
        return self.engine.instrument(symbol)

    def pair(self, name: str) -> Pair:
        found = self.market.pairs.get(name)
        if found is None:
            raise SimError(-4087, "Invalid pair.")
        return found

    def of_pair(self, pair: str) -> list[Instrument]:
        self.pair(pair)
        return [i for i in self.instruments.values() if i.pair.name == pair]

    def by_contract_type(self, pair: str, contract_type: str) -> Instrument:
        for instrument in self.of_pair(pair):
            if instrument.contract_type == contract_type:
                return instrument
        raise SimError(-4104, "Invalid contract type.")

    def selected(self, params: dict[str, Any]) -> list[Instrument]:
        """The instruments a ``symbol`` or ``pair`` parameter names, or all of them."""
        if "symbol" in params:
            return [self.instrument(params["symbol"])]
        if "pair" in params:
            return self.of_pair(params["pair"])
        return list(self.instruments.values())


@dataclass(slots=True)
class Call:
    """One request: the state of its market (``venue``: COIN-M's :class:`Venue`, Spot's
    and USDⓈ-M's venues from their packages), its parameters checked against the spec and
    converted by their spec type (absent optional ones absent), the server time (ms) it is
    answered at, and its market's rate limits (``limits.rate_limits_info()`` is
    exchangeInfo's ``rateLimits``)."""

    venue: Any
    params: dict[str, Any]
    now: int
    limits: RateLimits | None = None


Handler = Callable[[Call], Any]

HANDLERS: dict[tuple[str, str, str], Handler] = {}
"""``(market, METHOD, path)`` -> handler, filled by the handler modules as they are
imported. Markets are ``"spot"``, ``"usdm"`` and ``"coinm"``: each is served on a port of
its own (USDⓈ-M's and COIN-M's ``/futures/data`` paths are the same), so a path names an
endpoint only together with its market."""


def handles(method: str, path: str, *, market: str = "coinm") -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        key = (market, method, path)
        if key in HANDLERS:
            raise LookupError(f"two handlers for {market} {method} {path}")
        HANDLERS[key] = handler
        return handler

    return register
