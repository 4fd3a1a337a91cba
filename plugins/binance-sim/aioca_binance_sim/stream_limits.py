"""Binance's WebSocket stream limits, as the simulator's hubs enforce them.

Binance documents two (``spec/binance-ws-streams.json``, ``connection_rules``):

* incoming messages: Spot 5 a second, USDⓈ-M and COIN-M 10 ("a PING frame, a PONG frame,
  a JSON controlled message (e.g. subscribe, unsubscribe)"); "a connection that goes
  beyond the limit will be disconnected". The hub closes it with code 1008 (policy
  violation) and the reason ``too many messages``: Binance does not say which close
  frame it sends, and a client must treat any disconnection alike.
* connection attempts: Spot 300 every 5 minutes per IP (the futures pages state no
  such limit, so their hubs enforce none). What Binance answers to the 301st is not
  documented; the hub refuses the handshake with HTTP 429 and Binance's ``-1003``
  body, as its REST API answers too many requests, so a client sees a refusal it can
  back off from rather than a hang.

A client that paces itself (aioca's streams do: ``messages_per_second``) never meets
either. ``StreamLimits(None, None)`` turns both off (tests that flood on purpose).

Both are the market-stream hosts' rules. The spec documents no limit for Spot's
WebSocket API (``/ws-api/v3``, :mod:`.ws_api`): no request weight per connection or IP,
no incoming-message rate, no connection-attempt budget; so none is applied there (no
:class:`StreamLimits` of the Spot hub meters or admits its connections), rather than one
borrowed from the streams that Binance may not apply.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

__all__ = ["MARKET_LIMITS", "MessageMeter", "StreamLimits"]


@dataclass
class StreamLimits:
    """``messages_per_second``: incoming messages a connection may send in any second
    (``None``: no limit); ``connections``: connection attempts per IP in any
    ``connections_window`` seconds (``None``: no limit)."""

    messages_per_second: int | None = None
    connections: int | None = None
    connections_window: float = 300.0
    _attempts: dict[str, deque[float]] = field(default_factory=dict, repr=False, init=False)

    def __post_init__(self) -> None:
        for name in ("messages_per_second", "connections"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise TypeError(f"StreamLimits.{name} must be a whole number or None")
            if value is not None and value < 1:
                raise ValueError(f"StreamLimits.{name} must be >= 1, not {value!r}")
        if not self.connections_window > 0:
            raise ValueError("StreamLimits.connections_window must be > 0 seconds")

    def admit(self, ip: str, now: float) -> bool:
        """Count a connection attempt from ``ip`` at ``now`` (seconds); ``False`` when it
        is one too many in the window (a refused attempt counts too, as Binance counts
        attempts, not connections)."""
        if self.connections is None:
            return True
        attempts = self._attempts.setdefault(ip, deque())
        while attempts and attempts[0] <= now - self.connections_window:
            attempts.popleft()
        attempts.append(now)
        return len(attempts) <= self.connections

    def meter(self) -> MessageMeter | None:
        """A new connection's incoming-message meter (``None``: not limited)."""
        if self.messages_per_second is None:
            return None
        return MessageMeter(self.messages_per_second)


class MessageMeter:
    """The incoming messages of one connection in the last second."""

    __slots__ = ("_limit", "_times")

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._times: deque[float] = deque()

    def over(self, now: float) -> bool:
        """Count a message at ``now`` (seconds): ``True`` when it is one too many."""
        times = self._times
        while times and times[0] <= now - 1.0:
            times.popleft()
        times.append(now)
        return len(times) > self._limit


MARKET_LIMITS: dict[str, dict[str, Any]] = {
    "spot": {"messages_per_second": 5, "connections": 300},
    "usdm": {"messages_per_second": 10},
    "coinm": {"messages_per_second": 10},
}
"""Each market's documented limits, as :class:`StreamLimits` arguments."""
