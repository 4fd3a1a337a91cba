"""The route table: every COIN-M endpoint of the catalog, with its parameter rules and
its handler, built once when a simulator starts.

The catalog (``aioca_binance.coinm.CATALOG``) is the single source of the endpoints'
methods, paths, security types, weights and parameters, so the simulator serves exactly
what the client can send; a catalog endpoint without a handler fails at start, loudly.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from aioca_binance.coinm import CATALOG
from aioca_binance.endpoint import Endpoint

from . import account_handlers, market_handlers
from .context import HANDLERS, Handler
from .params import Field, specs_of

__all__ = ["ORDER_ROUTES", "Route", "build_routes", "item_fields"]

del account_handlers, market_handlers  # imported for their registrations

ORDER_ROUTES = frozenset({("POST", "/dapi/v1/order"), ("POST", "/dapi/v1/batchOrders")})
"""Endpoints that place orders: they count on the ORDERS limits and report them."""


@dataclass(frozen=True, slots=True)
class Route:
    endpoint: Endpoint
    fields: dict[str, Field]
    one_of: tuple[tuple[str, ...], ...]
    handler: Handler
    places_orders: bool

    def weight(self, params: dict[str, str]) -> int:
        """The request's IP weight by the endpoint's rule; the rule's maximum when the
        parameter it reads is unreadable (the request is refused later anyway)."""
        try:
            return self.endpoint.weight_for(params)
        except ValueError:
            return self.endpoint.max_weight


def build_routes() -> dict[tuple[str, str], Route]:
    routes = {}
    for task in CATALOG.values():
        endpoint = task.endpoint
        key = (endpoint.method, endpoint.path)
        handler = HANDLERS.get(("coinm", *key))
        if handler is None:
            raise LookupError(f"the simulator has no handler for {endpoint}")
        routes[key] = Route(
            endpoint,
            specs_of(task.Params, endpoint.security.signed),
            task.Params.one_of,
            handler,
            key in ORDER_ROUTES,
        )
    return routes


@cache
def item_fields(key: tuple[str, str]) -> tuple[dict[str, Field], tuple[tuple[str, ...], ...]]:
    """The rules of one batch item: those of the single-order endpoint ``key``, without
    the request-level ``recvWindow``."""
    for task in CATALOG.values():
        if (task.endpoint.method, task.endpoint.path) == key:
            fields = specs_of(task.Params, signed=False)
            fields.pop("recvWindow", None)
            return fields, task.Params.one_of
    raise LookupError(key)
