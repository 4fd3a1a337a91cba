"""Rate limits beyond one process: the limiter interface, where limiters come from, and
several egress addresses.

* :class:`Limiter`: what the request path calls (:class:`aioca.RateLimiter` is the
  in-process implementation);
* :class:`LimiterBackend`: what an API object given ``limiter_backend=`` gets its per-host
  limiters from; :class:`LocalBackend` keeps them in the process,
  :class:`aioca.limits.redis.RedisBackend` in Redis, for every process and machine
  (``pip install "aioca-core[redis]"``; imported from its module so that Redis stays optional);
* :class:`SharedCache`: answers fetched once for every API object of a backend (an
  exchange's instrument list), one fetch at a time per name; :class:`LocalCache` within a
  process, the Redis backend across processes;
* :class:`EgressPool`: API objects bound to different local addresses, each with its own
  weight budget, and tasks routed to the one with budget left.
"""

from .base import (
    Limiter,
    LimiterBackend,
    LimiterUnavailableError,
    LocalBackend,
    SharedCache,
    SharedClock,
)
from .cache import LocalCache
from .egress import EgressPool, RoutedTask

__all__ = [
    "EgressPool",
    "Limiter",
    "LimiterBackend",
    "LimiterUnavailableError",
    "LocalBackend",
    "LocalCache",
    "RoutedTask",
    "SharedCache",
    "SharedClock",
]
