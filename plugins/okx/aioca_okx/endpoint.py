"""How an OKX endpoint is declared: method, path, authentication and rate limit.

OKX does not count request weights in one shared budget as Binance does. Every endpoint
has its own budget ("20 requests per 2 seconds"), counted per IP for public endpoints and
per user id for private ones, and for some endpoints per instrument too ("UserID +
Instrument ID": 60 orders per 2 s *on each instrument*). :class:`RateLimit` says which;
:meth:`Endpoint.costs` turns one request into the units it charges, one limiter unit per
endpoint (and per instrument where the budget is split), which the API object turns into
limiter windows on first use (see :mod:`aioca_okx.api`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

__all__ = ["ORDER_RATE_UNIT", "Auth", "Endpoint", "RateLimit", "Scope"]

ORDER_RATE_UNIT = "ORDERS"
"""The limiter unit of OKX's sub-account order budget: every new and amended order,
batch items counted one by one, on top of each endpoint's own budget."""


class Auth(StrEnum):
    """What a request must carry."""

    PUBLIC = "PUBLIC"
    """Nothing: market data, counted per IP."""
    PRIVATE = "PRIVATE"
    """The four ``OK-ACCESS-*`` headers (key, signature, timestamp, passphrase); counted
    per user id."""


class Scope(StrEnum):
    """Whose budget a request spends, as OKX words its "rate limit rule"."""

    IP = "IP"
    USER = "UserID"


@dataclass(frozen=True, slots=True)
class RateLimit:
    """``limit`` units per ``seconds``, per ``scope``.

    ``key`` names the parameter that splits the budget further ("IP + Instrument ID" is
    ``key="instId"``: each instrument has its own ``limit``); a request without that
    parameter spends the endpoint's unsplit budget. ``per_order`` counts the orders of a
    batch rather than requests (OKX's "300 orders per 2 seconds"). ``note`` says where a
    number is an assumption rather than read off OKX's page.
    """

    limit: int
    seconds: float
    scope: Scope
    key: str | None = None
    per_order: bool = False
    note: str = ""

    def __str__(self) -> str:
        what = "orders" if self.per_order else "requests"
        rule = self.scope.value + (f" + {self.key}" if self.key else "")
        return f"{self.limit} {what}/{self.seconds:g}s per {rule}"


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One REST endpoint of OKX's v5 API.

    ``batch`` endpoints take a JSON array of items and answer with one item per request
    item, each with its own ``sCode``/``sMsg``; ``creates_orders`` marks those that place
    orders (their outcome must never be left unknown); ``changes_orders`` those that place,
    amend or cancel orders, which are never retried (see :class:`aioca.RetryPolicy`);
    ``counts_orders`` those OKX counts on the sub-account order budget (placing and
    amending).
    """

    method: str
    path: str
    auth: Auth
    rate_limit: RateLimit
    batch: bool = False
    creates_orders: bool = False
    changes_orders: bool = False
    counts_orders: bool = False

    @property
    def unit(self) -> str:
        """The limiter unit of this endpoint's budget: ``"GET /api/v5/market/ticker"``."""
        return f"{self.method} {self.path}"

    def costs(self, params: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> dict[str, int]:
        """The units one request with ``params`` (a mapping, or a batch's items) charges.

        A unit is the endpoint's, suffixed ``@value`` when the budget is split by a
        parameter; a batch spanning several instruments charges each instrument's unit
        with its own orders, all at once.
        """
        items = [params] if isinstance(params, Mapping) else list(params)
        limit = self.rate_limit
        costs: Counter[str] = Counter()
        for item in items:
            value = item.get(limit.key) if limit.key else None
            costs[self.unit if value is None else f"{self.unit}@{value}"] += 1
        if not limit.per_order:
            # One request, whatever it carries: one unit of each budget it touches.
            costs = Counter(dict.fromkeys(costs, 1))
        if not costs:
            costs[self.unit] = 1
        if self.counts_orders:
            costs[ORDER_RATE_UNIT] = max(1, len(items))
        return dict(costs)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"
