"""Binance's rate limits, per client IP: REQUEST_WEIGHT per minute, ORDERS per 10 seconds
and per minute, and the IP ban for clients that keep going after a 429.

Windows are fixed and aligned to the server's clock, as Binance counts them (a minute
window resets on the minute). A request over the weight limit gets HTTP 429 with code
-1003 and ``Retry-After`` (seconds to the window's end); one over an order limit gets 429
with -1015. A client that sends ``ban_after`` more requests while it is being refused is
banned: HTTP 418, -1003 "banned until <ms>", for ``ban_seconds``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .errors import SimError

__all__ = ["IpState", "RateLimits"]


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
    weight: _Window = field(default_factory=lambda: _Window(60))  # replaced by RateLimits
    orders_10s: _Window = field(default_factory=lambda: _Window(10))
    orders_1m: _Window = field(default_factory=lambda: _Window(60))
    refused_until: float = 0.0
    strikes: int = 0
    banned_until: float = 0.0


class RateLimits:
    """The windows of every client IP, and the limits they are checked against."""

    def __init__(
        self,
        weight_limit: int,
        order_limit_10s: int,
        order_limit_1m: int,
        *,
        ban_after: int = 3,
        ban_seconds: int = 120,
        weight_seconds: int = 60,
    ) -> None:
        for name, value in (
            ("weight_limit", weight_limit),
            ("order_limit_10s", order_limit_10s),
            ("order_limit_1m", order_limit_1m),
            ("weight_seconds", weight_seconds),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive whole number, not {value!r}")
        self.weight_limit = weight_limit
        self.order_limit_10s = order_limit_10s
        self.order_limit_1m = order_limit_1m
        self.ban_after = ban_after
        self.ban_seconds = ban_seconds
        self.weight_seconds = weight_seconds
        """The length of the weight window (60, Binance's minute; shorter ones make load
        tests over many windows take seconds)."""
        minutes, seconds = divmod(weight_seconds, 60)
        self._weight_interval = ("MINUTE", minutes) if seconds == 0 else ("SECOND", weight_seconds)
        self.weight_header = "X-MBX-USED-WEIGHT-" + (
            f"{minutes}M" if seconds == 0 else f"{weight_seconds}S"
        )
        """The header reporting the weight used: ``X-MBX-USED-WEIGHT-1M`` for a minute."""
        self._ips: dict[str, IpState] = {}

    def reset(self) -> None:
        """Forget every window and ban."""
        self._ips.clear()

    def state(self, ip: str) -> IpState:
        state = self._ips.get(ip)
        if state is None:
            state = self._ips[ip] = IpState(weight=_Window(self.weight_seconds))
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

    def charge_weight(self, ip: str, weight: int, now: float) -> int:
        """Add ``weight`` to the IP's minute; 429 when it does not fit. Returns the usage."""
        state = self.state(ip)
        window = state.weight
        window.roll(now)
        if window.used + weight > self.weight_limit:
            retry = max(1, math.ceil(window.remaining(now)))
            error = SimError(
                -1003,
                f"Too many requests; current limit of IP({ip}) is {self.weight_limit} "
                f"requests per {self._per_weight_window()}. Please use the websocket for live "
                "updates to avoid polling the API.",
                status=429,
                headers={"Retry-After": str(retry)},
            )
            raise self._refuse(ip, state, now, error, now + window.remaining(now))
        window.used += weight
        return window.used

    def _per_weight_window(self) -> str:
        interval, number = self._weight_interval
        return interval.lower() if number == 1 else f"{number} {interval.lower()}s"

    def used_weight(self, ip: str, now: float) -> int:
        window = self.state(ip).weight
        window.roll(now)
        return window.used

    def charge_orders(self, ip: str, count: int, now: float) -> None:
        """Count ``count`` new orders; 429 with -1015 when a window is full."""
        state = self.state(ip)
        for window, limit, label in (
            (state.orders_10s, self.order_limit_10s, "10 SECOND"),
            (state.orders_1m, self.order_limit_1m, "1 MINUTE"),
        ):
            window.roll(now)
            if window.used + count > limit:
                retry = max(1, math.ceil(window.remaining(now)))
                error = SimError(
                    -1015,
                    f"Too many new orders; current limit is {limit} orders per {label}.",
                    status=429,
                    headers={"Retry-After": str(retry)},
                )
                raise self._refuse(ip, state, now, error, now + window.remaining(now))
        state.orders_10s.used += count
        state.orders_1m.used += count

    def order_counts(self, ip: str, now: float) -> tuple[int, int]:
        state = self.state(ip)
        state.orders_10s.roll(now)
        state.orders_1m.roll(now)
        return state.orders_10s.used, state.orders_1m.used

    def rate_limits_info(self) -> list[dict[str, object]]:
        """exchangeInfo's ``rateLimits``, with the configured limits."""
        return [
            {"rateLimitType": "REQUEST_WEIGHT", "interval": self._weight_interval[0],
             "intervalNum": self._weight_interval[1], "limit": self.weight_limit},
            {"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1,
             "limit": self.order_limit_1m},
            {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10,
             "limit": self.order_limit_10s},
        ]  # fmt: skip
