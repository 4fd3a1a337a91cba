"""How a Binance endpoint is declared: method, path, security type and request weight.

Each catalog task carries one :class:`Endpoint` as its class attribute ``endpoint``, so the
CLI, the rate limiter and the tests read what a task does without instantiating it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

__all__ = ["ByLimit", "BySymbol", "BySymbolOrPair", "Endpoint", "Security", "Weight"]


class Security(StrEnum):
    """Binance's security types: what a request must carry."""

    NONE = "NONE"
    """Public: no key."""
    MARKET_DATA = "MARKET_DATA"
    """The API key in the ``X-MBX-APIKEY`` header."""
    USER_STREAM = "USER_STREAM"
    """The API key in the header (listen keys)."""
    USER_DATA = "USER_DATA"
    """Key header, ``timestamp``, ``recvWindow`` and ``signature``."""
    TRADE = "TRADE"
    """Key header, ``timestamp``, ``recvWindow`` and ``signature``."""

    @property
    def needs_key(self) -> bool:
        return self is not Security.NONE

    @property
    def signed(self) -> bool:
        return self in (Security.USER_DATA, Security.TRADE)


@dataclass(frozen=True, slots=True)
class ByLimit:
    """Weight by the ``limit`` parameter: the first step whose upper bound holds ``limit``
    gives the weight, ``above`` beyond the last step; ``default_limit`` is what Binance uses
    when ``limit`` is not sent."""

    steps: tuple[tuple[int, int], ...]
    above: int | None = None
    default_limit: int = 500

    def for_params(self, params: Mapping[str, Any]) -> int:
        limit = params.get("limit")
        limit = self.default_limit if limit is None else int(limit)
        for upper, weight in self.steps:
            if limit <= upper:
                return weight
        return self.above if self.above is not None else self.steps[-1][1]

    @property
    def max(self) -> int:
        return max([weight for _, weight in self.steps] + [self.above or 0])

    @property
    def min(self) -> int:
        return min([weight for _, weight in self.steps] + [self.above or self.steps[0][1]])


@dataclass(frozen=True, slots=True)
class BySymbol:
    """Weight by whether ``symbol`` is sent (one symbol) or not (all symbols)."""

    with_symbol: int
    without_symbol: int

    def for_params(self, params: Mapping[str, Any]) -> int:
        return self.with_symbol if params.get("symbol") is not None else self.without_symbol

    @property
    def max(self) -> int:
        return max(self.with_symbol, self.without_symbol)

    @property
    def min(self) -> int:
        return min(self.with_symbol, self.without_symbol)


@dataclass(frozen=True, slots=True)
class BySymbolOrPair:
    """Weight by whether ``symbol`` is sent, or else ``pair``."""

    with_symbol: int
    with_pair: int

    def for_params(self, params: Mapping[str, Any]) -> int:
        return self.with_symbol if params.get("symbol") is not None else self.with_pair

    @property
    def max(self) -> int:
        return max(self.with_symbol, self.with_pair)

    @property
    def min(self) -> int:
        return min(self.with_symbol, self.with_pair)


Weight = int | ByLimit | BySymbol | BySymbolOrPair


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One REST endpoint: ``method``, ``path``, ``security``, IP ``weight`` (a number or a
    rule over the parameters), ``orders`` counted on the order-rate limit, ``market``
    (``"coinm"``, ``"usdm"`` or ``"spot"``: which base URL it lives on),
    ``changes_orders`` when it creates, amends or cancels orders (never retried, see
    :class:`aioca.RetryPolicy`) and ``batch`` when it takes several orders and answers
    each one on its own (refused items raise :class:`aioca.errors.BatchError`)."""

    method: str
    path: str
    security: Security
    weight: Weight
    orders: int = 0
    market: str = "coinm"
    changes_orders: bool = False
    batch: bool = False

    def weight_for(self, params: Mapping[str, Any]) -> int:
        """The IP weight of one request with ``params``."""
        if isinstance(self.weight, int):
            return self.weight
        return self.weight.for_params(params)

    @property
    def max_weight(self) -> int:
        return self.weight if isinstance(self.weight, int) else self.weight.max

    @property
    def min_weight(self) -> int:
        return self.weight if isinstance(self.weight, int) else self.weight.min

    def __str__(self) -> str:
        return f"{self.method} {self.path}"
