"""When a failed request may be sent again, and how long to wait first.

Only requests that are safe to repeat are retried, by one rule for every exchange
(:meth:`RetryPolicy.may_retry`):

1. a request that creates, amends or cancels orders (an endpoint declared
   ``changes_orders``) is **never** retried, whatever the policy or the declarations say:
   if its outcome is unknown the caller gets an error saying so, and decides;
2. a request declared ``idempotent=True`` may be retried, one declared ``False`` is not;
3. otherwise only the idempotent HTTP methods (GET, HEAD, OPTIONS, PUT, DELETE; RFC 9110)
   among the policy's ``methods`` are retried, by default GET, HEAD and OPTIONS. Listing
   POST or PATCH in ``methods`` does not make an undeclared request retryable: a POST may
   create something; an endpoint that is safe to repeat says so with ``idempotent=True``.

Retries back off exponentially with full jitter (so many clients do not retry in
lockstep), within a bound on attempts and on total time.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from . import errors

__all__ = ["IDEMPOTENT_METHODS", "RetryPolicy"]

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
"""Methods whose repetition has the effect of one request (RFC 9110, 9.2.2): the only
ones a policy may retry for a request that declares nothing."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How requests are retried.

    ``attempts`` is the total number of tries (1 disables retries); the n-th retry waits a
    random time up to ``min(max_backoff, backoff * 2 ** (n - 1))`` seconds, or the
    exchange's ``Retry-After`` when it gave one; no retry starts once ``total_time``
    seconds have passed since the first try. ``methods`` are the idempotent HTTP methods
    to repeat when the request declares nothing (see the module's rule: POST is only
    retried for requests declared idempotent, order requests never). Network errors,
    timeouts, HTTP 5xx and 429 are retried; an IP ban (418) and every other error are not.
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
        """Whether an undeclared request with this HTTP method may be repeated: an
        idempotent method that this policy lists."""
        method = method.upper()
        return method in IDEMPOTENT_METHODS and method in self.methods

    def may_retry(
        self, method: str, *, idempotent: bool | None = None, changes_orders: bool = False
    ) -> bool:
        """Whether a request may be sent again after a transient failure: never when it
        creates, amends or cancels orders; as declared by ``idempotent`` when given; else
        :meth:`allows`."""
        if changes_orders:
            return False
        if idempotent is not None:
            return idempotent
        return self.allows(method)

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
