"""OKX's WebSocket limits, kept with the core's :class:`~aioca.RateLimiter`.

OKX documents two limits for its WebSocket endpoints:

* **3 connection requests per second, per IP.** Every connection attempt (first ones,
  reconnections, the order book's resyncs) is charged to :func:`connection_limiter`, one
  limiter per host shared by every stream of the process (the core charges
  ``{"CONNECTIONS": 1}`` before each attempt). OKX does not say how it counts its second,
  and the core's limiter counts clock-aligned windows, so the window is half a second
  holding one attempt: attempts are at least 0.5 s apart (the 0.25 s margins on both
  sides of each boundary see to it), no rolling second ever holds more than two of this
  process's attempts, and OKX's third is left for network jitter.
* **480 ``subscribe``/``unsubscribe``/``login`` requests per hour, per connection.** A
  connection sends at most ``ceil(max_topics_per_connection / topics_per_message)``
  requests when it opens (12 with OKX's settings); what a stream subscribes or
  unsubscribes later is charged to :func:`subscribe_limiter`, whose clock-aligned hour
  holds half of the rest: any rolling hour overlaps at most two such windows, so no
  connection ever sends more than 480 in any hour, whatever the exchange's way of
  counting it. A request that does not fit within the wait allowed is refused with a
  :class:`~aioca.stream.SubscriptionError` before anything is sent.
"""

from __future__ import annotations

import math
from urllib.parse import urlsplit

from aioca import RateLimiter, Window
from aioca.stream import StreamSettings

__all__ = [
    "CONNECTION_WINDOW",
    "SUBSCRIBE_REQUESTS_PER_HOUR",
    "SUBSCRIBE_UNIT",
    "connection_limiter",
    "opening_requests",
    "subscribe_limiter",
]

CONNECTION_WINDOW = Window("CONNECTIONS", 1, 0.5)
"""One connection attempt per half second (OKX: 3 per second per IP; see above)."""
SUBSCRIBE_REQUESTS_PER_HOUR = 480
"""OKX: ``subscribe``/``unsubscribe``/``login`` requests per hour, per connection."""
SUBSCRIBE_UNIT = "SUBSCRIBE_REQUESTS"
_limiters: dict[str, RateLimiter] = {}


def connection_limiter(url: str) -> RateLimiter:
    """The limiter of connection attempts to ``url``'s host, shared by every stream of
    this process (OKX counts them per IP)."""
    host = urlsplit(url).netloc
    limiter = _limiters.get(host)
    if limiter is None:
        limiter = _limiters[host] = RateLimiter([CONNECTION_WINDOW])
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
