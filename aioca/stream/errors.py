"""The stream's exceptions, under :class:`aioca.AiocaError`.

::

    AiocaError
    └── StreamError                         a stream cannot go on
        ├── SubscriptionError (ValueError)  topics refused, before or by the exchange
        └── StreamClosedError               the stream was used after it was closed

Transient failures (a dropped connection, a stall, a refused handshake with HTTP 5xx or
429) are never raised: the stream reconnects and yields a :class:`~aioca.stream.Gap`.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import AiocaError

__all__ = ["StreamClosedError", "StreamError", "SubscriptionError"]


class StreamError(AiocaError):
    """A stream cannot go on: the exchange refused the connection for good (an HTTP 4xx
    handshake other than 429), or a subscription, or the stream was misused."""


class SubscriptionError(StreamError, ValueError):
    """Topics the exchange does not know or refused; ``problems`` lists every one."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(self.problems))


class StreamClosedError(StreamError):
    """A closed stream was subscribed to, or reopened."""
