"""When a failed request may be sent again, and how long to wait first.

Only requests that are safe to repeat are retried: by default GET, HEAD and OPTIONS. A
request that creates something (an order) is never sent twice by the framework: if its
outcome is unknown the caller gets an error saying so, and decides. Retries back off
exponentially with full jitter (so many clients do not retry in lockstep), within a bound
on attempts and on total time.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from . import errors

__all__ = ["RetryPolicy"]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How requests are retried.

    ``attempts`` is the total number of tries (1 disables retries); the n-th retry waits a
    random time up to ``min(max_backoff, backoff * 2 ** (n - 1))`` seconds, or the
    exchange's ``Retry-After`` when it gave one; no retry starts once ``total_time``
    seconds have passed since the first try. ``methods`` are the HTTP methods safe to
    repeat. Network errors, timeouts, HTTP 5xx and 429 are retried; an IP ban (418) and
    every other error are not.
    """

    attempts: int = 3
    backoff: float = 0.25
    max_backoff: float = 5.0
    total_time: float = 30.0
    methods: frozenset[str] = field(default=frozenset({"GET", "HEAD", "OPTIONS"}))

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("attempts must be at least 1")
        if self.backoff < 0 or self.max_backoff < 0 or self.total_time < 0:
            raise ValueError("backoff, max_backoff and total_time must be >= 0")
        object.__setattr__(self, "methods", frozenset(m.upper() for m in self.methods))

    def allows(self, method: str) -> bool:
        """Whether a request with this HTTP method may be repeated."""
        return method.upper() in self.methods

    @staticmethod
    def is_retryable(error: BaseException) -> bool:
        """Whether ``error`` is a transient failure worth another try."""
        if isinstance(error, errors.IPBannedError):
            return False
        return isinstance(
            error,
            errors.NetworkError | errors.ExchangeServerError | errors.RateLimitError,
        )

    def delay(self, retry: int, error: BaseException) -> float:
        """Seconds to wait before retry number ``retry`` (1-based) after ``error``."""
        if isinstance(error, errors.RateLimitError) and error.retry_after is not None:
            return error.retry_after
        ceiling = min(self.max_backoff, self.backoff * 2 ** (retry - 1))
        return random.uniform(0, ceiling)


NO_RETRY = RetryPolicy(attempts=1)
"""A policy that never retries."""
