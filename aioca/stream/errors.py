"""The stream's exceptions, under :class:`aioca.AiocaError`.

::

    AiocaError
    └── StreamError                         a stream cannot go on
        ├── SubscriptionError (ValueError)  topics refused, before or by the exchange
        ├── ConnectFailedError              no connection within the settings' limits
        └── StreamClosedError               the stream was used after it was closed

Transient failures (a dropped connection, a stall, a refused handshake with HTTP 5xx or
429) are not raised: the stream reconnects, yields a :class:`~aioca.stream.Gap` and
tells its listeners of every failed attempt (:class:`~aioca.stream.ConnectFailed`), until
the optional limits ``StreamSettings.max_attempts`` / ``max_downtime`` run out: then
:class:`ConnectFailedError` ends the stream.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import AiocaError

__all__ = ["ConnectFailedError", "StreamClosedError", "StreamError", "SubscriptionError"]


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


class ConnectFailedError(StreamError):
    """The stream gave up connecting: ``attempts`` failed in a row, over ``downtime``
    seconds without a connection, to ``url``; the last attempt's error is the
    ``__cause__`` (and ``last_error``). Raised only when ``StreamSettings.max_attempts``
    or ``max_downtime`` is set (by default a stream retries for ever)."""

    def __init__(self, url: str, attempts: int, downtime: float, last_error: BaseException):
        self.url = url
        self.attempts = attempts
        self.downtime = downtime
        self.last_error = last_error
        super().__init__(
            f"could not connect to {url}: {attempts} attempts in a row failed over "
            f"{downtime:.1f} s without a connection; the last: {last_error!r}"
        )
