"""The route table of each market: every endpoint the spec lists (the package's copy of
``binance-<market>-rest.json``), with its parameter rules, weight, order counts and
handler, built once when a simulator starts.

An endpoint whose market has no handler for it yet is answered with its documented
example (:func:`documented`): a static answer of the documented shape, so every endpoint
of every market answers something a client can parse.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import account_handlers, market_handlers
from .context import HANDLERS, Call, Handler
from .endpoints import MARKETS, EndpointSpec, documented_answer, endpoints
from .params import read_params

__all__ = ["Route", "build_routes", "documented", "market_module"]

del account_handlers, market_handlers  # imported for their registrations

_COUNTS_ITEMS = frozenset({("coinm", "POST", "/dapi/v1/batchOrders")})
"""Batch endpoints whose spec states no order count: each item counts one order, as
Binance counts every order placed (USDⓈ-M's batch states its counts)."""


def market_module(market: str) -> Any | None:
    """``aioca_binance_sim.spot`` or ``.usdm`` (importing it registers its handlers), or
    ``None`` while that market's engine is not part of this package."""
    if market == "coinm":
        return None
    name = f"{__package__}.{market}"
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:  # a module the engine needs is missing: a real error
            raise
        return None


def documented(market: str, spec: EndpointSpec) -> Handler:
    """A handler answering the endpoint's documented example response, deep-copied per
    request: a static documented answer, not a simulation, for endpoints without a
    handler of their own."""

    def answer(call: Call) -> Any:
        return documented_answer(market, spec.method, spec.path)

    answer.__doc__ = f"The documented example answer of {spec} (static)."
    return answer


@dataclass(frozen=True, slots=True)
class Route:
    """One endpoint of one market, ready to answer."""

    spec: EndpointSpec
    handler: Handler
    read: Callable[[dict[str, str]], dict[str, Any]]
    """The parameters as received (text) -> checked and converted, or a SimError."""
    static: bool = False
    """Answered with the documented example (no handler of its own)."""
    counts_items: bool = False
    """Each item of ``batchOrders`` counts one order (the spec states no count)."""

    def weight(self, params: dict[str, str]) -> int:
        """The request's IP weight by the endpoint's spec rule."""
        return self.spec.weight(params)

    @property
    def places_orders(self) -> bool:
        return bool(self.spec.orders_1m or self.spec.orders_10s or self.counts_items)


def _reader(spec: EndpointSpec) -> Callable[[dict[str, str]], dict[str, Any]]:
    def read(received: dict[str, str]) -> dict[str, Any]:
        return read_params(spec, received)

    return read


def build_routes(market: str) -> dict[tuple[str, str], Route]:
    """``(METHOD, path)`` -> :class:`Route` for every endpoint of ``market``'s spec."""
    if market not in MARKETS:
        raise ValueError(f"unknown market {market!r}")
    market_module(market)
    routes: dict[tuple[str, str], Route] = {}
    for spec in endpoints(market):
        key = (spec.method, spec.path)
        handler = HANDLERS.get((market, *key))
        routes[key] = Route(
            spec,
            handler if handler is not None else documented(market, spec),
            _reader(spec),
            static=handler is None,
            counts_items=(market, *key) in _COUNTS_ITEMS,
        )
    strays = [
        f"{method} {path}"
        for (owner, method, path) in HANDLERS
        if owner == market and (method, path) not in routes
    ]
    if strays:
        raise LookupError(f"{market} handlers for endpoints the spec does not list: {strays}")
    return routes
