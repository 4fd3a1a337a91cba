"""Binance's rate limits, per market and per client IP: the market's budgets (IP weight,
order counts, raw requests), the windows some endpoints have of their own, and the IP ban
for clients that keep going after a 429.

Each market is a host of its own at Binance, with budgets of its own (:data:`BUDGETS`):
COIN-M and USDⓈ-M 2,400 weight per minute, 1,200 orders per minute and 300 per 10 s;
Spot 6,000 weight per minute, 61,000 raw requests per 5 minutes, 50 orders per 10 s and
160,000 per day (``binance-signing-and-errors.md`` §4, Spot's limits page).

Windows are fixed and aligned to the server's clock, as Binance counts them (a minute
window resets on the minute). A request over a weight or raw-request budget gets HTTP 429
with code -1003 and ``Retry-After`` (seconds to the window's end); one over an order
budget gets 429 with -1015. A client that sends ``ban_after`` more requests while it is
being refused is banned: HTTP 418, -1003 "banned until <ms>", for ``ban_seconds``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from .endpoints import OwnWindow
from .errors import SimError

__all__ = ["BUDGETS", "Budget", "IpState", "RateLimits"]

_UNITS = ((86400, "DAY", "D"), (3600, "HOUR", "H"), (60, "MINUTE", "M"), (1, "SECOND", "S"))
_HEADER_PREFIX = {"REQUEST_WEIGHT": "X-MBX-USED-WEIGHT-", "ORDERS": "X-MBX-ORDER-COUNT-"}


@dataclass(frozen=True, slots=True)
class Budget:
    """One of a market's rate limits: ``limit`` per ``seconds`` of ``kind``
    (``REQUEST_WEIGHT``, ``ORDERS`` or ``RAW_REQUESTS``), as exchangeInfo lists them."""

    kind: str
    limit: int
    seconds: int

    def __post_init__(self) -> None:
        if self.kind not in ("REQUEST_WEIGHT", "ORDERS", "RAW_REQUESTS"):
            raise ValueError(f"unknown rate limit kind {self.kind!r}")
        for name in ("limit", "seconds"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive whole number, not {value!r}")

    @property
    def interval(self) -> tuple[str, int, str]:
        """``("MINUTE", 1, "M")``: exchangeInfo's interval, intervalNum and the header's
        letter."""
        for seconds, name, letter in _UNITS:
            if self.seconds % seconds == 0:
                return name, self.seconds // seconds, letter
        raise AssertionError("a whole number of seconds")  # pragma: no cover

    @property
    def header(self) -> str | None:
        """``X-MBX-USED-WEIGHT-1M``, ``X-MBX-ORDER-COUNT-10S``...; ``None`` for raw
        requests, which Binance does not report."""
        prefix = _HEADER_PREFIX.get(self.kind)
        if prefix is None:
            return None
        _, number, letter = self.interval
        return f"{prefix}{number}{letter}"

    @property
    def per(self) -> str:
        """The window in the words of Binance's messages: ``minute``, ``10 SECOND``."""
        name, number, _ = self.interval
        if self.kind == "ORDERS":
            return f"{number} {name}"
        return name.lower() if number == 1 else f"{number} {name.lower()}s"


def futures_budgets(
    weight_limit: int = 2400,
    order_limit_10s: int = 300,
    order_limit_1m: int = 1200,
    weight_seconds: int = 60,
) -> tuple[Budget, ...]:
    """COIN-M's and USDⓈ-M's budgets (the FAQ "Rate limits on Binance Futures")."""
    return (
        Budget("REQUEST_WEIGHT", weight_limit, weight_seconds),
        Budget("ORDERS", order_limit_1m, 60),
        Budget("ORDERS", order_limit_10s, 10),
    )


BUDGETS: Mapping[str, tuple[Budget, ...]] = {
    "spot": (
        Budget("REQUEST_WEIGHT", 6000, 60),
        Budget("ORDERS", 50, 10),
        Budget("ORDERS", 160_000, 86_400),
        Budget("RAW_REQUESTS", 61_000, 300),
    ),
    "usdm": futures_budgets(),
    "coinm": futures_budgets(),
}
"""Each market's published budgets."""


@dataclass(slots=True)
class _Window:
    seconds: int
    index: int = -1
    used: int = 0

    def roll(self, now: float) -> None:
        index = math.floor(now / self.seconds)
        if index != self.index:
            self.index, self.used = index, 0

    def remaining(self, now: float) -> float:
        return (self.index + 1) * self.seconds - now


@dataclass(slots=True)
class IpState:
    """One client IP's windows on one market, and its refusals and ban."""

    windows: list[_Window]
    own: dict[str, _Window] = field(default_factory=dict)
    refused_until: float = 0.0
    strikes: int = 0
    banned_until: float = 0.0

    @property
    def weight(self) -> _Window:
        """The first REQUEST_WEIGHT window (kept for tests that read it)."""
        return self.windows[0]


class RateLimits:
    """One market's budgets, the windows of every client IP, and the bans."""

    def __init__(
        self,
        budgets: Sequence[Budget] = BUDGETS["coinm"],
        *,
        ban_after: int = 3,
        ban_seconds: int = 120,
    ) -> None:
        self.budgets = tuple(budgets)
        if not any(budget.kind == "REQUEST_WEIGHT" for budget in self.budgets):
            raise ValueError("a market needs a REQUEST_WEIGHT budget")
        # The weight budgets first (IpState.weight is the first window), then the
        # shortest windows: a request that overruns two is told about the shorter one.
        self.budgets = tuple(
            sorted(
                self.budgets, key=lambda budget: (budget.kind != "REQUEST_WEIGHT", budget.seconds)
            )
        )
        self._listed = tuple(budgets)
        self.ban_after = ban_after
        self.ban_seconds = ban_seconds
        weight = self.budgets[0]
        self.weight_limit = weight.limit
        self.weight_seconds = weight.seconds
        self.weight_header = weight.header or ""
        """The header reporting the weight used: ``X-MBX-USED-WEIGHT-1M`` for a minute."""
        self._ips: dict[str, IpState] = {}

    def reset(self) -> None:
        """Forget every window and ban."""
        self._ips.clear()

    def state(self, ip: str) -> IpState:
        state = self._ips.get(ip)
        if state is None:
            windows = [_Window(budget.seconds) for budget in self.budgets]
            state = self._ips[ip] = IpState(windows)
        return state

    def check_ban(self, ip: str, now: float) -> None:
        state = self.state(ip)
        if now < state.banned_until:
            raise self._banned(ip, state, now)

    def _banned(self, ip: str, state: IpState, now: float) -> SimError:
        until_ms = int(state.banned_until * 1000)
        return SimError(
            -1003,
            f"Way too many requests; IP({ip}) banned until {until_ms}. Please use the "
            "websocket for live updates to avoid bans.",
            status=418,
            headers={"Retry-After": str(max(1, math.ceil(state.banned_until - now)))},
        )

    def _refuse(
        self, ip: str, state: IpState, now: float, error: SimError, until: float
    ) -> SimError:
        """Count a refusal; a client that keeps sending while refused gets banned."""
        if now < state.refused_until:
            state.strikes += 1
            if state.strikes >= self.ban_after:
                state.banned_until = now + self.ban_seconds
                state.strikes = 0
                return self._banned(ip, state, now)
        else:
            state.strikes = 0
        state.refused_until = until
        return error

    def _over(
        self, ip: str, state: IpState, window: _Window, now: float, code: int, msg: str
    ) -> SimError:
        retry = max(1, math.ceil(window.remaining(now)))
        error = SimError(code, msg, status=429, headers={"Retry-After": str(retry)})
        return self._refuse(ip, state, now, error, now + window.remaining(now))

    def _charge(
        self, ip: str, kinds: Mapping[str, int], now: float, own: Iterable[OwnWindow] = ()
    ) -> IpState:
        """Charge ``kinds`` (kind -> amount; ``ORDERS_10S`` for order windows under a
        minute) to every matching window at once, or none of them when one is full."""
        state = self.state(ip)
        charges: list[tuple[_Window, int]] = []
        for budget, window in zip(self.budgets, state.windows, strict=True):
            kind = budget.kind
            if kind == "ORDERS" and budget.seconds < 60 and "ORDERS_10S" in kinds:
                amount = kinds["ORDERS_10S"]
            else:
                amount = kinds.get(kind, 0)
            if not amount:
                continue
            window.roll(now)
            if window.used + amount > budget.limit:
                if kind == "ORDERS":
                    msg = (
                        f"Too many new orders; current limit is {budget.limit} orders per "
                        f"{budget.per}."
                    )
                    raise self._over(ip, state, window, now, -1015, msg)
                raise self._over(ip, state, window, now, -1003, self._too_many(ip, budget))
            charges.append((window, amount))
        for limit in own:
            key, count, seconds = limit.key, limit.limit, limit.seconds
            window = state.own.setdefault(key, _Window(seconds))
            window.roll(now)
            if window.used + 1 > count:
                msg = (
                    f"Too many requests; current limit of IP({ip}) is {count} requests per "
                    f"{Budget('RAW_REQUESTS', count, seconds).per}. Please use the websocket "
                    "for live updates to avoid polling the API."
                )
                raise self._over(ip, state, window, now, -1003, msg)
            charges.append((window, 1))
        for window, amount in charges:
            window.used += amount
        return state

    @staticmethod
    def _too_many(ip: str, budget: Budget) -> str:
        return (
            f"Too many requests; current limit of IP({ip}) is {budget.limit} requests per "
            f"{budget.per}. Please use the websocket for live updates to avoid polling the API."
        )

    def charge_weight(self, ip: str, weight: int, now: float) -> int:
        """Add ``weight`` to the IP's weight windows and 1 to its raw-request windows;
        429 when one does not fit. Returns the weight used in the first weight window."""
        state = self._charge(ip, {"REQUEST_WEIGHT": weight, "RAW_REQUESTS": 1}, now)
        window = state.windows[0]
        window.roll(now)
        return window.used

    def charge_own(self, ip: str, windows: Iterable[OwnWindow], now: float) -> None:
        """Count 1 on each of an endpoint's own windows; 429 when one is full."""
        if windows:
            self._charge(ip, {}, now, windows)

    def used_weight(self, ip: str, now: float) -> int:
        window = self.state(ip).weight
        window.roll(now)
        return window.used

    def usage_headers(self, ip: str, now: float, kind: str) -> dict[str, str]:
        """The ``X-MBX-USED-WEIGHT-*`` (``kind="REQUEST_WEIGHT"``) or
        ``X-MBX-ORDER-COUNT-*`` (``"ORDERS"``) headers with the IP's usage."""
        state = self.state(ip)
        headers = {}
        for budget, window in zip(self.budgets, state.windows, strict=True):
            if budget.kind == kind and budget.header:
                window.roll(now)
                headers[budget.header] = str(window.used)
        return headers

    def charge_orders(self, ip: str, count: int, now: float, count_10s: int | None = None) -> None:
        """Count ``count`` new orders (``count_10s`` on the windows under a minute, when
        Binance counts differently there); 429 with -1015 when a window is full."""
        self._charge(
            ip, {"ORDERS": count, "ORDERS_10S": count if count_10s is None else count_10s}, now
        )

    def credit_filled_orders(self, count: int, now: float) -> None:
        """Take ``count`` orders off every current ORDERS window: Spot's rule ("when an
        order is first filled, partially or fully, your unfilled order count decrements
        by one order across all intervals of the ORDERS rate limit", Binance's Spot
        Unfilled Order Count Rules). The count is the account's; the simulator has one
        account, so every address's windows are credited. Futures markets do not call
        it: they count orders placed."""
        for state in self._ips.values():
            for budget, window in zip(self.budgets, state.windows, strict=True):
                if budget.kind == "ORDERS":
                    window.roll(now)
                    window.used = max(0, window.used - count)

    def order_counts(self, ip: str, now: float) -> tuple[int, ...]:
        """The IP's usage of each ORDERS window, shortest first."""
        state = self.state(ip)
        found = []
        for budget, window in zip(self.budgets, state.windows, strict=True):
            if budget.kind == "ORDERS":
                window.roll(now)
                found.append((budget.seconds, window.used))
        return tuple(used for _, used in sorted(found))

    def rate_limits_info(self) -> list[dict[str, object]]:
        """exchangeInfo's ``rateLimits``, with the configured limits."""
        info: list[dict[str, object]] = []
        for budget in self._listed:
            interval, number, _ = budget.interval
            info.append(
                {
                    "rateLimitType": budget.kind,
                    "interval": interval,
                    "intervalNum": number,
                    "limit": budget.limit,
                }
            )
        return info
