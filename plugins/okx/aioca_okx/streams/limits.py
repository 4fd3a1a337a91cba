"""OKX's WebSocket limits, kept with the core's limiters.

OKX documents two limits for its WebSocket endpoints:

* **3 connection requests per second, per IP.** Every connection attempt (first ones,
  reconnections, an order book's fallback restarts: its resyncs subscribe again on the
  same connection) is charged to :func:`connection_limiter`, one
  :class:`~aioca.stream.ConnectionLimiter` per host shared by every stream of the process
  (the core takes one admission before each attempt). OKX does not say how it counts its
  second, so the limiter's window slides: no second, wherever it starts, holds more than
  3 of this process's attempts. Its :data:`CONNECTION_MARGIN` widens that second by a
  quarter: an attempt that takes up to 0.25 s less than the one three before it to reach
  OKX (DNS, TCP, TLS vary) still does not make 4 in OKX's second. Back to back, attempts
  go 3 per 1.25 s: 2.4 a second.
* **480 ``subscribe``/``unsubscribe``/``login`` requests per hour, per connection.** A
  connection sends at most ``ceil(max_topics_per_connection / topics_per_message)``
  requests when it opens (12 with OKX's settings); what a stream subscribes (the
  subscribe, and the unsubscribe that takes back what OKX accepted of it if it is
  refused), unsubscribes or resubscribes (an unsubscribe and a subscribe) later is charged to
  :func:`subscribe_limiter`, whose clock-aligned hour holds half of the rest: any
  rolling hour overlaps at most two such windows, so no connection ever sends more than
  480 in any hour, whatever the exchange's way of counting it. A request that does not
  fit within the wait allowed is refused with a :class:`~aioca.stream.SubscriptionError`
  before anything is sent.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aioca import RateLimiter, Window
from aioca.stream import ConnectionLimiter, StreamSettings

__all__ = [
    "CONNECTIONS_PER_SECOND",
    "CONNECTION_MARGIN",
    "SUBSCRIBE_REQUESTS_PER_HOUR",
    "SUBSCRIBE_UNIT",
    "connection_limiter",
    "new_connection_limiter",
    "opening_requests",
    "subscribe_limiter",
]

CONNECTIONS_PER_SECOND = 3
"""OKX: connection requests per second, per IP."""
CONNECTION_MARGIN = 0.25
"""Seconds added to the limiter's second for the varying delay before an attempt reaches
OKX (see the module); under 0.5 s, so attempts back to back still go more than 2 a second."""
SUBSCRIBE_REQUESTS_PER_HOUR = 480
"""OKX: ``subscribe``/``unsubscribe``/``login`` requests per hour, per connection."""
SUBSCRIBE_UNIT = "SUBSCRIBE_REQUESTS"
_limiters: dict[str, ConnectionLimiter] = {}


def new_connection_limiter(
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> ConnectionLimiter:
    """A limiter of OKX's connection attempts on its own (``clock`` and ``sleep`` as
    :class:`~aioca.stream.ConnectionLimiter` takes them: a test passes a fake clock's);
    streams share :func:`connection_limiter`'s instead."""
    return ConnectionLimiter(
        CONNECTIONS_PER_SECOND, 1.0, margin=CONNECTION_MARGIN, clock=clock, sleep=sleep
    )


def connection_limiter(url: str) -> ConnectionLimiter:
    """The limiter of connection attempts to ``url``'s host, shared by every stream of
    this process (OKX counts them per IP)."""
    host = urlsplit(url).netloc
    limiter = _limiters.get(host)
    if limiter is None:
        limiter = _limiters[host] = new_connection_limiter()
    return limiter


def opening_requests(settings: StreamSettings) -> int:
    """The subscribe requests a connection sends when it opens (all its topics), at most."""
    return math.ceil(settings.max_topics_per_connection / settings.topics_per_message)


def subscribe_limiter(settings: StreamSettings) -> RateLimiter:
    """A stream's budget of later subscribe and unsubscribe requests, per clock hour: half
    of what OKX's 480 leave after a connection's opening requests (see the module)."""
    per_hour = (SUBSCRIBE_REQUESTS_PER_HOUR - opening_requests(settings)) // 2
    if per_hour < 1:
        raise ValueError(
            f"{settings.max_topics_per_connection} topics per connection at "
            f"{settings.topics_per_message} per request leave nothing of OKX's "
            f"{SUBSCRIBE_REQUESTS_PER_HOUR} subscribe requests an hour"
        )
    return RateLimiter([Window(SUBSCRIBE_UNIT, per_hour, 3600.0)])
